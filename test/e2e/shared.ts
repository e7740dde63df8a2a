// Common pieces of the end-to-end tests (releases, cleanups, faults, bad input, secrets, re-runs):
// the built action run against an emulator of its own, the seeds and the plan a clean run would
// make, readers for outputs and the request log, and checks over that log that hold whatever the
// faults ("never delete more than it planned, never send twice what must not be", the key never
// visible).
//
// Every test starts its own emulator, so the tests of a file may run concurrently; the emulators
// are stopped after each test or when the file ends (`stopEmulators`).

import { afterAll, afterEach, expect, type ExpectStatic } from 'vitest'
import { keyLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/action-runner.js'
import { startEmulator } from '../emulator/index.js'
import type {
  Emulator,
  EmulatorOptions,
  FaultRule,
  LoggedRequest,
  SeedApp
} from '../emulator/index.js'

/** A key shaped like a real one; it must never be visible anywhere the run writes. */
export const KEY = 'ak_live_7Rq2XvN9pLm4Ts8Wb3Hc6Yd1'
export const APP = 'com.e2e.app'
export const HOUR = 3_600_000
export const DAY = 24 * HOUR

// ---- emulators and runs ---------------------------------------------------------------------

const emulators: Emulator[] = []
let registered = false

/**
 * Stops every emulator this file started. Call once at the top of a test file.
 * - `'all'` (default): once the file is done; safe with concurrent tests.
 * - `'each'`: after each test; only for files whose tests run one at a time (it would stop the
 *   emulators of tests still running).
 */
export function stopEmulators(after: 'each' | 'all' = 'all'): void {
  if (registered) return
  registered = true
  const hook = after === 'each' ? afterEach : afterAll
  hook(async () => {
    await Promise.all(emulators.splice(0).map(emu => emu.stop()))
  })
}

export type AppSeed = Omit<SeedApp, 'app_id'> & { app_id?: string }

/** An emulator that knows KEY as an admin key (unless `keys` says) and serves APP seeded as given. */
export async function emulator(
  app: AppSeed = {},
  options: Omit<EmulatorOptions, 'apps' | 'keys'> & { keys?: EmulatorOptions['keys'] } = {}
): Promise<Emulator> {
  const emu = await startEmulator({
    ...options,
    keys: options.keys ?? { [KEY]: 'admin' },
    apps: [{ app_id: APP, ...app }]
  })
  emulators.push(emu)
  return emu
}

export interface TimedRun extends ActionRun {
  /** Wall time of the whole run, spawn to exit. */
  elapsedMs: number
}

/** Runs dist/index.js against `emu` with KEY and APP (each overridable through `inputs`). */
export async function run(
  emu: Emulator | { url: string },
  inputs: Record<string, string>,
  options: RunOptions = {}
): Promise<TimedRun> {
  const started = Date.now()
  const result = await runAction(
    { api_key: KEY, app_id: APP, api_url: emu.url, ...inputs },
    options
  )
  return { ...result, elapsedMs: Date.now() - started }
}

/** Runs `inputs` twice; returns both runs, the second one's requests alone in `emu.requests`. */
export async function twice(
  emu: Emulator,
  inputs: Record<string, string>
): Promise<{ first: TimedRun; second: TimedRun }> {
  const first = await run(emu, inputs)
  emu.clearLog()
  const second = await run(emu, inputs)
  return { first, second }
}

// ---- seeds ----------------------------------------------------------------------------------

/**
 * The standard app of the robustness tests: 30 bundles `1.0.0` (oldest) .. `1.0.29` (newest), one
 * an hour; `production` on 1.0.29, `beta` on 1.0.25 with 1.0.3 as its rollout bundle (an old bundle
 * that a cleanup would take if it ignored rollouts).
 */
export function standardApp(extra: Partial<AppSeed> = {}): AppSeed {
  return {
    bundles: 30,
    channels: [
      { name: 'production', version: '1.0.29' },
      { name: 'beta', version: '1.0.25', rollout_version: '1.0.3' }
    ],
    ...extra
  }
}

/** The standard app with a preview channel: `production` on 1.0.29, `pr-42` on 1.0.20, no beta. */
export function previewApp(extra: Partial<AppSeed> = {}): AppSeed {
  return standardApp({
    channels: [
      { name: 'production', version: '1.0.29' },
      { name: 'pr-42', version: '1.0.20' }
    ],
    ...extra
  })
}

/**
 * `count` bundles `1.0.0` .. one a day, the newest half a day old: off the day boundaries, so that
 * "older than 30d" is not decided by milliseconds.
 */
export function dailyBundles(
  count: number
): Pick<AppSeed, 'bundles' | 'bundleIntervalMs' | 'bundleEnd'> {
  return { bundles: count, bundleIntervalMs: DAY, bundleEnd: new Date(Date.now() - DAY / 2) }
}

/** `1.0.<i>` for each i. */
export function v(...indexes: number[]): string[] {
  return indexes.map(i => `1.0.${i}`)
}

/** Integers from `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

// ---- what a correct run does ----------------------------------------------------------------

/** Live bundle names of APP. */
export function liveNames(emu: Emulator, appId = APP): Set<string> {
  return new Set(emu.bundles(appId).map(b => b.name))
}

/** Names of the soft-deleted bundles of APP, sorted. */
export function deletedNames(emu: Emulator, appId = APP): string[] {
  return emu
    .bundles(appId, { includeDeleted: true })
    .filter(b => b.deleted)
    .map(b => b.name)
    .sort(byVersion)
}

/**
 * The cleanup a correct run plans, from the emulator's state before it (docs/contract.md's rule, written
 * independently of src/plan.ts): bundles that no channel uses (version or rollout) are the
 * candidates; the `keep` newest by upload time (ties by id) stay; of the others, only those older
 * than `olderThanMs` go.
 */
export function expectedCleanup(
  emu: Emulator,
  rule: { keep?: number; olderThanMs?: number; now?: number },
  appId = APP
): string[] {
  const app = emu.state.apps[appId]
  if (!app) throw new Error(`unknown app ${appId}`)
  const used = new Set<number>()
  for (const c of app.channels) {
    if (c.version !== null) used.add(c.version)
    if (c.rollout_version !== null) used.add(c.rollout_version)
  }
  const candidates = emu.bundles(appId).filter(b => !used.has(b.id))
  const outside = rule.keep === undefined ? candidates : candidates.slice(rule.keep)
  const now = rule.now ?? Date.now()
  return outside
    .filter(
      b => rule.olderThanMs === undefined || Date.parse(b.created_at) < now - rule.olderThanMs
    )
    .map(b => b.name)
    .sort(byVersion)
}

/** `1.0.2` < `1.0.10`: numeric compare of dotted names, text order for what is not a number. */
export function byVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0 && Number.isFinite(d)) return d
  }
  return a < b ? -1 : a > b ? 1 : 0
}

