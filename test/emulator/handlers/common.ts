// What every route handler of the Capgo emulator shares: replies, the context, permissions, paging.
// The behaviour copied is described in docs/capgo-api-notes.md.
import type { RowView } from '../state.js'
import type { AppState, CapgoEra, EmulatorState, Role, StoredChannel } from '../types.js'
import { ADMIN_ROLES } from '../types.js'

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

/** A 429 as Capgo's error handler builds it: Retry-After, and X-RateLimit-Reset when known. */
export function tooMany(
  retryAfterSeconds: number,
  moreInfo: Record<string, unknown> = {},
  resetAtMs?: number
): Reply {
  const s = Math.max(1, Math.ceil(retryAfterSeconds))
  const headers: Record<string, string> = { 'retry-after': String(s) }
  if (resetAtMs !== undefined) headers['x-ratelimit-reset'] = String(Math.ceil(resetAtMs / 1000))
  return fail(
    429,
    'too_many_requests',
    'Too many requests',
    {
      ...moreInfo,
      retryAfterSeconds: s,
      ...(resetAtMs === undefined ? {} : { rateLimitResetAt: resetAtMs })
    },
    headers
  )
}

export const OK: Reply = { status: 200, body: { status: 'ok' } }

export const NO_ACCESS = "You can't access this app"

/**
 * Per-device counters, for the 5-a-second and 60 s rules (Cap-go/capgo
 * supabase/functions/_backend/utils/channelSelfRateLimit.ts): a counter per app, device and kind of
 * operation, whose window starts with its first operation; and the time of the last attempt to set
 * each device to each channel.
 */
export interface DeviceLimits {
  perSecond: number
  sameChannelMs: number
  ops: Map<string, { count: number; resetAt: number }>
  sameSet: Map<string, number>
}

export interface Ctx {
  state: EmulatorState
  app: AppState
  /** The key as presented (a `preview` key may manage only the channels it created). */
  key: string
  role: Role
  params: Record<string, unknown>
  now: number
  pagingDefect: boolean
  maxRows: number
  /** Set for `tieOrder: 'shuffle'`: orders bundles with equal created_at. */
  random?: () => number
  /** The 'extra-rows' fault: a list page holds up to 120 rows from its offset. */
  extraRows: boolean
  limits: DeviceLimits
  era: CapgoEra
  /** How channel rows look (era, uncertain platform fields). */
  rowView: RowView
  /** Uncertain change 9: GET /channel pages without the concatenation defect. */
  channelPagingFixed: boolean
}

export type Handler = (ctx: Ctx) => Reply

/** The permissions of Capgo's RBAC that the public API checks (supabase/functions/_backend/utils/rbac.ts). */
export type Permission =
  | 'app.read_bundles'
  | 'app.read_channels'
  | 'app.read_devices'
  | 'app.upload_bundle'
  | 'app.create_channel'
  | 'app.manage_devices'
  | 'app.update_settings'
  | 'channel.promote_bundle'
  | 'channel.update_settings'
  | 'channel.manage_forced_devices'
  | 'channel.delete'
  | 'bundle.delete'

const RANK: Record<Role, number> = {
  reader: 1,
  uploader: 2,
  developer: 3,
  admin: 4,
  org_admin: 4,
  org_super_admin: 4,
  preview: 0
}

const MIN_RANK: Record<Permission, number> = {
  'app.read_bundles': 1,
  'app.read_channels': 1,
  'app.read_devices': 1,
  'app.upload_bundle': 2,
  'channel.promote_bundle': 2,
  'app.create_channel': 3,
  'app.manage_devices': 3,
  'channel.manage_forced_devices': 3,
  'app.update_settings': 4,
  'channel.update_settings': 4,
  'channel.delete': 4,
  'bundle.delete': 4
}

/**
 * `app_preview` (supabase/migrations/20260715213729_app_preview_api_key_role.sql) holds app.read,
 * app.read_bundles, app.upload_bundle and app.create_channel; on each channel it creates it gets
 * channel_preview: channel.read, channel.promote_bundle, channel.delete. Nothing else.
 */
function previewMay(ctx: Ctx, permission: Permission, channel?: StoredChannel): boolean {
  switch (permission) {
    case 'app.read_bundles':
    case 'app.upload_bundle':
    case 'app.create_channel':
      return true
    case 'channel.promote_bundle':
    case 'channel.delete':
      return channel !== undefined && channel.createdByKey === ctx.key
    default:
      return false
  }
}

export function can(ctx: Ctx, permission: Permission, channel?: StoredChannel): boolean {
  if (ctx.role === 'preview') return previewMay(ctx, permission, channel)
  if (ADMIN_ROLES.includes(ctx.role)) return true
  return RANK[ctx.role] >= MIN_RANK[permission]
}

const PAGE = 50

/** The row range of a list page, as Capgo computes it (with its string-concatenation defect). */
export function pageRange(
  pageParam: unknown,
  ctx: Ctx
): { from: number; count: number } | undefined {
  const p = pageParam === undefined || pageParam === null ? 0 : pageParam
  const from = Number(p) * PAGE
  if (!Number.isInteger(from) || from < 0) return undefined
  if (ctx.extraRows) return { from, count: 120 }
  // `page` from the query string is a string: `page + 1` concatenates ("1" + 1 = "11").
  const to =
    ctx.pagingDefect && typeof p === 'string' ? Number(p + '1') * PAGE - 1 : from + PAGE - 1
  if (!Number.isInteger(to)) return undefined
  return { from, count: Math.min(Math.max(to - from + 1, 0), ctx.maxRows) }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** JavaScript truthiness, as the backend's `if (!body.x)` checks use it. */
export const given = (v: unknown): boolean => Boolean(v)

/**
 * GET /channel with uncertain change 9 (Cap-go/capgo.app
 * supabase/functions/_backend/public/channel/get.ts, a later version): `page` is read as a number,
 * anything that is not a positive integer is page 0, and a page holds 50 rows.
 */
export function fixedPageRange(pageParam: unknown, ctx: Ctx): { from: number; count: number } {
  const requested = Math.trunc(Number(pageParam ?? 0))
  const page = Number.isSafeInteger(requested) && requested > 0 ? requested : 0
  return { from: page * PAGE, count: Math.min(ctx.extraRows ? 120 : PAGE, ctx.maxRows) }
}
