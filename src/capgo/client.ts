import { HttpClient } from '@actions/http-client'
import { USER_AGENT } from '../version.js'
import type { BundleListing, CapgoApi, DeviceLinkOutcome } from './api.js'
import { CapgoError, redact } from './errors.js'
import { classify, isObject, type ClassifyContext } from './classify.js'
import { sendOnce } from './http.js'
import { END_OF_LISTING, readListing, type Listing } from './listing.js'
import { RATE_LIMIT_MARGIN_MS, RateLimitGate } from './ratelimit.js'
import type {
  Bundle,
  BundleDeleteOutcome,
  BundleMetadata,
  BundleToChannel,
  Channel,
  ChannelDeleteOutcome,
  ChannelUpsert,
  Device
} from './types.js'

export { PAGE_SIZE, MAX_PAGES } from './listing.js'
export { RATE_LIMIT_MARGIN_MS } from './ratelimit.js'

/** Extra full listings of bundles when upload times tie across a page boundary. */
export const MAX_EXTRA_LISTINGS = 3
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
interface Shape {
  check: (value: unknown) => boolean
  what: string
}

interface CallOptions<T> {
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
const WRITE_OK: Shape = {
  check: value => isObject(value) && (value.status === 'ok' || value.status === 'success'),
  what: 'a write answered without "status": "ok"'
}
const A_LIST: Shape = { check: Array.isArray, what: 'a page that is not a list' }

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
  private readonly maxResponseBytes: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number
  private readonly random: () => number
  private readonly onRetry: ((event: RetryEvent) => void) | undefined
  private readonly listConcurrency: number
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

  // ---- bundles -----------------------------------------------------------------------------

  async listBundles(appId: string): Promise<BundleListing> {
    let firstPageRefused = false
    const first = await this.readBundles(appId, () => (firstPageRefused = true))
    if (firstPageRefused) return { bundles: [], warnings: [], firstPageRefused }
    if (!first.tieAtBoundary) return { bundles: first.rows, warnings: [] }
    // Capgo orders by created_at alone: rows with an equal upload time on both sides of a page
    // boundary come in any order, so one may be skipped and another read twice. Read again and
    // keep every bundle seen, until a listing finds none that the earlier ones missed. (Waiting
    // for two listings to agree would never end: the tied rows come in a new order each time.)
    const union = new Map(first.rows.map(row => [row.id, row]))
    for (let extra = 1; extra <= MAX_EXTRA_LISTINGS; extra++) {
      const again = await this.readBundles(appId)
      let found = 0
      for (const row of again.rows) {
        if (union.has(row.id)) continue
        union.set(row.id, row)
        found++
      }
      if (found === 0) return { bundles: newestFirst(union, first.rows), warnings: [] }
    }
    return {
      bundles: newestFirst(union, first.rows),
      warnings: [
        `The bundle list of ${appId} may be incomplete: bundles with the same upload time ` +
          `(created_at) straddle Capgo's page boundaries, and Capgo returns them in no fixed ` +
          `order, and each of ${MAX_EXTRA_LISTINGS + 1} listings found bundles the others missed. Every bundle seen is ` +
          `kept (none is deleted for having been missed), but counts may be off.`
      ]
    }
  }

