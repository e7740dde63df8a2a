import { spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator } from './emulator/index.js'
import type { Emulator, EmulatorOptions, SeedApp } from './emulator/index.js'
import { SAMPLE_APP_ID, sampleApp } from './emulator/sample.js'

const KEY = 'test-admin-key'
const APP = 'com.demo.app'
const T0 = Date.parse('2026-01-01T00:00:00Z')

const running: Emulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(e => e.stop()))
})

async function start(opts: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator(opts)
  running.push(emu)
  return emu
}

/** A controllable clock for the `now` option. */
function clock(start = T0) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => void (c.t += ms) }
  return c
}

interface CallOpts {
  key?: string | null
  headers?: Record<string, string>
  query?: Record<string, string>
  body?: unknown
  rawBody?: string
}
interface Answer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  headers: Headers
}

async function call(
  emu: Emulator,
  method: string,
  path: string,
  o: CallOpts = {}
): Promise<Answer> {
  const url = new URL(path, emu.url)
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v)
  const headers: Record<string, string> = { ...o.headers }
  const key = o.key === undefined ? KEY : o.key
  if (key !== null) {
    headers.authorization = key
    headers.capgkey = key
  }
  let body: string | undefined = o.rawBody
  if (o.body !== undefined) {
    body = JSON.stringify(o.body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(url, { method, headers, body })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

const get = (emu: Emulator, path: string, query: Record<string, string> = {}, key?: string) =>
  call(emu, 'GET', path, { query: { app_id: APP, ...query }, key })
const post = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'POST', path, { body: { app_id: APP, ...body }, key })
const del = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'DELETE', path, { body: { app_id: APP, ...body }, key })
const put = (emu: Emulator, path: string, body: Record<string, unknown>, key?: string) =>
  call(emu, 'PUT', path, { body: { app_id: APP, ...body }, key })

function expectError(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status)
  expect(a.body).toMatchObject({ error: code })
  expect(typeof a.body.message).toBe('string')
  expect(typeof a.body.moreInfo).toBe('object')
}

const basicApp = (extra: Partial<SeedApp> = {}): SeedApp => ({
  app_id: APP,
  bundles: 5,
  channels: [
    { name: 'production', version: '1.0.4', public: true },
    { name: 'beta', version: '1.0.3', rollout_version: '1.0.2' }
  ],
  ...extra
})

describe('auth', () => {
  it('401 no_key_provided without a key, invalid_apikey for an unknown key or a Bearer prefix', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await call(emu, 'GET', '/bundle', { key: null }), 401, 'no_key_provided')
    expectError(await get(emu, '/bundle', {}, 'nope'), 401, 'invalid_apikey')
    const bearer = await call(emu, 'GET', '/bundle', {
      key: null,
      query: { app_id: APP },
      headers: { authorization: `Bearer ${KEY}` }
    })
    expectError(bearer, 401, 'invalid_apikey')
  })

  it('reads the authorization header, and capgkey wins when both are sent', async () => {
    const emu = await start({ apps: [basicApp()] })
    const q = { query: { app_id: APP }, key: null }
    expect(
      (await call(emu, 'GET', '/bundle', { ...q, headers: { authorization: KEY } })).status
    ).toBe(200)
    expect((await call(emu, 'GET', '/bundle', { ...q, headers: { capgkey: KEY } })).status).toBe(
      200
    )
    const both = { capgkey: KEY, authorization: 'wrong' }
    expect((await call(emu, 'GET', '/bundle', { ...q, headers: both })).status).toBe(200)
    const bad = { capgkey: 'wrong', authorization: KEY }
    expectError(await call(emu, 'GET', '/bundle', { ...q, headers: bad }), 401, 'invalid_apikey')
  })

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

describe('roles and apps', () => {
  const keys = {
    r: 'reader',
    u: 'uploader',
    d: 'developer',
    a: 'admin',
    oa: 'org_admin',
    osa: 'org_super_admin',
    p: 'preview',
    p2: 'preview',
    scoped: { role: 'admin', apps: ['com.other.app'] }
  } as const
  const apps = [basicApp(), { app_id: 'com.other.app', bundles: 1 }]

  // Cap-go/capgo supabase/functions/_backend/public/{bundle,channel,device}/*.ts: each route's
  // checkPermission call and the code it refuses with.
  it('a reader key may only GET; each refusal has its route code and changes nothing', async () => {
    const emu = await start({ keys, apps })
    expect((await get(emu, '/bundle', {}, 'r')).status).toBe(200)
    expect((await get(emu, '/channel', {}, 'r')).status).toBe(200)
    expect((await get(emu, '/device', {}, 'r')).status).toBe(200)
    const beta = emu.channel(APP, 'beta')!
    const b0 = emu.bundles(APP).find(b => b.name === '1.0.0')!
    expectError(
      await put(emu, '/bundle', { version_id: b0.id, channel_id: beta.id }, 'r'),
      400,
      'cannot_access_app'
    )
    expectError(
      await post(emu, '/bundle/metadata', { version_id: b0.id, link: 'x' }, 'r'),
      400,
      'cannot_update_bundle_metadata'
    )
    const delBundle = await del(emu, '/bundle', { version: '1.0.0' }, 'r')
    expectError(delBundle, 400, 'cannot_delete_bundle')
    expect(delBundle.body.message).toBe("You can't access this app")
    const create = await post(emu, '/channel', { channel: 'new' }, 'r')
    expectError(create, 400, 'cannot_access_app')
    expect(create.body.message).toBe("You can't access this app")
    expectError(await del(emu, '/channel', { channel: 'beta' }, 'r'), 400, 'cannot_access_app')
    // DELETE /channel looks the channel up first
    expectError(await del(emu, '/channel', { channel: 'nope' }, 'r'), 400, 'cannot_find_channel')
    expectError(
      await post(emu, '/device', { device_id: 'x', channel: 'beta' }, 'r'),
      400,
      'cannot_access_channel'
    )
    expectError(await post(emu, '/device', { device_id: 'x' }, 'r'), 400, 'cannot_access_app')
    expectError(await del(emu, '/device', { device_id: 'x' }, 'r'), 400, 'cannot_access_app')
    expect(emu.bundles(APP)).toHaveLength(5)
    expect(emu.bundles(APP)[4]!.link).toBeNull()
    expect(emu.channel(APP, 'new')).toBeUndefined()
    expect(emu.channel(APP, 'beta')).toEqual(beta)
    expect(emu.deviceOverride(APP, 'x')).toBeUndefined()
  })

  // Cap-go/capgo supabase/functions/_backend/public/bundle/set_channel.ts and channel/post.ts
  it('an uploader key may PUT /bundle and POST /bundle/metadata, but no POST /channel, even version only', async () => {
    const emu = await start({ keys, apps })
    const beta = emu.channel(APP, 'beta')!
    const b = emu.bundles(APP).find(x => x.name === '1.0.0')!
    const ok = await put(emu, '/bundle', { version_id: b.id, channel_id: beta.id }, 'u')
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ status: 'success', message: 'Bundle 1.0.0 set to channel beta' })
    expect(emu.channel(APP, 'beta')!.version).toEqual({ id: b.id, name: '1.0.0' })
    expect(
      (await post(emu, '/bundle/metadata', { version_id: b.id, comment: 'c' }, 'u')).status
    ).toBe(200)
    expectError(
      await post(emu, '/channel', { channel: 'beta', version: '1.0.1' }, 'u'),
      400,
      'cannot_access_app'
    )
    expect(emu.channel(APP, 'beta')!.version?.name).toBe('1.0.0')
    expectError(await post(emu, '/channel', { channel: 'new' }, 'u'), 400, 'cannot_access_app')
    expectError(await del(emu, '/bundle', { version: '1.0.1' }, 'u'), 400, 'cannot_delete_bundle')
    expectError(
      await post(emu, '/device', { device_id: 'x', channel: 'beta' }, 'u'),
      400,
      'cannot_access_channel'
    )
  })

  it('a developer key creates channels and sets overrides; updating or deleting a channel needs admin', async () => {
    const emu = await start({ keys, apps })
    const created = await post(emu, '/channel', { channel: 'dev', version: '1.0.1' }, 'd')
    expect(created.status).toBe(200)
    expect(emu.channel(APP, 'dev')!.version?.name).toBe('1.0.1')
    expectError(
      await post(emu, '/channel', { channel: 'dev', version: '1.0.2' }, 'd'),
      400,
      'cannot_access_app'
    )
    expectError(
      await post(emu, '/channel', { channel: 'dev', allow_dev: false }, 'd'),
      400,
      'cannot_access_app'
    )
    expect(emu.channel(APP, 'dev')!).toMatchObject({ version: { name: '1.0.1' }, allow_dev: true })
    expectError(await del(emu, '/bundle', { version: '1.0.0' }, 'd'), 400, 'cannot_delete_bundle')
    expectError(await del(emu, '/channel', { channel: 'dev' }, 'd'), 400, 'cannot_access_app')
    expect((await post(emu, '/device', { device_id: 'dev1', channel: 'dev' }, 'd')).status).toBe(
      200
    )
    expect(emu.deviceOverride(APP, 'dev1')).toBe('dev')
    expect((await del(emu, '/device', { device_id: 'dev1' }, 'd')).status).toBe(200)
    expect(emu.deviceOverride(APP, 'dev1')).toBeUndefined()
    const b = emu.bundles(APP)[0]!
    const dev = emu.channel(APP, 'dev')!
    expect((await put(emu, '/bundle', { version_id: b.id, channel_id: dev.id }, 'd')).status).toBe(
      200
    )
  })

  it.each([['a'], ['oa'], ['osa']])(
    'key %s (admin, org_admin, org_super_admin) may update and delete channels and bundles',
    async key => {
      const emu = await start({ keys, apps })
      expect((await del(emu, '/bundle', { version: '1.0.0' }, key)).status).toBe(200)
      expect((await post(emu, '/channel', { channel: 'beta', version: '1.0.1' }, key)).status).toBe(
        200
      )
      expect(emu.channel(APP, 'beta')!.version?.name).toBe('1.0.1')
      expect((await del(emu, '/channel', { channel: 'beta' }, key)).status).toBe(200)
      expect(emu.channel(APP, 'beta')).toBeUndefined()
    }
  )

  it('a key scoped to other apps gets cannot_access_app', async () => {
    const emu = await start({ keys, apps })
    expectError(await get(emu, '/bundle', {}, 'scoped'), 400, 'cannot_access_app')
    const other = await call(emu, 'GET', '/bundle', {
      key: 'scoped',
      query: { app_id: 'com.other.app' }
    })
    expect(other.status).toBe(200)
  })

  // Cap-go/capgo supabase/migrations/20260715213729_app_preview_api_key_role.sql: app_preview holds
  // app.read, app.read_bundles, app.upload_bundle, app.create_channel; channel_preview (on the
  // channels it creates) channel.read, channel.promote_bundle, channel.delete.
  it('a preview key creates a channel, then promotes on it and deletes it, and nothing on other channels', async () => {
    const emu = await start({ keys, apps })
    const created = await post(emu, '/channel', { channel: 'pr-1', version: '1.0.1' }, 'p')
    expect(created.status).toBe(200)
    const pr = emu.channel(APP, 'pr-1')!
    expect(created.body).toEqual({ status: 'ok', id: pr.id, public: false })
    const b2 = emu.bundles(APP).find(b => b.name === '1.0.2')!
    expect((await put(emu, '/bundle', { version_id: b2.id, channel_id: pr.id }, 'p')).status).toBe(
      200
    )
    expect(emu.channel(APP, 'pr-1')!.version?.name).toBe('1.0.2')
    const beta = emu.channel(APP, 'beta')!
    expectError(
      await put(emu, '/bundle', { version_id: b2.id, channel_id: beta.id }, 'p'),
      400,
      'cannot_access_app'
    )
    expectError(
      await put(emu, '/bundle', { version_id: b2.id, channel_id: pr.id }, 'p2'),
      400,
      'cannot_access_app'
    ) // another preview key
    // channel_preview has no channel.update_settings: no POST on an existing channel, even its own
    expectError(
      await post(emu, '/channel', { channel: 'pr-1', version: '1.0.3' }, 'p'),
      400,
      'cannot_access_app'
    )
    expect(
      (await post(emu, '/bundle/metadata', { version_id: b2.id, link: 'https://pr/1' }, 'p')).status
    ).toBe(200)
    expect((await get(emu, '/bundle', {}, 'p')).status).toBe(200)
    expectError(await get(emu, '/channel', {}, 'p'), 400, 'cannot_access_app')
    expectError(await get(emu, '/device', {}, 'p'), 400, 'cannot_access_app')
    expectError(await del(emu, '/bundle', { version: '1.0.0' }, 'p'), 400, 'cannot_delete_bundle')
    expectError(await del(emu, '/channel', { channel: 'beta' }, 'p'), 400, 'cannot_access_app')
    expectError(await del(emu, '/channel', { channel: 'pr-1' }, 'p2'), 400, 'cannot_access_app')
    expect((await del(emu, '/channel', { channel: 'pr-1' }, 'p')).status).toBe(200)
    expect(emu.channel(APP, 'pr-1')).toBeUndefined()
  })

  it('app_id: bad format 400 invalid_app_id (also when missing); unknown app 400 cannot_access_app', async () => {
    const emu = await start({ apps })
    for (const app_id of ['demo', 'com..x', '.com.x', 'com.x!', ''])
      expectError(await call(emu, 'GET', '/bundle', { query: { app_id } }), 400, 'invalid_app_id')
    expectError(await call(emu, 'GET', '/channel'), 400, 'invalid_app_id')
    expectError(
      await post(emu, '/channel', { app_id: 'nope', channel: 'x' }),
      400,
      'invalid_app_id'
    )
    expectError(
      await call(emu, 'GET', '/bundle', { query: { app_id: 'com.unknown.app' } }),
      400,
      'cannot_access_app'
    )
    const valid = await call(emu, 'GET', '/bundle', { query: { app_id: 'Com.Other-App.x_y' } })
    expectError(valid, 400, 'cannot_access_app') // a valid format, but no such app
  })
})

