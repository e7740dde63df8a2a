// Route handlers of the Capgo emulator: /bundle, /channel, /device (see shared/capgo-api.md).
import {
  channelRow,
  deviceRow,
  findBundleByName,
  isLinked,
  liveBundles,
  newChannel,
  newDevice,
  oldestFirst,
  timestamp
} from './state.js'
import { DISABLE_AUTO_UPDATE } from './types.js'
import type { AppState, DisableAutoUpdate, EmulatorState, Role, StoredChannel } from './types.js'

export interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export function fail(
  status: number,
  error: string,
  message: string,
  moreInfo: Record<string, unknown> = {},
  headers?: Record<string, string>
): Reply {
  return { status, body: { error, message, moreInfo }, ...(headers ? { headers } : {}) }
}

export function tooMany(message: string, retryAfterSeconds: number): Reply {
  const s = Math.max(1, Math.ceil(retryAfterSeconds))
  return fail(
    429,
    'too_many_requests',
    message,
    { retryAfterSeconds: s },
    { 'retry-after': String(s) }
  )
}

const OK: Reply = { status: 200, body: { status: 'ok' } }

/** Per-device operation history, for the 60 s and 5-a-second rules. */
export interface DeviceLimits {
  ops: Map<string, number[]>
  lastSet: Map<string, { channel: string; at: number }>
}

export interface Ctx {
  state: EmulatorState
  app: AppState
  role: Role
  params: Record<string, unknown>
  now: number
  pagingDefect: boolean
  /** The 'extra-rows' fault: a list page holds up to 120 rows from its offset. */
  extraRows: boolean
  limits: DeviceLimits
}

export type Handler = (ctx: Ctx) => Reply

const PAGE = 50
const MAX_ROWS = 1000

