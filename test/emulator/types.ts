// Public types of the Capgo emulator (see shared/capgo-api.md for the behaviour it copies).

export type DisableAutoUpdate = 'major' | 'minor' | 'patch' | 'version_number' | 'none'
export const DISABLE_AUTO_UPDATE: readonly DisableAutoUpdate[] = [
  'major',
  'minor',
  'patch',
  'version_number',
  'none'
]

export type Role =
  'reader' | 'uploader' | 'developer' | 'admin' | 'preview' | 'org_admin' | 'org_super_admin'

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
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  allow_device_self_set?: boolean
  allow_emulator?: boolean
  allow_dev?: boolean
  allow_prod?: boolean
  allow_device?: boolean
}

export interface SeedDevice {
  device_id: string
  /** The device's channel override (a channel name of this app). */
  channel?: string
  platform?: 'ios' | 'android'
  version_name?: string
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
  when?: (req: FaultRequest) => boolean
  kind: FaultKind
  /** For 'status' (429/500/502/503/...; default 500) and 'html' (default 502). */
  status?: number
  /** For a 429 'status' fault: sets the Retry-After header and moreInfo.retryAfterSeconds (omitted = no header). */
  retryAfterSeconds?: number
  /** For 'slow': wait this long before answering (then answer normally). Default 1000. */
  delayMs?: number
  /** Fire at most this many times (default: unlimited). */
  count?: number
  /** Fire on this share (0..1) of matching requests, using a seeded PRNG (option `seed`). */
  share?: number
  /** Let the first `skip` matching requests through first. */
  skip?: number
}

export interface EmulatorOptions {
  /** Default 0 = a random free port; always binds 127.0.0.1. */
  port?: number
  /** Default `{ 'test-admin-key': 'admin' }`. */
  keys?: Record<string, Role | KeySpec>
  apps?: SeedApp[]
  /** Default true. */
  pagingDefect?: boolean
  /** Added to every request before it is handled. */
  latencyMs?: number
  /** Per key: `max` requests (default 2000), then 429 until `windowMs` (default 60_000) pass with no request. */
  rateLimit?: { max?: number; windowMs?: number }
  faults?: FaultRule[]
  /** PRNG seed for `share` (default 1). */
  seed?: number
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
  /** The status sent (or, for 'drop-after', the one the handler computed); 0 for 'drop-before'. */
  status: number
  fault?: FaultKind
  /** now() when the request arrived. */
  at: number
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
}

interface ChannelCommon {
  id: number
  name: string
  app_id: string
  created_at: string
  updated_at: string
  public: boolean
  /** A bundle id, or null. */
  rollout_version: number | null
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  ios: boolean
  android: boolean
  allow_device_self_set: boolean
  allow_emulator: boolean
  allow_dev: boolean
  allow_prod: boolean
  allow_device: boolean
}

/** A channel as stored: `version` is the linked bundle's id (the DB column), or null. */
export interface StoredChannel extends ChannelCommon {
  version: number | null
}

/** A row of GET /channel: `version` is `{id, name}` of the linked bundle, or null. */
export interface ChannelRow extends ChannelCommon {
  version: { id: number; name: string } | null
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
}

export interface EmulatorState {
  apps: Record<string, AppState>
  /** The next id handed to a new bundle / channel (ids are global, like the DB's). */
  nextBundleId: number
  nextChannelId: number
}

export interface Emulator {
  /** 'http://127.0.0.1:PORT' */
  url: string
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
  /** Newest first (created_at desc, then id desc). Throws on an unknown app. */
  bundles(appId: string, opts?: { includeDeleted?: boolean }): BundleRow[]
  /** As GET /channel returns it. Throws on an unknown app. */
  channel(appId: string, name: string): ChannelRow | undefined
  /** The override's channel name. Throws on an unknown app. */
  deviceOverride(appId: string, deviceId: string): string | undefined
  /** Closes the server and all sockets promptly. */
  stop(): Promise<void>
}