describe('common rules', () => {
  it('POST without a JSON body is 400 invalid_json_parse_body; DELETE falls back to the query', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await call(emu, 'POST', '/channel'), 400, 'invalid_json_parse_body')
    expectError(
      await call(emu, 'POST', '/channel', { rawBody: '' }),
      400,
      'invalid_json_parse_body'
    )
    expectError(
      await call(emu, 'POST', '/channel', { rawBody: '{nope' }),
      400,
      'invalid_json_parse_body'
    )
    const q = await call(emu, 'DELETE', '/bundle', { query: { app_id: APP, version: '1.0.0' } })
    expect(q.status).toBe(200)
    expect(emu.bundles(APP, { includeDeleted: true }).find(b => b.name === '1.0.0')!.deleted).toBe(
      true
    )
  })

  it('unknown routes are 404 not_found JSON', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await get(emu, '/apps'), 404, 'not_found')
    expectError(await call(emu, 'PATCH', '/bundle'), 404, 'not_found')
    expect((await get(emu, '/bundle/')).status).toBe(200) // a trailing slash is tolerated
  })

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

describe('GET /bundle', () => {
  const names = (a: Answer): string[] => a.body.map((b: { name: string }) => b.name)
  const idx = (a: Answer): number[] => names(a).map(n => 1199 - Number(n.split('.')[2]))

  it('returns full rows, newest first, ignoring `version`', async () => {
    const emu = await start({ apps: [basicApp()] })
    const a = await get(emu, '/bundle', { version: '1.0.2' })
    expect(a.status).toBe(200)
    expect(names(a)).toEqual(['1.0.4', '1.0.3', '1.0.2', '1.0.1', '1.0.0'])
    expect(Object.keys(a.body[0]).sort()).toEqual(
      [
        'id',
        'name',
        'app_id',
        'created_at',
        'updated_at',
        'deleted',
        'checksum',
        'external_url',
        'min_update_version',
        'native_packages',
        'owner_org',
        'r2_path',
        'session_key',
        'storage_provider',
        'user_id',
        'link',
        'comment'
      ].sort()
    )
    expect(a.body[0]).toMatchObject({ link: null, comment: null })
    expect(a.body[0]).toMatchObject({ app_id: APP, deleted: false })
  })

  it('orders equal created_at by id descending', async () => {
    const at = '2025-01-01T00:00:00.000+00:00'
    const emu = await start({
      apps: [
        {
          app_id: APP,
          bundles: [
            { name: 'a', created_at: at, id: 10 },
            { name: 'b', created_at: at, id: 12 },
            { name: 'c', created_at: '2024-01-01T00:00:00Z', id: 20 },
            { name: 'd', created_at: at, id: 11 }
          ]
        }
      ]
    })
    expect(names(await get(emu, '/bundle'))).toEqual(['b', 'd', 'a', 'c'])
  })

  it('has the paging defect by default: page=1 is rows 50..549, page=2 100..1049, at most 1000 rows', async () => {
    const emu = await start({ apps: [{ app_id: APP, bundles: 1200 }] })
    const p = async (page?: string) =>
      idx(await get(emu, '/bundle', page === undefined ? {} : { page }))
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
    expect(await p()).toEqual(range(0, 50))
    expect(await p('0')).toEqual(range(0, 50))
    expect(await p('1')).toEqual(range(50, 500))
    expect(await p('2')).toEqual(range(100, 950))
    expect(await p('3')).toEqual(range(150, 1000)) // 150..1549 capped at 1000 rows
    expect(await p('23')).toEqual(range(1150, 50))
    expectError(await get(emu, '/bundle', { page: '24' }), 400, 'cannot_get_bundle')
  })

  it('pages correctly without the defect', async () => {
    const emu = await start({ pagingDefect: false, apps: [{ app_id: APP, bundles: 120 }] })
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
    const p = async (page: string) =>
      names(await get(emu, '/bundle', { page })).map(n => 119 - Number(n.split('.')[2]))
    expect(await p('0')).toEqual(range(0, 50))
    expect(await p('1')).toEqual(range(50, 50))
    expect(await p('2')).toEqual(range(100, 20))
    expectError(await get(emu, '/bundle', { page: '3' }), 400, 'cannot_get_bundle')
  })

  it('is 400 cannot_get_bundle for an app without (live) bundles', async () => {
    const emu = await start({
      apps: [
        { app_id: APP },
        { app_id: 'com.gone.app', bundles: [{ name: '1.0.0', deleted: true }] }
      ]
    })
    expectError(await get(emu, '/bundle'), 400, 'cannot_get_bundle')
    expectError(
      await call(emu, 'GET', '/bundle', { query: { app_id: 'com.gone.app' } }),
      400,
      'cannot_get_bundle'
    )
  })
})

