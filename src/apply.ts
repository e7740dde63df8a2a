// Carries a plan out against the API, in the order ACTION.md gives: delete_channel; create or
// update the channel; unlink devices; link devices; delete bundles (explicit, then cleanup) with
// bounded concurrency; then delete_all_bundles. It decides nothing: every write comes from the plan.

import type { CapgoApi } from './capgo/api.js'
import { CapgoError } from './capgo/errors.js'
import type { BundleDecision, Plan } from './plan/index.js'
import { forEachLimited } from './pool.js'

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
  try {
    if (plan.deleteChannel?.exists) {
      const outcome = await api.deleteChannel(plan.appId, plan.deleteChannel.name)
      if (outcome === 'not_found') {
        result.warnings.push(`Channel "${plan.deleteChannel.name}" was already gone when deleted.`)
      } else {
        result.deletedChannel = plan.deleteChannel.name
        log(`Deleted channel "${plan.deleteChannel.name}".`)
      }
    }
    if (plan.channel?.upsert) {
      await api.upsertChannel(plan.channel.upsert)
      result.channelWritten = true
      log(`${plan.channel.exists ? 'Updated' : 'Created'} channel "${plan.channel.name}".`)
    }
  } catch (error) {
    result.fatal = describe(error)
    return result
  }

  for (const device of plan.unlinks) {
    if (device.action === 'already') continue
    try {
      await api.unlinkDevice(plan.appId, device.deviceId)
      result.unlinked.push(device.deviceId)
    } catch (error) {
      if (isKeyRejected(error)) return stop(result, error)
      result.failedDevices.push({ deviceId: device.deviceId, error: describe(error) })
    }
  }
  for (const device of plan.links) {
    if (device.action === 'already' || !plan.channel) continue
    try {
      await api.linkDevice(plan.appId, device.deviceId, plan.channel.name)
      result.linked.push(device.deviceId)
    } catch (error) {
      if (isKeyRejected(error)) return stop(result, error)
      result.failedDevices.push({ deviceId: device.deviceId, error: describe(error) })
    }
  }

  for (const phase of plan.deletions) {
    log(
      `Deleting ${phase.decisions.length} bundles (${phase.phase}), ${options.concurrency} at a time.`
    )
    await deleteBundles(api, plan.appId, phase.decisions, options.concurrency, result)
    if (result.fatal) break
  }
  return result
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

function stop(result: ApplyResult, error: unknown): ApplyResult {
  result.fatal = describe(error)
  return result
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
