// The Capgo API module (src/capgo/) against the emulator: every route, every error code, listing
// with and without Capgo's paging defect, retries and their waits, redaction of the key, the guards.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpCapgoApi, PAGE_SIZE, RATE_LIMIT_MARGIN_MS } from '../src/capgo/client.js'
import type { HttpCapgoApiOptions, RetryEvent } from '../src/capgo/client.js'
import { CapgoError, redact } from '../src/capgo/errors.js'
import type { Bundle, ChannelUpsert } from '../src/capgo/types.js'
import { ACTION_NAME, USER_AGENT } from '../src/version.js'
import { startEmulator } from './emulator/index.js'
import type { Emulator, EmulatorOptions, LoggedRequest, SeedApp } from './emulator/index.js'

// A key with characters that change under URL and JSON encoding, to exercise the redaction.
const KEY = 'cgk_Live+9f2c71e0/Secret=Zq"x'
const DEV_KEY = 'cgk_developer_5d1e'
const WRONG_KEY = 'cgk_Wrong+00aa/Key=Q'
const APP = 'com.example.app'
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

// ---- harness ------------------------------------------------------------------------------------

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const pause = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ keys: { [KEY]: 'admin', [DEV_KEY]: 'developer' }, ...options })
  cleanups.push(() => emu.stop())
  return emu
}

