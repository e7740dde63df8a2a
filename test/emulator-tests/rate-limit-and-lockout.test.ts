// The emulator's limits on a client: the IP lockout after failed logins, and the rate limit of a
// key (every request counts, the reset, the defaults).
import { describe, expect, it } from 'vitest'
import { APP, T0, start, clock, call, get, expectError, basicApp } from './helpers.js'

describe('auth', () => {
  // Cap-go/capgo supabase/functions/_backend/utils/rate_limit.ts (isIPRateLimited, recordFailedAuth)
  // and utils/hono_middleware.ts middlewareKey: the lockout is checked before the key is read.
  it('locks an IP out after 20 failed logins: 429 too_many_failed_auth_attempts for every key, for 15 minutes', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    for (let i = 0; i < 19; i++)
      expectError(await get(emu, '/bundle', {}, 'bad'), 401, 'invalid_apikey')
    expect((await get(emu, '/bundle')).status).toBe(200) // a good key does not clear the count
    expectError(await call(emu, 'GET', '/bundle', { key: null }), 401, 'no_key_provided') // the 20th
    const locked = await get(emu, '/bundle')
    expectError(locked, 429, 'too_many_requests')
    expect(locked.body.moreInfo).toEqual({
      reason: 'too_many_failed_auth_attempts',
      retryAfterSeconds: 900,
      rateLimitResetAt: T0 + 900_000
    })
    expect(locked.headers.get('retry-after')).toBe('900')
    expect(locked.headers.get('x-ratelimit-reset')).toBe(String((T0 + 900_000) / 1000))
    c.advance(15 * 60_000 - 1000)
    const still = await get(emu, '/bundle')
    expectError(still, 429, 'too_many_requests')
    expect(still.headers.get('retry-after')).toBe('1')
    c.advance(1000)
    expect((await get(emu, '/bundle')).status).toBe(200)
    expect(emu.stats()).toMatchObject({ lockedOut: 2, failedLogins: 20 })
    expect(emu.requests.filter(r => r.status === 429)).toHaveLength(2)
  })

  it('the lockout window restarts at each failure and is per IP; `lockout` sets the numbers', async () => {
    const c = clock()
    const emu = await start({
      apps: [basicApp()],
      now: c.now,
      lockout: { failures: 3, windowMs: 60_000 }
    })
    const from = (ip: string, key?: string) =>
      call(emu, 'GET', '/bundle', {
        key,
        query: { app_id: APP },
        headers: { 'x-forwarded-for': ip }
      })
    expect((await from('10.0.0.1', 'bad')).status).toBe(401)
    c.advance(50_000)
    expect((await from('10.0.0.1', 'bad')).status).toBe(401)
    c.advance(50_000) // 100 s after the first failure, 50 s after the last one: still counted
    expect((await from('10.0.0.1', 'bad')).status).toBe(401)
    expect((await from('10.0.0.1')).status).toBe(429)
    expect((await from('10.0.0.2')).status).toBe(200) // another IP
    c.advance(60_000)
    expect((await from('10.0.0.1')).status).toBe(200)
    // a full window without a failure drops the count
    await from('10.0.0.3', 'bad')
    await from('10.0.0.3', 'bad')
    c.advance(60_000)
    await from('10.0.0.3', 'bad')
    expect((await from('10.0.0.3')).status).toBe(200)
  })
})

describe('common rules', () => {
  // Cap-go/capgo supabase/functions/_backend/utils/hono_middleware.ts middlewareKey: recordAPIKeyUsage,
  // then isAPIKeyRateLimited (count >= limit); utils/rate_limit.ts; utils/on_error.ts (headers).
  it('rate limit: every request counts, a refused one too, and pushes the reset back; count >= max is refused', async () => {
    const c = clock()
    const emu = await start({
      apps: [basicApp()],
      rateLimit: { max: 3, windowMs: 60_000 },
      now: c.now,
      keys: { k1: 'reader', k2: 'reader' }
    })
    expect((await get(emu, '/channel', {}, 'k1')).status).toBe(200)
    c.advance(10_000)
    expect((await get(emu, '/channel', {}, 'k1')).status).toBe(200)
    c.advance(10_000)
    const limited = await get(emu, '/channel', {}, 'k1') // the 3rd brings the count to max
    expect(limited.status).toBe(429)
    expect(limited.body).toEqual({
      error: 'too_many_requests',
      message: 'Too many requests',
      moreInfo: {
        reason: 'api_key_rate_limit_exceeded',
        apikey_id: 1,
        retryAfterSeconds: 60,
        rateLimitResetAt: T0 + 80_000
      }
    })
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String((T0 + 80_000) / 1000))
    expect((await get(emu, '/channel', {}, 'k2')).status).toBe(200) // per key
    c.advance(59_000) // a sliding window would let this through: the reset moved with the 429
    const again = await get(emu, '/channel', {}, 'k1')
    expect(again.status).toBe(429)
    expect(again.body.moreInfo.rateLimitResetAt).toBe(T0 + 139_000)
    c.advance(59_999)
    expect((await get(emu, '/channel', {}, 'k1')).status).toBe(429)
    c.advance(60_000) // quiet for a whole window: the count is dropped
    expect((await get(emu, '/channel', {}, 'k1')).status).toBe(200)
    expect(emu.stats().rateLimited).toBe(3)
    expect(emu.requests.filter(r => r.status === 429)).toHaveLength(3)
  })

  it('rate limit defaults: 2000 a key and 60 s, so the 2000th request is refused', async () => {
    const emu = await start({ apps: [basicApp()], now: () => T0 })
    for (let batch = 0; batch < 20; batch++) {
      const n = batch === 19 ? 99 : 100
      const statuses = await Promise.all(
        Array.from({ length: n }, () =>
          get(emu, '/channel', { channel: 'beta' }).then(a => a.status)
        )
      )
      expect(statuses.every(s => s === 200)).toBe(true)
    }
    const refused = await get(emu, '/channel')
    expectError(refused, 429, 'too_many_requests')
    expect(refused.headers.get('retry-after')).toBe('60')
  })
})