describe('DELETE /bundle', () => {
  it('soft-deletes one bundle: the row stays with deleted=true and leaves GET /bundle', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    c.advance(5000)
    const a = await del(emu, '/bundle', { version: '1.0.1' })
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ status: 'ok' })
    const row = emu.bundles(APP, { includeDeleted: true }).find(b => b.name === '1.0.1')!
    expect(row.deleted).toBe(true)
    expect(Date.parse(row.updated_at)).toBe(T0 + 5000)
    expect(emu.bundles(APP).map(b => b.name)).not.toContain('1.0.1')
    expect((await get(emu, '/bundle')).body.map((b: { name: string }) => b.name)).not.toContain(
      '1.0.1'
    )
    expect(emu.state.apps[APP]!.bundles).toHaveLength(5)
  })

  it('is 400 cannot_delete_version for an unknown or already deleted bundle', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await del(emu, '/bundle', { version: '9.9.9' }), 400, 'cannot_delete_version')
    expect((await del(emu, '/bundle', { version: '1.0.0' })).status).toBe(200)
    expectError(await del(emu, '/bundle', { version: '1.0.0' }), 400, 'cannot_delete_version')
  })

  it('is 400 cannot_delete_linked_version for a channel version or rollout_version', async () => {
    const emu = await start({ apps: [basicApp()] })
    for (const version of ['1.0.4', '1.0.3', '1.0.2'])
      expectError(await del(emu, '/bundle', { version }), 400, 'cannot_delete_linked_version')
    expect(emu.bundles(APP)).toHaveLength(5)
  })

  it.each([['missing'], ['null'], ['empty']])(
    'with version %s soft-deletes every bundle no channel links',
    async how => {
      const emu = await start({ apps: [basicApp(), { app_id: 'com.other.app', bundles: 3 }] })
      const body = how === 'missing' ? {} : { version: how === 'null' ? null : '' }
      const a = await del(emu, '/bundle', body)
      expect(a.status).toBe(200)
      expect(emu.bundles(APP).map(b => b.name)).toEqual(['1.0.4', '1.0.3', '1.0.2'])
      expect(emu.bundles(APP, { includeDeleted: true })).toHaveLength(5)
      expect(emu.bundles('com.other.app')).toHaveLength(3)
    }
  )
})

describe('PUT /bundle', () => {
  // Cap-go/capgo supabase/functions/_backend/public/bundle/set_channel.ts
  it('sets only the channel version and answers success with names; rollout fields stay', async () => {
    const emu = await start({ apps: [basicApp()] })
    const beta = emu.channel(APP, 'beta')!
    const b0 = emu.bundles(APP).find(b => b.name === '1.0.0')!
    const a = await put(emu, '/bundle', { version_id: b0.id, channel_id: beta.id })
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ status: 'success', message: 'Bundle 1.0.0 set to channel beta' })
    const after = emu.channel(APP, 'beta')!
    expect(after.version).toEqual({ id: b0.id, name: '1.0.0' })
    expect({ ...after, version: beta.version, updated_at: beta.updated_at }).toEqual(beta)
  })

  it('errors in the backend order: required fields, access, bundle, channel, bad ids', async () => {
    const emu = await start({
      keys: { [KEY]: 'admin', r: 'reader' },
      apps: [basicApp(), { app_id: 'com.other.app', bundles: 1, channels: [{ name: 'x' }] }]
    })
    const beta = emu.channel(APP, 'beta')!
    const b0 = emu.bundles(APP).find(b => b.name === '1.0.0')!
    // missing_required_fields comes before app_id is even checked
    const noApp = await call(emu, 'PUT', '/bundle', {
      body: { version_id: b0.id, channel_id: beta.id }
    })
    expectError(noApp, 400, 'missing_required_fields')
    expectError(await put(emu, '/bundle', { version_id: b0.id }), 400, 'missing_required_fields')
    expectError(
      await put(emu, '/bundle', { version_id: 0, channel_id: beta.id }),
      400,
      'missing_required_fields'
    )
    expectError(
      await put(emu, '/bundle', { app_id: 'bad', version_id: b0.id, channel_id: beta.id }),
      400,
      'invalid_app_id'
    )
    // the permission is checked before the bundle and the channel are
    expectError(
      await put(emu, '/bundle', { version_id: 999, channel_id: 999 }, 'r'),
      400,
      'cannot_access_app'
    )
    expectError(
      await put(emu, '/bundle', { version_id: 999, channel_id: 999 }),
      400,
      'cannot_find_version'
    )
    expectError(
      await put(emu, '/bundle', { version_id: b0.id, channel_id: 999 }),
      400,
      'cannot_find_channel'
    )
    const otherChannel = emu.channel('com.other.app', 'x')!
    expectError(
      await put(emu, '/bundle', { version_id: b0.id, channel_id: otherChannel.id }),
      400,
      'cannot_find_channel'
    )
    expect((await del(emu, '/bundle', { version: '1.0.0' })).status).toBe(200)
    expectError(
      await put(emu, '/bundle', { version_id: b0.id, channel_id: beta.id }),
      400,
      'cannot_find_version'
    ) // deleted
    expectError(
      await put(emu, '/bundle', { version_id: 'abc', channel_id: beta.id }),
      400,
      'cannot_set_bundle_to_channel'
    )
    expectError(
      await put(emu, '/bundle', { version_id: b0.id, channel_id: 'abc' }),
      400,
      'cannot_set_bundle_to_channel'
    )
    expect(emu.channel(APP, 'beta')).toEqual(beta)
  })

  // Cap-go/capgo supabase/migrations/20260708000000_prod_baseline.sql normalize_public_channel_overlap:
  // the trigger runs on every write of a public channel, this one included.
  it('writing a public channel makes the other public channels of shared platforms non-public', async () => {
    const emu = await start({
      apps: [
        {
          app_id: APP,
          bundles: 2,
          channels: [
            { name: 'a', public: true, android: false, electron: false },
            { name: 'b', public: true, android: false, electron: false },
            { name: 'c', public: true, ios: false, electron: false }
          ]
        }
      ]
    })
    const b1 = emu.bundles(APP)[0]!
    const a = emu.channel(APP, 'a')!
    expect((await put(emu, '/bundle', { version_id: b1.id, channel_id: a.id })).status).toBe(200)
    const pub = (n: string) => emu.channel(APP, n)!.public
    expect([pub('a'), pub('b'), pub('c')]).toEqual([true, false, true])
  })
})

describe('GET /channel', () => {
  it('lists 50 a page oldest first, with the paging defect, and [] past the end', async () => {
    const emu = await start({ apps: [{ app_id: APP }] })
    for (let i = 0; i < 120; i++)
      expect((await post(emu, '/channel', { channel: `c${i}` })).status).toBe(200)
    const names = async (page?: string) =>
      (await get(emu, '/channel', page === undefined ? {} : { page })).body.map(
        (c: { name: string }) => Number(c.name.slice(1))
      )
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
    expect(await names()).toEqual(range(0, 50))
    expect(await names('1')).toEqual(range(50, 70)) // 50..549 of 120 rows
    expect(await names('2')).toEqual(range(100, 20))
    const past = await get(emu, '/channel', { page: '3' })
    expect(past.status).toBe(200)
    expect(past.body).toEqual([])
  })

  // Cap-go/capgo supabase/functions/_backend/public/channel/get.ts: the selected columns.
  it('pages correctly without the defect; rows have the documented shape, without platforms', async () => {
    const emu = await start({ pagingDefect: false, apps: [basicApp()] })
    for (let i = 0; i < 60; i++) await post(emu, '/channel', { channel: `c${i}` })
    expect((await get(emu, '/channel', { page: '1' })).body).toHaveLength(12)
    const rows = (await get(emu, '/channel')).body
    expect(rows[0]).toEqual({
      id: expect.any(Number),
      name: 'production',
      app_id: APP,
      created_at: expect.any(String),
      created_by: expect.any(String),
      updated_at: expect.any(String),
      public: true,
      version: { id: expect.any(Number), name: '1.0.4' },
      rollout_version: null,
      rollout_version_info: null,
      rollout_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      rolloutEnabled: false,
      rolloutPercentageBps: 0,
      rolloutPausedAt: null,
      rolloutPauseReason: null,
      rolloutCacheTtlSeconds: 2_592_000,
      autoPauseEnabled: false,
      autoPauseWindowMinutes: 60,
      autoPauseFailureRateBps: null,
      autoPauseConfidence: 0.95,
      autoPauseMinAttempts: null,
      autoPauseMinFailures: null,
      autoPauseAction: 'pause',
      autoPauseCooldownMinutes: 60,
      autoPauseLastTriggeredAt: null,
      autoPauseLastCheckedAt: null,
      disableAutoUpdate: 'major',
      disableAutoUpdateUnderNative: true,
      allow_device_self_set: false,
      allow_emulator: true,
      allow_dev: true,
      allow_prod: true,
      allow_device: true
    })
    const b2 = emu.bundles(APP).find(b => b.name === '1.0.2')!
    expect(rows[1].rollout_version).toBe(b2.id)
    expect(rows[1].rollout_version_info).toEqual({ id: b2.id, name: '1.0.2' })
    for (const row of rows)
      for (const k of ['ios', 'android', 'electron']) expect(row).not.toHaveProperty(k)
    const one = (await get(emu, '/channel', { channel: 'beta' })).body
    for (const k of ['ios', 'android', 'electron']) expect(one).not.toHaveProperty(k)
    expect(emu.channelPlatforms(APP, 'beta')).toEqual({ ios: true, android: true, electron: true })
    expect(emu.channelPlatforms(APP, 'nope')).toBeUndefined()
  })

  it('gets one channel by name; an unknown name is 400 cannot_find_version', async () => {
    const emu = await start({ apps: [basicApp()] })
    const one = await get(emu, '/channel', { channel: 'beta' })
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ name: 'beta', version: { name: '1.0.3' } })
    expect(one.body).toEqual(emu.channel(APP, 'beta'))
    expectError(await get(emu, '/channel', { channel: 'nope' }), 400, 'cannot_find_version')
  })
})

