// Capgo as it is today, through the built action: keys have roles (reader < uploader < developer
// < admin), channel rows never say which platforms a channel serves, and a channel may change
// under the run. What the action must do about it (README "Key roles" and "One run"):
// - a promotion alone goes through `PUT /bundle` (ids), which an uploader key may call; the channel
//   is read back and checked;
// - a step refused for lack of permission says which step, and the least role it needs;
// - `ios`/`android`/`electron`, when given, are always sent (Capgo never reports them), and that
//   alone is not a change; when not given, nothing is assumed about them;
// - a read-back that differs from what the run wrote fails the step, says what differs, and the run
//   deletes nothing after it.
// Every test asserts the exact request bodies from the emulator's log.

import { describe, it } from 'vitest'
import type { Emulator, LoggedRequest } from '../emulator/index.js'
import {
  APP,
  KEY,
  deletedNames,
  emulator,
  expectFailureReported,
  expectSafe,
  json,
  leaks,
  report,
  requestsOf,
  run,
  standardApp,
  stopEmulators,
  summaryText,
  why,
  writeLog
} from './shared.js'

stopEmulators()

/** Ids as the emulator hands them out: bundle `1.0.<i>` has id i + 1; channels 1, 2, ... in order. */
const PRODUCTION_ID = 1
const bundleId = (i: number): number => i + 1

/** The standard app (production on 1.0.29, beta on 1.0.25 rolling out 1.0.3) with KEY as `role`. */
async function appWith(role: 'reader' | 'uploader' | 'developer' | 'admin'): Promise<Emulator> {
  return emulator(standardApp(), { keys: { [KEY]: role } })
}

/** The GET /channel?channel=NAME requests (the read-back) sent after request `after`. */
function readBacks(emu: Emulator, name: string, after?: LoggedRequest): LoggedRequest[] {
  return requestsOf(emu, 'GET', '/channel').filter(
    r => r.query.channel === name && (after === undefined || r.seq > after.seq)
  )
}

const PROMOTE = { channel: 'production', promote_from: 'beta' }

describe.concurrent('an uploader key', () => {
  it('promotes beta to production: exactly one write, PUT /bundle with the ids of 1.0.25 and production; read back; channel_changed true', async ({
    expect
  }) => {
    const emu = await appWith('uploader')
    const result = await run(emu, PROMOTE)

    expect(result.code, why(result)).toBe(0)
    expect(result.errors).toEqual([])
    expect(writeLog(emu, { outcome: true })).toEqual([
      `PUT /bundle ${JSON.stringify({ app_id: APP, version_id: bundleId(25), channel_id: PRODUCTION_ID })} -> 200`
    ])
    const put = requestsOf(emu, 'PUT', '/bundle')[0]!
    const back = readBacks(emu, 'production', put)
    expect(back).toHaveLength(1)
    expect(back[0]!.status).toBe(200)
    expect(emu.channel(APP, 'production')?.version).toEqual({ id: bundleId(25), name: '1.0.25' })
    // The rollout of beta and everything else of production are left alone.
    expect(emu.channel(APP, 'beta')?.version?.name).toBe('1.0.25')
    expect(emu.channel(APP, 'beta')?.rollout_version_info?.name).toBe('1.0.3')
    expect(result.outputs).toMatchObject({
      channel: 'production',
      version: '1.0.25',
      previous_version: '1.0.29',
      channel_changed: 'true',
      channel_created: 'false',
      error: '',
      dry_run: 'false'
    })
    expect(result.summary).toContain('Channel `production`: changed, verified')
    expect(leaks(result)).toEqual([])
  })

  it('promotes with public: true → refused by Capgo (POST /channel on an existing channel needs app_admin): the error and the summary name app_admin and the step; nothing changed', async ({
    expect
  }) => {
    const emu = await appWith('uploader')
    const result = await run(emu, { ...PROMOTE, public: 'true' })

    // Settings need POST /channel: one request, refused, not retried.
    expect(writeLog(emu, { outcome: true })).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'production', version: '1.0.25', public: true })} -> 400`
    ])
    expect(requestsOf(emu, 'PUT', '/bundle')).toEqual([])
    expectFailureReported(expect, result, { error: /app_admin/ })
    expect(result.outputs.error).toMatch(/POST \/channel/)
    expect(result.outputs.error).not.toMatch(/app_developer|app_uploader/)
    expect(summaryText(result)).toMatch(/needs the role app_admin/)
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.29')
    expect(emu.channel(APP, 'production')?.public).toBe(false)
    expect(result.outputs.channel_changed).toBe('false')
    expect(leaks(result)).toEqual([])
  })

  it('a cleanup → the first DELETE /bundle is refused: the error names app_admin, nothing is deleted, the other deletions are not attempted', async ({
    expect
  }) => {
    const emu = await appWith('uploader')
    const result = await run(emu, { cleanup_keep: '20', concurrency: '1' })

    const deletes = requestsOf(emu, 'DELETE', '/bundle')
    expect(deletes.map(r => r.status)).toEqual([400])
    // Oldest first: 1.0.0 is the first candidate.
    expect(deletes[0]!.body).toEqual({ app_id: APP, version: '1.0.0' })
    expect(writeLog(emu)).toHaveLength(1)
    expectFailureReported(expect, result, { error: /deleting bundles.*app_admin/ })
    expect(deletedNames(emu)).toEqual([])
    expect(json(result, 'deleted_bundles')).toEqual([])
    expect(report(result).deleted_count).toBe(0)
    expect(result.outputs.error).toMatch(/6 deletions were not attempted/)
    expectSafe(expect, emu)
    expect(leaks(result)).toEqual([])
  })
})

describe.concurrent('a reader key', () => {
  it('creating a channel → POST /channel refused: the error names app_developer (not app_admin); nothing created', async ({
    expect
  }) => {
    const emu = await appWith('reader')
    const result = await run(emu, { channel: 'pr-7', version: '1.0.20' })

    expect(writeLog(emu, { outcome: true })).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'pr-7', version: '1.0.20' })} -> 400`
    ])
    expectFailureReported(expect, result, { error: /creating the channel.*app_developer/ })
    expect(result.outputs.error).not.toMatch(/app_admin/)
    expect(summaryText(result)).toMatch(/app_developer/)
    expect(emu.channel(APP, 'pr-7')).toBeUndefined()
    expect(result.outputs.channel_created).toBe('false')
    expect(leaks(result)).toEqual([])
  })

  it('a dry run of the same promotion needs only reading: success, no write', async ({
    expect
  }) => {
    const emu = await appWith('reader')
    const result = await run(emu, { ...PROMOTE, dry_run: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(emu.writes()).toEqual([])
    expect(result.outputs).toMatchObject({ version: '1.0.25', channel_changed: 'true' })
  })
})

