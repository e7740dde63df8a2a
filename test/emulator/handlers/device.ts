// /device of the Capgo emulator (docs/capgo-api-notes.md, "Devices").
import { deviceRow, newDevice, timestamp } from '../state.js'
import type { DevicePage } from '../types.js'
import { NO_ACCESS, OK, can, fail, given, str, tooMany } from './common.js'
import type { Ctx, Handler, Reply } from './common.js'

const limitKey = (ctx: Ctx, deviceId: string): string => `${ctx.app.app_id}\n${deviceId}`

/**
 * The device limits, checked before the handler (Cap-go/capgo
 * supabase/functions/_backend/public/device/index.ts, utils/channelSelfRateLimit.ts): 5 operations a
 * second on one device; the same device set to the same channel again within 60 s. A refused
 * request is not recorded.
 */
function checkDevice(ctx: Ctx, deviceId: string, channel?: unknown): Reply | undefined {
  const key = limitKey(ctx, deviceId)
  const ops = (ctx.limits.ops.get(key) ?? []).filter(t => ctx.now - t < 1000)
  ctx.limits.ops.set(key, ops)
  if (ops.length >= 5) return tooMany(((ops[0] ?? ctx.now) + 1000 - ctx.now) / 1000)
  const last = ctx.limits.lastSet.get(key)
  if (given(channel) && last && last.channel === channel && ctx.now - last.at < 60_000)
    return tooMany((last.at + 60_000 - ctx.now) / 1000)
  return undefined
}

/** Every handled request is recorded, a failed one too: a retried POST is blocked for 60 s. */
function recordDevice(ctx: Ctx, deviceId: string, channel?: unknown): void {
  const key = limitKey(ctx, deviceId)
  const ops = ctx.limits.ops.get(key)
  if (ops) ops.push(ctx.now)
  else ctx.limits.ops.set(key, [ctx.now])
  if (typeof channel === 'string' && channel !== '')
    ctx.limits.lastSet.set(key, { channel, at: ctx.now })
}

const deviceIdOf = (ctx: Ctx): string | undefined => {
  const id = ctx.params.device_id
  return typeof id === 'string' && id !== '' ? id.toLowerCase() : undefined
}

/** Runs a device write between the limit check and the recording. */
function limited(ctx: Ctx, channel: unknown, run: (deviceId: string) => Reply): Reply {
  const deviceId = deviceIdOf(ctx)
  if (deviceId === undefined) return run('')
  const refused = checkDevice(ctx, deviceId, channel)
  if (refused) return refused
  try {
    return run(deviceId)
  } finally {
    recordDevice(ctx, deviceId, channel)
  }
}

// Cap-go/capgo supabase/functions/_backend/public/device/post.ts: with a channel, the channel is
// looked up (404) before the channel-scoped permission (cannot_access_channel); without one, the
// app permission (cannot_access_app) and nothing else.
export const postDevice: Handler = ctx =>
  limited(ctx, ctx.params.channel, deviceId => {
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
    const at = timestamp(ctx.now)
    let d = app.devices.find(x => x.device_id === deviceId)
    if (!d) {
      d = newDevice(app.app_id, deviceId, at)
      app.devices.push(d)
    }
    d.updated_at = at
    app.overrides[deviceId] = c.id
    return OK
  })

// Cap-go/capgo supabase/functions/_backend/public/device/delete.ts
export const deleteDevice: Handler = ctx =>
  limited(ctx, undefined, deviceId => {
    if (deviceId === '') return fail(400, 'missing_device_id', 'Missing device_id')
    if (!can(ctx, 'app.manage_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)
    delete ctx.app.overrides[deviceId]
    return OK
  })

const DEVICE_PAGE = 50
const DEVICE_PAGE_MAX = 50_000

// Cap-go/capgo supabase/functions/_backend/public/device/get.ts and utils/stats.ts readDevices:
// sorted by device_id; the cursor is `${updated_at}|${device_id}` of the last row and the next page
// holds the devices whose id sorts after it; `page` is ignored.
export const getDevices: Handler = ctx => {
  const { app, params } = ctx
  if (!can(ctx, 'app.read_devices')) return fail(400, 'cannot_access_app', NO_ACCESS)
  const id = str(params.device_id)
  if (id !== undefined && id !== '') {
    const d = app.devices.find(x => x.device_id === id.toLowerCase())
    if (!d) return fail(404, 'device_not_found', 'Cannot find device', { device_id: id })
    return { status: 200, body: deviceRow(app, d) }
  }
  const limit =
    params.limit === undefined || params.limit === null ? DEVICE_PAGE : Number(params.limit)
  if (!Number.isInteger(limit) || limit < 1)
    return fail(400, 'invalid_limit', 'limit must be a positive integer', { limit: params.limit })
  const cursor = str(params.cursor) ?? ''
  const sep = cursor.indexOf('|')
  const after = sep > 0 && sep < cursor.length - 1 ? cursor.slice(sep + 1) : undefined
  const rows = [...app.devices]
    .sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0))
    .filter(d => after === undefined || d.device_id > after)
  const take = Math.min(limit, DEVICE_PAGE_MAX)
  const hasMore = rows.length > take
  const data = rows.slice(0, take).map(d => deviceRow(app, d))
  const last = data[data.length - 1]
  const page: DevicePage = { data, hasMore }
  if (hasMore && last) page.nextCursor = `${last.updated_at}|${last.device_id}`
  return { status: 200, body: page }
}
