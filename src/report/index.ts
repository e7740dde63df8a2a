// What the run did (or, in a dry run, would do): the step outputs, the JSON report and the job
// summary. Pure: it turns what the run knows when it ends into strings; main.ts hands them to
// @actions/core. It works however far the run got, also on bad input (docs/contract.md "Every run
// reports").

import { annotationWarnings, resultLines } from './log.js'
import { outcomeOf } from './outcome.js'
import { buildOutputs, listOutputs, reportObject, reportOutput } from './outputs.js'
import { renderSummary } from './summary.js'
import type { Report, ReportInput } from './types.js'

export {
  annotationWarnings,
  dryRunBanner,
  githubLines,
  groupWarnings,
  planLines,
  resultErrors,
  resultLines
} from './log.js'
export { outcomeOf, type Outcome } from './outcome.js'
export { LIST_OUTPUT_BYTES, LIST_OUTPUTS, REPORT_OUTPUT_BYTES, type ListOutput } from './outputs.js'
export { SUMMARY_DELETION_ROWS, SUMMARY_PROTECTED_ROWS } from './bundles.js'
export { messageMarkdown } from './markdown.js'
export { SUMMARY_LIMIT_BYTES, shareBar } from './summary.js'
export type { FailedPhase, Report, ReportInput, RunContext } from './types.js'

export function buildReport(input: ReportInput): Report {
  const outcome = outcomeOf(input)
  const lists = listOutputs(outcome)
  const full = reportObject(outcome, input, lists.cut)
  const fullReport = JSON.stringify(full)
  const outputs = buildOutputs(outcome, input, lists, reportOutput(full, fullReport))
  const summary = renderSummary(input, outcome, { cutOutputs: lists.cut })
  return {
    outputs,
    summary,
    fullReport,
    annotations: annotationWarnings(input.warnings),
    log: resultLines(outcome)
  }
}