/** The row range of a list page, as Capgo computes it (with its string-concatenation defect). */
function pageRange(pageParam: unknown, ctx: Ctx): { from: number; count: number } | undefined {
  const p = pageParam === undefined || pageParam === null ? 0 : pageParam
  const from = Number(p) * PAGE
  if (!Number.isInteger(from) || from < 0) return undefined
  if (ctx.extraRows) return { from, count: 120 }
  // `page` from the query string is a string: `page + 1` concatenates ("1" + 1 = "11").
  const to =
    ctx.pagingDefect && typeof p === 'string' ? Number(p + '1') * PAGE - 1 : from + PAGE - 1
  if (!Number.isInteger(to)) return undefined
  return { from, count: Math.min(Math.max(to - from + 1, 0), MAX_ROWS) }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

// ---- /bundle ----

export const getBundles: Handler = ctx => {
  const range = pageRange(ctx.params.page, ctx)
  if (!range) return fail(500, 'unknown_error', 'invalid page', { page: ctx.params.page })
  const rows = liveBundles(ctx.app).slice(range.from, range.from + range.count)
  if (rows.length === 0) return fail(400, 'cannot_get_bundle', 'Cannot get bundle', {})
  return { status: 200, body: rows }
}

export const deleteBundle: Handler = ctx => {
  if (ctx.role !== 'admin')
    return fail(400, 'cannot_delete_bundle', 'You cannot delete a bundle with this key', {})
  const { app } = ctx
  const version = ctx.params.version
  const at = timestamp(ctx.now)
  if (version === undefined || version === null || version === '') {
    // Capgo deletes every unlinked bundle of the app when no version is given.
    for (const b of app.bundles) {
      if (b.deleted || isLinked(app, b.id)) continue
      b.deleted = true
      b.updated_at = at
    }
    return OK
  }
  const b = typeof version === 'string' ? findBundleByName(app, version) : undefined
  if (!b) return fail(400, 'cannot_delete_version', 'Cannot delete version', { version })
  if (isLinked(app, b.id))
    return fail(
      400,
      'cannot_delete_linked_version',
      'Cannot delete a version linked to a channel',
      {
        version
      }
    )
  b.deleted = true
  b.updated_at = at
  return OK
}

export const putBundle: Handler = ctx => {
  if (ctx.role === 'reader') return fail(400, 'cannot_access_app', 'You cannot access this app', {})
  const { app, params } = ctx
  const versionId = params.version_id
  const channelId = params.channel_id
  if (
    versionId === undefined ||
    versionId === null ||
    channelId === undefined ||
    channelId === null
  )
    return fail(400, 'missing_required_fields', 'version_id and channel_id are required', {})
  const b = app.bundles.find(x => x.id === Number(versionId) && !x.deleted)
  if (!b) return fail(400, 'cannot_find_version', 'Cannot find version', { version_id: versionId })
  const c = app.channels.find(x => x.id === Number(channelId))
  if (!c) return fail(400, 'cannot_find_channel', 'Cannot find channel', { channel_id: channelId })
  c.version = b.id
  c.updated_at = timestamp(ctx.now)
  return {
    status: 200,
    body: { status: 'ok', message: `Bundle ${b.name} set to channel ${c.name}` }
  }
}

// ---- /channel ----

export const getChannels: Handler = ctx => {
  const { app, params } = ctx
  const name = params.channel
  if (name !== undefined) {
    const c = app.channels.find(x => x.name === name)
    if (!c) return fail(400, 'cannot_find_version', 'Cannot find channel', { channel: name })
    return { status: 200, body: channelRow(app, c) }
  }
  const range = pageRange(params.page, ctx)
  if (!range) return fail(500, 'unknown_error', 'invalid page', { page: params.page })
  const rows = [...app.channels]
    .sort(oldestFirst)
    .slice(range.from, range.from + range.count)
    .map(c => channelRow(app, c))
  return { status: 200, body: rows }
}

const BOOL_FIELDS = [
  'public',
  'disableAutoUpdateUnderNative',
  'ios',
  'android',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev',
  'allow_prod',
  'allow_device'
] as const

const UNLINK = new Set(['', 'unknown', 'builtin'])

export const postChannel: Handler = ctx => {
  const { app, params, state } = ctx
  const name = params.channel
  const existing = app.channels.find(x => x.name === name)
  if (ctx.role === 'reader' || ctx.role === 'uploader' || (ctx.role === 'developer' && existing))
    return fail(400, 'cannot_access_app', 'You cannot access this app', {})
  if (typeof name !== 'string' || name === '')
    return fail(400, 'missing_channel_name', 'Missing channel name', {})

  // Validate everything first: a failed upsert changes nothing.
  const dau = params.disableAutoUpdate
  if (dau !== undefined && !DISABLE_AUTO_UPDATE.includes(dau as DisableAutoUpdate))
    return fail(500, 'unknown_error', 'invalid input value for enum disable_update', { value: dau })
  for (const f of BOOL_FIELDS) {
    const v = params[f]
    if (v !== undefined && typeof v !== 'boolean')
      return fail(500, 'unknown_error', `invalid input syntax for type boolean: ${f}`, { value: v })
  }
  let versionId: number | null | undefined
  if ('version' in params && params.version !== undefined) {
    const v = params.version
    if (v === null || (typeof v === 'string' && UNLINK.has(v))) versionId = null
    else {
      const b = typeof v === 'string' ? findBundleByName(app, v) : undefined
      if (!b) {
        if (!existing)
          return fail(400, 'cannot_find_version', 'Cannot find version', { version: v })
        return fail(500, 'unknown_error', 'Cannot find version', { version: v })
      }
      versionId = b.id
    }
  }

  const at = timestamp(ctx.now)
  let c: StoredChannel
  if (existing) c = existing
  else {
    c = newChannel(app, state.nextChannelId++, name, at)
    app.channels.push(c)
  }
  if (dau !== undefined) c.disableAutoUpdate = dau as DisableAutoUpdate
  for (const f of BOOL_FIELDS) {
    const v = params[f]
    if (typeof v === 'boolean') c[f] = v
  }
  if (versionId !== undefined) c.version = versionId
  c.updated_at = at

  if (params.public === true) {
    for (const other of app.channels) {
      if (other === c || !other.public) continue
      if ((other.ios && c.ios) || (other.android && c.android)) {
        other.public = false
        other.updated_at = at
      }
    }
  }
  return OK
}

export const deleteChannel: Handler = ctx => {
  if (ctx.role !== 'admin')
    return fail(400, 'cannot_delete_channel', 'You cannot delete a channel with this key', {})
  const { app, params } = ctx
  const name = params.channel
  if (name === undefined || name === null || name === '')
    return fail(400, 'missing_channel_name', 'Missing channel name', {})
  const i = app.channels.findIndex(x => x.name === name)
  const c = app.channels[i]
  if (!c) return fail(400, 'cannot_find_channel', 'Cannot find channel', { channel: name })
  app.channels.splice(i, 1)
  for (const [device, channelId] of Object.entries(app.overrides))
    if (channelId === c.id) delete app.overrides[device]
  return OK
}

// ---- /device ----

/** Records one operation on a device; a reply when it is over the 5-a-second limit. */
function deviceOp(ctx: Ctx, deviceId: string): Reply | undefined {
  const key = `${ctx.app.app_id}\n${deviceId}`
  const ops = (ctx.limits.ops.get(key) ?? []).filter(t => ctx.now - t < 1000)
  if (ops.length >= 5) {
    ctx.limits.ops.set(key, ops)
    return tooMany('Too many operations on this device', 1)
  }
  ops.push(ctx.now)
  ctx.limits.ops.set(key, ops)
  return undefined
}

function deviceIdParam(ctx: Ctx): string | Reply {
  if (ctx.role !== 'admin' && ctx.role !== 'developer')
    return fail(400, 'cannot_access_app', 'You cannot access this app', {})
  const id = ctx.params.device_id
  if (typeof id !== 'string' || id === '')
    return fail(400, 'missing_device_id', 'Missing device_id', {})
  return id.toLowerCase()
}

export const postDevice: Handler = ctx => {
  const { app, params } = ctx
  const deviceId = deviceIdParam(ctx)
  if (typeof deviceId !== 'string') return deviceId
  if (params.version_id !== undefined)
    return fail(400, 'invalid_version_id', 'version_id is no longer accepted; use channel', {})
  const limited = deviceOp(ctx, deviceId)
  if (limited) return limited
  const name = params.channel
  if (name === undefined || name === null || name === '') return OK
  const c = app.channels.find(x => x.name === name)
  if (!c) return fail(404, 'channel_not_found', 'Channel not found', { channel: name })
  if (c.public)
    return fail(
      400,
      'public_channel_override',
      'Cannot set a device override to a public channel',
      {
        channel: name
      }
    )
  const key = `${app.app_id}\n${deviceId}`
  const last = ctx.limits.lastSet.get(key)
  if (last && last.channel === c.name && ctx.now - last.at < 60_000)
    return tooMany(
      'This device was set to this channel less than 60 s ago',
      (last.at + 60_000 - ctx.now) / 1000
    )
  ctx.limits.lastSet.set(key, { channel: c.name, at: ctx.now })
  const at = timestamp(ctx.now)
  let d = app.devices.find(x => x.device_id === deviceId)
  if (!d) {
    d = newDevice(app.app_id, deviceId, at)
    app.devices.push(d)
  }
  d.updated_at = at
  app.overrides[deviceId] = c.id
  return OK
}

export const deleteDevice: Handler = ctx => {
  const deviceId = deviceIdParam(ctx)
  if (typeof deviceId !== 'string') return deviceId
  const limited = deviceOp(ctx, deviceId)
  if (limited) return limited
  delete ctx.app.overrides[deviceId]
  return OK
}

export const getDevices: Handler = ctx => {
  const { app, params } = ctx
  const id = str(params.device_id)
  if (id !== undefined) {
    const d = app.devices.find(x => x.device_id === id.toLowerCase())
    if (!d) return fail(404, 'device_not_found', 'Device not found', { device_id: id })
    return { status: 200, body: deviceRow(app, d) }
  }
  let rows = [...app.devices].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
  if (params.page !== undefined) {
    const from = Number(params.page) * PAGE
    if (!Number.isInteger(from) || from < 0)
      return fail(500, 'unknown_error', 'invalid page', { page: params.page })
    rows = rows.slice(from, from + PAGE)
  }
  return { status: 200, body: rows.map(d => deviceRow(app, d)) }
}

export const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/bundle': { GET: getBundles, DELETE: deleteBundle, PUT: putBundle },
  '/channel': { GET: getChannels, POST: postChannel, DELETE: deleteChannel },
  '/device': { GET: getDevices, POST: postDevice, DELETE: deleteDevice }
}
