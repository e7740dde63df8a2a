// What the run did (or, in a dry run, would do): the step outputs and the job summary. Pure: it
// turns settings, plan and result into strings; main.ts hands them to @actions/core.

import type { ApplyResult, FailedBundle } from './apply.js'
import type { BundleDecision, ChannelSnapshot, Plan } from './plan.js'
import type { Settings } from './settings.js'

export interface RunContext {
  serverUrl?: string
  repository?: string
  sha?: string
  runId?: string
}

/** The state the run ended in: applied for a real run, as planned for a dry run. */
export interface Outcome {
  channel: string
  version: string
  previousVersion: string
  channelCreated: boolean
  channelChanged: boolean
  linkedDevices: string[]
  unlinkedDevices: string[]
  deletedChannel: string
  deletedBundles: string[]
  keptCount: number | undefined
  protectedBundles: string[]
  failedBundles: FailedBundle[]
  /** Planned deletions that someone else had already made. */
  alreadyGone: string[]
  failedDevices: { deviceId: string; error: string }[]
  dryRun: boolean
}

/**
 * `result` is undefined when nothing was applied: a dry run (the outcome is the plan) or a plan
 * that failed (the outcome is "nothing changed").
 */
export function outcomeOf(
  settings: Settings,
  plan: Plan,
  result: ApplyResult | undefined
): Outcome {
  const planned = result === undefined && plan.errors.length === 0 && settings.dryRun
  const untouched = result === undefined && !planned
  const ch = plan.channel
  const channelWritten = planned ? ch?.upsert != null : (result?.channelWritten ?? false)
  const after = ch && (channelWritten || ch.upsert === null) ? ch.after : ch?.before
  const alreadyLinked = plan.links.filter(d => d.action === 'already').map(d => d.deviceId)
  const alreadyUnlinked = plan.unlinks.filter(d => d.action === 'already').map(d => d.deviceId)
  const plannedDeletions = plan.deletions.flatMap(p => p.decisions.map(d => d.version))
  // In plan order, whatever order the concurrent deletions finished in.
  const deletedSet = new Set(result?.deleted ?? [])
  const deletedBundles = planned
    ? plannedDeletions
    : plannedDeletions.filter(v => deletedSet.has(v))
  const alreadyGone = planned ? [] : (result?.alreadyGone ?? [])
  const cleanupRan = settings.cleanup !== undefined || settings.deleteAllBundles
  const inOrder = (ids: string[], wanted: string[]): string[] =>
    wanted.filter(id => ids.includes(id))

  return {
    channel: ch?.name ?? '',
    version: after?.version ?? '',
    previousVersion: ch?.before?.version ?? '',
    channelCreated: ch !== null && !ch.exists && channelWritten,
    channelChanged: ch !== null && ch.upsert !== null && channelWritten,
    linkedDevices: untouched
      ? alreadyLinked
      : inOrder(
          [
            ...alreadyLinked,
            ...(planned ? plan.links.map(d => d.deviceId) : (result?.linked ?? []))
          ],
          settings.devices
        ),
    unlinkedDevices: untouched
      ? alreadyUnlinked
      : inOrder(
          [
            ...alreadyUnlinked,
            ...(planned ? plan.unlinks.map(d => d.deviceId) : (result?.unlinked ?? []))
          ],
          settings.unlinkDevices
        ),
    deletedChannel: planned
      ? plan.deleteChannel?.exists
        ? plan.deleteChannel.name
        : ''
      : (result?.deletedChannel ?? ''),
    deletedBundles,
    keptCount: plan.bundlesRead
      ? (plan.keptCount ?? 0) + plannedDeletions.length - deletedBundles.length - alreadyGone.length
      : undefined,
    protectedBundles: cleanupRan ? plan.protectedVersions : [],
    failedBundles: result?.failedBundles ?? [],
    alreadyGone,
    failedDevices: result?.failedDevices ?? [],
    dryRun: settings.dryRun
  }
}

