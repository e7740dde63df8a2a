import { HttpClient } from '@actions/http-client'
import type { IncomingHttpHeaders } from 'node:http'
import { USER_AGENT } from '../version.js'
import type { CapgoApi } from './api.js'
import { CapgoError, redact } from './errors.js'
import type {
  Bundle,
  BundleDeleteOutcome,
  CapgoErrorBody,
  Channel,
  ChannelDeleteOutcome,
  ChannelUpsert,
  Device
} from './types.js'

/** Capgo serves 50 rows a page; anything past the first 50 of a page is the paging defect. */
export const PAGE_SIZE = 50
/** A bound on pages, so a server that never ends a listing cannot keep the step running. */
const MAX_PAGES = 20_000

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
  /** Per-attempt timeout. */
  timeoutMs?: number
  /** First backoff step for 5xx and network errors; doubles each retry, with jitter. */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** The longest a 429's Retry-After is honoured; longer asks are cut to this. */
  maxRetryAfterMs?: number
  /**
   * Pages of a listing fetched at once after the first full page (default 1: one after another).
   * Up to this many minus one requests may go past the end of the list.
   */
  listConcurrency?: number
  userAgent?: string
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  onRetry?: (event: RetryEvent) => void
}

interface CallOptions<T> {
  query?: Record<string, string>
  body?: unknown
  /**
   * Turns a final 4xx into a result. `ambiguous` is true when an earlier attempt may have been
   * carried out by the server although its answer was lost (timeout, dropped connection, 5xx).
   */
  recover?: (error: CapgoError, ambiguous: boolean) => Promise<T | undefined> | T | undefined
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

type AttemptResult =
  | { kind: 'answer'; answer: Answer }
  | { kind: 'network'; code: 'network_error' | 'timeout'; detail: string }

const defaultSleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET'
])

/** The one real `CapgoApi`: Capgo's REST API over `@actions/http-client`. */
export class HttpCapgoApi implements CapgoApi {
  private readonly http: HttpClient
  private readonly baseUrl: string
  private readonly apiKey: string
  private readonly retries: number
  private readonly timeoutMs: number
  private readonly backoffBaseMs: number
  private readonly backoffMaxMs: number
  private readonly maxRetryAfterMs: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly random: () => number
  private readonly onRetry: ((event: RetryEvent) => void) | undefined
  private readonly listConcurrency: number
  /** Set by the first 401: every later call fails at once, so a bad key is not tried again. */
  private keyRejected: CapgoError | undefined
  private disposed = false

  constructor(options: HttpCapgoApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.apiKey = options.apiKey
    this.retries = Math.max(0, options.retries ?? 3)
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.backoffBaseMs = options.backoffBaseMs ?? 1000
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000
    this.sleep = options.sleep ?? defaultSleep
    this.random = options.random ?? Math.random
    this.onRetry = options.onRetry
    this.listConcurrency = Math.max(1, Math.floor(options.listConcurrency ?? 1))
    this.http = new HttpClient(options.userAgent ?? USER_AGENT, [], {
      // Retries are ours (they know which writes are safe to repeat); redirects are refused so the
      // key is never sent to a host the user did not name.
      allowRetries: false,
      allowRedirects: false,
      keepAlive: true,
      socketTimeout: this.timeoutMs
    })
  }

  /** Close kept-alive connections. */
  dispose(): void {
    this.disposed = true
    this.http.dispose()
  }

  // ---- bundles -----------------------------------------------------------------------------

  async listBundles(appId: string): Promise<Bundle[]> {
    const rows = await this.listAll<Bundle>('/bundle', appId, 'cannot_get_bundle')
    for (const row of rows) {
      if (typeof row.name !== 'string' || typeof row.created_at !== 'string') {
        throw this.invalidResponse('GET /bundle', `a bundle row without a name or created_at`)
      }
    }
    return rows
  }

  async deleteBundle(appId: string, version: string): Promise<BundleDeleteOutcome> {
    if (typeof version !== 'string' || version.trim() === '') {
      // An empty version makes Capgo delete every bundle of the app.
      throw refused('DELETE /bundle', 'refused to delete a bundle with an empty version name')
    }
    const result = await this.call<unknown>('DELETE', '/bundle', {
      body: { app_id: appId, version },
      recover: (error, ambiguous) =>
        ambiguous && error.code === 'cannot_delete_version' ? 'deleted_on_retry' : undefined
    })
    return result === 'deleted_on_retry' ? 'deleted_on_retry' : 'deleted'
  }

