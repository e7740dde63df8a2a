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
}

export interface PublishResult {
  deploymentId?: number
  commentId?: number
  warnings: string[]
  notices: string[]
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
  event: GitHubEvent,
  failed: boolean
): Promise<PublishResult> {
  const published: PublishResult = { warnings: [], notices: [] }
  const attempt = async (what: string, permission: string, action: () => Promise<void>) => {
    try {
      await action()
    } catch (error) {
      const needed =
        error instanceof GitHubError && error.permission ? error.permission : permission
      const message = error instanceof Error ? error.message : String(error)
      published.warnings.push(
        `GitHub: could not ${what}: ${message}. The Capgo release itself is done. If the token ` +
          `lacks a permission, add \`permissions: ${needed}\` to the job.`
      )
    }
  }

  const channel = plan.channel
  if (
    settings.github.deployment &&
    channel &&
    releaseChanged(plan, result) &&
    result.readBack !== undefined
  ) {
    // The read-back found the channel otherwise than written: a release of the planned bundle
    // would be a false record, and a later rollback could put that bundle back.
    published.warnings.push(
      `GitHub: no deployment recorded: channel "${channel.name}" was not found as this run wrote ` +
        'it (see the error).'
    )
  } else if (settings.github.deployment && channel && releaseChanged(plan, result)) {
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
          ...(channel.versionSource?.kind === 'rollback' ? { rollback: true } : {})
        },
        description: description.slice(0, 140),
        state: failed ? 'failure' : 'success',
        logUrl: event.runUrl
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
        `pr_comment: skipped, this run is a "${event.name}" event, not a pull request.`
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
      const version =
        (result.channelWritten
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