  async deleteBundle(appId: string, version: string): Promise<BundleDeleteOutcome> {
    if (typeof version !== 'string' || version.trim() === '') {
      // An empty version makes Capgo delete every bundle of the app.
      throw refused('DELETE /bundle', 'refused to delete a bundle with an empty version name')
    }
    const result = await this.call<unknown>('DELETE', '/bundle', {
      body: { app_id: appId, version },
      expect: WRITE_OK,
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
    await this.call('DELETE', '/bundle', { body: { app_id: appId }, expect: WRITE_OK })
  }

  async setChannelBundle(body: BundleToChannel): Promise<void> {
    const route = 'PUT /bundle'
    if (!isId(body.version_id) || !isId(body.channel_id)) {
      throw refused(route, 'refused: version_id and channel_id must be ids (positive integers)')
    }
    // Setting the same bundle again changes nothing: safe to retry after a lost answer.
    await this.call('PUT', '/bundle', {
      body: { app_id: body.app_id, version_id: body.version_id, channel_id: body.channel_id },
      expect: WRITE_OK
    })
  }

  async setBundleMetadata(body: BundleMetadata): Promise<void> {
    const route = 'POST /bundle/metadata'
    if (!isId(body.version_id)) throw refused(route, 'refused: version_id must be a bundle id')
    const hasLink = typeof body.link === 'string'
    const hasComment = typeof body.comment === 'string'
    if (!hasLink && !hasComment) {
      throw refused(route, 'refused: neither a link nor a comment to set')
    }
    await this.call('POST', '/bundle/metadata', {
      body: {
        app_id: body.app_id,
        version_id: body.version_id,
        ...(hasLink ? { link: body.link } : {}),
        ...(hasComment ? { comment: body.comment } : {})
      },
      expect: WRITE_OK
    })
  }

  // ---- channels ----------------------------------------------------------------------------

  async listChannels(appId: string): Promise<Channel[]> {
    const route = 'GET /channel'
    const listing = await readListing<Channel>({
      fetchPage: page => this.fetchPage('/channel', appId, page, undefined),
      concurrency: this.listConcurrency,
      checkRow: row => {
        if (!isObject(row) || typeof row.id !== 'number') {
          throw this.invalidResponse(route, 'a row without a numeric id')
        }
        if (typeof row.name !== 'string') {
          throw this.invalidResponse(route, 'a channel row without a name')
        }
        return row as unknown as Channel
      },
      notAList: () => this.invalidResponse(route, A_LIST.what),
      tooLong: () => this.invalidResponse(route, 'a listing that never ends')
    })
    return listing.rows
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
    const route = 'POST /channel'
    if ('version' in body && !isBundleName(body.version)) {
      // null, "", "unknown" and "builtin" unlink the channel's bundle: never by accident.
      throw refused(route, 'refused to send an empty version, which would unlink it')
    }
    if ('rolloutVersion' in body && !isBundleName(body.rolloutVersion)) {
      throw refused(route, 'refused to send an empty rolloutVersion')
    }
    if (typeof body.channel !== 'string' || body.channel.trim() === '') {
      throw refused(route, 'refused to send an empty channel name')
    }
    await this.call('POST', '/channel', {
      body,
      expect: WRITE_OK,
      // A promotion (or an abort) whose answer was lost may have been carried out: the retry then
      // finds no rollout left. That is the earlier attempt's success; the read-back checks it.
      recover: (error, ambiguous) =>
        ambiguous &&
        error.code === 'missing_rollout_version' &&
        (body.promoteToStable === true || body.rollback === true)
          ? true
          : undefined
    })
  }

  async deleteChannel(appId: string, name: string): Promise<ChannelDeleteOutcome> {
    if (name.trim() === '') throw refused('DELETE /channel', 'refused: empty channel name')
    const result = await this.call<ChannelDeleteOutcome>('DELETE', '/channel', {
      body: { app_id: appId, channel: name },
      expect: WRITE_OK,
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

  async linkDevice(appId: string, deviceId: string, channel: string): Promise<DeviceLinkOutcome> {
    if (deviceId.trim() === '' || channel.trim() === '') {
      throw refused('POST /device', 'refused: empty device id or channel')
    }
    // Deliberately no version_id: Capgo answers 400 invalid_version_id to it.
    const outcome = await this.call<unknown>('POST', '/device', {
      body: { app_id: appId, device_id: deviceId, channel },
      expect: WRITE_OK,
      recover: async (error, ambiguous) => {
        // Capgo refuses the same link twice within 60 s (429), counting every attempt. A device
        // that shows the link is done. A device that never contacted Capgo is not found even when
        // linked (docs/capgo-api-notes.md, "Devices"): after a lost answer of this run, the
        // ordinary 429 path waits Capgo's Retry-After and sends the link again (setting the same
        // override twice is harmless); on a first attempt, the refusal itself says that this
        // device was set to this channel moments ago (a re-run within the minute).
        if (error.status !== 429) return undefined
        let device: Device | undefined
        try {
          device = await this.getDevice(appId, deviceId)
        } catch {
          return undefined
        }
        if (device?.channel === channel) return 'linked'
        if (device === undefined && !ambiguous) return 'set_moments_ago'
        return undefined
      }
    })
    return outcome === 'set_moments_ago' ? 'set_moments_ago' : 'linked'
  }

  async unlinkDevice(appId: string, deviceId: string): Promise<void> {
    if (deviceId.trim() === '') throw refused('DELETE /device', 'refused: empty device id')
    await this.call('DELETE', '/device', {
      body: { app_id: appId, device_id: deviceId },
      expect: WRITE_OK
    })
  }

  // ---- listings and single objects ---------------------------------------------------------

  /**
   * `cannot_get_bundle` ends a listing: Capgo before August 2026 answered it past the last page.
   * On the first page it may also be a refusal (a key that cannot reach the app), which only the
   * caller can tell apart: `onFirstPageRefused` says it happened.
   */
  private readBundles(
    appId: string,
    onFirstPageRefused: () => void = () => undefined
  ): Promise<Listing<Bundle>> {
    const route = 'GET /bundle'
    return readListing<Bundle>({
      fetchPage: async page => {
        const result = await this.fetchPage('/bundle', appId, page, 'cannot_get_bundle')
        if (page === 0 && result === END_OF_LISTING) onFirstPageRefused()
        return result
      },
      concurrency: this.listConcurrency,
      checkRow: row => {
        if (!isObject(row) || typeof row.id !== 'number') {
          throw this.invalidResponse(route, 'a row without a numeric id')
        }
        if (typeof row.name !== 'string' || typeof row.created_at !== 'string') {
          throw this.invalidResponse(route, 'a bundle row without a name or created_at')
        }
        return row as unknown as Bundle
      },
      notAList: () => this.invalidResponse(route, A_LIST.what),
      tooLong: () => this.invalidResponse(route, 'a listing that never ends'),
      orderField: 'created_at'
    })
  }

  private fetchPage(
    path: string,
    appId: string,
    page: number,
    endCode: string | undefined
  ): Promise<unknown> {
    return this.call<unknown>('GET', path, {
      query: { app_id: appId, page: String(page) },
      expect: A_LIST,
      recover: error =>
        endCode !== undefined && error.code === endCode ? END_OF_LISTING : undefined
    })
  }

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
      expect: {
        check: value => isObject(value) && typeof value[nameField] === 'string',
        what: `an object without a ${nameField}`
      },
      recover: error => (error.code === notFoundCode ? NOT_FOUND : undefined)
    })
    if (result === NOT_FOUND) return undefined
    return result as T
  }

  // ---- the core: one request with retries --------------------------------------------------

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
          throw this.invalidResponse(route, options.expect.what, attempt)
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

  private invalidResponse(route: string, what: string, attempts = 1): CapgoError {
    return new CapgoError({
      status: undefined,
      code: 'invalid_response',
      route,
      attempts,
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

/** A bundle name that cannot unlink: not null, "", "unknown" or "builtin". */
function isBundleName(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.trim() !== '' &&
    value.trim() !== 'unknown' &&
    value.trim() !== 'builtin'
  )
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

/**
 * The union of listings, newest first. The first listing is in Capgo's order already; rows found
 * only by a re-read are placed by their upload time (a stable sort keeps the rest as it was).
 */
function newestFirst(union: Map<number, Bundle>, first: readonly Bundle[]): Bundle[] {
  if (union.size === first.length) return [...first]
  const keyed = [...union.values()].map(row => ({ row, time: timeOf(row.created_at) }))
  keyed.sort((a, b) => b.time - a.time)
  return keyed.map(entry => entry.row)
}

function timeOf(text: string): number {
  const time = Date.parse(text)
  return Number.isFinite(time) ? time : Number.NEGATIVE_INFINITY
}
