// The job summary (markdown). Every value that came from the server or the inputs goes through
// the escaper of its markdown context (src/text.ts, through ./markdown.ts): mdCode for names,
// mdCell for table text, mdText for paragraphs and list items. The bundles are ./bundles.ts.

import { deviceRunsText } from '../plan/devices.js'
import type {
  ChannelPlan,
  CompatibilityCheck,
  DevicePlan,
  Plan,
  RolloutSnapshot
} from '../plan/index.js'
import { plural } from '../text.js'
import { Budget, bundleSection } from './bundles.js'
import {
  CHANNEL_SETTINGS,
  describeAutoPause,
  groupWarnings,
  metadataFields,
  nextStepText,
  rolloutActionText
} from './log.js'
import { formatShare, runningRollout, wroteAnything, type Outcome } from './outcome.js'
import type { Cut, ListOutput } from './outputs.js'
import { bytes, cell, cellCode, code, messageMarkdown, text } from './markdown.js'
import type { FailedPhase, ReportInput } from './types.js'

/** GitHub's limit for the job summary of one step (bytes): a bigger one is not shown at all. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024
/** What this summary may take: the limit, less the newline main appends and a margin. */
const SUMMARY_BUDGET_BYTES = SUMMARY_LIMIT_BYTES - 4 * 1024
/** Errors and warnings listed, at most. */
const SUMMARY_MESSAGES = 20
/** Channels named in the release-protection warning, at most. */
const RELEASELESS_CHANNELS = 100

const PHASES: Record<FailedPhase, string> = {
  input: 'reading the inputs',
  read: 'reading from Capgo (or the release history from GitHub)',
  plan: 'planning',
  apply: 'applying the plan',
  verify: 'verifying the channel'
}

export interface SummaryExtras {
  cutOutputs: Partial<Record<ListOutput, Cut>>
}

export function renderSummary(input: ReportInput, outcome: Outcome, extras: SummaryExtras): string {
  const { plan } = input
  const { releaseless, others: warnings } = groupWarnings(input.warnings)
  const head: string[] = []
  const title = input.appId ? `Capgo release: ${code(input.appId)}` : 'Capgo release'
  const state = outcome.failed ? ': failed' : input.dryRun ? ': dry run' : ''
  head.push(`## ${title}${state}`, '')
  if (outcome.failed) head.push(...failureBlock(input, outcome))
  else if (input.dryRun) head.push('> [!NOTE]', '> Dry run: nothing was changed.', '')
  if (releaseless.length > 0) head.push(...releaselessBlock(releaseless))

  if (plan?.channel) head.push(...channelSection(plan.channel, outcome))
  if (plan?.channel?.compatibility) head.push(...compatibilitySection(plan.channel.compatibility))
  if (plan?.channel?.rollout) head.push(...rolloutSection(plan, plan.channel, outcome))
  if (plan && (plan.links.length > 0 || plan.unlinks.length > 0)) {
    head.push(...deviceSection(plan, outcome))
  }
  if (plan?.deleteChannel) head.push(...deletedChannelLine(plan.deleteChannel, outcome))

  const tail: string[] = [...cutOutputsNote(extras.cutOutputs, input.reportFile)]
  if (warnings.length > 0) {
    tail.push('### Warnings', '')
    tail.push(...messageList(warnings, ''))
    tail.push('')
  }
  if (input.deploymentId !== undefined) {
    tail.push(`GitHub deployment: ${input.deploymentId}.`, '')
  }
  const links = contextLinks(input)
  if (links) tail.push(links, '')

  // The bundle lists take what the rest leaves of GitHub's 1 MiB for a step's job summary.
  const budget = new Budget(SUMMARY_BUDGET_BYTES - bytes(head.join('\n')) - bytes(tail.join('\n')))
  const bundles =
    plan && plan.bundles.length > 0 ? bundleSection(plan, outcome, extras.cutOutputs, budget) : []
  return withinLimit([...head, ...bundles, ...tail].join('\n'))
}

