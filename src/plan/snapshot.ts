// Capgo's channel rows read as the plan sees them: the bundle, the settings a user can change, the
// rollout and Capgo's auto-pause, defensively (a row may lack fields an older Capgo does not send).
// Pure.

import type { Bundle, Channel } from '../capgo/types.js'
import type { AutoPauseSnapshot, ChannelSnapshot, RolloutSnapshot } from './types.js'

/** What Capgo gives a channel created without those fields. */
export const NEW_CHANNEL_DEFAULTS: ChannelSnapshot = {
  version: null,
  versionId: null,
  public: false,
  disableAutoUpdate: 'major',
  disableAutoUpdateUnderNative: true,
  allowDeviceSelfSet: false,
  allowEmulator: true,
  allowDev: true,
  rollout: null,
  autoPause: null
}

/** A bundle reference as a channel row gives it; `{id, name}` normally, defensively anything. */
export interface BundleRef {
  id: number | undefined
  name: string | undefined
}

/**
 * Reads a channel row's `version` (`{id, name}`, but a bare id, a bare name or `{id}` are read
 * too), filling what is missing from the bundle list. undefined: no bundle on the channel.
 */
export function bundleRefOf(
  value: unknown,
  bundlesById?: ReadonlyMap<number, Bundle>
): BundleRef | undefined {
  if (value === null || value === undefined) return undefined
  let id: number | undefined
  let name: string | undefined
  if (typeof value === 'number') id = value
  else if (typeof value === 'string') name = value
  else if (typeof value === 'object') {
    const row = value as { id?: unknown; name?: unknown }
    if (typeof row.id === 'number') id = row.id
    if (typeof row.name === 'string' && row.name !== '') name = row.name
  }
  if (name === undefined && id !== undefined) name = bundlesById?.get(id)?.name
  // A bare name: the id from the bundle list (names are never reused), so that the row compares
  // with a bundle by id like any other.
  if (id === undefined && name !== undefined && bundlesById !== undefined) {
    for (const bundle of bundlesById.values()) {
      if (bundle.name === name && !bundle.deleted) id = bundle.id
    }
  }
  return { id, name }
}

export function rolloutOf(
  channel: Channel,
  bundlesById?: ReadonlyMap<number, Bundle>
): RolloutSnapshot | null {
  const id = channel.rollout_version
  if (typeof id !== 'number') return null
  const info = channel.rollout_version_info
  const name =
    info && typeof info.name === 'string' && info.id === id
      ? info.name
      : (bundlesById?.get(id)?.name ?? null)
  return {
    version: name,
    versionId: id,
    percentage: (channel.rolloutPercentageBps ?? 0) / 100,
    enabled: channel.rolloutEnabled === true,
    paused: typeof channel.rolloutPausedAt === 'string' && channel.rolloutPausedAt !== '',
    pauseReason: channel.rolloutPauseReason ?? null
  }
}

export function snapshotOf(
  channel: Channel,
  bundlesById?: ReadonlyMap<number, Bundle>
): ChannelSnapshot {
  const ref = bundleRefOf(channel.version, bundlesById)
  return {
    version: ref?.name ?? null,
    versionId: ref?.id ?? null,
    public: channel.public,
    disableAutoUpdate: channel.disableAutoUpdate,
    disableAutoUpdateUnderNative: channel.disableAutoUpdateUnderNative,
    allowDeviceSelfSet: channel.allow_device_self_set,
    allowEmulator: channel.allow_emulator,
    allowDev: channel.allow_dev,
    rollout: rolloutOf(channel, bundlesById),
    autoPause: autoPauseOf(channel)
  }
}

export function autoPauseOf(channel: Channel): AutoPauseSnapshot | null {
  if (typeof channel.autoPauseEnabled !== 'boolean') return null
  const num = (v: unknown): number | null =>
    typeof v === 'number' && Number.isFinite(v) ? v : null
  return {
    enabled: channel.autoPauseEnabled,
    failureRateBps: num(channel.autoPauseFailureRateBps),
    windowMinutes: num(channel.autoPauseWindowMinutes),
    minAttempts: num(channel.autoPauseMinAttempts),
    action: typeof channel.autoPauseAction === 'string' ? channel.autoPauseAction : null,
    lastTriggeredAt:
      typeof channel.autoPauseLastTriggeredAt === 'string' ? channel.autoPauseLastTriggeredAt : null
  }
}

/** The rollout in a few words: `"1.0.8" at 25 %`, or set but serving no device. */
export function rolloutState(rollout: RolloutSnapshot): string {
  const name = rollout.version === null ? `bundle id ${rollout.versionId}` : `"${rollout.version}"`
  return rollout.enabled
    ? `${name} at ${rollout.percentage} %${rollout.paused ? ' (paused)' : ''}`
    : `${name} (set, not serving: no device gets it)`
}
