// End-to-end: the built action (dist/index.js, real Node 24, runner files) against the Capgo
// emulator — releases: promote, a version on a new channel, flags, re-runs, devices, unlink,
// refused plans, a preview channel's deletion, a dry run, a rejected key.

import { describe, expect, it } from 'vitest'
import {
  APP,
  KEY,
  emulator,
  errorText,
  expectNoLeak,
  json,
  report,
  requestsOf,
  run,
  stopEmulators,
  why,
  writeLog,
  type AppSeed
} from './shared.js'

stopEmulators('each')

/** 120 bundles 1.0.0 .. 1.0.119; production (public) on 1.0.100, beta on 1.0.119, qa private. */
function releaseApp(extra: Partial<AppSeed> = {}): AppSeed {
  return {
    bundles: 120,
    channels: [
      { name: 'production', version: '1.0.100', public: true },
      { name: 'beta', version: '1.0.119' },
      { name: 'qa', version: '1.0.50' },
      { name: 'empty' }
    ],
    ...extra
  }
}

const PROMOTE = { channel: 'production', promote_from: 'beta' }

describe('promote', () => {
  it('puts beta’s bundle on production with one PUT /bundle (ids), reads it back, and reports before → after', async () => {
    const emu = await emulator(releaseApp())
    // Without the native compatibility gate, which reads the bundle rows (see the next test).
    const result = await run(emu, { ...PROMOTE, compatibility: 'off' })

    expect(result.code, result.stdout).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.outputs).toMatchObject({
      channel: 'production',
      version: '1.0.119',
      previous_version: '1.0.100',
      channel_changed: 'true',
      channel_created: 'false',
      linked_devices: '[]',
      unlinked_devices: '[]',
      deleted_channel: '',
      deleted_bundles: '[]',
      deleted_count: '0',
      kept_count: '',
      failed_bundles: '[]',
      dry_run: 'false'
    })
    const rep = report(result)
    expect(rep.version).toBe('1.0.119')
    expect(rep.channel_changed).toBe(true)
    expect(rep.plan!.channel!.before!.version).toBe('1.0.100')
    expect(rep.plan!.channel!.after.version).toBe('1.0.119')

    // Exactly one write, by the narrowest route: bundle 1.0.119 (id 120) on production (id 1).
    expect(writeLog(emu)).toEqual([
      `PUT /bundle ${JSON.stringify({ app_id: APP, version_id: 120, channel_id: 1 })}`
    ])
    expect(requestsOf(emu, 'POST', '/channel')).toEqual([])
    // Promotion without the gate reads channels only: no bundle listing.
    expect(requestsOf(emu, 'GET', '/bundle')).toEqual([])
    // After the write, the channel is read back by name.
    const put = requestsOf(emu, 'PUT', '/bundle')[0]!
    const readBack = requestsOf(emu, 'GET', '/channel').filter(
      r => r.query.channel === 'production' && r.seq > put.seq
    )
    expect(readBack).toHaveLength(1)
    expect(readBack[0]!.query).toEqual({ app_id: APP, channel: 'production' })

    const production = emu.channel(APP, 'production')!
    expect(production.version?.name).toBe('1.0.119')
    expect(production.public).toBe(true)
    expect(emu.channel(APP, 'beta')!.version?.name).toBe('1.0.119')

    expect(result.summary).toContain('Channel `production`: changed, verified')
    expect(result.summary).toContain('| bundle | `1.0.100` | **`1.0.119`** |')
    expect(result.summary).toContain('Promoted from channel `beta`')
    expect(result.summary).toContain('Rollback target: `1.0.100`')
    expectNoLeak(result)
  })

  it('a re-run with the same inputs succeeds and writes nothing', async () => {
    const emu = await emulator(releaseApp())
    const first = await run(emu, PROMOTE)
    expect(first.code).toBe(0)
    emu.clearLog()

    const again = await run(emu, PROMOTE)
    expect(again.code, again.stdout).toBe(0)
    expect(again.errors).toEqual([])
    expect(again.outputs).toMatchObject({
      channel: 'production',
      version: '1.0.119',
      previous_version: '1.0.119',
      channel_changed: 'false',
      channel_created: 'false'
    })
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.119')
    expect(again.summary).toContain('already as asked')
    expectNoLeak(again)
  })
})