/** The standard app: bundles 1.0.0..1.0.5 (1.0.5 newest); production -> 1.0.4 (rollout 1.0.3). */
function standardApp(extra: Partial<SeedApp> = {}): SeedApp {
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

interface Harness {
  api: HttpCapgoApi
  /** Every wait the client asked for, in order. */
  waits: number[]
  events: RetryEvent[]
}

type ClientOptions = Partial<HttpCapgoApiOptions> & { onSleep?: (ms: number) => void }

/** A client with short backoff and a sleep that records the wait and then yields only briefly. */
function client(baseUrl: string, options: ClientOptions = {}): Harness {
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
function expectNoSecret(error: CapgoError, secret: string): void {
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
async function failure(promise: Promise<unknown>, secret = KEY): Promise<CapgoError> {
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
async function bundlesOf(api: HttpCapgoApi, appId = APP): Promise<Bundle[]> {
  const listing = await api.listBundles(appId)
  expect(listing.warnings).toEqual([])
  return listing.bundles
}

function hits(emu: Emulator, method: string, path: string): LoggedRequest[] {
  return emu.requests.filter(r => r.method === method && r.path === path)
}

interface Tiny {
  url: string
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]
}

/** A small node:http server of our own, for answers the emulator does not give. */
async function tinyServer(
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

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers
  })
  res.end(text)
}

/** An address nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>(resolve => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

// ---- requests -----------------------------------------------------------------------------------

describe('requests: headers, bodies, base URL', () => {
  it('sends the key in authorization and capgkey, and a User-Agent naming the action and version', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.listChannels(APP)
    await api.deleteBundle(APP, '1.0.0')
    expect(emu.requests.length).toBe(2)
    for (const req of emu.requests) {
      expect(req.headers.authorization).toBe(KEY)
      expect(req.headers.capgkey).toBe(KEY)
      expect(req.headers['user-agent']).toBe(USER_AGENT)
      expect(req.headers['user-agent']?.startsWith(`${ACTION_NAME}/${PKG.version}`)).toBe(true)
      expect(req.headers['user-agent']?.startsWith('capgo-release/')).toBe(true)
      expect(req.headers.authorization?.startsWith('Bearer')).toBe(false)
    }
  })

  it('sends JSON bodies with a JSON content-type on POST and DELETE; GET uses the query string', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.getChannel(APP, 'production')
    await api.upsertChannel({ app_id: APP, channel: 'beta', version: '1.0.2', ios: false })
    await api.deleteChannel(APP, 'beta')
    await api.linkDevice(APP, 'dev-plain', 'qa')
    await api.unlinkDevice(APP, 'dev-plain')
    await api.deleteBundle(APP, '1.0.0')

    const [get, ...writes] = emu.requests
    expect(get?.method).toBe('GET')
    expect(get?.query).toEqual({ app_id: APP, channel: 'production' })
    expect(get?.body).toBeUndefined()
    expect(writes.map(r => `${r.method} ${r.path}`)).toEqual([
      'POST /channel',
      'DELETE /channel',
      'POST /device',
      'DELETE /device',
      'DELETE /bundle'
    ])
    for (const req of writes) {
      expect(req.headers['content-type']).toMatch(/^application\/json/)
      expect(req.query).toEqual({})
      expect(req.status).toBe(200)
    }
    expect(writes.map(r => r.body)).toEqual([
      { app_id: APP, channel: 'beta', version: '1.0.2', ios: false },
      { app_id: APP, channel: 'beta' },
      { app_id: APP, device_id: 'dev-plain', channel: 'qa' },
      { app_id: APP, device_id: 'dev-plain' },
      { app_id: APP, version: '1.0.0' }
    ])
  })

  it('uses the configured base URL, with or without a trailing slash and with a path prefix', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(`${emu.url}/`)
    expect((await api.listChannels(APP)).map(c => c.name)).toEqual([
      'production',
      'public-beta',
      'qa'
    ])

    const tiny = await tinyServer((_req, res) => json(res, 200, []))
    const selfHosted = client(`${tiny.url}/capgo/api/`)
    expect(await selfHosted.api.listChannels(APP)).toEqual([])
    expect(tiny.requests.map(r => r.url)).toEqual([`/capgo/api/channel?app_id=${APP}&page=0`])
    expect(tiny.requests[0]?.headers.capgkey).toBe(KEY)
  })
})

// ---- every route --------------------------------------------------------------------------------

describe('every route against the emulator', () => {
  it('GET /channel (list): every channel, oldest first, with version {id, name}', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const channels = await api.listChannels(APP)
    expect(channels.map(c => c.name)).toEqual(['production', 'public-beta', 'qa'])
    const production = channels[0]
    expect(production?.version?.name).toBe('1.0.4')
    expect(production?.rollout_version).toBe(emu.bundles(APP).find(b => b.name === '1.0.3')?.id)
    expect(channels[2]?.version).toBeNull()
    expect(channels[1]?.public).toBe(true)
  })

  it('GET /channel?channel=: one channel, or undefined for an unknown name (400 cannot_find_version, once)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const production = await api.getChannel(APP, 'production')
    expect(production?.name).toBe('production')
    expect(production?.version?.name).toBe('1.0.4')
    expect(await api.getChannel(APP, 'nope')).toBeUndefined()
    expect(emu.requests.map(r => r.status)).toEqual([200, 400])
    expect(waits).toEqual([])
  })

  it('POST /channel: creates a channel, then changes only the fields sent', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.upsertChannel({
      app_id: APP,
      channel: 'beta',
      version: '1.0.2',
      disableAutoUpdate: 'minor',
      android: false
    })
    let beta = emu.channel(APP, 'beta')
    expect(beta?.version?.name).toBe('1.0.2')
    expect(beta?.disableAutoUpdate).toBe('minor')
    expect(emu.channelPlatforms(APP, 'beta')?.android).toBe(false)
    expect(emu.channelPlatforms(APP, 'beta')?.ios).toBe(true)

    await api.upsertChannel({ app_id: APP, channel: 'beta', allow_dev: false })
    beta = emu.channel(APP, 'beta')
    expect(beta?.version?.name).toBe('1.0.2')
    expect(beta?.allow_dev).toBe(false)
    expect(emu.channelPlatforms(APP, 'beta')?.android).toBe(false)
    expect(hits(emu, 'POST', '/channel').map(r => r.body)).toEqual([
      {
        app_id: APP,
        channel: 'beta',
        version: '1.0.2',
        disableAutoUpdate: 'minor',
        android: false
      },
      { app_id: APP, channel: 'beta', allow_dev: false }
    ])
  })

  it('POST /channel: an unknown version on a new channel is 400 cannot_find_version, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'beta', version: '9.9.9' })
    )
    expect(error.status).toBe(400)
    expect(error.code).toBe('cannot_find_version')
    expect(error.route).toBe('POST /channel')
    expect(error.attempts).toBe(1)
    expect(error.serverMessage).toBe('Cannot find version')
    expect(error.message).toContain('cannot_find_version')
    expect(error.message).toContain('POST /channel')
    expect(hits(emu, 'POST', '/channel').length).toBe(1)
    expect(waits).toEqual([])
    expect(emu.channel(APP, 'beta')).toBeUndefined()
  })

  it('POST /channel: an unknown version on an existing channel is a 500, retried then surfaced', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url, { retries: 2 })
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'production', version: '9.9.9' })
    )
    expect(error.status).toBe(500)
    expect(error.code).toBe('unknown_error')
    expect(error.attempts).toBe(3)
    expect(hits(emu, 'POST', '/channel').length).toBe(3)
    expect(waits).toEqual([5, 10])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
  })

  it('POST /channel with a developer key on an existing channel: 400 cannot_access_app, once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'production', version: '1.0.5' }),
      DEV_KEY
    )
    expect(error.status).toBe(400)
    expect(error.code).toBe('cannot_access_app')
    expect(emu.requests.length).toBe(1)
  })

  it("DELETE /channel: 'deleted', then 'not_found' for the same name (400 cannot_find_channel, once)", async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    expect(await api.deleteChannel(APP, 'qa')).toBe('deleted')
    expect(emu.channel(APP, 'qa')).toBeUndefined()
    expect(await api.deleteChannel(APP, 'qa')).toBe('not_found')
    expect(await api.deleteChannel(APP, 'never-existed')).toBe('not_found')
    expect(hits(emu, 'DELETE', '/channel').map(r => r.status)).toEqual([200, 400, 400])
    expect(waits).toEqual([])
  })

  it('DELETE /channel with a developer key: a 400 permission refusal (permissionDenied)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(api.deleteChannel(APP, 'qa'), DEV_KEY)
    expect([error.status, error.code, error.route, error.permissionDenied]).toEqual([
      400,
      'cannot_access_app',
      'DELETE /channel',
      true
    ])
    expect(emu.requests.length).toBe(1)
    expect(emu.channel(APP, 'qa')).toBeDefined()
  })

  it("DELETE /bundle: 'deleted' soft-deletes that one bundle only", async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted')
    const all = emu.bundles(APP, { includeDeleted: true })
    expect(all.filter(b => b.deleted).map(b => b.name)).toEqual(['1.0.1'])
    expect(all.length).toBe(6)
    expect((await bundlesOf(api)).map(b => b.name)).toEqual([
      '1.0.5',
      '1.0.4',
      '1.0.3',
      '1.0.2',
      '1.0.0'
    ])
  })

  it('DELETE /bundle of an unknown or deleted version on the first attempt: CapgoError cannot_delete_version, not success', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const unknown = await failure(api.deleteBundle(APP, '7.7.7'))
    expect([unknown.status, unknown.code, unknown.route, unknown.attempts]).toEqual([
      400,
      'cannot_delete_version',
      'DELETE /bundle',
      1
    ])
    await api.deleteBundle(APP, '1.0.0')
    const again = await failure(api.deleteBundle(APP, '1.0.0'))
    expect(again.code).toBe('cannot_delete_version')
    expect(hits(emu, 'DELETE', '/bundle').map(r => r.status)).toEqual([400, 200, 400])
    expect(waits).toEqual([])
  })

  it('DELETE /bundle of a linked bundle (version or rollout_version): 400 cannot_delete_linked_version', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    for (const version of ['1.0.4', '1.0.3']) {
      const error = await failure(api.deleteBundle(APP, version))
      expect([error.status, error.code]).toEqual([400, 'cannot_delete_linked_version'])
      expect(error.message).toContain('cannot_delete_linked_version')
    }
    expect(emu.requests.length).toBe(2)
    expect(emu.bundles(APP).length).toBe(6)
  })

  it('DELETE /bundle with a developer key: 400 cannot_delete_bundle', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(api.deleteBundle(APP, '1.0.0'), DEV_KEY)
    expect([error.status, error.code]).toEqual([400, 'cannot_delete_bundle'])
    expect(emu.requests.length).toBe(1)
  })

  it('GET /device: a known device with its override; an unknown one is undefined (404, once)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const known = await api.getDevice(APP, 'dev-known')
    expect(known?.device_id).toBe('dev-known')
    expect(known?.channel).toBe('qa')
    expect((await api.getDevice(APP, 'dev-plain'))?.channel).toBeNull()
    expect(await api.getDevice(APP, 'dev-unknown')).toBeUndefined()
    expect(emu.requests.map(r => r.status)).toEqual([200, 200, 404])
    expect(emu.requests[2]?.query).toEqual({ app_id: APP, device_id: 'dev-unknown' })
    expect(waits).toEqual([])
  })

  it('GET /device: a 404 that is not device_not_found (a wrong route or base URL) is an error, not an unknown device', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(`${emu.url}/wrong-prefix`)
    const error = await failure(api.getDevice(APP, 'dev-known'))
    expect([error.status, error.code]).toEqual([404, 'not_found'])
    expect(emu.requests.length).toBe(1)
  })

  it('POST /device: sets the override and never sends version_id', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.linkDevice(APP, 'DEV-Plain', 'production')
    expect(emu.deviceOverride(APP, 'dev-plain')).toBe('production')
    const [post] = hits(emu, 'POST', '/device')
    expect(post?.body).toEqual({ app_id: APP, device_id: 'DEV-Plain', channel: 'production' })
    expect(Object.keys(post?.body as object)).not.toContain('version_id')
    expect(emu.requests.length).toBe(1)
  })

  it('POST /device to an unknown channel: CapgoError 404 channel_not_found, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const error = await failure(api.linkDevice(APP, 'dev-plain', 'nope'))
    expect([error.status, error.code, error.route, error.attempts]).toEqual([
      404,
      'channel_not_found',
      'POST /device',
      1
    ])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })

  it('POST /device to a public channel: CapgoError 400 public_channel_override, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.linkDevice(APP, 'dev-plain', 'public-beta'))
    expect([error.status, error.code]).toEqual([400, 'public_channel_override'])
    expect(emu.requests.length).toBe(1)
    expect(emu.deviceOverride(APP, 'dev-plain')).toBeUndefined()
  })

  it('DELETE /device: removes the override, and is safe to repeat', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.unlinkDevice(APP, 'dev-known')
    expect(emu.deviceOverride(APP, 'dev-known')).toBeUndefined()
    await api.unlinkDevice(APP, 'dev-known')
    await api.unlinkDevice(APP, 'never-seen')
    expect(hits(emu, 'DELETE', '/device').map(r => r.status)).toEqual([200, 200, 200])
  })

  it('400 invalid_app_id and 400 cannot_access_app are refusals, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const invalid = await failure(api.listBundles('not-an-app-id'))
    expect([invalid.status, invalid.code, invalid.route]).toEqual([
      400,
      'invalid_app_id',
      'GET /bundle'
    ])
    const other = await failure(api.listChannels('com.other.app'))
    expect([other.status, other.code, other.route]).toEqual([
      400,
      'cannot_access_app',
      'GET /channel'
    ])
    expect(emu.requests.length).toBe(2)
    expect(waits).toEqual([])
  })

  it('401 invalid_apikey is never retried, and the wrong key is not in the error', async () => {
    for (const call of [
      (api: HttpCapgoApi) => api.listBundles(APP),
      (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0'),
      (api: HttpCapgoApi) => api.linkDevice(APP, 'dev-plain', 'qa')
    ]) {
      const emu = await start({ apps: [standardApp()] })
      const { api, waits } = client(emu.url, { apiKey: WRONG_KEY })
      const error = await failure(call(api), WRONG_KEY)
      expect([error.status, error.code, error.attempts]).toEqual([401, 'invalid_apikey', 1])
      expect(error.message).toContain('api_key')
      expect(emu.requests.length).toBe(1)
      expect(waits).toEqual([])
    }
  })

  it('after a 401 the client sends nothing more with that key', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: WRONG_KEY })
    await failure(api.listChannels(APP), WRONG_KEY)
    for (const call of [() => api.listBundles(APP), () => api.deleteBundle(APP, '1.0.0')]) {
      const error = await failure(call(), WRONG_KEY)
      expect([error.status, error.attempts]).toEqual([401, 0])
      expect(error.message).toContain('api_key')
    }
    expect(emu.requests.length).toBe(1)
  })

  it('401 no_key_provided for an empty key, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: '' })
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code]).toEqual([401, 'no_key_provided'])
    expect(emu.requests.length).toBe(1)
  })

  it('a 404 for a wrong route is never retried', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(`${emu.url}/v2`)
    const error = await failure(api.listBundles(APP))
    expect([error.status, error.code, error.attempts]).toEqual([404, 'not_found', 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })
})

// ---- listing ------------------------------------------------------------------------------------

const SIZES = [0, 1, 49, 50, 51, 1000, 10_000]

/**
 * The pages a client reading "the page that starts right after the last row received" asks for,
 * from the emulator's arithmetic: page P starts at row 50P and holds up to (10P + 1) * 50 - 50P
 * rows with the defect (P >= 1), capped at `maxRows`; 50 without it. `rowsAt` overrides the count.
 */
function expectedPages(
  n: number,
  options: { defect: boolean; maxRows?: number; rowsAt?: number; endIsError?: boolean }
): number[] {
  const pages: number[] = []
  for (let page = 0; ;) {
    pages.push(page)
    const start = page * PAGE_SIZE
    if (start >= n) return pages
    const length =
      options.rowsAt ??
      Math.min(
        options.defect && page >= 1 ? (10 * page + 1) * 50 - 50 * page : PAGE_SIZE,
        options.maxRows ?? 1000
      )
    const rows = Math.min(length, n - start)
    if (rows < PAGE_SIZE) return pages
    page = Math.floor((start + rows) / PAGE_SIZE)
  }
}

/** How often each id was sent by the server across all GET /bundle answers is not logged; the
 * client's result must hold each live bundle exactly once, in the emulator's order. */
function expectExactly(bundles: Bundle[], emu: Emulator): void {
  const ids = bundles.map(b => b.id)
  expect(new Set(ids).size).toBe(ids.length)
  expect(ids).toEqual(emu.bundles(APP).map(b => b.id))
}

describe.each([true, false])('listing with pagingDefect=%s', pagingDefect => {
  it.each(SIZES)(
    'listBundles with %i bundles: every bundle once, newest first, from the page after the last row',
    async n => {
      const emu = await start({ pagingDefect, apps: [{ app_id: APP, bundles: n }] })
      const { api } = client(emu.url)
      const bundles = await bundlesOf(api)
      expectExactly(bundles, emu)
      for (let i = 1; i < bundles.length; i++) {
        const newer = bundles[i - 1]
        const older = bundles[i]
        expect(Date.parse(newer?.created_at ?? '') >= Date.parse(older?.created_at ?? '')).toBe(
          true
        )
      }
      const gets = hits(emu, 'GET', '/bundle')
      expect(emu.requests.length).toBe(gets.length)
      expect(gets.map(r => Number(r.query.page))).toEqual(
        expectedPages(n, { defect: pagingDefect })
      )
      expect(gets.every(r => r.query.app_id === APP)).toBe(true)
      // Ended by a short page, or by 400 cannot_get_bundle past the end.
      const last = gets[gets.length - 1]
      expect(last?.status).toBe(n % PAGE_SIZE === 0 ? 400 : 200)
      if (n === 10_000) {
        // With the defect about 10,000 / 1,000 pages; without it, 50 a page.
        if (pagingDefect) expect(gets.length).toBeLessThanOrEqual(15)
        else expect(gets.length).toBe(201)
      }
    }
  )

  it.each([0, 1, 50, 51, 120])(
    'listChannels with %i channels: every channel once, oldest first',
    async n => {
      const emu = await start({
        pagingDefect,
        apps: [
          {
            app_id: APP,
            bundles: 1,
            channels: Array.from({ length: n }, (_, i) => ({ name: `ch-${i}` }))
          }
        ]
      })
      const { api } = client(emu.url)
      const channels = await api.listChannels(APP)
      expect(channels.map(c => c.name)).toEqual(Array.from({ length: n }, (_, i) => `ch-${i}`))
      expect(new Set(channels.map(c => c.id)).size).toBe(n)
      expect(hits(emu, 'GET', '/channel').map(r => Number(r.query.page))).toEqual(
        expectedPages(n, { defect: pagingDefect })
      )
      expect(emu.requests.length).toBe(hits(emu, 'GET', '/channel').length)
    }
  )

  it('an extra-rows answer (120 rows a page) still gives exactly the right bundles and channels, every row used', async () => {
    const emu = await start({
      pagingDefect,
      apps: [
        {
          app_id: APP,
          bundles: 237,
          channels: Array.from({ length: 130 }, (_, i) => ({ name: `ch-${i}` }))
        }
      ],
      faults: [{ kind: 'extra-rows' }]
    })
    const { api } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    const channels = await api.listChannels(APP)
    expect(channels.map(c => c.name)).toEqual(Array.from({ length: 130 }, (_, i) => `ch-${i}`))
    expect(emu.requests.every(r => r.fault === 'extra-rows')).toBe(true)
    // 0..119, then page 2 (100..219), then page 4 (200..236): rows past the first 50 are used.
    expect(hits(emu, 'GET', '/bundle').map(r => Number(r.query.page))).toEqual([0, 2, 4])
    expect(hits(emu, 'GET', '/channel').map(r => Number(r.query.page))).toEqual([0, 2])
  })

  it.each([
    [0, 4],
    [49, 4],
    [50, 4],
    [120, 4],
    [2000, 4],
    [2000, 8],
    [10_000, 8]
  ])(
    'listBundles with %i bundles, %i pages at a time: complete, in order, pages 0 and 1 alone',
    async (n, listConcurrency) => {
      const emu = await start({ pagingDefect, apps: [{ app_id: APP, bundles: n }] })
      const { api } = client(emu.url, { listConcurrency })
      expectExactly(await bundlesOf(api), emu)
      const gets = hits(emu, 'GET', '/bundle')
      const pages = gets.map(r => Number(r.query.page))
      const sequential = expectedPages(n, { defect: pagingDefect })
      expect(pages.slice(0, 2)).toEqual(sequential.slice(0, 2))
      expect(new Set(pages).size).toBe(pages.length)
      if (pagingDefect && n > 100) {
        // Page 1 held more than 50 rows: one page at a time, from the page after the last row.
        expect(pages).toEqual(sequential)
      } else {
        // A server that pages by 50: windows of listConcurrency pages; past the end of the list,
        // at most one window minus one page is asked in vain.
        expect(pages.length).toBeGreaterThanOrEqual(sequential.length)
        expect(pages.length).toBeLessThanOrEqual(sequential.length + listConcurrency - 1)
        if (n >= 2000) {
          // Requests of one window overlap in time: the window's pages arrive before the first
          // page of the window is answered... at least they are all sent.
          expect(Math.max(...pages)).toBeGreaterThanOrEqual(Math.floor(n / PAGE_SIZE))
        }
      }
    }
  )

  it('leaves out soft-deleted bundles', async () => {
    const emu = await start({
      pagingDefect,
      apps: [
        {
          app_id: APP,
          bundles: Array.from({ length: 120 }, (_, i) => ({
            name: `2.0.${i}`,
            deleted: i % 3 === 0
          }))
        }
      ]
    })
    const { api } = client(emu.url)
    const bundles = await bundlesOf(api)
    expect(bundles.length).toBe(80)
    expect(bundles.every(b => !b.deleted)).toBe(true)
    expectExactly(bundles, emu)
  })
})

describe('listing at the floor', () => {
  it.each([true, false])(
    'maxRows 999 (pages not a multiple of 50), defect %s: every bundle once, overlapping rows de-duplicated',
    async pagingDefect => {
      const emu = await start({
        pagingDefect,
        maxRows: 999,
        apps: [{ app_id: APP, bundles: 10_000 }]
      })
      const { api } = client(emu.url)
      expectExactly(await bundlesOf(api), emu)
      const pages = hits(emu, 'GET', '/bundle').map(r => Number(r.query.page))
      expect(pages).toEqual(expectedPages(10_000, { defect: pagingDefect, maxRows: 999 }))
      if (pagingDefect) expect(pages.length).toBeLessThanOrEqual(15)
    }
  )

  it('10,000 bundles with the defect: about one read per row (each row sent at most twice)', async () => {
    const emu = await start({ pagingDefect: true, apps: [{ app_id: APP, bundles: 10_000 }] })
    const sent: number[] = []
    emu.addFault({
      kind: 'status',
      path: '/bundle',
      when: req => {
        const page = Number(req.query.page)
        const start = page * PAGE_SIZE
        const length = page === 0 ? 50 : Math.min(1000, (10 * page + 1) * 50 - 50 * page)
        sent.push(Math.max(0, Math.min(length, 10_000 - start)))
        return false
      }
    })
    const { api } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(sent.reduce((a, b) => a + b, 0)).toBe(10_000)
  })

  it('a listing that never ends is stopped by the page guard', async () => {
    let id = 0
    const tiny = await tinyServer((_req, res) =>
      json(
        res,
        200,
        Array.from({ length: 1000 }, () => ({
          id: ++id,
          name: `n${id}`,
          created_at: new Date(1e12 - id * 1000).toISOString()
        }))
      )
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('invalid_response')
    expect(error.message).toMatch(/never ends/)
    // 20 pages a request: the guard on page numbers ends it at MAX_PAGES / 20 requests.
    expect(tiny.requests.length).toBeLessThanOrEqual(1001)
  })

  it('a row without a numeric id fails the listing', async () => {
    const tiny = await tinyServer((_req, res) =>
      json(res, 200, [{ id: 'x', name: 'a', created_at: 'b' }])
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('invalid_response')
  })

  it('100,000 bundles list with the defect in few requests and well under 500 MB', async () => {
    // A server of our own that computes rows from their offset (the emulator would hold its own
    // copy of 100,000 rows in this process and blur the measure).
    const total = 100_000
    const base = Date.parse('2026-01-01T00:00:00Z')
    const tiny = await tinyServer((req, res) => {
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page'))
      const start = page * PAGE_SIZE
      const length = page === 0 ? 50 : Math.min(1000, (10 * page + 1) * 50 - 50 * page)
      if (start >= total) return json(res, 400, { error: 'cannot_get_bundle', message: 'none' })
      const rows = Array.from({ length: Math.min(length, total - start) }, (_, i) => {
        const offset = start + i
        return {
          id: total - offset,
          name: `1.0.${total - offset}`,
          app_id: APP,
          created_at: new Date(base - offset * 1000).toISOString(),
          updated_at: new Date(base - offset * 1000).toISOString(),
          deleted: false,
          checksum: 'c'.repeat(64),
          external_url: null,
          min_update_version: null,
          native_packages: [],
          owner_org: '00000000-0000-0000-0000-000000000000',
          r2_path: `orgs/x/apps/${APP}/${offset}.zip`,
          session_key: null,
          storage_provider: 'r2',
          user_id: '00000000-0000-0000-0000-000000000001',
          link: null,
          comment: null
        }
      })
      json(res, 200, rows)
    })
    const { api } = client(tiny.url)
    global.gc?.()
    const before = process.memoryUsage().heapUsed
    const bundles = await bundlesOf(api)
    const after = process.memoryUsage().heapUsed
    expect(bundles.length).toBe(total)
    expect(new Set(bundles.map(b => b.id)).size).toBe(total)
    expect(tiny.requests.length).toBeLessThanOrEqual(105)
    expect(after - before).toBeLessThan(500 * 1024 * 1024)
  }, 60_000)
})

describe('ties in upload time across page boundaries', () => {
  /** `count` bundles in groups of `run` with the same created_at, newest group first. */
  function tiedBundles(count: number, run: number): SeedApp['bundles'] {
    const base = Date.parse('2026-01-01T00:00:00Z')
    return Array.from({ length: count }, (_, i) => ({
      name: `3.0.${i}`,
      created_at: new Date(base + Math.floor(i / run) * 60_000).toISOString()
    }))
  }

  it('no tie at a boundary: one listing, no warning', async () => {
    const emu = await start({
      tieOrder: 'shuffle',
      apps: [{ app_id: APP, bundles: tiedBundles(300, 5) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    expect(listing.warnings).toEqual([])
    expect(new Set(listing.bundles.map(b => b.id))).toEqual(
      new Set(emu.bundles(APP).map(b => b.id))
    )
    // Runs of 5 never straddle a multiple of 50: pages 0, 1 (rows 50..299), 6 (the end): once.
    expect(hits(emu, 'GET', '/bundle').map(r => r.query.page)).toEqual(['0', '1', '6'])
  })

  it('ties at a boundary in a stable order: re-read once, same set, no warning', async () => {
    const emu = await start({
      tieOrder: 'stable',
      apps: [{ app_id: APP, bundles: tiedBundles(300, 7) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    expect(listing.warnings).toEqual([])
    expectExactly(listing.bundles, emu)
    expect(hits(emu, 'GET', '/bundle').map(r => r.query.page)).toEqual([
      '0',
      '1',
      '6',
      '0',
      '1',
      '6'
    ])
  })

  it('ties shuffled per request: the union of re-reads holds every bundle once and never one that is not there', async () => {
    const emu = await start({
      tieOrder: 'shuffle',
      seed: 7,
      pagingDefect: false,
      apps: [{ app_id: APP, bundles: tiedBundles(400, 20) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    const live = new Set(emu.bundles(APP).map(b => b.id))
    const ids = listing.bundles.map(b => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(live.has(id)).toBe(true)
    const listings = hits(emu, 'GET', '/bundle').filter(r => r.query.page === '0').length
    expect(listings).toBeGreaterThanOrEqual(2)
    expect(listings).toBeLessThanOrEqual(4)
    if (ids.length < live.size) expect(listing.warnings.join(' ')).toMatch(/incomplete/)
  })

  it('a boundary tie that skips a row: the re-read finds it, and the listing settles', async () => {
    // Page 0 has 50 rows, page 1 is short. Rows 49 and 50 share created_at; the first listing
    // shows row A on both sides (B is missed), later listings show A then B.
    const t = (i: number): string =>
      new Date(Date.parse('2026-01-01T00:00:00Z') - i * 1000).toISOString()
    const row = (id: number, created: string): object => ({
      id,
      name: `v${id}`,
      created_at: created
    })
    const head = Array.from({ length: 49 }, (_, i) => row(i + 1, t(i)))
    let listing = 0
    const tiny = await tinyServer((req, res) => {
      const page = new URL(req.url ?? '', 'http://x').searchParams.get('page')
      if (page === '0') {
        listing++
        return json(res, 200, [...head, row(100, t(49))])
      }
      const second = listing === 1 ? row(100, t(49)) : row(101, t(49))
      return json(res, 200, [second, row(102, t(60))])
    })
    const { api } = client(tiny.url)
    const result = await api.listBundles(APP)
    expect(result.warnings).toEqual([])
    expect(result.bundles.map(b => b.id)).toEqual([...head.map((_, i) => i + 1), 100, 101, 102])
    expect(listing).toBe(3)
  })

  it('a boundary tie that never settles: every bundle seen is kept, with a warning', async () => {
    const t = (i: number): string =>
      new Date(Date.parse('2026-01-01T00:00:00Z') - i * 1000).toISOString()
    const row = (id: number, created: string): object => ({
      id,
      name: `v${id}`,
      created_at: created
    })
    const head = Array.from({ length: 49 }, (_, i) => row(i + 1, t(i)))
    let listing = 0
    const tiny = await tinyServer((req, res) => {
      const page = new URL(req.url ?? '', 'http://x').searchParams.get('page')
      if (page === '0') {
        listing++
        return json(res, 200, [...head, row(100, t(49))])
      }
      // Each listing shows a different second row of the tie.
      return json(res, 200, [row(100 + listing * 2, t(49))])
    })
    const { api } = client(tiny.url)
    const result = await api.listBundles(APP)
    expect(listing).toBe(4)
    expect(result.warnings.length).toBe(1)
    expect(result.warnings[0]).toMatch(/incomplete/)
    expect(result.warnings[0]).toMatch(/created_at/)
    const ids = result.bundles.map(b => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of [100, 102, 104, 106, 108]) expect(ids).toContain(id)
  })
})

describe('listing with failures mid-way', () => {
  it('a 503 on one page is retried and the listing is still complete', async () => {
    const emu = await start({ pagingDefect: false, apps: [{ app_id: APP, bundles: 160 }] })
    emu.addFault({ kind: 'status', status: 503, path: '/bundle', skip: 2, count: 2 })
    const { api, waits } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(emu.requests.map(r => `${r.query.page}:${r.status}`)).toEqual([
      '0:200',
      '1:200',
      '2:503',
      '2:503',
      '2:200',
      '3:200'
    ])
    expect(waits).toEqual([5, 10])
  })

  it('a truncated page is retried', async () => {
    const emu = await start({ apps: [{ app_id: APP, bundles: 75 }] })
    emu.addFault({ kind: 'truncated', path: '/bundle', count: 1 })
    const { api, waits } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(emu.requests.map(r => r.query.page)).toEqual(['0', '0', '1'])
    expect(emu.requests[0]?.fault).toBe('truncated')
    expect(waits).toEqual([5])
  })
})

// ---- retries ------------------------------------------------------------------------------------

describe('retries and waits', () => {
  it.each([500, 502, 503, 504])(
    'a %i streak longer than retries: retries+1 attempts, exponential waits, then a CapgoError',
    async status => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind: 'status', status, path: '/channel' })
      const { api, waits, events } = client(emu.url, { retries: 4 })
      const error = await failure(api.listChannels(APP))
      expect(error.status).toBe(status)
      expect(error.code).toBe(
        {
          500: 'unknown_error',
          502: 'bad_gateway',
          503: 'service_unavailable',
          504: 'gateway_timeout'
        }[status]
      )
      expect(error.attempts).toBe(5)
      expect(error.route).toBe('GET /channel')
      expect(error.message).toContain('5 attempts')
      expect(emu.requests.length).toBe(5)
      // base 5, doubling, capped at 20 (random fixed at 0.5: no jitter).
      expect(waits).toEqual([5, 10, 20, 20])
      expect(events.map(e => [e.route, e.attempt, e.waitMs])).toEqual([
        ['GET /channel', 1, 5],
        ['GET /channel', 2, 10],
        ['GET /channel', 3, 20],
        ['GET /channel', 4, 20]
      ])
    }
  )

  it('retries = 0 makes exactly one attempt', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500 })
    const { api, waits } = client(emu.url, { retries: 0 })
    const error = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([error.status, error.attempts]).toEqual([500, 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })

  it('a 5xx streak shorter than retries ends in success', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500, path: '/channel', count: 3 })
    const { api, waits } = client(emu.url, { retries: 3 })
    expect((await api.getChannel(APP, 'qa'))?.name).toBe('qa')
    expect(emu.requests.map(r => r.status)).toEqual([500, 500, 500, 200])
    expect(waits).toEqual([5, 10, 20])
  })

  it('backoff has jitter: each wait is 50%..150% of its step', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 502 })
    const { api, waits } = client(emu.url, {
      retries: 5,
      backoffBaseMs: 40,
      backoffMaxMs: 200,
      random: Math.random
    })
    await failure(api.listChannels(APP))
    const steps = [40, 80, 160, 200, 200]
    expect(waits.length).toBe(5)
    waits.forEach((wait, i) => {
      const step = steps[i] ?? 0
      expect(wait).toBeGreaterThanOrEqual(Math.floor(step * 0.5))
      expect(wait).toBeLessThanOrEqual(Math.ceil(step * 1.5))
    })
    const low = client(emu.url, { retries: 1, random: () => 0 })
    await failure(low.api.listChannels(APP))
    expect(low.waits).toEqual([3]) // round(5 * 0.5)
  })

  it('429 waits Retry-After (2 s -> 2000 ms plus the margin) and then succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 2, count: 1 })
    const { api, waits, events } = client(emu.url, { maxRetryAfterMs: 2000 })
    expect((await api.listChannels(APP)).length).toBe(3)
    expect(waits).toEqual([2000 + RATE_LIMIT_MARGIN_MS])
    expect(events[0]?.reason).toContain('too_many_requests')
    expect(emu.requests.map(r => r.status)).toEqual([429, 200])
  })

  it('429 asking longer than maxRetryAfterMs fails clearly at once and stops the client', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 120, count: 2 })
    const { api, waits } = client(emu.url, { maxRetryAfterMs: 1500 })
    const error = await failure(api.unlinkDevice(APP, 'dev-known'))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 1])
    expect(error.message).toContain('2 min')
    expect(error.message).toMatch(/longer than/)
    expect(waits).toEqual([])
    const later = await failure(api.listChannels(APP))
    expect([later.status, later.attempts]).toEqual([429, 0])
    expect(later.message).toMatch(/stopped/)
    expect(emu.requests.map(r => r.status)).toEqual([429])
  })

  it('429 without Retry-After falls back to moreInfo.retryAfterSeconds', async () => {
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls === 1) {
        json(res, 429, {
          error: 'too_many_requests',
          message: 'slow down',
          moreInfo: { retryAfterSeconds: 3 }
        })
      } else json(res, 200, [])
    })
    const { api, waits } = client(tiny.url)
    expect(await api.listChannels(APP)).toEqual([])
    expect(waits).toEqual([3000 + RATE_LIMIT_MARGIN_MS])
    expect(tiny.requests.length).toBe(2)
  })

  it.each([
    [
      'Retry-After as an HTTP date',
      (now: number) => ({ 'retry-after': new Date(now + 4000).toUTCString() }),
      {}
    ],
    [
      'X-RateLimit-Reset (epoch seconds)',
      (now: number) => ({ 'x-ratelimit-reset': String(now / 1000 + 4) }),
      {}
    ],
    ['moreInfo.rateLimitResetAt (epoch ms)', () => ({}), { rateLimitResetAt: 4000 }],
    [
      'the latest of several',
      (now: number) => ({ 'retry-after': '1', 'x-ratelimit-reset': String(now / 1000 + 4) }),
      { retryAfterSeconds: 2 }
    ]
  ] as const)('429 with %s: the gate opens at that time', async (_label, headers, moreInfo) => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls > 1) return json(res, 200, [])
      const info = 'rateLimitResetAt' in moreInfo ? { rateLimitResetAt: now + 4000 } : moreInfo
      json(res, 429, { error: 'too_many_requests', moreInfo: info }, headers(now))
    })
    const { api, waits } = client(tiny.url, { now: () => now })
    expect(await api.listChannels(APP)).toEqual([])
    // An HTTP date has whole seconds: 4 s from a whole-second now.
    expect(waits).toEqual([4000 + RATE_LIMIT_MARGIN_MS])
  })

  it('429 with neither Retry-After nor retryAfterSeconds waits the base backoff', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, count: 1 })
    const { api, waits } = client(emu.url)
    await api.listChannels(APP)
    expect(waits).toEqual([5 + RATE_LIMIT_MARGIN_MS])
    expect(emu.requests.length).toBe(2)
  })

  it('429 streak longer than retries: a CapgoError 429 too_many_requests', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1 })
    const { api, waits } = client(emu.url, { retries: 2 })
    const error = await failure(api.getDevice(APP, 'dev-known'))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 3])
    // The last 429 closes the gate too (for any other request), though this one gives up.
    expect(waits).toEqual([1000, 1000, 1000].map(ms => ms + RATE_LIMIT_MARGIN_MS))
    expect(emu.requests.length).toBe(3)
  })

  it("the emulator's own rate limit: waits its reset (on a fake clock) and goes on", async () => {
    const clock = { t: Date.parse('2026-03-01T00:00:00Z') }
    const emu = await start({ rateLimit: { max: 3 }, now: () => clock.t, apps: [standardApp()] })
    const { api, waits } = client(emu.url, {
      maxRetryAfterMs: 120_000,
      now: () => clock.t,
      onSleep: ms => void (clock.t += ms)
    })
    await api.getChannel(APP, 'qa')
    await api.getChannel(APP, 'qa')
    expect((await api.getChannel(APP, 'production'))?.name).toBe('production')
    expect(emu.requests.map(r => r.status)).toEqual([200, 200, 429, 200])
    expect(waits).toEqual([60_000 + RATE_LIMIT_MARGIN_MS])
  })

  it("the emulator's own rate limit with a cap shorter than its window: fails clearly, no hammering", async () => {
    const clock = { t: Date.parse('2026-03-01T00:00:00Z') }
    const emu = await start({ rateLimit: { max: 2 }, now: () => clock.t, apps: [standardApp()] })
    const { api, waits } = client(emu.url, {
      maxRetryAfterMs: 1500,
      retries: 3,
      now: () => clock.t,
      onSleep: ms => void (clock.t += ms)
    })
    await api.listChannels(APP)
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 1])
    expect(error.message).toContain('1 min')
    expect(waits).toEqual([])
    expect(emu.requests.map(r => r.status)).toEqual([200, 429])
  })

  it.each([
    ['400', 400, 'cannot_delete_version'],
    ['401', 401, 'invalid_apikey'],
    ['404', 404, 'channel_not_found']
  ] as const)('%s is never retried', async (_label, status, code) => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits, events } = client(emu.url, {
      retries: 5,
      ...(status === 401 ? { apiKey: WRONG_KEY } : {})
    })
    const call =
      status === 404 ? api.linkDevice(APP, 'dev-plain', 'nope') : api.deleteBundle(APP, '8.8.8')
    const error = await failure(call, status === 401 ? WRONG_KEY : KEY)
    expect([error.status, error.code, error.attempts]).toEqual([status, code, 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
    expect(events).toEqual([])
  })

  it('an HTML 502 page is retried; when it persists the error says HTML and does not quote the page', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'html', count: 1 })
    const { api, waits } = client(emu.url, { retries: 2 })
    expect((await api.listChannels(APP)).length).toBe(3)
    expect(emu.requests.map(r => r.status)).toEqual([502, 200])
    expect(waits).toEqual([5])

    emu.clearLog()
    emu.addFault({ kind: 'html' })
    const error = await failure(api.listChannels(APP))
    expect(error.status).toBe(502)
    expect(error.message).toMatch(/HTML/)
    expect(error.message).not.toContain('<html')
    expect(error.message).not.toContain('Bad Gateway')
    expect(error.serverMessage ?? '').not.toContain('<')
    expect(emu.requests.length).toBe(3)
  })

  it('a slow answer (longer than timeoutMs) times out and the retry succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'slow', delayMs: 1500, path: '/channel', count: 1 })
    const { api, waits, events } = client(emu.url, { timeoutMs: 150 })
    expect((await api.getChannel(APP, 'qa'))?.name).toBe('qa')
    expect(emu.requests.length).toBe(2)
    expect(emu.requests[0]?.fault).toBe('slow')
    expect(waits).toEqual([5])
    expect(events[0]?.reason).toContain('no complete answer within 0.15 s')
  })

  it('timeouts on every attempt: a CapgoError timeout with no status', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'slow', delayMs: 1500 })
    const { api, waits } = client(emu.url, { timeoutMs: 100, retries: 1 })
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('timeout')
    expect(error.status).toBeUndefined()
    expect(error.attempts).toBe(2)
    expect(error.message).toContain('no complete answer within 0.1 s')
    expect(emu.requests.length).toBe(2)
    expect(waits).toEqual([5])
  })

  it('a body that trickles in for longer than timeoutMs is a timeout', async () => {
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls > 1) return json(res, 200, [])
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      const timer = setInterval(() => res.write(' '), 20)
      res.on('close', () => clearInterval(timer))
    })
    const { api, waits, events } = client(tiny.url, { timeoutMs: 150 })
    expect(await api.listChannels(APP)).toEqual([])
    expect(tiny.requests.length).toBe(2)
    expect(waits).toEqual([5])
    expect(events[0]?.reason).toContain('no complete answer within 0.15 s')
  })

  it('a refused connection is a network_error, retried with backoff', async () => {
    const { api, waits } = client(await closedPortUrl(), { retries: 2 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('network_error')
    expect(error.status).toBeUndefined()
    expect(error.attempts).toBe(3)
    expect(waits).toEqual([5, 10])
  })

  it("drop-before on DELETE /bundle: retried, 'deleted'", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-before', method: 'DELETE', path: '/bundle', count: 1 })
    const { api, waits } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted')
    expect(hits(emu, 'DELETE', '/bundle').map(r => [r.fault, r.status])).toEqual([
      ['drop-before', 0],
      [undefined, 200]
    ])
    expect(
      emu
        .bundles(APP, { includeDeleted: true })
        .filter(b => b.deleted)
        .map(b => b.name)
    ).toEqual(['1.0.1'])
    expect(waits).toEqual([5])
  })

  it("drop-after on DELETE /bundle: retried, 'deleted_on_retry', the bundle soft-deleted exactly once", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    const before = emu.bundles(APP).find(b => b.name === '1.0.1')
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted_on_retry')
    const deletes = hits(emu, 'DELETE', '/bundle')
    expect(deletes.map(r => [r.fault, r.status])).toEqual([
      ['drop-after', 200],
      [undefined, 400]
    ])
    expect(
      deletes.every(
        r => JSON.stringify(r.body) === JSON.stringify({ app_id: APP, version: '1.0.1' })
      )
    ).toBe(true)
    const all = emu.bundles(APP, { includeDeleted: true })
    expect(all.filter(b => b.deleted).map(b => b.id)).toEqual([before?.id])
    expect(all.length).toBe(6)
  })

  it("a truncated answer to DELETE /bundle: retried, 'deleted_on_retry'", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'truncated', method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.2')).toBe('deleted_on_retry')
    expect(emu.bundles(APP).map(b => b.name)).not.toContain('1.0.2')
    expect(emu.bundles(APP).length).toBe(5)
  })

  it("a 500 on DELETE /bundle then cannot_delete_version: 'deleted_on_retry' (a 5xx may have acted)", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500, method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '6.6.6')).toBe('deleted_on_retry')
    expect(hits(emu, 'DELETE', '/bundle').map(r => r.status)).toEqual([500, 400])
  })

  it('a 429 on DELETE /bundle then cannot_delete_version is an error (a 429 did nothing)', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 })
    const { api, waits } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '6.6.6'))
    expect([error.status, error.code]).toEqual([400, 'cannot_delete_version'])
    expect(waits).toEqual([1000 + RATE_LIMIT_MARGIN_MS])
    expect(emu.requests.map(r => r.status)).toEqual([429, 400])
  })

  it("drop-after on DELETE /channel: retried, 'deleted' (not 'not_found')", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'DELETE', path: '/channel', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteChannel(APP, 'qa')).toBe('deleted')
    expect(hits(emu, 'DELETE', '/channel').map(r => r.status)).toEqual([200, 400])
    expect(emu.channel(APP, 'qa')).toBeUndefined()
  })

  it('drop-after on POST /channel: the upsert is retried and applied', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'POST', path: '/channel', count: 1 })
    const { api } = client(emu.url)
    await api.upsertChannel({ app_id: APP, channel: 'production', version: '1.0.5' })
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.5')
    expect(hits(emu, 'POST', '/channel').map(r => r.status)).toEqual([200, 200])
  })

  it('drop-after on POST /device: the retry meets the 60 s rule (429), the client checks the device and succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'POST', path: '/device', count: 1 })
    const { api, waits } = client(emu.url)
    await api.linkDevice(APP, 'dev-plain', 'production')
    expect(emu.requests.map(r => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /device 200',
      'POST /device 429',
      'GET /device 200'
    ])
    expect(emu.deviceOverride(APP, 'dev-plain')).toBe('production')
    expect(waits).toEqual([5])
  })
})

