import * as core from '@actions/core'
import { applyPlan, type ApplyResult } from './apply.js'
import type { CapgoApi } from './capgo/api.js'
import { HttpCapgoApi } from './capgo/client.js'
import { readInventory } from './inventory.js'
import { makePlan, type Plan } from './plan/index.js'
import {
  buildOutputs,
  outcomeOf,
  planLines,
  renderSummary,
  resultErrors,
  type RunContext
} from './report.js'
import { readSettings, type Settings } from './settings.js'

export interface RunDependencies {
  /** Replaces the HTTP client (tests). */
  api?: CapgoApi
  now?: () => number
}

/** settings -> read -> plan -> apply -> report. Every failure ends in core.setFailed. */
export async function run(deps: RunDependencies = {}): Promise<void> {
  // Mask the key before anything can print it, even before it is validated.
  const rawKey = core.getInput('api_key')
  if (rawKey) core.setSecret(rawKey)
  if (rawKey.trim() && rawKey.trim() !== rawKey) core.setSecret(rawKey.trim())

  let settings: Settings
  try {
    settings = readSettings(name => core.getInput(name))
  } catch (error) {
    core.setFailed(messageOf(error))
    return
  }

  const ownClient =
    deps.api === undefined
      ? new HttpCapgoApi({
          baseUrl: settings.apiUrl,
          apiKey: settings.apiKey,
          retries: settings.retries,
          timeoutMs: settings.timeoutMs,
          listConcurrency: settings.concurrency,
          onRetry: event =>
            core.info(
              `Retrying ${event.route} in ${(event.waitMs / 1000).toFixed(1)} s (attempt ${event.attempt} failed: ${event.reason})`
            )
        })
      : undefined
  const api = deps.api ?? ownClient!
  const context: RunContext = {
    serverUrl: process.env.GITHUB_SERVER_URL,
    repository: process.env.GITHUB_REPOSITORY,
    sha: process.env.GITHUB_SHA,
    runId: process.env.GITHUB_RUN_ID
  }

  try {
    const inventory = await core.group('Read channels and bundles from Capgo', async () => {
      const inv = await readInventory(api, settings)
      core.info(
        `${inv.channels.length} channels` +
          (inv.bundles ? `, ${inv.bundles.length} bundles` : '') +
          (settings.devices.length + settings.unlinkDevices.length > 0
            ? `, ${settings.devices.length + settings.unlinkDevices.length} devices`
            : '')
      )
      return inv
    })

    const plan = await core.group('Plan', async () => {
      const p = makePlan(settings, inventory, (deps.now ?? Date.now)())
      for (const line of planLines(p)) core.info(line)
      return p
    })

    if (plan.errors.length > 0 || settings.dryRun) {
      // A dry run reports what it would do, and fails where the real run would fail.
      await finish(settings, plan, undefined, plan.errors, plan.warnings, context)
      if (plan.errors.length > 0) core.setFailed(plan.errors.join('\n'))
      return
    }

    const result = await core.group('Apply', () =>
      applyPlan(api, plan, {
        concurrency: settings.concurrency,
        log: message => core.info(message)
      })
    )
    const errors = resultErrors(result)
    await core.group('Report', async () => {
      await finish(settings, plan, result, errors, [...plan.warnings, ...result.warnings], context)
    })
    if (errors.length > 0) core.setFailed(errors.join('\n'))
  } catch (error) {
    core.setFailed(messageOf(error))
  } finally {
    ownClient?.dispose()
  }
}

async function finish(
  settings: Settings,
  plan: Plan,
  result: ApplyResult | undefined,
  errors: string[],
  warnings: string[],
  context: RunContext
): Promise<void> {
  for (const warning of warnings) core.warning(warning)
  const outcome = outcomeOf(settings, plan, result)
  const outputs = buildOutputs(outcome, plan, { errors, warnings })
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
  const markdown = renderSummary(settings, plan, outcome, { errors, warnings, context })
  if (process.env.GITHUB_STEP_SUMMARY) {
    // A failure to write the summary must not hide the result.
    await core.summary
      .addRaw(markdown, true)
      .write()
      .catch(error => core.warning(`Could not write the job summary: ${messageOf(error)}`))
  } else {
    core.info(markdown)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
