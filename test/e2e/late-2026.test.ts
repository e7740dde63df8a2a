// End-to-end: the built action (dist/index.js) against Capgo as it is in late 2026 and as it was in
// July 2026 (the emulator's `era`), for the changes of docs/capgo-api-notes.md that the action must
// be right on both sides of: a new stable bundle ends a running rollout, `cannot_get_bundle` that is
// a refusal and not an empty app, 503 `upstream_unavailable`, a public channel that needs
// app_admin, a channel's update-package setting, a device Capgo has never seen, and a rollout bundle
// that is set but serves no device.

import { describe, expect, it } from 'vitest'
import type { CapgoEra, Emulator } from '../emulator/index.js'
import { envOf, github, payload, runWithGitHub } from './github-shared.js'
import {
  channelState,
  expectFailedWith,
  fateOf,
  noRollout,
  rolloutApp,
  rolloutOutputs,
  runningRollout,
  writes
} from './rollout-shared.js'
import { APP, KEY, emulator, run, stopEmulators, summaryText, why } from './shared.js'

stopEmulators()

const ERAS: CapgoEra[] = ['late-2026', 'july-2026']
const QUICK = { retries: '2', timeout: '10' }
const PROMOTE = { channel: 'production', promote_from: 'beta', ...QUICK }

/** production on 1.0.8 rolling out 1.0.9 at 25 %; beta on 1.0.11. */
const rolloutRunning = () => rolloutApp(runningRollout('1.0.9', 2500))

/** No request body of the run carries the fields that exist only on Capgo's branches (change 10). */
function expectNoBranchFields(emu: Emulator): void {
  for (const r of emu.writes()) {
    const body = (r.body ?? {}) as Record<string, unknown>
    expect(Object.keys(body)).not.toContain('target')
    expect(Object.keys(body)).not.toContain('advanceRollout')
  }
}

describe.each(ERAS)('a promotion onto a channel whose rollout runs (%s)', era => {
  const late = era === 'late-2026'

  it('succeeds with an uploader key; outputs, summary and deployment say what Capgo holds', async () => {
    const emu = await emulator(rolloutRunning(), { era, keys: { [KEY]: 'uploader' } })
    const gh = await github()
    const result = await runWithGitHub(emu, gh, { ...PROMOTE, github_deployment: 'true' })

    expect(result.code, why(result)).toBe(0)
    // One write, the narrow route: the uploader key may make it.
    expect(writes(emu).map(w => `${w.method} ${w.path} ${w.status}`)).toEqual(['PUT /bundle 200'])
    expectNoBranchFields(emu)
    // Capgo's side effect was said before the write.
    expect(result.warnings.join('\n')).toMatch(/Capgo ends the rollout of "1.0.9" at 25 %/)
    expect(result.stdout).not.toMatch(/Someone else changed/)

    const held = channelState(emu)
    if (late) expect(held).toEqual(noRollout('1.0.11'))
    else expect(held).toMatchObject({ version: '1.0.11', rollout: '1.0.9', bps: 2500 })

    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.11',
      previous_version: '1.0.8',
      rollout_version: late ? '' : '1.0.9',
      rollout_percentage: late ? '' : '25',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    const summary = summaryText(result)
    expect(summary).toMatch(
      late
        ? /Capgo ended the rollout of `1.0.9` at 25 %, as predicted/
        : /This Capgo kept the rollout of `1.0.9` at 25 %/
    )

    const [deployment, ...others] = gh.deployments(envOf('production'))
    expect(others).toEqual([])
    expect(deployment?.payload).toMatchObject(
      payload({
        version: '1.0.11',
        previous_version: '1.0.8',
        rollout_version: late ? '' : '1.0.9',
        rollout_percentage: late ? '' : '25'
      })
    )
    expect(gh.latestState(deployment!.id)).toBe('success')
  })

  it("the ended rollout bundle is kept by the same run's cleanup", async () => {
    const emu = await emulator(rolloutRunning(), { era })
    const result = await run(emu, { ...PROMOTE, cleanup_keep: '0' })

    expect(result.code, why(result)).toBe(0)
    expect(fateOf(result, '1.0.9')?.fate).toBe('protected')
    expect(emu.bundles(APP).map(b => b.name)).toContain('1.0.9')
    // The rollback target too.
    expect(emu.bundles(APP).map(b => b.name)).toContain('1.0.8')
  })

  it('a re-run changes nothing', async () => {
    const emu = await emulator(rolloutRunning(), { era, keys: { [KEY]: 'uploader' } })
    const first = await run(emu, PROMOTE)
    expect(first.code, why(first)).toBe(0)
    emu.clearLog()
    const second = await run(emu, PROMOTE)
    expect(second.code, why(second)).toBe(0)
    expect(emu.writes()).toEqual([])
    expect(second.outputs.channel_changed).toBe('false')
    expect(second.warnings.join('\n')).not.toMatch(/Capgo ends the rollout/)
  })
})

