// Shared by the tests of the Capgo emulator (test/emulator/): its keys and app, emulators stopped
// after each test, a clock to move by hand, raw requests (get, post, put, del) and the check of an
// error answer.
import { afterEach, expect } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import type { Emulator, EmulatorOptions, SeedApp } from '../emulator/index.js'

export const KEY = 'test-admin-key'
export const APP = 'com.demo.app'
export const T0 = Date.parse('2026-01-01T00:00:00Z')

export const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(e => e.stop()))
})

export async function start(opts: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator(opts)
  running.push(emu)
  return emu
}

/** A controllable clock for the `now` option. */
export function clock(start = T0) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => void (c.t += ms) }
  return c
}

export interface CallOpts {
  key?: string | null
  headers?: Record<string, string>
  query?: Record<string, string>
  body?: unknown
  rawBody?: string
}
export interface Answer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  headers: Headers
}

export async function call(
  emu: Emulator,
  method: string,
  path: string,
  o: CallOpts = {}
): Promise<Answer> {
  const url = new URL(path, emu.url)
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v)
  const headers: Record<string, string> = { ...o.headers }
  const key = o.key === undefined ? KEY : o.key
  if (key !== null) {
    headers.authorization = key
    headers.capgkey = key
  }
  let body: string | undefined = o.rawBody
  if (o.body !== undefined) {
    body = JSON.stringify(o.body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(url, { method, headers, body })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

export const get = (
  emu: Emulator,
  path: string,
  query: Record<string, string> = {},
  key?: string
) => call(emu, 'GET', path, { query: { app_id: APP, ...query }, key })
export const post = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'POST', path, { body: { app_id: APP, ...body }, key })
export const del = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'DELETE', path, { body: { app_id: APP, ...body }, key })
export const put = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'PUT', path, { body: { app_id: APP, ...body }, key })

export function expectError(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status)
  expect(a.body).toMatchObject({ error: code })
  expect(typeof a.body.message).toBe('string')
  expect(typeof a.body.moreInfo).toBe('object')
}

export const basicApp = (extra: Partial<SeedApp> = {}): SeedApp => ({
  app_id: APP,
  bundles: 5,
  channels: [
    { name: 'production', version: '1.0.4', public: true },
    { name: 'beta', version: '1.0.3', rollout_version: '1.0.2' }
  ],
  ...extra
})
