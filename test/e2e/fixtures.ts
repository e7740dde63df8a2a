// Shared pieces of the end-to-end tests: an emulator per test, the built action run against it,
// and small readers for outputs and the request log.

import { afterEach, expect } from 'vitest'
import { keyLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/action-runner.js'
import { startEmulator } from '../emulator/index.js'
import type { Emulator, EmulatorOptions, LoggedRequest, SeedApp } from '../emulator/index.js'

export const KEY = 'sk_live_E2E_SECRET_42'
export const APP = 'com.e2e.app'
export const HOUR = 3_600_000
export const DAY = 24 * HOUR

const running: Emulator[] = []

/** Stops every emulator a test started. Call once at the top of a test file. */
export function stopEmulatorsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(running.splice(0).map(e => e.stop()))
  })
}

/** An emulator that knows KEY as an admin key and serves one app (APP unless `app` says). */
export async function emulator(
  app: Omit<SeedApp, 'app_id'> & { app_id?: string },
  options: Omit<EmulatorOptions, 'apps' | 'keys'> = {}
): Promise<Emulator> {
  const emu = await startEmulator({
    keys: { [KEY]: 'admin' },
    apps: [{ app_id: APP, ...app }],
    ...options
  })
  running.push(emu)
  return emu
}

/** Runs dist/index.js against the emulator with KEY, APP and the emulator's URL. */
export async function run(
  emu: Emulator,
  inputs: Record<string, string>,
  options: RunOptions = {}
): Promise<ActionRun> {
  return runAction({ api_key: KEY, app_id: APP, api_url: emu.url, ...inputs }, options)
}

/** The key never leaks: outputs, summary, stdout (but the ::add-mask:: line), stderr. */
export function expectNoLeak(result: ActionRun, key = KEY): void {
  expect(keyLeaks(result, key)).toEqual([])
  // The runner is told to mask it.
  expect(result.stdout).toContain(`::add-mask::${key}`)
}

/** A JSON output, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(result: ActionRun, name: string): any {
  const text = result.outputs[name]
  if (text === undefined) throw new Error(`output ${name} was not set`)
  return JSON.parse(text)
}

/** The parsed `report` output. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function report(result: ActionRun): any {
  return json(result, 'report')
}

/** Everything the run printed as an error (annotations), one string. */
export function errorText(result: ActionRun): string {
  return result.errors.join('\n')
}

export function requestsOf(emu: Emulator, method: string, path: string): LoggedRequest[] {
  return emu.requests.filter(r => r.method === method && r.path === path)
}

/** The `version` of a request body (DELETE /bundle), or undefined. */
export function bodyVersion(r: LoggedRequest): unknown {
  const body = r.body as Record<string, unknown> | undefined
  return body?.version
}

/** A short description of every write, for readable assertion failures. */
export function writeLog(emu: Emulator): string[] {
  return emu.writes().map(r => `${r.method} ${r.path} ${JSON.stringify(r.body)}`)
}

/** The versions a list of DELETE /bundle requests named, sorted. */
export function deletedVersions(emu: Emulator): string[] {
  return requestsOf(emu, 'DELETE', '/bundle')
    .map(r => String(bodyVersion(r)))
    .sort(compareVersions)
}

/** `1.0.2` < `1.0.10`: numeric compare of dotted names (enough for the fixtures). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return a < b ? -1 : a > b ? 1 : 0
}

/** `1.0.<i>` for each i. */
export function v(...indexes: number[]): string[] {
  return indexes.map(i => `1.0.${i}`)
}

/** Integers from `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