describe('POST /channel', () => {
  it('creates with defaults, then updates only the fields sent (and updated_at)', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    expect((await post(emu, '/channel', { channel: 'qa', ios: false })).body).toEqual({
      status: 'ok'
    })
    const created = emu.channel(APP, 'qa')!
    expect(created).toMatchObject({
      public: false,
      version: null,
      disableAutoUpdate: 'major',
      allow_device_self_set: false
    })
    expect(emu.channelPlatforms(APP, 'qa')).toEqual({ ios: false, android: true, electron: true })
    c.advance(60_000)
    await post(emu, '/channel', {
      channel: 'qa',
      disableAutoUpdate: 'minor',
      allow_device_self_set: true,
      electron: false
    })
    const updated = emu.channel(APP, 'qa')!
    expect(updated).toMatchObject({
      id: created.id,
      version: null,
      disableAutoUpdate: 'minor',
      allow_device_self_set: true,
      created_at: created.created_at
    })
    expect(emu.channelPlatforms(APP, 'qa')).toEqual({ ios: false, android: true, electron: false })
    expect(Date.parse(updated.updated_at) - Date.parse(created.updated_at)).toBe(60_000)
  })

  // Cap-go/capgo supabase/functions/_backend/public/channel/post.ts createAndPromoteChannelInTransaction
  it('a channel created with a version answers {status, id, public}', async () => {
    const emu = await start({ apps: [basicApp()] })
    const a = await post(emu, '/channel', { channel: 'qa', version: '1.0.1', public: false })
    const qa = emu.channel(APP, 'qa')!
    expect(a.body).toEqual({ status: 'ok', id: qa.id, public: false })
    expect(qa.version?.name).toBe('1.0.1')
    // an unlinking version on a new channel creates it without a bundle, and answers ok
    expect((await post(emu, '/channel', { channel: 'qa2', version: 'builtin' })).body).toEqual({
      status: 'ok'
    })
    expect(emu.channel(APP, 'qa2')!.version).toBeNull()
  })

  it('unknown version: 400 cannot_find_version on a new channel, 500 on an existing one (no change)', async () => {
    const emu = await start({
      apps: [
        basicApp({
          bundles: [{ name: '1.0.0' }, { name: '2.0.0', deleted: true }],
          channels: [{ name: 'beta', version: '1.0.0' }]
        })
      ]
    })
    expectError(
      await post(emu, '/channel', { channel: 'new', version: '9.9.9' }),
      400,
      'cannot_find_version'
    )
    expect(emu.channel(APP, 'new')).toBeUndefined()
    const before = emu.channel(APP, 'beta')
    expectError(
      await post(emu, '/channel', { channel: 'beta', version: '9.9.9', ios: false }),
      500,
      'unknown_error'
    )
    expectError(
      await post(emu, '/channel', { channel: 'beta', version: '2.0.0' }),
      500,
      'unknown_error'
    ) // deleted
    expect(emu.channel(APP, 'beta')).toEqual(before)
  })

  it.each([[null], [''], ['unknown'], ['builtin']])(
    'version %j unlinks the bundle',
    async version => {
      const emu = await start({ apps: [basicApp()] })
      expect((await post(emu, '/channel', { channel: 'beta', version })).status).toBe(200)
      expect(emu.channel(APP, 'beta')!.version).toBeNull()
      expect(emu.channel(APP, 'beta')!.rollout_version).not.toBeNull()
    }
  )

  it('public: true makes other public channels with overlapping platforms non-public', async () => {
    const emu = await start({
      apps: [
        {
          app_id: APP,
          channels: [
            { name: 'both', public: true },
            { name: 'ios', public: true, android: false },
            { name: 'android', public: true, ios: false }
          ]
        }
      ]
    })
    await post(emu, '/channel', { channel: 'new-ios', public: true, android: false })
    const pub = (n: string) => emu.channel(APP, n)!.public
    expect([pub('both'), pub('ios'), pub('android'), pub('new-ios')]).toEqual([
      false,
      false,
      true,
      true
    ])
    await post(emu, '/channel', { channel: 'both', public: true })
    expect([pub('both'), pub('ios'), pub('android'), pub('new-ios')]).toEqual([
      true,
      false,
      false,
      false
    ])
  })

  it('a bad disableAutoUpdate (or a non-boolean flag) is a 500 and changes nothing', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(
      await post(emu, '/channel', { channel: 'beta', disableAutoUpdate: 'sometimes' }),
      500,
      'unknown_error'
    )
    expectError(
      await post(emu, '/channel', { channel: 'x', disableAutoUpdate: 'sometimes' }),
      500,
      'unknown_error'
    )
    expectError(await post(emu, '/channel', { channel: 'beta', ios: 'yes' }), 500, 'unknown_error')
    expect(emu.channel(APP, 'beta')!.disableAutoUpdate).toBe('major')
    expect(emu.channel(APP, 'x')).toBeUndefined()
    for (const v of ['major', 'minor', 'patch', 'version_number', 'none'])
      expect((await post(emu, '/channel', { channel: 'beta', disableAutoUpdate: v })).status).toBe(
        200
      )
  })
})

describe('DELETE /channel', () => {
  it('missing name 400 missing_channel_name, unknown 400 cannot_find_channel; removes overrides on it', async () => {
    const emu = await start({
      apps: [basicApp({ devices: [{ device_id: 'D1', channel: 'beta' }, { device_id: 'd2' }] })]
    })
    expect(emu.deviceOverride(APP, 'd1')).toBe('beta')
    expectError(await del(emu, '/channel', {}), 400, 'missing_channel_name')
    expectError(await del(emu, '/channel', { channel: '' }), 400, 'missing_channel_name')
    expectError(await del(emu, '/channel', { channel: 'nope' }), 400, 'cannot_find_channel')
    expect((await del(emu, '/channel', { channel: 'beta' })).body).toEqual({ status: 'ok' })
    expect(emu.channel(APP, 'beta')).toBeUndefined()
    expect(emu.deviceOverride(APP, 'd1')).toBeUndefined()
    expectError(await del(emu, '/channel', { channel: 'beta' }), 400, 'cannot_find_channel')
    // the bundles it linked are free now
    expect((await del(emu, '/bundle', { version: '1.0.3' })).status).toBe(200)
  })
})

