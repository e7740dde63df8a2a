// Log lines and error messages built from the plan and the result. Every name and server text
// in them goes through logSafe: a bundle named "x\n::error::..." must not become a command.

import type { ApplyResult } from '../apply.js'
import type {
  AutoPauseSnapshot,
  BundleDecision,
  ChannelPlan,
  ChannelSnapshot,
  DeletionSource,
  Plan,
  RolloutPlan,
  RolloutSnapshot
} from '../plan/index.js'
import { logSafe, plural } from '../text.js'
import { formatShare, type Outcome } from './outcome.js'

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
      `${dryRun ? 'Would set' : 'Setting'} the ${metadataFields(ch.metadata)} of bundle ${q(ch.target.version)}.`
    )
  }
  return lines
}

/** What `POST /bundle/metadata` sends: `link`, `comment` or `link and comment`. */
export function metadataFields(metadata: { link?: string; comment?: string }): string {
  const fields: string[] = []
  if (metadata.link !== undefined) fields.push('link')
  if (metadata.comment !== undefined) fields.push('comment')
  return fields.join(' and ') || 'link and comment'
}

/** Why a bundle is deleted, by where the deletion came from. */
const SOURCE_TEXT: Record<DeletionSource, string> = {
  delete_versions: 'named in delete_versions',
  cleanup: 'by the cleanup rules',
  delete_all_bundles: 'by delete_all_bundles'
}

/** The plan as log lines, for the "Plan" group. */
export function planLines(plan: Plan): string[] {
  if (plan.errors.length > 0) {
    // What it would have deleted, every version named: a user sizes a first cleanup by it.
    const planned = plan.wouldDelete.length
    return [
      ...plan.errors.map(error => `The plan cannot be carried out: ${logSafe(error)}`),
      ...(planned > 0
        ? [
            `It planned to delete ${plural(planned, 'bundle')}:`,
            ...plan.wouldDelete.map(v => `  - ${q(v)}`)
          ]
        : []),
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
  const bySource = new Map<DeletionSource | undefined, BundleDecision[]>()
  for (const phase of plan.deletions) {
    for (const d of phase.decisions) {
      const source =
        d.source ?? (phase.phase === 'delete_all_bundles' ? 'delete_all_bundles' : undefined)
      const list = bySource.get(source)
      if (list) list.push(d)
      else bySource.set(source, [d])
    }
  }
  // Every version is named: the job summary may have to cut a long list, the log does not.
  for (const [source, decisions] of bySource) {
    lines.push(
      `${plan.dryRun ? 'Would delete' : 'Deleting'} ${plural(decisions.length, 'bundle')}${source ? ` ${SOURCE_TEXT[source]}` : ''}.`
    )
    for (const d of decisions) {
      lines.push(
        source === 'cleanup' ? `  - ${q(d.version)}: ${logSafe(d.reason)}` : `  - ${q(d.version)}`
      )
    }
  }
  if (plan.bundlesRead && plan.bundles.length > 0) {
    const protectedBundles = plan.bundles.filter(b => b.fate === 'protected')
    lines.push(
      `${plural(protectedBundles.length, 'bundle')} protected; ${plural(plan.keptCount ?? 0, 'bundle')} left after the run.`
    )
    for (const d of protectedBundles) lines.push(`  - ${q(d.version)}: ${logSafe(d.reason)}`)
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
        (more > 0 ? `; and ${more} more (the job summary lists them)` : '') +
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

/** What the run did to the bundles, every version named: for a log group at the end of the run. */
export function resultLines(outcome: Outcome): string[] {
  if (outcome.dryRun) return []
  const lines: string[] = []
  const list = (title: string, versions: readonly string[]): void => {
    if (versions.length === 0) return
    lines.push(title, ...versions.map(v => `  - ${q(v)}`))
  }
  list(`Deleted ${plural(outcome.deletedBundles.length, 'bundle')}:`, outcome.deletedBundles)
  if (outcome.failedBundles.length > 0) {
    lines.push(`${plural(outcome.failedBundles.length, 'bundle deletion')} failed:`)
    for (const f of outcome.failedBundles) lines.push(`  - ${q(f.version)}: ${logSafe(f.error)}`)
  }
  list(
    `${plural(outcome.notAttempted.length, 'deletion was', 'deletions were')} not attempted (the run stopped):`,
    outcome.notAttempted
  )
  list(
    `${plural(outcome.alreadyGone.length, 'bundle')} already gone (deleted by someone else):`,
    outcome.alreadyGone
  )
  return lines
}

/**
 * What the GitHub step did, for its log group ("Tell GitHub"): the deployment, the comment, and
 * each warning (annotated again at the end of the run). Notices are left to `core.notice`.
 */
export function githubLines(
  published: { deploymentId?: number; commentId?: number; warnings: string[]; notices: string[] },
  asked: { deployment: boolean; prComment: boolean }
): string[] {
  const lines: string[] = []
  if (asked.deployment) {
    lines.push(
      published.deploymentId !== undefined
        ? `Recorded GitHub deployment ${published.deploymentId}.`
        : published.warnings.length > 0
          ? 'No GitHub deployment recorded (see the warnings).'
          : "No GitHub deployment recorded: the channel's bundle and rollout did not change."
    )
  }
  if (asked.prComment && published.commentId !== undefined) {
    lines.push(`Wrote the pull request comment ${published.commentId}.`)
  }
  for (const warning of published.warnings) lines.push(`Warning: ${logSafe(warning)}`)
  return lines
}

/** The start of the warning that src/plan/bundles.ts gives for each channel with no release. */
const RELEASELESS = /^cleanup_keep_releases: channel "(.*)" has no release recorded on GitHub \(/s

/**
 * The channels that release protection found no release for (one plan warning each), apart
 * from the other warnings: the report says them once (docs/contract.md, "GitHub": release protection).
 */
export function groupWarnings(warnings: readonly string[]): {
  releaseless: string[]
  others: string[]
} {
  const releaseless: string[] = []
  const others: string[] = []
  for (const warning of warnings) {
    const channel = RELEASELESS.exec(warning)?.[1]
    if (channel === undefined) others.push(warning)
    else releaseless.push(channel)
  }
  return { releaseless, others }
}

/** The warnings as annotations: those of release protection made one, naming every channel. */
export function annotationWarnings(warnings: readonly string[]): string[] {
  const { releaseless, others } = groupWarnings(warnings)
  if (releaseless.length === 0) return others
  const one = releaseless.length === 1
  return [
    `cleanup_keep_releases: no release is recorded on GitHub for ${one ? 'channel' : 'channels'} ` +
      `${releaseless.map(q).join(', ')}: none of ${one ? 'its' : 'their'} bundles is protected ` +
      'by the release history. Record releases with github_deployment: true on the jobs that ' +
      `release to ${one ? 'it' : 'them'} (with deployments: write in the job's permissions:), ` +
      'or set github_environment to the environment they record under.',
    ...others
  ]
}
