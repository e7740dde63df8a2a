// The bundles of the job summary: every bundle the run touched with its fate and reason. Protected
// bundles and failures are table rows; deletions too when they are few, else every one is named in
// a `<details>` list, compact enough for tens of thousands, within what GitHub's 1 MiB leaves.

import type { BundleDecision, Plan } from '../plan/index.js'
import { mdCode, plural } from '../text.js'
import type { Outcome } from './outcome.js'
import type { Cut, ListOutput } from './outputs.js'
import { bytes, cell, cellCode, text } from './markdown.js'

/** Up to this many deletions are table rows (with date and reason); more are listed in `<details>`. */
export const SUMMARY_DELETION_ROWS = 50
/** Protected rows (and failed rows) of the table, at most; the others are listed in `<details>`. */
export const SUMMARY_PROTECTED_ROWS = 500

/** The upload date when `createdAt` is a date; otherwise the text as the server sent it, escaped. */
export function uploadedCell(createdAt: string): string {
  const date = /^(\d{4}-\d{2}-\d{2})(?:[T ]|$)/.exec(createdAt)
  if (date && !Number.isNaN(Date.parse(createdAt))) return date[1]!
  return cell(createdAt)
}

/** What is left of the summary's bytes; a list takes what fits and counts the rest. */
export class Budget {
  constructor(public left: number) {}
  /** Takes `lines` (joined by newlines, as the summary is) when they fit. */
  take(lines: readonly string[]): boolean {
    const size = bytes(lines.join('\n')) + 1
    if (size > this.left) return false
    this.left -= size
    return true
  }
  spend(lines: readonly string[]): void {
    this.left -= bytes(lines.join('\n')) + 1
  }
}

/** The reason of every explicit deletion (src/plan/bundles.ts words it so too). */
const EXPLICIT_REASON = 'listed in delete_versions'

/** Room kept for a list's cut notice and its closing lines. */
const CUT_NOTICE_BYTES = 600

/** A bundle the run touched, with its fate and reason as the summary shows them. */
interface Row {
  d: BundleDecision
  fate: string
  reason: string
}

/**
 * The reason of a decision as a reader needs it: an explicit deletion was named in
 * `delete_versions`, whatever rank a cleanup in the same run would have given it.
 */
function reasonOf(d: BundleDecision): string {
  return d.fate === 'delete' && d.source === 'delete_versions' ? EXPLICIT_REASON : d.reason
}

/**
 * A list of versions folded in `<details>`: the versions of each reason, as comma-separated code
 * spans (compact, so that tens of thousands fit), taking what `budget` allows; the versions that
 * do not fit are counted in a cut notice that says where they all are.
 */
function foldedList(
  title: string,
  rows: readonly Row[],
  budget: Budget,
  whereAll: string
): string[] {
  const groups = new Map<string, string[]>()
  for (const row of rows) {
    const names = groups.get(row.reason)
    if (names) names.push(row.d.version)
    else groups.set(row.reason, [row.d.version])
  }
  const lines = [`<details><summary>${title}</summary>`, '']
  let room = budget.left - CUT_NOTICE_BYTES - bytes(lines.join('\n'))
  let named = 0
  for (const [reason, names] of groups) {
    const label = `${text(reason)} (${names.length}):`
    room -= bytes(label) + 3
    if (room <= 0) break
    const shown: string[] = []
    for (const name of names) {
      // Names are never clipped: a clipped name names nothing.
      const span = mdCode(name)
      const size = bytes(span) + 2
      if (size > room) break
      shown.push(span)
      room -= size
    }
    if (shown.length === 0) break
    lines.push(label, shown.join(', '), '')
    named += shown.length
    if (shown.length < names.length) break
  }
  if (named < rows.length) {
    lines.push(
      `…and **${rows.length - named}** more not named here: GitHub shows at most 1 MiB of job ` +
        `summary per step. ${whereAll}`,
      ''
    )
  }
  lines.push('</details>', '')
  budget.spend(lines)
  return lines
}

