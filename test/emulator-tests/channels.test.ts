// The emulator's channel routes: GET /channel (paging, row shape), POST /channel (create, update,
// public overlap, platforms) and DELETE /channel.
import { describe, expect, it } from 'vitest'
import { APP, start, clock, get, post, del, expectError, basicApp } from './helpers.js'

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
      updatePackage: 'all',
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

// Uncertain change 9: Cap-go/capgo.app supabase/functions/_backend/public/channel/get.ts (a later
// version) reads `page` with Number() and selects ios and android. Both are options.
describe('GET /channel, uncertain change 9', () => {
  const many = () =>
    basicApp({ channels: Array.from({ length: 130 }, (_, i) => ({ name: `c${i}` })) })
  const names = (a: { body: { name: string }[] }) => a.body.map(c => c.name)

  it('channelPagingFixed: 50 rows a page, whatever pagingDefect says (bundles keep the defect)', async () => {
    const emu = await start({ channelPagingFixed: true, apps: [{ ...many(), bundles: 600 }] })
    expect(names(await get(emu, '/channel', { page: '1' }))).toEqual(
      Array.from({ length: 50 }, (_, i) => `c${50 + i}`)
    )
    expect(await get(emu, '/channel', { page: '2' })).toMatchObject({ status: 200 })
    expect((await get(emu, '/channel', { page: '2' })).body).toHaveLength(30)
    expect((await get(emu, '/channel', { page: '3' })).body).toEqual([])
    // not a positive integer: page 0
    for (const page of ['-1', 'x', '0'])
      expect(names(await get(emu, '/channel', { page }))[0]).toBe('c0')
    expect((await get(emu, '/bundle', { page: '1' })).body).toHaveLength(500)
    const defect = await start({ apps: [many()] })
    expect((await get(defect, '/channel', { page: '1' })).body).toHaveLength(80) // rows 50..549
  })

  it('channelRowPlatforms: rows carry ios and android, never electron', async () => {
    const emu = await start({
      channelRowPlatforms: true,
      apps: [basicApp({ channels: [{ name: 'ios-only', android: false }] })]
    })
    const row = (await get(emu, '/channel')).body[0]
    expect(row).toMatchObject({ name: 'ios-only', ios: true, android: false })
    expect(row).not.toHaveProperty('electron')
    const one = (await get(emu, '/channel', { channel: 'ios-only' })).body
    expect(one).toMatchObject({ ios: true, android: false })
    expect(one).not.toHaveProperty('electron')
    expect(emu.channel(APP, 'ios-only')).toEqual(one)
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

  // Unlinking is a new `version` too: in late-2026 it ends the rollout (change 1,
  // Cap-go/capgo.app supabase/migrations/20260817183821_reset_rollout_on_stable_bundle.sql).
  it.each([
    [null, 'late-2026'],
    ['', 'late-2026'],
    ['unknown', 'july-2026'],
    ['builtin', 'july-2026']
  ] as const)('version %j unlinks the bundle (%s)', async (version, era) => {
    const emu = await start({ era, apps: [basicApp()] })
    expect((await post(emu, '/channel', { channel: 'beta', version })).status).toBe(200)
    expect(emu.channel(APP, 'beta')!.version).toBeNull()
    if (era === 'july-2026') expect(emu.channel(APP, 'beta')!.rollout_version).not.toBeNull()
    else expect(emu.channel(APP, 'beta')!.rollout_version).toBeNull()
  })

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
