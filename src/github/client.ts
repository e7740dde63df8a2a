import { getOctokit } from '@actions/github'
import { redact } from '../capgo/errors.js'
import { USER_AGENT } from '../version.js'
import type {
  DeploymentPayload,
  GitHubApi,
  GitHubErrorKind,
  RecordReleaseInput,
  ReleaseRecord
} from './api.js'
import { GitHubError } from './api.js'

/** GitHub's largest page. */
const PER_PAGE = 100
/** GitHub's limit for a deployment status description; deployment descriptions are cut alike. */
const MAX_DESCRIPTION = 140
/** The longest a rate limit's wait is honoured (once per client); a longer ask gives up at once. */
const MAX_RATE_LIMIT_WAIT_MS = 10_000
/** "A few" retries of a 5xx: more are refused, whatever the caller asks. */
const MAX_RETRIES = 5

const DEPLOYMENTS_READ = 'deployments: read'
const DEPLOYMENTS_WRITE = 'deployments: write'
/** Comments on a pull request need `pull-requests: write` (or `issues: write`). */
const COMMENTS_WRITE = 'pull-requests: write'

export interface GitHubRetryEvent {
  /** e.g. `GET /repos/o/r/deployments` */
  route: string
  /** The attempt that failed, from 1. */
  attempt: number
  waitMs: number
  reason: string
}

export interface OctokitGitHubApiOptions {
  token: string
  owner: string
  repo: string
  /** Defaults to the `GITHUB_API_URL` environment variable, else https://api.github.com. */
  baseUrl?: string
  /** Retries of a 5xx, a timeout or a dropped connection (default 3, at most 5). */
  retries?: number
  sleep?: (ms: number) => Promise<void>
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number
  /** First backoff step for 5xx and network errors; doubles each retry, with jitter (default 1 s). */
  backoffBaseMs?: number
  /** The one rate-limit wait a client may make is at most this long (default and maximum 10 s). */
  maxRateLimitWaitMs?: number
  random?: () => number
  userAgent?: string
  onRetry?: (event: GitHubRetryEvent) => void
  /** Octokit's own warnings (deprecated routes); they are dropped when not set. */
  onWarning?: (message: string) => void
}

type Octokit = ReturnType<typeof getOctokit>

/** What Octokit throws (`RequestError`), or a bare fetch/abort error. */
interface RequestFailure {
  status?: number
  message?: string
  name?: string
  response?: { status: number; headers: Record<string, string | number | undefined>; data: unknown }
}

interface RawDeployment {
  id: number
  sha: string
  ref: string
  environment: string
  created_at: string
  payload: unknown
}

const defaultSleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const noop = (): void => undefined

/** The one real `GitHubApi`: GitHub's REST API through `@actions/github`'s Octokit. */
/** The most pages of one deployment's statuses read (100 a page). */
const MAX_STATUS_PAGES = 10

/**
 * A map function for octokit.paginate that stops after `max` pages: every GitHub listing has a
 * page cap, so a `Link: next` that loops cannot keep the step running.
 */
function pageCap<T>(max: number): (response: { data: T[] }, done: () => void) => T[] {
  let pages = 0
  return (response, done) => {
    if (++pages >= max) done()
    return response.data
  }
}

/** The account a workflow's GITHUB_TOKEN writes as. */
const ACTIONS_BOT = 'github-actions[bot]'
/** The most pages of comments searched for the action's own comment (100 a page). */
const MAX_COMMENT_PAGES = 30

/** The most pages of deployments one history read fetches (100 a page). */
export const MAX_HISTORY_PAGES = 20

export class OctokitGitHubApi implements GitHubApi {
  private readonly octokit: Octokit
  private readonly owner: string
  private readonly repo: string
  private readonly token: string
  private readonly retries: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly timeoutMs: number
  private readonly backoffBaseMs: number
  private readonly maxRateLimitWaitMs: number
  private readonly random: () => number
  private readonly onRetry: ((event: GitHubRetryEvent) => void) | undefined
  /** A client waits out a rate limit at most once: a second one means GitHub wants us gone. */
  private rateLimitWaited = false
  /** Attempts made by the last request that failed for good (read when the error is mapped). */
  private readonly attemptsOf = new WeakMap<object, number>()

