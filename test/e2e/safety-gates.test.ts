// End-to-end: the built action (dist/index.js) against the Capgo emulator for the safety features
// of docs/rollouts.md and docs/previews.md: the native compatibility gate (compatible, each
// incompatible kind, unknown, warn, off, rollback, a rollout start), Capgo's auto-pause set from
// the workflow (set, re-run, refused, and a rollout Capgo paused), and preview devices that say
// what they run (the summary and the pull request comment).

import { describe, expect, it } from 'vitest'
import type { SeedBundle } from '../emulator/index.js'
import {
  envOf,
  github,
  markedComments,
  payload,
  pullRequestEvent,
  runWithGitHub
} from './github-shared.js'
import { channelState, expectFailedWith, writes } from './rollout-shared.js'
import {
  APP,
  KEY,
  emulator,
  json,
  run,
  stopEmulators,
  summaryText,
  why,
  type AppSeed
} from './shared.js'
import { commentMarker } from '../../src/github/comment.js'

stopEmulators()

const QUICK = { retries: '1', timeout: '10' }
const CAMERA_5 = {
  name: '@capacitor/camera',
  version: '5.0.1',
  ios_checksum: 'i5',
  android_checksum: 'a5'
}
const PUSH = { name: '@capacitor/push-notifications', version: '5.1.0' }

/**
 * production on 1.0.8 (native: camera 5.0.1, or `current`), beta on 1.0.9 with `candidate`;
 * 1.0.7 an earlier release with camera 5.0.1.
 */
function nativeApp(candidate: unknown[] | null, current: unknown[] | null = [CAMERA_5]): AppSeed {
  const bundles: SeedBundle[] = [
    { name: '1.0.7', native_packages: [CAMERA_5] },
    { name: '1.0.8', native_packages: current },
    { name: '1.0.9', native_packages: candidate }
  ]
  return {
    bundles,
    channels: [
      { name: 'production', version: '1.0.8' },
      { name: 'beta', version: '1.0.9' }
    ]
  }
}

const PROMOTE = { channel: 'production', promote_from: 'beta', ...QUICK }