describe('a version on a new channel', () => {
  it('creates the channel with that version (and links the preview devices after it)', async () => {
    // A tester's phone that has run the app (Capgo knows it).
    const emu = await emulator(releaseApp({ devices: [{ device_id: 'tester-1' }] }))
    const inputs = { channel: 'pr-42', version: '1.0.7', devices: 'Tester-1' }
    const result = await run(emu, inputs)

    expect(result.code, result.stdout).toBe(0)
    expect(result.outputs).toMatchObject({
      channel: 'pr-42',
      version: '1.0.7',
      previous_version: '',
      channel_created: 'true',
      channel_changed: 'true',
      linked_devices: '["tester-1"]',
      kept_count: '120'
    })
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'pr-42', version: '1.0.7' })}`,
      `POST /device ${JSON.stringify({ app_id: APP, device_id: 'tester-1', channel: 'pr-42' })}`
    ])
    const created = emu.channel(APP, 'pr-42')!
    expect(created.version?.name).toBe('1.0.7')
    expect(created.public).toBe(false)
    expect(emu.deviceOverride(APP, 'tester-1')).toBe('pr-42')
    expect(result.summary).toContain('Channel `pr-42`: created')
    expect(result.summary).toContain('| bundle | — | **`1.0.7`** |')
    expectNoLeak(result)

    // Re-run: nothing to do, and no second link (Capgo would answer 429 within 60 s).
    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, again.stdout).toBe(0)
    expect(again.outputs).toMatchObject({
      channel_created: 'false',
      channel_changed: 'false',
      version: '1.0.7',
      previous_version: '1.0.7',
      linked_devices: '["tester-1"]'
    })
    expect(writeLog(emu)).toEqual([])
  })
})

describe('channel flags', () => {
  /** staging private; two public channels, one per platform. */
  const flagsApp = (): AppSeed => ({
    bundles: 5,
    channels: [
      { name: 'prod-android', version: '1.0.1', public: true, ios: false, android: true },
      { name: 'prod-ios', version: '1.0.1', public: true, ios: true, android: false },
      { name: 'staging', version: '1.0.2' }
    ]
  })
  const FLAGS = {
    channel: 'staging',
    ios: 'false',
    allow_emulator: 'false',
    disable_auto_update: 'minor',
    public: 'true',
    // Already so: must not be sent (android is a platform: always sent, Capgo never reports it).
    android: 'true',
    allow_dev: 'true',
    disable_auto_update_under_native: 'true'
  }

  it('sends only the changed fields and the given platforms; the server makes the overlapping public channel private; a re-run sends only the platforms', async () => {
    const emu = await emulator(flagsApp())
    const result = await run(emu, FLAGS)

    expect(result.code, result.stdout).toBe(0)
    expect(result.outputs).toMatchObject({
      channel: 'staging',
      version: '1.0.2',
      previous_version: '1.0.2',
      channel_changed: 'true',
      channel_created: 'false'
    })
    const writes = emu.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]!.method).toBe('POST')
    expect(writes[0]!.path).toBe('/channel')
    expect(writes[0]!.body).toEqual({
      app_id: APP,
      channel: 'staging',
      public: true,
      disableAutoUpdate: 'minor',
      ios: false,
      android: true,
      allow_emulator: false
    })

    // Capgo's rule: `public: true` with ios different from android turns electron off.
    expect(emu.channelPlatforms(APP, 'staging')).toEqual({
      ios: false,
      android: true,
      electron: false
    })
    expect(emu.channel(APP, 'staging')).toMatchObject({
      public: true,
      allow_emulator: false,
      allow_dev: true,
      disableAutoUpdate: 'minor',
      disableAutoUpdateUnderNative: true,
      version: { name: '1.0.2' }
    })
    // Public exclusivity is the server's: the Android default moved to staging (which now serves
    // Android only); the iOS default does not overlap and stays public.
    expect(emu.channel(APP, 'prod-android')!.public).toBe(false)
    expect(emu.channel(APP, 'prod-ios')!.public).toBe(true)

    expect(result.summary).toContain('| public | false | **true** |')
    expect(result.summary).toContain(
      '| ios | not reported | set to false (Capgo does not report it) |'
    )
    expect(result.summary).toContain(
      '| android | not reported | set to true (Capgo does not report it) |'
    )
    expect(result.summary).toContain('| disable_auto_update | `major` | **`minor`** |')
    expect(result.summary).toContain('| allow_emulator | true | **false** |')
    expect(result.summary).not.toMatch(/\| allow_dev \|/)
    expect(result.summary).not.toMatch(/\| electron \|/)
    expectNoLeak(result)

    // A re-run: the settings are as asked; the platforms (never reported) are sent again, alone,
    // and do not count as a change.
    emu.clearLog()
    const again = await run(emu, FLAGS)
    expect(again.code, again.stdout).toBe(0)
    expect(again.outputs.channel_changed).toBe('false')
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'staging', ios: false, android: true })}`
    ])
    expect(emu.channelPlatforms(APP, 'staging')).toEqual({
      ios: false,
      android: true,
      electron: false
    })
    expect(again.summary).toContain('Channel `staging`: platforms sent')
  })
})

