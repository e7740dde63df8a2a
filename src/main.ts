import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { applyPlan, type ApplyResult } from './apply.js'
import type { CapgoApi } from './capgo/api.js'
import { HttpCapgoApi } from './capgo/client.js'
import type { Channel } from './capgo/types.js'
import type { GitHubApi } from './github/api.js'
import { OctokitGitHubApi } from './github/client.js'
import { readInventory } from './inventory.js'
import { makePlan } from './plan/index.js'
import type { Inventory, Plan, WorkflowRun } from './plan/types.js'
import { tellGitHub, type GitHubEvent } from './publish.js'
import { stepError } from './roles.js'
import {
  buildReport,
  dryRunBanner,
  githubLines,
  planLines,
  resultErrors,
  type FailedPhase,
  type RunContext
} from './report/index.js'
import { parseBoolean, readSettings, SettingsError, type Settings } from './settings/index.js'
import { logSafe } from './text.js'

export interface RunDependencies {
  /** Replaces the HTTP client (tests). */
  api?: CapgoApi
  /** Replaces the GitHub client (tests). */
  github?: GitHubApi
  now?: () => number
}

export const DRY_RUN_BANNER = dryRunBanner()

/** How often the channels are read again before writing when someone else keeps changing them. */
const MAX_REPLANS = 2

/** A failure of one phase: what the report says failed. */
class PhaseFailure extends Error {
  constructor(
    readonly phase: FailedPhase,
    message: string
  ) {
    super(message)
  }
}

/** settings -> read -> plan -> apply -> verify -> tell GitHub -> report. Every run reports. */
export async function run(deps: RunDependencies = {}): Promise<void> {
  // Mask the secrets before anything can print them, even before they are validated.
  for (const name of ['api_key', 'github_token']) {
    const raw = core.getInput(name)
    if (raw) core.setSecret(raw)
    if (raw.trim() && raw.trim() !== raw) core.setSecret(raw.trim())
  }
  const context = runContext()
  // Read raw, before (and whatever) the settings say: a run refused on bad input still reports
  // its app and whether it was meant as a dry run, and a dry run says so from its first line.
  const given = {
    appId: core.getInput('app_id').trim(),
    dryRun: parseBoolean(core.getInput('dry_run').trim()) ?? false
  }
  if (given.dryRun) core.info(DRY_RUN_BANNER)

  let settings: Settings | undefined
  let plan: Plan | undefined
  let result: ApplyResult | undefined
  let failure: PhaseFailure | undefined
  const warnings: string[] = []
  let deploymentId: number | undefined
  let ownClient: HttpCapgoApi | undefined

  try {
    try {
      settings = readSettings(name => core.getInput(name), {
        variableNames: Object.keys(process.env)
      })
    } catch (error) {
      throw new PhaseFailure('input', messageOf(error))
    }
    const s = settings
    ownClient = deps.api === undefined ? newCapgoClient(s) : undefined
    const api = deps.api ?? ownClient!
    const github = deps.github ?? newGitHubClient(s)

    const read = await core.group('Read channels and bundles from Capgo', async () => {
      try {
        const r = await readInventory(api, s, github, workflowRun(context))
        const inv = r.inventory
        core.info(
          `${inv.channels.length} channels` +
            (inv.bundles ? `, ${inv.bundles.length} bundles` : '') +
            (s.devices.length + s.unlinkDevices.length > 0
              ? `, ${s.devices.length + s.unlinkDevices.length} devices`
              : '')
        )
        return r
      } catch (error) {
        // A key that may not even read the app: say which role reading needs.
        throw new PhaseFailure('read', stepError('read', s.appId, error))
      }
    })
    warnings.push(...read.warnings)
    const inventory = read.inventory

    plan = await core.group('Plan', async () => {
      const p = makePlan(s, inventory, (deps.now ?? Date.now)())
      for (const line of planLines(p)) core.info(line)
      return p
    })
    if (plan.errors.length > 0) throw new PhaseFailure('plan', plan.errors.join('\n'))
    if (!s.dryRun) {
      const applied = await applyAndPublish(api, github, s, inventory, plan, deps, context)
      plan = applied.plan
      result = applied.result
      deploymentId = applied.deploymentId
      warnings.push(...applied.warnings)
      if (applied.failure) throw applied.failure
    }
  } catch (error) {
    failure = error instanceof PhaseFailure ? error : new PhaseFailure('read', messageOf(error))
  } finally {
    ownClient?.dispose()
  }

  const errors = failure ? failure.message.split('\n') : []
  report({
    appId: settings?.appId ?? given.appId,
    dryRun: settings?.dryRun ?? given.dryRun,
    ...(settings ? { settings } : {}),
    ...(plan ? { plan } : {}),
    ...(result ? { result } : {}),
    errors,
    warnings: [...(plan?.warnings ?? []), ...(result?.warnings ?? []), ...warnings],
    context,
    ...(failure ? { failedPhase: failure.phase } : {}),
    ...(deploymentId !== undefined ? { deploymentId } : {})
  })
  if (failure) core.setFailed(errors.map(logSafe).join('\n'))
  if (settings?.dryRun ?? given.dryRun) core.info(DRY_RUN_BANNER)
}