describe('/device', () => {
  const app = () =>
    basicApp({
      channels: [
        { name: 'production', version: '1.0.4', public: true },
        { name: 'beta', version: '1.0.3' },
        { name: 'qa' }
      ],
      devices: [{ device_id: 'known-1', platform: 'ios', version_name: '1.0.3' }]
    })

  it('sets an override (device_id lowercased, device row created) and GET shows it', async () => {
    const emu = await start({ apps: [app()] })
    expect((await post(emu, '/device', { device_id: 'ABC-123', channel: 'beta' })).body).toEqual({
      status: 'ok'
    })
    expect(emu.deviceOverride(APP, 'abc-123')).toBe('beta')
    expect((await post(emu, '/device', { device_id: 'abc-123', channel: 'qa' })).status).toBe(200)
    expect(emu.deviceOverride(APP, 'ABC-123')).toBe('qa')
    const one = await get(emu, '/device', { device_id: 'ABC-123' })
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ device_id: 'abc-123', app_id: APP, channel: 'qa' })
    const known = await get(emu, '/device', { device_id: 'known-1' })
    expect(known.body).toMatchObject({ channel: null, platform: 'ios', version_name: '1.0.3' })
    for (const k of [
      'plugin_version',
      'os_version',
      'is_prod',
      'is_emulator',
      'custom_id',
      'created_at',
      'updated_at'
    ])
      expect(known.body).toHaveProperty(k)
    const all = await get(emu, '/device')
    expect(all.body).toEqual({ data: expect.any(Array), hasMore: false })
    expect(all.body.data.map((d: { device_id: string }) => d.device_id)).toEqual([
      'abc-123',
      'known-1'
    ])
    expectError(await get(emu, '/device', { device_id: 'nope' }), 404, 'device_not_found')
  })

  // Cap-go/capgo supabase/functions/_backend/public/device/get.ts and utils/stats.ts readDevices
  it('GET /device without device_id pages by cursor (`updated_at|device_id`), 50 by default; `page` is ignored', async () => {
    const devices = Array.from({ length: 120 }, (_, i) => ({
      device_id: `dev-${String(i).padStart(3, '0')}`
    }))
    const emu = await start({ apps: [basicApp({ devices })] })
    const first = (await get(emu, '/device')).body
    expect(first.data).toHaveLength(50)
    expect(first.hasMore).toBe(true)
    const last = first.data[49]
    expect(first.nextCursor).toBe(`${last.updated_at}|dev-049`)
    expect((await get(emu, '/device', { page: '1' })).body).toEqual(first) // page is ignored
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const q: Record<string, string> = { limit: '40' }
      if (cursor) q.cursor = cursor
      const page = (await get(emu, '/device', q)).body
      seen.push(...page.data.map((d: { device_id: string }) => d.device_id))
      cursor = page.nextCursor
      expect(page.hasMore).toBe(cursor !== undefined)
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(devices.map(d => d.device_id))
    expectError(await get(emu, '/device', { limit: '0' }), 400, 'invalid_limit')
    expectError(await get(emu, '/device', { limit: 'x' }), 400, 'invalid_limit')
  })

  it('404 channel_not_found, 400 public_channel_override, 400 invalid_version_id; no channel = no-op', async () => {
    const emu = await start({ apps: [app()] })
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'nope' }),
      404,
      'channel_not_found'
    )
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'production' }),
      400,
      'public_channel_override'
    )
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'beta', version_id: 3 }),
      400,
      'invalid_version_id'
    )
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
    expect((await post(emu, '/device', { device_id: 'd' })).body).toEqual({ status: 'ok' })
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
    expect(emu.state.apps[APP]!.devices.map(d => d.device_id)).toEqual(['known-1'])
  })

  it('DELETE removes the override and is safe to repeat', async () => {
    const emu = await start({ apps: [app()] })
    await post(emu, '/device', { device_id: 'd', channel: 'beta' })
    for (let i = 0; i < 3; i++)
      expect((await del(emu, '/device', { device_id: 'D' })).body).toEqual({ status: 'ok' })
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
  })

  it('429 when the same device is set to the same channel again within 60 s', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    c.advance(20_000)
    const again = await post(emu, '/device', { device_id: 'D', channel: 'beta' })
    expectError(again, 429, 'too_many_requests')
    expect(again.body.moreInfo.retryAfterSeconds).toBe(40)
    expect(again.headers.get('retry-after')).toBe('40')
    expect((await post(emu, '/device', { device_id: 'other', channel: 'beta' })).status).toBe(200) // another device
    c.advance(40_000)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'qa' })).status).toBe(200) // another channel
    expect(emu.deviceOverride(APP, 'd')).toBe('qa')
  })

  it('429 on more than 5 operations a second on one device', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    const ops = [
      () => post(emu, '/device', { device_id: 'd', channel: 'beta' }),
      () => del(emu, '/device', { device_id: 'd' }),
      () => post(emu, '/device', { device_id: 'D', channel: 'qa' }),
      () => del(emu, '/device', { device_id: 'd' }),
      () => post(emu, '/device', { device_id: 'd' })
    ]
    for (const op of ops) {
      expect((await op()).status).toBe(200)
      c.advance(100)
    }
    const sixth = await del(emu, '/device', { device_id: 'd' })
    expectError(sixth, 429, 'too_many_requests')
    expect(sixth.headers.get('retry-after')).toBe('1')
    expect((await del(emu, '/device', { device_id: 'e' })).status).toBe(200) // another device
    c.advance(600)
    expect((await del(emu, '/device', { device_id: 'd' })).status).toBe(200)
  })
})

describe('faults', () => {
  it("'status' answers without acting (429 with Retry-After, 503), honouring method/path/count", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [
        {
          kind: 'status',
          status: 429,
          retryAfterSeconds: 7,
          method: 'DELETE',
          path: '/bundle',
          count: 1
        },
        { kind: 'status', status: 503, path: '/channel', count: 1 }
      ]
    })
    const limited = await del(emu, '/bundle', { version: '1.0.0' })
    expectError(limited, 429, 'too_many_requests')
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(limited.body.moreInfo.retryAfterSeconds).toBe(7)
    expect(emu.bundles(APP)).toHaveLength(5)
    expect((await del(emu, '/bundle', { version: '1.0.0' })).status).toBe(200) // count: 1
    expect((await get(emu, '/channel')).status).toBe(503)
    expect((await get(emu, '/channel')).status).toBe(200)
    expect(emu.requests.map(r => r.fault)).toEqual(['status', undefined, 'status', undefined])
  })

  it("'html' answers a 502 HTML page", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'html' }] })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(await res.text()).toContain('<h1>502 Bad Gateway</h1>')
    emu.clearFaults()
    emu.addFault({ kind: 'html', status: 504 })
    expect((await get(emu, '/bundle')).status).toBe(504)
  })

  it("'drop-before' closes the socket without acting; 'drop-after' acts, then closes it", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [
        {
          kind: 'drop-before',
          method: 'DELETE',
          when: r => (r.body as { version?: string }).version === '1.0.0'
        },
        {
          kind: 'drop-after',
          method: 'DELETE',
          when: r => (r.body as { version?: string }).version === '1.0.1'
        }
      ]
    })
    await expect(del(emu, '/bundle', { version: '1.0.0' })).rejects.toThrow()
    await expect(del(emu, '/bundle', { version: '1.0.1' })).rejects.toThrow()
    const live = emu.bundles(APP).map(b => b.name)
    expect(live).toContain('1.0.0')
    expect(live).not.toContain('1.0.1')
    expect(emu.requests.map(r => [r.fault, r.status])).toEqual([
      ['drop-before', 0],
      ['drop-after', 200]
    ])
  })

  it("'slow' waits delayMs then answers normally; latencyMs delays every request", async () => {
    const emu = await start({
      apps: [basicApp()],
      latencyMs: 30,
      faults: [{ kind: 'slow', delayMs: 150, count: 1 }]
    })
    let t = performance.now()
    expect((await get(emu, '/bundle')).status).toBe(200)
    expect(performance.now() - t).toBeGreaterThanOrEqual(170)
    t = performance.now()
    expect((await get(emu, '/bundle')).status).toBe(200)
    const fast = performance.now() - t
    expect(fast).toBeGreaterThanOrEqual(25)
  })

  it("'truncated' sends half the JSON body with the full content-length", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'truncated', method: 'POST' }] })
    const res = await fetch(`${emu.url}/channel`, {
      method: 'POST',
      headers: { capgkey: KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP, channel: 'made-it' })
    })
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('content-length'))).toBe(JSON.stringify({ status: 'ok' }).length)
    await expect(res.text()).rejects.toThrow()
    expect(emu.channel(APP, 'made-it')).toBeDefined() // the handler ran
    expect(emu.requests[0]).toMatchObject({ fault: 'truncated', status: 200 })
  })

  it("'extra-rows' answers up to 120 rows from the page's offset", async () => {
    const emu = await start({
      pagingDefect: false,
      apps: [
        {
          app_id: APP,
          bundles: 200,
          channels: Array.from({ length: 130 }, (_, i) => ({ name: `c${i}` }))
        }
      ],
      faults: [{ kind: 'extra-rows', method: 'GET', count: 3 }]
    })
    expect((await get(emu, '/bundle')).body).toHaveLength(120)
    const p1 = (await get(emu, '/bundle', { page: '1' })).body
    expect(p1).toHaveLength(120)
    expect(p1[0].name).toBe('1.0.149')
    expect((await get(emu, '/channel', { page: '2' })).body).toHaveLength(30)
    expect((await get(emu, '/bundle')).body).toHaveLength(50)
  })

  it("'echo-key' answers a 500 whose message and x-debug-key header hold the key", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'echo-key' }] })
    const a = await get(emu, '/bundle')
    expectError(a, 500, 'unknown_error')
    expect(a.body.message).toContain(KEY)
    expect(a.headers.get('x-debug-key')).toBe(KEY)
  })

  it('skip, share (seeded) and when select which matching requests fire', async () => {
    const run = async (seed: number) => {
      const emu = await start({
        apps: [basicApp()],
        seed,
        faults: [
          { kind: 'status', status: 500, skip: 2, count: 1, path: '/bundle' },
          { kind: 'status', status: 503, share: 0.5, path: '/channel' },
          { kind: 'status', status: 502, when: r => r.query.channel === 'beta' }
        ]
      })
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await get(emu, '/bundle')).status)
      expect(statuses).toEqual([200, 200, 500, 200])
      const shared: number[] = []
      for (let i = 0; i < 40; i++) shared.push((await get(emu, '/channel')).status)
      const fired = shared.filter(s => s === 503).length
      expect(fired).toBeGreaterThan(8)
      expect(fired).toBeLessThan(32)
      emu.clearFaults()
      emu.addFault({ kind: 'status', status: 502, when: r => r.query.channel === 'beta' })
      expect((await get(emu, '/channel', { channel: 'beta' })).status).toBe(502)
      expect((await get(emu, '/channel', { channel: 'production' })).status).toBe(200)
      return shared
    }
    expect(await run(42)).toEqual(await run(42))
  })
})

