// Small builders for planner tests: bundles one day apart, channels, settings, inventories.

import type { Bundle, Channel } from '../../src/capgo/types.js'
import type { ChannelWrite, Inventory, Release } from '../../src/plan/index.js'
import type { CleanupSettings, Settings } from '../../src/settings/index.js'

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
 * A channel row as `GET /channel` returns it today (docs/capgo-api-notes.md, "Channels"), with Capgo's
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
    createChannel: 'auto',
    // The gate has tests of its own (plan-compatibility); other plans are about other rules.
    compatibility: 'off',
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

/**
 * The channel rows after Capgo carries out a plan's write (docs/capgo-api-notes.md): a model of the
 * server, written from the API's description and not from the planner, so that a test can run the
 * plan a second time against the state it left. `ios`/`android`/`electron` are stored by Capgo but
 * never reported, so they leave no trace in a row.
 */
export function applyWrite(
  channels: readonly Channel[],
  rows: readonly Bundle[],
  write: ChannelWrite | null | undefined,
  at: number = T0,
  era: 'late-2026' | 'july-2026' = 'late-2026'
): Channel[] {
  if (!write) return [...channels]
  // Since August 2026 a new stable bundle ends the channel's rollout, unless the same write
  // changes the rollout bundle (docs/capgo-api-notes.md, "A new stable bundle ends a rollout").
  const endsRollout = (before: Channel, after: Channel, rolloutSent: boolean): Channel => {
    const changed = bundleRefId(before.version) !== bundleRefId(after.version)
    if (era === 'july-2026' || !changed || rolloutSent || before.rollout_version === null) {
      return after
    }
    return {
      ...after,
      rollout_version: null,
      rollout_version_info: null,
      rollout_id: `rotated-${before.id}`,
      rolloutEnabled: false,
      rolloutPercentageBps: 0,
      rolloutPausedAt: null,
      rolloutPauseReason: null
    }
  }
  const live = rows.filter(b => !b.deleted)
  const ref = (b: Bundle | undefined): { id: number; name: string } => {
    if (!b) throw new Error('the write names a bundle that does not exist')
    return { id: b.id, name: b.name }
  }
  if (write.kind === 'set_bundle') {
    if (!channels.some(c => c.id === write.body.channel_id)) throw new Error('cannot_find_channel')
    return channels.map(c =>
      c.id === write.body.channel_id
        ? endsRollout(
            c,
            { ...c, version: ref(live.find(b => b.id === write.body.version_id)) },
            false
          )
        : c
    )
  }
  const body = write.body
  const byName = (name: string): Bundle | undefined =>
    live.filter(b => b.name === name).sort((a, b) => b.id - a.id)[0]
  const existing = channels.find(c => c.name === body.channel)
  const row: Channel = existing ? { ...existing } : channel(body.channel, null)
  if (body.version !== undefined) row.version = ref(byName(body.version))
  if (body.public !== undefined) row.public = body.public
  if (body.disableAutoUpdate !== undefined) row.disableAutoUpdate = body.disableAutoUpdate
  if (body.disableAutoUpdateUnderNative !== undefined)
    row.disableAutoUpdateUnderNative = body.disableAutoUpdateUnderNative
  if (body.allow_device_self_set !== undefined)
    row.allow_device_self_set = body.allow_device_self_set
  if (body.allow_emulator !== undefined) row.allow_emulator = body.allow_emulator
  if (body.allow_dev !== undefined) row.allow_dev = body.allow_dev
  const cleared: Partial<Channel> = {
    rollout_version: null,
    rollout_version_info: null,
    rollout_id: null,
    rolloutEnabled: false,
    rolloutPercentageBps: 0,
    rolloutPausedAt: null,
    rolloutPauseReason: null
  }
  if (body.promoteToStable === true) {
    if (row.rollout_version === null) throw new Error('missing_rollout_version')
    row.version = ref(live.find(b => b.id === row.rollout_version))
    Object.assign(row, cleared)
  } else if (body.rollback === true) {
    Object.assign(row, cleared)
  } else {
    if (body.rolloutVersion !== undefined) {
      if (row.version === null) throw new Error('missing_stable_version')
      const rolled = ref(byName(body.rolloutVersion))
      row.rollout_version = rolled.id
      row.rollout_version_info = rolled
    }
    if (body.rolloutPercentageBps !== undefined)
      row.rolloutPercentageBps = body.rolloutPercentageBps
    if (body.rolloutEnabled !== undefined) row.rolloutEnabled = body.rolloutEnabled
    if (body.rolloutPaused !== undefined) {
      // A pause asked through the API has no reason of Capgo's own (no auto-pause).
      row.rolloutPausedAt = body.rolloutPaused ? new Date(at).toISOString() : null
      row.rolloutPauseReason = null
    }
  }
  const written =
    existing && body.version !== undefined
      ? endsRollout(existing, row, body.rolloutVersion !== undefined)
      : row
  return [...channels.filter(c => c.name !== body.channel), written]
}

function bundleRefId(value: Channel['version']): number | null {
  return value === null || value === undefined ? null : value.id
}
