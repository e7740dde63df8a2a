// Public types of the Capgo emulator (see docs/capgo-api-notes.md for the behaviour it copies).

export type DisableAutoUpdate = 'major' | 'minor' | 'patch' | 'version_number' | 'none'
export const DISABLE_AUTO_UPDATE: readonly DisableAutoUpdate[] = [
  'major',
  'minor',
  'patch',
  'version_number',
  'none'
]

/**
 * Which Capgo the emulator copies (docs/capgo-api-notes.md, "Changes since July 2026"):
 * `late-2026` (default) has the changes merged from late July to September 2026; `july-2026` is
 * the backend as it was in July 2026.
 */
export type CapgoEra = 'late-2026' | 'july-2026'
export const CAPGO_ERAS: readonly CapgoEra[] = ['late-2026', 'july-2026']

/** What a channel requires of its bundles (late-2026; Cap-go/capgo.app migration 20260814134643_channel_update_package.sql). */
export type UpdatePackage = 'all' | 'zip' | 'delta' | 'zip_from_builtin' | 'delta_from_builtin'
export const UPDATE_PACKAGES: readonly UpdatePackage[] = [
  'all',
  'zip',
  'delta',
  'zip_from_builtin',
  'delta_from_builtin'
]

/** An entry of a bundle's `native_packages`, as Capgo's CLI records it. */
export interface NativePackage {
  name: string
  version: string
  ios_checksum?: string
  android_checksum?: string
  requested_version?: string
}

export type Role =
  'reader' | 'uploader' | 'developer' | 'admin' | 'preview' | 'org_admin' | 'org_super_admin'

/** Roles Capgo treats as `app_admin` on this API. */
export const ADMIN_ROLES: readonly Role[] = ['admin', 'org_admin', 'org_super_admin']

export interface KeySpec {
  role: Role
  /** The apps this key may touch; undefined = all apps. */
  apps?: readonly string[]
}

export interface SeedBundle {
  name: string
  created_at?: string
  id?: number
  deleted?: boolean
  link?: string | null
  comment?: string | null
  /**
   * The bundle has a full zip (default true). false stores it as Capgo stores a delta-only upload:
   * `storage_provider: 'r2-direct'`, `r2_path: null`.
   */
  zip?: boolean
  /** The bundle has delta files (a manifest; default false): `manifest_count` > 0 on the row. */
  delta?: boolean
  /** Default `[]`. Entries are normally {@link NativePackage}s. */
  native_packages?: unknown[] | null
}

export interface SeedChannel {
  name: string
  /** A bundle NAME (the newest non-deleted bundle of that name is linked). */
  version?: string | null
  /** A bundle NAME. */
  rollout_version?: string | null
  public?: boolean
  ios?: boolean
  android?: boolean
  electron?: boolean
  rolloutEnabled?: boolean
  /** 0..10000. */
  rolloutPercentageBps?: number
  /** ISO time, or null. */
  rolloutPausedAt?: string | null
  rolloutPauseReason?: string | null
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  allow_device_self_set?: boolean
  allow_emulator?: boolean
  allow_dev?: boolean
  allow_prod?: boolean
  allow_device?: boolean
  /** Default 'all'. Only the late-2026 era shows it and checks bundles against it. */
  updatePackage?: UpdatePackage
  autoPauseEnabled?: boolean
  autoPauseFailureRateBps?: number | null
  autoPauseWindowMinutes?: number
  autoPauseMinAttempts?: number | null
  autoPauseMinFailures?: number | null
  /** Strictly between 0 and 1. */
  autoPauseConfidence?: number
  autoPauseAction?: AutoPauseAction
  autoPauseCooldownMinutes?: number
  /** ISO time, or null. */
  autoPauseLastTriggeredAt?: string | null
}

/**
 * A device that has contacted Capgo (GET /device knows it). `POST /device` alone never creates one:
 * an override of an unknown device is stored, but GET /device?device_id= answers 404.
 */
export interface SeedDevice {
  device_id: string
  /** The device's channel override (a channel name of this app), set when the emulator starts. */
  channel?: string
  platform?: 'ios' | 'android'
  version_name?: string
  /** Default ''. */
  custom_id?: string
  /** When the device last contacted Capgo (PostgREST timestamp or ISO); default: the start time. */
  updated_at?: string
}