// ---- the key ------------------------------------------------------------------------------------

describe('the key never appears in an error', () => {
  it('echo-key: the key the server sends back is redacted from message, serverMessage and code', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'echo-key' })
    const { api } = client(emu.url, { retries: 1 })
    for (const call of [
      () => api.listBundles(APP),
      () => api.deleteBundle(APP, '1.0.0'),
      () => api.upsertChannel({ app_id: APP, channel: 'qa', version: '1.0.0' })
    ]) {
      const error = await failure(call())
      expect(error.status).toBe(500)
      expect(error.code).toBe('unknown_error')
      expect(error.serverMessage).toContain('***')
      expect(error.message).toContain('***')
    }
    expect(emu.requests.every(r => r.fault === 'echo-key')).toBe(true)
    expect(emu.requests.length).toBe(6)
  })

  it('redacts the key from the error code, and URL-encoded or JSON-escaped copies of it', async () => {
    const tiny = await tinyServer((req, res) => {
      if (req.url?.startsWith('/channel')) {
        json(res, 400, {
          error: `bad_key_${KEY}`,
          message: `key ${KEY} / ${encodeURIComponent(KEY)} / ${JSON.stringify(KEY)}`,
          moreInfo: { key: KEY }
        })
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`crash with\n key=${KEY}`)
      }
    })
    const { api } = client(tiny.url, { retries: 1 })
    const refused = await failure(api.listChannels(APP))
    expect(refused.status).toBe(400)
    expect(refused.code).toBe('bad_key_***')
    expect(tiny.requests.length).toBe(1)
    const crashed = await failure(api.deleteBundle(APP, '1.0.0'))
    expect(crashed.status).toBe(500)
    expect(crashed.code).toBe('http_500')
    expect(crashed.serverMessage).toBe('crash with key=***')
    expect(tiny.requests.length).toBe(3)
  })

  it('a long server message is shortened', async () => {
    const tiny = await tinyServer((_req, res) =>
      json(res, 400, { error: 'cannot_get_channel', message: 'x'.repeat(5000) })
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listChannels(APP))
    expect((error.serverMessage ?? '').length).toBeLessThan(400)
    expect(error.message.length).toBeLessThan(600)
  })
})

