// End-to-end: the built action (dist/index.js) against both emulators — a release history that
// tells the truth (docs/rollback.md): release protection counts releases however far back, rollback
// is a stack (the first recorded release is enough; after a rollback and a release, back to what
// the rollback put there; two rollbacks step back twice; the same rollback job re-run changes
// nothing), re-runs that change nothing (a release job after its rollout was promoted, an advance
// re-run by the same workflow run), the comment that is ours only, reports after lost answers,
// deletions never sent, and GitHub listings with a page cap.

import { describe, expect, it } from 'vitest'
import type { SeedDeployment } from '../github-emulator/index.js'
import {
  envOf,
  github,
  markedComments,
  notices,
  payload,
  pullRequestEvent,
  runWithGitHub
} from './github-shared.js'
import { channelState, rolloutApp, runningRollout } from './rollout-shared.js'
import { APP, emulator, json, liveNames, run, stopEmulators, summaryText, why } from './shared.js'
import { commentMarker } from '../../src/github/comment.js'

stopEmulators()

const QUICK = { retries: '1', timeout: '10' }

/** Seeded deployments of production, OLDEST first, each with a success status. */
function recorded(
  ...entries: {
    version: string
    previous?: string
    rollout?: string
    share?: string
    rollback?: true
    run?: string
  }[]
): SeedDeployment[] {
  return entries.map(e => ({
    environment: envOf('production'),
    payload: {
      ...payload({
        version: e.version,
        previous_version: e.previous ?? '',
        rollout_version: e.rollout ?? '',
        rollout_percentage: e.share ?? ''
      }),
      ...(e.rollback ? { rollback: true } : {}),
      ...(e.run ? { run_id: e.run, run_attempt: 1 } : {})
    },
    statuses: [{ state: 'success' as const }]
  }))
}

describe('release protection counts releases, however far back', () => {
  it('after a 20-step staged rollout, cleanup_keep_releases: 3 keeps the bundle of the third release', async () => {
    const emu = await emulator({
      bundles: 12,
      channels: [{ name: 'production', version: '1.0.9' }]
    })
    // Newest first: 1.0.9 (release 1), the 20 steps of 1.0.6 rolled out on 1.0.5 (release 2),
    // 1.0.4 (release 3), 1.0.3 (release 4). Reading a fixed 18 records would stop inside the steps.
    const steps = Array.from({ length: 20 }, (_, i) => ({
      version: '1.0.5',
      rollout: '1.0.6',
      share: String((i + 1) * 5)
    }))
    const gh = await github({
      deployments: recorded(
        { version: '1.0.3' },
        { version: '1.0.4', previous: '1.0.3' },
        ...steps,
        { version: '1.0.9', previous: '1.0.5' }
      )
    })
    const result = await runWithGitHub(emu, gh, {
      cleanup_keep: '0',
      cleanup_keep_releases: '3',
      ...QUICK
    })
    expect(result.code, why(result)).toBe(0)
    const live = liveNames(emu)
    for (const kept of ['1.0.9', '1.0.5', '1.0.6', '1.0.4']) expect(live.has(kept), kept).toBe(true)
    // The fourth release is not protected by it.
    expect(live.has('1.0.3')).toBe(false)
    expect(summaryText(result)).toMatch(/release 3 of channel "production"/)
  })
})