export interface SeedApp {
  app_id: string
  /**
   * A number N generates N bundles named `1.0.0` .. `1.0.${N-1}` (oldest first), one every
   * `bundleIntervalMs` (default 1 hour) ending at `bundleEnd` (default now); or explicit rows
   * (rows without `created_at` get the same spacing, in the order given, oldest first).
   */
  bundles?: number | SeedBundle[]
  bundleIntervalMs?: number
  bundleEnd?: Date
  channels?: SeedChannel[]
  devices?: SeedDevice[]
}

export type FaultKind =
  | 'status'
  | 'html'
  | 'drop-before'
  | 'drop-after'
  | 'slow'
  | 'truncated'
  | 'extra-rows'
  | 'echo-key'
  | 'trickle-headers'
  | 'processing-102'
  | 'huge-body'
  | 'error-200'
  | 'body'

export interface FaultRequest {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
}

export interface FaultRule {
  /** e.g. 'DELETE'; undefined = any. */
  method?: string
  /** e.g. '/bundle'; undefined = any. */
  path?: string
  /**
   * Fires only when this returns true. It runs once per matching request, before the request is
   * handled, so a test may also use it as a hook to change `emu.state` mid-run (return false to let
   * the request through untouched).
   */
  when?: (req: FaultRequest) => boolean
  kind: FaultKind
  /** For 'status' (default 500), 'html' (default 502) and 'body' (default 200). */
  status?: number
  /** For a 429 'status' fault: sets the Retry-After header and moreInfo.retryAfterSeconds (omitted = no header). */
  retryAfterSeconds?: number
  /** For 'slow': wait this long before answering (then answer normally). Default 1000. */
  delayMs?: number
  /** For 'trickle-headers' (one byte each) and 'processing-102' (one 102 each). Default 500. */
  intervalMs?: number
  /** For 'huge-body': how many bytes the JSON array streams (default 600 MB). */
  bytes?: number
  /**
   * For 'error-200' and 'status': the `error` code of the body (default 'unknown_error' for
   * 'error-200'; for 'status' a code derived from the status, e.g. 503 'service_unavailable').
   * `{ kind: 'status', status: 503, code: 'upstream_unavailable' }` is Capgo's answer to a
   * transient database fault during a permission check (see `upstreamUnavailable()`).
   */
  code?: string
  /** For 'error-200' and 'status': the `message` of the body (default: a generic text). */
  message?: string
  /** For 'status': the `moreInfo` of the body (default `{}`, plus retryAfterSeconds when given). */
  moreInfo?: Record<string, unknown>
  /** For 'body': the raw body text, sent as it is. */
  body?: string
  /** For 'body': the content-type (default 'application/json; charset=utf-8'). */
  contentType?: string
  /** Fire at most this many times (default: unlimited). */
  count?: number
  /** Fire on this share (0..1) of matching requests, using a seeded PRNG (option `seed`). */
  share?: number
  /** Let the first `skip` matching requests through first. */
  skip?: number
}

