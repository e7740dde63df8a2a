// Tell GitHub what was released: a deployment per change of the channel's bundle or rollout, the
// environment of a deleted channel marked inactive, and the pull request comment. It runs after
// the Capgo changes and never fails the release: a refusal is a warning naming the permission to
// grant (see the README's permissions table).

import { GitHubError, type GitHubApi } from './github/api.js'
import { commentMarker, renderPreviewComment } from './github/comment.js'
import { environmentOf } from './inventory.js'
import type { ApplyResult } from './apply.js'
import { deviceRunsText } from './plan/devices.js'
import type { Plan } from './plan/types.js'
import type { Settings } from './settings/index.js'

export interface GitHubEvent {
  /** GITHUB_EVENT_NAME */
  name: string
  /** The pull request's number, on pull_request events. */
  pullRequest?: number
  sha: string
  ref: string
  /** The workflow run's page. */
  runUrl: string
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT: recorded in the payload, for re-run checks. */
  runId?: string
  runAttempt?: number
}

/** The channel's page in Capgo's console, for Capgo Cloud (a self-hosted console is unknown). */
export function consoleUrl(
  settings: Settings,
  channelId: number | null | undefined
): string | undefined {
  if (channelId === null || channelId === undefined) return undefined
  if (settings.apiUrl !== 'https://api.capgo.app') return undefined
  return `https://console.capgo.app/app/${encodeURIComponent(settings.appId)}/channel/${channelId}`
}

export interface PublishResult {
  deploymentId?: number
  commentId?: number
  warnings: string[]
  notices: string[]
}

/** The advice the GitHub client gives with a refusal; the warning gives its own, once. */
const CLIENT_GRANT =
  / ?:? ?the workflow's token needs `[^`]+` \(add it to the job's `permissions:`\)/

/**
 * A GitHub call that failed after the Capgo changes: a warning that says what could not be done
 * and names the permission to grant, once (README, "Permissions").
 */
export function permissionWarning(what: string, needed: string, error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(CLIENT_GRANT, '')
  const refused =
    error instanceof GitHubError && error.kind === 'permission' && error.status === 403
  const advice = refused
    ? `The token lacks a permission: add \`permissions: ${needed}\` to the job.`
    : `If the token lacks a permission, add \`permissions: ${needed}\` to the job.`
  // A message that already names the permission (a 404 that may be a private resource) says it.
  const named = message.includes(`\`${needed}\``)
  return (
    `GitHub: could not ${what}: ${message.replace(/\.$/, '')}. The Capgo release itself is done.` +
    (named ? '' : ` ${advice}`)
  )
}

/** Whether this run's release is worth a deployment: the channel's bundle or rollout changed. */
export function releaseChanged(plan: Plan, result: ApplyResult): boolean {
  const changes = plan.channel?.changes ?? []
  return result.channelWritten && (changes.includes('version') || changes.includes('rollout'))
}