describe('adversarial faults', () => {
  /** Raw bytes from a request on a plain socket, for `ms` milliseconds. */
  async function rawBytes(emu: Emulator, ms: number): Promise<string> {
    const socket = connect(emu.port, '127.0.0.1')
    let data = ''
    socket.on('data', chunk => (data += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.write(`GET /bundle?app_id=${APP} HTTP/1.1\r\nhost: x\r\ncapgkey: ${KEY}\r\n\r\n`)
    await new Promise(resolve => setTimeout(resolve, ms))
    socket.destroy()
    return data
  }

  it("'error-200' answers 200 with an error body, and does not act", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'error-200', method: 'DELETE', code: 'cannot_delete_version', count: 1 }]
    })
    const a = await del(emu, '/bundle', { version: '1.0.0' })
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ error: 'cannot_delete_version', message: expect.any(String) })
    expect(emu.bundles(APP).map(b => b.name)).toContain('1.0.0')
    expect(emu.requests[0]).toMatchObject({ fault: 'error-200', status: 200 })
  })

  it("'body' answers the rule's status and raw text as they are", async () => {
    const hostile = JSON.stringify([
      { id: 1, name: '../../etc/passwd\u0000<script>', app_id: APP, created_at: 'not a date' }
    ])
    const emu = await start({
      apps: [basicApp()],
      faults: [
        { kind: 'body', path: '/bundle', body: hostile },
        { kind: 'body', status: 418, body: 'teapot', contentType: 'text/plain' }
      ]
    })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(hostile)
    const tea = await get(emu, '/channel')
    expect([tea.status, tea.body, tea.headers.get('content-type')]).toEqual([
      418,
      'teapot',
      'text/plain'
    ])
    expect(emu.requests.map(r => r.status)).toEqual([200, 418])
  })

  it("'huge-body' streams a JSON array of exactly `bytes` bytes, made as it is read", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'huge-body', bytes: 2_000_003, count: 1 }]
    })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.headers.get('content-length')).toBe('2000003')
    const text = await res.text()
    expect(text.length).toBe(2_000_003)
    const rows = JSON.parse(text) as { id: number }[]
    expect(rows.length).toBeGreaterThan(10_000)
    expect(rows[5]).toEqual({ id: 5, name: '0.0.5', deleted: false })
    // 600 MB by default: read 5 MB of it, give up; memory stays small and the server goes on
    emu.addFault({ kind: 'huge-body', count: 1 })
    const heap = process.memoryUsage().rss
    const big = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(big.headers.get('content-length')).toBe(String(600 * 1024 * 1024))
    const reader = big.body!.getReader()
    let got = 0
    while (got < 5_000_000) got += (await reader.read()).value?.length ?? 0
    await reader.cancel()
    expect(process.memoryUsage().rss - heap).toBeLessThan(200 * 1024 * 1024)
    expect((await get(emu, '/bundle')).status).toBe(200)
  })

  it("'trickle-headers' writes the head one byte every intervalMs and never ends it", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'trickle-headers', intervalMs: 20 }]
    })
    const data = await rawBytes(emu, 300)
    expect(data.length).toBeGreaterThan(4)
    expect(data.length).toBeLessThan(25)
    expect('HTTP/1.1 200 OK\r\n'.startsWith(data.slice(0, 15))).toBe(true)
    expect(data).not.toContain('\r\n\r\n')
    await expect(
      fetch(`${emu.url}/bundle?app_id=${APP}`, {
        headers: { capgkey: KEY },
        signal: AbortSignal.timeout(200)
      })
    ).rejects.toThrow()
    expect(emu.requests[0]!.fault).toBe('trickle-headers')
  })

  it("'processing-102' sends 102 Processing every intervalMs and never a final answer", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'processing-102', intervalMs: 20 }]
    })
    const data = await rawBytes(emu, 200)
    const informational = data.split('HTTP/1.1 102 Processing\r\n\r\n')
    expect(informational.length - 1).toBeGreaterThan(3)
    expect(informational.every(rest => rest === '')).toBe(true) // nothing else was sent
    expect(emu.requests[0]).toMatchObject({ fault: 'processing-102', status: 102 })
    await emu.stop() // ends the endless answer (the test's timeout bounds it)
  })

  it("'when' may change state mid-run (a hook) and let the request through", async () => {
    const emu = await start({ apps: [{ app_id: APP, bundles: 120 }], pagingDefect: false })
    emu.addFault({
      kind: 'status',
      when: r => {
        // Another client deletes the newest bundle between page 0 and page 1.
        if (r.query.page === '1')
          emu.state.apps[APP]!.bundles.find(b => b.name === '1.0.119')!.deleted = true
        return false
      }
    })
    const p0 = (await get(emu, '/bundle', { page: '0' })).body
    const p1 = (await get(emu, '/bundle', { page: '1' })).body
    expect(p0[49].name).toBe('1.0.70')
    expect(p1[0].name).toBe('1.0.68') // 1.0.69 moved to page 0's range: skipped
    expect(emu.requests.every(r => r.fault === undefined)).toBe(true)
  })
})

describe('request log and lifecycle', () => {
  it('logs every request in order with method, path, query, body, headers, status; writes() and clearLog()', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    await get(emu, '/bundle', { page: '0' })
    c.advance(10)
    await del(emu, '/bundle', { version: 'nope' })
    await post(emu, '/channel', { channel: 'x' })
    expect(emu.requests).toHaveLength(3)
    expect(emu.requests[0]).toMatchObject({
      seq: 1,
      method: 'GET',
      path: '/bundle',
      query: { app_id: APP, page: '0' },
      status: 200,
      at: T0
    })
    expect(emu.requests[0]!.headers.capgkey).toBe(KEY)
    expect(emu.requests[1]).toMatchObject({
      seq: 2,
      method: 'DELETE',
      body: { app_id: APP, version: 'nope' },
      status: 400,
      at: T0 + 10
    })
    expect(emu.writes().map(r => r.method)).toEqual(['DELETE', 'POST'])
    emu.clearLog()
    expect(emu.requests).toHaveLength(0)
    await get(emu, '/channel')
    expect(emu.requests[0]!.seq).toBe(4)
  })

  it('stop() closes keep-alive sockets promptly', async () => {
    const emu = await startEmulator({ apps: [basicApp()] })
    expect((await get(emu, '/bundle')).status).toBe(200)
    await emu.stop() // returns without waiting for idle sockets (the test's timeout bounds it)
    await expect(get(emu, '/bundle')).rejects.toThrow()
  })
})

