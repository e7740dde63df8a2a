// A faithful emulator of Capgo's public REST API (as docs/capgo-api-notes.md describes it), on node:http.
//
// Request pipeline: read body -> latency -> faults -> route (404 not_found) -> IP lockout (429) ->
// key (401, counted as a failed login) -> per-key rate limit (429) -> params (400
// invalid_json_parse_body) -> required fields of PUT /bundle and POST /bundle/metadata (400
// missing_required_fields) -> missing app_id (400 missing_app_id, on POST /device
// missing_device_id_or_app_id) -> app_id format (400 invalid_app_id) -> app / key scope (400
// cannot_access_app; late-2026: cannot_get_bundle / cannot_delete_bundle on GET / DELETE /bundle)
// -> handler (permissions, then the route's own rules).
//
// Two eras (option `era`): 'late-2026' (default) and 'july-2026'; docs/capgo-api-notes.md,
// "Changes since July 2026", lists what differs.
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  cancellableSleeps,
  listen,
  pickFault,
  readBody,
  type ArmedFault
} from '../helpers/server-kit.js'
import { answerWithFault, sendJson } from './faults.js'
import { MISSING_APP_ID, REQUIRED, ROUTES, UNREACHABLE_APP, fail } from './handlers/index.js'
import type { DeviceLimits, Reply } from './handlers/index.js'
import { createLimits } from './limits.js'
import {
  channelPlatforms,
  channelRow,
  expireOverrides,
  newestFirst,
  prng,
  seedState,
  timestamp
} from './state.js'
import type { RowView } from './state.js'
import type {
  AppState,
  CapgoEra,
  Emulator,
  EmulatorOptions,
  FaultRule,
  KeySpec,
  LoggedRequest,
  StoredChannel
} from './types.js'

export type * from './types.js'
export { ADMIN_ROLES, CAPGO_ERAS, DISABLE_AUTO_UPDATE, UPDATE_PACKAGES } from './types.js'

/**
 * A fault rule that answers as Capgo does when a permission check meets a transient database fault
 * (late-2026, change 7; Cap-go/capgo.app supabase/functions/_backend/utils/rbac.ts
 * handlePermissionCheckError): 503 `upstream_unavailable`. Narrow it with `method`, `path`, `count`...
 */
export function upstreamUnavailable(rule: Partial<FaultRule> = {}): FaultRule {
  return {
    kind: 'status',
    status: 503,
    code: 'upstream_unavailable',
    message: 'Permission check temporarily unavailable',
    ...rule
  }
}

const APP_ID = /^[a-z0-9]+(\.[\w-]+)+$/i

type ArmedRule = ArmedFault<FaultRule>

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

const firstHeader = (v: string | string[] | undefined): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v
  return s === undefined || s === '' ? undefined : s
}

/** The key as Capgo reads it: `capgkey` wins over `authorization`. */
function presentedKey(req: IncomingMessage): string | undefined {
  return firstHeader(req.headers['capgkey']) ?? firstHeader(req.headers['authorization'])
}

