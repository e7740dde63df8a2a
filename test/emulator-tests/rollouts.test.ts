// Rollouts on the emulator's POST /channel: set, change, pause and resume, promote, roll back, and
// the refusals that change nothing.
import { describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { APP, T0, start, clock, get, post, del, expectError, basicApp } from './helpers.js'

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
