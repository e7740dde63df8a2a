// The per-key rate limit and the per-IP lockout of Capgo's auth middleware
// (Cap-go/capgo supabase/functions/_backend/utils/hono_middleware.ts middlewareKey, utils/rate_limit.ts,
// utils/on_error.ts for the 429's headers). Described in docs/capgo-api-notes.md, "Rate limits and lockout".
import { tooMany } from './handlers/index.js'
import type { Reply } from './handlers/index.js'
import type { EmulatorOptions, EmulatorStats } from './types.js'

interface Counter {
  count: number
  /** ms; the counter is gone once now >= resetAt (a cache entry whose TTL ran out). */
  resetAt: number
}

export interface Limits {
  /** Before the key is read: a 429 when the IP is locked out. */
  lockedOut(ip: string, now: number): Reply | undefined
  /** A missing or unknown key. */
  failedLogin(ip: string, now: number): void
  /** After the key is known: counts the request, then a 429 when the key is over its limit. */
  keyRequest(key: string, keyId: number, now: number): Reply | undefined
  stats: EmulatorStats
}

export function createLimits(options: EmulatorOptions): Limits {
  const max = options.rateLimit?.max ?? 2000
  const windowMs = options.rateLimit?.windowMs ?? 60_000
  const failuresMax = options.lockout?.failures ?? 20
  const lockoutMs = options.lockout?.windowMs ?? 15 * 60_000
  const byIp = new Map<string, Counter>()
  const byKey = new Map<string, Counter>()
  const stats: EmulatorStats = { rateLimited: 0, lockedOut: 0, failedLogins: 0 }

  const live = (m: Map<string, Counter>, k: string, now: number): Counter | undefined => {
    const c = m.get(k)
    if (c && now >= c.resetAt) {
      m.delete(k)
      return undefined
    }
    return c
  }

  return {
    stats,
    lockedOut(ip, now) {
      const c = live(byIp, ip, now)
      if (!c || c.count < failuresMax) return undefined
      stats.lockedOut++
      return tooMany(
        (c.resetAt - now) / 1000,
        { reason: 'too_many_failed_auth_attempts' },
        c.resetAt
      )
    },
    failedLogin(ip, now) {
      stats.failedLogins++
      // Each failure restarts the window (the cache entry is written again with a full TTL).
      const c = live(byIp, ip, now)
      byIp.set(ip, { count: (c?.count ?? 0) + 1, resetAt: now + lockoutMs })
    },
    keyRequest(key, keyId, now) {
      // Recorded first, then checked: a request that brings the count to `max` is refused, and a
      // refused request still counts and pushes the reset back.
      const c = live(byKey, key, now)
      const next = { count: (c?.count ?? 0) + 1, resetAt: now + windowMs }
      byKey.set(key, next)
      if (next.count < max) return undefined
      stats.rateLimited++
      return tooMany(
        (next.resetAt - now) / 1000,
        { reason: 'api_key_rate_limit_exceeded', apikey_id: keyId },
        next.resetAt
      )
    }
  }
}
