// Requests and retries: one Capgo request with its retries, the rate-limit gate every request
// passes, and the stop that ends every later request once the key or the IP is refused.
import { HttpClient } from '@actions/http-client'
import { redact } from '../../secrets.js'
import { USER_AGENT } from '../../version.js'
import { classify, isObject, type ClassifyContext } from '../classify.js'
import { CapgoError } from '../errors.js'
import { sendOnce } from '../http.js'
import { RATE_LIMIT_MARGIN_MS, RateLimitGate } from '../ratelimit.js'

/** Default cap on one answer's body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

export interface RetryEvent {
  route: string
  /** The attempt that failed, from 1. */
  attempt: number
  /** How long the client waits before the next attempt. */
  waitMs: number
  reason: string
}

export interface HttpCapgoApiOptions {
  baseUrl: string
  apiKey: string
  /** Retries after 429, 5xx, a timeout or a dropped connection (not counting the first try). */
  retries?: number
  /** Bounds each attempt, from the first byte sent to the last byte read. */
  timeoutMs?: number
  /** First backoff step for 5xx and network errors; doubles each retry, with jitter. */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /**
   * The longest pause after a 429 (default 60 s). When Capgo asks for longer, the request fails
   * and the client stops, rather than send requests that would only push the limit back.
   */
  maxRetryAfterMs?: number
  /** An answer larger than this fails with `response_too_large` (default 64 MiB). */
  maxResponseBytes?: number
  /**
   * Pages of a listing fetched at once on a server that pages by 50 (default 1: one after
   * another). Up to this many minus one requests may go past the end of the list.
   */
  listConcurrency?: number
  userAgent?: string
  sleep?: (ms: number) => Promise<void>
  /** The clock for absolute reset times (X-RateLimit-Reset); default Date.now. */
  now?: () => number
  random?: () => number
  onRetry?: (event: RetryEvent) => void
}

/** What a successful answer must look like; anything else is `invalid_response`. */
export interface Shape {
  check: (value: unknown) => boolean
  what: string
}

export interface CallOptions<T> {
  query?: Record<string, string>
  body?: unknown
  expect?: Shape
  /**
   * Turns a final 4xx into a result. `ambiguous` is true when an earlier attempt may have been
   * carried out by the server although its answer was lost (timeout, dropped connection, 5xx).
   */
  recover?: (error: CapgoError, ambiguous: boolean) => Promise<T | undefined> | T | undefined
}

/** `{"status":"ok"}` or `{"status":"success", ...}`: the answer of every write. */
export const WRITE_OK: Shape = {
  check: value => isObject(value) && (value.status === 'ok' || value.status === 'success'),
  what: 'a write answered without "status": "ok"'
}
export const A_LIST: Shape = { check: Array.isArray, what: 'a page that is not a list' }

/** One client's connection to Capgo: every request of `HttpCapgoApi` goes through `call`. */
export class CapgoRequests {
  readonly listConcurrency: number
  private readonly http: HttpClient
  private readonly baseUrl: string
  private readonly apiKey: string
  private readonly retries: number
  private readonly timeoutMs: number
  private readonly backoffBaseMs: number
  private readonly backoffMaxMs: number
  private readonly maxRetryAfterMs: number
  private readonly maxResponseBytes: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number
  private readonly random: () => number
  private readonly onRetry: ((event: RetryEvent) => void) | undefined
  private readonly gate: RateLimitGate
  private readonly classifyContext: ClassifyContext
  /** Waits of the default sleep, ended early by dispose() so no timer holds the process. */
  private readonly pendingSleeps = new Map<NodeJS.Timeout, () => void>()
  /**
   * Set by a 401, Capgo's IP lockout, or a rate-limit pause longer than allowed: every later call
   * fails at once with this reason, so nothing more is sent that could only make it worse.
   */
  private stopped: { error: CapgoError; why: string } | undefined
  private disposed = false

  constructor(options: HttpCapgoApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.apiKey = options.apiKey
    this.retries = Math.max(0, options.retries ?? 3)
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.backoffBaseMs = options.backoffBaseMs ?? 1000
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.sleep = options.sleep ?? (ms => this.defaultSleep(ms))
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    this.onRetry = options.onRetry
    this.listConcurrency = Math.max(1, Math.floor(options.listConcurrency ?? 1))
    this.gate = new RateLimitGate(this.sleep, this.now)
    this.classifyContext = {
      timeoutMs: this.timeoutMs,
      maxResponseBytes: this.maxResponseBytes,
      maxRetryAfterMs: this.maxRetryAfterMs,
      now: this.now,
      backoff: attempt => this.backoff(attempt),
      clean: (text, max) => this.clean(text, max)
    }
    this.http = new HttpClient(options.userAgent ?? USER_AGENT, [], {
      // Retries are ours (they know which writes are safe to repeat); redirects are refused so the
      // key is never sent to a host the user did not name.
      allowRetries: false,
      allowRedirects: false,
      keepAlive: true,
      // The idle timeout; sendOnce adds the deadline for the whole attempt.
      socketTimeout: this.timeoutMs
    })
  }

