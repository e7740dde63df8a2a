// The emulator's bundle routes: GET /bundle (order, paging defect, ties, page size), DELETE /bundle,
// PUT /bundle and POST /bundle/metadata.
import { describe, expect, it } from 'vitest'
import type { SeedApp } from '../emulator/index.js'
import {
  KEY,
  APP,
  T0,
  start,
  clock,
  call,
  get,
  post,
  del,
  put,
  expectError,
  basicApp
} from './helpers.js'
import type { Answer } from './helpers.js'

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
        'comment',
        'manifest_count'
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
    // Past the end: 200 [] (late-2026; july-2026 is tested in eras.test.ts).
    expect(await get(emu, '/bundle', { page: '24' })).toMatchObject({ status: 200, body: [] })
  })

  it('pages correctly without the defect', async () => {
    const emu = await start({ pagingDefect: false, apps: [{ app_id: APP, bundles: 120 }] })
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
    const p = async (page: string) =>
      names(await get(emu, '/bundle', { page })).map(n => 119 - Number(n.split('.')[2]))
    expect(await p('0')).toEqual(range(0, 50))
    expect(await p('1')).toEqual(range(50, 50))
    expect(await p('2')).toEqual(range(100, 20))
    expect(await get(emu, '/bundle', { page: '3' })).toMatchObject({ status: 200, body: [] })
  })

  it('july-2026: is 400 cannot_get_bundle for an app without (live) bundles', async () => {
    const emu = await start({
      era: 'july-2026',
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
  // Cap-go/capgo supabase/functions/_backend/public/bundle/set_channel.ts. In late-2026 the new
  // stable bundle also ends the rollout (eras.test.ts, change 1).
  it('july-2026: sets only the channel version and answers success with names; rollout fields stay', async () => {
    const emu = await start({ era: 'july-2026', apps: [basicApp()] })
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