/** The plan as log lines, for the "Plan" group. */
export function planLines(plan: Plan): string[] {
  const lines: string[] = []
  if (plan.deleteChannel) {
    const d = plan.deleteChannel
    lines.push(`delete channel "${d.name}"${d.exists ? '' : ' (already gone)'}`)
  }
  if (plan.channel) {
    const ch = plan.channel
    const bundleMove =
      ch.after.version !== (ch.before?.version ?? null)
        ? ` (bundle ${ch.before?.version ?? 'none'} -> ${ch.after.version ?? 'none'})`
        : ''
    lines.push(
      ch.upsert
        ? `${ch.exists ? 'update' : 'create'} channel "${ch.name}": ${ch.changes.join(', ')}${bundleMove}`
        : `channel "${ch.name}" is already as asked`
    )
  }
  for (const d of plan.unlinks) {
    lines.push(`unlink device ${d.deviceId}${d.action === 'already' ? ' (no override)' : ''}`)
  }
  for (const d of plan.links) {
    lines.push(`link device ${d.deviceId}${d.action === 'already' ? ' (already linked)' : ''}`)
  }
  if (plan.bundlesRead && plan.bundles.length > 0) {
    const count = (fate: string): number => plan.bundles.filter(b => b.fate === fate).length
    lines.push(
      `bundles: ${count('delete')} to delete, ${count('protected')} protected, ${count('keep')} kept`
    )
  }
  return lines
}

/** What makes an applied run fail: one message per kind of failure. */
export function resultErrors(result: ApplyResult): string[] {
  const errors: string[] = []
  if (result.fatal) errors.push(result.fatal)
  for (const d of result.failedDevices) errors.push(`Device "${d.deviceId}": ${d.error}`)
  if (result.failedBundles.length > 0) {
    errors.push(
      `${result.failedBundles.length} bundle deletion(s) failed: ` +
        result.failedBundles.map(f => `"${f.version}" (${f.error})`).join('; ')
    )
  }
  if (result.notAttempted.length > 0) {
    errors.push(
      `${result.notAttempted.length} deletion(s) were not attempted after the run stopped.`
    )
  }
  return errors
}

/** At most this many bundle rows go into the report output, to stay far below GitHub's limits. */
const REPORT_BUNDLE_ROWS = 2000

export function buildOutputs(
  outcome: Outcome,
  plan: Plan | undefined,
  extra: { errors: string[]; warnings: string[] }
): Record<string, string> {
  const outputs: Record<string, string> = {
    channel: outcome.channel,
    version: outcome.version,
    previous_version: outcome.previousVersion,
    channel_created: String(outcome.channelCreated),
    channel_changed: String(outcome.channelChanged),
    linked_devices: JSON.stringify(outcome.linkedDevices),
    unlinked_devices: JSON.stringify(outcome.unlinkedDevices),
    deleted_channel: outcome.deletedChannel,
    deleted_bundles: JSON.stringify(outcome.deletedBundles),
    deleted_count: String(outcome.deletedBundles.length),
    kept_count: outcome.keptCount === undefined ? '' : String(outcome.keptCount),
    protected_bundles: JSON.stringify(outcome.protectedBundles),
    failed_bundles: JSON.stringify(outcome.failedBundles),
    dry_run: String(outcome.dryRun)
  }
  const touched = plan?.bundles.filter(d => d.fate !== 'keep') ?? []
  const report = {
    ...outputs,
    linked_devices: outcome.linkedDevices,
    unlinked_devices: outcome.unlinkedDevices,
    deleted_bundles: outcome.deletedBundles,
    deleted_count: outcome.deletedBundles.length,
    kept_count: outcome.keptCount ?? null,
    protected_bundles: outcome.protectedBundles,
    failed_bundles: outcome.failedBundles,
    failed_devices: outcome.failedDevices,
    channel_created: outcome.channelCreated,
    channel_changed: outcome.channelChanged,
    dry_run: outcome.dryRun,
    errors: extra.errors,
    warnings: extra.warnings,
    plan: plan
      ? {
          app_id: plan.appId,
          delete_channel: plan.deleteChannel,
          channel: plan.channel
            ? {
                name: plan.channel.name,
                exists: plan.channel.exists,
                before: plan.channel.before,
                after: plan.channel.after,
                changes: plan.channel.changes
              }
            : null,
          devices: [...plan.unlinks, ...plan.links].map(d => ({
            device_id: d.deviceId,
            action: d.action,
            before: d.before ?? null
          })),
          bundles_read: plan.bundlesRead,
          bundles_total: plan.bundlesRead ? plan.bundles.length : null,
          // Kept bundles are counted, not listed: the list of a big app would be too long.
          bundles: touched.slice(0, REPORT_BUNDLE_ROWS).map(d => ({
            version: d.version,
            created_at: d.createdAt,
            fate: d.fate,
            reason: d.reason
          })),
          bundles_truncated: touched.length > REPORT_BUNDLE_ROWS
        }
      : null
  }
  outputs.report = JSON.stringify(report)
  return outputs
}

