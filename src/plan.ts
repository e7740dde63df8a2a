// The decision, and nothing else: settings + inventory -> plan. No I/O, no clock, no randomness,
// so that the same inputs always give the same plan and every rule can be tested as a table.

import type {
  Bundle,
  Channel,
  ChannelFields,
  ChannelUpsert,
  DisableAutoUpdate
} from './capgo/types.js'
import { compareSemver, compileGlobs, parseSemver, type SemVer } from './match.js'
import type { ChannelFieldSettings, Settings } from './settings.js'

/** What the plan was computed from. */
export interface Inventory {
  /** Every channel of the app. */
  channels: Channel[]
  /** Every bundle of the app that is not deleted; undefined when the run did not need them. */
  bundles?: Bundle[]
  /**
   * The channel override of each device named in `devices` or `unlink_devices`: a channel name,
   * null for none, undefined when Capgo did not say (unknown device, or a row without it).
   */
  deviceChannels: Record<string, string | null | undefined>
}

export type Fate = 'delete' | 'keep' | 'protected'
export type DeletionSource = 'delete_versions' | 'cleanup' | 'delete_all_bundles'

export interface BundleDecision {
  id: number
  version: string
  createdAt: string
  fate: Fate
  reason: string
  /** Set when fate is `delete`. */
  source?: DeletionSource
}

/** The settings of a channel that a user can see and change. */
export interface ChannelSnapshot {
  version: string | null
  public: boolean
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  ios: boolean
  android: boolean
  allowDeviceSelfSet: boolean
  allowEmulator: boolean
  allowDev: boolean
}

export interface ChannelPlan {
  name: string
  /** False when this run creates it. */
  exists: boolean
  before: ChannelSnapshot | null
  after: ChannelSnapshot
  /** The `POST /channel` body, or null when the channel is already as asked. */
  upsert: ChannelUpsert | null
  /** Names of the fields this run changes (`version`, `public`, ...). */
  changes: string[]
  /** Where the version came from: the `version` input, or the `promote_from` channel. */
  versionSource?: { kind: 'version' } | { kind: 'promote_from'; channel: string }
}

export interface DevicePlan {
  deviceId: string
  /** `link`/`unlink` send a request; `already` sends none. */
  action: 'link' | 'unlink' | 'already'
  /** The override before the run (null: none; undefined: unknown). */
  before: string | null | undefined
}

export interface Plan {
  appId: string
  dryRun: boolean
  deleteChannel: { name: string; exists: boolean } | null
  channel: ChannelPlan | null
  links: DevicePlan[]
  unlinks: DevicePlan[]
  /** True when the bundle list was read (a version check, a deletion or a cleanup). */
  bundlesRead: boolean
  /** Every bundle, newest first, with its fate, when bundles were read. */
  bundles: BundleDecision[]
  /** Deletions in the order they are carried out: explicit, then cleanup; then delete-all. */
  deletions: { phase: 'bundles' | 'delete_all_bundles'; decisions: BundleDecision[] }[]
  /** Versions exempt from deletion, when a cleanup, a delete-all or explicit deletions ran. */
  protectedVersions: string[]
  /** Bundles left after the plan is carried out; undefined when the bundles were not read. */
  keptCount: number | undefined
  /** Cannot be carried out: the run fails before any write. */
  errors: string[]
  warnings: string[]
}

/** Whether the run must read every bundle before planning. */
export function needsBundles(settings: Settings): boolean {
  return (
    settings.version !== undefined ||
    settings.deleteVersions.length > 0 ||
    settings.cleanup !== undefined ||
    settings.deleteAllBundles
  )
}

/** The devices whose current override the plan needs to know. */
export function devicesToRead(settings: Settings): string[] {
  return [...settings.devices, ...settings.unlinkDevices]
}