export function sorted(names: readonly string[]): string[] {
  return [...names].sort(byVersion)
}

// ---- the request log ------------------------------------------------------------------------

export function requestsOf(emu: Emulator, method: string, path: string): LoggedRequest[] {
  return emu.requests.filter(r => r.method === method && r.path === path)
}

function field(r: LoggedRequest, name: string): unknown {
  const body = r.body
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined
}

/** The `version` of a DELETE /bundle or POST /channel body, or undefined. */
export function bodyVersion(r: LoggedRequest): unknown {
  return field(r, 'version')
}

/** The DELETE /bundle requests for one version. */
export function deletesOf(emu: Emulator, version: string): LoggedRequest[] {
  return requestsOf(emu, 'DELETE', '/bundle').filter(r => bodyVersion(r) === version)
}

/** The versions the DELETE /bundle requests named (one per request, retries included), sorted. */
export function deleteRequestVersions(emu: Emulator): string[] {
  return sorted(requestsOf(emu, 'DELETE', '/bundle').map(r => String(bodyVersion(r))))
}

/** `METHOD /path {body}`: a write, as the log lines and the safety rules name it. */
function writeLine(r: LoggedRequest): string {
  return `${r.method} ${r.path} ${JSON.stringify(r.body)}`
}

/**
 * One line per write, `METHOD /path {body}`, for exact comparisons; with `outcome`, followed by
 * ` -> status [fault]`, for readable failures.
 */
