// Re-runs, through the built action: each example use of docs/contract.md run twice in a row — the second
// run succeeds and changes nothing (no write at all, channel_changed=false, deleted_count=0; the one
// exception: `ios`/`android`/`electron`, which Capgo never reports, are sent again) — and
// a run killed in the middle of a cleanup, then run again, finishes the plan and deletes nothing
// beyond it.

import { describe, it } from 'vitest'
import type { ActionRun } from '../helpers/action-runner.js'
import type { Emulator } from '../emulator/index.js'
import type { ExpectStatic } from 'vitest'
import {
  APP,
  DAY,
  dailyBundles,
  deletedNames,
  deletedOutput,
  emulator,
  expectSafe,
  expectedCleanup,
  failedBundles,
  json,
  leaks,
  onDeleteOf,
  previewApp,
  report,
  requestsOf,
  run,
  sorted,
  standardApp,
  stopEmulators,
  twice,
  why,
  writeLog,
  type AppSeed
} from './shared.js'

stopEmulators()

/**
 * The second run: success, no write, and outputs that say nothing changed. (`linked_devices` is not
 * among them: action.yml defines it as "the device ids linked to `channel`", a state that a re-run
 * reports again; the preview test checks it, and that no POST /device was sent.)
 */
function expectNothingChanged(expect: ExpectStatic, emu: Emulator, second: ActionRun): void {
  expect(second.code, why(second)).toBe(0)
  expect(writeLog(emu)).toEqual([])
  expect(second.outputs.channel_changed).toBe('false')
  expect(second.outputs.channel_created).toBe('false')
  expect(second.outputs.deleted_count).toBe('0')
  expect(json(second, 'deleted_bundles')).toEqual([])
  expect(json(second, 'failed_bundles')).toEqual([])
  expect(second.outputs.deleted_channel).toBe('')
  expect(leaks(second)).toEqual([])
}