export async function tellGitHub(
  github: GitHubApi,
  settings: Settings,
  plan: Plan,
  result: ApplyResult,
  event: GitHubEvent
): Promise<PublishResult> {
  const published: PublishResult = { warnings: [], notices: [] }
  const attempt = async (what: string, permission: string, action: () => Promise<void>) => {
    try {
      await action()
    } catch (error) {
      const needed =
        error instanceof GitHubError && error.permission ? error.permission : permission
      published.warnings.push(permissionWarning(what, needed, error))
    }
  }

  const channel = plan.channel
  if (settings.github.deployment && channel && releaseChanged(plan, result)) {
    // The status says whether Capgo holds the release (docs/rollback.md): `success` once the
    // read-back found the channel holding it, whatever failed later in the run; `failure` when
    // the write did not take (the read-back found otherwise, or could not read it). Only
    // `success` counts as a release for rollback and release protection.
    const holds = result.channelVerified
    const environmentUrl = consoleUrl(settings, channel.id ?? result.channelId)
    // What the read-back found Capgo holding (a rollout Capgo ended or kept included).
    const after = result.held ?? channel.after
    const rollout = after.rollout?.enabled ? after.rollout : null
    const description =
      `${after.version ?? 'no bundle'} on ${channel.name}` +
      (rollout ? `; ${rollout.version ?? rollout.versionId} to ${rollout.percentage} %` : '')
    await attempt('record the deployment', 'deployments: write', async () => {
      published.deploymentId = await github.recordRelease({
        environment: environmentOf(settings, channel.name),
        sha: event.sha,
        ref: event.ref,
        payload: {
          app_id: settings.appId,
          channel: channel.name,
          version: after.version ?? '',
          previous_version: channel.before?.version ?? '',
          rollout_version: rollout?.version ?? '',
          rollout_percentage: rollout ? String(rollout.percentage) : '',
          ...(channel.versionSource?.kind === 'rollback' ? { rollback: true } : {}),
          ...(event.runId !== undefined ? { run_id: event.runId } : {}),
          ...(event.runAttempt !== undefined ? { run_attempt: event.runAttempt } : {})
        },
        description: description.slice(0, 140),
        state: holds ? 'success' : 'failure',
        logUrl: event.runUrl,
        // A preview channel comes and goes with its pull request.
        transient: settings.github.prComment || settings.deleteChannel !== undefined,
        ...(environmentUrl !== undefined ? { environmentUrl } : {})
      })
    })
  }
  if (settings.github.deployment && result.deletedChannel) {
    const deleted = result.deletedChannel
    await attempt(
      `mark the environment of "${deleted}" inactive`,
      'deployments: write',
      async () => {
        await github.markEnvironmentInactive(
          environmentOf(settings, deleted),
          payload => payload.app_id === settings.appId && payload.channel === deleted
        )
      }
    )
  }

  if (settings.github.prComment) {
    const name = channel?.name ?? plan.deleteChannel?.name
    if (event.pullRequest === undefined) {
      published.notices.push(
        event.name === 'pull_request_target'
          ? 'pr_comment: skipped on pull_request_target (it runs with secrets while a fork may ' +
              'supply the code); run the preview on pull_request.'
          : `pr_comment: skipped, this run is a "${event.name}" event, not a pull request.`
      )
    } else if (
      name !== undefined &&
      channel === null &&
      plan.deleteChannel?.exists === true &&
      result.deletedChannel !== name
    ) {
      // The teardown did not delete the channel: the comment still shows the preview, which is true.
      published.notices.push(`pr_comment: not updated, channel "${name}" was not deleted.`)
    } else if (name !== undefined) {
      const deleted = channel === null && plan.deleteChannel !== null
      const linked = [
        ...plan.links.filter(d => d.action === 'already').map(d => d.deviceId),
        ...result.linked
      ]
      // What Capgo holds: the read-back (as predicted, or found otherwise), else the plan's
      // bundle once Capgo accepted it, else the bundle before.
      const version =
        (result.readBack !== undefined
          ? result.readBack?.version
          : result.channelWritten
            ? (result.held ?? channel?.after)?.version
            : channel?.before?.version) ?? null
      const deviceStates: Record<string, string> = {}
      for (const d of plan.links) {
        const state = deviceRunsText(d, version)
        if (state) deviceStates[d.deviceId] = state
      }
      const body = renderPreviewComment({
        appId: settings.appId,
        channel: name,
        // What the channel holds after the run: the plan's bundle only once Capgo accepted it.
        version,
        devices: linked,
        deviceStates,
        runUrl: event.runUrl,
        sha: event.sha,
        deleted
      })
      const pr = event.pullRequest
      await attempt('update the pull request comment', 'pull-requests: write', async () => {
        published.commentId = (
          await github.upsertComment(pr, commentMarker(settings.appId, name), body)
        ).id
      })
    }
  }
  return published
}