export interface EmulatorOptions {
  /**
   * The Capgo to copy (default 'late-2026'). docs/capgo-api-notes.md, "Changes since July 2026",
   * lists what differs: a new stable bundle ends a rollout, rolloutEnabled:false clears the rollout
   * bundle, GET /bundle past the end is 200 [], cannot_get_bundle/cannot_delete_bundle for an
   * unreachable app, a public channel needs app_admin, channel update packages, device overrides that
   * never expire and GET /device's custom_id filter.
   */
  era?: CapgoEra
  /**
   * Uncertain change 9: GET /channel reads `page` as a number (page P = rows 50P..50P+49, no
   * concatenation defect), whatever `pagingDefect` says (which then applies to /bundle only).
   * Default false.
   */
  channelPagingFixed?: boolean
  /** Uncertain change 9: GET /channel rows carry `ios` and `android` (never `electron`). Default false. */
  channelRowPlatforms?: boolean
  /**
   * /device's own limits (Cap-go/capgo utils/channelSelfRateLimit.ts): `perSecond` operations of
   * one kind (get, set, delete) on one device per one-second window (default 5), and the same
   * device set to the same channel again within `sameChannelMs` (default 60_000).
   */
  deviceLimits?: { perSecond?: number; sameChannelMs?: number }
  /** Default 0 = a random free port; always binds 127.0.0.1. */
  port?: number
  /** A loopback address to listen on: `127.0.0.1` (default) or `::1` (IPv6). */
  host?: '127.0.0.1' | '::1'
  /** Default `{ 'test-admin-key': 'admin' }`. */
  keys?: Record<string, Role | KeySpec>
  apps?: SeedApp[]
  /** Default true. */
  pagingDefect?: boolean
  /** Added to every request before it is handled. */
  latencyMs?: number
  /**
   * Per key, as Capgo counts (docs/capgo-api-notes.md, "Rate limits"): every authenticated request, a
   * refused one included, adds 1 and sets the reset to now + windowMs; the count is dropped only
   * after windowMs with no request; a request that brings the count to `max` or more gets 429.
   * Defaults: max 2000, windowMs 60_000.
   */
  rateLimit?: { max?: number; windowMs?: number }
  /**
   * Failed logins (missing or unknown key) per IP: once `failures` (default 20) are recorded, each
   * within `windowMs` (default 15 min) of the one before, every request from that IP gets 429 until
   * windowMs after the last failure.
   */
  lockout?: { failures?: number; windowMs?: number }
  /** Equal created_at: 'stable' (id descending, default) or 'shuffle' (seeded, per request). */
  tieOrder?: 'stable' | 'shuffle'
  /** The most rows one list page may hold (PostgREST max_rows). Default 1000. */
  maxRows?: number
  faults?: FaultRule[]
  /** PRNG seed for `share` and `tieOrder: 'shuffle'` (default 1). */
  seed?: number
  /** Called once a request is answered (its status set): `npm run emulator` logs each one. */
  onAnswer?: (request: LoggedRequest) => void
  /** Clock (ms), default Date.now: created_at of new rows, the device rules, rate limit, lockout. */
  now?: () => number
}

export interface LoggedRequest {
  seq: number
  method: string
  path: string
  query: Record<string, string>
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown
  headers: Record<string, string | undefined>
  /** The status sent (429 included; for 'drop-after', the one the handler computed); 0 when none. */
  status: number
  fault?: FaultKind
  /** now() when the request arrived. */
  at: number
  /** Bytes of the JSON body sent (ordinary answers; not set for faults that write their own). */
  responseBytes?: number
}

/** A row of GET /bundle (stored as is; soft-deleted rows stay with deleted=true). */
export interface BundleRow {
  id: number
  name: string
  app_id: string
  created_at: string
  updated_at: string
  deleted: boolean
  checksum: string | null
  external_url: string | null
  min_update_version: string | null
  native_packages: unknown[] | null
  owner_org: string
  r2_path: string | null
  session_key: string | null
  storage_provider: string
  user_id: string | null
  link: string | null
  comment: string | null
  /** Delta files of the bundle (0: none). */
  manifest_count: number
}

export type AutoPauseAction = 'pause' | 'rollback' | 'notify'

/** The columns a channel row shows as they are stored (everything but version and the platforms). */
export interface ChannelSettings {
  id: number
  name: string
  app_id: string
  created_at: string
  created_by: string
  updated_at: string
  public: boolean
  /** A bundle id, or null. */
  rollout_version: number | null
  rollout_id: string
  rolloutEnabled: boolean
  rolloutPercentageBps: number
  rolloutPausedAt: string | null
  rolloutPauseReason: string | null
  rolloutCacheTtlSeconds: number
  autoPauseEnabled: boolean
  autoPauseWindowMinutes: number
  autoPauseFailureRateBps: number | null
  autoPauseConfidence: number
  autoPauseMinAttempts: number | null
  autoPauseMinFailures: number | null
  autoPauseAction: AutoPauseAction
  autoPauseCooldownMinutes: number
  autoPauseLastTriggeredAt: string | null
  autoPauseLastCheckedAt: string | null
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  allow_device_self_set: boolean
  allow_emulator: boolean
  allow_dev: boolean
  allow_prod: boolean
  allow_device: boolean
}

