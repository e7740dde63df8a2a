// How far back the GitHub release history must be read (docs/rollback.md): until the decision it
// feeds is made — a rollback target that still exists, N distinct releases for release protection,
// or this run's own record for the re-run check of a rollout advance. Pure.

import type { Bundle } from '../capgo/types.js'
import type { Settings } from '../settings/index.js'
import { lastReleases } from './bundles.js'
import { decideRollback } from './rollback.js'
import type { Release, WorkflowRun } from './types.js'

/** Records read to find this run's own, for the re-run check of a rollout advance. */
export const RERUN_RECORDS = 20

/**
 * A re-run of a rollout advance (GITHUB_RUN_ATTEMPT > 1, `rollout_steps` alone, deployments
 * recorded) reads the channel's history to see whether an earlier attempt already moved it.
 */
export function rerunChecked(settings: Settings, run: WorkflowRun | undefined): boolean {
  return (
    run !== undefined &&
    run.attempt > 1 &&
    settings.github.deployment &&
    settings.channel !== undefined &&
    settings.rollout?.steps !== undefined &&
    settings.version === undefined &&
    settings.promoteFrom === undefined
  )
}

export interface HistoryContext {
  settings: Settings
  /** The channel whose history this is. */
  channel: string
  /** Its bundle now (the rollback's starting point), or null. */
  current: string | null
  /** Every bundle, when read (a rollback skips bundles deleted since). */
  bundles: readonly Bundle[]
  run: WorkflowRun | undefined
}

/** True once `releases` (newest first, read so far) are enough for every decision that needs them. */
export function historySuffices(
  releases: readonly Release[],
  recordsRead: number,
  ctx: HistoryContext
): boolean {
  const { settings, channel, run } = ctx
  if (rerunChecked(settings, run) && channel === settings.channel) {
    // This run's own record, if any, is among the newest: a few records tell.
    const own = releases.some(r => r.runId === run?.id)
    if (!own && recordsRead < RERUN_RECORDS) return false
  }
  const keep = settings.cleanupKeepReleases
  if (keep !== undefined && lastReleases(releases, keep).length < keep) return false
  if (settings.rollback && channel === settings.channel) {
    const decision = decideRollback(releases, ctx.current, ctx.bundles, run?.id)
    if (decision.kind === 'none') return false
  }
  return true
}
