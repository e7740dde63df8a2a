// Runs the built action (dist/index.js) the way GitHub's runner does: inputs from action.yml's
// defaults overlaid with the step's `with:`, the runner's files and variables, and a real Node 24.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const DIST = path.join(ROOT, 'dist', 'index.js')
/** The Node 24 binary from the npm package `node@24`: the runtime of `runs.using: node24`. */
export const NODE24 = path.join(ROOT, 'node_modules', 'node', 'bin', 'node')

interface ActionYaml {
  inputs: Record<string, { default?: string | number | boolean; required?: boolean }>
  outputs: Record<string, { description: string }>
  runs: { using: string; main: string }
}

export function readActionYaml(): ActionYaml {
  return parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYaml
}

export interface ActionRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** `::error::`/`::warning::` annotation lines from stdout. */
  errors: string[]
  warnings: string[]
  /** The run's RUNNER_TEMP (deleted once the run is over; only for comparing paths). */
  runnerTemp: string
  /**
   * The text of the file the `report_file` output names, read before the run's temp dir is
   * deleted; undefined when the output is not set or the file does not exist.
   */
  reportFileText: string | undefined
}

export interface RunOptions {
  env?: Record<string, string>
  timeoutMs?: number
  /** Kill the process with SIGKILL once stdout contains this text (a run killed mid-way). */
  killWhen?: (stdout: string) => boolean
  /**
   * `with:` keys passed as the runner passes them (`INPUT_<NAME>`) without checking that
   * action.yml declares them: a misspelt input, as a workflow author may write it.
   */
  undeclaredInputs?: Record<string, string>
}

/** The runner's name for an input's variable: `INPUT_` + upper case, spaces as underscores. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Parses `GITHUB_OUTPUT`: `name<<DELIMITER\nvalue\nDELIMITER\n` entries (and `name=value`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') continue
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      i++
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!)
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: no closing delimiter for ${name}`)
      outputs[name!] = value.join('\n')
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0) throw new Error(`GITHUB_OUTPUT: cannot parse line ${JSON.stringify(line)}`)
    outputs[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return outputs
}

export async function runAction(
  inputs: Record<string, string>,
  options: RunOptions = {}
): Promise<ActionRun> {
  if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first')
  const action = readActionYaml()
  for (const name of Object.keys(inputs)) {
    if (!(name in action.inputs)) throw new Error(`input "${name}" is not declared in action.yml`)
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'capgo-release-run-'))
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary.md'),
    state: path.join(dir, 'state'),
    env: path.join(dir, 'env'),
    path: path.join(dir, 'path'),
    event: path.join(dir, 'event.json')
  }
  for (const file of [files.output, files.summary, files.state, files.env, files.path]) {
    writeFileSync(file, '')
  }
  writeFileSync(
    files.event,
    JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/app' } })
  )

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    RUNNER_TEMP: dir,
    RUNNER_OS: 'Linux',
    GITHUB_WORKSPACE: dir,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    // A closed loopback port: no test may reach beyond 127.0.0.1 (a test that needs GitHub sets
    // its own emulator's URL).
    GITHUB_API_URL: 'http://127.0.0.1:9'
  }
  // Declared defaults first, then the step's `with:` — as the runner fills INPUT_*. A default
  // that is an expression (`${{ github.token }}`) is substituted by GitHub's runner; we have no
  // token, so it is empty unless the test sets the input.
  for (const [name, spec] of Object.entries(action.inputs)) {
    if (spec.default === undefined) continue
    const text = String(spec.default)
    env[inputVariable(name)] = /\$\{\{.*\}\}/.test(text) ? '' : text
  }
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value
  for (const [name, value] of Object.entries(options.undeclaredInputs ?? {})) {
    env[inputVariable(name)] = value
  }
  Object.assign(env, options.env ?? {})

  try {
    const { code, signal, stdout, stderr } = await spawnNode(env, dir, options)
    const outputs = parseOutputFile(readFileSync(files.output, 'utf8'))
    const summary = readFileSync(files.summary, 'utf8')
    const reportFile = outputs.report_file
    const reportFileText =
      reportFile !== undefined && reportFile !== '' && existsSync(reportFile)
        ? readFileSync(reportFile, 'utf8')
        : undefined
    const annotations = (kind: string): string[] =>
      stdout
        .split('\n')
        .filter(line => line.startsWith(`::${kind}`))
        .map(line => decodeCommand(line.slice(line.indexOf('::', 2) + 2)))
    return {
      code,
      signal,
      stdout,
      stderr,
      outputs,
      summary,
      errors: annotations('error'),
      warnings: annotations('warning'),
      runnerTemp: dir,
      reportFileText
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function decodeCommand(text: string): string {
  return text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
}

function spawnNode(
  env: Record<string, string>,
  cwd: string,
  options: RunOptions
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [DIST], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      if (options.killWhen?.(stdout)) child.kill('SIGKILL')
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * Every place the key may not appear: stdout and stderr except the runner's `::add-mask::` line,
 * the outputs, and the job summary. Returns the places where it does.
 */
export function keyLeaks(run: ActionRun, key: string): string[] {
  const leaks: string[] = []
  const visible = (text: string): string =>
    text
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
  if (visible(run.stdout).includes(key)) leaks.push('stdout')
  if (run.stderr.includes(key)) leaks.push('stderr')
  if (run.summary.includes(key)) leaks.push('summary')
  for (const [name, value] of Object.entries(run.outputs)) {
    if (value.includes(key)) leaks.push(`output ${name}`)
  }
  return leaks
}
