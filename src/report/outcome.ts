// The state the run ended in, from the plan and what was applied: the one source of the outputs,
// the report and the job summary, so that they cannot disagree.

import type { FailedBundle } from '../apply.js'
import type { ChannelSnapshot, RolloutSnapshot } from '../plan/index.js'
import type { FailedPhase, ReportInput } from './types.js'

export interface Outcome {
  /** The outcome is the plan: a dry run whose plan could be carried out. */
  planned: boolean
  dryRun: boolean
  failed: boolean
  failedPhase: FailedPhase | undefined
  /** The run got to apply the plan (a real run; its writes are in `writes`). */
  applied: boolean
  channel: string
  /** The channel after the run; null when there is none (no channel, or not created). */
  channelAfter: ChannelSnapshot | null
  version: string
  previousVersion: string
  channelCreated: boolean
  channelChanged: boolean
  /** The channel request was sent and accepted (or would be, in a dry run). */
  channelWritten: boolean
  channelVerified: boolean
  metadataWritten: boolean
  /** The rollout running on the channel after the run, or null. */
  rollout: RolloutSnapshot | null
  linkedDevices: string[]
  unlinkedDevices: string[]
  failedDevices: { deviceId: string; error: string }[]
  deletedChannel: string
  deletedBundles: string[]
  /** Planned deletions that someone else had already made: gone, but not counted as deleted. */
  alreadyGone: string[]
  notAttempted: string[]
  failedBundles: FailedBundle[]
  keptCount: number | undefined
  protectedBundles: string[]
  /** The writes a real run made (none for a dry run or a run that failed before applying). */
  writes: Writes
}

export interface Writes {
  deletedChannel: string
  channel: boolean
  metadata: boolean
  linked: string[]
  unlinked: string[]
  deletedBundles: number
}

/** A rollout that devices can get: set and enabled. */
export function runningRollout(
  snapshot: ChannelSnapshot | null | undefined
): RolloutSnapshot | null {
  const rollout = snapshot?.rollout ?? null
  return rollout && rollout.enabled ? rollout : null
}

export function outcomeOf(input: ReportInput): Outcome {
  const { plan, result, dryRun } = input
  const planFailed = (plan?.errors.length ?? 0) > 0 || input.failedPhase === 'plan'
  const planned =
    dryRun && plan !== undefined && result === undefined && !planFailed && !input.failedPhase
  const ch = plan?.channel ?? null
  const channelWritten = planned ? ch?.write != null : (result?.channelWritten ?? false)
  // A channel already as asked is, after the run, what the plan says it is.
  // After a read-back that differed, the channel is what Capgo holds, not what the plan wrote.
  const channelAfter = !ch
    ? null
    : result?.readBack !== undefined
      ? result.readBack
      : result?.held !== undefined
        ? result.held
        : channelWritten || ch.write === null
          ? ch.after
          : ch.before

  const plannedDeletions = plan?.deletions.flatMap(p => p.decisions.map(d => d.version)) ?? []
  // In plan order, whatever order the concurrent deletions finished in.
  const deletedSet = new Set(result?.deleted ?? [])
  const deletedBundles = planned
    ? plannedDeletions
    : dryRun
      ? (plan?.wouldDelete ?? [])
      : plannedDeletions.filter(v => deletedSet.has(v))
  const alreadyGone = planned ? [] : (result?.alreadyGone ?? [])
  const removed = planned
    ? plannedDeletions.length
    : dryRun
      ? 0
      : deletedSet.size + alreadyGone.length
  const bundlesBefore = (plan?.keptCount ?? 0) + plannedDeletions.length

  const linkedNow = new Set([
    ...(plan?.links.filter(d => d.action === 'already').map(d => d.deviceId) ?? []),
    ...(planned ? (plan?.links.map(d => d.deviceId) ?? []) : (result?.linked ?? []))
  ])
  const unlinkedNow = new Set([
    ...(plan?.unlinks.filter(d => d.action === 'already').map(d => d.deviceId) ?? []),
    ...(planned ? (plan?.unlinks.map(d => d.deviceId) ?? []) : (result?.unlinked ?? []))
  ])

  return {
    planned,
    dryRun,
    failed: input.errors.length > 0 || input.failedPhase !== undefined,
    failedPhase: input.failedPhase,
    applied: result !== undefined,
    channel: ch?.name ?? input.settings?.channel ?? '',
    channelAfter,
    version: channelAfter?.version ?? '',
    previousVersion: ch?.before?.version ?? '',
    channelCreated: ch !== null && !ch.exists && channelWritten,
    // Platforms alone do not count: Capgo never reports them, so they are sent on every run.
    channelChanged: ch !== null && ch.changes.length > 0 && channelWritten,
    channelWritten,
    channelVerified: result?.channelVerified ?? false,
    metadataWritten: planned ? ch?.metadata != null : (result?.metadataWritten ?? false),
    rollout: runningRollout(channelAfter),
    linkedDevices: (plan?.links ?? []).map(d => d.deviceId).filter(id => linkedNow.has(id)),
    unlinkedDevices: (plan?.unlinks ?? []).map(d => d.deviceId).filter(id => unlinkedNow.has(id)),
    failedDevices: result?.failedDevices ?? [],
    deletedChannel: planned
      ? plan?.deleteChannel?.exists
        ? plan.deleteChannel.name
        : ''
      : (result?.deletedChannel ?? ''),
    deletedBundles,
    alreadyGone,
    notAttempted: result?.notAttempted ?? [],
    failedBundles: result?.failedBundles ?? [],
    keptCount: plan?.bundlesRead ? bundlesBefore - removed : undefined,
    // As the output promises: the bundles a cleanup or a delete-all spared.
    protectedBundles:
      input.settings?.cleanup !== undefined || input.settings?.deleteAllBundles === true
        ? (plan?.protectedVersions ?? [])
        : [],
    writes: {
      deletedChannel: result?.deletedChannel ?? '',
      channel: result?.channelWritten ?? false,
      metadata: result?.metadataWritten ?? false,
      linked: result?.linked ?? [],
      unlinked: result?.unlinked ?? [],
      deletedBundles: result?.deleted.length ?? 0
    }
  }
}

/** True when a real run wrote anything to Capgo. */
export function wroteAnything(writes: Writes): boolean {
  return (
    writes.deletedChannel !== '' ||
    writes.channel ||
    writes.metadata ||
    writes.linked.length > 0 ||
    writes.unlinked.length > 0 ||
    writes.deletedBundles > 0
  )
}

/** The share of devices as the outputs write it: `25`, `12.5`. */
export function formatShare(percentage: number): string {
  return String(Math.round(percentage * 100) / 100)
}
