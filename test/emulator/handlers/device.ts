// /device of the Capgo emulator (docs/capgo-api-notes.md, "Devices").
import { deviceRow, removeOverride, setOverride } from '../state.js'
import type { DevicePage, StoredDevice } from '../types.js'
import { NO_ACCESS, OK, can, fail, given, str, tooMany } from './common.js'
import type { Ctx, Handler, Reply } from './common.js'

type DeviceOp = 'get' | 'set' | 'delete'

const opKey = (ctx: Ctx, deviceId: string, op: DeviceOp): string =>
  `${ctx.app.app_id}\n${deviceId}\n${op}`
const setKey = (ctx: Ctx, deviceId: string, channel: string): string =>
  `${ctx.app.app_id}\n${deviceId}\n${channel}`

/** The channel the same-channel rule keys on (a `set` with a channel only). */
const ruleChannel = (op: DeviceOp, channel: unknown): string | undefined =>
  op === 'set' && given(channel) ? String(channel) : undefined

/**
 * The device limits, checked before the handler (Cap-go/capgo
 * supabase/functions/_backend/public/device/index.ts, utils/channelSelfRateLimit.ts): `perSecond`
 * operations of one kind on one device within a one-second window that starts with the first of
 * them; the same device set to the same channel again within `sameChannelMs`. A refused request is
 * not recorded.
 */
function checkDevice(
  ctx: Ctx,
  deviceId: string,
  op: DeviceOp,
  channel: string | undefined
): Reply | undefined {
  const counter = ctx.limits.ops.get(opKey(ctx, deviceId, op))
  if (counter && counter.resetAt > ctx.now && counter.count >= ctx.limits.perSecond)
    return tooMany((counter.resetAt - ctx.now) / 1000, {}, counter.resetAt)
  if (channel !== undefined) {
    const last = ctx.limits.sameSet.get(setKey(ctx, deviceId, channel))
    const until = last === undefined ? 0 : last + ctx.limits.sameChannelMs
    if (until > ctx.now) return tooMany((until - ctx.now) / 1000, {}, until)
  }
  return undefined
}

/** Every handled request is recorded, a failed one too: a retried POST is blocked for 60 s. */
function recordDevice(ctx: Ctx, deviceId: string, op: DeviceOp, channel: string | undefined) {
  const key = opKey(ctx, deviceId, op)
  const counter = ctx.limits.ops.get(key)
  if (counter && counter.resetAt > ctx.now) counter.count++
  else ctx.limits.ops.set(key, { count: 1, resetAt: ctx.now + 1000 })
  if (channel !== undefined) ctx.limits.sameSet.set(setKey(ctx, deviceId, channel), ctx.now)
}

const deviceIdOf = (ctx: Ctx): string | undefined => {
  const id = ctx.params.device_id
  return typeof id === 'string' && id !== '' ? id.toLowerCase() : undefined
}

/** Runs a device operation between the limit check and the recording (no device_id: no limit). */
function limited(ctx: Ctx, op: DeviceOp, run: (deviceId: string) => Reply): Reply {
  const deviceId = deviceIdOf(ctx)
  if (deviceId === undefined) return run('')
  const channel = ruleChannel(op, ctx.params.channel)
  const refused = checkDevice(ctx, deviceId, op, channel)
  if (refused) return refused
  try {
    return run(deviceId)
  } finally {
    recordDevice(ctx, deviceId, op, channel)
  }
}