export function makePlan(settings: Settings, inventory: Inventory, now: number): Plan {
  const errors: string[] = []
  const warnings: string[] = []
  const channelsByName = new Map(inventory.channels.map(c => [c.name, c]))

  const deleteChannel = planDeleteChannel(settings, channelsByName, warnings)
  const channel = planChannel(settings, inventory, channelsByName, errors)
  const { links, unlinks } = planDevices(settings, inventory, channel, errors)

  const bundlesRead = inventory.bundles !== undefined
  const bundlePlan = bundlesRead
    ? planBundles(
        settings,
        inventory.bundles ?? [],
        inventory.channels,
        deleteChannel,
        channel,
        now,
        errors,
        warnings
      )
    : { decisions: [], deletions: [], protectedVersions: [] }

  const deletionCount = bundlePlan.deletions.reduce((n, phase) => n + phase.decisions.length, 0)
  if (deletionCount > settings.maxDelete) {
    errors.push(
      `The plan deletes ${deletionCount} bundles, more than max_delete (${settings.maxDelete}). ` +
        `Nothing was deleted. Raise max_delete if this is intended.`
    )
  }

  return {
    appId: settings.appId,
    dryRun: settings.dryRun,
    deleteChannel,
    channel,
    links,
    unlinks,
    bundlesRead,
    bundles: bundlePlan.decisions,
    deletions: bundlePlan.deletions,
    protectedVersions: bundlePlan.protectedVersions,
    keptCount: bundlesRead ? (inventory.bundles?.length ?? 0) - deletionCount : undefined,
    errors,
    warnings
  }
}

function planDeleteChannel(
  settings: Settings,
  channels: Map<string, Channel>,
  warnings: string[]
): Plan['deleteChannel'] {
  if (settings.deleteChannel === undefined) return null
  const exists = channels.has(settings.deleteChannel)
  if (!exists) {
    warnings.push(
      `Channel "${settings.deleteChannel}" (delete_channel) does not exist: already deleted.`
    )
  }
  return { name: settings.deleteChannel, exists }
}

// ---- the channel -----------------------------------------------------------------------------

const FIELD_MAP: {
  setting: keyof ChannelFieldSettings
  api: keyof ChannelFields
  snap: keyof ChannelSnapshot
}[] = [
  { setting: 'public', api: 'public', snap: 'public' },
  { setting: 'disableAutoUpdate', api: 'disableAutoUpdate', snap: 'disableAutoUpdate' },
  {
    setting: 'disableAutoUpdateUnderNative',
    api: 'disableAutoUpdateUnderNative',
    snap: 'disableAutoUpdateUnderNative'
  },
  { setting: 'ios', api: 'ios', snap: 'ios' },
  { setting: 'android', api: 'android', snap: 'android' },
  { setting: 'allowDeviceSelfSet', api: 'allow_device_self_set', snap: 'allowDeviceSelfSet' },
  { setting: 'allowEmulator', api: 'allow_emulator', snap: 'allowEmulator' },
  { setting: 'allowDev', api: 'allow_dev', snap: 'allowDev' }
]

/** What Capgo gives a channel created without those fields. */
export const NEW_CHANNEL_DEFAULTS: ChannelSnapshot = {
  version: null,
  public: false,
  disableAutoUpdate: 'major',
  disableAutoUpdateUnderNative: true,
  ios: true,
  android: true,
  allowDeviceSelfSet: false,
  allowEmulator: true,
  allowDev: true
}

export function snapshotOf(channel: Channel): ChannelSnapshot {
  return {
    version: channel.version?.name ?? null,
    public: channel.public,
    disableAutoUpdate: channel.disableAutoUpdate,
    disableAutoUpdateUnderNative: channel.disableAutoUpdateUnderNative,
    ios: channel.ios,
    android: channel.android,
    allowDeviceSelfSet: channel.allow_device_self_set,
    allowEmulator: channel.allow_emulator,
    allowDev: channel.allow_dev
  }
}

