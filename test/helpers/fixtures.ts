// Small builders for planner tests: bundles one day apart, channels, settings, inventories.

import type { Bundle, Channel } from '../../src/capgo/types.js'
import type { Inventory, Release } from '../../src/plan/index.js'
import type { CleanupSettings, Settings } from '../../src/settings.js'

export const APP = 'com.example.app'
export const DAY = 86_400_000
/** The upload time of the first bundle a builder makes; the next ones follow a day apart. */
export const T0 = Date.UTC(2025, 0, 1)

/** One bundle row. `id` also fixes its upload time: T0 + (id - 1) days unless `createdAt` is given. */
export function bundle(id: number, name: string, createdAt?: number | string): Bundle {
  const at = createdAt ?? T0 + (id - 1) * DAY
  return {
    id,
    name,
    app_id: APP,
    created_at: typeof at === 'string' ? at : new Date(at).toISOString(),
    deleted: false
  }
}

/** Bundles named as given, ids 1..n, uploaded one day apart (the last one is the newest). */
export function bundles(names: readonly string[]): Bundle[] {
  return names.map((name, i) => bundle(i + 1, name))
}

/** `count` bundles named `1.0.0` .. `1.0.<count-1>`, ids 1..count, one day apart. */
export function series(count: number): Bundle[] {
  return bundles(Array.from({ length: count }, (_, i) => `1.0.${i}`))
}

let nextChannelId = 1000

/**
 * A channel row as `GET /channel` returns it today (docs/capgo-api.md, "Channels"), with Capgo's
 * defaults for a new channel: no `ios`/`android`/`electron` (Capgo never reports them), and the
 * rollout fields of a channel without a rollout.
 */
export function channel(
  name: string,
  version: Bundle | null = null,
  extra: Partial<Channel> = {}
): Channel {
  const at = new Date(T0).toISOString()
  return {
    id: nextChannelId++,
    name,
    created_at: at,
    updated_at: at,
    public: false,
    version: version ? { id: version.id, name: version.name } : null,
    rollout_version: null,
    rollout_version_info: null,
    rollout_id: null,
    rolloutEnabled: false,
    rolloutPercentageBps: 0,
    rolloutPausedAt: null,
    rolloutPauseReason: null,
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true,
    allow_prod: true,
    allow_device: true,
    ...extra
  }
}

/**
 * The rollout fields of a channel row on which `bundle` is rolled out to `percentage` % of the
 * devices, as Capgo reports them (the share in basis points, the pause as a time and a reason).
 */
export function rollout(
  rolled: Bundle,
  percentage: number,
  options: { enabled?: boolean; pausedReason?: string | null; paused?: boolean } = {}
): Partial<Channel> {
  const paused = options.paused ?? options.pausedReason !== undefined
  return {
    rollout_version: rolled.id,
    rollout_version_info: { id: rolled.id, name: rolled.name },
    rollout_id: `rollout-${rolled.id}`,
    rolloutEnabled: options.enabled ?? true,
    rolloutPercentageBps: Math.round(percentage * 100),
    rolloutPausedAt: paused ? new Date(T0).toISOString() : null,
    rolloutPauseReason: paused ? (options.pausedReason ?? null) : null
  }
}

/** Settings with the defaults of the README and nothing to do; override what a test needs. */
export function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    apiKey: 'sk_test_key',
    appId: APP,
    apiUrl: 'https://api.capgo.app',
    channelFields: {},
    platforms: {},
    rollback: false,
    github: { token: '', deployment: false, prComment: false },
    devices: [],
    unlinkDevices: [],
    deleteVersions: [],
    cleanupPattern: [],
    cleanupProtect: [],
    maxDelete: 100,
    deleteAllBundles: false,
    dryRun: false,
    concurrency: 4,
    retries: 3,
    timeoutMs: 30_000,
    ...overrides
  }
}

/** A cleanup section: `keep` newest, and/or older than `olderThanDays` days. */
export function cleanup(options: {
  keep?: number
  olderThanDays?: number
  order?: CleanupSettings['order']
}): CleanupSettings {
  const result: CleanupSettings = { order: options.order ?? 'created' }
  if (options.keep !== undefined) result.keep = options.keep
  if (options.olderThanDays !== undefined) {
    result.olderThanMs = options.olderThanDays * DAY
    result.olderThanText = `${options.olderThanDays}d`
  }
  return result
}

export function inventory(
  bundleRows: Bundle[] | undefined,
  channels: Channel[] = [],
  deviceChannels: Inventory['deviceChannels'] = {},
  releases?: Inventory['releases']
): Inventory {
  const result: Inventory =
    bundleRows === undefined
      ? { channels, deviceChannels }
      : { channels, bundles: bundleRows, deviceChannels }
  if (releases !== undefined) result.releases = releases
  return result
}

/** Releases of a channel, newest first, as read from its GitHub deployments. */
export function releases(...versions: string[]): Release[] {
  return versions.map((version, i) => ({
    version,
    deploymentId: 9000 - i,
    createdAt: new Date(T0 + (versions.length - i) * DAY).toISOString()
  }))
}
