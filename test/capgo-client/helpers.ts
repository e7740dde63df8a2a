// Shared by the tests of the Capgo API module (src/capgo/): the keys and the standard app, an
// emulator and a client that are cleaned up after each test, a small server of our own for answers
// the emulator does not give, and the check that no error holds the key.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, expect } from 'vitest'
import { HttpCapgoApi } from '../../src/capgo/client.js'
import type { HttpCapgoApiOptions, RetryEvent } from '../../src/capgo/client.js'
import { CapgoError } from '../../src/capgo/errors.js'
import type { Bundle } from '../../src/capgo/types.js'
import { startEmulator } from '../emulator/index.js'
import type { Emulator, EmulatorOptions, LoggedRequest, SeedApp } from '../emulator/index.js'

// A key with characters that change under URL and JSON encoding, to exercise the redaction.
export const KEY = 'cgk_Live+9f2c71e0/Secret=Zq"x'
export const DEV_KEY = 'cgk_developer_5d1e'
export const WRONG_KEY = 'cgk_Wrong+00aa/Key=Q'
export const APP = 'com.example.app'
export const PKG = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
) as {
  version: string
}

// ---- harness ------------------------------------------------------------------------------------

export const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ keys: { [KEY]: 'admin', [DEV_KEY]: 'developer' }, ...options })
  cleanups.push(() => emu.stop())
  return emu
}

/** The standard app: bundles 1.0.0..1.0.5 (1.0.5 newest); production -> 1.0.4 (rollout 1.0.3). */
export function standardApp(extra: Partial<SeedApp> = {}): SeedApp {
  return {
    app_id: APP,
    bundles: 6,
    channels: [
      { name: 'production', version: '1.0.4', rollout_version: '1.0.3' },
      { name: 'public-beta', version: '1.0.5', public: true },
      { name: 'qa', version: null }
    ],
    devices: [{ device_id: 'dev-known', channel: 'qa' }, { device_id: 'dev-plain' }],
    ...extra
  }
}

export interface Harness {
  api: HttpCapgoApi
  /** Every wait the client asked for, in order. */
  waits: number[]
  events: RetryEvent[]
}

export type ClientOptions = Partial<HttpCapgoApiOptions> & { onSleep?: (ms: number) => void }

/** A client with short backoff and a sleep that records the wait and then yields only briefly. */
export function client(baseUrl: string, options: ClientOptions = {}): Harness {
  const waits: number[] = []
  const events: RetryEvent[] = []
  const { onSleep, ...rest } = options
  const api = new HttpCapgoApi({
    baseUrl,
    apiKey: KEY,
    retries: 3,
    timeoutMs: 2000,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    maxRetryAfterMs: 5000,
    random: () => 0.5,
    sleep: async ms => {
      waits.push(ms)
      onSleep?.(ms)
      await pause(1)
    },
    onRetry: event => events.push(event),
    ...rest
  })
  cleanups.push(() => api.dispose())
  return { api, waits, events }
}

/** Every text a CapgoError exposes; none may hold the key (raw, URL-encoded or JSON-escaped). */
export function expectNoSecret(error: CapgoError, secret: string): void {
  const texts = [
    error.message,
    error.serverMessage ?? '',
    error.code,
    error.route,
    String(error),
    error.stack ?? '',
    JSON.stringify(error)
  ]
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]
  for (const text of texts) for (const form of forms) expect(text).not.toContain(form)
}

/** Awaits a promise that must reject with a CapgoError, and checks the key is not in it. */
export async function failure(promise: Promise<unknown>, secret = KEY): Promise<CapgoError> {
  let caught: unknown = undefined
  let resolved: unknown = undefined
  try {
    resolved = await promise
  } catch (error) {
    caught = error
  }
  expect(
    caught,
    `expected a CapgoError, but it resolved to ${JSON.stringify(resolved)}`
  ).toBeInstanceOf(CapgoError)
  const error = caught as CapgoError
  expectNoSecret(error, secret)
  if (secret !== KEY) expectNoSecret(error, KEY)
  return error
}

/** The bundles of a listing that must come with no warning. */
export async function bundlesOf(api: HttpCapgoApi, appId = APP): Promise<Bundle[]> {
  const listing = await api.listBundles(appId)
  expect(listing.warnings).toEqual([])
  return listing.bundles
}

export function hits(emu: Emulator, method: string, path: string): LoggedRequest[] {
  return emu.requests.filter(r => r.method === method && r.path === path)
}

export interface Tiny {
  url: string
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]
}

/** A small node:http server of our own, for answers the emulator does not give. */
export async function tinyServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void
): Promise<Tiny> {
  const requests: Tiny['requests'] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handler(req, res, body)
    })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    const closed = new Promise<void>(resolve => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

export function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

/** An address nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>(resolve => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