  /** Close kept-alive connections and end every wait. */
  dispose(): void {
    this.disposed = true
    for (const [timer, wake] of this.pendingSleeps) {
      clearTimeout(timer)
      wake()
    }
    this.pendingSleeps.clear()
    this.http.dispose()
  }

  async call<T>(method: string, path: string, options: CallOptions<T>): Promise<T> {
    const route = `${method} ${path}`
    const url = this.url(path, options.query)
    const data = options.body === undefined ? null : JSON.stringify(options.body)
    const headers: Record<string, string> = {
      authorization: this.apiKey,
      capgkey: this.apiKey,
      accept: 'application/json'
    }
    if (data !== null) headers['content-type'] = 'application/json'

    let ambiguous = false
    for (let attempt = 1; ; attempt++) {
      this.checkUsable(route)
      // After a 429 every request waits here, before it is sent: one sent while limited would
      // push Capgo's reset back.
      await this.gate.pass()
      this.checkUsable(route)
      const result = await sendOnce(this.http, {
        method,
        url,
        data,
        headers,
        timeoutMs: this.timeoutMs,
        maxResponseBytes: this.maxResponseBytes
      })
      const verdict = classify(this.classifyContext, route, url, result, attempt)
      if (verdict.kind === 'ok') {
        if (options.expect && !options.expect.check(verdict.value)) {
          throw invalidResponse(route, options.expect.what, attempt)
        }
        return verdict.value as T
      }
      if (options.recover && verdict.error.status !== undefined) {
        const recovered = await options.recover(verdict.error, ambiguous)
        if (recovered !== undefined) return recovered
      }
      if (verdict.kind === 'final' && verdict.stopsClient) this.stop(verdict.error)
      if (verdict.kind === 'final') throw verdict.error
      if (verdict.pauseMs !== undefined) {
        this.gate.closeFor(verdict.pauseMs + RATE_LIMIT_MARGIN_MS)
      }
      // No retry once the client was stopped elsewhere or closed (the run is ending). This request
      // was sent (`attempt` times): its error says so, unlike one that never left.
      this.checkUsable(route, attempt)
      // Retryable. A write whose answer was lost may have been carried out.
      if (verdict.mayHaveActed) ambiguous = true
      if (attempt > this.retries) throw withAttempts(verdict.error, attempt)
      if (verdict.pauseMs !== undefined) {
        // The 429 counts as an attempt; the wait is the gate's, at the top of the loop.
        this.onRetry?.({
          route,
          attempt,
          waitMs: this.gate.remainingMs(),
          reason: verdict.error.message
        })
        continue
      }
      const waitMs = this.backoff(attempt)
      this.onRetry?.({ route, attempt, waitMs, reason: verdict.error.message })
      await this.sleep(waitMs)
    }
  }

  private stop(error: CapgoError): void {
    if (this.stopped) return
    const why =
      error.code === 'ip_locked_out'
        ? error.message.replace(/^[^:]*: /, '')
        : error.status === 401
          ? 'the API key was rejected by another request; check the api_key secret'
          : `another request was told to wait longer than allowed: ${error.message.replace(/^[^:]*: /, '')}`
    this.stopped = { error, why }
  }

  /** `attempts`: how often this request was sent already (0: never, so it did nothing). */
  private checkUsable(route: string, attempts = 0): void {
    if (this.stopped) {
      throw new CapgoError({
        status: this.stopped.error.status,
        code: this.stopped.error.code,
        route,
        attempts,
        message: `${route}: stopped: ${this.stopped.why}`
      })
    }
    if (this.disposed) {
      throw new CapgoError({
        status: undefined,
        code: 'cancelled',
        route,
        attempts,
        message: `${route}: cancelled: the run is ending`
      })
    }
  }

  private url(path: string, query?: Record<string, string>): URL {
    const url = new URL(this.baseUrl + path)
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value)
    return url
  }

  private backoff(attempt: number): number {
    const step = this.backoffBaseMs * 2 ** (attempt - 1)
    // Jitter spreads retries of concurrent deletions apart: 50% to 150% of the step, capped.
    return Math.min(this.backoffMaxMs, Math.round(step * (0.5 + this.random())))
  }

  private defaultSleep(ms: number): Promise<void> {
    if (this.disposed) return Promise.resolve()
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.pendingSleeps.delete(timer)
        resolve()
      }, ms)
      this.pendingSleeps.set(timer, resolve)
    })
  }

  private clean(text: string, max?: number): string {
    // Redact before the whitespace is folded and the text shortened.
    const redacted = redact(text, [this.apiKey], Number.MAX_SAFE_INTEGER)
    const folded = redacted.replace(/\s+/g, ' ').trim()
    return redact(folded, [this.apiKey], max)
  }
}

export function invalidResponse(route: string, what: string, attempts = 1): CapgoError {
  return new CapgoError({
    status: undefined,
    code: 'invalid_response',
    route,
    attempts,
    message: `${route}: unexpected answer from Capgo: ${what}`
  })
}

function withAttempts(error: CapgoError, attempts: number): CapgoError {
  return new CapgoError({
    status: error.status,
    code: error.code,
    route: error.route,
    serverMessage: error.serverMessage,
    attempts,
    message: `${error.message} — gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`
  })
}
