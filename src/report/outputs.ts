// The step outputs and the JSON report. GitHub keeps at most 1 MB per step output and 1 MB for
// all of a job's outputs, so the outputs are cut to fixed budgets far below that (whole items, the
// JSON stays valid, and the report says what was cut); the report file holds everything.

import type { RolloutSnapshot } from '../plan/index.js'
import { clip } from '../text.js'
import { formatShare, type Outcome } from './outcome.js'
import type { ReportInput } from './types.js'

/** The `report` output, at most. */
export const REPORT_OUTPUT_BYTES = 256 * 1024
/** Each JSON list output (`deleted_bundles`, ...), at most. */
export const LIST_OUTPUT_BYTES = 64 * 1024
/** The `error` output, at most. */
export const ERROR_OUTPUT_BYTES = 64 * 1024
/** A server message inside a cut output or report, at most (characters). */
const MESSAGE_CHARS = 1000

/** The outputs that are JSON lists, cut to LIST_OUTPUT_BYTES each. */
export const LIST_OUTPUTS = [
  'linked_devices',
  'unlinked_devices',
  'deleted_bundles',
  'protected_bundles',
  'failed_bundles'
] as const
export type ListOutput = (typeof LIST_OUTPUTS)[number]

/** How much of a cut list was kept. */
export interface Cut {
  shown: number
  total: number
}

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

/** The longest head of `items` whose JSON array fits in `maxBytes`. */
export function headWithin<T>(items: readonly T[], maxBytes: number): T[] {
  let size = 2 // []
  let count = 0
  for (const item of items) {
    const next = bytes(JSON.stringify(item)) + (count > 0 ? 1 : 0)
    if (size + next > maxBytes) break
    size += next
    count++
  }
  return items.slice(0, count)
}

function rolloutJson(rollout: RolloutSnapshot | null | undefined): object | null {
  if (!rollout) return null
  return {
    version: rollout.version,
    version_id: rollout.versionId,
    percentage: rollout.percentage,
    enabled: rollout.enabled,
    paused: rollout.paused,
    pause_reason: rollout.pauseReason
  }
}

/** The whole report: every output's value as JSON, the plan, and why the run failed. */
export function reportObject(
  outcome: Outcome,
  input: ReportInput,
  cutOutputs: ListOutputs['cut']
): Record<string, unknown> {
  const { plan } = input
  const ch = plan?.channel ?? null
  const touched = plan?.bundles.filter(d => d.fate !== 'keep') ?? []
  return {
    app_id: input.appId,
    dry_run: input.dryRun,
    failed_phase: input.failedPhase ?? null,
    errors: input.errors,
    warnings: input.warnings,
    channel: outcome.channel,
    version: outcome.version,
    previous_version: outcome.previousVersion,
    channel_created: outcome.channelCreated,
    channel_changed: outcome.channelChanged,
    channel_verified: outcome.channelVerified,
    rollout_version: outcome.rollout?.version ?? '',
    rollout_percentage: outcome.rollout ? outcome.rollout.percentage : null,
    rollout_paused: outcome.rollout?.paused ?? false,
    rollout: ch?.rollout
      ? {
          action: ch.rollout.action,
          before: rolloutJson(ch.before?.rollout),
          after: rolloutJson(outcome.channelAfter?.rollout),
          next_step: ch.rollout.nextStep,
          replaced: ch.rollout.replaced
        }
      : null,
    linked_devices: outcome.linkedDevices,
    unlinked_devices: outcome.unlinkedDevices,
    failed_devices: outcome.failedDevices.map(d => ({ device_id: d.deviceId, error: d.error })),
    deleted_channel: outcome.deletedChannel,
    deleted_bundles: outcome.deletedBundles,
    deleted_count: outcome.deletedBundles.length,
    already_gone: outcome.alreadyGone,
    not_attempted: outcome.notAttempted,
    kept_count: outcome.keptCount ?? null,
    protected_bundles: outcome.protectedBundles,
    failed_bundles: outcome.failedBundles,
    deployment_id: input.deploymentId ?? null,
    compatibility: ch?.compatibility
      ? {
          verdict: ch.compatibility.verdict,
          mode: ch.compatibility.mode,
          candidate: ch.compatibility.candidate,
          current: ch.compatibility.current,
          blocked: ch.compatibility.blocks,
          reason: ch.compatibility.reason ?? null,
          plugins: ch.compatibility.plugins
        }
      : null,
    rollout_ended_by_capgo: ch?.endsRollout
      ? {
          rollout: rolloutJson(ch.endsRollout),
          kept_by_this_capgo: input.result?.rolloutKept ?? null
        }
      : null,
    report_file: input.reportFile ?? '',
    plan: plan
      ? {
          app_id: plan.appId,
          delete_channel: plan.deleteChannel,
          channel: ch
            ? {
                name: ch.name,
                exists: ch.exists,
                before: ch.before,
                after: ch.after,
                changes: ch.changes,
                write: ch.write?.kind ?? null,
                platforms: ch.platforms,
                version_source: ch.versionSource ?? null,
                target: ch.target,
                metadata: ch.metadata
                  ? { link: ch.metadata.link ?? null, comment: ch.metadata.comment ?? null }
                  : null
              }
            : null,
          devices: [...plan.unlinks, ...plan.links].map(d => ({
            device_id: d.deviceId,
            action: d.action,
            before: d.before ?? null
          })),
          bundles_read: plan.bundlesRead,
          bundles_total: plan.bundlesRead ? plan.bundles.length : null,
          would_delete_count: plan.wouldDelete.length,
          // Kept bundles are counted, not listed: the list of a big app would be too long.
          bundles: touched.map(d => ({
            version: d.version,
            created_at: d.createdAt,
            fate: d.fate,
            reason: d.reason,
            ...(d.source ? { source: d.source } : {})
          })),
          errors: plan.errors
        }
      : null,
    // The list outputs cut to stay under GitHub's limit (this report has them whole).
    truncated_outputs: cutOutputs,
    truncated: false
  }
}