/** The last guard: a summary past GitHub's limit would not be shown at all. */
function withinLimit(summary: string): string {
  if (bytes(summary) <= SUMMARY_BUDGET_BYTES) return summary
  const notice =
    '\n\n> [!WARNING]\n> The rest of this summary was cut: GitHub shows at most 1 MiB of job ' +
    "summary per step. The step's log has the whole plan.\n"
  const head = Buffer.from(summary, 'utf8')
    .subarray(0, SUMMARY_BUDGET_BYTES - bytes(notice))
    .toString('utf8')
  // At a line's end, so that no table row, code span or character is cut in two.
  return `${head.slice(0, Math.max(0, head.lastIndexOf('\n')))}${notice}`
}

/** At most SUMMARY_MESSAGES list items, then a count. */
function messageList(messages: string[], prefix: string): string[] {
  const lines = messages.slice(0, SUMMARY_MESSAGES).map(m => `${prefix}- ${messageMarkdown(m)}`)
  if (messages.length > SUMMARY_MESSAGES) {
    lines.push(
      `${prefix}- …and ${messages.length - SUMMARY_MESSAGES} more (the step's log has them all)`
    )
  }
  return lines
}

/** First thing after the title of a failing run: where it failed, and what it changed first. */
function failureBlock(input: ReportInput, outcome: Outcome): string[] {
  const where = outcome.failedPhase ? ` while ${PHASES[outcome.failedPhase]}` : ''
  const writes = outcome.writes
  const lines = ['> [!CAUTION]']
  if (input.dryRun || !wroteAnything(writes)) {
    lines.push(
      `> The step failed${where}. Nothing was changed${input.dryRun ? ' (dry run)' : ''}.`,
      '>'
    )
  } else {
    const changed: string[] = []
    if (writes.deletedChannel) changed.push(`channel ${code(writes.deletedChannel)} deleted`)
    if (writes.channel) {
      changed.push(
        `channel ${code(outcome.channel)} ${outcome.channelCreated ? 'created' : 'written'}`
      )
    }
    const metadata = input.plan?.channel?.metadata
    if (writes.metadata && metadata) changed.push(`bundle ${metadataFields(metadata)} set`)
    if (writes.unlinked.length) changed.push(`${plural(writes.unlinked.length, 'device')} unlinked`)
    if (writes.linked.length) changed.push(`${plural(writes.linked.length, 'device')} linked`)
    if (writes.deletedBundles) changed.push(`${plural(writes.deletedBundles, 'bundle')} deleted`)
    lines.push(`> The step failed${where}, after these changes: ${changed.join('; ')}.`, '>')
  }
  lines.push(...messageList(input.errors, '> '), '')
  return lines
}

/**
 * Release protection asked for channels with no recorded release: said once, near the top, with
 * what to turn on (docs/contract.md, "GitHub": release protection), instead of a warning per channel.
 */
function releaselessBlock(channels: readonly string[]): string[] {
  const named = channels.slice(0, RELEASELESS_CHANNELS).map(code).join(', ')
  const more =
    channels.length > RELEASELESS_CHANNELS
      ? ` and ${channels.length - RELEASELESS_CHANNELS} more`
      : ''
  return [
    '> [!WARNING]',
    `> **No release recorded on GitHub** for ${channels.length === 1 ? 'channel' : 'channels'} ` +
      `${named}${more}: \`cleanup_keep_releases\` protects none of ${channels.length === 1 ? 'its' : 'their'} ` +
      'bundles. Record releases with `github_deployment: true` on the jobs that release to ' +
      `${channels.length === 1 ? 'this channel' : 'these channels'} (with \`deployments: write\` ` +
      "in the job's `permissions:`), or set `github_environment` to the environment they " +
      'record under.',
    ''
  ]
}

function showValue(value: unknown): string {
  if (value === null || value === undefined) return '—'
  return typeof value === 'string' ? cellCode(value) : String(value)
}

