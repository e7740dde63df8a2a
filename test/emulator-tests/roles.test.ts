// Who may do what on the emulator: reading the key (authorization, capgkey), and the roles and
// apps of a key, each refusal with its route's code.
import { describe, expect, it } from 'vitest'
import { KEY, APP, start, call, get, post, del, put, expectError, basicApp } from './helpers.js'

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

  // GET /bundle answers cannot_get_bundle in late-2026 (eras.test.ts, change 4).
  it('a key scoped to other apps gets cannot_access_app', async () => {
    const emu = await start({ keys, apps })
    expectError(await get(emu, '/channel', {}, 'scoped'), 400, 'cannot_access_app')
    expectError(await get(emu, '/device', {}, 'scoped'), 400, 'cannot_access_app')
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

  // A missing app_id is missing_app_id (Cap-go/capgo public/bundle/get.ts, channel/get.ts, ...):
  // missing-app-id.test.ts.
  it('app_id: bad format 400 invalid_app_id; unknown app 400 cannot_access_app', async () => {
    const emu = await start({ era: 'july-2026', apps })
    for (const app_id of ['demo', 'com..x', '.com.x', 'com.x!'])
      expectError(await call(emu, 'GET', '/bundle', { query: { app_id } }), 400, 'invalid_app_id')
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
    const valid = await call(emu, 'GET', '/channel', { query: { app_id: 'Com.Other-App.x_y' } })
    expectError(valid, 400, 'cannot_access_app') // a valid format, but no such app
  })

  // Cap-go/capgo supabase/functions/_backend/public/bundle/get.ts, bundle/delete.ts,
  // channel/{get,post,delete}.ts, device/{get,delete}.ts check `!body.app_id` first (missing_app_id),
  // device/post.ts answers missing_device_id_or_app_id; tests/bundle-error-cases.test.ts and
  // tests/error-cases.test.ts expect these codes.
  it.each(['late-2026', 'july-2026'] as const)(
    '%s: a missing app_id is 400 missing_app_id (a malformed one stays invalid_app_id)',
    async era => {
      const emu = await start({ era, apps })
      const cases: [string, string, string][] = [
        ['GET', '/bundle', 'missing_app_id'],
        ['DELETE', '/bundle', 'missing_app_id'],
        ['GET', '/channel', 'missing_app_id'],
        ['POST', '/channel', 'missing_app_id'],
        ['DELETE', '/channel', 'missing_app_id'],
        ['GET', '/device', 'missing_app_id'],
        ['DELETE', '/device', 'missing_app_id'],
        ['POST', '/device', 'missing_device_id_or_app_id'],
        ['PUT', '/bundle', 'missing_required_fields'],
        ['POST', '/bundle/metadata', 'missing_required_fields']
      ]
      for (const [method, path, code] of cases) {
        const body = { channel: 'beta', device_id: 'd', version: '1.0.0', version_id: 1 }
        const a =
          method === 'GET'
            ? await call(emu, method, path, { query: { device_id: 'd' } })
            : await call(emu, method, path, { body })
        expectError(a, 400, code)
        const empty =
          method === 'GET'
            ? await call(emu, method, path, { query: { app_id: '' } })
            : await call(emu, method, path, { body: { ...body, app_id: '' } })
        expectError(empty, 400, code)
      }
      expectError(
        await call(emu, 'GET', '/bundle', { query: { app_id: 'demo' } }),
        400,
        'invalid_app_id'
      )
      expectError(
        await call(emu, 'GET', '/device', { query: { app_id: 'x' } }),
        400,
        'invalid_app_id'
      )
      expect(emu.bundles(APP)).toHaveLength(5)
    }
  )
})