describe('rollback is a stack', () => {
  const app = () => ({ bundles: 10, channels: [{ name: 'production', version: '1.0.4' }] })

  it('the first recorded release is enough: its previous version', async () => {
    const emu = await emulator(app())
    const gh = await github({ deployments: recorded({ version: '1.0.4', previous: '1.0.3' }) })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.3')
  })

  it('releases 1.0.3, 1.0.4; rollback; release 1.0.6; rollback again puts back 1.0.3 (not 1.0.4)', async () => {
    const emu = await emulator({
      bundles: 10,
      channels: [{ name: 'production', version: '1.0.6' }]
    })
    const gh = await github({
      deployments: recorded(
        { version: '1.0.3' },
        { version: '1.0.4', previous: '1.0.3' },
        { version: '1.0.3', previous: '1.0.4', rollback: true, run: '1' },
        { version: '1.0.6', previous: '1.0.3' }
      )
    })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.3')
  })

  it('two rollback runs step back twice; a re-run of the same rollback job changes nothing', async () => {
    const emu = await emulator({
      bundles: 10,
      channels: [{ name: 'production', version: '1.0.6' }]
    })
    const gh = await github({
      deployments: recorded(
        { version: '1.0.3' },
        { version: '1.0.4', previous: '1.0.3' },
        { version: '1.0.6', previous: '1.0.4' }
      )
    })
    const inputs = { channel: 'production', rollback: 'true', github_deployment: 'true' }
    const first = await runWithGitHub(emu, gh, inputs, { env: { GITHUB_RUN_ID: '501' } })
    expect(first.code, why(first)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.4')

    emu.clearLog()
    const rerun = await runWithGitHub(emu, gh, inputs, {
      env: { GITHUB_RUN_ID: '501', GITHUB_RUN_ATTEMPT: '2' }
    })
    expect(rerun.code, why(rerun)).toBe(0)
    expect(emu.writes()).toEqual([])
    expect(channelState(emu).version).toBe('1.0.4')

    const second = await runWithGitHub(emu, gh, inputs, { env: { GITHUB_RUN_ID: '502' } })
    expect(second.code, why(second)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.3')
  })
})

describe('re-runs change nothing', () => {
  it('the release job re-run after its rollout was promoted succeeds with a notice, writing nothing', async () => {
    const emu = await emulator(
      rolloutApp(
        {},
        {
          channels: [
            { name: 'production', version: '1.0.11' },
            { name: 'beta', version: '1.0.11' }
          ]
        }
      )
    )
    const result = await run(emu, {
      channel: 'production',
      promote_from: 'beta',
      rollout_steps: '5,25,50,100',
      ...QUICK
    })
    expect(result.code, why(result)).toBe(0)
    expect(emu.writes()).toEqual([])
    expect(result.warnings.join('\n')).toMatch(
      /already the bundle of channel "production": there is nothing to roll out/
    )
  })

  it('the scheduled advance re-run (same run, next attempt) does not advance again', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.11', 500)))
    const gh = await github()
    const inputs = {
      channel: 'production',
      rollout_steps: '5,25,50,100',
      github_deployment: 'true'
    }
    const first = await runWithGitHub(emu, gh, inputs, { env: { GITHUB_RUN_ID: '900' } })
    expect(first.code, why(first)).toBe(0)
    expect(channelState(emu).bps).toBe(2500)

    emu.clearLog()
    const rerun = await runWithGitHub(emu, gh, inputs, {
      env: { GITHUB_RUN_ID: '900', GITHUB_RUN_ATTEMPT: '2' }
    })
    expect(rerun.code, why(rerun)).toBe(0)
    expect(emu.writes()).toEqual([])
    expect(channelState(emu).bps).toBe(2500)
    expect(rerun.warnings.join('\n')).toMatch(/does not advance it again/)

    // The next scheduled run (another run id) advances.
    const next = await runWithGitHub(emu, gh, inputs, { env: { GITHUB_RUN_ID: '901' } })
    expect(next.code, why(next)).toBe(0)
    expect(channelState(emu).bps).toBe(5000)
  })

  it('a release job that replaced a running rollout: its re-run does not delete what the first kept', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.9', 2500)))
    const inputs = {
      channel: 'production',
      promote_from: 'beta',
      rollout_steps: '5,25,50,100',
      cleanup_keep: '1',
      ...QUICK
    }
    const first = await run(emu, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(liveNames(emu).has('1.0.9')).toBe(true)
    const second = await run(emu, inputs)
    expect(second.code, why(second)).toBe(0)
    expect(liveNames(emu).has('1.0.9')).toBe(true)
    expect(second.warnings.join('\n')).toMatch(/cleanup was skipped/)
  })
})

describe('the comment is ours only', () => {
  it("a maintainer's comment quoting the marker is never edited; the action keeps its own", async () => {
    const marker = commentMarker(APP, 'pr-42')
    const emu = await emulator({ bundles: 5, channels: [{ name: 'pr-42', version: '1.0.4' }] })
    const quoted = `Look at this: ${marker} — the bot's comment is wrong`
    const gh = await github({
      issues: [{ number: 42, comments: [{ body: quoted, user: 'octocat' }] }]
    })
    const inputs = { channel: 'pr-42', pr_comment: 'true' }
    const first = await runWithGitHub(emu, gh, inputs, { event: pullRequestEvent(42) })
    expect(first.code, why(first)).toBe(0)
    const second = await runWithGitHub(emu, gh, inputs, { event: pullRequestEvent(42) })
    expect(second.code, why(second)).toBe(0)
    const all = markedComments(gh, marker)
    expect(all.map(c => c.user.login)).toEqual(['octocat', 'github-actions[bot]'])
    expect(all[0]!.body).toBe(quoted)
  })

  it('pull_request_target: skipped with a notice', async () => {
    const emu = await emulator({ bundles: 5, channels: [{ name: 'pr-42', version: '1.0.4' }] })
    const gh = await github({ issues: [{ number: 42 }] })
    const event = { ...pullRequestEvent(42), GITHUB_EVENT_NAME: 'pull_request_target' }
    const result = await runWithGitHub(emu, gh, { channel: 'pr-42', pr_comment: 'true' }, { event })
    expect(result.code, why(result)).toBe(0)
    expect(gh.writes()).toEqual([])
    expect(notices(result).join('\n')).toMatch(/skipped on pull_request_target/)
  })
})

describe('reports after lost answers say what Capgo holds', () => {
  it('a promotion carried out whose answers were lost twice: changed, and recorded as a release', async () => {
    const emu = await emulator(rolloutApp(), {
      faults: [{ method: 'PUT', path: '/bundle', kind: 'drop-after', count: 2 }]
    })
    const gh = await github()
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      promote_from: 'beta',
      github_deployment: 'true',
      retries: '1'
    })
    expect(result.code, why(result)).toBe(0)
    expect(channelState(emu).version).toBe('1.0.11')
    expect(result.outputs.channel_changed).toBe('true')
    expect(result.outputs.version).toBe('1.0.11')
    expect(result.warnings.join('\n')).toMatch(/answers to the write were lost .* it was made/)
    const [deployment] = gh.deployments(envOf('production'))
    expect(gh.latestState(deployment!.id)).toBe('success')
  })

  it('deletions never sent after an IP lockout are not_attempted, not failed', async () => {
    const emu = await emulator(
      { bundles: 40, channels: [{ name: 'production', version: '1.0.39' }] },
      {
        faults: [
          {
            method: 'DELETE',
            path: '/bundle',
            kind: 'status',
            status: 429,
            code: 'too_many_requests',
            moreInfo: { reason: 'too_many_failed_auth_attempts', retryAfterSeconds: 900 },
            skip: 3,
            count: 1
          }
        ]
      }
    )
    const result = await run(emu, { cleanup_keep: '1', concurrency: '1', ...QUICK })
    expect(result.code).toBe(1)
    const report = json<{ not_attempted: string[]; failed_bundles: unknown[] }>(result, 'report')
    const sent = emu.requests.filter(r => r.method === 'DELETE').length
    expect(sent).toBe(4)
    expect(report.failed_bundles).toHaveLength(1)
    // 38 candidates: 3 deleted, 1 refused by the lockout, the rest never sent.
    expect(report.not_attempted).toHaveLength(38 - 4)
    expect(summaryText(result)).toMatch(/not attempted/i)
  })
})