// ---- redirects ----------------------------------------------------------------------------------

describe('redirects are not followed', () => {
  it.each([
    [302, 'GET', (api: HttpCapgoApi) => api.listChannels(APP)],
    [307, 'DELETE', (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0')],
    [301, 'POST', (api: HttpCapgoApi) => api.linkDevice(APP, 'dev-plain', 'qa')]
  ] as const)(
    '%i on %s: CapgoError redirect_refused, the other host gets nothing',
    async (status, method, call) => {
      const other = await tinyServer((_req, res) => json(res, 200, []))
      const redirecting = await tinyServer((req, res) => {
        res.writeHead(status, { location: `${other.url}${req.url ?? '/'}&key=${KEY}` })
        res.end()
      })
      const { api, waits } = client(redirecting.url)
      const error = await failure(call(api))
      expect(error.code).toBe('redirect_refused')
      expect(error.status).toBe(status)
      expect(error.attempts).toBe(1)
      expect(error.message).toContain('redirect')
      expect(redirecting.requests.map(r => r.method)).toEqual([method])
      expect(other.requests).toEqual([])
      expect(waits).toEqual([])
    }
  )
})

// ---- guards -------------------------------------------------------------------------------------

describe('guards: refused before anything is sent', () => {
  it.each(['', '   ', '\t\n', null, undefined])('deleteBundle(%j) is refused', async version => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, version as unknown as string))
    expect([error.code, error.status, error.attempts, error.route]).toEqual([
      'refused_by_client',
      undefined,
      0,
      'DELETE /bundle'
    ])
    expect(emu.requests).toEqual([])
    expect(emu.bundles(APP).length).toBe(6)
  })

  it.each(['', '  ', null, 'unknown', 'builtin', undefined, 42])(
    'upsertChannel with version %j is refused (it would unlink the bundle)',
    async version => {
      const emu = await start({ apps: [standardApp()] })
      const { api } = client(emu.url)
      const body = { app_id: APP, channel: 'production', version } as unknown as ChannelUpsert
      const error = await failure(api.upsertChannel(body))
      expect([error.code, error.status, error.route]).toEqual([
        'refused_by_client',
        undefined,
        'POST /channel'
      ])
      expect(emu.requests).toEqual([])
      expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
    }
  )

  it('upsertChannel with an empty channel name is refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.upsertChannel({ app_id: APP, channel: ' ', public: true }))
    expect(error.code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })

  it('upsertChannel without a version sends no version field and keeps the linked bundle', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.upsertChannel({ app_id: APP, channel: 'production', ios: false })
    const [post] = emu.requests
    expect(Object.keys(post?.body as object).sort()).toEqual(['app_id', 'channel', 'ios'])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
  })

  it.each([
    [APP, 'com.example.other'],
    [APP, ''],
    [APP, ` ${APP}`],
    ['', '']
  ])('deleteAllUnlinkedBundles(%j, %j) is refused', async (appId, confirm) => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.deleteAllUnlinkedBundles(appId, confirm))
    expect([error.code, error.status]).toEqual(['refused_by_client', undefined])
    expect(emu.requests).toEqual([])
    expect(emu.bundles(APP).length).toBe(6)
  })

  it('deleteAllUnlinkedBundles with the right confirmation deletes only the unlinked bundles', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.deleteAllUnlinkedBundles(APP, APP)
    expect(emu.requests.map(r => [r.method, r.path, r.body])).toEqual([
      ['DELETE', '/bundle', { app_id: APP }]
    ])
    // 1.0.5 (public-beta), 1.0.4 (production), 1.0.3 (production's rollout) stay.
    expect(emu.bundles(APP).map(b => b.name)).toEqual(['1.0.5', '1.0.4', '1.0.3'])
  })

  it('deleteChannel with an empty name is refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect((await failure(api.deleteChannel(APP, '  '))).code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })

  it('linkDevice and unlinkDevice with an empty device id or channel are refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect((await failure(api.linkDevice(APP, '', 'qa'))).code).toBe('refused_by_client')
    expect((await failure(api.linkDevice(APP, 'dev-plain', ' '))).code).toBe('refused_by_client')
    expect((await failure(api.unlinkDevice(APP, ''))).code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })
})