describe('compatibility: the native gate before a bundle reaches a channel', () => {
  it('compatible: promoted, output "compatible", the summary shows the verdict', async () => {
    const emu = await emulator(
      nativeApp([CAMERA_5, { ...PUSH, version: '5.1.0' }], [CAMERA_5, PUSH])
    )
    const result = await run(emu, PROMOTE)
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.compatibility).toBe('compatible')
    expect(channelState(emu).version).toBe('1.0.9')
    expect(summaryText(result)).toMatch(/Native compatibility: compatible/)
  })

  it.each([
    {
      kind: 'a plugin the new bundle adds',
      candidate: [CAMERA_5, PUSH],
      says: /@capacitor\/push-notifications: 1\.0\.9 adds plugin/
    },
    {
      kind: 'versions that do not intersect',
      candidate: [{ ...CAMERA_5, version: '6.0.0' }],
      says: /@capacitor\/camera: 5\.0\.1 on "production" \(1\.0\.8\), 6\.0\.0 in 1\.0\.9: the versions do not intersect/
    },
    {
      kind: 'changed iOS native code',
      candidate: [{ ...CAMERA_5, ios_checksum: 'i5-patched' }],
      says: /the iOS native code of @capacitor\/camera changed/
    },
    {
      kind: 'changed Android native code',
      candidate: [{ ...CAMERA_5, android_checksum: 'a5-patched' }],
      says: /the Android native code of @capacitor\/camera changed/
    }
  ])(
    'incompatible ($kind): fails before any write, naming the plugin',
    async ({ candidate, says }) => {
      const emu = await emulator(nativeApp(candidate))
      const result = await run(emu, PROMOTE)
      expectFailedWith(result, says, 'compatibility: warn')
      expect(writes(emu)).toEqual([])
      expect(channelState(emu).version).toBe('1.0.8')
      expect(result.outputs.compatibility).toBe('incompatible')
      expect(summaryText(result)).toMatch(
        /Native compatibility: incompatible: stopped before any write/
      )
    }
  )

  it('a removed plugin, or a changed requested version alone, is compatible', async () => {
    const emu = await emulator(
      nativeApp(
        [{ ...CAMERA_5, requested_version: '^5.0.0' }],
        [{ ...CAMERA_5, requested_version: '5.0.1' }, PUSH]
      )
    )
    const result = await run(emu, PROMOTE)
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.compatibility).toBe('compatible')
  })

  it('unknown (the channel bundle has no record): a warning, and the run goes on', async () => {
    const emu = await emulator(nativeApp([CAMERA_5, PUSH], null))
    const result = await run(emu, PROMOTE)
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.compatibility).toBe('unknown')
    expect(result.warnings.join('\n')).toMatch(/no record of its native packages/)
    expect(channelState(emu).version).toBe('1.0.9')
  })

  it('warn: an incompatible bundle goes on, with a warning naming the plugin', async () => {
    const emu = await emulator(nativeApp([{ ...CAMERA_5, version: '6.0.0' }]))
    const result = await run(emu, { ...PROMOTE, compatibility: 'warn' })
    expect(result.code, why(result)).toBe(0)
    expect(result.warnings.join('\n')).toMatch(/@capacitor\/camera: 5\.0\.1 .* 6\.0\.0/)
    expect(result.outputs.compatibility).toBe('incompatible')
    expect(channelState(emu).version).toBe('1.0.9')
  })

  it('off: no check, no verdict', async () => {
    const emu = await emulator(nativeApp([{ ...CAMERA_5, version: '6.0.0' }]))
    const result = await run(emu, { ...PROMOTE, compatibility: 'off' })
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.compatibility).toBe('')
    expect(emu.requests.some(r => r.method === 'GET' && r.path === '/bundle')).toBe(false)
  })

  it('a rollout start is gated like a promotion', async () => {
    const emu = await emulator(nativeApp([{ ...CAMERA_5, version: '6.0.0' }]))
    const result = await run(emu, { ...PROMOTE, rollout_percentage: '10' })
    expectFailedWith(result, /versions do not intersect/)
    expect(writes(emu)).toEqual([])
  })

  it('a rollback is never blocked, only warned', async () => {
    // production on 1.0.9 (camera 6) after a release; its previous release 1.0.8 had camera 5.
    const app = nativeApp([{ ...CAMERA_5, version: '6.0.0' }])
    app.channels = [{ name: 'production', version: '1.0.9' }]
    const emu = await emulator(app)
    const gh = await github({
      deployments: [
        {
          environment: envOf('production'),
          payload: payload({ version: '1.0.9', previous_version: '1.0.8' }),
          statuses: [{ state: 'success' }]
        }
      ]
    })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.8')
    expect(result.outputs.compatibility).toBe('incompatible')
    expect(result.warnings.join('\n')).toMatch(/A rollback is never blocked/)
  })
})