describe('devices', () => {
  it('links devices to a private channel, without version_id; a re-run sends no POST /device', async () => {
    // Testers' phones that have run the app: Capgo knows them, so a link can be read back.
    const emu = await emulator(
      releaseApp({
        devices: [
          { device_id: 'dev-a', version_name: '1.0.50' },
          { device_id: 'dev-b', version_name: '1.0.49' }
        ]
      })
    )
    const inputs = { channel: 'qa', devices: 'DEV-A, dev-b' }
    const result = await run(emu, inputs)

    expect(result.code, result.stdout).toBe(0)
    expect(json(result, 'linked_devices')).toEqual(['dev-a', 'dev-b'])
    expect(result.outputs).toMatchObject({
      channel: 'qa',
      version: '1.0.50',
      channel_changed: 'false',
      channel_created: 'false',
      unlinked_devices: '[]'
    })
    const posts = requestsOf(emu, 'POST', '/device')
    expect(posts.map(r => r.body)).toEqual([
      { app_id: APP, device_id: 'dev-a', channel: 'qa' },
      { app_id: APP, device_id: 'dev-b', channel: 'qa' }
    ])
    for (const post of posts) {
      expect(post.body as object).not.toHaveProperty('version_id')
      expect(post.status).toBe(200)
    }
    // Devices alone do not write the channel.
    expect(writeLog(emu)).toHaveLength(2)
    expect(emu.deviceOverride(APP, 'dev-a')).toBe('qa')
    expect(emu.deviceOverride(APP, 'dev-b')).toBe('qa')
    // Each device says what it runs now, against the channel's bundle.
    expect(result.summary).toContain('| `dev-a` | linked to `qa` | runs 1.0.50 |')
    expect(result.summary).toContain('| `dev-b` | linked to `qa` | still on 1.0.49 |')
    expectNoLeak(result)

    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, again.stdout).toBe(0)
    expect(again.errors).toEqual([])
    expect(json(again, 'linked_devices')).toEqual(['dev-a', 'dev-b'])
    expect(requestsOf(emu, 'POST', '/device')).toEqual([])
    expect(writeLog(emu)).toEqual([])
    expect(emu.requests.some(r => r.status === 429)).toBe(false)
    expect(again.summary).toContain('| `dev-a` | already linked to `qa` | runs 1.0.50 |')
  })

  it('a device Capgo has never seen: linked, "not seen by Capgo yet"; a re-run within the minute succeeds without waiting', async () => {
    const emu = await emulator(releaseApp())
    const inputs = { channel: 'qa', devices: 'dev-new' }
    const result = await run(emu, inputs)
    expect(result.code, why(result)).toBe(0)
    expect(emu.deviceOverride(APP, 'dev-new')).toBe('qa')
    // Capgo answers 404 for it, linked or not (the link lives elsewhere).
    expect(requestsOf(emu, 'GET', '/device').map(r => r.status)).toEqual([404])
    expect(result.summary).toContain('| `dev-new` | linked to `qa` | not seen by Capgo yet |')

    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, why(again)).toBe(0)
    // The same link within 60 s is refused (429); that refusal says it was just made.
    expect(requestsOf(emu, 'POST', '/device').map(r => r.status)).toEqual([429])
    expect(again.warnings.join('\n')).toMatch(/"dev-new".*set moments ago/)
    expect(json(again, 'linked_devices')).toEqual(['dev-new'])
    expect(emu.deviceOverride(APP, 'dev-new')).toBe('qa')
  })

  it('refuses devices on a public channel before any write', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'production', devices: 'dev-a' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/public/)
    expect(errorText(result)).toContain('production')
    expect(writeLog(emu)).toEqual([])
    expect(emu.deviceOverride(APP, 'dev-a')).toBeUndefined()
    expect(json(result, 'linked_devices')).toEqual([])
    expectNoLeak(result)
  })

  it('refuses devices on a channel this run makes public, before any write', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'qa', public: 'true', devices: 'dev-a' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/public/)
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'qa')!.public).toBe(false)
    expect(emu.channel(APP, 'production')!.public).toBe(true)
  })

  it('unlinks a device; a re-run sends no DELETE /device for a device without override', async () => {
    const emu = await emulator(
      releaseApp({
        devices: [
          { device_id: 'dev-c', channel: 'qa' },
          { device_id: 'dev-d', channel: 'beta' }
        ]
      })
    )
    const inputs = { unlink_devices: 'DEV-C' }
    const result = await run(emu, inputs)

    expect(result.code, result.stdout).toBe(0)
    expect(json(result, 'unlinked_devices')).toEqual(['dev-c'])
    expect(json(result, 'linked_devices')).toEqual([])
    expect(result.outputs.channel).toBe('')
    expect(writeLog(emu)).toEqual([
      `DELETE /device ${JSON.stringify({ app_id: APP, device_id: 'dev-c' })}`
    ])
    expect(emu.deviceOverride(APP, 'dev-c')).toBeUndefined()
    expect(emu.deviceOverride(APP, 'dev-d')).toBe('beta')
    expect(result.summary).toContain('| `dev-c` | unlinked |')
    expectNoLeak(result)

    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, again.stdout).toBe(0)
    expect(json(again, 'unlinked_devices')).toEqual(['dev-c'])
    expect(requestsOf(emu, 'DELETE', '/device')).toEqual([])
    expect(writeLog(emu)).toEqual([])
    expect(again.summary).toContain('| `dev-c` | had no override |')
  })
})

