// Writes to deployments: a release recorded (a deployment and its status, never twice for one
// run), and an environment's deployments marked inactive when its channel is deleted.
import type { DeploymentPayload, RecordReleaseInput } from '../api.js'
import { GitHubError } from '../api.js'
import { isObject } from './errors.js'
import { MAX_HISTORY_PAGES, ourPayload, pageCap, type RawDeployment } from './history.js'
import { DEPLOYMENTS_READ, DEPLOYMENTS_WRITE, PER_PAGE, type GitHubRequests } from './requests.js'

/** GitHub's limit for a deployment status description; deployment descriptions are cut alike. */
const MAX_DESCRIPTION = 140

/** `GitHubApi.recordRelease` (api.ts). */
export async function recordRelease(
  gh: GitHubRequests,
  input: RecordReleaseInput
): Promise<number> {
  const route = 'POST /repos/{owner}/{repo}/deployments'
  const create = () =>
    gh.call(route, DEPLOYMENTS_WRITE, () =>
      gh.octokit.rest.repos.createDeployment({
        owner: gh.owner,
        repo: gh.repo,
        // The commit released, not a branch that may have moved on since the workflow started.
        ref: input.sha !== '' ? input.sha : input.ref,
        environment: input.environment,
        payload: { ...input.payload },
        description: cut(input.description, MAX_DESCRIPTION),
        transient_environment: input.transient ?? false,
        auto_merge: false,
        required_contexts: []
      })
    )
  let created: { status: number; data: unknown }
  for (let attempt = 1; ; attempt++) {
    try {
      created = await create()
      break
    } catch (error) {
      if (!(error instanceof GitHubError) || error.kind !== 'unavailable') throw error
      // Without a run id a deployment of this run cannot be told from an older one: no retry.
      if (attempt > gh.retries || input.payload.run_id === undefined) throw error
      // The answer was lost (or a 5xx): GitHub may have created it. Look before creating again.
      const existing = await findOwnDeployment(gh, input).catch(() => undefined)
      if (existing !== undefined) {
        created = { status: 201, data: existing }
        break
      }
      await gh.sleep(gh.backoff(attempt))
    }
  }
  const data: unknown = created.data
  if (!isObject(data) || typeof data.id !== 'number') {
    const said = isObject(data) && typeof data.message === 'string' ? `: ${data.message}` : ''
    throw new GitHubError({
      status: created.status,
      kind: 'other',
      route,
      message: `${gh.pathOf(route)}: GitHub did not create the deployment (HTTP ${created.status})${gh.clean(said)}`
    })
  }
  const deploymentId = data.id
  const statusRoute = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses'
  try {
    await gh.call(
      statusRoute,
      DEPLOYMENTS_WRITE,
      () =>
        gh.octokit.rest.repos.createDeploymentStatus({
          owner: gh.owner,
          repo: gh.repo,
          deployment_id: deploymentId,
          state: input.state,
          log_url: input.logUrl,
          ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
          description: cut(input.description, MAX_DESCRIPTION),
          // GitHub marks the environment's earlier successful deployments inactive.
          auto_inactive: true
        }),
      { deployment_id: deploymentId }
    )
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error
    throw new GitHubError({
      status: error.status,
      kind: error.kind,
      route: error.route,
      permission: error.permission,
      serverMessage: error.serverMessage,
      attempts: error.attempts,
      deploymentId,
      message: `deployment ${deploymentId} was created, but its status was not set: ${error.message}`
    })
  }
  return deploymentId
}

/** `GitHubApi.markEnvironmentInactive` (api.ts). */
export async function markEnvironmentInactive(
  gh: GitHubRequests,
  environment: string,
  accept: (payload: DeploymentPayload) => boolean
): Promise<number> {
  const deployments = await gh.call('GET /repos/{owner}/{repo}/deployments', DEPLOYMENTS_READ, () =>
    gh.octokit.paginate(
      gh.octokit.rest.repos.listDeployments,
      { owner: gh.owner, repo: gh.repo, environment, per_page: PER_PAGE },
      pageCap(MAX_HISTORY_PAGES)
    )
  )
  let marked = 0
  for (const deployment of deployments) {
    // In a shared environment, only the deleted channel's own deployments go inactive.
    // Only the action's own deployments: another tool's in a shared environment stay as they are.
    const payload = ourPayload((deployment as unknown as RawDeployment).payload)
    if (!payload || !accept(payload)) continue
    // Statuses come newest first: the first one is the deployment's state.
    const latest = await gh.call(
      'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      DEPLOYMENTS_READ,
      () =>
        gh.octokit.rest.repos.listDeploymentStatuses({
          owner: gh.owner,
          repo: gh.repo,
          deployment_id: deployment.id,
          per_page: 1
        }),
      { deployment_id: deployment.id }
    )
    if (latest.data[0]?.state !== 'success') continue
    await gh.call(
      'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      DEPLOYMENTS_WRITE,
      () =>
        gh.octokit.rest.repos.createDeploymentStatus({
          owner: gh.owner,
          repo: gh.repo,
          deployment_id: deployment.id,
          state: 'inactive',
          description: 'The channel was deleted'
        }),
      { deployment_id: deployment.id }
    )
    marked++
  }
  return marked
}

/** A deployment this very run created (same environment, commit and payload), if any. */
async function findOwnDeployment(
  gh: GitHubRequests,
  input: RecordReleaseInput
): Promise<RawDeployment | undefined> {
  const page = await gh.call('GET /repos/{owner}/{repo}/deployments', DEPLOYMENTS_READ, () =>
    gh.octokit.rest.repos.listDeployments({
      owner: gh.owner,
      repo: gh.repo,
      environment: input.environment,
      ...(input.sha !== '' ? { sha: input.sha } : {}),
      per_page: PER_PAGE
    })
  )
  const wanted = input.payload
  return (page.data as unknown as RawDeployment[]).find(raw => {
    const payload = ourPayload(raw.payload)
    return (
      payload !== undefined &&
      payload.app_id === wanted.app_id &&
      payload.channel === wanted.channel &&
      payload.version === wanted.version &&
      payload.run_id === wanted.run_id &&
      payload.run_attempt === wanted.run_attempt
    )
  })
}

function cut(text: string, max: number): string {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}