/** The client IP as Capgo reads it (utils/rate_limit.ts getClientIP), else the socket's address. */
function clientIp(req: IncomingMessage): string {
  return (
    firstHeader(req.headers['cf-connecting-ip']) ??
    firstHeader(req.headers['x-forwarded-for'])?.split(',')[0]?.trim() ??
    firstHeader(req.headers['x-real-ip']) ??
    req.socket.remoteAddress ??
    'unknown'
  )
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now
  const keys = new Map<string, KeySpec & { id: number }>(
    Object.entries(options.keys ?? { 'test-admin-key': 'admin' }).map(([k, v], i) => [
      k,
      { ...(typeof v === 'string' ? { role: v } : v), id: i + 1 }
    ])
  )
  const era: CapgoEra = options.era ?? 'late-2026'
  const rowView: RowView = { era, platforms: options.channelRowPlatforms ?? false }
  const channelPagingFixed = options.channelPagingFixed ?? false
  const pagingDefect = options.pagingDefect ?? true
  const latencyMs = options.latencyMs ?? 0
  const maxRows = options.maxRows ?? 1000
  const random = prng(options.seed ?? 1)
  const tieRandom = options.tieOrder === 'shuffle' ? prng((options.seed ?? 1) ^ 0x5eed) : undefined
  const state = seedState(options.apps ?? [], now())
  const requests: LoggedRequest[] = []
  let faults: ArmedRule[] = (options.faults ?? []).map(rule => ({ rule, seen: 0, fired: 0 }))
  let seq = 0
  let stopped = false

  const limits = createLimits(options)
  const deviceLimits: DeviceLimits = {
    perSecond: options.deviceLimits?.perSecond ?? 5,
    sameChannelMs: options.deviceLimits?.sameChannelMs ?? 60_000,
    ops: new Map(),
    sameSet: new Map()
  }

  // Sleeps that stop() cuts short, so nothing keeps the process alive.
  const { sleep, wakeAll } = cancellableSleeps()

  /** The JSON body (POST, PUT, DELETE) or the query (GET; DELETE without a body). */
  function readParams(
    method: string,
    query: Record<string, string>,
    rawBody: string
  ): Record<string, unknown> | undefined {
    if (method === 'GET') return { ...query }
    let parsed: unknown
    try {
      parsed = rawBody === '' ? undefined : JSON.parse(rawBody)
    } catch {
      parsed = undefined
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
    return method === 'DELETE' ? { ...query } : undefined
  }

  /** Lockout, auth, rate limit, params, app checks, then the handler. */
  function handle(
    req: IncomingMessage,
    method: string,
    path: string,
    query: Record<string, string>,
    rawBody: string,
    extraRows: boolean
  ): Reply {
    const handler = ROUTES[path]?.[method]
    if (!handler) return fail(404, 'not_found', `Not found: ${method} ${path}`)

    const t = now()
    const ip = clientIp(req)
    const locked = limits.lockedOut(ip, t)
    if (locked) return locked
    const key = presentedKey(req)
    if (key === undefined) {
      limits.failedLogin(ip, t)
      return fail(401, 'no_key_provided', 'No key provided')
    }
    const spec = keys.get(key)
    if (!spec) {
      limits.failedLogin(ip, t)
      return fail(401, 'invalid_apikey', 'Invalid apikey')
    }
    const limited = limits.keyRequest(key, spec.id, t)
    if (limited) return limited

    const params = readParams(method, query, rawBody)
    if (!params) return fail(400, 'invalid_json_parse_body', 'Invalid JSON body')
    const required = REQUIRED[`${method} ${path}`]
    if (required?.some(f => !params[f]))
      return fail(400, 'missing_required_fields', 'Missing required fields')

    const appId = params.app_id
    const missing = MISSING_APP_ID[`${method} ${path}`]
    if (!appId && missing) return fail(400, missing, 'Missing app_id')
    if (typeof appId !== 'string' || !APP_ID.test(appId))
      return fail(400, 'invalid_app_id', 'App ID must be a reverse domain string', {
        app_id: appId
      })
    const app: AppState | undefined = state.apps[appId]
    if (!app || (spec.apps !== undefined && !spec.apps.includes(appId))) {
      const code = era === 'late-2026' ? UNREACHABLE_APP[`${method} ${path}`] : undefined
      return fail(400, code ?? 'cannot_access_app', "You can't access this app", { app_id: appId })
    }
    expireOverrides(app, era, t)

    return handler({
      state,
      app,
      key,
      role: spec.role,
      params,
      now: t,
      pagingDefect,
      maxRows,
      extraRows,
      limits: deviceLimits,
      era,
      rowView,
      channelPagingFixed,
      ...(tieRandom ? { random: tieRandom } : {})
    })
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

    const { raw: rawBody, parsed } = await readBody(req)
    entry.body = parsed

    await sleep(latencyMs)
    if (stopped) return

    const send = (reply: Reply): void => {
      entry.status = reply.status
      entry.responseBytes = sendJson(res, reply)
      options.onAnswer?.(entry)
    }
    const run = (extraRows = false): Reply => {
      try {
        return handle(req, method, path, query, rawBody, extraRows)
      } catch (e) {
        return fail(500, 'unknown_error', e instanceof Error ? e.message : String(e))
      }
    }

    const fault = pickFault(faults, { method, path, query, body: entry.body }, random)
    if (!fault) {
      send(run())
      return
    }
    entry.fault = fault.kind
    await answerWithFault(fault, {
      req,
      res,
      entry,
      run,
      send,
      sleep,
      stopped: () => stopped,
      key: presentedKey(req) ?? ''
    })
  }

  const server = await listen(
    (req, res) => {
      onRequest(req, res).catch((e: unknown) => {
        sendJson(res, fail(500, 'unknown_error', e instanceof Error ? e.message : String(e)))
      })
    },
    options.port ?? 0,
    options.host ?? '127.0.0.1'
  )
  const port = server.port

  const appOf = (appId: string): AppState => {
    const app = state.apps[appId]
    if (!app) throw new Error(`emulator: unknown app ${appId}`)
    return app
  }
  const channelOf = (appId: string, name: string): [AppState, StoredChannel | undefined] => {
    const app = appOf(appId)
    return [app, app.channels.find(x => x.name === name)]
  }

  return {
    url: `http://${(options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1')}:${port}`,
    port,
    era,
    state,
    requests,
    writes: () => requests.filter(r => r.method !== 'GET'),
    addFault: rule => void faults.push({ rule, seen: 0, fired: 0 }),
    clearFaults: () => void (faults = []),
    clearLog: () => void (requests.length = 0),
    stats: () => ({ ...limits.stats }),
    bundles: (appId, opts) =>
      appOf(appId)
        .bundles.filter(b => opts?.includeDeleted || !b.deleted)
        .sort(newestFirst)
        .map(b => ({ ...b })),
    channel: (appId, name) => {
      const [app, c] = channelOf(appId, name)
      return c ? channelRow(app, c, rowView) : undefined
    },
    channelPlatforms: (appId, name) => {
      const [, c] = channelOf(appId, name)
      return c ? channelPlatforms(c) : undefined
    },
    pauseRollout: (appId, name, reason) => {
      const [, c] = channelOf(appId, name)
      if (!c) throw new Error(`emulator: unknown channel ${name} in ${appId}`)
      const at = new Date(now()).toISOString()
      c.rolloutPausedAt = at
      c.rolloutPauseReason = reason
      c.autoPauseLastTriggeredAt = at
      c.autoPauseLastCheckedAt = at
      c.updated_at = timestamp(now())
    },
    deviceOverride: (appId, deviceId) => {
      const app = appOf(appId)
      expireOverrides(app, era, now())
      const channelId = app.overrides[deviceId.toLowerCase()]
      return app.channels.find(c => c.id === channelId)?.name
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      wakeAll()
      await server.close()
    }
  }
}