// ---- the revised API: PUT /bundle, POST /bundle/metadata, rollouts, roles ----------------------

const UPLOADER_KEY = 'cgk_uploader_77aa'
const READER_KEY = 'cgk_reader_12bc'

describe('PUT /bundle, POST /bundle/metadata, rollout fields, permissions', () => {
  async function startRoles(): Promise<Emulator> {
    const emu = await startEmulator({
      keys: {
        [KEY]: 'admin',
        [DEV_KEY]: 'developer',
        [UPLOADER_KEY]: 'uploader',
        [READER_KEY]: 'reader'
      },
      apps: [standardApp()]
    })
    cleanups.push(() => emu.stop())
    return emu
  }

  it('setChannelBundle sends PUT /bundle with numeric ids, and an uploader key moves the bundle', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: UPLOADER_KEY })
    const bundle = emu.bundles(APP).find(b => b.name === '1.0.1')
    const channel = emu.channel(APP, 'production')
    await api.setChannelBundle({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      channel_id: channel?.id ?? 0
    })
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.1')
    // The rollout is left alone.
    expect(emu.channel(APP, 'production')?.rollout_version).toBe(channel?.rollout_version)
    expect(hits(emu, 'PUT', '/bundle').map(r => r.body)).toEqual([
      { app_id: APP, version_id: bundle?.id, channel_id: channel?.id }
    ])
  })

  it.each([0, -1, 1.5, Number.NaN])(
    'setChannelBundle with version_id %s is refused before sending',
    async id => {
      const emu = await startRoles()
      const { api } = client(emu.url)
      const error = await failure(
        api.setChannelBundle({ app_id: APP, version_id: id, channel_id: 1 })
      )
      expect(error.code).toBe('refused_by_client')
      expect(emu.requests.length).toBe(0)
    }
  )

  it('setChannelBundle with a reader key: a permission refusal, sent once', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: READER_KEY })
    const bundle = emu.bundles(APP)[0]
    const channel = emu.channel(APP, 'qa')
    const error = await failure(
      api.setChannelBundle({
        app_id: APP,
        version_id: bundle?.id ?? 0,
        channel_id: channel?.id ?? 0
      }),
      READER_KEY
    )
    expect(error.status).toBe(400)
    expect(error.permissionDenied).toBe(true)
    expect(emu.requests.length).toBe(1)
  })

  it('setBundleMetadata sets link and comment with an uploader key', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: UPLOADER_KEY })
    const bundle = emu.bundles(APP)[0]
    await api.setBundleMetadata({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      link: 'https://github.com/o/r/commit/abc',
      comment: 'built by CI'
    })
    const row = emu.bundles(APP).find(b => b.id === bundle?.id)
    expect([row?.link, row?.comment]).toEqual(['https://github.com/o/r/commit/abc', 'built by CI'])
    await api.setBundleMetadata({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      comment: 'only a comment'
    })
    expect(hits(emu, 'POST', '/bundle/metadata')[1]?.body).toEqual({
      app_id: APP,
      version_id: bundle?.id,
      comment: 'only a comment'
    })
  })

  it('setBundleMetadata with neither link nor comment is refused before sending', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    const error = await failure(api.setBundleMetadata({ app_id: APP, version_id: 3 }))
    expect(error.code).toBe('refused_by_client')
    expect(emu.requests.length).toBe(0)
  })

  it.each(['', '  ', null, undefined])(
    'upsertChannel with rolloutVersion %j is refused before sending',
    async rollout => {
      const emu = await startRoles()
      const { api } = client(emu.url)
      const body = {
        app_id: APP,
        channel: 'production',
        rolloutVersion: rollout
      } as unknown as ChannelUpsert
      const error = await failure(api.upsertChannel(body))
      expect(error.code).toBe('refused_by_client')
      expect(emu.requests.length).toBe(0)
    }
  )

  it('upsertChannel sends the rollout fields as given', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    await api.upsertChannel({
      app_id: APP,
      channel: 'production',
      rolloutVersion: '1.0.5',
      rolloutPercentageBps: 2500,
      rolloutEnabled: true
    })
    const row = emu.channel(APP, 'production')
    expect(row?.rollout_version_info?.name).toBe('1.0.5')
    expect([row?.rolloutPercentageBps, row?.rolloutEnabled]).toEqual([2500, true])
  })

  it.each([
    [
      'a reader deleting a bundle',
      READER_KEY,
      (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0')
    ],
    [
      'an uploader deleting a channel',
      UPLOADER_KEY,
      (api: HttpCapgoApi) => api.deleteChannel(APP, 'qa')
    ],
    [
      'a developer changing an existing channel',
      DEV_KEY,
      (api: HttpCapgoApi) => api.upsertChannel({ app_id: APP, channel: 'qa', allow_dev: false })
    ]
  ] as const)('permissionDenied is true for %s', async (_label, key, call) => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: key })
    const error = await failure(call(api), key)
    expect(error.status).toBe(400)
    expect(error.permissionDenied).toBe(true)
    expect(emu.requests.length).toBe(1)
  })

  it('permissionDenied is false for other refusals, and true for each documented code', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '9.9.9'))
    expect([error.code, error.permissionDenied]).toEqual(['cannot_delete_version', false])
    for (const code of [
      'cannot_access_app',
      'cannot_delete_bundle',
      'cannot_promote_bundle',
      'cannot_update_bundle_metadata',
      'cannot_delete_channel'
    ]) {
      expect(
        new CapgoError({ status: 400, code, route: 'X /y', message: 'm' }).permissionDenied
      ).toBe(true)
    }
  })
})

