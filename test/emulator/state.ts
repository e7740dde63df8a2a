// Seeding and row helpers of the Capgo emulator.
import { createHash } from 'node:crypto'
import type {
  AppState,
  BundleRow,
  CapgoEra,
  ChannelPlatforms,
  ChannelRow,
  DeviceRow,
  EmulatorState,
  SeedApp,
  SeedBundle,
  StoredChannel,
  StoredDevice
} from './types.js'

const HOUR = 3_600_000

/** PostgREST's timestamp format, e.g. `2026-01-02T03:04:05.678+00:00`. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

export function fakeUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function newBundleRow(
  app: AppState,
  id: number,
  name: string,
  createdAt: string
): BundleRow {
  return {
    id,
    name,
    app_id: app.app_id,
    created_at: createdAt,
    updated_at: createdAt,
    deleted: false,
    checksum: createHash('sha256').update(`${app.app_id}@${name}#${id}`).digest('hex').slice(0, 32),
    external_url: null,
    min_update_version: null,
    native_packages: [],
    owner_org: app.owner_org,
    r2_path: `orgs/${app.owner_org}/apps/${app.app_id}/${name}.zip`,
    session_key: null,
    storage_provider: 'r2',
    user_id: fakeUuid(`user:${app.owner_org}`),
    link: null,
    comment: null,
    manifest_count: 0
  }
}

/**
 * Stores a bundle without a zip as Capgo stores a delta-only upload, and with delta files as a
 * manifest count: what Capgo's package check reads (Cap-go/capgo.app
 * supabase/migrations/20260814161627_channel_update_package_bundle_guard.sql,
 * channel_update_package_mismatch).
 */
export function setBundlePackages(row: BundleRow, zip: boolean, delta: boolean): void {
  if (!zip) {
    row.storage_provider = 'r2-direct'
    row.r2_path = null
    row.external_url = null
  }
  row.manifest_count = delta ? 3 : 0
}

/** Whether the bundle has a zip Capgo can serve (same migration). */
export function hasZip(b: BundleRow): boolean {
  if (b.storage_provider === 'external') return Boolean(b.external_url?.trim())
  return b.storage_provider !== 'r2-direct' && Boolean(b.r2_path?.trim())
}

/** Whether the bundle has delta files (same migration). */
export const hasDelta = (b: BundleRow): boolean => b.manifest_count > 0

let rollouts = 0

/** A fresh rollout_id: Capgo draws a new one each time a channel's rollout bundle changes. */
export function newRolloutId(channelId: number): string {
  return fakeUuid(`rollout:${channelId}:${++rollouts}`)
}

/** A channel with the database's defaults. */
export function newChannel(
  app: AppState,
  id: number,
  name: string,
  at: string,
  createdByKey: string | null = null
): StoredChannel {
  return {
    id,
    name,
    app_id: app.app_id,
    created_at: at,
    created_by: fakeUuid(`user:${app.owner_org}`),
    updated_at: at,
    public: false,
    version: null,
    rollout_version: null,
    rollout_id: newRolloutId(id),
    rolloutEnabled: false,
    rolloutPercentageBps: 0,
    rolloutPausedAt: null,
    rolloutPauseReason: null,
    rolloutCacheTtlSeconds: 2_592_000,
    autoPauseEnabled: false,
    autoPauseWindowMinutes: 60,
    autoPauseFailureRateBps: null,
    autoPauseConfidence: 0.95,
    autoPauseMinAttempts: null,
    autoPauseMinFailures: null,
    autoPauseAction: 'pause',
    autoPauseCooldownMinutes: 60,
    autoPauseLastTriggeredAt: null,
    autoPauseLastCheckedAt: null,
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    updatePackage: 'all',
    ios: true,
    android: true,
    electron: true,
    createdByKey,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true,
    allow_prod: true,
    allow_device: true
  }
}

export function newDevice(appId: string, deviceId: string, at: string): StoredDevice {
  return {
    device_id: deviceId,
    app_id: appId,
    version_name: null,
    platform: null,
    plugin_version: null,
    os_version: null,
    is_prod: true,
    is_emulator: false,
    custom_id: null,
    created_at: at,
    updated_at: at
  }
}

/** created_at descending, then id descending (deterministic). */
export function newestFirst(a: BundleRow, b: BundleRow): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id
}