describe.concurrent('the examples of docs/contract.md, each run twice', () => {
  it('promotion (channel production, promote_from beta): 1st moves production to 1.0.25; 2nd succeeds with no write, channel_changed false', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const { first, second } = await twice(emu, { channel: 'production', promote_from: 'beta' })
    expect(first.code, why(first)).toBe(0)
    expect(first.outputs.channel_changed).toBe('true')
    expect(first.outputs.previous_version).toBe('1.0.29')
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.25')

    expectNothingChanged(expect, emu, second)
    expect(second.outputs.channel).toBe('production')
    expect(second.outputs.version).toBe('1.0.25')
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.25')
  })

  it('promotion with platforms (ios true, android false): 1st moves production and sends the platforms in one POST /channel; 2nd sends the platforms again (Capgo never reports them), alone, with channel_changed false', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const inputs = { channel: 'production', promote_from: 'beta', ios: 'true', android: 'false' }
    const first = await run(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(first.outputs.channel_changed).toBe('true')
    // The platforms make it a POST /channel (the version by name, never empty).
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'production', version: '1.0.25', ios: true, android: false })}`
    ])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.25')
    expect(emu.channelPlatforms(APP, 'production')).toMatchObject({ ios: true, android: false })

    // Someone turns Android back on in the dashboard; the re-run puts the given values back.
    emu.state.apps[APP]!.channels.find(c => c.name === 'production')!.android = true
    emu.clearLog()
    const second = await run(emu, inputs)
    expect(second.code, why(second)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `POST /channel ${JSON.stringify({ app_id: APP, channel: 'production', ios: true, android: false })}`
    ])
    expect(emu.channelPlatforms(APP, 'production')).toMatchObject({ ios: true, android: false })
    expect(second.outputs.channel_changed).toBe('false')
    expect(second.outputs.channel_created).toBe('false')
    expect(second.outputs.version).toBe('1.0.25')
    expect(second.outputs.previous_version).toBe('1.0.25')
    expect(second.outputs.deleted_count).toBe('0')
    expect(second.summary).toContain(
      '| ios | not reported | set to true (Capgo does not report it) |'
    )
    expect(second.summary).toContain(
      '| android | not reported | set to false (Capgo does not report it) |'
    )
    expect(second.summary).not.toContain('already as asked')
    expect(leaks(second)).toEqual([])
  })

  it('a release job with a cleanup (promote_from beta, cleanup_keep 2): the 2nd run skips the cleanup, which would now take the rollback target, and says so', async ({
    expect
  }) => {
    const emu = await emulator({
      bundles: 10,
      channels: [
        { name: 'production', version: '1.0.5' },
        { name: 'beta', version: '1.0.9' }
      ]
    })
    const inputs = { channel: 'production', promote_from: 'beta', cleanup_keep: '2' }
    const { first, second } = await twice(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(first.outputs.previous_version).toBe('1.0.5')
    expect(json(first, 'protected_bundles')).toContain('1.0.5')
    expectNothingChanged(expect, emu, second)
    expect(emu.bundles(APP).map(b => b.name)).toContain('1.0.5')
    expect(second.warnings.join('\n')).toMatch(/cleanup was skipped/)
  })

  it("preview open (channel pr-42, version 1.0.20, devices dev-a and dev-b): 1st creates and links; 2nd (within Capgo's 60-s relink window) sends nothing and succeeds", async ({
    expect
  }) => {
    // Testers' phones that have run the app: Capgo knows them (a device it never saw is covered
    // in release.test.ts).
    const emu = await emulator(
      standardApp({ devices: [{ device_id: 'dev-a' }, { device_id: 'dev-b' }] })
    )
    const inputs = { channel: 'pr-42', version: '1.0.20', devices: 'dev-a\ndev-b' }
    const { first, second } = await twice(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(first.outputs.channel_created).toBe('true')
    expect(json(first, 'linked_devices')).toEqual(['dev-a', 'dev-b'])
    expect(emu.deviceOverride(APP, 'dev-a')).toBe('pr-42')
    expect(emu.deviceOverride(APP, 'dev-b')).toBe('pr-42')

    expectNothingChanged(expect, emu, second)
    expect(second.outputs.version).toBe('1.0.20')
    expect(requestsOf(emu, 'POST', '/device')).toEqual([])
    // Still linked (a state), but nothing sent: the plan found both already linked.
    expect(json(second, 'linked_devices')).toEqual(['dev-a', 'dev-b'])
    const devices = report(second).plan!.devices
    expect(devices.map(d => `${d.device_id} ${d.action}`)).toEqual([
      'dev-a already',
      'dev-b already'
    ])
    expect(emu.channel(APP, 'pr-42')?.version?.name).toBe('1.0.20')
  })

  it('preview close (delete_channel pr-42, delete_versions 1.0.20): 1st deletes both; 2nd succeeds with warnings only, no write', async ({
    expect
  }) => {
    const emu = await emulator(previewApp({ devices: [{ device_id: 'dev-a', channel: 'pr-42' }] }))
    const { first, second } = await twice(emu, {
      delete_channel: 'pr-42',
      delete_versions: '1.0.20'
    })
    expect(first.code, why(first)).toBe(0)
    expect(first.outputs.deleted_channel).toBe('pr-42')
    expect(json(first, 'deleted_bundles')).toEqual(['1.0.20'])

    expectNothingChanged(expect, emu, second)
    expect(second.warnings.join('\n')).toMatch(/pr-42/)
    expect(second.warnings.join('\n')).toMatch(/1\.0\.20/)
    expect(deletedNames(emu)).toEqual(['1.0.20'])
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
  })

  it('scheduled cleanup (cleanup_keep 20, cleanup_older_than 30d; 120 bundles a day apart): 1st deletes exactly the plan; 2nd deletes nothing, no write', async ({
    expect
  }) => {
    const emu = await emulator({
      ...dailyBundles(120),
      channels: [
        { name: 'production', version: '1.0.119' },
        { name: 'beta', version: '1.0.100', rollout_version: '1.0.10' }
      ]
    })
    const plan = expectedCleanup(emu, { keep: 20, olderThanMs: 30 * DAY })
    // Bundles 0..89 are older than 30 days and outside the 20 newest; 1.0.10 is a rollout bundle.
    expect(plan).toEqual(
      sorted(Array.from({ length: 90 }, (_, i) => `1.0.${i}`).filter(v => v !== '1.0.10'))
    )
    const inputs = { cleanup_keep: '20', cleanup_older_than: '30d' }
    const { first, second } = await twice(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(deletedOutput(first)).toEqual(plan)

    expectNothingChanged(expect, emu, second)
    expect(second.outputs.kept_count).toBe(String(120 - plan.length))
    expect(deletedNames(emu)).toEqual(plan)
  })
})

describe.concurrent('interrupted runs, run again', () => {
  // How the run is killed in the middle: main logs nothing per deletion, so there is no stdout line
  // to wait for once "Deleting 177 bundles" is printed (killing on that line kills before most
  // deletions started), and a wall-clock timeout depends on the machine's speed. Instead a single
  // 503 is armed on the 41st DELETE: the client prints "Retrying DELETE /bundle ..." right then,
  // and `killWhen` SIGKILLs the process on that line. So the kill lands after >= 40 deletions were
  // sent and long before the 177th (latency 30 ms, concurrency 2: ~15 ms a deletion), whatever the
  // machine. The DELETEs in flight at the kill may or may not have been carried out by the server:
  // the answer is lost, as in a real crash.
  it('a cleanup (200 bundles, cleanup_keep 20, concurrency 2) SIGKILLed after ~40 of 177 deletions, then run again → the 2nd run finishes the plan: the union of deletions is exactly the uninterrupted plan, nothing beyond it', async ({
    expect
  }) => {
    const seed: AppSeed = {
      bundles: 200,
      channels: [
        { name: 'production', version: '1.0.199' },
        { name: 'beta', version: '1.0.150', rollout_version: '1.0.5' }
      ]
    }
    const inputs = { cleanup_keep: '20', max_delete: '200', concurrency: '2' }

    // The uninterrupted run, on a twin seeded identically.
    const twin = await emulator(seed)
    const uninterrupted = await run(twin, inputs)
    expect(uninterrupted.code, why(uninterrupted)).toBe(0)

    const emu = await emulator(seed, {
      latencyMs: 30,
      faults: [
        { method: 'DELETE', path: '/bundle', kind: 'status', status: 503, skip: 40, count: 1 }
      ]
    })
    const plan = expectedCleanup(emu, { keep: 20 })
    expect(plan).toHaveLength(177)
    expect(deletedNames(twin)).toEqual(plan)

    const killed = await run(emu, inputs, {
      killWhen: stdout => stdout.includes('Retrying DELETE /bundle')
    })
    expect(killed.signal, why(killed)).toBe('SIGKILL')
    // Let the server finish the requests that were in flight at the kill.
    await new Promise(resolve => setTimeout(resolve, 300))
    const afterKill = deletedNames(emu)
    expect(afterKill.length).toBeGreaterThanOrEqual(38)
    expect(afterKill.length).toBeLessThan(plan.length)
    expect(afterKill.every(v => plan.includes(v))).toBe(true)

    emu.clearFaults()
    const again = await run(emu, inputs)
    expect(again.code, why(again)).toBe(0)
    // The second run deletes what is left of the plan, and only that.
    expect(deletedOutput(again)).toEqual(plan.filter(v => !afterKill.includes(v)))
    expect(deletedNames(emu)).toEqual(plan)
    expect(deletedNames(emu)).toEqual(deletedNames(twin))
    // Over both runs: no DELETE outside the plan, none without a version, none repeated clean.
    expectSafe(expect, emu, plan)
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.199')
    expect(emu.channel(APP, 'beta')?.version?.name).toBe('1.0.150')

    // And a third run changes nothing.
    emu.clearLog()
    const third = await run(emu, inputs)
    expectNothingChanged(expect, emu, third)
  })

  it('a cleanup where one deletion failed (500 × 2 > retries 1 on 1.0.4), run again without the fault → the 2nd run deletes just 1.0.4; the union is exactly the plan', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [onDeleteOf('1.0.4', { kind: 'status', status: 500, count: 2 })]
    })
    const plan = expectedCleanup(emu, { keep: 20 })
    const inputs = { cleanup_keep: '20', retries: '1' }
    const first = await run(emu, inputs)
    expect(first.code, why(first)).toBe(1)
    expect(failedBundles(first).map(f => f.version)).toEqual(['1.0.4'])
    expect(deletedNames(emu)).toEqual(plan.filter(v => v !== '1.0.4'))

    const again = await run(emu, inputs)
    expect(again.code, why(again)).toBe(0)
    expect(json(again, 'deleted_bundles')).toEqual(['1.0.4'])
    expect(deletedNames(emu)).toEqual(plan)
    expectSafe(expect, emu, plan)
  })
})