describe('plans that cannot be carried out fail before any write', () => {
  it('an unknown version: the message names it', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'pr-42', version: '9.9.9', devices: 'dev-a' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('9.9.9')
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    expect(result.outputs).toMatchObject({
      channel: 'pr-42',
      channel_created: 'false',
      channel_changed: 'false',
      linked_devices: '[]'
    })
    expect(report(result).errors.join('\n')).toContain('9.9.9')
    expect(result.summary).toContain('The step failed')
    expect(result.summary).toContain('9.9.9')
    expectNoLeak(result)
  })

  it('a deleted version (soft-deleted row): the message names it', async () => {
    const emu = await emulator({
      bundles: [{ name: '2.0.0' }, { name: '2.0.1', deleted: true }, { name: '2.0.2' }],
      channels: [{ name: 'production', version: '2.0.0', public: true }]
    })
    const result = await run(emu, { channel: 'production', version: '2.0.1' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('2.0.1')
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'production')!.version?.name).toBe('2.0.0')
    expect(result.outputs).toMatchObject({
      version: '2.0.0',
      previous_version: '2.0.0',
      channel_changed: 'false'
    })
    expectNoLeak(result)
  })

  it('promote_from a channel that does not exist', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'production', promote_from: 'nightly' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('nightly')
    expect(errorText(result)).toMatch(/does not exist/)
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.100')
    expectNoLeak(result)
  })

  it('promote_from a channel with no bundle', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'production', promote_from: 'empty' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('empty')
    expect(errorText(result)).toMatch(/no bundle/)
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.100')
    expect(result.outputs.channel_changed).toBe('false')
    expectNoLeak(result)
  })

  it('a bad input fails before the first request', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'production', version: '1.0.5', promote_from: 'beta' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/promote_from/)
    expect(emu.requests).toEqual([])
    expectNoLeak(result)
  })
})