// Cap-go/capgo supabase/functions/_backend/public/channel/post.ts (and the trigger
// refresh_channel_rollout_id in supabase/migrations/20260715213729_app_preview_api_key_role.sql)
describe('POST /channel rollouts', () => {
  const id = (emu: Emulator, name: string): number =>
    emu.bundles(APP, { includeDeleted: true }).find(b => b.name === name)!.id

  it('sets a rollout (rolloutVersion by name or by id); rollout_id changes only with the rollout bundle', async () => {
    const emu = await start({ apps: [basicApp()] })
    const before = emu.channel(APP, 'production')!
    const a = await post(emu, '/channel', {
      channel: 'production',
      rolloutVersion: '1.0.1',
      rolloutPercentageBps: 2500,
      rolloutEnabled: true,
      rolloutCacheTtlSeconds: 60
    })
    expect(a.body).toEqual({ status: 'ok' })
    const after = emu.channel(APP, 'production')!
    expect(after).toMatchObject({
      version: { name: '1.0.4' },
      rollout_version: id(emu, '1.0.1'),
      rollout_version_info: { id: id(emu, '1.0.1'), name: '1.0.1' },
      rolloutPercentageBps: 2500,
      rolloutEnabled: true,
      rolloutCacheTtlSeconds: 60
    })
    expect(after.rollout_id).not.toBe(before.rollout_id)
    await post(emu, '/channel', { channel: 'production', rolloutPercentageBps: 5000 })
    expect(emu.channel(APP, 'production')!.rollout_id).toBe(after.rollout_id)
    await post(emu, '/channel', { channel: 'production', rolloutVersion: id(emu, '1.0.0') })
    expect(emu.channel(APP, 'production')!.rollout_version_info?.name).toBe('1.0.0')
    // snake_case spellings are accepted too
    await post(emu, '/channel', { channel: 'production', rollout_percentage_bps: 700 })
    expect(emu.channel(APP, 'production')!.rolloutPercentageBps).toBe(700)
  })

  it('rolloutPercentage (0..100) is rounded to basis points; rolloutPercentageBps wins', async () => {
    const emu = await start({ apps: [basicApp()] })
    await post(emu, '/channel', { channel: 'beta', rolloutPercentage: 33.33 })
    expect(emu.channel(APP, 'beta')!.rolloutPercentageBps).toBe(3333)
    await post(emu, '/channel', {
      channel: 'beta',
      rolloutPercentage: 50,
      rolloutPercentageBps: 100
    })
    expect(emu.channel(APP, 'beta')!.rolloutPercentageBps).toBe(100)
  })

  it('bad values are 400 invalid_rollout_percentage / invalid_rollout_config and change nothing', async () => {
    const emu = await start({ apps: [basicApp()] })
    const before = emu.channel(APP, 'beta')
    for (const rolloutPercentage of [101, -1, '50', 100.01])
      expectError(
        await post(emu, '/channel', { channel: 'beta', version: '1.0.0', rolloutPercentage }),
        400,
        'invalid_rollout_percentage'
      )
    for (const rolloutPercentageBps of [10_001, -1, 1.5, '10'])
      expectError(
        await post(emu, '/channel', { channel: 'beta', version: '1.0.0', rolloutPercentageBps }),
        400,
        'invalid_rollout_config'
      )
    for (const rolloutCacheTtlSeconds of [59, 31_536_001])
      expectError(
        await post(emu, '/channel', { channel: 'beta', rolloutCacheTtlSeconds }),
        400,
        'invalid_rollout_config'
      )
    expectError(
      await post(emu, '/channel', { channel: 'beta', autoPauseConfidence: 1 }),
      400,
      'invalid_auto_pause_confidence'
    )
    expectError(
      await post(emu, '/channel', { channel: 'beta', autoPauseAction: 'explode' }),
      400,
      'invalid_auto_pause_action'
    )
    expect(emu.channel(APP, 'beta')).toEqual(before)
    for (const [rolloutCacheTtlSeconds, bps] of [
      [60, 0],
      [31_536_000, 10_000]
    ])
      expect(
        (
          await post(emu, '/channel', {
            channel: 'beta',
            rolloutCacheTtlSeconds,
            rolloutPercentageBps: bps
          })
        ).status
      ).toBe(200)
  })

  it('rolloutPaused true sets rolloutPausedAt; false clears it and the reason', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    await post(emu, '/channel', {
      channel: 'beta',
      rolloutPaused: true,
      rolloutPauseReason: 'manual'
    })
    expect(emu.channel(APP, 'beta')).toMatchObject({
      rolloutPausedAt: new Date(T0).toISOString(),
      rolloutPauseReason: 'manual'
    })
    await post(emu, '/channel', { channel: 'beta', rolloutPaused: false })
    expect(emu.channel(APP, 'beta')).toMatchObject({
      rolloutPausedAt: null,
      rolloutPauseReason: null
    })
  })

  it('promoteToStable: the rollout bundle becomes the version and the rollout is cleared; without one 400 missing_rollout_version', async () => {
    const emu = await start({ apps: [basicApp()] })
    await post(emu, '/channel', {
      channel: 'beta',
      rolloutEnabled: true,
      rolloutPercentageBps: 3000,
      rolloutPaused: true,
      rolloutPauseReason: 'x'
    })
    expect((await post(emu, '/channel', { channel: 'beta', promoteToStable: true })).status).toBe(
      200
    )
    expect(emu.channel(APP, 'beta')).toMatchObject({
      version: { name: '1.0.2' },
      rollout_version: null,
      rollout_version_info: null,
      rolloutEnabled: false,
      rolloutPercentageBps: 0,
      rolloutPausedAt: null,
      rolloutPauseReason: null
    })
    const after = emu.channel(APP, 'beta')
    expectError(
      await post(emu, '/channel', { channel: 'beta', promoteToStable: true }),
      400,
      'missing_rollout_version'
    )
    expect(emu.channel(APP, 'beta')).toEqual(after)
  })

  it('rollback: true clears the rollout and keeps the version', async () => {
    const emu = await start({ apps: [basicApp()] })
    await post(emu, '/channel', {
      channel: 'beta',
      rolloutEnabled: true,
      rolloutPercentageBps: 900
    })
    expect((await post(emu, '/channel', { channel: 'beta', rollback: true })).status).toBe(200)
    expect(emu.channel(APP, 'beta')).toMatchObject({
      version: { name: '1.0.3' },
      rollout_version: null,
      rolloutEnabled: false,
      rolloutPercentageBps: 0,
      rolloutPausedAt: null
    })
    // the bundle it freed can be deleted now
    expect((await del(emu, '/bundle', { version: '1.0.2' })).status).toBe(200)
  })

  it('a rollout needs a stable bundle: 400 missing_stable_version', async () => {
    const emu = await start({
      apps: [basicApp({ channels: [{ name: 'beta', version: '1.0.3' }, { name: 'qa' }] })]
    })
    const beta = emu.channel(APP, 'beta')
    expectError(
      await post(emu, '/channel', { channel: 'qa', rolloutVersion: '1.0.1' }),
      400,
      'missing_stable_version'
    )
    for (const version of [null, 'unknown'])
      expectError(
        await post(emu, '/channel', { channel: 'beta', version, rolloutVersion: '1.0.1' }),
        400,
        'missing_stable_version'
      )
    expect(emu.channel(APP, 'beta')).toEqual(beta)
    expect(
      (await post(emu, '/channel', { channel: 'qa', version: '1.0.0', rolloutVersion: '1.0.1' }))
        .status
    ).toBe(200)
    expect(emu.channel(APP, 'qa')).toMatchObject({
      version: { name: '1.0.0' },
      rollout_version_info: { name: '1.0.1' }
    })
  })

  it('moving a rollout on a channel that does not exist is 400 cannot_find_channel, and creates nothing', async () => {
    const emu = await start({ apps: [basicApp()] })
    for (const body of [
      { rolloutVersion: '1.0.1' },
      { promoteToStable: true },
      { rollback: true },
      { version: '1.0.3', rolloutVersion: '1.0.1' }
    ])
      expectError(
        await post(emu, '/channel', { channel: 'nope', ...body }),
        400,
        'cannot_find_channel'
      )
    expect(emu.channel(APP, 'nope')).toBeUndefined()
  })

  it('an unknown or deleted rolloutVersion on an existing channel is 500 unknown_error and changes nothing', async () => {
    const emu = await start({
      apps: [
        basicApp({
          bundles: [
            { name: '1.0.2' },
            { name: '1.0.3' },
            { name: 'gone', deleted: true },
            { name: '1.0.4' }
          ]
        })
      ]
    })
    const beta = emu.channel(APP, 'beta')
    for (const rolloutVersion of ['9.9.9', 'gone', id(emu, 'gone'), 999])
      expectError(
        await post(emu, '/channel', { channel: 'beta', rolloutVersion, rolloutPercentageBps: 100 }),
        500,
        'unknown_error'
      )
    expect(emu.channel(APP, 'beta')).toEqual(beta)
  })

  it('a new rollout bundle unpauses and clears the reason', async () => {
    const emu = await start({ apps: [basicApp()] })
    emu.pauseRollout(APP, 'beta', 'failure rate over 5%')
    await post(emu, '/channel', { channel: 'beta', rolloutVersion: '1.0.1' })
    expect(emu.channel(APP, 'beta')).toMatchObject({
      rollout_version_info: { name: '1.0.1' },
      rolloutPausedAt: null,
      rolloutPauseReason: null,
      autoPauseLastTriggeredAt: null
    })
  })

  it('pauseRollout() does what Capgo auto-pause does: rolloutPausedAt and the reason are set', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    emu.pauseRollout(APP, 'beta', 'failure rate over 5%')
    const row = (await get(emu, '/channel', { channel: 'beta' })).body
    expect(row).toMatchObject({
      rolloutPausedAt: new Date(T0).toISOString(),
      rolloutPauseReason: 'failure rate over 5%',
      autoPauseLastTriggeredAt: new Date(T0).toISOString(),
      rollout_version_info: { name: '1.0.2' }
    })
    expect(() => emu.pauseRollout(APP, 'nope', 'x')).toThrow(/unknown channel/)
  })
})

