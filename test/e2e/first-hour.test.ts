// End-to-end: the built action (dist/index.js) against the Capgo emulator, as a newcomer meets it
// in the first hour (docs/rollouts.md, `create_channel`; docs/troubleshooting.md): a misspelt
// channel is not created, "did you mean" for `channel`, `promote_from`, `version` and a leading
// `v`, an app that does not exist is said before any role advice, and `bundle_link` must be https.

import { describe, expect, it } from 'vitest'
import { expectFailedWith } from './rollout-shared.js'
import { APP, KEY, emulator, run, stopEmulators, summaryText, why, type AppSeed } from './shared.js'

stopEmulators()

const QUICK = { retries: '1', timeout: '10' }

/** 12 bundles 1.0.0 .. 1.0.11; production on 1.0.8, beta on 1.0.11, pr-42 on 1.0.10. */
const app = (): AppSeed => ({
  bundles: 12,
  channels: [
    { name: 'production', version: '1.0.8' },
    { name: 'beta', version: '1.0.11' },
    { name: 'pr-42', version: '1.0.10' }
  ]
})

describe('create_channel', () => {
  it('auto: a near miss of an existing channel is refused, naming it, before any write and before any role advice', async () => {
    const emu = await emulator(app(), { keys: { [KEY]: 'uploader' } })
    const result = await run(emu, { channel: 'prodution', promote_from: 'beta', ...QUICK })
    expectFailedWith(result, 'Did you mean "production"?', 'create_channel: true')
    expect(result.errors.join('\n')).not.toMatch(/app_developer|role/)
    expect(emu.writes()).toEqual([])
    expect(emu.channel(APP, 'prodution')).toBeUndefined()
    expect(summaryText(result)).toMatch(/near miss/)
  })

  it('auto: another case is a near miss too', async () => {
    const emu = await emulator(app())
    const result = await run(emu, { channel: 'Production', promote_from: 'beta', ...QUICK })
    expectFailedWith(result, '"production"')
    expect(emu.writes()).toEqual([])
  })

  it('auto: digits alone never count, so pr-43 beside pr-42 is created', async () => {
    const emu = await emulator(app())
    const result = await run(emu, { channel: 'pr-43', version: '1.0.11', ...QUICK })
    expect(result.code, why(result)).toBe(0)
    expect(emu.channel(APP, 'pr-43')?.version?.name).toBe('1.0.11')
  })

  it('true: created even when it is a near miss', async () => {
    const emu = await emulator(app())
    const result = await run(emu, {
      channel: 'prodution',
      promote_from: 'beta',
      create_channel: 'true',
      ...QUICK
    })
    expect(result.code, why(result)).toBe(0)
    expect(emu.channel(APP, 'prodution')?.version?.name).toBe('1.0.11')
  })

  it('false: a missing channel fails the run', async () => {
    const emu = await emulator(app())
    const result = await run(emu, {
      channel: 'staging',
      version: '1.0.11',
      create_channel: 'false',
      ...QUICK
    })
    expectFailedWith(result, '"staging" (channel) does not exist, and create_channel is false')
    expect(emu.writes()).toEqual([])
  })

  it('a bad value names the input', async () => {
    const emu = await emulator(app())
    const result = await run(emu, { channel: 'beta', create_channel: 'yes' })
    expectFailedWith(result, 'create_channel', 'auto, true, false')
    expect(emu.requests).toEqual([])
  })
})

describe('did you mean', () => {
  it('promote_from: betta', async () => {
    const emu = await emulator(app())
    const result = await run(emu, { channel: 'production', promote_from: 'betta', ...QUICK })
    expectFailedWith(result, '"betta" (promote_from) does not exist. Did you mean "beta"?')
    expect(emu.writes()).toEqual([])
  })

  it('version: v1.0.9 (a leading v)', async () => {
    const emu = await emulator(app())
    const result = await run(emu, { channel: 'production', version: 'v1.0.9', ...QUICK })
    expectFailedWith(result, 'Did you mean "1.0.9"')
    expect(emu.writes()).toEqual([])
  })

  it('app_id that does not exist: said first, then the role', async () => {
    const emu = await emulator(app())
    const result = await run(emu, {
      app_id: 'com.e2e.ap',
      channel: 'production',
      promote_from: 'beta',
      ...QUICK
    })
    expectFailedWith(
      result,
      'App "com.e2e.ap" (app_id) does not exist, or this API key cannot reach it'
    )
    expect(result.errors[0]!.indexOf('does not exist')).toBeLessThan(
      result.errors[0]!.indexOf('role')
    )
  })
})

describe('bundle_link', () => {
  it('must be https: http is refused before any request', async () => {
    const emu = await emulator(app())
    const result = await run(emu, {
      channel: 'production',
      promote_from: 'beta',
      bundle_link: 'http://example.com/commit/abc'
    })
    expectFailedWith(result, 'bundle_link', 'https')
    expect(emu.requests).toEqual([])
  })
})
