// What one attempt's outcome means: a success, a final refusal, or a retry (and how long every
// request must then pause). docs/capgo-api-notes.md, "Common rules" and "Rate limits and lockout".
import type { IncomingHttpHeaders } from 'node:http'
import { CapgoError } from './errors.js'
import type { AttemptResult } from './http.js'
import { LOCKOUT_REASON, askedWaitMs, formatDuration, withinCap } from './ratelimit.js'
import type { CapgoErrorBody } from './types.js'

/** What classification needs from the client. */
export interface ClassifyContext {
  timeoutMs: number
  maxResponseBytes: number
  maxRetryAfterMs: number
  now: () => number
  backoff: (attempt: number) => number
  /** Redacts the key, folds whitespace, shortens. */
  clean: (text: string, max?: number) => string
}

export type Verdict =
  | { kind: 'ok'; value: unknown }
  | { kind: 'final'; error: CapgoError; stopsClient?: boolean }
  | {
      kind: 'retry'
      error: CapgoError
      mayHaveActed: boolean
      /** A 429: how long every request of the client must wait before the next is sent. */
      pauseMs?: number
    }

export function classify(
  ctx: ClassifyContext,
  route: string,
  url: URL,
  result: AttemptResult,
  attempt: number
): Verdict {
  if (result.kind === 'failed') return classifyFailure(ctx, route, url, result, attempt)
  const { status, headers, text } = result.answer
  const parsed = parseJson(text)
  const isHtml = /^\s*</.test(text) || String(headers['content-type'] ?? '').includes('html')
  const body: Partial<CapgoErrorBody> = parsed.ok && isObject(parsed.value) ? parsed.value : {}
  // Any answer naming an error is one, whatever its status: `200 {"error": ...}` did not succeed.
  const named = typeof body.error === 'string'

  if (status >= 200 && status < 300 && !named) {
    if (parsed.ok) return { kind: 'ok', value: parsed.value }
    // A 2xx with a body cut short: the server acted, the answer is unusable. Try again.
    return {
      kind: 'retry',
      mayHaveActed: true,
      error: new CapgoError({
        status,
        code: 'invalid_response',
        route,
        attempts: attempt,
        message: `${route}: HTTP ${status} with a body that is not valid JSON (cut short?)`
      })
    }
  }

  const code = named ? ctx.clean(body.error as string, 80) : `http_${status}`
  const serverMessage =
    typeof body.message === 'string'
      ? ctx.clean(body.message)
      : isHtml
        ? 'an HTML page (a proxy or gateway error page?)'
        : text.trim() === ''
          ? undefined
          : ctx.clean(text)
  // Every answer error carries the same facts; only the lead of its message differs.
  const answerError = (lead: string, errorCode = code): CapgoError =>
    new CapgoError({
      status,
      code: errorCode,
      route,
      attempts: attempt,
      serverMessage,
      message:
        `${route}: ${lead} (HTTP ${status}${code === `http_${status}` ? '' : `, ${code}`})` +
        (serverMessage ? `: ${serverMessage}` : '')
    })

  if (status === 401) {
    return {
      kind: 'final',
      stopsClient: true,
      error: answerError(
        'the API key was rejected; check the api_key secret (the raw key, no "Bearer ")'
      )
    }
  }
  if (status >= 300 && status < 400) {
    const location = ctx.clean(String(headers.location ?? ''), 120)
    return {
      kind: 'final',
      error: new CapgoError({
        status,
        code: 'redirect_refused',
        route,
        attempts: attempt,
        message: `${route}: HTTP ${status} redirect${location ? ` to ${location}` : ''} not followed, so the API key is not sent elsewhere; set api_url to the final address`
      })
    }
  }
  if (status === 429) return classifyRateLimit(ctx, route, headers, body, attempt, serverMessage)
  if (status >= 500) {
    return { kind: 'retry', mayHaveActed: true, error: answerError('server error') }
  }
  return { kind: 'final', error: answerError('refused') }
}