  async deleteAllUnlinkedBundles(appId: string, confirmAppId: string): Promise<void> {
    if (appId.trim() === '' || confirmAppId !== appId) {
      throw refused(
        'DELETE /bundle',
        'refused to delete all bundles: the confirmation must equal the app id'
      )
    }
    await this.call('DELETE', '/bundle', { body: { app_id: appId } })
  }

  // ---- channels ----------------------------------------------------------------------------

  async listChannels(appId: string): Promise<Channel[]> {
    const rows = await this.listAll<Channel>('/channel', appId, undefined)
    for (const row of rows) {
      if (typeof row.name !== 'string') {
        throw this.invalidResponse('GET /channel', 'a channel row without a name')
      }
    }
    return rows
  }

  async getChannel(appId: string, name: string): Promise<Channel | undefined> {
    // Capgo's code for an unknown channel name is `cannot_find_version` (sic).
    return this.getOne<Channel>(
      '/channel',
      { app_id: appId, channel: name },
      'cannot_find_version',
      'name'
    )
  }

  async upsertChannel(body: ChannelUpsert): Promise<void> {
    if ('version' in body) {
      const version: unknown = body.version
      // null, "", "unknown" and "builtin" unlink the channel's bundle: never by accident.
      if (
        typeof version !== 'string' ||
        version.trim() === '' ||
        version === 'unknown' ||
        version === 'builtin'
      ) {
        throw refused('POST /channel', 'refused to send an empty version, which would unlink it')
      }
    }
    if (typeof body.channel !== 'string' || body.channel.trim() === '') {
      throw refused('POST /channel', 'refused to send an empty channel name')
    }
    await this.call('POST', '/channel', { body })
  }

  async deleteChannel(appId: string, name: string): Promise<ChannelDeleteOutcome> {
    if (name.trim() === '') throw refused('DELETE /channel', 'refused: empty channel name')
    const result = await this.call<ChannelDeleteOutcome>('DELETE', '/channel', {
      body: { app_id: appId, channel: name },
      recover: (error, ambiguous) => {
        if (error.code !== 'cannot_find_channel') return undefined
        // Gone after a lost answer: our own earlier attempt deleted it.
        return ambiguous ? 'deleted' : 'not_found'
      }
    })
    return result === 'not_found' ? 'not_found' : 'deleted'
  }

  // ---- devices -----------------------------------------------------------------------------

  async getDevice(appId: string, deviceId: string): Promise<Device | undefined> {
    // Only Capgo's own "unknown device": a bare 404 may be a wrong api_url or a proxy.
    return this.getOne<Device>(
      '/device',
      { app_id: appId, device_id: deviceId },
      'device_not_found',
      'device_id'
    )
  }

  async linkDevice(appId: string, deviceId: string, channel: string): Promise<void> {
    if (deviceId.trim() === '' || channel.trim() === '') {
      throw refused('POST /device', 'refused: empty device id or channel')
    }
    // Deliberately no version_id: Capgo answers 400 invalid_version_id to it.
    await this.call('POST', '/device', {
      body: { app_id: appId, device_id: deviceId, channel },
      recover: async (error, ambiguous) => {
        // Capgo refuses the same link twice within 60 s (429). After a lost answer that means
        // our first attempt worked: check instead of waiting.
        if (error.status !== 429 || !ambiguous) return undefined
        const device = await this.getDevice(appId, deviceId)
        return device?.channel === channel ? true : undefined
      }
    })
  }

  async unlinkDevice(appId: string, deviceId: string): Promise<void> {
    if (deviceId.trim() === '') throw refused('DELETE /device', 'refused: empty device id')
    await this.call('DELETE', '/device', { body: { app_id: appId, device_id: deviceId } })
  }

  // ---- the core: one request with retries --------------------------------------------------

  /** One object by a query, or undefined when Capgo answers `notFoundCode`. */
  private async getOne<T extends object>(
    path: string,
    query: Record<string, string>,
    notFoundCode: string,
    nameField: keyof T & string
  ): Promise<T | undefined> {
    const NOT_FOUND = Symbol('not found')
    const result = await this.call<unknown>('GET', path, {
      query,
      recover: error => (error.code === notFoundCode ? NOT_FOUND : undefined)
    })
    if (result === NOT_FOUND) return undefined
    if (!isObject(result) || typeof result[nameField] !== 'string') {
      throw this.invalidResponse(`GET ${path}`, `an object without a ${nameField}`)
    }
    return result as T
  }