export function writeLog(emu: Emulator, { outcome = false } = {}): string[] {
  return emu
    .writes()
    .map(r =>
      outcome ? `${writeLine(r)} -> ${r.status}${r.fault ? ` [${r.fault}]` : ''}` : writeLine(r)
    )
}

/**
 * The safety rules over the whole request log. Returns the violations (empty when all hold):
 * - no `DELETE /bundle` without a non-empty string `version` (it would wipe the app);
 * - no `POST /channel` with a null/empty/"unknown"/"builtin" version (it would unlink the bundle);
 * - no `POST /device` with `version_id`;
 * - no write sent twice unless an earlier copy was hit by a fault: for each distinct write (method,
 *   path, body) at most one copy reached the server unharmed. A retry after a fault is fine; a
 *   second clean copy is a write sent twice that must not be.
 * - when `allowedDeletes` is given, every version named in a DELETE /bundle is in it.
 */
export function safetyViolations(emu: Emulator, allowedDeletes?: readonly string[]): string[] {
  const problems: string[] = []
  const allowed = allowedDeletes ? new Set(allowedDeletes) : undefined
  const clean = new Map<string, number>()
  for (const r of emu.writes()) {
    const text = writeLine(r)
    if (r.method === 'DELETE' && r.path === '/bundle') {
      const version = bodyVersion(r)
      if (typeof version !== 'string' || version.trim() === '') {
        problems.push(`DELETE /bundle without a version: ${text}`)
      } else if (allowed && !allowed.has(version)) {
        problems.push(`DELETE /bundle of a bundle the plan did not choose: ${version}`)
      }
    }
    if (r.method === 'POST' && r.path === '/channel' && 'version' in ((r.body as object) ?? {})) {
      const version = bodyVersion(r)
      if (typeof version !== 'string' || ['', 'unknown', 'builtin'].includes(version.trim())) {
        problems.push(`POST /channel with an empty version: ${text}`)
      }
    }
    if (r.method === 'POST' && r.path === '/device' && field(r, 'version_id') !== undefined) {
      problems.push(`POST /device with version_id: ${text}`)
    }
    if (r.fault === undefined) clean.set(text, (clean.get(text) ?? 0) + 1)
  }
  for (const [text, count] of clean) {
    if (count > 1) problems.push(`sent ${count} times without a fault in between: ${text}`)
  }
  return problems
}

/** The safety rules hold (`safetyViolations` is empty); a failure shows the writes and outcomes. */
export function expectSafe(
  expect: ExpectStatic,
  emu: Emulator,
  allowedDeletes?: readonly string[]
): void {
  expect(
    safetyViolations(emu, allowedDeletes),
    writeLog(emu, { outcome: true }).join('\n')
  ).toEqual([])
}

/** A fault on one bundle's DELETE. */
export function onDeleteOf(
  version: string,
  rule: Omit<FaultRule, 'method' | 'path' | 'when'>
): FaultRule {
  return {
    method: 'DELETE',
    path: '/bundle',
    when: req => (req.body as { version?: unknown } | undefined)?.version === version,
    ...rule
  }
}

// ---- outputs --------------------------------------------------------------------------------

/** A JSON output, parsed. */
export function json<T = unknown>(result: ActionRun, name: string): T {
  const text = result.outputs[name]
  if (text === undefined) throw new Error(`output ${name} was not set`)
  return JSON.parse(text) as T
}

export interface FailedBundle {
  version: string
  error: string
}

/** The parsed `report` output (the parts the tests read). */
export interface Report {
  version: string
  deleted_bundles: string[]
  deleted_count: number
  failed_bundles: FailedBundle[]
  protected_bundles: string[]
  errors: string[]
  warnings: string[]
  channel_changed: boolean
  dry_run: boolean
  plan: {
    channel: {
      before: { version: string | null } | null
      after: { version: string | null }
    } | null
    devices: { device_id: string; action: string }[]
    bundles_total: number | null
    bundles: { version: string; fate: string; reason: string }[]
  } | null
}

