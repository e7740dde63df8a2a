// Carries a plan out against the API, in the order docs/how-it-works.md gives: delete_channel; create or
// update the channel by the narrowest route, then read it back; set the bundle's link and comment;
// unlink devices; link devices; delete bundles (explicit, then cleanup) with bounded concurrency;
// then delete_all_bundles. It decides nothing: every write comes from the plan.

import type { CapgoApi } from './capgo/api.js'
import { CapgoError } from './capgo/errors.js'
import { rolloutState, snapshotOf } from './plan/channel.js'
import type { BundleDecision, ChannelSnapshot, Plan } from './plan/types.js'
import { forEachLimited } from './pool.js'
import { isPermissionDenied, stepError, type Step } from './roles.js'
import { checkReadBack } from './verify.js'

export interface FailedBundle {
  version: string
  error: string
}

export interface ApplyResult {
  deletedChannel: string | null
  /** The channel request was sent and accepted. */
  channelWritten: boolean
  /** The read-back after the write found the bundle and rollout the plan wrote. */
  channelVerified: boolean
  /** `POST /bundle/metadata` was sent and accepted (bundle_link / bundle_comment). */
  metadataWritten: boolean
  /** The read-back failed or found the channel otherwise than written (fatal says how). */
  verifyFailed?: boolean
  /** The channel as read back when it differed from what the plan wrote (null: it was gone). */
  readBack?: ChannelSnapshot | null
  /** The channel as read back when it was what the plan predicted: what Capgo holds. */
  held?: ChannelSnapshot
  /** Capgo's id of the channel, as read back (a created channel has one only then). */
  channelId?: number
  /**
   * Set when the plan predicted that Capgo ends the channel's rollout: true when this Capgo kept
   * it instead (an older or self-hosted one), false when it ended it.
   */
  rolloutKept?: boolean
  linked: string[]
  unlinked: string[]
  failedDevices: { deviceId: string; error: string }[]
  deleted: string[]
  /** Planned deletions found already deleted by someone else: gone, but not by this run. */
  alreadyGone: string[]
  failedBundles: FailedBundle[]
  /** Deletions not attempted because the run was stopped (a rejected key). */
  notAttempted: string[]
  warnings: string[]
  /** Set when a step that the rest depends on failed; later steps were not carried out. */
  fatal?: string
}

export interface ApplyOptions {
  concurrency: number
  log?: (message: string) => void
}

export function emptyResult(): ApplyResult {
  return {
    deletedChannel: null,
    channelWritten: false,
    channelVerified: false,
    metadataWritten: false,
    linked: [],
    unlinked: [],
    failedDevices: [],
    deleted: [],
    alreadyGone: [],
    failedBundles: [],
    notAttempted: [],
    warnings: []
  }
}