/** Rows of the bundle table in the job summary before it says "and N more". */
export const SUMMARY_BUNDLE_ROWS = 50

export function renderSummary(
  settings: Settings,
  plan: Plan | undefined,
  outcome: Outcome,
  extra: { errors: string[]; warnings: string[]; context: RunContext }
): string {
  const lines: string[] = []
  const title = `Capgo release: \`${settings.appId}\`${outcome.dryRun ? ' (dry run: nothing was changed)' : ''}`
  lines.push(`## ${title}`, '')
  if (extra.errors.length > 0) {
    lines.push('> [!CAUTION]', `> The step failed${plan && !settings.dryRun ? '' : ''}:`)
    for (const error of extra.errors) lines.push(`> - ${escapeText(error)}`)
    lines.push('')
  }

  if (plan?.channel) lines.push(...channelSection(plan, outcome))
  if (plan && (plan.links.length > 0 || plan.unlinks.length > 0))
    lines.push(...deviceSection(plan, outcome))
  if (plan?.deleteChannel) {
    const d = plan.deleteChannel
    lines.push(
      `**Deleted channel:** ${d.exists ? `\`${escapeCode(d.name)}\`${outcome.dryRun ? ' (would be deleted)' : outcome.deletedChannel ? '' : ' (not deleted)'}` : `\`${escapeCode(d.name)}\` was already gone`}`,
      ''
    )
  }
  if (plan && plan.bundles.length > 0) lines.push(...bundleSection(plan, outcome))

  if (extra.warnings.length > 0) {
    lines.push('### Warnings', '')
    for (const warning of extra.warnings) lines.push(`- ${escapeText(warning)}`)
    lines.push('')
  }
  const links = contextLinks(extra.context)
  if (links) lines.push(links, '')
  return lines.join('\n')
}

function channelSection(plan: Plan, outcome: Outcome): string[] {
  const ch = plan.channel!
  const before = ch.before
  const after = outcome.channelChanged || outcome.dryRun ? ch.after : (before ?? ch.after)
  const status = !ch.exists
    ? outcome.channelCreated
      ? outcome.dryRun
        ? 'would be created'
        : 'created'
      : 'not created'
    : ch.upsert === null
      ? 'already as asked: unchanged'
      : outcome.channelChanged
        ? outcome.dryRun
          ? 'would change'
          : 'changed'
        : 'not changed'
  const lines = [
    `### Channel \`${escapeCode(ch.name)}\`: ${status}`,
    '',
    '| setting | before | after |',
    '| --- | --- | --- |'
  ]
  const rows: [string, keyof ChannelSnapshot][] = [
    ['bundle', 'version'],
    ['public', 'public'],
    ['disable_auto_update', 'disableAutoUpdate'],
    ['disable_auto_update_under_native', 'disableAutoUpdateUnderNative'],
    ['ios', 'ios'],
    ['android', 'android'],
    ['allow_device_self_set', 'allowDeviceSelfSet'],
    ['allow_emulator', 'allowEmulator'],
    ['allow_dev', 'allowDev']
  ]
  for (const [label, key] of rows) {
    const b = before ? show(before[key]) : '—'
    const a = show(after[key])
    const changed = b !== a
    if (key !== 'version' && !changed) continue
    lines.push(`| ${label} | ${b} | ${changed ? `**${a}**` : a} |`)
  }
  if (ch.versionSource?.kind === 'promote_from') {
    lines.push('', `Promoted from channel \`${escapeCode(ch.versionSource.channel)}\`.`)
  }
  if (
    outcome.previousVersion &&
    outcome.channelChanged &&
    outcome.version !== outcome.previousVersion
  ) {
    lines.push('', `Rollback target: \`${escapeCode(outcome.previousVersion)}\`.`)
  }
  lines.push('')
  return lines
}