/** A rollout in a table cell: `1.2.0` to 25 %, paused: why. */
function rolloutCell(rollout: RolloutSnapshot | null | undefined): string {
  if (!rollout) return '—'
  const bundle =
    rollout.version === null ? `bundle #${rollout.versionId}` : cellCode(rollout.version)
  if (!rollout.enabled) return `${bundle} set, not serving (no device gets it)`
  const state = rollout.paused
    ? `, paused${rollout.pauseReason ? `: ${cell(rollout.pauseReason)}` : ''}`
    : ''
  return `${bundle} to ${formatShare(rollout.percentage)} %${state}`
}

/** Capgo's side effect on the rollout, as predicted and as the read-back found it. */
function rolloutEndText(ch: ChannelPlan, outcome: Outcome): string | undefined {
  const ended = ch.endsRollout
  if (!ended) return undefined
  const bundle = ended.version === null ? `bundle #${ended.versionId}` : code(ended.version)
  const what = ended.enabled
    ? `the rollout of ${bundle} at ${formatShare(ended.percentage)} %`
    : `the rollout bundle ${bundle} (set, not serving)`
  if (!outcome.channelWritten || outcome.planned || !outcome.channelVerified) {
    return `Capgo ends ${what} when the channel's bundle changes.`
  }
  return outcome.channelAfter?.rollout
    ? `This Capgo kept ${what} (an older or self-hosted Capgo does; today's ends it when the bundle changes).`
    : `Capgo ended ${what}, as predicted: every device gets the channel's bundle.`
}

function channelStatus(ch: ChannelPlan, outcome: Outcome): string {
  const would = outcome.planned
  // A plan that cannot be carried out changes nothing; "already as asked" would mislead.
  if (outcome.failedPhase === 'plan') return 'not changed (the plan failed)'
  if (ch.write === null) return 'already as asked: unchanged'
  if (!ch.exists) {
    if (!outcome.channelCreated) return 'not created'
    return would ? 'would be created' : outcome.channelVerified ? 'created, verified' : 'created'
  }
  if (ch.changes.length === 0) {
    // Only platforms were sent: Capgo does not report them, so nothing visible changed.
    return outcome.channelWritten
      ? would
        ? 'platforms would be sent'
        : 'platforms sent'
      : 'not changed'
  }
  if (!outcome.channelChanged) return 'not changed'
  return would ? 'would change' : outcome.channelVerified ? 'changed, verified' : 'changed'
}

function channelSection(ch: ChannelPlan, outcome: Outcome): string[] {
  const before = ch.before
  const after = outcome.channelAfter
  const lines = [
    `### Channel ${code(ch.name)}: ${channelStatus(ch, outcome)}`,
    '',
    '| setting | before | after |',
    '| --- | --- | --- |'
  ]
  const row = (label: string, b: string, a: string, always = false): void => {
    if (b === a && !always) return
    lines.push(`| ${label} | ${b} | ${b === a ? a : `**${a}**`} |`)
  }
  row(
    'bundle',
    before ? showValue(before.version) : '—',
    after ? showValue(after.version) : '—',
    true
  )
  row('rollout', rolloutCell(before?.rollout), rolloutCell(after?.rollout))
  // Capgo's auto-pause: shown when asked for, or when it holds something worth seeing.
  const pauseBefore = before?.autoPause ?? null
  const pauseAfter = after?.autoPause ?? null
  if (ch.changes.includes('auto_pause') || pauseAfter?.enabled || pauseAfter?.lastTriggeredAt) {
    row(
      'auto-pause',
      cell(describeAutoPause(pauseBefore)),
      cell(describeAutoPause(pauseAfter)),
      true
    )
  }
  for (const [label, key] of CHANNEL_SETTINGS) {
    row(label, before ? showValue(before[key]) : '—', after ? showValue(after[key]) : '—')
  }
  for (const platform of ['ios', 'android', 'electron'] as const) {
    const given = ch.platforms[platform]
    if (given === undefined) continue
    const sent = outcome.channelWritten
      ? `${outcome.planned ? 'would be set' : 'set'} to ${String(given)} (Capgo does not report it)`
      : 'not set'
    lines.push(`| ${platform} | not reported | ${sent} |`)
  }
  const ended = rolloutEndText(ch, outcome)
  if (ended) lines.push('', ended)
  const source = versionSourceText(ch, outcome)
  if (source) lines.push('', source)
  if (
    outcome.previousVersion &&
    outcome.channelChanged &&
    outcome.version !== outcome.previousVersion
  ) {
    lines.push('', `Rollback target: ${code(outcome.previousVersion)}.`)
  }
  if (ch.metadata && ch.target) {
    const done = outcome.planned ? 'would be set' : outcome.metadataWritten ? 'set' : 'not set'
    const what = metadataFields(ch.metadata)
    lines.push(
      '',
      `${what[0]!.toUpperCase()}${what.slice(1)} of bundle ${code(ch.target.version)}: ${done}.`
    )
  }
  lines.push('')
  return lines
}

