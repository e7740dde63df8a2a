// What the report is made from: everything the run knows when it ends, however far it got.

import type { ApplyResult } from '../apply.js'
import type { Plan } from '../plan/index.js'
import type { Settings } from '../settings/index.js'

/** Where the run happened, for the links at the foot of the job summary. */
export interface RunContext {
  serverUrl?: string
  repository?: string
  sha?: string
  runId?: string
}

/** The phase a failing run stopped in. */
export type FailedPhase = 'input' | 'read' | 'plan' | 'apply' | 'verify'

export interface ReportInput {
  /** As given: may be invalid or empty when the inputs were bad. */
  appId: string
  /** As given: false when it could not be read. */
  dryRun: boolean
  /** Undefined when the inputs were bad. */
  settings?: Settings
  /** Undefined when the run failed before planning. */
  plan?: Plan
  /** Undefined for a dry run, or a run that failed before applying. */
  result?: ApplyResult
  errors: string[]
  warnings: string[]
  context: RunContext
  failedPhase?: FailedPhase
  /** The GitHub deployment recorded for this run's release. */
  deploymentId?: number
  /** Path of the file holding the whole report, when it was written. */
  reportFile?: string
}

export interface Report {
  /** Every output of action.yml, always. */
  outputs: Record<string, string>
  /** The job summary (markdown). */
  summary: string
  /** The whole report as JSON, never cut (main writes it to `report_file`). */
  fullReport: string
  /**
   * The warnings as annotations (`core.warning`): the input's warnings, those of release
   * protection made one that names every channel without a recorded release.
   */
  annotations: string[]
  /** What the run did to the bundles, every version named, for a log group at the end of the run. */
  log: string[]
}