export interface ChannelPlatforms {
  ios: boolean
  android: boolean
  electron: boolean
}

/** A channel as stored: the bundle id in `version`, the platforms, and who created it. */
export interface StoredChannel extends ChannelSettings, ChannelPlatforms {
  version: number | null
  /** Shown (and enforced) only in the late-2026 era. */
  updatePackage: UpdatePackage
  /** The key that created the channel (a `preview` key may manage only its own channels). */
  createdByKey: string | null
}

/**
 * A row of GET /channel: no platforms (unless `channelRowPlatforms`: ios and android);
 * `version` and `rollout_version_info` are `{id, name}` or null; `updatePackage` in late-2026 only.
 */
export interface ChannelRow extends ChannelSettings {
  version: { id: number; name: string } | null
  rollout_version_info: { id: number; name: string } | null
  updatePackage?: UpdatePackage
  ios?: boolean
  android?: boolean
}

/** A device as stored (the override lives in AppState.overrides). */
export interface StoredDevice {
  device_id: string
  app_id: string
  version_name: string | null
  platform: 'ios' | 'android' | null
  plugin_version: string | null
  os_version: string | null
  is_prod: boolean
  is_emulator: boolean
  custom_id: string | null
  created_at: string
  updated_at: string
}

/** A row of GET /device: `channel` is the override's channel name, or null. */
export interface DeviceRow extends StoredDevice {
  channel: string | null
}

/** GET /device without device_id. `nextCursor` is left out when there is no next page. */
export interface DevicePage {
  data: DeviceRow[]
  nextCursor?: string
  hasMore: boolean
}

export interface AppState {
  app_id: string
  owner_org: string
  /** Every bundle, soft-deleted ones included, in creation order. */
  bundles: BundleRow[]
  /** Every channel, in creation order. */
  channels: StoredChannel[]
  /** Every known device, in creation order. */
  devices: StoredDevice[]
  /** Device overrides: lowercased device_id -> channel id. */
  overrides: Record<string, number>
  /** When each override was last written (ms): july-2026 drops it 30 days later. */
  overrideSetAt: Record<string, number>
}

export interface EmulatorState {
  apps: Record<string, AppState>
  /** The next id handed to a new bundle / channel (ids are global, like the DB's). */
  nextBundleId: number
  nextChannelId: number
}

export interface EmulatorStats {
  /** Requests answered 429 by the per-key rate limit. */
  rateLimited: number
  /** Requests answered 429 because their IP was locked out. */
  lockedOut: number
  /** Requests answered 401 (missing or unknown key). */
  failedLogins: number
}

export interface Emulator {
  /** 'http://127.0.0.1:PORT' */
  url: string
  /** The Capgo this emulator copies. */
  era: CapgoEra
  port: number
  /** Live, mutable state. */
  state: EmulatorState
  /** The request log, in arrival order (live array). */
  requests: LoggedRequest[]
  /** Only non-GET requests. */
  writes(): LoggedRequest[]
  addFault(rule: FaultRule): void
  clearFaults(): void
  clearLog(): void
  /** Counters of refusals by the rate limit and the lockout. */
  stats(): EmulatorStats
  /** Newest first (created_at desc, then id desc). Throws on an unknown app. */
  bundles(appId: string, opts?: { includeDeleted?: boolean }): BundleRow[]
  /** As GET /channel returns it. Throws on an unknown app. */
  channel(appId: string, name: string): ChannelRow | undefined
  /** The platform flags the API does not show. Throws on an unknown app. */
  channelPlatforms(appId: string, name: string): ChannelPlatforms | undefined
  /** What Capgo's auto-pause does: sets rolloutPausedAt (now) and the reason. Throws on an unknown app or channel. */
  pauseRollout(appId: string, channel: string, reason: string): void
  /** The override's channel name (an expired one, in july-2026, is gone). Throws on an unknown app. */
  deviceOverride(appId: string, deviceId: string): string | undefined
  /** Closes the server and all sockets promptly. */
  stop(): Promise<void>
}
