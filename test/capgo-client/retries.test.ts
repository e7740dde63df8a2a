// Retries and their waits: backoff with jitter, 429 and Retry-After, timeouts, HTML error pages,
// refused and dropped connections, and what a retried DELETE or POST means.
import { describe, expect, it } from 'vitest'
import { RATE_LIMIT_MARGIN_MS } from '../../src/capgo/client.js'
import {
  KEY,
  WRONG_KEY,
  APP,
  start,
  standardApp,
  client,
  failure,
  hits,
  tinyServer,
  json,
  closedPortUrl
} from './helpers.js'

describe('retries and waits', () => {
  it.each([500, 502, 503, 504])(
    'a %i streak longer than retries: retries+1 attempts, exponential waits, then a CapgoError',
    async status => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind: 'status', status, path: '/channel' })
      const { api, waits, events } = client(emu.url, { retries: 4 })
      const error = await failure(api.listChannels(APP))
      expect(error.status).toBe(status)
      expect(error.code).toBe(
        {
          500: 'unknown_error',
          502: 'bad_gateway',
          503: 'service_unavailable',
          504: 'gateway_timeout'
        }[status]
      )
      expect(error.attempts).toBe(5)
      expect(error.route).toBe('GET /channel')
      expect(error.message).toContain('5 attempts')
      expect(emu.requests.length).toBe(5)
      // base 5, doubling, capped at 20 (random fixed at 0.5: no jitter).
      expect(waits).toEqual([5, 10, 20, 20])
      expect(events.map(e => [e.route, e.attempt, e.waitMs])).toEqual([
        ['GET /channel', 1, 5],
        ['GET /channel', 2, 10],
        ['GET /channel', 3, 20],
        ['GET /channel', 4, 20]
      ])
    }
  )

  it('retries = 0 makes exactly one attempt', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500 })
    const { api, waits } = client(emu.url, { retries: 0 })
    const error = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([error.status, error.attempts]).toEqual([500, 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })

  it('a 5xx streak shorter than retries ends in success', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500, path: '/channel', count: 3 })
    const { api, waits } = client(emu.url, { retries: 3 })
    expect((await api.getChannel(APP, 'qa'))?.name).toBe('qa')
    expect(emu.requests.map(r => r.status)).toEqual([500, 500, 500, 200])
    expect(waits).toEqual([5, 10, 20])
  })

  it('backoff has jitter: each wait is 50%..150% of its step', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 502 })
    const { api, waits } = client(emu.url, {
      retries: 5,
      backoffBaseMs: 40,
      backoffMaxMs: 200,
      random: Math.random
    })
    await failure(api.listChannels(APP))
    const steps = [40, 80, 160, 200, 200]
    expect(waits.length).toBe(5)
    waits.forEach((wait, i) => {
      const step = steps[i] ?? 0
      expect(wait).toBeGreaterThanOrEqual(Math.floor(step * 0.5))
      expect(wait).toBeLessThanOrEqual(Math.ceil(step * 1.5))
    })
    const low = client(emu.url, { retries: 1, random: () => 0 })
    await failure(low.api.listChannels(APP))
    expect(low.waits).toEqual([3]) // round(5 * 0.5)
  })

  it('429 waits Retry-After (2 s -> 2000 ms plus the margin) and then succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 2, count: 1 })
    const { api, waits, events } = client(emu.url, { maxRetryAfterMs: 2000 })
    expect((await api.listChannels(APP)).length).toBe(3)
    expect(waits).toEqual([2000 + RATE_LIMIT_MARGIN_MS])
    expect(events[0]?.reason).toContain('too_many_requests')
    expect(emu.requests.map(r => r.status)).toEqual([429, 200])
  })

  it('429 asking longer than maxRetryAfterMs fails clearly at once and stops the client', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 120, count: 2 })
    const { api, waits } = client(emu.url, { maxRetryAfterMs: 1500 })
    const error = await failure(api.unlinkDevice(APP, 'dev-known'))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 1])
    expect(error.message).toContain('2 min')
    expect(error.message).toMatch(/longer than/)
    expect(waits).toEqual([])
    const later = await failure(api.listChannels(APP))
    expect([later.status, later.attempts]).toEqual([429, 0])
    expect(later.message).toMatch(/stopped/)
    expect(emu.requests.map(r => r.status)).toEqual([429])
  })

  it('429 without Retry-After falls back to moreInfo.retryAfterSeconds', async () => {
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls === 1) {
        json(res, 429, {
          error: 'too_many_requests',
          message: 'slow down',
          moreInfo: { retryAfterSeconds: 3 }
        })
      } else json(res, 200, [])
    })
    const { api, waits } = client(tiny.url)
    expect(await api.listChannels(APP)).toEqual([])
    expect(waits).toEqual([3000 + RATE_LIMIT_MARGIN_MS])
    expect(tiny.requests.length).toBe(2)
  })

  it.each([
    [
      'Retry-After as an HTTP date',
      (now: number) => ({ 'retry-after': new Date(now + 4000).toUTCString() }),
      {}
    ],
    [
      'X-RateLimit-Reset (epoch seconds)',
      (now: number) => ({ 'x-ratelimit-reset': String(now / 1000 + 4) }),
      {}
    ],
    ['moreInfo.rateLimitResetAt (epoch ms)', () => ({}), { rateLimitResetAt: 4000 }],
    [
      'the latest of several',
      (now: number) => ({ 'retry-after': '1', 'x-ratelimit-reset': String(now / 1000 + 4) }),
      { retryAfterSeconds: 2 }
    ]
  ] as const)('429 with %s: the gate opens at that time', async (_label, headers, moreInfo) => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls > 1) return json(res, 200, [])
      const info = 'rateLimitResetAt' in moreInfo ? { rateLimitResetAt: now + 4000 } : moreInfo
      json(res, 429, { error: 'too_many_requests', moreInfo: info }, headers(now))
    })
    const { api, waits } = client(tiny.url, { now: () => now })
    expect(await api.listChannels(APP)).toEqual([])
    // An HTTP date has whole seconds: 4 s from a whole-second now.
    expect(waits).toEqual([4000 + RATE_LIMIT_MARGIN_MS])
  })

  it('429 with neither Retry-After nor retryAfterSeconds waits the base backoff', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, count: 1 })
    const { api, waits } = client(emu.url)
    await api.listChannels(APP)
    expect(waits).toEqual([5 + RATE_LIMIT_MARGIN_MS])
    expect(emu.requests.length).toBe(2)
  })

  it('429 streak longer than retries: a CapgoError 429 too_many_requests', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1 })
    const { api, waits } = client(emu.url, { retries: 2 })
    const error = await failure(api.getDevice(APP, 'dev-known'))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 3])
    // The last 429 closes the gate too (for any other request), though this one gives up.
    expect(waits).toEqual([1000, 1000, 1000].map(ms => ms + RATE_LIMIT_MARGIN_MS))
    expect(emu.requests.length).toBe(3)
  })

  it("the emulator's own rate limit: waits its reset (on a fake clock) and goes on", async () => {
    const clock = { t: Date.parse('2026-03-01T00:00:00Z') }
    const emu = await start({ rateLimit: { max: 3 }, now: () => clock.t, apps: [standardApp()] })
    const { api, waits } = client(emu.url, {
      maxRetryAfterMs: 120_000,
      now: () => clock.t,
      onSleep: ms => void (clock.t += ms)
    })
    await api.getChannel(APP, 'qa')
    await api.getChannel(APP, 'qa')
    expect((await api.getChannel(APP, 'production'))?.name).toBe('production')
    expect(emu.requests.map(r => r.status)).toEqual([200, 200, 429, 200])
    expect(waits).toEqual([60_000 + RATE_LIMIT_MARGIN_MS])
  })

  it("the emulator's own rate limit with a cap shorter than its window: fails clearly, no hammering", async () => {
    const clock = { t: Date.parse('2026-03-01T00:00:00Z') }
    const emu = await start({ rateLimit: { max: 2 }, now: () => clock.t, apps: [standardApp()] })
    const { api, waits } = client(emu.url, {
      maxRetryAfterMs: 1500,
      retries: 3,
      now: () => clock.t,
      onSleep: ms => void (clock.t += ms)
    })
    await api.listChannels(APP)
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'too_many_requests', 1])
    expect(error.message).toContain('1 min')
    expect(waits).toEqual([])
    expect(emu.requests.map(r => r.status)).toEqual([200, 429])
  })

  it.each([
    ['400', 400, 'cannot_delete_version'],
    ['401', 401, 'invalid_apikey'],
    ['404', 404, 'channel_not_found']
  ] as const)('%s is never retried', async (_label, status, code) => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits, events } = client(emu.url, {
      retries: 5,
      ...(status === 401 ? { apiKey: WRONG_KEY } : {})
    })
    const call =
      status === 404 ? api.linkDevice(APP, 'dev-plain', 'nope') : api.deleteBundle(APP, '8.8.8')
    const error = await failure(call, status === 401 ? WRONG_KEY : KEY)
    expect([error.status, error.code, error.attempts]).toEqual([status, code, 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
    expect(events).toEqual([])
  })

  it('an HTML 502 page is retried; when it persists the error says HTML and does not quote the page', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'html', count: 1 })
    const { api, waits } = client(emu.url, { retries: 2 })
    expect((await api.listChannels(APP)).length).toBe(3)
    expect(emu.requests.map(r => r.status)).toEqual([502, 200])
    expect(waits).toEqual([5])

    emu.clearLog()
    emu.addFault({ kind: 'html' })
    const error = await failure(api.listChannels(APP))
    expect(error.status).toBe(502)
    expect(error.message).toMatch(/HTML/)
    expect(error.message).not.toContain('<html')
    expect(error.message).not.toContain('Bad Gateway')
    expect(error.serverMessage ?? '').not.toContain('<')
    expect(emu.requests.length).toBe(3)
  })

  it('a slow answer (longer than timeoutMs) times out and the retry succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'slow', delayMs: 1500, path: '/channel', count: 1 })
    const { api, waits, events } = client(emu.url, { timeoutMs: 150 })
    expect((await api.getChannel(APP, 'qa'))?.name).toBe('qa')
    expect(emu.requests.length).toBe(2)
    expect(emu.requests[0]?.fault).toBe('slow')
    expect(waits).toEqual([5])
    expect(events[0]?.reason).toContain('no complete answer within 0.15 s')
  })

  it('timeouts on every attempt: a CapgoError timeout with no status', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'slow', delayMs: 1500 })
    const { api, waits } = client(emu.url, { timeoutMs: 100, retries: 1 })
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('timeout')
    expect(error.status).toBeUndefined()
    expect(error.attempts).toBe(2)
    expect(error.message).toContain('no complete answer within 0.1 s')
    expect(emu.requests.length).toBe(2)
    expect(waits).toEqual([5])
  })

  it('a body that trickles in for longer than timeoutMs is a timeout', async () => {
    let calls = 0
    const tiny = await tinyServer((_req, res) => {
      calls++
      if (calls > 1) return json(res, 200, [])
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      const timer = setInterval(() => res.write(' '), 20)
      res.on('close', () => clearInterval(timer))
    })
    const { api, waits, events } = client(tiny.url, { timeoutMs: 150 })
    expect(await api.listChannels(APP)).toEqual([])
    expect(tiny.requests.length).toBe(2)
    expect(waits).toEqual([5])
    expect(events[0]?.reason).toContain('no complete answer within 0.15 s')
  })

  it('a refused connection is a network_error, retried with backoff', async () => {
    const { api, waits } = client(await closedPortUrl(), { retries: 2 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('network_error')
    expect(error.status).toBeUndefined()
    expect(error.attempts).toBe(3)
    expect(waits).toEqual([5, 10])
  })

  it("drop-before on DELETE /bundle: retried, 'deleted'", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-before', method: 'DELETE', path: '/bundle', count: 1 })
    const { api, waits } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted')
    expect(hits(emu, 'DELETE', '/bundle').map(r => [r.fault, r.status])).toEqual([
      ['drop-before', 0],
      [undefined, 200]
    ])
    expect(
      emu
        .bundles(APP, { includeDeleted: true })
        .filter(b => b.deleted)
        .map(b => b.name)
    ).toEqual(['1.0.1'])
    expect(waits).toEqual([5])
  })

  it("drop-after on DELETE /bundle: retried, 'deleted_on_retry', the bundle soft-deleted exactly once", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    const before = emu.bundles(APP).find(b => b.name === '1.0.1')
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted_on_retry')
    const deletes = hits(emu, 'DELETE', '/bundle')
    expect(deletes.map(r => [r.fault, r.status])).toEqual([
      ['drop-after', 200],
      [undefined, 400]
    ])
    expect(
      deletes.every(
        r => JSON.stringify(r.body) === JSON.stringify({ app_id: APP, version: '1.0.1' })
      )
    ).toBe(true)
    const all = emu.bundles(APP, { includeDeleted: true })
    expect(all.filter(b => b.deleted).map(b => b.id)).toEqual([before?.id])
    expect(all.length).toBe(6)
  })

  it("a truncated answer to DELETE /bundle: retried, 'deleted_on_retry'", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'truncated', method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.2')).toBe('deleted_on_retry')
    expect(emu.bundles(APP).map(b => b.name)).not.toContain('1.0.2')
    expect(emu.bundles(APP).length).toBe(5)
  })

  it("a 500 on DELETE /bundle then cannot_delete_version: 'deleted_on_retry' (a 5xx may have acted)", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 500, method: 'DELETE', path: '/bundle', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '6.6.6')).toBe('deleted_on_retry')
    expect(hits(emu, 'DELETE', '/bundle').map(r => r.status)).toEqual([500, 400])
  })

  it('a 429 on DELETE /bundle then cannot_delete_version is an error (a 429 did nothing)', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 })
    const { api, waits } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '6.6.6'))
    expect([error.status, error.code]).toEqual([400, 'cannot_delete_version'])
    expect(waits).toEqual([1000 + RATE_LIMIT_MARGIN_MS])
    expect(emu.requests.map(r => r.status)).toEqual([429, 400])
  })

  it("drop-after on DELETE /channel: retried, 'deleted' (not 'not_found')", async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'DELETE', path: '/channel', count: 1 })
    const { api } = client(emu.url)
    expect(await api.deleteChannel(APP, 'qa')).toBe('deleted')
    expect(hits(emu, 'DELETE', '/channel').map(r => r.status)).toEqual([200, 400])
    expect(emu.channel(APP, 'qa')).toBeUndefined()
  })

  it('drop-after on POST /channel: the upsert is retried and applied', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'POST', path: '/channel', count: 1 })
    const { api } = client(emu.url)
    await api.upsertChannel({ app_id: APP, channel: 'production', version: '1.0.5' })
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.5')
    expect(hits(emu, 'POST', '/channel').map(r => r.status)).toEqual([200, 200])
  })

  it('drop-after on a promoteToStable: the retry finds no rollout left (missing_rollout_version), which is the first attempt done', async () => {
    // standardApp's production rolls 1.0.3 out over 1.0.4.
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'POST', path: '/channel', count: 1 })
    const { api } = client(emu.url)
    await api.upsertChannel({ app_id: APP, channel: 'production', promoteToStable: true })
    expect(hits(emu, 'POST', '/channel').map(r => r.status)).toEqual([200, 400])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.3')
    expect(emu.channel(APP, 'production')?.rollout_version).toBeNull()
  })

  it('a promoteToStable refused at once (no lost answer) with missing_rollout_version stays a refusal', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'qa', promoteToStable: true })
    )
    expect(error.code).toBe('missing_rollout_version')
  })

  it('drop-after on POST /device: the retry meets the 60 s rule (429), the client checks the device and succeeds', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-after', method: 'POST', path: '/device', count: 1 })
    const { api, waits } = client(emu.url)
    await api.linkDevice(APP, 'dev-plain', 'production')
    expect(emu.requests.map(r => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /device 200',
      'POST /device 429',
      'GET /device 200'
    ])
    expect(emu.deviceOverride(APP, 'dev-plain')).toBe('production')
    expect(waits).toEqual([5])
  })
})