  private async listAll<T extends { id: number }>(
    path: string,
    appId: string,
    endCode: string | undefined
  ): Promise<T[]> {
    const route = `GET ${path}`
    const END = Symbol('end')
    const byId = new Set<number>()
    const rows: T[] = []
    const fetchPage = (page: number): Promise<unknown[] | typeof END> =>
      this.call<unknown[] | typeof END>('GET', path, {
        query: { app_id: appId, page: String(page) },
        recover: error => (endCode !== undefined && error.code === endCode ? END : undefined)
      })
    // The first page alone (most apps fit in it); then `listConcurrency` pages at a time. Pages
    // are taken in order, and the first short or missing page ends the list.
    let window = 1
    for (let page = 0; page < MAX_PAGES; page += window, window = this.listConcurrency) {
      const pages = Array.from({ length: Math.min(window, MAX_PAGES - page) }, (_, i) => page + i)
      // A failure past the end of the list (a page never needed) does not fail the listing.
      for (const settled of await Promise.allSettled(pages.map(fetchPage))) {
        if (settled.status === 'rejected') throw settled.reason
        const result = settled.value
        if (result === END) return rows
        if (!Array.isArray(result)) throw this.invalidResponse(route, 'a page that is not a list')
        // Capgo's paging defect answers page >= 1 with up to 1000 rows from the right offset:
        // only the first 50 belong to this page.
        for (const row of result.slice(0, PAGE_SIZE)) {
          if (!isObject(row) || typeof row.id !== 'number') {
            throw this.invalidResponse(route, 'a row without a numeric id')
          }
          if (byId.has(row.id)) continue
          byId.add(row.id)
          rows.push(row as unknown as T)
        }
        if (result.length < PAGE_SIZE) return rows
      }
    }
    throw this.invalidResponse(route, `more than ${MAX_PAGES} pages`)
  }

