// The two Capgos the emulator copies (option `era`): 'late-2026' (the default) shows each change
// listed in docs/capgo-api-notes.md, "Changes since July 2026", and 'july-2026' the behaviour
// before it. Each test names the backend change it models.
import { describe, expect, it } from 'vitest'
import { upstreamUnavailable } from '../emulator/index.js'
import type { CapgoEra, Emulator, SeedApp } from '../emulator/index.js'
import {
  APP,
  KEY,
  start,
  clock,
  call,
  get,
  post,
  put,
  del,
  expectError,
  basicApp
} from './helpers.js'

const LATE: CapgoEra = 'late-2026'
const JULY: CapgoEra = 'july-2026'

/** beta: stable 1.0.3, rollout 1.0.2 enabled at 25 %, paused. */
const rolloutApp = (): SeedApp =>
  basicApp({
    channels: [
      { name: 'production', version: '1.0.4', public: true },
      {
        name: 'beta',
        version: '1.0.3',
        rollout_version: '1.0.2',
        rolloutEnabled: true,
        rolloutPercentageBps: 2500,
        rolloutPausedAt: '2026-01-01T00:00:00.000Z',
        rolloutPauseReason: 'auto-pause'
      }
    ]
  })

const idOf = (emu: Emulator, name: string): number =>
  emu.bundles(APP).find(b => b.name === name)!.id

describe('the era option', () => {
  it("defaults to 'late-2026' and is shown on the emulator", async () => {
    expect((await start()).era).toBe(LATE)
    expect((await start({ era: JULY })).era).toBe(JULY)
  })
})

// Change 1: Cap-go/capgo.app supabase/migrations/20260817183821_reset_rollout_on_stable_bundle.sql
// (refresh_channel_rollout_id clears the rollout when `version` changes and `rollout_version`
// does not).
describe('change 1: a new stable bundle ends the rollout', () => {
  const cleared = {
    rollout_version: null,
    rollout_version_info: null,
    rolloutEnabled: false,
    rolloutPercentageBps: 0,
    rolloutPausedAt: null,
    rolloutPauseReason: null
  }

  it('late-2026: PUT /bundle and POST /channel version clear it and draw a new rollout_id', async () => {
    for (const how of ['PUT', 'POST'] as const) {
      const emu = await start({ apps: [rolloutApp()] })
      const before = emu.channel(APP, 'beta')!
      const a =
        how === 'PUT'
          ? await put(emu, '/bundle', { version_id: idOf(emu, '1.0.1'), channel_id: before.id })
          : await post(emu, '/channel', { channel: 'beta', version: '1.0.1' })
      expect(a.status).toBe(200)
      const after = emu.channel(APP, 'beta')!
      expect(after).toMatchObject({ ...cleared, version: { name: '1.0.1' } })
      expect(after.rollout_id).not.toBe(before.rollout_id)
    }
  })

  it('late-2026: re-sending the current version, or moving the rollout bundle in the same write, keeps a rollout', async () => {
    const emu = await start({ apps: [rolloutApp()] })
    const before = emu.channel(APP, 'beta')!
    expect(
      (await put(emu, '/bundle', { version_id: idOf(emu, '1.0.3'), channel_id: before.id })).status
    ).toBe(200)
    expect((await post(emu, '/channel', { channel: 'beta', version: '1.0.3' })).status).toBe(200)
    const same = emu.channel(APP, 'beta')!
    expect({ ...same, updated_at: before.updated_at }).toEqual(before)
    // A new version with a new rollout bundle: the rollout stays (on the new bundle).
    expect(
      (
        await post(emu, '/channel', {
          channel: 'beta',
          version: '1.0.4',
          rolloutVersion: '1.0.1'
        })
      ).status
    ).toBe(200)
    expect(emu.channel(APP, 'beta')).toMatchObject({
      version: { name: '1.0.4' },
      rollout_version_info: { name: '1.0.1' },
      rolloutEnabled: true,
      rolloutPercentageBps: 2500
    })
  })

  it('july-2026: a new stable bundle leaves the rollout as it was', async () => {
    const emu = await start({ era: JULY, apps: [rolloutApp()] })
    const before = emu.channel(APP, 'beta')!
    await put(emu, '/bundle', { version_id: idOf(emu, '1.0.1'), channel_id: before.id })
    await post(emu, '/channel', { channel: 'beta', version: '1.0.0' })
    const after = emu.channel(APP, 'beta')!
    expect(after.version?.name).toBe('1.0.0')
    expect(after).toMatchObject({
      rollout_version_info: { name: '1.0.2' },
      rolloutEnabled: true,
      rolloutPercentageBps: 2500,
      rolloutPauseReason: 'auto-pause',
      rollout_id: before.rollout_id
    })
  })
})