interface Applied {
  plan: Plan
  result?: ApplyResult
  deploymentId?: number
  warnings: string[]
  failure?: PhaseFailure
}

/** Re-check the channels, apply, read back, tell GitHub. A failure is returned with what was done. */
async function applyAndPublish(
  api: CapgoApi,
  github: GitHubApi | undefined,
  s: Settings,
  read: Inventory,
  planned: Plan,
  deps: RunDependencies,
  context: RunContext
): Promise<Applied> {
  const warnings: string[] = []
  let inventory = read
  let plan = planned
  let result: ApplyResult | undefined
  let deploymentId: number | undefined
  try {
    // Someone else may have moved a channel while the bundle pages were read: plan again with
    // what is there now, so that the bundle actually replaced is the one protected and reported.
    for (let replans = 0; writesSomething(plan) && replans < MAX_REPLANS; replans++) {
      const fresh = await api.listChannels(s.appId)
      const moved = movedChannels(inventory.channels, fresh)
      if (moved.length === 0) break
      warnings.push(
        `Channel(s) ${moved.map(name => `"${name}"`).join(', ')} changed while this run was ` +
          'reading; the plan was made again with what is there now.'
      )
      inventory = { ...inventory, channels: fresh }
      const again = makePlan(s, inventory, (deps.now ?? Date.now)())
      for (const line of planLines(again)) core.info(line)
      plan = again
      if (again.errors.length > 0) throw new PhaseFailure('plan', again.errors.join('\n'))
    }

    const p = plan
    result = await core.group('Apply', () =>
      applyPlan(api, p, { concurrency: s.concurrency, log: message => core.info(logSafe(message)) })
    )
    const applyErrors = resultErrors(result)

    if (!github && (s.github.deployment || s.github.prComment)) {
      warnings.push(
        'github_deployment / pr_comment: GitHub was not told: GITHUB_REPOSITORY is not set ' +
          '(outside a workflow run).'
      )
    }
    if (github && (s.github.deployment || s.github.prComment)) {
      const applied = result
      const published = await core.group('Tell GitHub', async () => {
        const told = await tellGitHub(github, s, p, applied, githubEvent(context))
        for (const line of githubLines(told, {
          deployment: s.github.deployment,
          prComment: s.github.prComment
        })) {
          core.info(logSafe(line))
        }
        return told
      })
      deploymentId = published.deploymentId
      warnings.push(...published.warnings)
      for (const notice of published.notices) core.notice(notice)
    }
    if (applyErrors.length > 0) {
      throw new PhaseFailure(
        result.verifyFailed === true ? 'verify' : 'apply',
        applyErrors.join('\n')
      )
    }
  } catch (error) {
    const failure =
      error instanceof PhaseFailure ? error : new PhaseFailure('apply', messageOf(error))
    // A failed run may still have recorded its release (a deployment with a failure status).
    return {
      plan,
      ...(result ? { result } : {}),
      ...(deploymentId !== undefined ? { deploymentId } : {}),
      warnings,
      failure
    }
  }
  return {
    plan,
    ...(result ? { result } : {}),
    ...(deploymentId !== undefined ? { deploymentId } : {}),
    warnings
  }
}

type ReportArgs = Parameters<typeof buildReport>[0]

/** Outputs, the report file and the job summary; a failure to write one hides none of the others. */
function report(input: ReportArgs): void {
  const reportFile = path.join(
    process.env.RUNNER_TEMP || tmpdir(),
    `capgo-release-report-${process.env.GITHUB_RUN_ID ?? 'local'}-${randomBytes(4).toString('hex')}.json`
  )
  let built = buildReport({ ...input, reportFile })
  try {
    writeFileSync(reportFile, built.fullReport)
  } catch (error) {
    core.warning(`Could not write the report file: ${logSafe(messageOf(error))}`)
    built = buildReport(input)
  }
  for (const warning of built.annotations) core.warning(logSafe(warning))
  for (const [name, value] of Object.entries(built.outputs)) core.setOutput(name, value)
  if (built.log.length > 0) {
    // Every deleted, failed or not attempted version, named in the log too: the report file is
    // gone when the job ends.
    core.startGroup('Result')
    for (const line of built.log) core.info(logSafe(line))
    core.endGroup()
  }
  const summaryFile = process.env.GITHUB_STEP_SUMMARY
  if (summaryFile) {
    // Appended as core.summary.write() does, but to the file named now (core caches the path).
    try {
      appendFileSync(summaryFile, `${built.summary}\n`)
    } catch (error) {
      core.warning(`Could not write the job summary: ${logSafe(messageOf(error))}`)
    }
  } else {
    core.info(built.summary)
  }
}