  constructor(options: OctokitGitHubApiOptions) {
    this.token = options.token
    this.owner = options.owner
    this.repo = options.repo
    this.retries = Math.min(MAX_RETRIES, Math.max(0, Math.floor(options.retries ?? 3)))
    this.sleep = options.sleep ?? defaultSleep
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.backoffBaseMs = options.backoffBaseMs ?? 1000
    this.maxRateLimitWaitMs = Math.min(
      MAX_RATE_LIMIT_WAIT_MS,
      Math.max(0, options.maxRateLimitWaitMs ?? MAX_RATE_LIMIT_WAIT_MS)
    )
    this.random = options.random ?? Math.random
    this.onRetry = options.onRetry
    const warn = options.onWarning ?? noop
    const baseUrl = (
      options.baseUrl ??
      process.env['GITHUB_API_URL'] ??
      'https://api.github.com'
    ).replace(/\/+$/, '')
    this.octokit = getOctokit(options.token, {
      baseUrl,
      userAgent: options.userAgent ?? USER_AGENT,
      log: { debug: noop, info: noop, warn, error: noop }
    })
    // Retries are ours, on every request (each page of a listing too): see `retrying`.
    this.octokit.hook.wrap('request', (request, endpoint) =>
      this.retrying(
        // Creating a deployment is not retried here: a lost answer may hide a created one, and
        // a blind retry would make a second (recordRelease looks before it creates again).
        endpoint.method === 'POST' && /\/deployments$/.test(endpoint.url),
        async () => {
          // Octokit's hooks hand the same options object down the chain: it is changed in place.
          // Each attempt gets its own timeout; Octokit logs deprecations to the console unless
          // given a logger.
          endpoint.request = {
            ...endpoint.request,
            log: this.octokit.log,
            signal: AbortSignal.timeout(this.timeoutMs)
          }
          return request(endpoint)
        },
        `${endpoint.method} ${this.routeOf(endpoint.url, endpoint)}`
      )
    )
  }

  // ---- deployments -------------------------------------------------------------------------