/**
 * Where the channel's bundle came from, said only when it happened: "Promoted from channel beta"
 * once the channel was written with that bundle, "would be" in a dry run, nothing when the run
 * stopped before the write (docs/contract.md, "One run", step 7: the summary states only what
 * happened).
 */
function versionSourceText(ch: ChannelPlan, outcome: Outcome): string {
  const source = ch.versionSource
  if (source === undefined || source.kind === 'version' || planFailed(outcome)) return ''
  const bundleMoved = ch.changes.includes('version')
  if (ch.write === null) {
    return source.kind === 'promote_from'
      ? `Already on the bundle of channel ${code(source.channel)}: nothing to promote.`
      : ''
  }
  if (!outcome.channelWritten) return ''
  const would = outcome.planned
  if (source.kind === 'rollback') {
    return `${would ? 'Would roll back' : 'Rolled back'} to the release of GitHub deployment ${source.deploymentId}.`
  }
  if (bundleMoved) {
    return `${would ? 'Would be promoted' : 'Promoted'} from channel ${code(source.channel)}.`
  }
  if (ch.changes.includes('rollout')) {
    return `The rollout bundle ${would ? 'would come' : 'comes'} from channel ${code(source.channel)}.`
  }
  return ''
}

const PLUGIN_ROWS = 50

const CHANGE_TEXT: Record<string, string> = {
  added: 'added by the new bundle',
  removed: 'removed (allowed)',
  version: 'versions do not intersect',
  ios_native: 'iOS native code changed',
  android_native: 'Android native code changed',
  requested_version: 'requested version changed (allowed)',
  unchanged: 'unchanged'
}

/** The native compatibility gate: its verdict and a row per plugin that changed. */
function compatibilitySection(check: CompatibilityCheck): string[] {
  const verdict =
    check.verdict === 'incompatible'
      ? check.blocks
        ? 'incompatible: stopped before any write'
        : 'incompatible (not blocked)'
      : check.verdict
  const lines = [
    `### Native compatibility: ${verdict}`,
    '',
    `${code(check.candidate)} against the channel's bundle ${code(check.current)} ` +
      `(compatibility: ${check.mode}).`,
    ''
  ]
  if (check.verdict === 'unknown') {
    lines.push(`Not checked: ${text(check.reason ?? 'no record')}.`, '')
    return lines
  }
  const changed = check.plugins.filter(p => p.kind !== 'unchanged')
  if (changed.length === 0) {
    lines.push(`${plural(check.plugins.length, 'native plugin')}, none changed.`, '')
    return lines
  }
  lines.push(
    `| plugin | on the channel | in ${code(check.candidate)} | change |`,
    '| --- | --- | --- | --- |'
  )
  for (const p of changed.slice(0, PLUGIN_ROWS)) {
    const what = p.kinds.map(k => CHANGE_TEXT[k] ?? k).join(', ')
    lines.push(
      `| ${cellCode(p.name)} | ${p.from === undefined ? '—' : cellCode(p.from)} | ` +
        `${p.to === undefined ? '—' : cellCode(p.to)} | ${p.blocking ? `**${what}**` : what} |`
    )
  }
  if (changed.length > PLUGIN_ROWS) {
    lines.push('', `…and ${changed.length - PLUGIN_ROWS} more (see the report).`)
  }
  lines.push('')
  return lines
}

