// Listings: a channel's release history read back from its environment's deployments and their
// statuses, newest first, every listing under a page cap.
import type { DeploymentPayload, ReleaseRecord } from '../api.js'
import { isObject } from './errors.js'
import { DEPLOYMENTS_READ, PER_PAGE, type GitHubRequests } from './requests.js'

/** The most pages of deployments one history read fetches (100 a page). */
export const MAX_HISTORY_PAGES = 20
/** The most pages of one deployment's statuses read (100 a page). */
const MAX_STATUS_PAGES = 10

/** A deployment as GitHub lists it: the fields the action reads. */
export interface RawDeployment {
  id: number
  sha: string
  ref: string
  environment: string
  created_at: string
  payload: unknown
}

/**
 * A map function for octokit.paginate that stops after `max` pages: every GitHub listing has a
 * page cap, so a `Link: next` that loops cannot keep the step running.
 */
export function pageCap<T>(max: number): (response: { data: T[] }, done: () => void) => T[] {
  let pages = 0
  return (response, done) => {
    if (++pages >= max) done()
    return response.data
  }
}

/** `GitHubApi.releaseHistory` (api.ts). */
export async function releaseHistory(
  gh: GitHubRequests,
  environment: string,
  limit: number,
  accept: (payload: DeploymentPayload) => boolean,
  enough: (found: readonly ReleaseRecord[]) => boolean
): Promise<ReleaseRecord[]> {
  const wanted = Math.floor(limit)
  const found: ReleaseRecord[] = []
  if (!(wanted > 0)) return found
  const route = 'GET /repos/{owner}/{repo}/deployments'
  await gh.call(route, DEPLOYMENTS_READ, async () => {
    const pages = gh.octokit.paginate.iterator(gh.octokit.rest.repos.listDeployments, {
      owner: gh.owner,
      repo: gh.repo,
      environment,
      per_page: PER_PAGE
    })
    // GitHub lists deployments newest first; pages are read only until enough are found, and
    // never past the page cap (a Link that loops, or an environment of endless deployments).
    let read = 0
    const seen = new Set<number>()
    for await (const page of pages) {
      for (const raw of page.data as unknown as RawDeployment[]) {
        // A page served twice (a Link that loops) adds nothing.
        if (seen.has(raw.id)) continue
        seen.add(raw.id)
        const payload = ourPayload(raw.payload)
        if (!payload || !accept(payload)) continue
        const states = await statesOf(gh, raw.id)
        // Kept with `succeeded` false: the reader decides (only `success` is a release).
        const succeeded = states.includes('success')
        if (!succeeded && !states.includes('failure')) continue
        found.push({
          deploymentId: raw.id,
          environment: raw.environment,
          sha: raw.sha,
          ref: raw.ref,
          createdAt: raw.created_at,
          payload,
          state: states[0] ?? 'pending',
          succeeded
        })
        if (found.length >= wanted || enough(found)) return
      }
      if (++read >= MAX_HISTORY_PAGES) return
    }
  })
  return found
}

/** Every status state of a deployment, newest first (every page). */
async function statesOf(gh: GitHubRequests, deploymentId: number): Promise<string[]> {
  const statuses = await gh.call(
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    DEPLOYMENTS_READ,
    () =>
      gh.octokit.paginate(
        gh.octokit.rest.repos.listDeploymentStatuses,
        { owner: gh.owner, repo: gh.repo, deployment_id: deploymentId, per_page: PER_PAGE },
        pageCap(MAX_STATUS_PAGES)
      ),
    { deployment_id: deploymentId }
  )
  return statuses.map(s => s.state)
}

/** The payload of one of our deployments, every field a string; undefined when it is not ours. */
export function ourPayload(raw: unknown): DeploymentPayload | undefined {
  let value = raw
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown
    } catch {
      return undefined
    }
  }
  if (!isObject(value) || typeof value.version !== 'string' || value.version === '')
    return undefined
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''
  return {
    app_id: text(value.app_id),
    channel: text(value.channel),
    version: value.version,
    previous_version: text(value.previous_version),
    rollout_version: text(value.rollout_version),
    rollout_percentage: text(value.rollout_percentage),
    ...(value.rollback === true ? { rollback: true } : {}),
    ...(typeof value.run_id === 'string' || typeof value.run_id === 'number'
      ? { run_id: String(value.run_id) }
      : {}),
    ...(typeof value.run_attempt === 'number' && Number.isInteger(value.run_attempt)
      ? { run_attempt: value.run_attempt }
      : {})
  }
}
