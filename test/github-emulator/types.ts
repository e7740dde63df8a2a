// Public types of the GitHub REST API emulator (deployments, deployment statuses, issue comments).

/** A fine-grained permission of a token, as a workflow's `permissions:` grants it. */
export type Permission =
  | 'deployments:read'
  | 'deployments:write'
  | 'pull-requests:read'
  | 'pull-requests:write'
  | 'issues:read'
  | 'issues:write'

export type DeploymentState =
  'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success'

export const DEPLOYMENT_STATES: readonly DeploymentState[] = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success'
]

export interface SeedStatus {
  state: DeploymentState
  description?: string
  log_url?: string
  environment_url?: string
  created_at?: string
}

export interface SeedDeployment {
  environment?: string
  /** Default: the `main` ref's sha. */
  sha?: string
  /** Default: the sha. */
  ref?: string
  task?: string
  /** An object (ours, or someone else's) or a string, stored as given. */
  payload?: unknown
  description?: string | null
  transient_environment?: boolean
  production_environment?: boolean
  created_at?: string
  /** Oldest first; no auto_inactive is applied to seeds. */
  statuses?: SeedStatus[]
}

export interface SeedComment {
  body: string
  /** Default: `github-actions[bot]`. */
  user?: string
  created_at?: string
}

export interface SeedIssue {
  number: number
  /** True for a pull request (default true). */
  pull_request?: boolean
  /** A number N generates N comments `comment 1` .. `comment N` from `octocat`; or explicit ones. */
  comments?: number | SeedComment[]
}

export type GitHubFaultKind =
  /** A status (default 500) with a GitHub-shaped JSON body; `retryAfterSeconds` adds the header. */
  | 'status'
  /** 403 "You have exceeded a secondary rate limit", with `retry-after` (default 60 s). */
  | 'secondary-rate-limit'
  /** 403 "API rate limit exceeded" with x-ratelimit-remaining 0 and a reset `resetSeconds` ahead. */
  | 'primary-rate-limit'
  /** The connection is closed before any answer. */
  | 'drop-before'
  /** The request is carried out, then the connection is closed: the answer is lost. */
  | 'drop-after'
  /** Wait `delayMs`, then answer normally. */
  | 'slow'
  /** A 500 whose message and header repeat the token presented (to test redaction). */
  | 'echo-token'
  /** The answer as usual, but its `Link: next` points back at page 1: a listing that never ends. */
  | 'link-loop'

export interface GitHubFaultRequest {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
}

export interface GitHubFaultRule {
  method?: string
  /**
   * An exact path (e.g. '/repos/o/r/deployments') or a pattern; undefined = any. A request of the
   * `/repositories/{id}/...` form (a next page's link) is matched as its `/repos/o/r/...` form.
   */
  path?: string | RegExp
  when?: (req: GitHubFaultRequest) => boolean
  kind: GitHubFaultKind
  /** For 'status'. */
  status?: number
  /** For 'status' and 'secondary-rate-limit': the `retry-after` header (seconds). */
  retryAfterSeconds?: number
  /** For 'primary-rate-limit': seconds until `x-ratelimit-reset` (default 3600). */
  resetSeconds?: number
  /** For 'slow' (default 1000). */
  delayMs?: number
  /** Fire at most this many times (default: unlimited). */
  count?: number
  /** Let the first `skip` matching requests through first. */
  skip?: number
  /** Fire on this share (0..1) of matching requests, with a seeded PRNG (option `seed`). */
  share?: number
}

export interface GitHubEmulatorOptions {
  /** Default 0 = a random free port; always binds 127.0.0.1. */
  port?: number
  /** Called once a request is answered: `npm run emulator -- --github` logs each one. */
  onAnswer?: (request: GitHubLoggedRequest) => void
  /** The one repository served (default `octo-org/octo-app`); any other is 404. */
  owner?: string
  repo?: string
  /** The repository's id (default 123456): it is also served as `/repositories/{id}/...`. */
  repositoryId?: number
  /** Tokens and their permissions (a write implies the read). Default `{ 'gh-token-all': every write }`. */
  tokens?: Record<string, readonly Permission[]>
  /** Branch and tag names and their commit (default `{ main: MAIN_SHA }`); a 40-hex ref is a sha. */
  refs?: Record<string, string>
  /** Oldest first; ids from 1. */
  deployments?: SeedDeployment[]
  /** Default: pull request 42 with no comments. */
  issues?: SeedIssue[]
  /** Added to every request before it is handled. */
  latencyMs?: number
  faults?: GitHubFaultRule[]
  /** PRNG seed for `share` (default 1). */
  seed?: number
  /** Clock (ms), default Date.now: created_at of new rows. */
  now?: () => number
}

export interface GitHubLoggedRequest {
  seq: number
  method: string
  /** As requested: `/repos/{owner}/{repo}/...`, or `/repositories/{id}/...` (a Link's next page). */
  path: string
  query: Record<string, string>
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown
  headers: Record<string, string | undefined>
  /** The status sent; 0 for 'drop-before'. */
  status: number
  /** The answer sent: its headers (lower-case names) and JSON body; undefined when none was sent. */
  answer?: { headers: Record<string, string>; body: unknown }
  fault?: GitHubFaultKind
  at: number
}

export interface User {
  login: string
  id: number
  type: 'User' | 'Bot'
}

/** A deployment as GET /deployments returns it (without the URLs, added on the way out). */
export interface StoredDeployment {
  id: number
  sha: string
  ref: string
  task: string
  payload: unknown
  original_environment: string
  environment: string
  description: string | null
  creator: User
  created_at: string
  updated_at: string
  transient_environment: boolean
  production_environment: boolean
}

export interface StoredStatus {
  id: number
  deployment_id: number
  state: DeploymentState
  creator: User
  description: string
  environment: string
  target_url: string
  log_url: string
  environment_url: string
  created_at: string
  updated_at: string
}

export interface StoredComment {
  id: number
  issue_number: number
  body: string
  user: User
  created_at: string
  updated_at: string
}

export interface StoredIssue {
  number: number
  pull_request: boolean
}

export interface GitHubEmulatorState {
  /** Oldest first. */
  deployments: StoredDeployment[]
  /** Oldest first, every deployment's. */
  statuses: StoredStatus[]
  /** Oldest first, every issue's. */
  comments: StoredComment[]
  issues: StoredIssue[]
  nextDeploymentId: number
  nextStatusId: number
  nextCommentId: number
}

export interface GitHubEmulator {
  /** 'http://127.0.0.1:PORT': the API base URL (like https://api.github.com). */
  url: string
  port: number
  owner: string
  repo: string
  repositoryId: number
  /** Live, mutable state. */
  state: GitHubEmulatorState
  /** The request log, in arrival order (live array). */
  requests: GitHubLoggedRequest[]
  /** Only non-GET requests. */
  writes(): GitHubLoggedRequest[]
  addFault(rule: GitHubFaultRule): void
  clearFaults(): void
  clearLog(): void
  /** Set (or replace) a token and its permissions. */
  setToken(token: string, permissions: readonly Permission[]): void
  setLatency(ms: number): void
  /** As GET /deployments returns them: newest first, optionally of one environment. */
  deployments(environment?: string): StoredDeployment[]
  /** A deployment's statuses, newest first. */
  statuses(deploymentId: number): StoredStatus[]
  /** The latest status state of a deployment, or undefined when it has none. */
  latestState(deploymentId: number): DeploymentState | undefined
  /** An issue's comments, oldest first. */
  comments(issueNumber: number): StoredComment[]
  /** Closes the server and all sockets promptly. */
  stop(): Promise<void>
}
