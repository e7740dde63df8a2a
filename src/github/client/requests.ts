// Requests and retries: the Octokit every GitHub call goes through, its retries, and the mapping
// of whatever a call throws to a `GitHubError` whose message names the real path.
import { getOctokit } from '@actions/github'
import { redact } from '../../secrets.js'
import { USER_AGENT } from '../../version.js'
import { GitHubError } from '../api.js'
import {
  isRateLimit,
  rateLimitWaitMs,
  serverMessageOf,
  toGitHubError,
  type RequestFailure
} from './errors.js'

/** GitHub's largest page. */
export const PER_PAGE = 100
/** The longest a rate limit's wait is honoured (once per client); a longer ask gives up at once. */
const MAX_RATE_LIMIT_WAIT_MS = 10_000
/** "A few" retries of a 5xx: more are refused, whatever the caller asks. */
const MAX_RETRIES = 5

export const DEPLOYMENTS_READ = 'deployments: read'
export const DEPLOYMENTS_WRITE = 'deployments: write'
/** Comments on a pull request need `pull-requests: write` (or `issues: write`). */
export const COMMENTS_WRITE = 'pull-requests: write'

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

export type Octokit = ReturnType<typeof getOctokit>

const defaultSleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const noop = (): void => undefined

/** One client's Octokit, with the retries and the error mapping every call shares. */
export class GitHubRequests {
  readonly octokit: Octokit
  readonly owner: string
  readonly repo: string
  readonly retries: number
  readonly sleep: (ms: number) => Promise<void>
  private readonly token: string
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

  /**
   * Runs one API operation and maps whatever it throws to a `GitHubError`, whose message names
   * the real path (`POST /repos/acme/app/deployments`): `params` fill the route's placeholders
   * besides `{owner}` and `{repo}`.
   */
  async call<T>(
    route: string,
    permission: string,
    run: () => Promise<T>,
    params: Record<string, string | number> = {}
  ): Promise<T> {
    try {
      return await run()
    } catch (caught) {
      if (caught instanceof GitHubError) throw caught
      const attempts =
        typeof caught === 'object' && caught !== null ? this.attemptsOf.get(caught) : 1
      throw toGitHubError(
        {
          timeoutMs: this.timeoutMs,
          maxRateLimitWaitMs: this.maxRateLimitWaitMs,
          clean: (text, max) => this.clean(text, max)
        },
        { route, shown: this.pathOf(route, params), permission, attempts },
        caught
      )
    }
  }

  /** The route template with its placeholders filled: what a reader of the message can check. */
  pathOf(route: string, params: Record<string, unknown> = {}): string {
    const values: Record<string, unknown> = { ...params, owner: this.owner, repo: this.repo }
    return route.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
      const value = values[name]
      return typeof value === 'string' || typeof value === 'number'
        ? encodeURIComponent(String(value))
        : placeholder
    })
  }

  backoff(attempt: number): number {
    const step = this.backoffBaseMs * 2 ** (attempt - 1)
    return Math.round(step * (0.5 + this.random()))
  }

  clean(text: string, max?: number): string {
    return redact(text.replace(/\s+/g, ' ').trim(), [this.token], max)
  }

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

  private reasonOf(error: RequestFailure): string {
    const status = error.response?.status
    if (status === undefined) return this.clean(error.message ?? 'network error')
    const message = serverMessageOf(error.response?.data, (text, max) => this.clean(text, max))
    return `HTTP ${status}${message ? `: ${message}` : ''}`
  }

  /** `/repos/o/r/deployments` from a route template and its parameters, or a full URL (the next page's). */
  private routeOf(url: string, params: Record<string, unknown> = {}): string {
    const path = /^https?:\/\//i.test(url) ? new URL(url).pathname : this.pathOf(url, params)
    return this.clean(path.split('?')[0] ?? path, 120)
  }
}