function deviceSection(plan: Plan, outcome: Outcome): string[] {
  const lines = ['### Devices', '', '| device | action |', '| --- | --- |']
  const linked = new Set(outcome.linkedDevices)
  const unlinked = new Set(outcome.unlinkedDevices)
  const failed = new Map(outcome.failedDevices.map(d => [d.deviceId, d.error]))
  for (const d of plan.unlinks) {
    const what = failed.has(d.deviceId)
      ? `unlink failed: ${escapeText(failed.get(d.deviceId)!)}`
      : d.action === 'already'
        ? 'had no override'
        : unlinked.has(d.deviceId)
          ? outcome.dryRun
            ? 'would be unlinked'
            : 'unlinked'
          : 'not unlinked'
    lines.push(`| \`${escapeCode(d.deviceId)}\` | ${what} |`)
  }
  for (const d of plan.links) {
    const target = `\`${escapeCode(plan.channel?.name ?? '')}\``
    const what = failed.has(d.deviceId)
      ? `link failed: ${escapeText(failed.get(d.deviceId)!)}`
      : d.action === 'already'
        ? `already linked to ${target}`
        : linked.has(d.deviceId)
          ? `${outcome.dryRun ? 'would be linked' : 'linked'} to ${target}`
          : 'not linked'
    lines.push(`| \`${escapeCode(d.deviceId)}\` | ${what} |`)
  }
  lines.push('')
  return lines
}

function bundleSection(plan: Plan, outcome: Outcome): string[] {
  const failed = new Map(outcome.failedBundles.map(f => [f.version, f.error]))
  const deleted = new Set(outcome.deletedBundles)
  const gone = new Set(outcome.alreadyGone)
  const counts = { delete: 0, keep: 0, protected: 0 }
  for (const d of plan.bundles) counts[d.fate]++
  const lines = [
    '### Bundles',
    '',
    `${outcome.dryRun ? 'Would delete' : 'Deleted'} **${outcome.deletedBundles.length}**` +
      (failed.size > 0 ? `, failed **${failed.size}**` : '') +
      `, protected **${counts.protected}**, kept **${counts.keep}** of ${plan.bundles.length}` +
      (outcome.keptCount === undefined
        ? '.'
        : `: ${outcome.keptCount} ${outcome.dryRun ? 'would be left' : 'left'} after the run.`),
    ''
  ]
  // The rows worth reading first: failures, deletions, protected; kept ones last.
  const weight = (d: BundleDecision): number =>
    failed.has(d.version) ? 0 : d.fate === 'delete' ? 1 : d.fate === 'protected' ? 2 : 3
  const rows = [...plan.bundles].sort((a, b) => weight(a) - weight(b))
  lines.push('| version | uploaded | fate | reason |', '| --- | --- | --- | --- |')
  for (const d of rows.slice(0, SUMMARY_BUNDLE_ROWS)) {
    const fate = failed.has(d.version)
      ? '❌ failed'
      : d.fate === 'delete'
        ? outcome.dryRun
          ? 'would delete'
          : deleted.has(d.version)
            ? '🗑️ deleted'
            : gone.has(d.version)
              ? 'already gone'
              : 'not deleted'
        : d.fate === 'protected'
          ? '🛡️ protected'
          : 'kept'
    const reason = failed.has(d.version) ? `${d.reason}; ${failed.get(d.version)!}` : d.reason
    lines.push(
      `| \`${escapeCode(d.version)}\` | ${d.createdAt.slice(0, 10)} | ${fate} | ${escapeText(reason)} |`
    )
  }
  if (rows.length > SUMMARY_BUNDLE_ROWS) {
    lines.push('', `…and ${rows.length - SUMMARY_BUNDLE_ROWS} more (see the \`report\` output).`)
  }
  lines.push('')
  return lines
}

function contextLinks(context: RunContext): string {
  const { serverUrl, repository, sha, runId } = context
  if (!serverUrl || !repository) return ''
  const parts: string[] = []
  if (sha) parts.push(`commit [\`${sha.slice(0, 7)}\`](${serverUrl}/${repository}/commit/${sha})`)
  if (runId) parts.push(`[run ${runId}](${serverUrl}/${repository}/actions/runs/${runId})`)
  return parts.length > 0 ? `<sub>${parts.join(' · ')}</sub>` : ''
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—'
  return typeof value === 'string' ? `\`${escapeCode(value)}\`` : String(value)
}

function escapeCode(text: string): string {
  return text.replace(/[`|\n]/g, ' ')
}

function escapeText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
