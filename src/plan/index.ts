// The decision, and nothing else: settings + inventory -> plan. No I/O, no clock, no randomness,
// so that the same inputs always give the same plan and every rule can be tested as a table.
// The rules live by concern: channel.ts (bundle, settings, platforms, route), rollout.ts,
// devices.ts, bundles.ts (safety rules, deletions, cleanup).

import type { Bundle, Channel } from '../capgo/types.js'
import type { Settings } from '../settings/index.js'
import { deletesAnything, planBundles } from './bundles.js'
import { planChannel } from './channel.js'
import { planDevices } from './devices.js'
import type { Inventory, Plan } from './types.js'

export type * from './types.js'
export { NEW_CHANNEL_DEFAULTS, snapshotOf, bundleRefOf } from './channel.js'
export { planRollout, stepAfter, toBps } from './rollout.js'

/** Whether the run must read every bundle before planning. */
export function needsBundles(settings: Settings): boolean {
  return (
    settings.version !== undefined ||
    settings.rollback ||
    settings.bundleLink !== undefined ||
    settings.bundleComment !== undefined ||
    // The compatibility gate compares the native packages of bundle rows.
    (settings.compatibility !== 'off' && settings.promoteFrom !== undefined) ||
    deletesAnything(settings)
  )
}

/** The devices whose current override the plan needs to know. */
export function devicesToRead(settings: Settings): string[] {
  return [...settings.devices, ...settings.unlinkDevices]
}

/** The channels whose GitHub release history the plan needs (rollback, release protection). */
export function channelsWithHistory(settings: Settings, channels: readonly Channel[]): string[] {
  if (settings.cleanupKeepReleases !== undefined) return channels.map(c => c.name)
  if (settings.rollback && settings.channel !== undefined) return [settings.channel]
  return []
}

export function makePlan(settings: Settings, inventory: Inventory, now: number): Plan {
  const errors: string[] = []
  const warnings: string[] = []
  const channelsByName = new Map(inventory.channels.map(c => [c.name, c]))
  const bundlesById = new Map<number, Bundle>()
  for (const b of inventory.bundles ?? []) if (!b.deleted) bundlesById.set(b.id, b)

  const deleteChannel = planDeleteChannel(settings, channelsByName, warnings)
  const channel = planChannel(settings, inventory, channelsByName, bundlesById, errors, warnings)
  const { links, unlinks } = planDevices(settings, inventory, channel, errors)

  const bundlesRead = inventory.bundles !== undefined
  const bundlePlan = bundlesRead
    ? planBundles(settings, inventory, deleteChannel, channel, now, errors, warnings)
    : { decisions: [], deletions: [], protectedVersions: [] }

  const wouldDelete = bundlePlan.deletions.flatMap(phase => phase.decisions.map(d => d.version))
  if (wouldDelete.length > settings.maxDelete) {
    errors.push(
      `The plan deletes ${wouldDelete.length} bundles, more than max_delete ` +
        `(${settings.maxDelete}). Nothing was deleted. Raise max_delete if this is intended.`
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
    keptCount: bundlesRead
      ? (inventory.bundles ?? []).filter(b => !b.deleted).length - wouldDelete.length
      : undefined,
    wouldDelete,
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