export function bundleSection(
  plan: Plan,
  outcome: Outcome,
  cutOutputs: Partial<Record<ListOutput, Cut>>,
  budget: Budget
): string[] {
  const failed = new Map(outcome.failedBundles.map(f => [f.version, f.error]))
  const deleted = new Set(outcome.deletedBundles)
  const gone = new Set(outcome.alreadyGone)
  const notAttempted = new Set(outcome.notAttempted)
  const would = outcome.dryRun
  const protectedRows: Row[] = []
  const failedRows: Row[] = []
  const deletionRows: Row[] = []
  let kept = 0
  for (const d of plan.bundles) {
    if (failed.has(d.version)) {
      failedRows.push({ d, fate: '❌ failed', reason: `${reasonOf(d)}; ${failed.get(d.version)!}` })
    } else if (d.fate === 'protected') {
      protectedRows.push({ d, fate: '🛡️ protected', reason: d.reason })
    } else if (d.fate === 'delete') {
      const fate = would
        ? 'would delete'
        : deleted.has(d.version)
          ? '🗑️ deleted'
          : gone.has(d.version)
            ? 'already gone'
            : notAttempted.has(d.version)
              ? 'not attempted'
              : 'not deleted'
      deletionRows.push({ d, fate, reason: reasonOf(d) })
    } else {
      kept++
    }
  }
  const lines = [
    '### Bundles',
    '',
    `${would ? 'Would delete' : 'Deleted'} **${outcome.deletedBundles.length}**` +
      (failed.size > 0 ? `, failed **${failed.size}**` : '') +
      `, protected **${protectedRows.length}**, kept **${kept}** of ${plan.bundles.length}` +
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
  budget.spend(lines)

  // The table: protected bundles first (always shown), then failures, then a few deletions.
  const row = (r: Row): string =>
    `| ${cellCode(r.d.version)} | ${uploadedCell(r.d.createdAt)} | ${r.fate} | ${cell(r.reason)} |`
  const table = ['| version | uploaded | fate | reason |', '| --- | --- | --- | --- |']
  const tableBudget = new Budget(budget.left - 3 * CUT_NOTICE_BYTES)
  tableBudget.spend(table)
  const fill = (rows: readonly Row[], max: number): Row[] => {
    let count = 0
    for (const r of rows.slice(0, max)) {
      const line = row(r)
      if (!tableBudget.take([line])) break
      table.push(line)
      count++
    }
    return rows.slice(count)
  }
  const moreProtected = fill(protectedRows, SUMMARY_PROTECTED_ROWS)
  const moreFailed = fill(failedRows, SUMMARY_PROTECTED_ROWS)
  const folded = deletionRows.length > SUMMARY_DELETION_ROWS
  const moreDeletions = folded ? deletionRows : fill(deletionRows, SUMMARY_DELETION_ROWS)
  if (table.length > 2) {
    table.push('')
    lines.push(...table)
    budget.spend(table)
  }

  // Every other bundle the run touched is named, folded: the report file is gone when the job
  // ends (docs/contract.md, "One run", step 7). Failures first, then deletions, then the rest of the protected.
  const outputs = (name: ListOutput, what: string): string =>
    cutOutputs[name] === undefined
      ? `The \`${name}\` output names them all.`
      : `The step's log names ${what} (group "Plan").`
  if (moreFailed.length > 0) {
    lines.push(
      ...foldedList(
        `❌ ${plural(moreFailed.length, 'more failed deletion')}`,
        moreFailed,
        budget,
        outputs('failed_bundles', 'every planned deletion')
      )
    )
  }
  const byFate = new Map<string, Row[]>()
  for (const r of moreDeletions) {
    const rows = byFate.get(r.fate)
    if (rows) rows.push(r)
    else byFate.set(r.fate, [r])
  }
  const FOLDED_TITLES: Record<string, (n: number) => string> = {
    'would delete': n => `Would delete ${plural(n, 'bundle')}`,
    '🗑️ deleted': n => `🗑️ Deleted ${plural(n, 'bundle')}`,
    'already gone': n => `${plural(n, 'bundle')} already gone (deleted by someone else)`,
    'not attempted': n =>
      `${plural(n, 'deletion was', 'deletions were')} not attempted (the run stopped)`,
    'not deleted': n => `${plural(n, 'planned deletion')} not made`
  }
  for (const [fate, rows] of byFate) {
    lines.push(
      ...foldedList(
        // Rows the table had no room for follow it as "the rest".
        `${folded ? '' : 'The rest: '}${FOLDED_TITLES[fate]!(rows.length)}`,
        rows,
        budget,
        fate === '🗑️ deleted' || fate === 'would delete'
          ? outputs('deleted_bundles', 'every planned deletion')
          : `The step's log names every planned deletion (group "Plan").`
      )
    )
  }
  if (moreProtected.length > 0) {
    lines.push(
      ...foldedList(
        `🛡️ ${plural(moreProtected.length, 'more protected bundle')}`,
        moreProtected,
        budget,
        outputs('protected_bundles', 'every protected bundle')
      )
    )
  }
  if (kept > 0) lines.push(`${plural(kept, 'bundle')} kept (not listed).`, '')
  return lines
}