/** created_at ascending, then id ascending. */
export function oldestFirst(a: { created_at: string; id: number }, b: typeof a): number {
  return Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id
}

/**
 * Live bundles, newest first. Equal created_at: id descending, or, given `random`, in a random
 * order (Postgres without a tie-breaker gives no fixed order).
 */
/** The stable order of an app's live bundles, kept while the bundles do not change. */
const sortedCache = new WeakMap<AppState, { key: string; rows: BundleRow[] }>()

export function liveBundles(app: AppState, random?: () => number): BundleRow[] {
  const live = app.bundles.filter(b => !b.deleted)
  if (random) {
    // Postgres without a tie-breaker: equal times in an order that changes from query to query.
    const rows = live.map(b => ({ b, t: Date.parse(b.created_at), r: random() }))
    rows.sort((x, y) => y.t - x.t || x.r - y.r)
    return rows.map(x => x.b)
  }
  // Sorting 100,000 rows on every page request would make the emulator, not the client, the
  // bottleneck of a benchmark: keep the order while the set of live rows is the same.
  const key = `${app.bundles.length}:${live.length}:${live[0]?.id}:${live.at(-1)?.id}`
  const cached = sortedCache.get(app)
  if (cached && cached.key === key) return cached.rows
  const rows = live.map(b => ({ b, t: Date.parse(b.created_at) }))
  rows.sort((x, y) => y.t - x.t || y.b.id - x.b.id)
  const sorted = rows.map(x => x.b)
  sortedCache.set(app, { key, rows: sorted })
  return sorted
}

/** The newest non-deleted bundle of that name (a scan: no sort needed for one name). */
export function findBundleByName(app: AppState, name: string): BundleRow | undefined {
  let found: BundleRow | undefined
  for (const b of app.bundles) {
    if (b.deleted || b.name !== name) continue
    if (found === undefined || newestFirst(b, found) < 0) found = b
  }
  return found
}

export function isLinked(app: AppState, bundleId: number): boolean {
  return app.channels.some(c => c.version === bundleId || c.rollout_version === bundleId)
}

function bundleRef(app: AppState, id: number | null): { id: number; name: string } | null {
  const b = id === null ? undefined : app.bundles.find(x => x.id === id)
  return b ? { id: b.id, name: b.name } : null
}

/** What a channel row shows besides the stored settings. */
export interface RowView {
  era: CapgoEra
  /** Uncertain change 9: rows carry ios and android. */
  platforms: boolean
}

/**
 * A channel as GET /channel shows it: no ios/android/electron (ios and android with
 * `view.platforms`), bundles as `{id, name}`, `updatePackage` in late-2026 only.
 */
export function channelRow(
  app: AppState,
  c: StoredChannel,
  view: RowView = { era: 'late-2026', platforms: false }
): ChannelRow {
  const {
    ios,
    android,
    electron: _electron,
    createdByKey: _key,
    version,
    updatePackage,
    ...settings
  } = c
  return {
    ...settings,
    ...(view.platforms ? { ios, android } : {}),
    ...(view.era === 'late-2026' ? { updatePackage } : {}),
    version: bundleRef(app, version),
    rollout_version_info: bundleRef(app, c.rollout_version)
  }
}

const OVERRIDE_LIFETIME_MS = 30 * 86_400_000

/**
 * july-2026: Capgo's daily cleanup (cleanup_old_channel_devices) dropped overrides a month after
 * they were written; late-2026 keeps overrides made through the API (docs/capgo-api-notes.md).
 */
export function expireOverrides(app: AppState, era: CapgoEra, nowMs: number): void {
  if (era !== 'july-2026') return
  for (const [device, at] of Object.entries(app.overrideSetAt)) {
    if (nowMs - at < OVERRIDE_LIFETIME_MS) continue
    delete app.overrides[device]
    delete app.overrideSetAt[device]
  }
}

export function setOverride(app: AppState, deviceId: string, channelId: number, nowMs: number) {
  app.overrides[deviceId] = channelId
  app.overrideSetAt[deviceId] = nowMs
}

export function removeOverride(app: AppState, deviceId: string): void {
  delete app.overrides[deviceId]
  delete app.overrideSetAt[deviceId]
}

export function channelPlatforms(c: StoredChannel): ChannelPlatforms {
  return { ios: c.ios, android: c.android, electron: c.electron }
}

