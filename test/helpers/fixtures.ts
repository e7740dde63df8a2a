// Small builders for planner tests: bundles one day apart, channels, settings, inventories.

import type { Bundle, Channel } from '../../src/capgo/types.js'
import type { Inventory } from '../../src/plan/index.js'
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

/** A channel row as `GET /channel` returns it, with Capgo's defaults for a new channel. */
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
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    ios: true,
    android: true,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true,
    allow_prod: true,
    allow_device: true,
    ...extra
  }
}

/** Settings with the defaults of ACTION.md and nothing to do; override what a test needs. */
export function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    apiKey: 'sk_test_key',
    appId: APP,
    apiUrl: 'https://api.capgo.app',
    channelFields: {},
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
  deviceChannels: Inventory['deviceChannels'] = {}
): Inventory {
  return bundleRows === undefined
    ? { channels, deviceChannels }
    : { channels, bundles: bundleRows, deviceChannels }
}