describe('cannot_get_bundle: a refusal that looks like an empty app', () => {
  const refusedListing = {
    method: 'GET',
    path: '/bundle',
    kind: 'body' as const,
    status: 400,
    body: JSON.stringify({ error: 'cannot_get_bundle', message: 'Cannot get bundle', moreInfo: {} })
  }

  it.each(ERAS)(
    '%s: a cleanup on an app whose channels hold bundles fails naming the access; nothing is deleted',
    async era => {
      const emu = await emulator(rolloutApp(), { era, faults: [refusedListing] })
      const result = await run(emu, { cleanup_keep: '0', ...QUICK })

      expectFailedWith(result, 'may not read the bundles of com.e2e.app', 'app_reader')
      expect(emu.writes()).toEqual([])
      expect(summaryText(result)).toMatch(/Nothing was changed/i)
      expect(result.outputs.kept_count).toBe('')
    }
  )

  it('a release does not call its bundle "never uploaded"', async () => {
    const emu = await emulator(rolloutApp(), { faults: [refusedListing] })
    const result = await run(emu, { channel: 'production', version: '1.0.10', ...QUICK })
    expectFailedWith(result, 'may not read the bundles')
    expect(result.errors.join('\n')).not.toMatch(/never uploaded/)
    expect(emu.writes()).toEqual([])
  })

  it('july-2026: an app with no bundle and no channel is empty, not refused', async () => {
    const emu = await emulator({ bundles: 0, channels: [] }, { era: 'july-2026' })
    const result = await run(emu, { cleanup_keep: '0', ...QUICK })
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.kept_count).toBe('0')
  })

  it('late-2026: a key limited to another app gets cannot_get_bundle; the run fails before any write', async () => {
    const emu = await emulator(rolloutApp(), {
      keys: { [KEY]: { role: 'admin', apps: ['com.other.app'] } }
    })
    const result = await run(emu, { cleanup_keep: '0', ...QUICK })
    expect(result.code, why(result)).toBe(1)
    expect(result.errors.join('\n')).toMatch(/app_reader/)
    expect(emu.writes()).toEqual([])
  })
})

describe('503 upstream_unavailable', () => {
  it('is retried like any 5xx', async () => {
    const emu = await emulator(rolloutApp(), {
      faults: [
        {
          method: 'GET',
          path: '/channel',
          kind: 'body',
          status: 503,
          count: 1,
          body: JSON.stringify({
            error: 'upstream_unavailable',
            message: 'Service temporarily unavailable',
            moreInfo: {}
          })
        }
      ]
    })
    const result = await run(emu, { ...PROMOTE, retries: '2' })
    expect(result.code, why(result)).toBe(0)
    // The 503, then its retry answered; the run goes on (a re-plan and the read-back read again).
    const listings = emu.requests.filter(
      r => r.method === 'GET' && r.path === '/channel' && r.query.channel === undefined
    )
    expect(listings.slice(0, 2).map(r => r.status)).toEqual([503, 200])
    expect(result.stdout).toMatch(/Retrying GET \/channel/)
    expect(channelState(emu).version).toBe('1.0.11')
  })
})

