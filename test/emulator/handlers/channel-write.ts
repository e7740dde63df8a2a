// What Capgo's database does when a channel row is written (its triggers), shared by POST /channel
// and PUT /bundle. docs/capgo-api-notes.md, "Channels", "Rollouts" and "Changes since July 2026".
import { hasDelta, hasZip, newRolloutId } from '../state.js'
import type { AppState, StoredChannel } from '../types.js'
import { fail } from './common.js'
import type { Ctx, Reply } from './common.js'

/** A channel's columns after a write, for the checks made before anything is stored. */
export type ChannelValues = Pick<
  StoredChannel,
  'name' | 'version' | 'rollout_version' | 'updatePackage'
>

/** Why `bundleId` cannot serve the channel's update package, as a 400; undefined when it can. */
function mismatch(app: AppState, next: ChannelValues, bundleId: number | null): Reply | undefined {
  const pkg = next.updatePackage
  if (bundleId === null || pkg === 'all') return undefined
  const b = app.bundles.find(x => x.id === bundleId)
  if (!b || b.name === 'builtin' || b.name === 'unknown') return undefined
  if ((pkg === 'zip' || pkg === 'zip_from_builtin') && !hasZip(b))
    return fail(
      400,
      'channel_zip_required',
      `Channel "${next.name}" only takes zip bundles, and bundle "${b.name}" has no zip.`
    )
  if ((pkg === 'delta' || pkg === 'delta_from_builtin') && !hasDelta(b))
    return fail(
      400,
      'channel_delta_required',
      `Channel "${next.name}" only takes delta bundles, and bundle "${b.name}" has no delta files.`
    )
  return undefined
}

/**
 * late-2026: the update-package guard (Cap-go/capgo.app supabase/migrations/
 * 20260814161627_channel_update_package_bundle_guard.sql, as changed by
 * 20260817183821_reset_rollout_on_stable_bundle.sql). It runs when the write changes the package,
 * `version` or `rollout_version` (`before` undefined: a new channel). The rollout bundle is not
 * checked when only the stable bundle changes (that write drops the rollout, change 1).
 */
export function packageGuard(
  ctx: Ctx,
  next: ChannelValues,
  before: ChannelValues | undefined
): Reply | undefined {
  if (ctx.era !== 'late-2026') return undefined
  if (
    before &&
    before.updatePackage === next.updatePackage &&
    before.version === next.version &&
    before.rollout_version === next.rollout_version
  )
    return undefined
  const stable = mismatch(ctx.app, next, next.version)
  if (stable) return stable
  if (before && before.version !== next.version && before.rollout_version === next.rollout_version)
    return undefined
  return mismatch(ctx.app, next, next.rollout_version)
}

/**
 * Capgo's trigger refresh_channel_rollout_id, run after the new values are assigned to `c`.
 * late-2026 (change 1, Cap-go/capgo.app supabase/migrations/
 * 20260817183821_reset_rollout_on_stable_bundle.sql): a new `version` with the rollout bundle left
 * as it was ends the rollout. Then, whenever the rollout bundle changes: a new rollout_id (the
 * device cohorts are drawn again), unpaused, the auto-pause trigger time cleared, and the pause
 * reason cleared unless this write set one while clearing the rollout.
 */
export function channelTriggers(
  ctx: Ctx,
  c: StoredChannel,
  before: StoredChannel,
  reasonWritten: boolean
): void {
  if (
    ctx.era === 'late-2026' &&
    c.version !== before.version &&
    c.rollout_version === before.rollout_version &&
    c.rollout_version !== null
  ) {
    c.rollout_version = null
    c.rolloutEnabled = false
    c.rolloutPercentageBps = 0
  }
  if (c.rollout_version === before.rollout_version) return
  c.rollout_id = newRolloutId(c.id)
  c.rolloutPausedAt = null
  c.autoPauseLastTriggeredAt = null
  if (c.rollout_version !== null || !reasonWritten) c.rolloutPauseReason = null
}
