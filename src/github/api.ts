/**
 * Everything the action asks of GitHub: the release history (deployments and their statuses) and
 * the pull request comment. The pipeline talks only to this interface; the one real
 * implementation is `OctokitGitHubApi` (client.ts). Every method throws `GitHubError` on a refusal.
 */

/** What the action stores in a deployment's payload: the channel before and after the run. */
export interface DeploymentPayload {
  app_id: string
  channel: string
  version: string
  previous_version: string
  rollout_version: string
  rollout_percentage: string
  /** Set on the deployment a `rollback` records: it is not a release of its own to go back from. */
  rollback?: boolean
  /** The workflow run that recorded it (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). */
  run_id?: string
  run_attempt?: number
}

/** One release of a channel, read back from a deployment and its statuses. */
export interface ReleaseRecord {
  deploymentId: number
  environment: string
  sha: string
  /** The ref GitHub stored for the deployment (the commit sha, as `recordRelease` sends it). */
  ref: string
  createdAt: string
  payload: DeploymentPayload
  /** the latest status state */
  state: string
  /** true when some status of it is 'success'; false for a release recorded as `failure` */
  succeeded: boolean
}

export interface RecordReleaseInput {
  environment: string
  /** The commit released (`GITHUB_SHA`); the deployment is created on exactly this commit. */
  sha: string
  /** The workflow's ref (`GITHUB_REF`); sent only when `sha` is empty (a branch may have moved on). */
  ref: string
  payload: DeploymentPayload
  description: string
  state: 'success' | 'failure'
  /** The workflow run, shown as the deployment's log. */
  logUrl: string
  /** Where the environment can be seen (e.g. the channel in Capgo's dashboard). Optional. */
  environmentUrl?: string
  /** A preview environment that goes away with its pull request (`transient_environment`). */
  transient?: boolean
}

export interface GitHubApi {
  /**
   * Creates a deployment on `sha` in `environment` (payload, description, transient_environment
   * false, auto_merge false, required_contexts []), then a status `state` with
   * `log_url`/`environment_url`. Returns the deployment id.
   */
  recordRelease(input: RecordReleaseInput): Promise<number>
  /**
   * The releases of one environment, newest first: the action's deployments that have a `success`
   * status, or a `failure` one (the action records `failure` when the run failed after writing the
   * channel: the bundle was released all the same). Every page is read until `limit` are found
   * (or the history ends), or until `enough` says the records found so far suffice. Deployments
   * whose payload is not ours (no version), or that `accept` refuses (another app or channel
   * sharing the environment), are skipped. `limit` is the page cap of the read.
   */
  releaseHistory(
    environment: string,
    limit: number,
    accept?: (payload: DeploymentPayload) => boolean,
    enough?: (found: readonly ReleaseRecord[]) => boolean
  ): Promise<ReleaseRecord[]>
  /**
   * Marks the environment's active deployments inactive (a status 'inactive' on each deployment
   * whose latest status is success), skipping the action's deployments that `accept` refuses
   * (another app or channel sharing the environment). Returns how many.
   */
  markEnvironmentInactive(
    environment: string,
    accept?: (payload: DeploymentPayload) => boolean
  ): Promise<number>
  /**
   * One comment per marker on the issue/PR: finds the comment whose body contains `marker`
   * searching EVERY page of comments, updates it, or creates it. Returns {id, created}.
   */
  upsertComment(
    issueNumber: number,
    marker: string,
    body: string
  ): Promise<{ id: number; created: boolean }>
}

/**
 * Why a GitHub call failed: `permission` (401, a 403 that is not a rate limit, or a 404 that may be a
 * private resource the token cannot see), `rate_limit`, `unavailable` (5xx, network, timeout),
 * `invalid` (422), `other`.
 */
export type GitHubErrorKind = 'permission' | 'rate_limit' | 'unavailable' | 'invalid' | 'other'

/**
 * The one error the GitHub module throws. Its message never holds the token: every text that came
 * from the server is redacted before it is stored here.
 */
export class GitHubError extends Error {
  override readonly name = 'GitHubError'
  /** HTTP status, or undefined when no answer came (network error, timeout). */
  readonly status: number | undefined
  readonly kind: GitHubErrorKind
  /** the permission a workflow must grant for this call, e.g. 'deployments: write' or 'pull-requests: write' */
  readonly permission: string | undefined
  /** e.g. `POST /repos/{owner}/{repo}/deployments` */
  readonly route: string
  /** GitHub's own message, redacted and shortened. */
  readonly serverMessage: string | undefined
  /** How many attempts were made before this error was final. */
  readonly attempts: number
  /** Set by `recordRelease` when the deployment was created but its status was not. */
  readonly deploymentId: number | undefined

  constructor(init: {
    status: number | undefined
    kind: GitHubErrorKind
    route: string
    message: string
    permission?: string
    serverMessage?: string
    attempts?: number
    deploymentId?: number
  }) {
    super(init.message)
    this.status = init.status
    this.kind = init.kind
    this.route = init.route
    this.permission = init.permission
    this.serverMessage = init.serverMessage
    this.attempts = init.attempts ?? 1
    this.deploymentId = init.deploymentId
  }
}