function newCapgoClient(settings: Settings): HttpCapgoApi {
  return new HttpCapgoApi({
    baseUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    retries: settings.retries,
    timeoutMs: settings.timeoutMs,
    listConcurrency: settings.concurrency,
    onRetry: event =>
      core.info(
        logSafe(
          `Retrying ${event.route} in ${(event.waitMs / 1000).toFixed(1)} s (attempt ` +
            `${event.attempt} failed: ${event.reason})`
        )
      )
  })
}

/** A GitHub client when the run uses GitHub and has a token and a repository. */
function newGitHubClient(settings: Settings): GitHubApi | undefined {
  const wanted =
    settings.github.deployment ||
    settings.github.prComment ||
    settings.rollback ||
    settings.cleanupKeepReleases !== undefined
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/')
  if (!wanted || settings.github.token === '' || !owner || !repo) return undefined
  return new OctokitGitHubApi({
    token: settings.github.token,
    owner,
    repo,
    // The `retries` input applies to GitHub's 5xx, timeouts and dropped connections too.
    retries: settings.retries,
    timeoutMs: settings.timeoutMs
  })
}

function writesSomething(plan: Plan): boolean {
  return plan.channel?.write != null || plan.deletions.length > 0
}

/** The channels whose bundle or rollout differ between two reads, or that appeared or went. */
export function movedChannels(before: readonly Channel[], after: readonly Channel[]): string[] {
  const key = (c: Channel): string =>
    JSON.stringify([
      c.id,
      c.version,
      c.rollout_version,
      c.rolloutPercentageBps ?? null,
      c.rolloutEnabled ?? null,
      c.rolloutPausedAt ?? null
    ])
  const old = new Map(before.map(c => [c.name, key(c)]))
  const now = new Map(after.map(c => [c.name, key(c)]))
  const names = new Set([...old.keys(), ...now.keys()])
  return [...names].filter(name => old.get(name) !== now.get(name)).sort()
}

/** This workflow run and its attempt (a re-run is attempt 2 or more), when the runner says. */
function workflowRun(context: RunContext): WorkflowRun | undefined {
  if (context.runId === undefined) return undefined
  const attempt = Number(process.env.GITHUB_RUN_ATTEMPT ?? '1')
  return { id: context.runId, attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1 }
}

function runContext(): RunContext {
  const context: RunContext = {}
  if (process.env.GITHUB_SERVER_URL) context.serverUrl = process.env.GITHUB_SERVER_URL
  if (process.env.GITHUB_REPOSITORY) context.repository = process.env.GITHUB_REPOSITORY
  if (process.env.GITHUB_SHA) context.sha = process.env.GITHUB_SHA
  if (process.env.GITHUB_RUN_ID) context.runId = process.env.GITHUB_RUN_ID
  return context
}

function githubEvent(context: RunContext): GitHubEvent {
  const name = process.env.GITHUB_EVENT_NAME ?? ''
  const event: GitHubEvent = {
    name,
    sha: process.env.GITHUB_SHA ?? '',
    ref: process.env.GITHUB_REF ?? '',
    runUrl:
      context.serverUrl && context.repository && context.runId
        ? `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}`
        : ''
  }
  const run = workflowRun(context)
  if (run !== undefined) {
    event.runId = run.id
    event.runAttempt = run.attempt
  }
  // Only `pull_request`: a `pull_request_target` run holds secrets while it may build a fork's
  // code, so the comment (like the contract says) is skipped there, with a notice.
  if (name === 'pull_request') {
    try {
      const payload = JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH ?? '', 'utf8')) as {
        pull_request?: { number?: unknown }
        number?: unknown
      }
      const number = payload.pull_request?.number ?? payload.number
      if (typeof number === 'number') event.pullRequest = number
    } catch {
      // No readable event: the comment is skipped with a notice.
    }
  }
  return event
}

function messageOf(error: unknown): string {
  if (error instanceof SettingsError) return error.message
  return error instanceof Error ? error.message : String(error)
}

export type { Inventory }