// ---- the rate-limit gate and the lockout --------------------------------------------------------

describe('rate limit: one gate for every request', () => {
  it('after a 429 no request reaches the server before the reset; at most `concurrency` 429s a block', async () => {
    const windowMs = 1000
    const emu = await start({ rateLimit: { max: 25, windowMs }, apps: [standardApp()] })
    const concurrency = 4
    const { api } = client(emu.url, { sleep: ms => pause(ms), retries: 6 })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < 60) {
        next++
        await api.getChannel(APP, 'qa')
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    const log = emu.requests
    const blocks: LoggedRequest[][] = []
    for (const [i, req] of log.entries()) {
      if (req.status !== 429) continue
      if (log[i - 1]?.status === 429) blocks[blocks.length - 1]?.push(req)
      else blocks.push([req])
    }
    expect(blocks.length).toBeGreaterThanOrEqual(2)
    for (const block of blocks) {
      expect(block.length).toBeLessThanOrEqual(concurrency)
      const last = block[block.length - 1] as LoggedRequest
      const after = log[log.indexOf(last) + 1]
      // Each 429 pushed the reset to its own arrival + windowMs: the next request comes after.
      if (after) expect(after.at).toBeGreaterThanOrEqual(last.at + windowMs)
    }
    expect(log.filter(r => r.status === 200).length).toBe(60)
  }, 30_000)

  it('requests started while the gate is closed wait before they are sent', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 })
    const { api } = client(emu.url, { sleep: ms => pause(ms) })
    const first = api.getChannel(APP, 'qa')
    // Let the 429 arrive and close the gate, then start three more.
    while (emu.requests.length === 0) await pause(5)
    await pause(50)
    const more = [api.getChannel(APP, 'qa'), api.listChannels(APP), api.getDevice(APP, 'dev-known')]
    await Promise.all([first, ...more])
    const [limited, ...rest] = emu.requests
    expect(limited?.status).toBe(429)
    for (const req of rest) expect(req.at).toBeGreaterThanOrEqual((limited?.at ?? 0) + 1000)
    expect(rest.length).toBe(4)
  })
})