/**
 * Budgets of the cut report, in bytes, by list. Their sum (216 KiB) leaves 40 KiB under
 * REPORT_OUTPUT_BYTES for the single values, whose server texts are clipped.
 */
const REPORT_LIST_BUDGETS: Record<string, number> = {
  'plan.bundles': 64 * 1024,
  deleted_bundles: 32 * 1024,
  protected_bundles: 24 * 1024,
  failed_bundles: 24 * 1024,
  linked_devices: 8 * 1024,
  unlinked_devices: 8 * 1024,
  failed_devices: 8 * 1024,
  already_gone: 8 * 1024,
  not_attempted: 8 * 1024,
  'plan.devices': 8 * 1024,
  errors: 12 * 1024,
  warnings: 12 * 1024
}

/**
 * Fields and lists whose strings are names (a bundle, a channel, a device, the app, the file):
 * never clipped, since a clipped name names nothing that exists (a script would act on it). A
 * list whose budget cannot hold a name whole is cut before it, and says so in truncated_lists.
 */
const NAME_FIELDS = new Set([
  'app_id',
  'channel',
  'name',
  'version',
  'previous_version',
  'rollout_version',
  'deleted_channel',
  'device_id',
  'before',
  'replaced',
  'report_file',
  'linked_devices',
  'unlinked_devices',
  'deleted_bundles',
  'already_gone',
  'not_attempted',
  'protected_bundles'
])

/** Clips the strings that are texts (messages, reasons, pause reasons); names are kept whole. */
function clipStrings(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    return key !== undefined && NAME_FIELDS.has(key) ? value : clip(value, MESSAGE_CHARS)
  }
  if (Array.isArray(value)) return value.map(item => clipStrings(item, key))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v, k)]))
  }
  return value
}

/**
 * The report as the `report` output: the whole report when it fits in REPORT_OUTPUT_BYTES;
 * otherwise each list cut to its budget (whole items), long texts clipped, `truncated: true`
 * and `truncated_lists` saying what was cut. Never more than REPORT_OUTPUT_BYTES.
 */