describe('delete a preview channel', () => {
  it('deletes it once; again: a warning, exit 0, no write', async () => {
    const emu = await emulator(
      releaseApp({
        channels: [
          { name: 'production', version: '1.0.100', public: true },
          { name: 'pr-42', version: '1.0.7' }
        ],
        devices: [{ device_id: 'tester-1', channel: 'pr-42' }]
      })
    )
    const result = await run(emu, { delete_channel: 'pr-42' })

    expect(result.code, result.stdout).toBe(0)
    expect(result.warnings).toEqual([])
    expect(result.outputs).toMatchObject({
      deleted_channel: 'pr-42',
      channel: '',
      channel_changed: 'false',
      deleted_count: '0'
    })
    expect(writeLog(emu)).toEqual([
      `DELETE /channel ${JSON.stringify({ app_id: APP, channel: 'pr-42' })}`
    ])
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    expect(emu.channel(APP, 'production')).toBeDefined()
    // The bundle stays: deleting a channel deletes no bundle.
    expect(emu.bundles(APP).some(b => b.name === '1.0.7')).toBe(true)
    expect(result.summary).toContain('**Deleted channel:** `pr-42`')
    expectNoLeak(result)

    emu.clearLog()
    const again = await run(emu, { delete_channel: 'pr-42' })
    expect(again.code, again.stdout).toBe(0)
    expect(again.errors).toEqual([])
    expect(again.warnings).toHaveLength(1)
    expect(again.warnings[0]).toContain('pr-42')
    expect(again.outputs.deleted_channel).toBe('')
    expect(writeLog(emu)).toEqual([])
    expect(again.summary).toContain('`pr-42` was already gone')
    expectNoLeak(again)
  })
})