// Change 2: Cap-go/capgo.app supabase/functions/_backend/public/channel/post.ts (`disablesRollout`:
// rolloutEnabled false without rollback or promoteToStable unlinks the rollout bundle).
describe('change 2: rolloutEnabled false', () => {
  it('late-2026: also clears the rollout bundle and the pause (the percentage stays)', async () => {
    const emu = await start({ apps: [rolloutApp()] })
    const before = emu.channel(APP, 'beta')!
    expect((await post(emu, '/channel', { channel: 'beta', rolloutEnabled: false })).status).toBe(
      200
    )
    const after = emu.channel(APP, 'beta')!
    expect(after).toMatchObject({
      version: { name: '1.0.3' },
      rollout_version: null,
      rolloutEnabled: false,
      rolloutPausedAt: null,
      rolloutPauseReason: null
    })
    expect(after.rollout_id).not.toBe(before.rollout_id)
    // With a rolloutVersion in the same body, the disable still wins.
    await post(emu, '/channel', { channel: 'beta', rolloutVersion: '1.0.2', rolloutEnabled: true })
    expect(emu.channel(APP, 'beta')!.rollout_version_info?.name).toBe('1.0.2')
    await post(emu, '/channel', { channel: 'beta', rolloutVersion: '1.0.1', rolloutEnabled: false })
    expect(emu.channel(APP, 'beta')!.rollout_version).toBeNull()
  })

  it('july-2026: only turns the rollout off; the bundle stays set, not serving', async () => {
    const emu = await start({ era: JULY, apps: [rolloutApp()] })
    const before = emu.channel(APP, 'beta')!
    await post(emu, '/channel', { channel: 'beta', rolloutEnabled: false })
    expect(emu.channel(APP, 'beta')).toEqual({
      ...before,
      rolloutEnabled: false,
      updated_at: expect.any(String)
    })
  })
})

// Change 3: Cap-go/capgo.app supabase/functions/_backend/public/bundle/get.ts answers the rows
// (`dataBundles ?? []`) and keeps 400 cannot_get_bundle for database errors only.
describe('change 3: GET /bundle past the end', () => {
  it('late-2026: 200 [] past the end and for an app without bundles; the defect stays', async () => {
    const emu = await start({
      apps: [
        { app_id: APP, bundles: 120 },
        { app_id: 'com.empty.app', bundles: [{ name: '1.0.0', deleted: true }] }
      ]
    })
    expect((await get(emu, '/bundle', { page: '1' })).body).toHaveLength(70) // rows 50..549
    expect(await get(emu, '/bundle', { page: '3' })).toMatchObject({ status: 200, body: [] })
    const empty = await call(emu, 'GET', '/bundle', { query: { app_id: 'com.empty.app' } })
    expect(empty).toMatchObject({ status: 200, body: [] })
  })

  it('july-2026: 400 cannot_get_bundle', async () => {
    const emu = await start({ era: JULY, apps: [{ app_id: APP, bundles: 120 }] })
    expect((await get(emu, '/bundle', { page: '1' })).body).toHaveLength(70)
    expectError(await get(emu, '/bundle', { page: '3' }), 400, 'cannot_get_bundle')
  })
})