export function deviceRow(app: AppState, d: StoredDevice): DeviceRow {
  const channelId = app.overrides[d.device_id]
  const channel = app.channels.find(c => c.id === channelId)
  return { ...d, channel: channel?.name ?? null }
}

export function seedState(apps: SeedApp[], nowMs: number): EmulatorState {
  const state: EmulatorState = { apps: {}, nextBundleId: 1, nextChannelId: 1 }
  for (const seed of apps) {
    if (state.apps[seed.app_id]) throw new Error(`emulator seed: app ${seed.app_id} given twice`)
    const app: AppState = {
      app_id: seed.app_id,
      owner_org: fakeUuid(`org:${seed.app_id}`),
      bundles: [],
      channels: [],
      devices: [],
      overrides: {},
      overrideSetAt: {}
    }
    state.apps[seed.app_id] = app

    const interval = seed.bundleIntervalMs ?? HOUR
    const end = seed.bundleEnd?.getTime() ?? nowMs
    const rows =
      typeof seed.bundles === 'number'
        ? Array.from({ length: seed.bundles }, (_, i) => ({ name: `1.0.${i}` }) as const)
        : (seed.bundles ?? [])
    rows.forEach((r, i) => {
      const id = 'id' in r && r.id !== undefined ? r.id : state.nextBundleId
      if (Object.values(state.apps).some(a => a.bundles.some(b => b.id === id)))
        throw new Error(`emulator seed: bundle id ${id} given twice`)
      state.nextBundleId = Math.max(state.nextBundleId, id + 1)
      const createdAt =
        'created_at' in r && r.created_at !== undefined
          ? r.created_at
          : timestamp(end - (rows.length - 1 - i) * interval)
      const row = newBundleRow(app, id, r.name, createdAt)
      const sb: SeedBundle = r
      row.deleted = sb.deleted ?? false
      if (sb.link !== undefined) row.link = sb.link
      if (sb.comment !== undefined) row.comment = sb.comment
      if (sb.native_packages !== undefined) row.native_packages = sb.native_packages
      setBundlePackages(row, sb.zip ?? true, sb.delta ?? false)
      app.bundles.push(row)
    })

    const at = timestamp(nowMs)
    for (const sc of seed.channels ?? []) {
      if (app.channels.some(c => c.name === sc.name))
        throw new Error(`emulator seed: channel ${sc.name} given twice in ${seed.app_id}`)
      const c = newChannel(app, state.nextChannelId++, sc.name, at)
      const link = (name: string | null | undefined): number | null => {
        if (name === undefined || name === null) return null
        const b = findBundleByName(app, name)
        if (!b) throw new Error(`emulator seed: channel ${sc.name} links unknown bundle ${name}`)
        return b.id
      }
      const { name: _n, version, rollout_version, ...flags } = sc
      Object.assign(c, flags)
      c.version = link(version)
      c.rollout_version = link(rollout_version)
      app.channels.push(c)
    }

    for (const sd of seed.devices ?? []) {
      const id = sd.device_id.toLowerCase()
      const d = newDevice(app.app_id, id, at)
      d.platform = sd.platform ?? 'android'
      d.version_name = sd.version_name ?? 'builtin'
      d.plugin_version = '7.0.0'
      d.os_version = d.platform === 'ios' ? '18.0' : '15'
      d.custom_id = sd.custom_id ?? ''
      if (sd.updated_at !== undefined) d.updated_at = sd.updated_at
      app.devices.push(d)
      if (sd.channel !== undefined) {
        const c = app.channels.find(x => x.name === sd.channel)
        if (!c)
          throw new Error(`emulator seed: device ${id} overrides unknown channel ${sd.channel}`)
        setOverride(app, id, c.id, nowMs)
      }
    }
  }
  return state
}

/** mulberry32: a small seeded PRNG returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Capgo's trigger normalize_public_channel_overlap: whenever a public channel is written, every other
 * public channel of the app sharing one of its platforms becomes non-public.
 */
export function normalizePublic(app: AppState, c: StoredChannel, at: string): void {
  if (!c.public) return
  for (const other of app.channels) {
    if (other === c || !other.public) continue
    if ((c.ios && other.ios) || (c.android && other.android) || (c.electron && other.electron)) {
      other.public = false
      other.updated_at = at
    }
  }
}