function planChannel(
  settings: Settings,
  inventory: Inventory,
  channels: Map<string, Channel>,
  errors: string[]
): ChannelPlan | null {
  if (settings.channel === undefined) return null
  const name = settings.channel
  const current = channels.get(name)
  const before = current ? snapshotOf(current) : null
  const after: ChannelSnapshot = { ...(before ?? NEW_CHANNEL_DEFAULTS) }
  const body: ChannelUpsert = { app_id: settings.appId, channel: name }
  const changes: string[] = []

  const target = targetVersion(settings, inventory, channels, errors)
  if (target !== undefined && target.version !== before?.version) {
    after.version = target.version
    body.version = target.version
    changes.push('version')
  }
  for (const field of FIELD_MAP) {
    const wanted = settings.channelFields[field.setting]
    if (wanted === undefined) continue
    if (before !== null && before[field.snap] === wanted) continue
    ;(after as unknown as Record<string, unknown>)[field.snap] = wanted
    ;(body as unknown as Record<string, unknown>)[field.api] = wanted
    changes.push(field.api)
  }
  if (!after.ios && !after.android) {
    errors.push(
      `Channel "${name}" would serve neither iOS nor Android (ios and android both false).`
    )
  }
  return {
    name,
    exists: current !== undefined,
    before,
    after,
    upsert: current === undefined || changes.length > 0 ? body : null,
    changes: current === undefined ? ['created', ...changes] : changes,
    ...(target ? { versionSource: target.source } : {})
  }
}

function targetVersion(
  settings: Settings,
  inventory: Inventory,
  channels: Map<string, Channel>,
  errors: string[]
): { version: string; source: NonNullable<ChannelPlan['versionSource']> } | undefined {
  if (settings.version !== undefined) {
    const bundles = inventory.bundles ?? []
    const found = bundles.find(b => b.name === settings.version && !b.deleted)
    if (!found) {
      errors.push(
        `Bundle "${settings.version}" (version) is not among the ${bundles.length} bundles of ` +
          `${settings.appId}: it was never uploaded, or it was deleted. Upload it first.`
      )
      return undefined
    }
    return { version: found.name, source: { kind: 'version' } }
  }
  if (settings.promoteFrom !== undefined) {
    const source = channels.get(settings.promoteFrom)
    if (!source) {
      errors.push(`Channel "${settings.promoteFrom}" (promote_from) does not exist.`)
      return undefined
    }
    if (!source.version?.name) {
      errors.push(`Channel "${settings.promoteFrom}" (promote_from) has no bundle to promote.`)
      return undefined
    }
    return { version: source.version.name, source: { kind: 'promote_from', channel: source.name } }
  }
  return undefined
}

// ---- devices ---------------------------------------------------------------------------------

function planDevices(
  settings: Settings,
  inventory: Inventory,
  channel: ChannelPlan | null,
  errors: string[]
): { links: DevicePlan[]; unlinks: DevicePlan[] } {
  const links = settings.devices.map(deviceId => {
    const before = inventory.deviceChannels[deviceId]
    // Relinking a device to its channel is refused by Capgo within 60 s: skip what is done.
    const action: DevicePlan['action'] = before === channel?.name ? 'already' : 'link'
    return { deviceId, action, before }
  })
  if (links.length > 0 && channel?.after.public) {
    errors.push(
      `Devices cannot be linked to "${channel.name}": it is a public (default) channel, and Capgo ` +
        `refuses device overrides to it. Use a private channel for test devices.`
    )
  }
  const unlinks = settings.unlinkDevices.map(deviceId => {
    const before = inventory.deviceChannels[deviceId]
    // Only a device known to have no override is skipped; an unknown state is unlinked (safe).
    const action: DevicePlan['action'] = before === null ? 'already' : 'unlink'
    return { deviceId, action, before }
  })
  return { links, unlinks }
}

// ---- bundles ---------------------------------------------------------------------------------

interface BundlePlan {
  decisions: BundleDecision[]
  deletions: Plan['deletions']
  protectedVersions: string[]
}

interface Ranked {
  bundle: Bundle
  time: number
  semver: SemVer | undefined
}

