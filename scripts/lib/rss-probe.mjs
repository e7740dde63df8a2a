// Loaded with NODE_OPTIONS=--import by `npm run bench`: prints the process's peak resident memory
// on exit, so the benchmark can read it from stderr. Not part of the action.
process.on('exit', () => {
  process.stderr.write(`\nRSS_PEAK_KB=${process.resourceUsage().maxRSS}\n`)
})
