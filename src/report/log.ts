// Log lines and error messages built from the plan and the result. Every name and server text
// in them goes through logSafe: a bundle named "x\n::error::..." must not become a command.

import type { ApplyResult } from '../apply.js'
import type {
  AutoPauseSnapshot,
  ChannelPlan,
  ChannelSnapshot,
  DeletionSource,
  Plan,
  RolloutPlan,
  RolloutSnapshot
} from '../plan/index.js'
import { logSafe, plural } from '../text.js'
import { formatShare } from './outcome.js'

/** The first and the last line of a dry run's log. */
export function dryRunBanner(): string {
  return 'dry run: nothing will be changed'
}

/** Names in a message: quoted, and safe for the log. */
const q = (name: string): string => `"${logSafe(name)}"`

/** The settings of a channel, as the inputs name them, with how each one is shown. */
export const CHANNEL_SETTINGS: readonly [
  label: string,
  key: Exclude<keyof ChannelSnapshot, 'version' | 'versionId' | 'rollout'>
][] = [
  ['public', 'public'],
  ['disable_auto_update', 'disableAutoUpdate'],
  ['disable_auto_update_under_native', 'disableAutoUpdateUnderNative'],
  ['allow_device_self_set', 'allowDeviceSelfSet'],
  ['allow_emulator', 'allowEmulator'],
  ['allow_dev', 'allowDev']
]

/** A rollout in a few words: `1.2.0 to 25 % of devices, paused (crash rate)`. */
export function describeRollout(rollout: RolloutSnapshot | null | undefined): string {
  if (!rollout) return 'none'
  const bundle = rollout.version === null ? `bundle #${rollout.versionId}` : q(rollout.version)
  if (!rollout.enabled) return `${bundle} set, not serving (no device gets it)`
  const state = rollout.paused
    ? `, paused${rollout.pauseReason ? ` (${logSafe(rollout.pauseReason)})` : ''}`
    : ''
  return `${bundle} to ${formatShare(rollout.percentage)} % of devices${state}`
}