describe('a public channel needs app_admin (since July 27, 2026)', () => {
  it('late-2026: a developer key creating a public channel is told to use app_admin; nothing is created', async () => {
    const emu = await emulator(rolloutApp(), { keys: { [KEY]: 'developer' } })
    const result = await run(emu, {
      channel: 'preview',
      promote_from: 'beta',
      public: 'true',
      ...QUICK
    })
    expectFailedWith(result, 'creating a public channel', 'app_admin')
    expect(result.errors.join('\n')).not.toMatch(/role app_developer/)
    expect(emu.channel(APP, 'preview')).toBeUndefined()
  })

  it('july-2026: the same developer key could', async () => {
    const emu = await emulator(rolloutApp(), { era: 'july-2026', keys: { [KEY]: 'developer' } })
    const result = await run(emu, {
      channel: 'preview',
      promote_from: 'beta',
      public: 'true',
      ...QUICK
    })
    expect(result.code, why(result)).toBe(0)
    expect(emu.channel(APP, 'preview')?.public).toBe(true)
  })
})

describe('a rollout bundle that is set, not serving', () => {
  it('rollout_steps turns it on at the first step, never at 100 % in one run; the summary says "set, not serving"', async () => {
    const emu = await emulator(
      rolloutApp({ rollout_version: '1.0.9', rolloutEnabled: false, rolloutPercentageBps: 10000 }),
      { era: 'july-2026' }
    )
    const result = await run(emu, { channel: 'production', rollout_steps: '5,25,50,100', ...QUICK })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu)).toMatchObject({
      version: '1.0.8',
      rollout: '1.0.9',
      bps: 500,
      enabled: true
    })
    expect(result.outputs.rollout_percentage).toBe('5')
    expect(summaryText(result)).toMatch(/`1.0.9` set, not serving/)
  })

  it('a rollback is not refused for it, and the rollout bundle is cleared by the new bundle', async () => {
    const emu = await emulator(
      rolloutApp({ rollout_version: '1.0.9', rolloutEnabled: false, rolloutPercentageBps: 2500 })
    )
    const gh = await github({
      deployments: [
        {
          environment: envOf('production'),
          payload: payload({ version: '1.0.7' }),
          statuses: [{ state: 'success' }]
        },
        {
          environment: envOf('production'),
          payload: payload({ version: '1.0.8', previous_version: '1.0.7' }),
          statuses: [{ state: 'success' }]
        }
      ]
    })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu)).toEqual(noRollout('1.0.7'))
    expect(result.outputs.rollout_version).toBe('')
  })
})

describe("a channel's update-package setting (Capgo since August 2026)", () => {
  it('a bundle without a delta on a channel that requires delta: refused, the message names the setting; nothing changed', async () => {
    const emu = await emulator({
      bundles: [{ name: '1.0.0', delta: true }, { name: '1.0.1', delta: true }, { name: '1.0.2' }],
      channels: [
        { name: 'production', version: '1.0.1', updatePackage: 'delta' },
        { name: 'beta', version: '1.0.2' }
      ]
    })
    const result = await run(emu, { ...PROMOTE })
    expectFailedWith(result, 'update-package setting (updatePackage)', 'channel_delta_required')
    expect(channelState(emu).version).toBe('1.0.1')
  })

  it('july-2026: no such setting, the same promotion goes through', async () => {
    const emu = await emulator(
      {
        bundles: [{ name: '1.0.1' }, { name: '1.0.2' }],
        channels: [
          { name: 'production', version: '1.0.1', updatePackage: 'delta' },
          { name: 'beta', version: '1.0.2' }
        ]
      },
      { era: 'july-2026' }
    )
    const result = await run(emu, { ...PROMOTE })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.2')
  })
})
