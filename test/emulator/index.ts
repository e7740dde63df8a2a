// A faithful emulator of Capgo's public REST API (as shared/capgo-api.md describes it), on node:http.
//
// Request pipeline: read body -> latency -> faults -> route (404 not_found) -> IP lockout -> key
// (401) -> rate limit (429) -> params (400 invalid_json_parse_body) -> app_id (400 invalid_app_id) ->
// app / key scope (400 cannot_access_app) -> handler (role checks, then the route's own rules).
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { ROUTES, fail, tooMany } from './handlers.js'
import type { DeviceLimits, Reply } from './handlers.js'
import { channelRow, newestFirst, prng, seedState } from './state.js'
import type {
  AppState,
  Emulator,
  EmulatorOptions,
  FaultRule,
  KeySpec,
  LoggedRequest
} from './types.js'

export type * from './types.js'
export { DISABLE_AUTO_UPDATE } from './types.js'

const APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i
const LOCKOUT_FAILURES = 20
const LOCKOUT_MS = 15 * 60_000
const HTML_502 = '<html><body><h1>502 Bad Gateway</h1></body></html>'

interface ArmedRule {
  rule: FaultRule
  seen: number
  fired: number
}

function sendJson(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return
  const body = JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...reply.headers
  })
  res.end(body)
}

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** The key as Capgo reads it: `capgkey` wins over `authorization`. */
function presentedKey(req: IncomingMessage): string | undefined {
  const pick = (v: string | string[] | undefined): string | undefined => {
    const s = Array.isArray(v) ? v[0] : v
    return s === undefined || s === '' ? undefined : s
  }
  return pick(req.headers['capgkey']) ?? pick(req.headers['authorization'])
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now
  const keys = new Map<string, KeySpec>(
    Object.entries(options.keys ?? { 'test-admin-key': 'admin' }).map(([k, v]) => [
      k,
      typeof v === 'string' ? { role: v } : v
    ])
  )
  const pagingDefect = options.pagingDefect ?? true
  const latencyMs = options.latencyMs ?? 0
  const rateLimit = options.rateLimit?.max ?? 2000
  const random = prng(options.seed ?? 1)
  const state = seedState(options.apps ?? [], now())
  const requests: LoggedRequest[] = []
  let faults: ArmedRule[] = (options.faults ?? []).map(rule => ({ rule, seen: 0, fired: 0 }))
  let seq = 0
  let stopped = false

  const failures = new Map<string, { times: number[]; lockedUntil: number }>()
  const keyHits = new Map<string, number[]>()
  const limits: DeviceLimits = { ops: new Map(), lastSet: new Map() }

  // Sleeps that stop() cuts short, so nothing keeps the process alive.
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  const sleep = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise(resolve => {
          const s = {
            resolve,
            timer: setTimeout(() => {
              sleepers.delete(s)
              resolve()
            }, ms)
          }
          sleepers.add(s)
        })

  function pickFault(req: {
    method: string
    path: string
    query: Record<string, string>
    body: unknown
  }): FaultRule | undefined {
    for (const armed of faults) {
      const { rule } = armed
      if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) continue
      if (rule.path !== undefined && rule.path.replace(/\/+$/, '') !== req.path) continue
      if (rule.when && !rule.when(req)) continue
      armed.seen++
      if (armed.seen <= (rule.skip ?? 0)) continue
      if (rule.count !== undefined && armed.fired >= rule.count) continue
      if (rule.share !== undefined && random() >= rule.share) continue
      armed.fired++
      return rule
    }
    return undefined
  }

  /** Auth, rate limit, params, app checks, then the handler. */
  function handle(
    req: IncomingMessage,
    method: string,
    path: string,
    query: Record<string, string>,
    rawBody: string,
    extraRows: boolean
  ): Reply {
    const route = ROUTES[path]
    const handler = route?.[method]
    if (!handler) return fail(404, 'not_found', `Not found: ${method} ${path}`, {})

    const t = now()
    const ip =
      (req.headers['x-forwarded-for'] as string | undefined)?.split(',')[0]?.trim() ||
      req.socket.remoteAddress ||
      'unknown'
    const fails = failures.get(ip) ?? { times: [], lockedUntil: 0 }
    failures.set(ip, fails)
    if (fails.lockedUntil > t)
      return fail(401, 'too_many_failed_logins', 'Too many failed logins from this IP', {
        retryAfterSeconds: Math.ceil((fails.lockedUntil - t) / 1000)
      })
    const key = presentedKey(req)
    if (key === undefined) return fail(401, 'no_key_provided', 'No key provided', {})
    const spec = keys.get(key)
    if (!spec) {
      fails.times = fails.times.filter(x => t - x < LOCKOUT_MS)
      fails.times.push(t)
      if (fails.times.length >= LOCKOUT_FAILURES) {
        fails.lockedUntil = t + LOCKOUT_MS
        fails.times = []
      }
      return fail(401, 'invalid_apikey', 'Invalid API key', {})
    }

    const hits = (keyHits.get(key) ?? []).filter(x => t - x < 60_000)
    keyHits.set(key, hits)
    if (hits.length >= rateLimit)
      return tooMany('Too many requests', ((hits[0] ?? t) + 60_000 - t) / 1000)
    hits.push(t)

    let params: Record<string, unknown>
    if (method === 'GET') params = { ...query }
    else {
      let parsed: unknown
      try {
        parsed = rawBody === '' ? undefined : JSON.parse(rawBody)
      } catch {
        parsed = undefined
      }
      const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      if (isObject) params = parsed as Record<string, unknown>
      else if (method === 'DELETE') params = { ...query }
      else return fail(400, 'invalid_json_parse_body', 'Cannot parse the JSON body', {})
    }

    const appId = params.app_id
    if (typeof appId !== 'string' || !APP_ID.test(appId))
      return fail(400, 'invalid_app_id', 'Invalid app_id', { app_id: appId })
    const app: AppState | undefined = state.apps[appId]
    if (!app || (spec.apps !== undefined && !spec.apps.includes(appId)))
      return fail(400, 'cannot_access_app', 'You cannot access this app', { app_id: appId })

    return handler({ state, app, role: spec.role, params, now: t, pagingDefect, extraRows, limits })
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = (req.method ?? 'GET').toUpperCase()
    const path = url.pathname.replace(/\/+$/, '') || '/'
    const query: Record<string, string> = {}
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v
    const entry: LoggedRequest = {
      seq: ++seq,
      method,
      path,
      query,
      body: undefined,
      headers: flatHeaders(req),
      status: 0,
      at: now()
    }
    requests.push(entry)

    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    if (rawBody !== '') {
      try {
        entry.body = JSON.parse(rawBody)
      } catch {
        entry.body = rawBody
      }
    }

    await sleep(latencyMs)
    if (stopped) return

    const fault = pickFault({ method, path, query, body: entry.body })
    if (fault) entry.fault = fault.kind
    const send = (reply: Reply): void => {
      entry.status = reply.status
      sendJson(res, reply)
    }
    const run = (extraRows = false): Reply => {
      try {
        return handle(req, method, path, query, rawBody, extraRows)
      } catch (e) {
        return fail(500, 'unknown_error', e instanceof Error ? e.message : String(e), {})
      }
    }

    switch (fault?.kind) {
      case 'status': {
        const status = fault.status ?? 500
        const codes: Record<number, string> = {
          429: 'too_many_requests',
          500: 'unknown_error',
          502: 'bad_gateway',
          503: 'service_unavailable',
          504: 'gateway_timeout'
        }
        const ra = fault.retryAfterSeconds
        send(
          fail(
            status,
            codes[status] ?? 'injected_fault',
            `Injected ${status}`,
            ra === undefined ? {} : { retryAfterSeconds: ra },
            ra === undefined ? undefined : { 'retry-after': String(ra) }
          )
        )
        return
      }
      case 'html': {
        entry.status = fault.status ?? 502
        res.writeHead(entry.status, {
          'content-type': 'text/html',
          'content-length': Buffer.byteLength(HTML_502)
        })
        res.end(HTML_502)
        return
      }
      case 'drop-before':
        req.socket.destroy()
        return
      case 'drop-after':
        entry.status = run().status
        req.socket.destroy()
        return
      case 'slow':
        await sleep(fault.delayMs ?? 1000)
        if (stopped) return
        send(run())
        return
      case 'truncated': {
        const reply = run()
        entry.status = reply.status
        const body = Buffer.from(JSON.stringify(reply.body))
        res.writeHead(reply.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': body.length,
          ...reply.headers
        })
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
        return
      }
      case 'extra-rows':
        send(run(method === 'GET' && (path === '/bundle' || path === '/channel')))
        return
      case 'echo-key': {
        const key = presentedKey(req) ?? ''
        send(
          fail(
            500,
            'unknown_error',
            `Internal error while checking key ${key}`,
            { key },
            { 'x-debug-key': key }
          )
        )
        return
      }
      default:
        send(run())
    }
  }

  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      sendJson(res, fail(500, 'unknown_error', e instanceof Error ? e.message : String(e), {}))
    })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  const appOf = (appId: string): AppState => {
    const app = state.apps[appId]
    if (!app) throw new Error(`emulator: unknown app ${appId}`)
    return app
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    requests,
    writes: () => requests.filter(r => r.method !== 'GET'),
    addFault: rule => void faults.push({ rule, seen: 0, fired: 0 }),
    clearFaults: () => void (faults = []),
    clearLog: () => void (requests.length = 0),
    bundles: (appId, opts) =>
      appOf(appId)
        .bundles.filter(b => opts?.includeDeleted || !b.deleted)
        .sort(newestFirst)
        .map(b => ({ ...b })),
    channel: (appId, name) => {
      const app = appOf(appId)
      const c = app.channels.find(x => x.name === name)
      return c ? channelRow(app, c) : undefined
    },
    deviceOverride: (appId, deviceId) => {
      const app = appOf(appId)
      const channelId = app.overrides[deviceId.toLowerCase()]
      return app.channels.find(c => c.id === channelId)?.name
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      for (const s of sleepers) {
        clearTimeout(s.timer)
        s.resolve()
      }
      sleepers.clear()
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    }
  }
}