describe('POST /channel platforms', () => {
  // Cap-go/capgo supabase/functions/_backend/public/channel/post.ts inferredElectron
  it('public: true with ios different from android sets electron false; an explicit electron wins', async () => {
    const emu = await start({ apps: [basicApp({ channels: [] })] })
    await post(emu, '/channel', { channel: 'ios', public: true, ios: true, android: false })
    expect(emu.channelPlatforms(APP, 'ios')).toEqual({ ios: true, android: false, electron: false })
    // android not sent: ios (true) still differs from it, as the backend compares the body
    await post(emu, '/channel', { channel: 'ios2', public: true, ios: true })
    expect(emu.channelPlatforms(APP, 'ios2')!.electron).toBe(false)
    await post(emu, '/channel', {
      channel: 'e',
      public: true,
      ios: false,
      android: true,
      electron: true
    })
    expect(emu.channelPlatforms(APP, 'e')!.electron).toBe(true)
    await post(emu, '/channel', { channel: 'private', public: false, ios: false })
    expect(emu.channelPlatforms(APP, 'private')!.electron).toBe(true)
  })

  it('the public overlap counts electron too', async () => {
    const emu = await start({
      apps: [
        basicApp({
          channels: [{ name: 'desktop', public: true, ios: false, android: false, electron: true }]
        })
      ]
    })
    await post(emu, '/channel', {
      channel: 'd2',
      public: true,
      ios: false,
      android: false,
      electron: true
    })
    expect(emu.channel(APP, 'desktop')!.public).toBe(false)
    expect(emu.channel(APP, 'd2')!.public).toBe(true)
  })
})

// Cap-go/capgo supabase/functions/_backend/public/bundle/update_metadata.ts
describe('POST /bundle/metadata', () => {
  it('sets link and comment (each left alone when not sent); seeded values show in GET /bundle', async () => {
    const emu = await start({
      apps: [
        basicApp({
          bundles: [{ name: '1.0.0', link: 'https://ci/1', comment: 'first' }, { name: '1.0.1' }],
          channels: []
        })
      ]
    })
    const rows = (await get(emu, '/bundle')).body
    expect(rows[1]).toMatchObject({ name: '1.0.0', link: 'https://ci/1', comment: 'first' })
    const b1 = emu.bundles(APP)[0]!
    expect(
      (await post(emu, '/bundle/metadata', { version_id: b1.id, link: 'https://x' })).body
    ).toEqual({
      status: 'ok'
    })
    expect(emu.bundles(APP)[0]).toMatchObject({ link: 'https://x', comment: null })
    await post(emu, '/bundle/metadata', { version_id: b1.id, comment: 'hi' })
    expect(emu.bundles(APP)[0]).toMatchObject({ link: 'https://x', comment: 'hi' })
  })

  it('errors: missing_required_fields, cannot_update_bundle_metadata, cannot_find_version, no_fields_to_update, in that order', async () => {
    const emu = await start({ keys: { [KEY]: 'admin', r: 'reader' }, apps: [basicApp()] })
    const b = emu.bundles(APP)[0]!
    expectError(await post(emu, '/bundle/metadata', { link: 'x' }), 400, 'missing_required_fields')
    expectError(
      await call(emu, 'POST', '/bundle/metadata', { body: { version_id: b.id, link: 'x' } }),
      400,
      'missing_required_fields'
    )
    expectError(
      await post(emu, '/bundle/metadata', { version_id: 999 }, 'r'),
      400,
      'cannot_update_bundle_metadata'
    )
    expectError(
      await post(emu, '/bundle/metadata', { version_id: 999 }),
      400,
      'cannot_find_version'
    )
    expectError(
      await post(emu, '/bundle/metadata', { version_id: b.id }),
      400,
      'no_fields_to_update'
    )
    expect(emu.bundles(APP)[0]).toMatchObject({ link: null, comment: null })
  })
})

describe('GET /bundle ties and page size', () => {
  const tied = (): SeedApp => ({
    app_id: APP,
    bundles: [
      { name: 'old', created_at: '2024-01-01T00:00:00Z' },
      ...Array.from({ length: 30 }, (_, i) => ({
        name: `t${i}`,
        created_at: '2025-01-01T00:00:00Z'
      }))
    ]
  })

  it("tieOrder 'shuffle' orders equal created_at differently per request (seeded), still newest first", async () => {
    const orders = async () => {
      const emu = await start({ tieOrder: 'shuffle', seed: 7, apps: [tied()] })
      const out: string[][] = []
      for (let i = 0; i < 4; i++)
        out.push((await get(emu, '/bundle')).body.map((b: { name: string }) => b.name))
      return out
    }
    const a = await orders()
    for (const names of a) {
      expect(names).toHaveLength(31)
      expect(names[30]).toBe('old')
      expect(names.slice(0, 30).sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => `t${i}`).sort()
      )
    }
    expect(new Set(a.map(n => n.join())).size).toBeGreaterThan(1)
    expect(await orders()).toEqual(a) // the same seed gives the same orders
    const stable = await start({ apps: [tied()] })
    const s = (await get(stable, '/bundle')).body.map((b: { name: string }) => b.name)
    expect(s.slice(0, 3)).toEqual(['t29', 't28', 't27']) // 'stable': id descending
  })

  it('maxRows caps the rows of one page (PostgREST max_rows)', async () => {
    const emu = await start({ maxRows: 200, apps: [{ app_id: APP, bundles: 1200 }] })
    const page = (await get(emu, '/bundle', { page: '3' })).body
    expect(page).toHaveLength(200)
    expect(page[0].name).toBe('1.0.1049') // row 150, as without the cap
  })
})

describe('seeds', () => {
  it('channels seed electron and the rollout fields', async () => {
    const emu = await start({
      apps: [
        basicApp({
          channels: [
            {
              name: 'beta',
              version: '1.0.3',
              rollout_version: '1.0.2',
              rolloutEnabled: true,
              rolloutPercentageBps: 1500,
              rolloutPausedAt: '2026-01-01T00:00:00.000Z',
              rolloutPauseReason: 'auto-pause',
              electron: false
            }
          ]
        })
      ]
    })
    expect((await get(emu, '/channel', { channel: 'beta' })).body).toMatchObject({
      rollout_version_info: { name: '1.0.2' },
      rolloutEnabled: true,
      rolloutPercentageBps: 1500,
      rolloutPausedAt: '2026-01-01T00:00:00.000Z',
      rolloutPauseReason: 'auto-pause'
    })
    expect(emu.channelPlatforms(APP, 'beta')).toEqual({ ios: true, android: true, electron: false })
  })
})

describe('npm run emulator (test/emulator/cli.ts)', () => {
  const cli = (args: string[]) =>
    spawnSync(path.join('node_modules', '.bin', 'tsx'), ['test/emulator/cli.ts', ...args], {
      encoding: 'utf8',
      timeout: 30_000
    })

  it('--help lists the flags and one key per role', () => {
    const r = cli(['--help'])
    expect(r.status).toBe(0)
    for (const flag of [
      '--port',
      '--apps',
      '--latency',
      '--no-paging-defect',
      '--rate-limit',
      '--tie-order',
      '--key KEY:ROLE[:apps]'
    ])
      expect(r.stdout).toContain(flag)
    for (const [key, role] of [
      ['reader-key', 'reader'],
      ['uploader-key', 'uploader'],
      ['developer-key', 'developer'],
      ['admin-key', 'admin'],
      ['preview-key', 'preview']
    ])
      expect(r.stdout).toMatch(new RegExp(`${key}\\s+${role}\\n`))
  }, 30_000)

  it('a port in use: one clear line and exit code 2, no stack trace', async () => {
    const busy = await start()
    const r = cli(['--port', String(busy.port)])
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toBe(`port ${busy.port} is in use: choose another with --port`)
  }, 30_000)

  it('an unknown flag or role: exit code 2', () => {
    expect(cli(['--nope']).status).toBe(2)
    expect(cli(['--key', 'k:read']).status).toBe(2)
  }, 30_000)
})

describe('the sample app (test/emulator/sample.ts), shared with npm run demo', () => {
  it('has 120 bundles and the production, beta and qa channels', async () => {
    const emu = await start({ apps: [sampleApp(T0)] })
    expect(emu.bundles(SAMPLE_APP_ID)).toHaveLength(120)
    expect(emu.bundles(SAMPLE_APP_ID)[0]!.name).toBe('1.11.9')
    expect(emu.channel(SAMPLE_APP_ID, 'production')).toMatchObject({
      public: true,
      version: { name: '1.9.4' }
    })
    expect(emu.channel(SAMPLE_APP_ID, 'beta')!.version?.name).toBe('1.11.9')
    expect(emu.channel(SAMPLE_APP_ID, 'qa')).toMatchObject({ public: false, version: null })
  })
})

describe('listening and logging', () => {
  it('listens on ::1 when asked, and logs the size of each answer it sends', async () => {
    const emu = await startEmulator({
      host: '::1',
      keys: { k: 'reader' },
      apps: [{ app_id: 'com.ipv6.app', bundles: 3 }]
    })
    try {
      expect(emu.url).toBe(`http://[::1]:${emu.port}`)
      const answer = await fetch(`${emu.url}/bundle?app_id=com.ipv6.app&page=0`, {
        headers: { capgkey: 'k' }
      })
      const text = await answer.text()
      expect(JSON.parse(text)).toHaveLength(3)
      expect(emu.requests[0]?.responseBytes).toBe(Buffer.byteLength(text))
    } finally {
      await emu.stop()
    }
  })
})
