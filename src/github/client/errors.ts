// What a failed request means: GitHub's answer (or its absence) mapped to a `GitHubError` whose
// message says what to do, and GitHub's rate-limit headers read.
import { GitHubError, type GitHubErrorKind } from '../api.js'

/** What Octokit throws (`RequestError`), or a bare fetch/abort error. */
export interface RequestFailure {
  status?: number
  message?: string
  name?: string
  response?: { status: number; headers: Record<string, string | number | undefined>; data: unknown }
}

/** Redacts the token, folds whitespace, shortens. */
export type Clean = (text: string, max?: number) => string

/** What the mapping needs from the client. */
export interface ErrorContext {
  timeoutMs: number
  maxRateLimitWaitMs: number
  clean: Clean
}

/** The request that failed. */
export interface FailedRequest {
  /** The route template, e.g. `POST /repos/{owner}/{repo}/deployments`. */
  route: string
  /** The route with its placeholders filled: what the message shows. */
  shown: string
  /** The permission a workflow must grant for this call. */
  permission: string
  /** The attempts made, when the retries counted them. */
  attempts: number | undefined
}

export function toGitHubError(
  context: ErrorContext,
  request: FailedRequest,
  caught: unknown
): GitHubError {
  const { route, shown, permission, attempts } = request
  const error = (typeof caught === 'object' && caught !== null ? caught : {}) as RequestFailure
  const tries =
    attempts !== undefined && attempts > 1 ? ` — gave up after ${attempts} attempts` : ''
  const response = error.response
  if (response === undefined) {
    const detail = context.clean(error.message ?? String(caught))
    const what = /timeout|aborted/i.test(`${error.name ?? ''} ${detail}`)
      ? `no answer within ${context.timeoutMs} ms`
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
  const serverMessage = serverMessageOf(response.data, context.clean)
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
        : `GitHub asked to wait ${Math.ceil(asked / 1000)} s; this run waits at most ${Math.ceil(context.maxRateLimitWaitMs / 1000)} s, once`)
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

/** GitHub's own message (and its `errors`), cleaned; an HTML page is named, not quoted. */
export function serverMessageOf(data: unknown, clean: Clean): string | undefined {
  if (isObject(data) && typeof data.message === 'string') {
    const details = Array.isArray(data.errors)
      ? data.errors
          .map(e => (isObject(e) && typeof e.message === 'string' ? e.message : ''))
          .filter(m => m !== '')
      : []
    return clean([data.message, ...details].join(': '))
  }
  if (typeof data === 'string' && data.trim() !== '') {
    return /^\s*</.test(data) ? 'an HTML page (a proxy or gateway error page?)' : clean(data)
  }
  return undefined
}

/** A 403/429 that GitHub means as a rate limit (primary or secondary), not a refusal. */
export function isRateLimit(error: RequestFailure): boolean {
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
export function rateLimitWaitMs(error: RequestFailure): number | undefined {
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