/** `▰▰▱▱▱▱▱▱▱▱ 25 %`: one mark per tenth, rounded. */
export function shareBar(percentage: number): string {
  const filled = Math.max(0, Math.min(10, Math.round(percentage / 10)))
  return `${'▰'.repeat(filled)}${'▱'.repeat(10 - filled)} ${formatShare(percentage)} %`
}

/** The plan could not be carried out: nothing was (or, in a dry run, would be) changed. */
function planFailed(outcome: Outcome, plan?: Plan): boolean {
  return outcome.failedPhase === 'plan' || (plan?.errors.length ?? 0) > 0
}

/**
 * The rollout heading: what was done, only when it was. "Already as asked" only when the run
 * found it so and did not stop before applying; a plan that failed or a write that did not
 * happen says so (docs/contract.md, "One run", step 7).
 */
function rolloutHeading(plan: Plan, ch: ChannelPlan, outcome: Outcome): string {
  const rollout = ch.rollout!
  const action = rolloutActionText(rollout)
  const none = rollout.action === 'none'
  if (planFailed(outcome, plan)) {
    return none ? 'not changed (the plan failed)' : `${action}: not done (the plan failed)`
  }
  if (outcome.planned) return none ? action : `${action} (planned)`
  if (none) {
    // Found as asked, and the run got to apply (or had nothing to write).
    const applied = !outcome.dryRun && (!outcome.failed || (ch.write === null && outcome.applied))
    return applied ? action : 'not changed'
  }
  if (outcome.dryRun) return `${action}: not done (the run failed)`
  if (!outcome.channelWritten) return `${action}: not done (the channel was not written)`
  return outcome.channelVerified || !outcome.failed
    ? action
    : `${action}: sent, but the channel read back differs (see the error)`
}

function rolloutSection(p: Plan, ch: ChannelPlan, outcome: Outcome): string[] {
  const plan = ch.rollout!
  const before = ch.before?.rollout ?? null
  // What Capgo holds after the run (the read-back), else what the plan left as it was.
  const after =
    outcome.channelWritten && outcome.channelAfter
      ? outcome.channelAfter.rollout
      : ch.write === null
        ? ch.after.rollout
        : before
  const lines = [
    `### Rollout: ${rolloutHeading(p, ch, outcome)}`,
    '',
    '| | before | after |',
    '| --- | --- | --- |'
  ]
  const field = (r: RolloutSnapshot | null, pick: (r: RolloutSnapshot) => string): string =>
    r ? pick(r) : '—'
  const row = (label: string, pick: (r: RolloutSnapshot) => string): void => {
    const b = field(before, pick)
    const a = field(after, pick)
    lines.push(`| ${label} | ${b} | ${a === b ? a : `**${a}**`} |`)
  }
  row('bundle', r => (r.version === null ? `bundle #${r.versionId}` : cellCode(r.version)))
  row('share', r => `${formatShare(r.percentage)} %`)
  row('state', r =>
    !r.enabled
      ? 'set, not serving'
      : r.paused
        ? `paused${r.pauseReason ? `: ${cell(r.pauseReason)}` : ''}`
        : 'running'
  )
  lines.push('')
  const running = runningRollout({ ...ch.after, rollout: after })
  if (running) lines.push(`\`${shareBar(running.percentage)}\``, '')
  // The next step and an ended rollout hold only once the plan was (or would be) carried out.
  const done = outcome.planned || (outcome.channelWritten && !outcome.dryRun)
  const next = done || plan.action === 'none' ? nextStepText(plan.nextStep) : ''
  if (next && !planFailed(outcome, p)) lines.push(`Next step: ${next}.`, '')
  if (plan.replaced && done) {
    lines.push(
      '> [!WARNING]',
      `> The rollout of ${code(plan.replaced)} ${outcome.planned ? 'would end' : 'ended'}: its devices get another bundle.`,
      ''
    )
  }
  return lines
}