describe('dry run', () => {
  it('a promotion with devices: outputs describe it, the summary says dry run, nothing is written', async () => {
    const emu = await emulator(
      releaseApp({
        channels: [
          { name: 'production', version: '1.0.100', public: true },
          { name: 'beta', version: '1.0.119' },
          { name: 'staging', version: '1.0.90' }
        ],
        devices: [{ device_id: 'dev-b', channel: 'beta' }]
      })
    )
    const result = await run(emu, {
      channel: 'staging',
      promote_from: 'beta',
      devices: 'dev-a, dev-b',
      unlink_devices: 'dev-z',
      dry_run: 'true'
    })

    expect(result.code, result.stdout).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.outputs).toMatchObject({
      channel: 'staging',
      version: '1.0.119',
      previous_version: '1.0.90',
      channel_changed: 'true',
      channel_created: 'false',
      dry_run: 'true'
    })
    expect(json(result, 'linked_devices')).toEqual(['dev-a', 'dev-b'])
    expect(json(result, 'unlinked_devices')).toEqual(['dev-z'])
    expect(report(result).dry_run).toBe(true)
    expect(result.summary).toMatch(/dry run/i)
    expect(result.summary).toContain('would change')
    expect(result.summary).toContain('| bundle | `1.0.90` | **`1.0.119`** |')
    expect(result.summary).toContain('would be linked to `staging`')

    expect(emu.writes()).toEqual([])
    expect(emu.requests.every(r => r.method === 'GET')).toBe(true)
    expect(emu.channel(APP, 'staging')!.version?.name).toBe('1.0.90')
    expect(emu.deviceOverride(APP, 'dev-b')).toBe('beta')
    expect(emu.deviceOverride(APP, 'dev-a')).toBeUndefined()
    expectNoLeak(result)
  })

  it('a new channel in a dry run: channel_created true, nothing created', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'pr-7', version: '1.0.3', dry_run: 'true' })

    expect(result.code, result.stdout).toBe(0)
    expect(result.outputs).toMatchObject({
      channel: 'pr-7',
      version: '1.0.3',
      channel_created: 'true',
      channel_changed: 'true',
      dry_run: 'true'
    })
    expect(result.summary).toContain('would be created')
    expect(emu.writes()).toEqual([])
    expect(emu.channel(APP, 'pr-7')).toBeUndefined()
  })

  it('fails where the real run would fail, after writing its report', async () => {
    const emu = await emulator(releaseApp())
    const result = await run(emu, { channel: 'production', version: '7.7.7', dry_run: 'true' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('7.7.7')
    expect(result.outputs.dry_run).toBe('true')
    expect(report(result).errors.join('\n')).toContain('7.7.7')
    expect(result.summary).toMatch(/dry run/i)
    expect(emu.writes()).toEqual([])
  })
})

describe('a rejected key', () => {
  it('fails at once with "the API key was rejected", after exactly one request', async () => {
    const emu = await emulator(releaseApp())
    const wrong = 'sk_live_E2E_WRONG_KEY_99'
    const result = await run(emu, { ...PROMOTE, api_key: wrong })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('the API key was rejected')
    expect(emu.requests).toHaveLength(1)
    expect(emu.requests[0]!.status).toBe(401)
    expect(emu.writes()).toEqual([])
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.100')
    expectNoLeak(result, wrong)
    expect(result.stdout).not.toContain(KEY)
  })

  // The reads of a run that needs bundles and devices go out together. A 401 on one of them must
  // still end the run at once: no retry of the others, no waiting for backoffs.
  it('with parallel reads (version + devices): fails at once, retries nothing', async () => {
    // GET /bundle answers 300 ms late (then 401 too), so it is surely in flight when GET /channel's
    // 401 arrives.
    const emu = await emulator(releaseApp(), {
      faults: [{ method: 'GET', path: '/bundle', kind: 'slow', delayMs: 300 }]
    })
    const wrong = 'sk_live_E2E_WRONG_KEY_99'
    const result = await run(emu, {
      channel: 'pr-42',
      version: '1.0.7',
      devices: 'dev-a',
      api_key: wrong,
      // Fewer retries only to keep the test short: one retry is already one too many.
      retries: '1'
    })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('the API key was rejected')
    expect(emu.writes()).toEqual([])
    expect(emu.requests.every(r => r.status === 401)).toBe(true)
    // Each read was sent once at most (a 401 is never retried)...
    const routes = emu.requests.map(r => `${r.method} ${r.path}`)
    expect(new Set(routes).size).toBe(routes.length)
    // ...and nothing is retried or waited for after the key was rejected.
    expect(result.stdout).not.toMatch(/Retrying/)
    expect(result.elapsedMs).toBeLessThan(3000)
    expectNoLeak(result, wrong)
  })
})

describe('the key never leaks', () => {
  it('not even when the server echoes it in an error', async () => {
    const emu = await emulator(releaseApp(), { faults: [{ kind: 'echo-key' }] })
    const result = await run(emu, { ...PROMOTE, retries: '0' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/HTTP 500/)
    expect(errorText(result)).toContain('***')
    expect(emu.requests).toHaveLength(1)
    expect(emu.writes()).toEqual([])
    expectNoLeak(result)
  })
})