export async function applyPlan(
  api: CapgoApi,
  plan: Plan,
  options: ApplyOptions
): Promise<ApplyResult> {
  const result = emptyResult()
  const log = options.log ?? (() => undefined)
  const app = plan.appId
  try {
    if (plan.deleteChannel?.exists) {
      const outcome = await step('delete_channel', app, () =>
        api.deleteChannel(app, plan.deleteChannel!.name)
      )
      if (outcome === 'not_found') {
        result.warnings.push(`Channel "${plan.deleteChannel.name}" was already gone when deleted.`)
      } else {
        result.deletedChannel = plan.deleteChannel.name
        log(`Deleted channel "${plan.deleteChannel.name}".`)
      }
    }
    const channel = plan.channel
    if (channel?.write) {
      const write = channel.write
      try {
        if (write.kind === 'set_bundle') {
          await step('set_bundle', app, () => api.setChannelBundle(write.body))
          log(`Put bundle "${channel.after.version}" on channel "${channel.name}" (PUT /bundle).`)
        } else {
          const kind = channel.exists
            ? 'update_channel'
            : write.body.public === true
              ? 'create_public_channel'
              : write.body.autoPauseEnabled !== undefined
                ? 'create_channel_with_auto_pause'
                : 'create_channel'
          await step(kind, app, () => api.upsertChannel(write.body))
          log(`${channel.exists ? 'Updated' : 'Created'} channel "${channel.name}".`)
        }
      } catch (error) {
        // Every answer lost (a timeout, a dropped connection, a 5xx): Capgo may have made the
        // change all the same. Read before reporting: never "nothing was changed" when it was.
        // (A write of platforms alone cannot be read back: Capgo never reports them.)
        if (!(error instanceof StepFailure) || !error.mayHaveActed || channel.changes.length === 0)
          throw error
        const held = await heldAsPlanned(api, app, channel)
        if (!held) throw error
        result.warnings.push(
          `Channel "${channel.name}": Capgo's answers to the write were lost (${error.message}), ` +
            'but the channel read back holds the change: it was made.'
        )
      }
      result.channelWritten = true
      let found: Awaited<ReturnType<CapgoApi['getChannel']>>
      try {
        found = await api.getChannel(app, channel.name)
      } catch (error) {
        result.verifyFailed = true
        result.fatal =
          `Channel "${channel.name}" was written (Capgo accepted the change) but could not be ` +
          `read back to check it: ${describe(error)}. Check the channel in Capgo's dashboard. ` +
          'Nothing else was changed.'
        return result
      }
      if (found) result.channelId = found.id
      const { differences, rolloutKept } = checkReadBack(channel, found)
      if (differences.length > 0) {
        result.verifyFailed = true
        result.readBack = found ? snapshotOf(found) : null
        result.fatal =
          `Channel "${channel.name}" read back after the write is not what this run wrote: ` +
          `${differences.join('; ')}. Someone else changed the channel meanwhile, or Capgo did ` +
          'not apply the change. Nothing else was changed.'
        return result
      }
      result.channelVerified = true
      result.held = snapshotOf(found!)
      if (channel.endsRollout) result.rolloutKept = rolloutKept
      log(
        `Channel "${channel.name}" read back: as written` +
          (channel.endsRollout === null
            ? '.'
            : rolloutKept
              ? `; this Capgo kept the rollout of ${rolloutState(channel.endsRollout)} (an older or self-hosted Capgo does).`
              : `; Capgo ended the rollout of ${rolloutState(channel.endsRollout)}, as predicted.`)
      )
    }
    if (channel?.metadata) {
      const body = channel.metadata
      await step('bundle_metadata', app, () => api.setBundleMetadata(body))
      result.metadataWritten = true
      log(
        `Set the ${[body.link ? 'link' : '', body.comment ? 'comment' : ''].filter(Boolean).join(' and ')} of bundle "${channel.target?.version}".`
      )
    }
  } catch (error) {
    result.fatal = error instanceof StepFailure ? error.message : describe(error)
    return result
  }

  for (const device of plan.unlinks) {
    if (device.action === 'already') continue
    try {
      await api.unlinkDevice(app, device.deviceId)
      result.unlinked.push(device.deviceId)
    } catch (error) {
      if (isKeyRejected(error) || isPermissionDenied(error)) {
        return stop(result, stepError('unlink_device', app, error))
      }
      result.failedDevices.push({ deviceId: device.deviceId, error: describe(error) })
    }
  }
  for (const device of plan.links) {
    if (device.action === 'already' || !plan.channel) continue
    try {
      const outcome = await api.linkDevice(app, device.deviceId, plan.channel.name)
      result.linked.push(device.deviceId)
      if (outcome === 'set_moments_ago') {
        result.warnings.push(
          `Device "${device.deviceId}": Capgo refused to set it to "${plan.channel.name}" again ` +
            'within a minute: it was set moments ago (an earlier run). The device has not ' +
            'contacted Capgo yet, so the link cannot be read back.'
        )
      }
    } catch (error) {
      if (isKeyRejected(error) || isPermissionDenied(error)) {
        return stop(result, stepError('link_device', app, error))
      }
      result.failedDevices.push({ deviceId: device.deviceId, error: describe(error) })
    }
  }

  for (const phase of plan.deletions) {
    const count = phase.decisions.length
    log(
      `Deleting ${count} ${count === 1 ? 'bundle' : 'bundles'}` +
        `${phase.phase === 'delete_all_bundles' ? ' (delete_all_bundles)' : ''}, ` +
        `${options.concurrency} at a time.`
    )
    await deleteBundles(api, app, phase.decisions, options.concurrency, result)
    if (result.fatal) break
  }
  return result
}

/** A step's failure, already said as the user must read it (the role it needs, when refused). */
class StepFailure extends Error {
  constructor(
    message: string,
    /** No answer said what happened (network, timeout, 5xx): the server may have acted. */
    readonly mayHaveActed: boolean
  ) {
    super(message)
  }
}

async function step<T>(kind: Step, appId: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    const unanswered =
      error instanceof CapgoError &&
      error.attempts > 0 &&
      (error.status === undefined || error.status >= 500)
    throw new StepFailure(stepError(kind, appId, error), unanswered)
  }
}

/** After a write whose answers were lost: does the channel hold what the plan predicted? */
async function heldAsPlanned(
  api: CapgoApi,
  appId: string,
  channel: NonNullable<Plan['channel']>
): Promise<boolean> {
  try {
    const found = await api.getChannel(appId, channel.name)
    return checkReadBack(channel, found).differences.length === 0
  } catch {
    return false
  }
}

/** `concurrency` deletions in flight; a failure is recorded and the rest go on; a 401 stops. */
async function deleteBundles(
  api: CapgoApi,
  appId: string,
  decisions: BundleDecision[],
  concurrency: number,
  result: ApplyResult
): Promise<void> {
  const started = await forEachLimited(
    decisions,
    concurrency,
    async decision => {
      try {
        await api.deleteBundle(appId, decision.version)
        result.deleted.push(decision.version)
      } catch (error) {
        if (error instanceof CapgoError && error.code === 'cannot_delete_version') {
          // Gone before our first attempt (deleted elsewhere since the list was read).
          result.alreadyGone.push(decision.version)
          result.warnings.push(
            `Bundle "${decision.version}" was already deleted (not by this run).`
          )
          return
        }
        if (isKeyRejected(error)) result.fatal = describe(error)
        // Every other deletion would be refused the same way: stop, and say which role it needs.
        if (isPermissionDenied(error)) result.fatal = stepError('delete_bundle', appId, error)
        if (error instanceof CapgoError && error.attempts === 0) {
          // Never sent: the client was stopped first (a lockout, a rejected key). Not a failed
          // deletion: the bundle is there, untouched.
          result.notAttempted.push(decision.version)
          result.fatal ??= describe(error)
          return
        }
        result.failedBundles.push({ version: decision.version, error: describe(error) })
      }
    },
    () => result.fatal !== undefined
  )
  if (result.fatal) result.notAttempted.push(...decisions.slice(started).map(d => d.version))
}

function isKeyRejected(error: unknown): boolean {
  return error instanceof CapgoError && error.status === 401
}

function stop(result: ApplyResult, message: string): ApplyResult {
  result.fatal = message
  return result
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
