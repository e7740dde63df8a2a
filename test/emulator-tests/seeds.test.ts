// What the emulator is seeded with: channel fields and rollouts, and the sample app shared with
// npm run demo.
import { describe, expect, it } from 'vitest'
import { SAMPLE_APP_ID, sampleApp } from '../emulator/sample.js'
import { APP, T0, start, get, basicApp } from './helpers.js'

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

describe('seeds of the late-2026 fields', () => {
  it('channels seed updatePackage and the auto-pause fields; bundles native_packages', async () => {
    const native = [{ name: '@capacitor/camera', version: '7.0.1', ios_checksum: 'abc' }]
    const emu = await start({
      apps: [
        basicApp({
          bundles: [{ name: '1.0.0', native_packages: native }, { name: '1.0.1' }],
          channels: [
            {
              name: 'beta',
              version: '1.0.0',
              updatePackage: 'zip',
              autoPauseEnabled: true,
              autoPauseFailureRateBps: 500,
              autoPauseWindowMinutes: 30,
              autoPauseMinAttempts: 100,
              autoPauseMinFailures: 5,
              autoPauseConfidence: 0.9,
              autoPauseAction: 'rollback',
              autoPauseCooldownMinutes: 10,
              autoPauseLastTriggeredAt: '2026-01-01T00:00:00.000Z'
            }
          ]
        })
      ]
    })
    expect((await get(emu, '/channel', { channel: 'beta' })).body).toMatchObject({
      updatePackage: 'zip',
      autoPauseEnabled: true,
      autoPauseFailureRateBps: 500,
      autoPauseWindowMinutes: 30,
      autoPauseMinAttempts: 100,
      autoPauseMinFailures: 5,
      autoPauseConfidence: 0.9,
      autoPauseAction: 'rollback',
      autoPauseCooldownMinutes: 10,
      autoPauseLastTriggeredAt: '2026-01-01T00:00:00.000Z'
    })
    const rows = (await get(emu, '/bundle')).body
    expect(rows[1]).toMatchObject({ name: '1.0.0', native_packages: native })
    expect(rows[0]).toMatchObject({ name: '1.0.1', native_packages: [] })
  })
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