describe.concurrent('platforms: Capgo never reports them', () => {
  it('electron false with ios and android given: sent in the POST /channel body, reported as set; a re-run sends them again with channel_changed false', async ({
    expect
  }) => {
    const emu = await appWith('admin')
    const inputs = {
      channel: 'beta',
      version: '1.0.20',
      ios: 'true',
      android: 'true',
      electron: 'false'
    }
    const first = await run(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'beta', version: '1.0.20', ios: true, android: true, electron: false })}`
    ])
    expect(emu.channelPlatforms(APP, 'beta')).toEqual({ ios: true, android: true, electron: false })
    expect(first.outputs.channel_changed).toBe('true')
    expect(first.summary).toContain(
      '| electron | not reported | set to false (Capgo does not report it) |'
    )
    expect(first.summary).toContain(
      '| ios | not reported | set to true (Capgo does not report it) |'
    )

    // Someone turns Electron back on in the dashboard; the re-run sends the given values again.
    emu.state.apps[APP]!.channels.find(c => c.name === 'beta')!.electron = true
    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, why(again)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'beta', ios: true, android: true, electron: false })}`
    ])
    expect(emu.channelPlatforms(APP, 'beta')).toEqual({ ios: true, android: true, electron: false })
    expect(again.outputs.channel_changed).toBe('false')
    expect(again.outputs.version).toBe('1.0.20')
    expect(again.summary).toContain(
      '| electron | not reported | set to false (Capgo does not report it) |'
    )
    expect(again.summary).toContain('Channel `beta`: platforms sent')
  })

  it('"serves neither platform" is checked on the given values only: a channel stored as serving nothing is promoted fine (uploader), and ios: false alone is sent without assuming android', async ({
    expect
  }) => {
    const emu = await emulator(
      {
        bundles: 30,
        channels: [
          { name: 'production', version: '1.0.29', ios: false, android: false, electron: false },
          { name: 'beta', version: '1.0.25' }
        ]
      },
      { keys: { [KEY]: 'uploader', ak_admin_key_for_the_second_run: 'admin' } }
    )
    const promoted = await run(emu, PROMOTE)
    expect(promoted.code, why(promoted)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `PUT /bundle ${JSON.stringify({ app_id: APP, version_id: bundleId(25), channel_id: PRODUCTION_ID })}`
    ])
    expect(promoted.summary).not.toMatch(/\| (ios|android|electron) \|/)

    emu.clearLog()
    const iosOff = await run(emu, {
      channel: 'production',
      ios: 'false',
      api_key: 'ak_admin_key_for_the_second_run'
    })
    expect(iosOff.code, why(iosOff)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'production', ios: false })}`
    ])
    expect(iosOff.outputs.channel_changed).toBe('false')
    expect(emu.channelPlatforms(APP, 'production')).toEqual({
      ios: false,
      android: false,
      electron: false
    })
  })
})

describe.concurrent('the read-back', () => {
  it('someone else moves production to 1.0.10 just before the read-back: the step fails saying what differs, and the cleanup of the same run deletes nothing (1.0.10 would have gone)', async ({
    expect
  }) => {
    const emu = await appWith('admin')
    let moved = false
    emu.addFault({
      method: 'GET',
      path: '/channel',
      kind: 'status',
      when: req => {
        if (req.query.channel === 'production' && !moved) {
          moved = true
          emu.state.apps[APP]!.channels.find(c => c.name === 'production')!.version = bundleId(10)
        }
        return false
      }
    })
    const result = await run(emu, { ...PROMOTE, cleanup_keep: '0' })

    expect(moved).toBe(true)
    // The promotion was written (PUT /bundle); then nothing else.
    expect(writeLog(emu)).toEqual([
      `PUT /bundle ${JSON.stringify({ app_id: APP, version_id: bundleId(25), channel_id: PRODUCTION_ID })}`
    ])
    expect(requestsOf(emu, 'DELETE', '/bundle')).toEqual([])
    expect(deletedNames(emu)).toEqual([])
    expectFailureReported(expect, result, {
      error:
        /"production" read back.*its bundle is "1\.0\.10" \(id 11\), expected "1\.0\.25" \(id 26\)/,
      changed: true
    })
    expect(result.outputs.error).toMatch(/Someone else changed the channel meanwhile/)
    expect(json(result, 'deleted_bundles')).toEqual([])
    expect(summaryText(result)).toMatch(/after these changes: channel `production` written/)
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.10')
    expect(leaks(result)).toEqual([])
  })
})