// Change 4: Cap-go/capgo.app supabase/functions/_backend/public/bundle/get.ts and bundle/delete.ts
// answer their own code when checkPermission refuses the app (an unknown app included).
describe('change 4: refusals of GET and DELETE /bundle', () => {
  const keys = { [KEY]: 'admin', scoped: { role: 'admin', apps: ['com.other.app'] } } as const
  const apps = [basicApp(), { app_id: 'com.other.app', bundles: 1 }]

  it('late-2026: cannot_get_bundle / cannot_delete_bundle for an app the key cannot reach', async () => {
    const emu = await start({ keys, apps })
    expectError(await get(emu, '/bundle', {}, 'scoped'), 400, 'cannot_get_bundle')
    expectError(
      await del(emu, '/bundle', { version: '1.0.0' }, 'scoped'),
      400,
      'cannot_delete_bundle'
    )
    const unknown = { app_id: 'com.unknown.app' }
    expectError(await call(emu, 'GET', '/bundle', { query: unknown }), 400, 'cannot_get_bundle')
    expectError(
      await call(emu, 'DELETE', '/bundle', { body: { ...unknown, version: '1.0.0' } }),
      400,
      'cannot_delete_bundle'
    )
    // Other routes keep cannot_access_app.
    expectError(await get(emu, '/channel', {}, 'scoped'), 400, 'cannot_access_app')
    expectError(
      await put(emu, '/bundle', { version_id: 1, channel_id: 1 }, 'scoped'),
      400,
      'cannot_access_app'
    )
    expect(emu.bundles(APP)).toHaveLength(5)
  })

  it('july-2026: cannot_access_app', async () => {
    const emu = await start({ era: JULY, keys, apps })
    expectError(await get(emu, '/bundle', {}, 'scoped'), 400, 'cannot_access_app')
    expectError(await del(emu, '/bundle', { version: '1.0.0' }, 'scoped'), 400, 'cannot_access_app')
    const unknown = { app_id: 'com.unknown.app' }
    expectError(await call(emu, 'GET', '/bundle', { query: unknown }), 400, 'cannot_access_app')
  })
})

// Change 5: Cap-go/capgo.app supabase/migrations/20260728111351_app_preview_public_channel_guard.sql
// and public/channel/post.ts (`isPublicizing` needs app.update_settings).
describe('change 5: a public channel needs app_admin', () => {
  const keys = { [KEY]: 'admin', dev: 'developer', p: 'preview' } as const

  it('late-2026: a developer or preview key cannot create a public channel; nothing is created', async () => {
    const emu = await start({ keys, apps: [basicApp()] })
    for (const key of ['dev', 'p']) {
      expectError(
        await post(emu, '/channel', { channel: `pub-${key}`, public: true }, key),
        400,
        'cannot_access_app'
      )
      expect(emu.channel(APP, `pub-${key}`)).toBeUndefined()
      // A private one is fine, and so is public: false.
      const ok = await post(emu, '/channel', { channel: `priv-${key}`, public: false }, key)
      expect(ok.status).toBe(200)
    }
    expect(emu.channel(APP, 'production')!.public).toBe(true) // untouched
    // An admin key may, and may turn a private channel public.
    expect((await post(emu, '/channel', { channel: 'priv-dev', public: true })).status).toBe(200)
    expect(emu.channel(APP, 'priv-dev')!.public).toBe(true)
  })

  it('july-2026: a developer key may create a public channel', async () => {
    const emu = await start({ era: JULY, keys, apps: [basicApp()] })
    expect((await post(emu, '/channel', { channel: 'pub', public: true }, 'dev')).status).toBe(200)
    expect(emu.channel(APP, 'pub')!.public).toBe(true)
  })
})

