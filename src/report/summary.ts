// The job summary (markdown). Every value that came from the server or the inputs goes through
// the escaper of its markdown context (src/text.ts): mdCode for names, mdCell for table text,
// mdText for paragraphs and list items.

import { deviceRunsText } from '../plan/devices.js'
import type {
  BundleDecision,
  ChannelPlan,
  CompatibilityCheck,
  DevicePlan,
  Plan,
  RolloutSnapshot
} from '../plan/index.js'
import { clip, mdCell, mdCode, mdText, plural } from '../text.js'
import { CHANNEL_SETTINGS, describeAutoPause, nextStepText, rolloutActionText } from './log.js'
import { formatShare, runningRollout, wroteAnything, type Outcome } from './outcome.js'
import type { Cut, ListOutput } from './outputs.js'
import type { FailedPhase, ReportInput } from './types.js'

/** Deletion rows of the bundle table before "…and N more deletions". */
export const SUMMARY_DELETION_ROWS = 50
/** Protected rows (and failed rows), at most: they are few in practice; a flood is counted. */
export const SUMMARY_PROTECTED_ROWS = 500
/** Errors and warnings listed, at most. */
const SUMMARY_MESSAGES = 20
/** A cell's or a message's text, at most (characters). */
const TEXT_CHARS = 500

const code = (text: string): string => mdCode(clip(text, TEXT_CHARS))
const cellCode = (text: string): string => mdCode(clip(text, TEXT_CHARS), { inTable: true })
const cell = (text: string): string => mdCell(clip(text, TEXT_CHARS))
const text = (value: string): string => mdText(clip(value, TEXT_CHARS * 4))

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
  const lines: string[] = []
  const title = input.appId ? `Capgo release: ${code(input.appId)}` : 'Capgo release'
  const state = outcome.failed ? ': failed' : input.dryRun ? ': dry run' : ''
  lines.push(`## ${title}${state}`, '')
  if (outcome.failed) lines.push(...failureBlock(input, outcome))
  else if (input.dryRun) lines.push('> [!NOTE]', '> Dry run: nothing was changed.', '')

  if (plan?.channel) lines.push(...channelSection(plan.channel, outcome))
  if (plan?.channel?.compatibility) lines.push(...compatibilitySection(plan.channel.compatibility))
  if (plan?.channel?.rollout) lines.push(...rolloutSection(plan.channel, outcome))
  if (plan && (plan.links.length > 0 || plan.unlinks.length > 0)) {
    lines.push(...deviceSection(plan, outcome))
  }
  if (plan?.deleteChannel) lines.push(...deletedChannelLine(plan.deleteChannel, outcome))
  if (plan && plan.bundles.length > 0) lines.push(...bundleSection(plan, outcome))
  lines.push(...cutOutputsNote(extras.cutOutputs, input.reportFile))

  if (input.warnings.length > 0) {
    lines.push('### Warnings', '')
    lines.push(...messageList(input.warnings, ''))
    lines.push('')
  }
  if (input.deploymentId !== undefined) {
    lines.push(`GitHub deployment: ${input.deploymentId}.`, '')
  }
  const links = contextLinks(input)
  if (links) lines.push(links, '')
  return lines.join('\n')
}