  private async call<T>(method: string, path: string, options: CallOptions<T>): Promise<T> {
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
      const result = await this.attempt(method, url, data, headers)
      const failure = this.classify(route, result, attempt)
      if (failure.kind === 'ok') return failure.value as T
      if (failure.error.status === 401) this.keyRejected = failure.error
      if (options.recover && failure.error.status !== undefined) {
        const recovered = await options.recover(failure.error, ambiguous)
        if (recovered !== undefined) return recovered
      }
      if (failure.kind === 'final') throw failure.error
      // No retry once the key was rejected elsewhere or the client closed (the run is ending).
      this.checkUsable(route)
      // Retryable. A write whose answer was lost may have been carried out.
      if (failure.mayHaveActed) ambiguous = true
      if (attempt > this.retries) throw withAttempts(failure.error, attempt)
      const waitMs = failure.retryAfterMs ?? this.backoff(attempt)
      this.onRetry?.({ route, attempt, waitMs, reason: failure.error.message })
      await this.sleep(waitMs)
    }
  }

  private checkUsable(route: string): void {
    if (this.keyRejected) {
      throw new CapgoError({
        status: 401,
        code: this.keyRejected.code,
        route,
        attempts: 0,
        message: `${route}: stopped: the API key was rejected by another request; check the api_key secret`
      })
    }
    if (this.disposed) {
      throw new CapgoError({
        status: undefined,
        code: 'cancelled',
        route,
        attempts: 0,
        message: `${route}: cancelled: the run is ending`
      })
    }
  }

  private classify(
    route: string,
    result: AttemptResult,
    attempt: number
  ):
    | { kind: 'ok'; value: unknown }
    | { kind: 'final'; error: CapgoError }
    | { kind: 'retry'; error: CapgoError; mayHaveActed: boolean; retryAfterMs?: number } {
    if (result.kind === 'network') {
      const what =
        result.code === 'timeout'
          ? `no answer within ${this.timeoutMs} ms`
          : 'the connection was dropped'
      return {
        kind: 'retry',
        mayHaveActed: true,
        error: new CapgoError({
          status: undefined,
          code: result.code,
          route,
          attempts: attempt,
          message: `${route}: ${what} (${this.clean(result.detail)})`
        })
      }
    }
    const { status, headers, text } = result.answer
    const parsed = parseJson(text)
    const isHtml = /^\s*</.test(text) || String(headers['content-type'] ?? '').includes('html')

    if (status >= 200 && status < 300) {
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

    const body: Partial<CapgoErrorBody> = parsed.ok && isObject(parsed.value) ? parsed.value : {}
    const code = typeof body.error === 'string' ? this.clean(body.error, 80) : `http_${status}`
    const serverMessage =
      typeof body.message === 'string'
        ? this.clean(body.message)
        : isHtml
          ? 'an HTML page (a proxy or gateway error page?)'
          : text.trim() === ''
            ? undefined
            : this.clean(text)
    // Every answer error carries the same facts; only the lead of its message differs.
    const answerError = (lead: string): CapgoError =>
      new CapgoError({
        status,
        code,
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
        error: answerError(
          'the API key was rejected; check the api_key secret (the raw key, no "Bearer ")'
        )
      }
    }
    if (status >= 300 && status < 400) {
      const location = this.clean(String(headers.location ?? ''), 120)
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
    if (status === 429) {
      return {
        kind: 'retry',
        mayHaveActed: false,
        retryAfterMs: this.retryAfter(headers, body),
        error: answerError('rate limited')
      }
    }
    if (status >= 500) {
      return { kind: 'retry', mayHaveActed: true, error: answerError('server error') }
    }
    return { kind: 'final', error: answerError('refused') }
  }

  private async attempt(
    method: string,
    url: string,
    data: string | null,
    headers: Record<string, string>
  ): Promise<AttemptResult> {
    let timer: NodeJS.Timeout | undefined
    try {
      const response = await this.http.request(method, url, data, headers)
      // socketTimeout covers a silent socket; this also covers a body that trickles in forever,
      // and a connection closed half-way through the body.
      const body = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = []
        const message = response.message
        let done = false
        const fail = (error: Error & { code?: string }): void => {
          if (done) return
          done = true
          reject(error)
        }
        timer = setTimeout(() => {
          fail(Object.assign(new Error('body not received in time'), { code: 'TIMEOUT' }))
          message.destroy()
        }, this.timeoutMs)
        message.on('data', (chunk: Buffer) => chunks.push(chunk))
        message.on('end', () => {
          if (done) return
          done = true
          resolve(Buffer.concat(chunks).toString('utf8'))
        })
        message.on('error', error => fail(error))
        message.on('aborted', () => fail(new Error('answer cut short (aborted)')))
        message.on('close', () => {
          if (!message.complete) fail(new Error('answer cut short (connection closed)'))
        })
      })
      // A body shorter than its content-length is an answer cut short.
      const declared = Number(response.message.headers['content-length'])
      if (Number.isFinite(declared) && Buffer.byteLength(body) < declared) {
        return { kind: 'network', code: 'network_error', detail: 'answer cut short' }
      }
      return {
        kind: 'answer',
        answer: {
          status: response.message.statusCode ?? 0,
          headers: response.message.headers,
          text: body
        }
      }
    } catch (error) {
      const err = error as { code?: string; message?: string }
      const message = err.message ?? String(error)
      if (err.code === 'TIMEOUT' || /timeout/i.test(message)) {
        return { kind: 'network', code: 'timeout', detail: message }
      }
      if (
        (err.code && NETWORK_ERROR_CODES.has(err.code)) ||
        /socket hang up|aborted|ECONN|premature close/i.test(message)
      ) {
        return { kind: 'network', code: 'network_error', detail: message }
      }
      return { kind: 'network', code: 'network_error', detail: message }
    } finally {
      if (timer) clearTimeout(timer)
    }
  }

  private url(path: string, query?: Record<string, string>): string {
    const url = new URL(this.baseUrl + path)
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value)
    return url.toString()
  }

  private backoff(attempt: number): number {
    const step = this.backoffBaseMs * 2 ** (attempt - 1)
    // Jitter spreads retries of concurrent deletions apart: 50% to 150% of the step, capped.
    return Math.min(this.backoffMaxMs, Math.round(step * (0.5 + this.random())))
  }

  private retryAfter(headers: IncomingHttpHeaders, body: Partial<CapgoErrorBody>): number {
    const seconds =
      retryAfterSeconds(headers['retry-after']) ?? retryAfterSeconds(moreInfoWait(body))
    if (seconds === undefined) return Math.min(this.backoffBaseMs, this.maxRetryAfterMs)
    return Math.min(Math.ceil(seconds * 1000), this.maxRetryAfterMs)
  }

  private clean(text: string, max?: number): string {
    return redact(text.replace(/\s+/g, ' ').trim(), [this.apiKey], max)
  }

  private invalidResponse(route: string, what: string): CapgoError {
    return new CapgoError({
      status: undefined,
      code: 'invalid_response',
      route,
      message: `${route}: unexpected answer from Capgo: ${what}`
    })
  }
}

function refused(route: string, message: string): CapgoError {
  return new CapgoError({
    status: undefined,
    code: 'refused_by_client',
    route,
    attempts: 0,
    message: `${route}: ${message}`
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

/** Retry-After as seconds (a number) or an HTTP date; undefined when absent or unreadable. */
function retryAfterSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  const date = Date.parse(text)
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined
}

function moreInfoWait(body: Partial<CapgoErrorBody>): unknown {
  return isObject(body.moreInfo) ? body.moreInfo.retryAfterSeconds : undefined
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
