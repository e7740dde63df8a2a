// Capgo's rate limit (docs/capgo-api-notes.md, "Rate limits and lockout"): every request counts, refused
// ones too, and each one pushes the key's reset back. So after a 429 the whole client pauses until
// the reset, and requests wait BEFORE they are sent: a request sent while limited would only push
// the reset back again.
import type { IncomingHttpHeaders } from 'node:http'

/** Added to the reset Capgo names, so the first request after the pause is not a hair early. */
export const RATE_LIMIT_MARGIN_MS = 200
/** Retry-After and X-RateLimit-Reset count whole seconds: an ask this much over the cap is kept. */
const WHOLE_SECOND_TOLERANCE_MS = 1000
/**
 * An absolute reset time (X-RateLimit-Reset, an HTTP date) is read with the runner's clock; when a
 * relative wait came too, the absolute one may extend it by this much at most, so a runner whose
 * clock is off does not turn a 2 s pause into a failure.
 */
const CLOCK_SKEW_ALLOWANCE_MS = 5000

/** Capgo's reason for the 429 of an IP locked out after failed logins. */
export const LOCKOUT_REASON = 'too_many_failed_auth_attempts'

/**
 * One gate for every request of a client. `closeFor` shuts it for a while (the later reopening wins);
 * `pass` resolves once it is open.
 */
export class RateLimitGate {
  private gate: { until: number; opened: Promise<void> } | undefined

  constructor(
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => number
  ) {}

  /** Waits while the gate is closed, including closes that happen during the wait. */
  async pass(): Promise<void> {
    for (let gate = this.gate; gate; gate = this.gate) await gate.opened
  }

  /** Shut the gate for `ms` from now, unless it is already shut until later. */
  closeFor(ms: number): void {
    // One reading of the clock: the wait is exactly what was asked, however busy the machine.
    const until = this.now() + ms
    if (this.gate && this.gate.until >= until) return
    const gate = { until, opened: Promise.resolve() }
    gate.opened = this.sleep(Math.max(0, ms)).then(() => {
      if (this.gate === gate) this.gate = undefined
    })
    this.gate = gate
  }

  /** How long until the gate opens (0 when open). */
  remainingMs(): number {
    return this.gate ? Math.max(0, this.gate.until - this.now()) : 0
  }
}

/**
 * How long Capgo asks to wait, in ms from `now`, from every place it may say so: `Retry-After`
 * (seconds or an HTTP date), `X-RateLimit-Reset` (epoch seconds), `moreInfo.retryAfterSeconds`,
 * `moreInfo.rateLimitResetAt` (epoch ms). The latest wins. Undefined when none is readable.
 */
export function askedWaitMs(
  headers: IncomingHttpHeaders,
  moreInfo: Record<string, unknown> | undefined,
  now: number
): number | undefined {
  const relative: number[] = []
  const absolute: number[] = []
  const retryAfter = headerValue(headers['retry-after'])
  if (retryAfter !== undefined) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) relative.push(Number(retryAfter) * 1000)
    else {
      const date = Date.parse(retryAfter)
      if (Number.isFinite(date)) absolute.push(date - now)
    }
  }
  const resetSeconds = Number(headerValue(headers['x-ratelimit-reset']) ?? NaN)
  if (Number.isFinite(resetSeconds) && resetSeconds > 0) absolute.push(resetSeconds * 1000 - now)
  const bodySeconds = moreInfo?.retryAfterSeconds
  if (typeof bodySeconds === 'number' && Number.isFinite(bodySeconds) && bodySeconds >= 0) {
    relative.push(bodySeconds * 1000)
  }
  const resetAt = moreInfo?.rateLimitResetAt
  if (typeof resetAt === 'number' && Number.isFinite(resetAt) && resetAt > 0) {
    absolute.push(resetAt - now)
  }
  if (relative.length + absolute.length === 0) return undefined
  const fromRelative = relative.length > 0 ? Math.max(...relative) : undefined
  let wait = fromRelative ?? 0
  for (const value of absolute) {
    const bounded =
      fromRelative === undefined ? value : Math.min(value, fromRelative + CLOCK_SKEW_ALLOWANCE_MS)
    wait = Math.max(wait, bounded)
  }
  return Math.max(0, Math.ceil(wait))
}

/** True when a wait of `askedMs` is within `capMs`, allowing for whole-second headers. */
export function withinCap(askedMs: number, capMs: number): boolean {
  return askedMs <= capMs + WHOLE_SECOND_TOLERANCE_MS
}

/** "14 min 30 s", "45 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000))
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  if (minutes === 0) return `${rest} s`
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text === undefined || text.trim() === '' ? undefined : text.trim()
}