/** At most SUMMARY_MESSAGES list items, then a count. */
function messageList(messages: string[], prefix: string): string[] {
  const lines = messages.slice(0, SUMMARY_MESSAGES).map(m => `${prefix}- ${text(m)}`)
  if (messages.length > SUMMARY_MESSAGES) {
    lines.push(`${prefix}- …and ${messages.length - SUMMARY_MESSAGES} more (see the report file)`)
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
    if (writes.metadata) changed.push('bundle link and comment set')
    if (writes.unlinked.length) changed.push(`${plural(writes.unlinked.length, 'device')} unlinked`)
    if (writes.linked.length) changed.push(`${plural(writes.linked.length, 'device')} linked`)
    if (writes.deletedBundles) changed.push(`${plural(writes.deletedBundles, 'bundle')} deleted`)
    lines.push(`> The step failed${where}, after these changes: ${changed.join('; ')}.`, '>')
  }
  lines.push(...messageList(input.errors, '> '), '')
  return lines
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
  if (ch.versionSource?.kind === 'promote_from') {
    lines.push('', `Promoted from channel ${code(ch.versionSource.channel)}.`)
  } else if (ch.versionSource?.kind === 'rollback') {
    lines.push(
      '',
      `Rolled back to the release of GitHub deployment ${ch.versionSource.deploymentId}.`
    )
  }
  if (
    outcome.previousVersion &&
    outcome.channelChanged &&
    outcome.version !== outcome.previousVersion
  ) {
    lines.push('', `Rollback target: ${code(outcome.previousVersion)}.`)
  }
  if (ch.metadata && ch.target) {
    const done = outcome.planned ? 'would be set' : outcome.metadataWritten ? 'set' : 'not set'
    lines.push('', `Link and comment of bundle ${code(ch.target.version)}: ${done}.`)
  }
  lines.push('')
  return lines
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

function rolloutSection(ch: ChannelPlan, outcome: Outcome): string[] {
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
    `### Rollout: ${rolloutActionText(plan)}${outcome.planned && plan.action !== 'none' ? ' (planned)' : ''}`,
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
  const next = nextStepText(plan.nextStep)
  if (next) lines.push(`Next step: ${next}.`, '')
  if (plan.replaced) {
    lines.push(
      '> [!WARNING]',
      `> The rollout of ${code(plan.replaced)} ${outcome.planned ? 'would end' : 'ended'}: its devices get another bundle.`,
      ''
    )
  }
  return lines
}

function deviceSection(plan: Plan, outcome: Outcome): string[] {
  // What each linked device runs now, from the same per-device reads (README, previews).
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

/** The upload date when `createdAt` is a date; otherwise the text as the server sent it, escaped. */
export function uploadedCell(createdAt: string): string {
  const date = /^(\d{4}-\d{2}-\d{2})(?:[T ]|$)/.exec(createdAt)
  if (date && !Number.isNaN(Date.parse(createdAt))) return date[1]!
  return cell(createdAt)
}

function bundleSection(plan: Plan, outcome: Outcome): string[] {
  const failed = new Map(outcome.failedBundles.map(f => [f.version, f.error]))
  const deleted = new Set(outcome.deletedBundles)
  const gone = new Set(outcome.alreadyGone)
  const byFate = { delete: [] as BundleDecision[], keep: 0, protected: [] as BundleDecision[] }
  const failedRows: BundleDecision[] = []
  for (const d of plan.bundles) {
    if (failed.has(d.version)) failedRows.push(d)
    else if (d.fate === 'delete') byFate.delete.push(d)
    else if (d.fate === 'protected') byFate.protected.push(d)
    else byFate.keep++
  }
  const would = outcome.dryRun
  const lines = [
    '### Bundles',
    '',
    `${would ? 'Would delete' : 'Deleted'} **${outcome.deletedBundles.length}**` +
      (failed.size > 0 ? `, failed **${failed.size}**` : '') +
      `, protected **${byFate.protected.length}**, kept **${byFate.keep}** of ${plan.bundles.length}` +
      (outcome.keptCount === undefined
        ? '.'
        : `: ${outcome.keptCount} ${would ? 'would be left' : 'left'} after the run.`),
    ''
  ]
  if (would && plan.errors.length > 0 && outcome.deletedBundles.length > 0) {
    lines.push(
      'The plan failed, so the real run would delete nothing; these are the deletions it planned.',
      ''
    )
  }
  const fateOf = (d: BundleDecision): string =>
    failed.has(d.version)
      ? '❌ failed'
      : d.fate === 'protected'
        ? '🛡️ protected'
        : would
          ? 'would delete'
          : deleted.has(d.version)
            ? '🗑️ deleted'
            : gone.has(d.version)
              ? 'already gone'
              : 'not deleted'
  const reasonOf = (d: BundleDecision): string =>
    failed.has(d.version) ? `${d.reason}; ${failed.get(d.version)!}` : d.reason
  const row = (d: BundleDecision): string =>
    `| ${cellCode(d.version)} | ${uploadedCell(d.createdAt)} | ${fateOf(d)} | ${cell(reasonOf(d))} |`

  const shown = [
    ...byFate.protected.slice(0, SUMMARY_PROTECTED_ROWS),
    ...failedRows.slice(0, SUMMARY_PROTECTED_ROWS),
    ...byFate.delete.slice(0, SUMMARY_DELETION_ROWS)
  ]
  if (shown.length > 0) {
    lines.push('| version | uploaded | fate | reason |', '| --- | --- | --- | --- |')
    lines.push(...shown.map(row), '')
  }
  const more = (count: number, what: string): void => {
    if (count > 0) lines.push(`…and ${count} more ${what} (see the report file).`, '')
  }
  more(byFate.protected.length - SUMMARY_PROTECTED_ROWS, 'protected bundles')
  more(failedRows.length - SUMMARY_PROTECTED_ROWS, 'failed deletions')
  more(byFate.delete.length - SUMMARY_DELETION_ROWS, 'deletions')
  if (byFate.keep > 0) lines.push(`${plural(byFate.keep, 'bundle')} kept (not listed).`, '')
  return lines
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