describe('IP lockout (429 too_many_failed_auth_attempts)', () => {
  it('is not retried, says the IP is locked out and for how long, and stops the client', async () => {
    const emu = await start({ lockout: { failures: 3 }, apps: [standardApp()] })
    for (let i = 0; i < 3; i++) {
      const { api } = client(emu.url, { apiKey: WRONG_KEY })
      await failure(api.listChannels(APP), WRONG_KEY)
    }
    emu.clearLog()
    const { api, waits, events } = client(emu.url, { retries: 5 })
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'ip_locked_out', 1])
    expect(error.message).toMatch(/IP address is locked out by Capgo after too many failed logins/)
    expect(error.message).toMatch(/15 min/)
    expect(error.message).toMatch(/api_key/)
    expect(waits).toEqual([])
    expect(events).toEqual([])
    const later = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([later.code, later.attempts]).toEqual(['ip_locked_out', 0])
    expect(later.message).toMatch(/locked out/)
    expect(emu.requests.length).toBe(1)
  })
})

// ---- hostile answers ----------------------------------------------------------------------------

describe('a deadline for the whole attempt', () => {
  it.each(['trickle-headers', 'processing-102'] as const)(
    '%s: gives up at the deadline, then retries',
    async kind => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind, intervalMs: 50, path: '/channel', count: 1 })
      const { api, waits, events } = client(emu.url, { timeoutMs: 400 })
      expect((await api.listChannels(APP)).length).toBe(3)
      expect(emu.requests.map(r => r.fault)).toEqual([kind, undefined])
      expect(waits).toEqual([5])
      expect(events[0]?.reason).toContain('no complete answer within 0.4 s')
    }
  )

  it.each(['trickle-headers', 'processing-102'] as const)(
    '%s on every attempt: a CapgoError timeout',
    async kind => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind, intervalMs: 50 })
      const { api } = client(emu.url, { timeoutMs: 300, retries: 1 })
      const error = await failure(api.listChannels(APP))
      expect([error.code, error.status, error.attempts]).toEqual(['timeout', undefined, 2])
      expect(emu.requests.length).toBe(2)
    }
  )
  it('at the deadline the connection is closed, so a trickling server stops holding a socket', async () => {
    let closed = false
    const server = createServer((req, res) => {
      req.socket.on('close', () => (closed = true))
      const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n'
      let i = 0
      const timer = setInterval(() => {
        if (i < head.length) req.socket.write(head[i++] ?? '')
      }, 50)
      req.socket.on('close', () => clearInterval(timer))
      void res
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
    const { api } = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      timeoutMs: 300,
      retries: 0
    })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('timeout')
    for (let i = 0; i < 100 && !closed; i++) await pause(20)
    expect(closed).toBe(true)
  })
})