describe('GitHub listings have a page cap', () => {
  it('a Link: next that loops back to page 1 ends at the cap; the run goes on', async () => {
    const emu = await emulator({
      bundles: 10,
      channels: [{ name: 'production', version: '1.0.9' }]
    })
    const gh = await github({
      deployments: recorded({ version: '1.0.8' }, { version: '1.0.9', previous: '1.0.8' }),
      faults: [{ method: 'GET', path: '/repos/acme/app/deployments', kind: 'link-loop' }]
    })
    const result = await runWithGitHub(emu, gh, {
      cleanup_keep: '0',
      cleanup_keep_releases: '5'
    })
    expect(result.code, why(result)).toBe(0)
    const reads = gh.requests.filter(r => r.method === 'GET' && /\/deployments$/.test(r.path))
    expect(reads.length).toBeLessThanOrEqual(20)
    // What was read is still protected.
    expect(liveNames(emu).has('1.0.8')).toBe(true)
  })
})

describe('GitHub writes that lose their answer', () => {
  it('a deployment created but answered with a dropped connection is found, not created twice', async () => {
    const emu = await emulator(rolloutApp())
    const gh = await github({
      faults: [
        { method: 'POST', path: '/repos/acme/app/deployments', kind: 'drop-after', count: 1 }
      ]
    })
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      promote_from: 'beta',
      github_deployment: 'true',
      retries: '2'
    })
    expect(result.code, why(result)).toBe(0)
    const deployments = gh.deployments(envOf('production'))
    expect(deployments).toHaveLength(1)
    expect(gh.latestState(deployments[0]!.id)).toBe('success')
    expect(result.outputs.deployment_id).toBe(String(deployments[0]!.id))
  })

  it('the comment shows what Capgo holds when the read-back found another bundle', async () => {
    const emu = await emulator({ bundles: 12, channels: [{ name: 'pr-42', version: '1.0.9' }] })
    emu.addFault({
      method: 'GET',
      path: '/channel',
      // Someone moves pr-42 to 1.0.5 right after our write, before the read-back.
      when: req => {
        if (req.query.channel !== 'pr-42') return false
        const app = emu.state.apps[APP]!
        app.channels.find(c => c.name === 'pr-42')!.version = app.bundles.find(
          b => b.name === '1.0.5'
        )!.id
        return false
      },
      kind: 'status'
    })
    const gh = await github({ issues: [{ number: 42 }] })
    const result = await runWithGitHub(
      emu,
      gh,
      { channel: 'pr-42', version: '1.0.11', pr_comment: 'true' },
      { event: pullRequestEvent(42) }
    )
    expect(result.code).toBe(1)
    const [comment] = markedComments(gh, commentMarker(APP, 'pr-42'))
    expect(comment?.body).toContain('`1.0.5`')
    expect(comment?.body).not.toContain('`1.0.11`')
  })
})