// Cap-go/capgo supabase/functions/_backend/public/device/post.ts: with a channel, the channel is
// looked up (404) before the channel-scoped permission (cannot_access_channel); without one, the
// app permission (cannot_access_app) and nothing else. Only the override is written (Capgo's
// channel_devices table): the device itself stays unknown to GET /device until it contacts Capgo.
export const postDevice: Handler = ctx =>
  limited(ctx, 'set', deviceId => {
    const { app, params } = ctx
    if (deviceId === '')
      return fail(400, 'missing_device_id_or_app_id', 'Missing device_id or app_id')
    if (given(params.version_id))
      return fail(400, 'invalid_version_id', 'Cannot set version to device, use channel instead')
    const name = params.channel
    if (!given(name)) {
      if (!can(ctx, 'app.manage_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)
      return OK
    }
    const c = app.channels.find(x => x.name === name)
    if (!c) return fail(404, 'channel_not_found', 'Cannot find channel', { channel: name })
    if (!can(ctx, 'channel.manage_forced_devices', c))
      return fail(
        400,
        'cannot_access_channel',
        "You can't manage forced devices for this channel",
        {
          app_id: app.app_id,
          channel: name
        }
      )
    if (c.public)
      return fail(400, 'public_channel_override', 'Cannot set channel override for public channel')
    setOverride(app, deviceId, c.id, ctx.now)
    return OK
  })

// Cap-go/capgo supabase/functions/_backend/public/device/delete.ts
export const deleteDevice: Handler = ctx =>
  limited(ctx, 'delete', deviceId => {
    if (deviceId === '') return fail(400, 'missing_device_id', 'Missing device_id')
    if (!can(ctx, 'app.manage_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)
    removeOverride(ctx.app, deviceId)
    return OK
  })

const DEVICE_PAGE = 50
const DEVICE_PAGE_MAX = 50_000

/**
 * `updated_at` as device/get.ts parseUpdatedAtFilter takes it: ISO UTC with a `Z`
 * (`2026-01-02T03:04:05Z`, fractions allowed) or `2026-01-02 03:04:05`, and a real date; the ms
 * value, undefined when absent, or a 400 invalid_updated_at.
 */
function parseUpdatedAt(v: unknown): number | undefined | Reply {
  if (!given(v)) return undefined
  const bad = fail(400, 'invalid_updated_at', 'updated_at must be a valid ISO date', {
    updated_at: v
  })
  if (typeof v !== 'string') return bad
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z?)$/.exec(v)
  if (!m) return bad
  const spaced = v[10] === ' '
  // The spaced form has neither fractions nor Z; the T form needs the Z.
  if (spaced ? m[7] !== undefined || m[8] !== '' : m[8] !== 'Z') return bad
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return bad
  const d = new Date(t)
  const parts = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds()
  ]
  if (parts.some((n, i) => n !== Number(m[i + 1]))) return bad
  return t
}

const isReply = (v: unknown): v is Reply =>
  typeof v === 'object' && v !== null && 'status' in v && 'body' in v

// Cap-go/capgo supabase/functions/_backend/public/device/get.ts and utils/supabase.ts readDevicesSB.
// One device (device_id): 404 unless the device has contacted Capgo. The list: devices newer than
// `updated_at`, sorted by device_id, or by updated_at (`order` asc|desc) then device_id; the
// cursor is `${updated_at}|${device_id}` of the last row and the next page starts after it in
// that order; `page` is ignored. late-2026 adds the exact `custom_id` filter (Cap-go/capgo.app
// public/device/get.ts parseCustomIdFilter).
export const getDevices: Handler = ctx => {
  const { app, params } = ctx
  const id = str(params.device_id)
  if (id !== undefined && id !== '')
    return limited(ctx, 'get', deviceId => {
      if (!can(ctx, 'app.read_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)
      const d = app.devices.find(x => x.device_id === deviceId)
      if (!d) return fail(404, 'device_not_found', 'Cannot find device', { device_id: id })
      return { status: 200, body: deviceRow(app, d) }
    })
  if (!can(ctx, 'app.read_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)

  let customId: string | undefined
  if (ctx.era === 'late-2026' && params.custom_id !== undefined && params.custom_id !== null) {
    const raw = params.custom_id
    const trimmed = typeof raw === 'string' ? raw.trim() : ''
    if (typeof raw !== 'string' || trimmed === '' || trimmed.length > 36)
      return fail(
        400,
        'invalid_custom_id',
        'custom_id must be a non-empty string of 36 characters at most',
        {
          custom_id: raw
        }
      )
    customId = trimmed
  }
  const after = parseUpdatedAt(params.updated_at)
  if (isReply(after)) return after
  const order = params.order
  if (given(order) && order !== 'asc' && order !== 'desc')
    return fail(400, 'invalid_order', 'order must be asc or desc', { order })
  const limit =
    params.limit === undefined || params.limit === null ? DEVICE_PAGE : Number(params.limit)
  if (!Number.isInteger(limit) || limit < 1)
    return fail(400, 'invalid_limit', 'limit must be a positive integer', { limit: params.limit })

  const time = (d: StoredDevice): number => Date.parse(d.updated_at)
  const byId = (a: StoredDevice, b: StoredDevice): number =>
    a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0
  const sign = order === 'asc' ? 1 : order === 'desc' ? -1 : 0
  const cursor = str(params.cursor) ?? ''
  const [cursorTime, cursorId] = cursor.split('|')
  const cursorAt = cursorTime ? Date.parse(cursorTime) : NaN
  const afterCursor = (d: StoredDevice): boolean => {
    if (!cursorTime || !cursorId) return true
    if (sign === 0) return d.device_id > cursorId
    const dt = (time(d) - cursorAt) * sign
    return dt > 0 || (dt === 0 && d.device_id > cursorId)
  }
  const rows = app.devices
    .filter(d => customId === undefined || d.custom_id === customId)
    .filter(d => after === undefined || time(d) > after)
    .filter(afterCursor)
    .sort((a, b) => (time(a) - time(b)) * sign || byId(a, b))
  const take = Math.min(limit, DEVICE_PAGE_MAX)
  const hasMore = rows.length > take
  const data = rows.slice(0, take).map(d => deviceRow(app, d))
  const last = data[data.length - 1]
  const page: DevicePage = { data, hasMore }
  if (hasMore && last) page.nextCursor = `${last.updated_at}|${last.device_id}`
  return { status: 200, body: page }
}
