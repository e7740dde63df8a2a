// npm run demo: the built action (dist/index.js) against the Capgo emulator, as three steps of a
// workflow would run it. Needs only `npm ci` (the build is committed). `--log` also prints each
// step's log.

import { runAction, type ActionRun } from '../test/helpers/action-runner.js'
import { startEmulator, type Emulator } from '../test/emulator/index.js'
import { SAMPLE_APP_ID, SAMPLE_DESCRIPTION, sampleApp } from '../test/emulator/sample.js'
import { alignColumns, countByRoute, formatCounts, ms, requireDist } from './lib/common.js'
import { markdownToText } from './lib/markdown.js'

const APP_ID = SAMPLE_APP_ID
const DEMO_KEY = 'demo-key-d3m0-c4pg0-0000-not-a-real-key'
const SHOW_LOG = process.argv.includes('--log')

interface Step {
  title: string
  with: Record<string, string>
  /** The exit code this step should end with. */
  expectedCode: number
}

const STEPS: Step[] = [
  {
    title: 'Promote the beta bundle to production (on a tag push)',
    with: { channel: 'production', promote_from: 'beta' },
    expectedCode: 0
  },
  {
    title: 'Link two test devices to the private qa channel',
    with: { channel: 'qa', devices: 'iphone-15-qa, pixel-8-qa' },
    expectedCode: 0
  },
  {
    title: 'Scheduled cleanup, as a dry run',
    with: { cleanup_keep: '20', cleanup_older_than: '30d', dry_run: 'true' },
    expectedCode: 0
  }
]

async function startDemoEmulator(): Promise<Emulator> {
  return startEmulator({
    keys: { [DEMO_KEY]: 'admin' },
    apps: [sampleApp()]
  })
}

function printHeader(index: number, step: Step, inputs: Record<string, string>): void {
  const title = `Step ${index + 1}/${STEPS.length}: ${step.title}`
  console.log(`\n${'━'.repeat(Math.max(72, title.length))}\n${title}\n`)
  console.log('  with:')
  const shown = Object.entries(inputs).map(([name, value]) => [
    `    ${name}:`,
    name === 'api_key' ? '***' : value
  ])
  for (const line of alignColumns(shown)) console.log(line)
}

/** A JSON array output: short ones as they are, long ones cut to their ends and a count. */
function showArray(items: unknown[]): string {
  const text = (v: unknown): string => JSON.stringify(v)
  if (items.length <= 6) return `[${items.map(text).join(', ')}]`
  const head = items.slice(0, 3).map(text).join(', ')
  const tail = items.slice(-2).map(text).join(', ')
  return `[${head}, …, ${tail}] (${items.length} items)`
}

function showOutput(name: string, value: string): string {
  if (name === 'report') {
    try {
      const report = JSON.parse(value) as Record<string, unknown>
      return `(${Buffer.byteLength(value)} bytes of JSON; keys: ${Object.keys(report).join(', ')})`
    } catch {
      return `(${Buffer.byteLength(value)} bytes, not JSON)`
    }
  }
  if (value.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value)
      if (Array.isArray(parsed)) return showArray(parsed)
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  return value === '' ? "''" : value
}

function printRun(run: ActionRun, wallMs: number): void {
  const verdict = run.code === 0 ? 'success' : run.signal ? `killed (${run.signal})` : 'failed'
  console.log(`\n  exit code: ${run.code ?? '—'} (${verdict}) in ${ms(wallMs)}`)
  for (const error of run.errors) console.log(`  error: ${error.replace(/\n/g, '\n         ')}`)
  for (const warning of run.warnings) console.log(`  warning: ${warning}`)

  console.log('\n  outputs:')
  const rows = Object.entries(run.outputs).map(([name, value]) => [
    `    ${name}`,
    '=',
    showOutput(name, value)
  ])
  if (rows.length === 0) console.log('    (none)')
  for (const line of alignColumns(rows)) console.log(line)

  console.log('\n  job summary:')
  const summary = run.summary.trim() === '' ? ['(empty)'] : markdownToText(run.summary, 8)
  for (const line of summary) console.log(line === '' ? '' : `    ${line}`)

  if (SHOW_LOG) {
    console.log('\n  log:')
    for (const line of run.stdout.trimEnd().split('\n')) console.log(`    ${line}`)
    if (run.stderr.trim() !== '') console.log(`  stderr:\n${run.stderr}`)
  }
}

async function main(): Promise<number> {
  requireDist()
  const emulator = await startDemoEmulator()
  const unexpected: string[] = []
  const runs: ActionRun[] = []
  try {
    console.log(`Capgo emulator on ${emulator.url}: ${SAMPLE_DESCRIPTION}.`)
    for (const [index, step] of STEPS.entries()) {
      const inputs = {
        api_key: DEMO_KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        ...step.with
      }
      printHeader(index, step, inputs)
      const started = performance.now()
      const run = await runAction(inputs)
      printRun(run, performance.now() - started)
      runs.push(run)
      const note = rollbackTargetNote(runs)
      if (note) console.log(`\n  ${note}`)
      if (run.code !== step.expectedCode) {
        unexpected.push(`step ${index + 1} exited with ${run.code}, expected ${step.expectedCode}`)
      }
      if ([run.stdout, run.stderr, run.summary, ...Object.values(run.outputs)].some(leaks)) {
        unexpected.push(`step ${index + 1} printed the API key`)
      }
    }
  } finally {
    await emulator.stop()
  }

  const counts = countByRoute(emulator.requests)
  console.log(`\n${'━'.repeat(72)}`)
  console.log(
    `The emulator saw ${emulator.requests.length} requests: ${formatCounts(counts)}. ` +
      (unexpected.length === 0 ? 'All steps ended as expected.' : unexpected.join('; ') + '.')
  )
  return unexpected.length === 0 ? 0 : 1
}

/**
 * A cleanup that would delete the rollback target of the promotion made earlier: once the
 * channel has moved on, nothing but a protection rule keeps that bundle. Say so, and how.
 */
function rollbackTargetNote(runs: ActionRun[]): string | undefined {
  const target = runs[0]?.outputs.previous_version
  const last = runs.at(-1)
  if (!target || runs.length < 2 || !last) return undefined
  const deleted = JSON.parse(last.outputs.deleted_bundles ?? '[]') as string[]
  if (!deleted.includes(target)) return undefined
  return (
    `Note: this cleanup would delete ${target}, production's rollback target from step 1 (no ` +
    `channel uses it any more). Keep it with \`cleanup_protect: ${target}\`, or record releases ` +
    'with `github_deployment: true` and add `cleanup_keep_releases: 3` to the cleanup, which ' +
    "protects the bundles of each channel's last three releases."
  )
}

/** The key anywhere but the runner's own `::add-mask::` line. */
function leaks(text: string): boolean {
  return text.split('\n').some(line => !line.startsWith('::add-mask::') && line.includes(DEMO_KEY))
}

main().then(
  code => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(1)
  }
)