/** Minutes as the inputs write them: `30m`, `6h`, `7d`. */
function minutesText(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`
  if (minutes % 60 === 0) return `${minutes / 60}h`
  return `${minutes}m`
}

/**
 * Capgo's auto-pause in a few words: `on: pause above 5 % failures over 6h (at least 100
 * attempts); last triggered 2026-11-30T10:00:00Z`.
 */
export function describeAutoPause(autoPause: AutoPauseSnapshot | null | undefined): string {
  if (!autoPause) return 'not reported'
  const parts: string[] = []
  if (autoPause.failureRateBps !== null) {
    parts.push(`above ${formatShare(autoPause.failureRateBps / 100)} % failures`)
  }
  if (autoPause.windowMinutes !== null) parts.push(`over ${minutesText(autoPause.windowMinutes)}`)
  if (autoPause.minAttempts !== null) parts.push(`(at least ${autoPause.minAttempts} attempts)`)
  const rule = `${autoPause.action ?? 'pause'}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}`
  const last = autoPause.lastTriggeredAt
    ? `; last triggered ${logSafe(autoPause.lastTriggeredAt)}`
    : ''
  return `${autoPause.enabled ? 'on' : 'off'}: ${rule}${last}`
}

/** What the next run of `rollout_steps` does, or '' when nothing follows. */
export function nextStepText(nextStep: RolloutPlan['nextStep']): string {
  if (nextStep === null) return ''
  return nextStep === 'promote'
    ? 'the next run promotes it to every device'
    : `the next run moves it to ${formatShare(nextStep)} %`
}

const ROLLOUT_ACTIONS: Record<RolloutPlan['action'], string> = {
  start: 'start',
  set_share: 'set the share',
  step: 'move to the next step',
  promote: 'promote the rollout bundle to every device',
  abort: 'end the rollout (every device gets the channel’s bundle)',
  pause: 'pause',
  resume: 'resume',
  none: 'already as asked'
}

/** `rollout_steps`' and the other rollout inputs' effect, in words. */
export function rolloutActionText(rollout: RolloutPlan): string {
  return ROLLOUT_ACTIONS[rollout.action]
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? q(value) : String(value)
}

/** What changes on the channel, one phrase per setting: `public false -> true`. */
function channelChanges(ch: ChannelPlan): string[] {
  const before = ch.before
  const phrases: string[] = []
  if ((before?.version ?? null) !== ch.after.version) {
    phrases.push(
      `bundle ${before?.version ? q(before.version) : 'none'} -> ${ch.after.version ? q(ch.after.version) : 'none'}`
    )
  }
  const rolloutBefore = describeRollout(before?.rollout)
  const rolloutAfter = describeRollout(ch.after.rollout)
  if (rolloutBefore !== rolloutAfter) phrases.push(`rollout ${rolloutBefore} -> ${rolloutAfter}`)
  for (const [label, key] of CHANNEL_SETTINGS) {
    if (before && before[key] === ch.after[key]) continue
    phrases.push(
      before
        ? `${label} ${valueText(before[key])} -> ${valueText(ch.after[key])}`
        : `${label} ${valueText(ch.after[key])}`
    )
  }
  return phrases
}

function platformsText(platforms: ChannelPlan['platforms']): string {
  return (['ios', 'android', 'electron'] as const)
    .filter(p => platforms[p] !== undefined)
    .map(p => `${p} ${String(platforms[p])}`)
    .join(', ')
}

function channelLines(ch: ChannelPlan, dryRun: boolean): string[] {
  const lines: string[] = []
  const platforms = platformsText(ch.platforms)
  const platformNote = platforms ? `; ${platforms} sent again (Capgo does not report them)` : ''
  if (ch.write === null) {
    lines.push(`Channel ${q(ch.name)} is already as asked.`)
  } else if (ch.changes.length === 0) {
    lines.push(
      `${dryRun ? 'Would send' : 'Sending'} channel ${q(ch.name)} again: ${platforms} (Capgo does not report them).`
    )
  } else {
    const verb = ch.exists
      ? dryRun
        ? 'Would update'
        : 'Updating'
      : dryRun
        ? 'Would create'
        : 'Creating'
    const changes = channelChanges(ch)
    lines.push(
      `${verb} channel ${q(ch.name)}${changes.length ? `: ${changes.join(', ')}` : ''}${platformNote}.`
    )
  }
  if (ch.versionSource?.kind === 'promote_from') {
    lines.push(`The bundle comes from channel ${q(ch.versionSource.channel)}.`)
  } else if (ch.versionSource?.kind === 'rollback') {
    lines.push(`Rollback to the release of deployment ${ch.versionSource.deploymentId}.`)
  }
  if (ch.rollout) {
    const next = nextStepText(ch.rollout.nextStep)
    lines.push(
      `Rollout: ${rolloutActionText(ch.rollout)}; after the run: ${describeRollout(ch.after.rollout)}` +
        (next ? `; ${next}` : '') +
        '.'
    )
    if (ch.rollout.replaced) {
      lines.push(`The rollout of ${q(ch.rollout.replaced)} ends: its devices get another bundle.`)
    }
  }
  if (ch.metadata && ch.target) {
    lines.push(
      `${dryRun ? 'Would set' : 'Setting'} the link and comment of bundle ${q(ch.target.version)}.`
    )
  }
  return lines
}

const SOURCE_TEXT: Record<DeletionSource, string> = {
  delete_versions: 'named in delete_versions',
  cleanup: 'by the cleanup rules',
  delete_all_bundles: 'by delete_all_bundles'
}

/** The plan as log lines, for the "Plan" group. */
export function planLines(plan: Plan): string[] {
  if (plan.errors.length > 0) {
    return [
      ...plan.errors.map(error => `The plan cannot be carried out: ${logSafe(error)}`),
      'Nothing was changed.'
    ]
  }
  const lines: string[] = []
  if (plan.deleteChannel) {
    const d = plan.deleteChannel
    lines.push(
      d.exists
        ? `${plan.dryRun ? 'Would delete' : 'Deleting'} channel ${q(d.name)}.`
        : `Channel ${q(d.name)} is already gone: nothing to delete.`
    )
  }
  if (plan.channel) lines.push(...channelLines(plan.channel, plan.dryRun))
  for (const d of plan.unlinks) {
    lines.push(
      d.action === 'already'
        ? `Device ${q(d.deviceId)} has no channel override.`
        : `${plan.dryRun ? 'Would unlink' : 'Unlinking'} device ${q(d.deviceId)}${d.before ? ` from ${q(d.before)}` : ''}.`
    )
  }
  const target = plan.channel ? q(plan.channel.name) : 'the channel'
  for (const d of plan.links) {
    lines.push(
      d.action === 'already'
        ? `Device ${q(d.deviceId)} is already linked to ${target}.`
        : `${plan.dryRun ? 'Would link' : 'Linking'} device ${q(d.deviceId)} to ${target}.`
    )
  }
  const bySource = new Map<DeletionSource | undefined, number>()
  for (const phase of plan.deletions) {
    for (const d of phase.decisions) {
      const source =
        d.source ?? (phase.phase === 'delete_all_bundles' ? 'delete_all_bundles' : undefined)
      bySource.set(source, (bySource.get(source) ?? 0) + 1)
    }
  }
  for (const [source, count] of bySource) {
    lines.push(
      `${plan.dryRun ? 'Would delete' : 'Deleting'} ${plural(count, 'bundle')}${source ? ` ${SOURCE_TEXT[source]}` : ''}.`
    )
  }
  if (plan.bundlesRead && plan.bundles.length > 0) {
    const protectedCount = plan.bundles.filter(b => b.fate === 'protected').length
    lines.push(
      `${plural(protectedCount, 'bundle')} protected; ${plural(plan.keptCount ?? 0, 'bundle')} left after the run.`
    )
  }
  if (lines.length === 0) lines.push('Nothing to do.')
  return lines
}

/** Failures listed in one message, at most this many; the rest are counted. */
const LISTED_FAILURES = 20

/** What makes an applied run fail: one message per kind of failure, names made safe. */
export function resultErrors(result: ApplyResult): string[] {
  const errors: string[] = []
  if (result.fatal) errors.push(logSafe(result.fatal))
  for (const d of result.failedDevices) errors.push(`Device ${q(d.deviceId)}: ${logSafe(d.error)}`)
  if (result.failedBundles.length > 0) {
    const listed = result.failedBundles
      .slice(0, LISTED_FAILURES)
      .map(f => `${q(f.version)} (${logSafe(f.error)})`)
    const more = result.failedBundles.length - listed.length
    errors.push(
      `${plural(result.failedBundles.length, 'bundle deletion')} failed: ${listed.join('; ')}` +
        (more > 0 ? `; and ${more} more (see the report file)` : '') +
        '.'
    )
  }
  if (result.notAttempted.length > 0) {
    errors.push(
      `${plural(result.notAttempted.length, 'deletion was', 'deletions were')} not attempted after the run stopped.`
    )
  }
  return errors
}