function classifyFailure(
  ctx: ClassifyContext,
  route: string,
  url: URL,
  result: Extract<AttemptResult, { kind: 'failed' }>,
  attempt: number
): Verdict {
  const error = (code: string, what: string): CapgoError =>
    new CapgoError({
      status: undefined,
      code,
      route,
      attempts: attempt,
      message: `${route}: ${ctx.clean(what, 400)}`
    })
  const detail = ctx.clean(result.detail, 200)
  switch (result.failure) {
    case 'timeout':
      return {
        kind: 'retry',
        mayHaveActed: true,
        error: error('timeout', `no complete answer within ${seconds(ctx.timeoutMs)} s`)
      }
    case 'refused':
      // Nothing reached a server: nothing was done.
      return {
        kind: 'retry',
        mayHaveActed: false,
        error: error(
          'network_error',
          `connection refused by ${url.host} (is api_url right? nothing is listening there)`
        )
      }
    case 'host_not_found':
      return {
        kind: 'final',
        error: error(
          'host_not_found',
          `the host ${url.hostname} was not found (DNS); check api_url`
        )
      }
    case 'dns_temporary':
      return {
        kind: 'retry',
        mayHaveActed: false,
        error: error(
          'network_error',
          `the host ${url.hostname} could not be resolved just now (temporary DNS failure)`
        )
      }
    case 'too_large':
      return {
        kind: 'final',
        error: error(
          'response_too_large',
          `the answer is larger than ${ctx.maxResponseBytes} bytes (${detail}); not read further`
        )
      }
    case 'dropped':
      return {
        kind: 'retry',
        mayHaveActed: true,
        error: error('network_error', `the connection was dropped (${detail})`)
      }
    default:
      return {
        kind: 'retry',
        mayHaveActed: true,
        error: error('network_error', `network error (${detail})`)
      }
  }
}

function classifyRateLimit(
  ctx: ClassifyContext,
  route: string,
  headers: IncomingHttpHeaders,
  body: Partial<CapgoErrorBody>,
  attempt: number,
  serverMessage: string | undefined
): Verdict {
  const moreInfo = isObject(body.moreInfo) ? body.moreInfo : undefined
  const asked = askedWaitMs(headers, moreInfo, ctx.now())
  const code = typeof body.error === 'string' ? ctx.clean(body.error, 80) : 'http_429'
  const make = (errorCode: string, message: string): CapgoError =>
    new CapgoError({
      status: 429,
      code: errorCode,
      route,
      attempts: attempt,
      serverMessage,
      message
    })

  if (moreInfo?.reason === LOCKOUT_REASON || body.error === LOCKOUT_REASON) {
    const duration = asked === undefined ? 'up to 15 min' : `another ${formatDuration(asked)}`
    return {
      kind: 'final',
      stopsClient: true,
      error: make(
        'ip_locked_out',
        `${route}: the runner's IP address is locked out by Capgo after too many failed logins ` +
          `(missing or wrong API keys) for ${duration}; every request from it is refused until ` +
          `then. Check the api_key secret, and re-run after that time (HTTP 429, ${LOCKOUT_REASON})`
      )
    }
  }
  if (asked !== undefined && !withinCap(asked, ctx.maxRetryAfterMs)) {
    return {
      kind: 'final',
      stopsClient: true,
      error: make(
        code,
        `${route}: rate limited: Capgo asks for a pause of ${formatDuration(asked)}, longer than ` +
          `the ${formatDuration(ctx.maxRetryAfterMs)} this run waits; stopped rather than send ` +
          `requests that would push the limit back (HTTP 429, ${code})`
      )
    }
  }
  const waitMs = Math.min(asked ?? ctx.backoff(attempt), ctx.maxRetryAfterMs + 1000)
  return {
    kind: 'retry',
    mayHaveActed: false,
    pauseMs: waitMs,
    error: make(
      code,
      `${route}: rate limited (HTTP 429${code === 'http_429' ? '' : `, ${code}`}); every request waits ${formatDuration(waitMs)}`
    )
  }
}

function seconds(ms: number): string {
  return String(Math.round(ms) / 1000)
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