// Change 6: Cap-go/capgo.app supabase/migrations/20260814134643_channel_update_package.sql (the
// column), 20260814161627_channel_update_package_bundle_guard.sql (channel_update_package_mismatch:
// no zip = r2_path empty or storage_provider 'r2-direct'; no delta = no manifest), and
// public/channel/post.ts, bundle/set_channel.ts, utils/channel_update_package.ts (the 400s).
describe('change 6: channel update packages', () => {
  const packagesApp = (): SeedApp => ({
    app_id: APP,
    bundles: [
      { name: '1.0.0' }, // zip only (the default)
      { name: '1.0.1', zip: false, delta: true }, // delta only
      { name: '1.0.2', delta: true } // both
    ],
    channels: [{ name: 'beta', version: '1.0.0' }]
  })

  it('late-2026: rows carry updatePackage; a bad value is 400 invalid_update_package', async () => {
    const emu = await start({ apps: [packagesApp()] })
    expect((await get(emu, '/channel')).body[0].updatePackage).toBe('all')
    expectError(
      await post(emu, '/channel', { channel: 'beta', updatePackage: 'tar' }),
      400,
      'invalid_update_package'
    )
    expectError(
      await post(emu, '/channel', { channel: 'new', updatePackage: 'full' }),
      400,
      'invalid_update_package'
    )
    expect(emu.channel(APP, 'new')).toBeUndefined()
    expect((await post(emu, '/channel', { channel: 'beta', update_package: 'zip' })).status).toBe(
      200
    )
    expect(emu.channel(APP, 'beta')!.updatePackage).toBe('zip')
    const created = await post(emu, '/channel', { channel: 'd', updatePackage: 'delta' })
    expect(created.status).toBe(200)
    expect((await get(emu, '/channel', { channel: 'd' })).body.updatePackage).toBe('delta')
  })

  it('late-2026: a bundle that cannot serve the channel is refused, by PUT /bundle and POST /channel', async () => {
    const emu = await start({ apps: [packagesApp()] })
    await post(emu, '/channel', { channel: 'beta', updatePackage: 'zip' })
    const beta = emu.channel(APP, 'beta')!
    const zipRefusal = await put(emu, '/bundle', {
      version_id: idOf(emu, '1.0.1'),
      channel_id: beta.id
    })
    expectError(zipRefusal, 400, 'channel_zip_required')
    expect(zipRefusal.body.message).toContain('1.0.1')
    expectError(
      await post(emu, '/channel', { channel: 'beta', version: '1.0.1' }),
      400,
      'channel_zip_required'
    )
    expect(emu.channel(APP, 'beta')).toEqual(beta) // nothing written
    expect((await post(emu, '/channel', { channel: 'beta', version: '1.0.2' })).status).toBe(200)

    await post(emu, '/channel', { channel: 'beta', updatePackage: 'delta_from_builtin' })
    expectError(
      await put(emu, '/bundle', { version_id: idOf(emu, '1.0.0'), channel_id: beta.id }),
      400,
      'channel_delta_required'
    )
    // Changing the package itself is checked against the linked bundle.
    await post(emu, '/channel', { channel: 'beta', updatePackage: 'all' })
    await post(emu, '/channel', { channel: 'beta', version: '1.0.0' })
    expectError(
      await post(emu, '/channel', { channel: 'beta', updatePackage: 'delta' }),
      400,
      'channel_delta_required'
    )
    expect(emu.channel(APP, 'beta')!.updatePackage).toBe('all')
    // A new channel with a package and a bundle that cannot serve it is not created.
    expectError(
      await post(emu, '/channel', { channel: 'z', updatePackage: 'zip', version: '1.0.1' }),
      400,
      'channel_zip_required'
    )
    expect(emu.channel(APP, 'z')).toBeUndefined()
    // The rollout bundle is checked too.
    await post(emu, '/channel', { channel: 'beta', updatePackage: 'zip' })
    expectError(
      await post(emu, '/channel', { channel: 'beta', rolloutVersion: '1.0.1' }),
      400,
      'channel_zip_required'
    )
  })

  it('july-2026: no updatePackage in rows, the field is ignored, no checks', async () => {
    const emu = await start({ era: JULY, apps: [packagesApp()] })
    expect((await post(emu, '/channel', { channel: 'beta', updatePackage: 'zip' })).status).toBe(
      200
    )
    expect((await post(emu, '/channel', { channel: 'x', updatePackage: 'bogus' })).status).toBe(200)
    expect((await get(emu, '/channel')).body[0]).not.toHaveProperty('updatePackage')
    const beta = emu.channel(APP, 'beta')!
    const a = await put(emu, '/bundle', { version_id: idOf(emu, '1.0.1'), channel_id: beta.id })
    expect(a.status).toBe(200)
  })

  it('seeded bundles store their packages as Capgo does', async () => {
    const emu = await start({ apps: [packagesApp()] })
    const row = (name: string) => emu.bundles(APP).find(b => b.name === name)!
    expect(row('1.0.0')).toMatchObject({ storage_provider: 'r2', manifest_count: 0 })
    expect(row('1.0.0').r2_path).toBeTruthy()
    expect(row('1.0.1')).toMatchObject({ storage_provider: 'r2-direct', r2_path: null })
    expect(row('1.0.1').manifest_count).toBeGreaterThan(0)
  })
})