export function reportOutput(full: Record<string, unknown>, fullJson: string): string {
  if (bytes(fullJson) <= REPORT_OUTPUT_BYTES) return fullJson
  const cut = clipStrings(full) as Record<string, unknown>
  const plan = cut.plan as Record<string, unknown> | null
  const truncatedLists: Record<string, Cut> = {}
  for (const [path, budget] of Object.entries(REPORT_LIST_BUDGETS)) {
    const [holder, key] = path.startsWith('plan.') ? [plan, path.slice(5)] : [cut, path]
    const list = holder?.[key]
    if (!holder || !Array.isArray(list)) continue
    const head = headWithin(list, budget)
    if (head.length < list.length) {
      holder[key] = head
      truncatedLists[path] = { shown: head.length, total: list.length }
    }
  }
  cut.truncated = true
  cut.truncated_lists = truncatedLists
  const json = JSON.stringify(cut)
  if (bytes(json) <= REPORT_OUTPUT_BYTES) return json
  // Only single values too big to matter for a script can get here: keep the counts.
  return JSON.stringify({
    app_id: clip(String(full.app_id), MESSAGE_CHARS),
    dry_run: full.dry_run,
    failed_phase: full.failed_phase,
    deleted_count: full.deleted_count,
    kept_count: full.kept_count,
    truncated: true,
    truncated_lists: Object.fromEntries(
      Object.keys(REPORT_LIST_BUDGETS).map(path => [path, { shown: 0, total: null }])
    ),
    report_file: clip(String(full.report_file), MESSAGE_CHARS)
  })
}

export interface ListOutputs {
  json: Record<ListOutput, string>
  /** The list outputs that were cut, and how much of each was kept. */
  cut: Partial<Record<ListOutput, Cut>>
}

/** The JSON list outputs, each cut to LIST_OUTPUT_BYTES. */
export function listOutputs(outcome: Outcome): ListOutputs {
  const lists: Record<ListOutput, readonly unknown[]> = {
    linked_devices: outcome.linkedDevices,
    unlinked_devices: outcome.unlinkedDevices,
    deleted_bundles: outcome.deletedBundles,
    protected_bundles: outcome.protectedBundles,
    failed_bundles: outcome.failedBundles.map(f => ({
      version: f.version,
      error: clip(f.error, MESSAGE_CHARS)
    }))
  }
  const result: ListOutputs = { json: {} as Record<ListOutput, string>, cut: {} }
  for (const name of LIST_OUTPUTS) {
    const head = headWithin(lists[name], LIST_OUTPUT_BYTES)
    result.json[name] = JSON.stringify(head)
    if (head.length < lists[name].length) {
      result.cut[name] = { shown: head.length, total: lists[name].length }
    }
  }
  return result
}

/** Every output of action.yml, always. */
export function buildOutputs(
  outcome: Outcome,
  input: ReportInput,
  lists: ListOutputs,
  report: string
): Record<string, string> {
  const error = input.errors.join('\n')
  return {
    channel: outcome.channel,
    version: outcome.version,
    previous_version: outcome.previousVersion,
    channel_created: String(outcome.channelCreated),
    channel_changed: String(outcome.channelChanged),
    rollout_version: outcome.rollout?.version ?? '',
    rollout_percentage: outcome.rollout ? formatShare(outcome.rollout.percentage) : '',
    rollout_paused: String(outcome.rollout?.paused ?? false),
    ...lists.json,
    deleted_channel: outcome.deletedChannel,
    deleted_count: String(outcome.deletedBundles.length),
    kept_count: outcome.keptCount === undefined ? '' : String(outcome.keptCount),
    deployment_id: input.deploymentId === undefined ? '' : String(input.deploymentId),
    compatibility: input.plan?.channel?.compatibility?.verdict ?? '',
    dry_run: String(outcome.dryRun),
    error:
      bytes(error) <= ERROR_OUTPUT_BYTES
        ? error
        : `${clipBytes(error, ERROR_OUTPUT_BYTES - 200)}\n(cut to stay under GitHub's limit for outputs; the report file has every error)`,
    report,
    report_file: input.reportFile ?? ''
  }
}

/** The longest head of `text` within `maxBytes` of UTF-8, cut at a character. */
function clipBytes(text: string, maxBytes: number): string {
  let end = Math.min(text.length, maxBytes)
  while (end > 0 && bytes(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9)
  return `${text.slice(0, end)}…`
}