function planBundles(
  settings: Settings,
  bundles: Bundle[],
  channels: Channel[],
  deleteChannel: Plan['deleteChannel'],
  channel: ChannelPlan | null,
  now: number,
  errors: string[],
  warnings: string[]
): BundlePlan {
  const deletesAnything =
    settings.deleteVersions.length > 0 ||
    settings.cleanup !== undefined ||
    settings.deleteAllBundles
  if (!deletesAnything) return { decisions: [], deletions: [], protectedVersions: [] }

  const live = bundles.filter(b => !b.deleted)
  const protection = protectionReasons(settings, live, channels, deleteChannel, channel)
  const decided = new Map<number, BundleDecision>()
  const decide = (bundle: Bundle, fate: Fate, reason: string, source?: DeletionSource): void => {
    decided.set(bundle.id, {
      id: bundle.id,
      version: bundle.name,
      createdAt: bundle.created_at,
      fate,
      reason,
      ...(source ? { source } : {})
    })
  }
  for (const bundle of live) {
    const reason = protection.get(bundle.id)
    if (reason !== undefined) decide(bundle, 'protected', reason)
  }

  // Explicit deletions.
  const byName = new Map<string, Bundle[]>()
  for (const bundle of live) pushTo(byName, bundle.name, bundle)
  for (const version of settings.deleteVersions) {
    const matches = byName.get(version)
    if (!matches) {
      warnings.push(`Bundle "${version}" (delete_versions) does not exist: already deleted.`)
      continue
    }
    for (const bundle of matches) {
      const reason = protection.get(bundle.id)
      if (reason !== undefined) {
        errors.push(
          `Bundle "${version}" (delete_versions) is protected and cannot be deleted: ${reason}.`
        )
      } else {
        decide(bundle, 'delete', 'listed in delete_versions', 'delete_versions')
      }
    }
  }

  if (settings.cleanup) planCleanup(settings, live, decided, decide, now)

  if (settings.deleteAllBundles) {
    for (const bundle of live) {
      // Everything but the protected set goes, whatever a cleanup in the same run would keep.
      const earlier = decided.get(bundle.id)
      if (earlier === undefined || earlier.fate === 'keep') {
        decide(bundle, 'delete', 'delete_all_bundles', 'delete_all_bundles')
      }
    }
  }
  for (const bundle of live) {
    if (!decided.has(bundle.id)) decide(bundle, 'keep', 'not selected for deletion')
  }

  const ordered = rankNewestFirst(live, 'created').map(r => decided.get(r.bundle.id)!)
  // Explicit deletions in the order given; cleanup and delete-all oldest first, so that a run
  // stopped half-way has removed the oldest bundles.
  const explicitOrder = new Map(settings.deleteVersions.map((v, i) => [v, i]))
  const explicit = ordered
    .filter(d => d.source === 'delete_versions')
    .sort((a, b) => (explicitOrder.get(a.version) ?? 0) - (explicitOrder.get(b.version) ?? 0))
  const cleanup = ordered.filter(d => d.source === 'cleanup').reverse()
  const deleteAll = ordered.filter(d => d.source === 'delete_all_bundles').reverse()
  const deletions: Plan['deletions'] = []
  if (explicit.length + cleanup.length > 0)
    deletions.push({ phase: 'bundles', decisions: [...explicit, ...cleanup] })
  if (deleteAll.length > 0) deletions.push({ phase: 'delete_all_bundles', decisions: deleteAll })

  return {
    decisions: ordered,
    deletions,
    protectedVersions: [...new Set(ordered.filter(d => d.fate === 'protected').map(d => d.version))]
  }
}

/**
 * The safety rules: the reason each protected bundle must stay. A channel this run deletes
 * protects nothing; the channel this run changes protects its new bundle and its rollback target.
 */