  async recordRelease(input: RecordReleaseInput): Promise<number> {
    const route = 'POST /repos/{owner}/{repo}/deployments'
    const create = () =>
      this.call(route, DEPLOYMENTS_WRITE, () =>
        this.octokit.rest.repos.createDeployment({
          owner: this.owner,
          repo: this.repo,
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
        if (attempt > this.retries || input.payload.run_id === undefined) throw error
        // The answer was lost (or a 5xx): GitHub may have created it. Look before creating again.
        const existing = await this.findOwnDeployment(input).catch(() => undefined)
        if (existing !== undefined) {
          created = { status: 201, data: existing }
          break
        }
        await this.sleep(this.backoff(attempt))
      }
    }
    const data: unknown = created.data
    if (!isObject(data) || typeof data.id !== 'number') {
      const said = isObject(data) && typeof data.message === 'string' ? `: ${data.message}` : ''
      throw new GitHubError({
        status: created.status,
        kind: 'other',
        route,
        message: `${this.pathOf(route)}: GitHub did not create the deployment (HTTP ${created.status})${this.clean(said)}`
      })
    }
    const deploymentId = data.id
    const statusRoute = 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses'
    try {
      await this.call(
        statusRoute,
        DEPLOYMENTS_WRITE,
        () =>
          this.octokit.rest.repos.createDeploymentStatus({
            owner: this.owner,
            repo: this.repo,
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

  async releaseHistory(
    environment: string,
    limit: number,
    accept: (payload: DeploymentPayload) => boolean = () => true,
    enough: (found: readonly ReleaseRecord[]) => boolean = () => false
  ): Promise<ReleaseRecord[]> {
    const wanted = Math.floor(limit)
    const found: ReleaseRecord[] = []
    if (!(wanted > 0)) return found
    const route = 'GET /repos/{owner}/{repo}/deployments'
    await this.call(route, DEPLOYMENTS_READ, async () => {
      const pages = this.octokit.paginate.iterator(this.octokit.rest.repos.listDeployments, {
        owner: this.owner,
        repo: this.repo,
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
          const states = await this.statesOf(raw.id)
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

  async markEnvironmentInactive(
    environment: string,
    accept: (payload: DeploymentPayload) => boolean = () => true
  ): Promise<number> {
    const deployments = await this.call(
      'GET /repos/{owner}/{repo}/deployments',
      DEPLOYMENTS_READ,
      () =>
        this.octokit.paginate(
          this.octokit.rest.repos.listDeployments,
          { owner: this.owner, repo: this.repo, environment, per_page: PER_PAGE },
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
      const latest = await this.call(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        DEPLOYMENTS_READ,
        () =>
          this.octokit.rest.repos.listDeploymentStatuses({
            owner: this.owner,
            repo: this.repo,
            deployment_id: deployment.id,
            per_page: 1
          }),
        { deployment_id: deployment.id }
      )
      if (latest.data[0]?.state !== 'success') continue
      await this.call(
        'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        DEPLOYMENTS_WRITE,
        () =>
          this.octokit.rest.repos.createDeploymentStatus({
            owner: this.owner,
            repo: this.repo,
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
  private async findOwnDeployment(input: RecordReleaseInput): Promise<RawDeployment | undefined> {
    const page = await this.call('GET /repos/{owner}/{repo}/deployments', DEPLOYMENTS_READ, () =>
      this.octokit.rest.repos.listDeployments({
        owner: this.owner,
        repo: this.repo,
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

  // ---- the pull request comment ------------------------------------------------------------

  async upsertComment(
    issueNumber: number,
    marker: string,
    body: string
  ): Promise<{ id: number; created: boolean }> {
    if (marker.trim() === '') {
      throw new GitHubError({
        status: undefined,
        kind: 'invalid',
        route: 'upsertComment',
        attempts: 0,
        message: 'refused to upsert a comment with an empty marker: it would match any comment'
      })
    }
    // The marker is how the next run finds this comment again.
    const text = body.includes(marker) ? body : `${marker}\n${body}`
    const existing = await this.findComment(issueNumber, marker)
    if (existing !== undefined) {
      const updated = await this.call(
        'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
        COMMENTS_WRITE,
        () =>
          this.octokit.rest.issues
            .updateComment({
              owner: this.owner,
              repo: this.repo,
              comment_id: existing,
              body: text
            })
            // Deleted by someone between the read and the update: write a new one.
            .catch((error: RequestFailure) => {
              if (error.status === 404) return undefined
              throw error
            }),
        { comment_id: existing }
      )
      if (updated !== undefined) return { id: updated.data.id, created: false }
    }
    const created = await this.call(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      COMMENTS_WRITE,
      () =>
        this.octokit.rest.issues.createComment({
          owner: this.owner,
          repo: this.repo,
          issue_number: issueNumber,
          body: text
        }),
      { issue_number: issueNumber }
    )
    return { id: created.data.id, created: true }
  }

  private ownLogin: Promise<string> | undefined

  /**
   * The account the token writes as: `GET /user` for a user's token; a workflow's GITHUB_TOKEN
   * (refused that endpoint) writes as github-actions[bot].
   */
  private whoAmI(): Promise<string> {
    this.ownLogin ??= this.octokit.rest.users.getAuthenticated().then(
      answer => answer.data.login,
      () => ACTIONS_BOT
    )
    return this.ownLogin
  }

  /**
   * The oldest comment holding `marker` that the token's own account wrote (a marker quoted by
   * anyone else is never edited), within the page cap; undefined when there is none.
   */
  private async findComment(issueNumber: number, marker: string): Promise<number | undefined> {
    return this.call(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      COMMENTS_WRITE,
      async () => {
        const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listComments, {
          owner: this.owner,
          repo: this.repo,
          issue_number: issueNumber,
          per_page: PER_PAGE
        })
        let read = 0
        for await (const page of pages) {
          if (++read > MAX_COMMENT_PAGES) break
          for (const c of page.data) {
            if (typeof c.body !== 'string' || !c.body.includes(marker)) continue
            // Who the token is, asked only once a marked comment is found.
            const own = await this.whoAmI()
            if (c.user?.login.toLowerCase() === own.toLowerCase()) return c.id
          }
        }
        return undefined
      },
      { issue_number: issueNumber }
    )
  }

  /** Every status state of a deployment, newest first (every page). */
  private async statesOf(deploymentId: number): Promise<string[]> {
    const statuses = await this.call(
      'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      DEPLOYMENTS_READ,
      () =>
        this.octokit.paginate(
          this.octokit.rest.repos.listDeploymentStatuses,
          { owner: this.owner, repo: this.repo, deployment_id: deploymentId, per_page: PER_PAGE },
          pageCap(MAX_STATUS_PAGES)
        ),
      { deployment_id: deploymentId }
    )
    return statuses.map(s => s.state)
  }

  // ---- the core: retries, and errors mapped to GitHubError -----------------------------------

  /**
   * One request with its retries: a 5xx, a timeout or a dropped connection is tried again up to
   * `retries` times with exponential backoff; a rate limit is waited out once per client when
   * GitHub asks for at most `maxRateLimitWaitMs`, else it fails at once (a storm of retries is
   * what GitHub's secondary limits punish); anything else (401, 403, 404, 422) fails at once.
   */
  private async retrying<T>(onlyOnce: boolean, send: () => Promise<T>, route: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send()
      } catch (caught) {
        const error = caught as RequestFailure
        const status = error.response?.status
        let waitMs: number | undefined
        if (status === undefined || status >= 500) {
          if (attempt <= this.retries && !onlyOnce) waitMs = this.backoff(attempt)
        } else if (isRateLimit(error)) {
          const asked = rateLimitWaitMs(error)
          if (!this.rateLimitWaited && asked !== undefined && asked <= this.maxRateLimitWaitMs) {
            this.rateLimitWaited = true
            waitMs = asked
          }
        }
        if (waitMs === undefined) {
          if (typeof caught === 'object' && caught !== null) this.attemptsOf.set(caught, attempt)
          throw caught
        }
        this.onRetry?.({ route, attempt, waitMs, reason: this.reasonOf(error) })
        await this.sleep(waitMs)
      }
    }
  }

  /**
   * Runs one API operation and maps whatever it throws to a `GitHubError`, whose message names
   * the real path (`POST /repos/acme/app/deployments`): `params` fill the route's placeholders
   * besides `{owner}` and `{repo}`.
   */
  private async call<T>(
    route: string,
    permission: string,
    run: () => Promise<T>,
    params: Record<string, string | number> = {}
  ): Promise<T> {
    try {
      return await run()
    } catch (caught) {
      if (caught instanceof GitHubError) throw caught
      throw this.toGitHubError(route, permission, caught, params)
    }
  }

  /** The route template with its placeholders filled: what a reader of the message can check. */
  private pathOf(route: string, params: Record<string, unknown> = {}): string {
    const values: Record<string, unknown> = { ...params, owner: this.owner, repo: this.repo }
    return route.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
      const value = values[name]
      return typeof value === 'string' || typeof value === 'number'
        ? encodeURIComponent(String(value))
        : placeholder
    })
  }

  private toGitHubError(
    route: string,
    permission: string,
    caught: unknown,
    params: Record<string, string | number> = {}
  ): GitHubError {
    const shown = this.pathOf(route, params)
    const error = (typeof caught === 'object' && caught !== null ? caught : {}) as RequestFailure
    const attempts = typeof caught === 'object' && caught !== null ? this.attemptsOf.get(caught) : 1
    const tries =
      attempts !== undefined && attempts > 1 ? ` — gave up after ${attempts} attempts` : ''
    const response = error.response
    if (response === undefined) {
      const detail = this.clean(error.message ?? String(caught))
      const what = /timeout|aborted/i.test(`${error.name ?? ''} ${detail}`)
        ? `no answer within ${this.timeoutMs} ms`
        : 'no answer (network error)'
      return new GitHubError({
        status: undefined,
        kind: 'unavailable',
        route,
        attempts,
        message: `${shown}: GitHub gave ${what}: ${detail}${tries}`
      })
    }
    const status = response.status
    const serverMessage = this.serverMessageOf(response.data)
    const said = `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`
    const grant = `the workflow's token needs \`${permission}\` (add it to the job's \`permissions:\`)`
    let kind: GitHubErrorKind
    let lead: string
    if (status === 401) {
      kind = 'permission'
      lead = `GitHub rejected the token (${said}); check github_token`
    } else if ((status === 403 || status === 429) && isRateLimit(error)) {
      kind = 'rate_limit'
      const asked = rateLimitWaitMs(error)
      lead =
        `GitHub's rate limit (${said}); ` +
        (asked === undefined
          ? 'GitHub did not say how long to wait; not retried'
          : `GitHub asked to wait ${Math.ceil(asked / 1000)} s; this run waits at most ${Math.ceil(this.maxRateLimitWaitMs / 1000)} s, once`)
    } else if (status === 403) {
      kind = 'permission'
      lead = `GitHub refused (${said}): ${grant}`
    } else if (status === 404) {
      kind = 'permission'
      lead = `not found (${said}): it does not exist, or the token cannot see it (a private repository needs \`${permission}\`)`
    } else if (status === 422) {
      kind = 'invalid'
      lead = `GitHub refused the request as invalid (${said})`
    } else if (status >= 500) {
      kind = 'unavailable'
      lead = `GitHub is unavailable (${said})`
    } else {
      kind = 'other'
      lead = `GitHub answered ${said}`
    }
    return new GitHubError({
      status,
      kind,
      route,
      attempts,
      serverMessage,
      ...(kind === 'permission' ? { permission } : {}),
      message: `${shown}: ${lead}${tries}`
    })
  }

  private serverMessageOf(data: unknown): string | undefined {
    if (isObject(data) && typeof data.message === 'string') {
      const details = Array.isArray(data.errors)
        ? data.errors
            .map(e => (isObject(e) && typeof e.message === 'string' ? e.message : ''))
            .filter(m => m !== '')
        : []
      return this.clean([data.message, ...details].join(': '))
    }
    if (typeof data === 'string' && data.trim() !== '') {
      return /^\s*</.test(data) ? 'an HTML page (a proxy or gateway error page?)' : this.clean(data)
    }
    return undefined
  }

  private reasonOf(error: RequestFailure): string {
    const status = error.response?.status
    if (status === undefined) return this.clean(error.message ?? 'network error')
    const message = this.serverMessageOf(error.response?.data)
    return `HTTP ${status}${message ? `: ${message}` : ''}`
  }

  /** `/repos/o/r/deployments` from a route template and its parameters, or a full URL (the next page's). */
  private routeOf(url: string, params: Record<string, unknown> = {}): string {
    const path = /^https?:\/\//i.test(url) ? new URL(url).pathname : this.pathOf(url, params)
    return this.clean(path.split('?')[0] ?? path, 120)
  }

  private backoff(attempt: number): number {
    const step = this.backoffBaseMs * 2 ** (attempt - 1)
    return Math.round(step * (0.5 + this.random()))
  }

  private clean(text: string, max?: number): string {
    return redact(text.replace(/\s+/g, ' ').trim(), [this.token], max)
  }
}

/** A 403/429 that GitHub means as a rate limit (primary or secondary), not a refusal. */
function isRateLimit(error: RequestFailure): boolean {
  const response = error.response
  if (!response || (response.status !== 403 && response.status !== 429)) return false
  if (response.status === 429) return true
  if (header(response.headers, 'retry-after') !== undefined) return true
  if (header(response.headers, 'x-ratelimit-remaining') === '0') return true
  const data = response.data
  const message = isObject(data) && typeof data.message === 'string' ? data.message : ''
  return /rate limit/i.test(message)
}

/** How long GitHub asks to wait: `retry-after`, else until `x-ratelimit-reset` when exhausted. */
function rateLimitWaitMs(error: RequestFailure): number | undefined {
  const headers = error.response?.headers ?? {}
  const retryAfter = header(headers, 'retry-after')
  if (retryAfter !== undefined) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000)
    const date = Date.parse(retryAfter)
    return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
  }
  const reset = header(headers, 'x-ratelimit-reset')
  if (
    header(headers, 'x-ratelimit-remaining') === '0' &&
    reset !== undefined &&
    /^\d+$/.test(reset)
  ) {
    return Math.max(0, Number(reset) * 1000 - Date.now())
  }
  return undefined
}

function header(
  headers: Record<string, string | number | undefined>,
  name: string
): string | undefined {
  const value = headers[name]
  return value === undefined ? undefined : String(value).trim()
}

/** The payload of one of our deployments, every field a string; undefined when it is not ours. */
function ourPayload(raw: unknown): DeploymentPayload | undefined {
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

function cut(text: string, max: number): string {
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
