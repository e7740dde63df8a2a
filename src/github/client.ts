import type { DeploymentPayload, GitHubApi, RecordReleaseInput, ReleaseRecord } from './api.js'
import { PullRequestComments } from './client/comments.js'
import * as deployments from './client/deployments.js'
import * as history from './client/history.js'
import { GitHubRequests, type OctokitGitHubApiOptions } from './client/requests.js'

export { MAX_HISTORY_PAGES } from './client/history.js'
export type { GitHubRetryEvent, OctokitGitHubApiOptions } from './client/requests.js'

/**
 * The one real `GitHubApi`: GitHub's REST API through `@actions/github`'s Octokit. Each concern
 * lives in `client/`: requests and retries, the release history (listings), the deployments it
 * writes, the pull request comment.
 */
export class OctokitGitHubApi implements GitHubApi {
  private readonly requests: GitHubRequests
  private readonly comments: PullRequestComments

  constructor(options: OctokitGitHubApiOptions) {
    this.requests = new GitHubRequests(options)
    this.comments = new PullRequestComments(this.requests)
  }

  recordRelease(input: RecordReleaseInput): Promise<number> {
    return deployments.recordRelease(this.requests, input)
  }

  releaseHistory(
    environment: string,
    limit: number,
    accept: (payload: DeploymentPayload) => boolean = () => true,
    enough: (found: readonly ReleaseRecord[]) => boolean = () => false
  ): Promise<ReleaseRecord[]> {
    return history.releaseHistory(this.requests, environment, limit, accept, enough)
  }

  markEnvironmentInactive(
    environment: string,
    accept: (payload: DeploymentPayload) => boolean = () => true
  ): Promise<number> {
    return deployments.markEnvironmentInactive(this.requests, environment, accept)
  }

  upsertComment(
    issueNumber: number,
    marker: string,
    body: string
  ): Promise<{ id: number; created: boolean }> {
    return this.comments.upsert(issueNumber, marker, body)
  }
}