describe("auto-pause: Capgo's safety net set from the workflow", () => {
  const AUTO_PAUSE = {
    auto_pause_failure_rate: '5',
    auto_pause_window: '6h',
    auto_pause_min_attempts: '100',
    auto_pause_action: 'pause'
  }
  const START = { channel: 'production', promote_from: 'beta', rollout_steps: '5,25,50,100' }

  it('set with the rollout start, read back; a re-run writes nothing', async () => {
    const emu = await emulator(nativeApp([CAMERA_5]))
    const first = await run(emu, { ...START, ...AUTO_PAUSE, ...QUICK })
    expect(first.code, why(first)).toBe(0)
    const post = writes(emu).find(w => w.method === 'POST' && w.path === '/channel')
    expect(post?.body).toMatchObject({
      autoPauseEnabled: true,
      autoPauseFailureRateBps: 500,
      autoPauseWindowMinutes: 360,
      autoPauseMinAttempts: 100,
      rolloutVersion: '1.0.9'
    })
    // Only what differs is sent: Capgo's action is already "pause".
    expect(post?.body).not.toHaveProperty('autoPauseAction')
    const row = emu.channel(APP, 'production')!
    expect(row).toMatchObject({
      autoPauseEnabled: true,
      autoPauseFailureRateBps: 500,
      autoPauseWindowMinutes: 360,
      autoPauseMinAttempts: 100,
      autoPauseAction: 'pause'
    })
    expect(summaryText(first)).toMatch(
      /auto-pause \| .* \| \*\*on: pause above 5 % failures over 6h \(at least 100 attempts\)\*\*/
    )

    emu.clearLog()
    const again = await run(emu, { ...START, ...AUTO_PAUSE, ...QUICK })
    expect(again.code, why(again)).toBe(0)
    expect(emu.writes()).toEqual([])
  })

  it.each([
    ['auto_pause_failure_rate', '101', /auto_pause_failure_rate/],
    ['auto_pause_window', '8d', /auto_pause_window.*1 minute to 7 days/],
    ['auto_pause_action', 'stop', /auto_pause_action.*pause, rollback, notify/],
    ['auto_pause_min_attempts', '-3', /auto_pause_min_attempts/]
  ])('%s = %s is refused before any request', async (input, value, says) => {
    const emu = await emulator(nativeApp([CAMERA_5]))
    const result = await run(emu, { channel: 'production', [input]: value })
    expectFailedWith(result, says)
    expect(emu.requests).toEqual([])
  })

  it('needs app_admin: an uploader key is told so, and nothing changes', async () => {
    const emu = await emulator(nativeApp([CAMERA_5]), { keys: { [KEY]: 'uploader' } })
    const result = await run(emu, { channel: 'production', ...AUTO_PAUSE, ...QUICK })
    expectFailedWith(result, 'app_admin')
    expect(emu.channel(APP, 'production')?.autoPauseEnabled).toBe(false)
  })

  it('a rollout Capgo paused: the summary says why and when auto-pause last triggered', async () => {
    const emu = await emulator({
      ...nativeApp([CAMERA_5]),
      channels: [
        {
          name: 'production',
          version: '1.0.8',
          rollout_version: '1.0.9',
          rolloutEnabled: true,
          rolloutPercentageBps: 2500,
          autoPauseEnabled: true,
          autoPauseFailureRateBps: 500
        }
      ]
    })
    emu.pauseRollout(APP, 'production', 'failure rate 12% above 5%')
    const result = await run(emu, { channel: 'production', rollout_steps: '5,25,50,100', ...QUICK })
    expectFailedWith(result, 'failure rate 12% above 5%', 'rollout_pause: false')
    expect(summaryText(result)).toMatch(/last triggered \d{4}-\d\d-\d\d/)
  })
})

describe('preview devices say what they run', () => {
  it('the pull request comment: runs / still on / not seen by Capgo yet', async () => {
    const emu = await emulator({
      ...nativeApp([CAMERA_5]),
      channels: [
        { name: 'production', version: '1.0.8' },
        { name: 'pr-42', version: '1.0.9' }
      ],
      devices: [
        { device_id: 'dev-on', version_name: '1.0.9' },
        { device_id: 'dev-old', version_name: '1.0.7' }
      ]
    })
    const gh = await github({ issues: [{ number: 42 }] })
    const result = await runWithGitHub(
      emu,
      gh,
      { channel: 'pr-42', devices: 'dev-on, dev-old, dev-new', pr_comment: 'true' },
      { event: pullRequestEvent(42) }
    )
    expect(result.code, why(result)).toBe(0)
    expect(json(result, 'linked_devices')).toEqual(['dev-on', 'dev-old', 'dev-new'])
    const [comment] = markedComments(gh, commentMarker(APP, 'pr-42'))
    expect(comment?.body).toContain('`dev-on` — runs `1.0.9`')
    expect(comment?.body).toContain('`dev-old` — still on `1.0.7`')
    expect(comment?.body).toContain('`dev-new` — not seen by Capgo yet')
    const summary = summaryText(result)
    expect(summary).toMatch(/`dev-on` \| linked to `pr-42` \| runs 1\.0\.9/)
    expect(summary).toMatch(/`dev-new` \| linked to `pr-42` \| not seen by Capgo yet/)
  })
})