export function report(result: ActionRun): Report {
  return json<Report>(result, 'report')
}

/** The parsed `failed_bundles` output. */
export function failedBundles(result: ActionRun): FailedBundle[] {
  return json<FailedBundle[]>(result, 'failed_bundles')
}

/** Deleted versions, sorted. */
export function deletedOutput(result: ActionRun): string[] {
  return sorted(json<string[]>(result, 'deleted_bundles'))
}

/** The plan's decisions without timestamps, for comparing two runs. */
export function planShape(result: ActionRun): string[] {
  return (report(result).plan?.bundles ?? []).map(b => `${b.version} ${b.fate} ${b.reason}`)
}

/** Everything the run printed as an error (annotations), one string. */
export function errorText(result: ActionRun): string {
  return result.errors.join('\n')
}

/** Error annotations and the tail of stdout, for messages of failed expectations. */
export function why(result: ActionRun): string {
  return `exit ${result.code}\nerrors: ${result.errors.join(' | ')}\nstdout tail:\n${result.stdout.slice(-1500)}\nstderr: ${result.stderr.slice(-500)}`
}

/** "Retrying <route>" lines of stdout. */
export function retryLines(result: ActionRun, route?: string): string[] {
  return result.stdout.split('\n').filter(line => line.startsWith(`Retrying ${route ?? ''}`))
}

// ---- every run reports ---------------------------------------------------------------------

/** The job summary as a reader sees it: markdown escapes (`\\(`) and HTML entities undone. */
export function summaryText(result: ActionRun): string {
  return result.summary
    .replace(/\\([\\`*~[\]!|$:@{}()_#>+=.-])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/**
 * A failed run that still reported (the README's "every run reports"): exit 1; the `error` output
 * says why (`error`) and is what the `report` and the report file say; `dry_run` is set; the
 * `report_file` is a file under the run's RUNNER_TEMP holding the whole report; the job summary
 * says the step failed, what failed, and — unless `changed` — that nothing was changed.
 */
export function expectFailureReported(
  expect: ExpectStatic,
  result: ActionRun,
  { error, dryRun = false, changed = false }: { error: RegExp; dryRun?: boolean; changed?: boolean }
): void {
  expect(result.code, why(result)).toBe(1)
  const message = result.outputs.error
  expect(message, why(result)).toBeDefined()
  expect(message).toMatch(error)
  expect(result.outputs.dry_run).toBe(String(dryRun))
  const rep = report(result)
  expect(rep.errors.join('\n')).toMatch(error)
  expect(rep.dry_run).toBe(dryRun)
  // The report file: under RUNNER_TEMP, written, the whole report (the same errors).
  const file = result.outputs.report_file ?? ''
  expect(file.startsWith(`${result.runnerTemp}/`), file).toBe(true)
  expect(result.reportFileText, `report file ${file} was not written`).toBeDefined()
  const full = JSON.parse(result.reportFileText!) as Report
  expect(full.errors).toEqual(rep.errors)
  expect(full.dry_run).toBe(dryRun)
  // The job summary: failed, why, and what was changed.
  const summary = summaryText(result)
  expect(summary).toMatch(/failed/)
  expect(summary).toMatch(error)
  if (changed) expect(summary).not.toMatch(/Nothing was changed/)
  else expect(summary).toMatch(/Nothing was changed/)
  // The step's error annotation says the same.
  expect(errorText(result)).toMatch(error)
}

// ---- the key --------------------------------------------------------------------------------

/** Places where the key is visible (stdout except ::add-mask::, stderr, outputs, summary). */
export function leaks(result: ActionRun, key = KEY): string[] {
  return keyLeaks(result, key)
}

/** The key never leaks: outputs, summary, stdout (but the ::add-mask:: line), stderr. */
export function expectNoLeak(result: ActionRun, key = KEY): void {
  expect(leaks(result, key)).toEqual([])
  // The runner is told to mask it.
  expect(result.stdout).toContain(`::add-mask::${key}`)
}