function deviceSection(plan: Plan, outcome: Outcome): string[] {
  // What each linked device runs now, from the same per-device reads (docs/previews.md).
  const showsRuns = plan.links.some(d => d.seen !== undefined)
  const bundle = outcome.channelAfter?.version ?? null
  const runsCell = (d: DevicePlan): string => {
    const runs = deviceRunsText(d, bundle)
    return showsRuns ? ` ${runs ? cell(runs) : '—'} |` : ''
  }
  const lines = [
    '### Devices',
    '',
    `| device | action |${showsRuns ? ' runs now |' : ''}`,
    `| --- | --- |${showsRuns ? ' --- |' : ''}`
  ]
  const linked = new Set(outcome.linkedDevices)
  const unlinked = new Set(outcome.unlinkedDevices)
  const failed = new Map(outcome.failedDevices.map(d => [d.deviceId, d.error]))
  const would = outcome.planned
  for (const d of plan.unlinks) {
    const what = failed.has(d.deviceId)
      ? `unlink failed: ${cell(failed.get(d.deviceId)!)}`
      : d.action === 'already'
        ? 'had no override'
        : unlinked.has(d.deviceId)
          ? would
            ? 'would be unlinked'
            : 'unlinked'
          : 'not unlinked'
    lines.push(`| ${cellCode(d.deviceId)} | ${what} |${showsRuns ? ' — |' : ''}`)
  }
  const target = cellCode(plan.channel?.name ?? '')
  for (const d of plan.links) {
    const what = failed.has(d.deviceId)
      ? `link failed: ${cell(failed.get(d.deviceId)!)}`
      : d.action === 'already'
        ? `already linked to ${target}`
        : linked.has(d.deviceId)
          ? `${would ? 'would be linked' : 'linked'} to ${target}`
          : 'not linked'
    lines.push(`| ${cellCode(d.deviceId)} | ${what} |${runsCell(d)}`)
  }
  lines.push('')
  return lines
}

function deletedChannelLine(d: { name: string; exists: boolean }, outcome: Outcome): string[] {
  const state = !d.exists
    ? ' was already gone'
    : outcome.planned
      ? ' (would be deleted)'
      : outcome.deletedChannel
        ? ''
        : ' (not deleted)'
  return [`**Deleted channel:** ${code(d.name)}${state}`, '']
}

function cutOutputsNote(cut: Partial<Record<ListOutput, Cut>>, reportFile?: string): string[] {
  const entries = Object.entries(cut)
  if (entries.length === 0) return []
  const where = reportFile ? `the report file ${code(reportFile)}` : 'the report file'
  return [
    '> [!NOTE]',
    `> Cut to stay under GitHub's size limit for outputs: ${entries
      .map(([name, c]) => `${code(name)} lists ${c.shown} of ${c.total}`)
      .join('; ')}. ${where[0]!.toUpperCase()}${where.slice(1)} has them all.`,
    ''
  ]
}

function contextLinks(input: ReportInput): string {
  const { serverUrl, repository, sha, runId } = input.context
  if (!serverUrl || !repository) return ''
  // Runner-provided values, but checked anyway: they end up in link targets.
  if (!/^https?:\/\/[\w.:-]+$/.test(serverUrl) || !/^[\w.-]+\/[\w.-]+$/.test(repository)) return ''
  const parts: string[] = []
  if (sha && /^[0-9a-f]{7,64}$/i.test(sha)) {
    parts.push(`commit [\`${sha.slice(0, 7)}\`](${serverUrl}/${repository}/commit/${sha})`)
  }
  if (runId && /^\d+$/.test(runId)) {
    parts.push(`[run ${runId}](${serverUrl}/${repository}/actions/runs/${runId})`)
  }
  return parts.length > 0 ? `<sub>${parts.join(' · ')}</sub>` : ''
}