function protectionReasons(
  settings: Settings,
  bundles: Bundle[],
  channels: Channel[],
  deleteChannel: Plan['deleteChannel'],
  channel: ChannelPlan | null
): Map<number, string> {
  const reasons = new Map<number, string>()
  const idsByName = new Map<string, number[]>()
  for (const b of bundles) pushTo(idsByName, b.name, b.id)
  const protectName = (name: string | null | undefined, reason: string): void => {
    if (!name) return
    for (const id of idsByName.get(name) ?? []) if (!reasons.has(id)) reasons.set(id, reason)
  }
  const protectId = (id: number | null | undefined, reason: string): void => {
    if (id === null || id === undefined || reasons.has(id)) return
    reasons.set(id, reason)
  }

  if (channel) {
    protectName(channel.after.version, `put on channel "${channel.name}" by this run`)
    if (channel.before?.version && channel.before.version !== channel.after.version) {
      protectName(channel.before.version, `rollback target of channel "${channel.name}"`)
    }
  }
  for (const c of channels) {
    if (c.name === deleteChannel?.name) continue
    if (c.name === channel?.name) {
      // Its bundle after the run was handled above; its rollout bundle stays in use.
      protectId(c.rollout_version, `rollout bundle of channel "${c.name}"`)
      continue
    }
    if (c.version) {
      protectId(c.version.id, `on channel "${c.name}"`)
      protectName(c.version.name, `on channel "${c.name}"`)
    }
    protectId(c.rollout_version, `rollout bundle of channel "${c.name}"`)
  }
  const matchProtect = compileGlobs(settings.cleanupProtect)
  for (const b of bundles) {
    const glob = matchProtect(b.name)
    if (glob !== undefined && !reasons.has(b.id))
      reasons.set(b.id, `matches cleanup_protect "${glob}"`)
  }
  return reasons
}

function planCleanup(
  settings: Settings,
  bundles: Bundle[],
  decided: Map<number, BundleDecision>,
  decide: (bundle: Bundle, fate: Fate, reason: string, source?: DeletionSource) => void,
  now: number
): void {
  const cleanup = settings.cleanup!
  const matchPattern =
    settings.cleanupPattern.length > 0 ? compileGlobs(settings.cleanupPattern) : undefined
  const candidates: Bundle[] = []
  for (const bundle of bundles) {
    if (decided.has(bundle.id)) continue
    if (matchPattern && matchPattern(bundle.name) === undefined) {
      decide(bundle, 'keep', 'does not match cleanup_pattern')
    } else if (cleanup.order === 'semver' && parseSemver(bundle.name) === undefined) {
      decide(bundle, 'keep', 'not a semver version (cleanup_order: semver)')
    } else if (!Number.isFinite(Date.parse(bundle.created_at))) {
      decide(bundle, 'keep', 'upload time unknown')
    } else {
      candidates.push(bundle)
    }
  }

  const ranked = rankNewestFirst(candidates, cleanup.order)
  const cutoff = cleanup.olderThanMs === undefined ? undefined : now - cleanup.olderThanMs
  const newest = cleanup.order === 'semver' ? 'highest' : 'newest'
  ranked.forEach((r, index) => {
    const inKeep = cleanup.keep !== undefined && index < cleanup.keep
    const oldEnough = cutoff === undefined || r.time < cutoff
    if (inKeep) {
      decide(r.bundle, 'keep', `one of the ${cleanup.keep} ${newest} (cleanup_keep)`)
    } else if (!oldEnough) {
      decide(r.bundle, 'keep', `not older than ${cleanup.olderThanText} (cleanup_older_than)`)
    } else {
      const why: string[] = []
      if (cleanup.keep !== undefined) why.push(`outside the ${cleanup.keep} ${newest}`)
      if (cutoff !== undefined) why.push(`older than ${cleanup.olderThanText}`)
      decide(r.bundle, 'delete', why.join(' and '), 'cleanup')
    }
  })
}

/** Newest first: by upload time (ties: higher id first) or by semver precedence (then time, id). */
function rankNewestFirst(bundles: Bundle[], order: 'created' | 'semver'): Ranked[] {
  const ranked: Ranked[] = bundles.map(bundle => ({
    bundle,
    time: Date.parse(bundle.created_at),
    semver: order === 'semver' ? parseSemver(bundle.name) : undefined
  }))
  const byTime = (a: Ranked, b: Ranked): number => {
    const ta = Number.isFinite(a.time) ? a.time : -Infinity
    const tb = Number.isFinite(b.time) ? b.time : -Infinity
    if (ta !== tb) return tb - ta
    return b.bundle.id - a.bundle.id
  }
  if (order === 'semver') {
    ranked.sort((a, b) => {
      if (a.semver && b.semver) {
        const c = compareSemver(b.semver, a.semver)
        if (c !== 0) return c
      }
      return byTime(a, b)
    })
  } else {
    ranked.sort(byTime)
  }
  return ranked
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