// Change 7: Cap-go/capgo.app supabase/functions/_backend/utils/rbac.ts handlePermissionCheckError
// (a transient Postgres error during a permission check is 503 upstream_unavailable). The
// emulator models it as a fault; both eras can be given it.
describe('change 7: 503 upstream_unavailable', () => {
  it.each([LATE, JULY])(
    '%s: the upstreamUnavailable() fault answers 503 with that code',
    async era => {
      const emu = await start({
        era,
        apps: [basicApp()],
        faults: [upstreamUnavailable({ method: 'POST', path: '/channel', count: 1 })]
      })
      const a = await post(emu, '/channel', { channel: 'beta', version: '1.0.0' })
      expectError(a, 503, 'upstream_unavailable')
      expect(emu.channel(APP, 'beta')!.version?.name).toBe('1.0.3') // nothing written
      expect((await post(emu, '/channel', { channel: 'beta', version: '1.0.0' })).status).toBe(200)
      emu.addFault({ kind: 'status', status: 503, code: 'upstream_unavailable', count: 1 })
      expectError(await get(emu, '/bundle'), 503, 'upstream_unavailable')
    }
  )
})

// Change 8: Cap-go/capgo.app supabase/migrations/20260812151140_cleanup_channel_devices_90_days.sql
// (a month, then 90 days) and later no expiry of API-made overrides; the custom_id filter is
// Cap-go/capgo.app public/device/get.ts parseCustomIdFilter (20260729161824_devices_custom_id_lookup_index.sql).
describe('change 8: device overrides and the custom_id filter', () => {
  const deviceApp = (): SeedApp =>
    basicApp({
      devices: [
        { device_id: 'd1', custom_id: 'tester-anna' },
        { device_id: 'd2', custom_id: 'tester-bob' },
        { device_id: 'd3' }
      ]
    })
  const DAY = 86_400_000

  it('late-2026: overrides made through the API never expire', async () => {
    const c = clock()
    const emu = await start({ apps: [deviceApp()], now: c.now })
    expect((await post(emu, '/device', { device_id: 'd1', channel: 'beta' })).status).toBe(200)
    c.advance(400 * DAY)
    expect((await get(emu, '/device', { device_id: 'd1' })).body.channel).toBe('beta')
    expect(emu.deviceOverride(APP, 'd1')).toBe('beta')
  })

  it('july-2026: an override is gone 30 days after it was set', async () => {
    const c = clock()
    const emu = await start({ era: JULY, apps: [deviceApp()], now: c.now })
    await post(emu, '/device', { device_id: 'd1', channel: 'beta' })
    c.advance(29 * DAY)
    expect((await get(emu, '/device', { device_id: 'd1' })).body.channel).toBe('beta')
    await post(emu, '/device', { device_id: 'd2', channel: 'beta' }) // set later
    c.advance(DAY)
    expect((await get(emu, '/device', { device_id: 'd1' })).body.channel).toBeNull()
    expect(emu.deviceOverride(APP, 'd1')).toBeUndefined()
    expect(emu.deviceOverride(APP, 'd2')).toBe('beta')
    const list = (await get(emu, '/device')).body.data
    expect(list.map((d: { channel: string | null }) => d.channel)).toEqual([null, 'beta', null])
  })

  it('late-2026: GET /device?custom_id= lists the devices with that custom_id (trimmed, exact)', async () => {
    const emu = await start({ apps: [deviceApp()] })
    const page = (await get(emu, '/device', { custom_id: ' tester-anna ' })).body
    expect(page).toEqual({ data: [expect.objectContaining({ device_id: 'd1' })], hasMore: false })
    expect((await get(emu, '/device', { custom_id: 'tester' })).body.data).toEqual([])
    expectError(await get(emu, '/device', { custom_id: '  ' }), 400, 'invalid_custom_id')
    expectError(await get(emu, '/device', { custom_id: 'x'.repeat(37) }), 400, 'invalid_custom_id')
  })

  it('july-2026: custom_id is ignored', async () => {
    const emu = await start({ era: JULY, apps: [deviceApp()] })
    expect((await get(emu, '/device', { custom_id: 'tester-anna' })).body.data).toHaveLength(3)
    expect((await get(emu, '/device', { custom_id: '' })).status).toBe(200)
  })
})