describe('an answer naming an error is a failure, whatever its status', () => {
  it('200 {"error":"cannot_delete_linked_version"} on DELETE /bundle is a refusal, not a deletion', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'error-200', code: 'cannot_delete_linked_version', method: 'DELETE' })
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([error.status, error.code, error.attempts]).toEqual([
      200,
      'cannot_delete_linked_version',
      1
    ])
    expect(emu.requests.length).toBe(1)
  })

  it('200 {"error": ...} on a list page fails the listing', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'error-200', code: 'unknown_error', path: '/channel' })
    const { api } = client(emu.url)
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code]).toEqual([200, 'unknown_error'])
  })

  it.each([
    [
      'a write answered with another status',
      'DELETE',
      '/channel',
      '{"status":"maybe"}',
      (api: HttpCapgoApi) => api.deleteChannel(APP, 'qa')
    ],
    [
      'a write answered with a list',
      'PUT',
      '/bundle',
      '[]',
      (api: HttpCapgoApi) => api.setChannelBundle({ app_id: APP, version_id: 1, channel_id: 1 })
    ],
    [
      'a list page that is an object',
      'GET',
      '/channel',
      '{"rows":[]}',
      (api: HttpCapgoApi) => api.listChannels(APP)
    ],
    [
      'a bundle page that is a string',
      'GET',
      '/bundle',
      '"none"',
      (api: HttpCapgoApi) => api.listBundles(APP)
    ],
    [
      'getChannel answered with a list',
      'GET',
      '/channel',
      '[]',
      (api: HttpCapgoApi) => api.getChannel(APP, 'qa')
    ],
    [
      'getDevice without device_id',
      'GET',
      '/device',
      '{"id":1}',
      (api: HttpCapgoApi) => api.getDevice(APP, 'dev-known')
    ]
  ] as const)('%s is invalid_response, not a success', async (_label, method, path, body, call) => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'body', method, path, body })
    const { api } = client(emu.url)
    const error = await failure(call(api))
    expect(error.code).toBe('invalid_response')
    expect(emu.requests.length).toBe(1)
  })

  it('PUT /bundle answered {"status":"success"} (as Capgo does) is a success', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({
      kind: 'body',
      method: 'PUT',
      path: '/bundle',
      body: '{"status":"success","message":"Bundle 1 set to channel 2"}'
    })
    const { api } = client(emu.url)
    await api.setChannelBundle({ app_id: APP, version_id: 1, channel_id: 1 })
    expect(emu.requests.length).toBe(1)
  })
})

describe('a cap on the size of an answer', () => {
  it('a 600 MB answer fails with response_too_large at the cap, not retried', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'huge-body', path: '/bundle' })
    const { api, waits } = client(emu.url, { maxResponseBytes: 1024 * 1024, timeoutMs: 20_000 })
    const error = await failure(api.listBundles(APP))
    expect([error.code, error.status, error.attempts]).toEqual(['response_too_large', undefined, 1])
    expect(error.message).toContain('1048576 bytes')
    expect(waits).toEqual([])
    expect(emu.requests.length).toBe(1)
  })

  it('the default cap is 64 MiB', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'huge-body', path: '/bundle' })
    const { api } = client(emu.url, { timeoutMs: 30_000 })
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('response_too_large')
    expect(error.message).toContain(String(64 * 1024 * 1024))
  }, 40_000)

  it('a declared content-length over the cap fails before the body is read', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10_000_000 })
      res.write('[')
    })
    const { api } = client(tiny.url, { maxResponseBytes: 1000 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('response_too_large')
    expect(error.message).toContain('declares 10000000 bytes')
  })
})

describe('the key, however it is encoded, never appears', () => {
  const forms = (secret: string): Record<string, string> => {
    const bytes = Buffer.from(secret)
    return {
      upper: secret.toUpperCase(),
      lower: secret.toLowerCase(),
      base64: bytes.toString('base64'),
      base64NoPad: bytes.toString('base64').replace(/=+$/, ''),
      base64url: bytes.toString('base64url'),
      base64urlPadded: bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
      hex: bytes.toString('hex'),
      HEX: bytes.toString('hex').toUpperCase(),
      basicAuth: Buffer.from(`user:${secret}`).toString('base64'),
      basicAuth2: Buffer.from(`us:${secret}`).toString('base64'),
      url: encodeURIComponent(secret),
      json: JSON.stringify(secret).slice(1, -1)
    }
  }

  it.each(Object.keys(forms(KEY)))('redact() removes the %s form', form => {
    const encoded = forms(KEY)[form] as string
    const out = redact(`before ${encoded} after`, [KEY])
    expect(out).not.toContain(encoded)
    expect(out).toContain('***')
    expect(out.startsWith('before ')).toBe(true)
  })

  it('redact() leaves text without the key alone and is cheap on a huge text', () => {
    expect(redact('nothing secret here', [KEY])).toBe('nothing secret here')
    const huge = `${'x'.repeat(5_000_000)}${KEY}`
    const out = redact(huge, [KEY])
    expect(out.length).toBeLessThanOrEqual(301)
  })

  it('a key cut at the end of the searched part of a huge text leaves no prefix', () => {
    const text = `${' '.repeat(64 * 1024 - 10)}${KEY}${'y'.repeat(100)}`
    const out = redact(text, [KEY], Number.MAX_SAFE_INTEGER)
    expect(out).not.toContain(KEY.slice(0, 10))
  })

  it('a server echoing every form of the key: none is in the error', async () => {
    const all = Object.values(forms(KEY))
    const tiny = await tinyServer((_req, res) =>
      json(res, 400, { error: 'bad_key', message: all.join(' | ') })
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listChannels(APP))
    for (const text of [error.message, error.serverMessage ?? '', JSON.stringify(error)]) {
      for (const encoded of all) expect(text).not.toContain(encoded)
    }
  })
})

// ---- where the server is, and honest network errors ---------------------------------------------

function ipv6Loopback(): boolean {
  // Checked once, at load: some CI machines have no ::1.
  try {
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen(0,'::1',function(){this.close();console.log('ok')}).on('error',()=>console.log('no'))"
      ],
      { encoding: 'utf8' }
    )
    return out.trim() === 'ok'
  } catch {
    return false
  }
}
const HAS_IPV6 = ipv6Loopback()

describe('addresses and network errors', () => {
  it.skipIf(!HAS_IPV6)(
    'api_url http://[::1]:PORT connects to the IPv6 loopback (skipped when ::1 cannot be bound here)',
    async () => {
      const requests: string[] = []
      const server = createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`)
        json(res, 200, [])
      })
      await new Promise<void>(resolve => server.listen(0, '::1', resolve))
      cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
      const port = (server.address() as AddressInfo).port
      const { api } = client(`http://[::1]:${port}`)
      expect(await api.listChannels(APP)).toEqual([])
      expect(requests).toEqual([`GET /channel?app_id=${APP}&page=0`])
    }
  )

  it('a host that does not exist (.invalid) is host_not_found, not retried', async () => {
    const { api, waits } = client('http://nonexistent.invalid', { retries: 3 })
    const error = await failure(api.listChannels(APP))
    expect([error.code, error.status, error.attempts]).toEqual(['host_not_found', undefined, 1])
    expect(error.message).toContain('the host nonexistent.invalid was not found (DNS)')
    expect(waits).toEqual([])
  })

  it('a refused connection names the address and says nothing listens there', async () => {
    const url = await closedPortUrl()
    const { api } = client(url, { retries: 0 })
    const error = await failure(api.listChannels(APP))
    expect(error.message).toContain(
      `connection refused by ${new URL(url).host} (is api_url right? nothing is listening there)`
    )
  })

  it('a dropped connection says so', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-before' })
    const { api } = client(emu.url, { retries: 0 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('network_error')
    expect(error.message).toContain('the connection was dropped')
  })
})
