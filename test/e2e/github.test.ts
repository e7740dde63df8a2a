// End-to-end: the built action (dist/index.js, real Node 24, runner files) against the Capgo
// emulator AND the GitHub API emulator — the GitHub side: deployments recorded after a change of
// the channel (status, log URL, payload, output), an environment marked inactive when its channel
// is deleted, rollback and release protection read from the deployment history (an unreadable
// history fails before any write), the pull request comment (found again on a late page, updated,
// torn down, one per app), and a GitHub failure after the Capgo change that never breaks the
// release (a warning naming the permission, exit 0, few requests, the token never visible).

import { describe, expect, it } from 'vitest'
import type { GitHubEmulator, StoredDeployment } from '../github-emulator/index.js'
import type { Emulator, SeedBundle } from '../emulator/index.js'
import { commentMarker } from '../../src/github/comment.js'
import {
  APP,
  KEY,
  emulator,
  errorText,
  json,
  range,
  report,
  requestsOf,
  standardApp,
  stopEmulators,
  summaryText,
  why,
  writeLog,
  type AppSeed
} from './shared.js'
import {
  CLOSED_GITHUB,
  GH_TOKEN,
  RUN_URL,
  SHA,
  THIS_RUN,
  envOf,
  expectNoTokenLeak,
  github,
  githubRequests,
  markedComments,
  notices,
  payload,
  pullRequestEvent,
  releases,
  runWithGitHub,
  tokenWith
} from './github-shared.js'

stopEmulators()

/** 30 bundles 1.0.0 .. 1.0.29 (those in `deleted` soft-deleted); production on 1.0.20, beta on 1.0.29. */
function releaseApp(extra: Partial<AppSeed> = {}, deleted: number[] = []): AppSeed {
  const bundles: SeedBundle[] = range(0, 29).map(i => ({
    name: `1.0.${i}`,
    ...(deleted.includes(i) ? { deleted: true } : {})
  }))
  return {
    bundles,
    channels: [
      { name: 'production', version: '1.0.20', public: true },
      { name: 'beta', version: '1.0.29' }
    ],
    ...extra
  }
}

/** The bundle name on a Capgo channel (null when none). */
function channelVersion(emu: Emulator, name: string, appId = APP): string | null | undefined {
  return emu.channel(appId, name)?.version?.name ?? (emu.channel(appId, name) ? null : undefined)
}

const PROMOTE = { channel: 'production', promote_from: 'beta', github_deployment: 'true' }

/** The one deployment of `environment`, with the checks every recorded release passes. */
function onlyDeployment(gh: GitHubEmulator, environment: string): StoredDeployment {
  const all = gh.deployments()
  expect(
    all.map(d => d.environment),
    'every deployment of the emulator'
  ).toEqual([environment])
  return all[0]!
}

// ---- 1. deployments ----------------------------------------------------------------------------

describe('github_deployment: a release recorded as a deployment', () => {
  it('a promotion: one deployment on GITHUB_SHA in capgo/<app>/production with the payload, a success status whose log is the run, output deployment_id', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, PROMOTE)

    expect(result.code, why(result)).toBe(0)
    expect(result.warnings).toEqual([])
    expect(channelVersion(emu, 'production')).toBe('1.0.29')

    const deployment = onlyDeployment(gh, envOf('production'))
    expect(deployment.sha).toBe(SHA)
    expect(deployment.ref).toBe(SHA)
    expect(deployment.payload).toEqual({
      ...payload({ version: '1.0.29', previous_version: '1.0.20', channel: 'production' }),
      ...THIS_RUN
    })
    expect(deployment.description).toBe('1.0.29 on production')
    expect(deployment.transient_environment).toBe(false)
    const statuses = gh.statuses(deployment.id)
    expect(statuses.map(s => s.state)).toEqual(['success'])
    expect(statuses[0]!.log_url).toBe(RUN_URL)
    expect(result.outputs.deployment_id).toBe(String(deployment.id))
    // Exactly two writes to GitHub: the deployment and its status.
    expect(gh.writes().map(r => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/app/deployments',
      `POST /repos/acme/app/deployments/${deployment.id}/statuses`
    ])
    // The token went to GitHub as the Authorization header, and nowhere visible.
    expect(gh.requests.every(r => r.headers.authorization === `token ${GH_TOKEN}`)).toBe(true)
    expectNoTokenLeak(result)
  })

  it('a custom github_environment holds the deployment; the default one gets none', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, {
      ...PROMOTE,
      github_environment: 'Production (Capgo)'
    })

    expect(result.code, why(result)).toBe(0)
    const deployment = onlyDeployment(gh, 'Production (Capgo)')
    expect(gh.deployments(envOf('production'))).toEqual([])
    expect(deployment.payload).toMatchObject({ channel: 'production', version: '1.0.29' })
    expect(gh.latestState(deployment.id)).toBe('success')
    expect(result.outputs.deployment_id).toBe(String(deployment.id))
  })

  it('a rollout start records the rollout bundle and share; the channel’s bundle stays', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, { ...PROMOTE, rollout_percentage: '10' })

    expect(result.code, why(result)).toBe(0)
    expect(emu.channel(APP, 'production')).toMatchObject({
      version: { name: '1.0.20' },
      rollout_version_info: { name: '1.0.29' }
    })
    const deployment = onlyDeployment(gh, envOf('production'))
    expect(deployment.payload).toEqual({
      ...payload({
        version: '1.0.20',
        previous_version: '1.0.20',
        rollout_version: '1.0.29',
        rollout_percentage: '10'
      }),
      ...THIS_RUN
    })
    expect(deployment.description).toBe('1.0.20 on production; 1.0.29 to 10 %')
    expect(gh.latestState(deployment.id)).toBe('success')
  })

  it('an unchanged channel (a re-run) records nothing; deployment_id is empty', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const first = await runWithGitHub(emu, gh, PROMOTE)
    expect(first.code, why(first)).toBe(0)
    expect(gh.deployments()).toHaveLength(1)

    gh.clearLog()
    emu.clearLog()
    const again = await runWithGitHub(emu, gh, PROMOTE)
    expect(again.code, why(again)).toBe(0)
    expect(again.outputs.channel_changed).toBe('false')
    expect(emu.writes()).toEqual([])
    expect(gh.writes()).toEqual([])
    expect(gh.deployments()).toHaveLength(1)
    expect(again.outputs.deployment_id).toBe('')
  })

  it('a dry run asks nothing of GitHub', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, { ...PROMOTE, dry_run: 'true' })

    expect(result.code, why(result)).toBe(0)
    expect(channelVersion(emu, 'production')).toBe('1.0.20')
    expect(gh.requests).toEqual([])
    expect(result.outputs.deployment_id).toBe('')
  })

  it('a run that fails after writing (a deletion fails) records the release as success: Capgo holds it', async () => {
    const emu = await emulator(releaseApp(), {
      faults: [
        {
          method: 'DELETE',
          path: '/bundle',
          when: req => (req.body as { version?: unknown }).version === '1.0.5',
          kind: 'status',
          status: 500
        }
      ]
    })
    const gh = await github()
    const result = await runWithGitHub(emu, gh, {
      ...PROMOTE,
      delete_versions: '1.0.4, 1.0.5',
      retries: '0'
    })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/1\.0\.5/)
    // The channel was changed and 1.0.4 deleted before the failure.
    expect(channelVersion(emu, 'production')).toBe('1.0.29')
    const deployment = onlyDeployment(gh, envOf('production'))
    expect(deployment.payload).toMatchObject({ version: '1.0.29', previous_version: '1.0.20' })
    // The status says whether Capgo holds the release, not whether every step passed: the
    // environment page shows the bundle devices get, and rollback counts it as a release.
    expect(gh.statuses(deployment.id).map(s => [s.state, s.log_url])).toEqual([
      ['success', RUN_URL]
    ])
    expect(result.outputs.deployment_id).toBe(String(deployment.id))
  })

  it('a write that did not take (the read-back finds another bundle) is recorded as failure', async () => {
    const emu = await emulator(releaseApp(), {
      faults: [
        {
          method: 'GET',
          path: '/channel',
          // Someone moves production back right after our write, before the read-back.
          when: req => {
            if (req.query.channel !== 'production') return false
            const app = emu.state.apps[APP]!
            const c = app.channels.find(x => x.name === 'production')!
            c.version = app.bundles.find(b => b.name === '1.0.20')!.id
            return false
          },
          kind: 'status'
        }
      ]
    })
    const gh = await github()
    const result = await runWithGitHub(emu, gh, PROMOTE)
    expect(result.code, why(result)).toBe(1)
    const deployment = onlyDeployment(gh, envOf('production'))
    expect(gh.latestState(deployment.id)).toBe('failure')
    // Only success counts as a release: a rollback never goes back to this record.
    expect(result.outputs.version).toBe('1.0.20')
  })
})

// ---- 2. delete_channel -----------------------------------------------------------------------

/** pr-42's deployments: one active (success), one already inactive; production's one active. */
function previewHistory(environment = envOf('pr-42')) {
  return [
    {
      environment,
      payload: payload({ version: '1.0.18', channel: 'pr-42' }),
      statuses: [{ state: 'success' as const }, { state: 'inactive' as const }]
    },
    ...releases('production', ['1.0.29']),
    {
      environment,
      payload: payload({ version: '1.0.20', channel: 'pr-42' }),
      statuses: [{ state: 'success' as const }]
    }
  ]
}

describe('delete_channel + github_deployment', () => {
  it('marks the deleted channel’s environment inactive, and no other', async () => {
    const emu = await emulator(
      standardApp({
        channels: [
          { name: 'production', version: '1.0.29' },
          { name: 'pr-42', version: '1.0.20' }
        ]
      })
    )
    const gh = await github({ deployments: previewHistory() })
    const result = await runWithGitHub(emu, gh, {
      delete_channel: 'pr-42',
      github_deployment: 'true'
    })

    expect(result.code, why(result)).toBe(0)
    expect(result.warnings).toEqual([])
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    // Deployment 3 (pr-42, success) is now inactive; 1 stays inactive (not marked twice);
    // production's deployment 2 is untouched.
    expect([1, 2, 3].map(id => gh.latestState(id))).toEqual(['inactive', 'success', 'inactive'])
    const writes = gh.writes()
    expect(writes.map(r => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/app/deployments/3/statuses'
    ])
    expect(writes[0]!.body).toMatchObject({ state: 'inactive' })
    // No deployment is created for a deletion.
    expect(gh.deployments()).toHaveLength(3)
    expect(result.outputs.deployment_id).toBe('')
  })

  it('with github_environment, that environment is the one marked inactive', async () => {
    const emu = await emulator(
      standardApp({
        channels: [
          { name: 'production', version: '1.0.29' },
          { name: 'pr-42', version: '1.0.20' }
        ]
      })
    )
    const gh = await github({ deployments: previewHistory('preview/pr-42') })
    const result = await runWithGitHub(emu, gh, {
      delete_channel: 'pr-42',
      github_deployment: 'true',
      github_environment: 'preview/pr-42'
    })

    expect(result.code, why(result)).toBe(0)
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    expect([1, 2, 3].map(id => gh.latestState(id))).toEqual(['inactive', 'success', 'inactive'])
    expect(githubRequests(gh, 'GET', /\/deployments$/).map(r => r.query.environment)).toEqual([
      'preview/pr-42'
    ])
  })
})

// ---- 3. rollback -------------------------------------------------------------------------------

describe('rollback: the previous release, from the deployment history', () => {
  /**
   * production's releases, oldest first: 1.0.20, 1.0.25, 1.0.26 (failed), 1.0.27 (deleted in
   * Capgo since), 1.0.29 (the current bundle); and, newest, someone else's deployment.
   */
  function history() {
    return [
      ...releases('production', [
        '1.0.20',
        '1.0.25',
        { version: '1.0.26', state: 'error' },
        '1.0.27',
        '1.0.29'
      ]),
      ...releases('beta', ['1.0.28']),
      {
        environment: envOf('production'),
        payload: { deployer: 'someone else' },
        statuses: [{ state: 'success' as const }]
      }
    ]
  }
  const rollbackApp = (): AppSeed =>
    releaseApp(
      {
        channels: [
          { name: 'production', version: '1.0.29', public: true },
          { name: 'beta', version: '1.0.28' }
        ]
      },
      [27]
    )

  it('puts back the newest released version that differs and still exists (skips a deleted one), recorded as a new deployment', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github({ deployments: history() })
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      rollback: 'true',
      github_deployment: 'true'
    })

    expect(result.code, why(result)).toBe(0)
    expect(result.warnings).toEqual([])
    expect(channelVersion(emu, 'production')).toBe('1.0.25')
    expect(channelVersion(emu, 'beta')).toBe('1.0.28')
    expect(result.outputs).toMatchObject({ version: '1.0.25', previous_version: '1.0.29' })
    // Only production's history was read.
    expect([
      ...new Set(githubRequests(gh, 'GET', /\/deployments$/).map(r => r.query.environment))
    ]).toEqual([envOf('production')])

    const created = gh.deployments(envOf('production'))[0]!
    expect(created.id).toBe(history().length + 1)
    // Marked as a rollback: a later rollback does not go back from it.
    expect(created.payload).toEqual({
      ...payload({ version: '1.0.25', previous_version: '1.0.29' }),
      rollback: true,
      ...THIS_RUN
    })
    expect(created.sha).toBe(SHA)
    expect(gh.statuses(created.id).map(s => [s.state, s.log_url])).toEqual([['success', RUN_URL]])
    expect(result.outputs.deployment_id).toBe(String(created.id))
    expectNoTokenLeak(result)
  })

  it('with github_environment, the history is read from that environment and the rollback recorded there; running it again changes nothing', async () => {
    const emu = await emulator(rollbackApp())
    const custom = 'Production (Capgo)'
    const gh = await github({
      deployments: [
        ...releases('production', ['1.0.20', '1.0.29'], { environment: custom }),
        // The default environment says otherwise: it must not be read.
        ...releases('production', ['1.0.24', '1.0.29'])
      ]
    })
    const inputs = {
      channel: 'production',
      rollback: 'true',
      github_deployment: 'true',
      github_environment: custom
    }
    const first = await runWithGitHub(emu, gh, inputs)
    expect(first.code, why(first)).toBe(0)
    expect(channelVersion(emu, 'production')).toBe('1.0.20')
    expect([
      ...new Set(githubRequests(gh, 'GET', /\/deployments$/).map(r => r.query.environment))
    ]).toEqual([custom])
    expect(gh.deployments(custom)[0]!.payload).toMatchObject({
      version: '1.0.20',
      previous_version: '1.0.29'
    })
    expect(gh.deployments(envOf('production'))).toHaveLength(2)

    // The rollback job run again (a re-run, or a second click): the rollback's own deployment is
    // no release to go back from, so the channel stays on 1.0.20 and nothing is recorded.
    emu.clearLog()
    const second = await runWithGitHub(emu, gh, inputs)
    expect(second.code, why(second)).toBe(0)
    expect(channelVersion(emu, 'production')).toBe('1.0.20')
    expect(emu.writes()).toEqual([])
    expect(second.outputs.channel_changed).toBe('false')
    expect(gh.deployments(custom).map(d => (d.payload as { version: string }).version)).toEqual([
      '1.0.20',
      '1.0.29',
      '1.0.20'
    ])
  })

  it('the pull request comment is not updated when the teardown could not delete the channel', async () => {
    const emu = await emulator(releaseApp({ channels: [{ name: 'pr-42', version: '1.0.20' }] }), {
      keys: { [KEY]: 'developer' }
    })
    const gh = await github()
    const result = await runWithGitHub(
      emu,
      gh,
      { delete_channel: 'pr-42', pr_comment: 'true' },
      { event: pullRequestEvent(42) }
    )
    expect(result.code).toBe(1)
    expect(emu.channel(APP, 'pr-42')).toBeDefined()
    expect(gh.comments(42).filter(c => c.body.includes('capgo-release'))).toEqual([])
    expect(result.stdout).toContain('pr_comment: not updated')
  })

  it("in an environment shared with another app, only this app's releases of this channel count", async () => {
    const emu = await emulator(rollbackApp())
    const shared = 'production'
    const gh = await github({
      deployments: [
        ...releases('production', ['1.0.20', '1.0.29'], { environment: shared }),
        // Newer, but another app's release (and the same app's beta) in the same environment.
        ...releases('production', ['1.0.28'], { environment: shared, appId: 'com.other.app' }),
        ...releases('beta', ['1.0.25'], { environment: shared })
      ]
    })
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      rollback: 'true',
      github_environment: shared
    })
    expect(result.code, why(result)).toBe(0)
    expect(channelVersion(emu, 'production')).toBe('1.0.20')
  })

  it('is refused while a rollout runs on the channel, before any write', async () => {
    const emu = await emulator(
      releaseApp({
        channels: [
          {
            name: 'production',
            version: '1.0.29',
            rollout_version: '1.0.28',
            rolloutEnabled: true,
            rolloutPercentageBps: 2500
          }
        ]
      })
    )
    const gh = await github({ deployments: releases('production', ['1.0.20', '1.0.29']) })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })
    expect(result.code).toBe(1)
    expect(result.outputs.error).toMatch(/rollout of "1\.0\.28".*25 %.*rollout_abort/s)
    expect(emu.writes()).toEqual([])
  })

  it('without github_deployment, the rollback writes nothing to GitHub', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github({ deployments: history() })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })

    expect(result.code, why(result)).toBe(0)
    expect(channelVersion(emu, 'production')).toBe('1.0.25')
    expect(gh.writes()).toEqual([])
    expect(result.outputs.deployment_id).toBe('')
  })

  it('no usable history (only the current bundle and a deleted one): fails before any write', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github({
      deployments: [...releases('production', ['1.0.27', '1.0.29']), ...releases('beta', ['1.0.5'])]
    })
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      rollback: 'true',
      github_deployment: 'true'
    })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/rollback/)
    expect(errorText(result)).toMatch(/1\.0\.27/)
    expect(emu.writes()).toEqual([])
    expect(gh.writes()).toEqual([])
    expect(channelVersion(emu, 'production')).toBe('1.0.29')
    expect(summaryText(result)).toMatch(/Nothing was changed/)
  })

  it('an empty history fails before any write', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/rollback/)
    expect(emu.writes()).toEqual([])
    expect(gh.writes()).toEqual([])
  })

  it('an unreadable history (no `deployments: read`): fails before any Capgo write, naming the permission', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github({ deployments: history(), tokens: tokenWith('pull-requests:write') })
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      rollback: 'true',
      github_deployment: 'true'
    })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toContain('deployments: read')
    expect(emu.writes()).toEqual([])
    expect(gh.writes()).toEqual([])
    expect(channelVersion(emu, 'production')).toBe('1.0.29')
    // A refusal is not retried.
    expect(gh.requests.filter(r => r.status === 403)).toHaveLength(1)
    expectNoTokenLeak(result)
  })

  it('an outage of GitHub (500) fails before any Capgo write, after a bounded number of tries', async () => {
    const emu = await emulator(rollbackApp())
    const gh = await github({ deployments: history(), faults: [{ kind: 'status', status: 500 }] })
    const result = await runWithGitHub(emu, gh, { channel: 'production', rollback: 'true' })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/unavailable|500/)
    expect(emu.writes()).toEqual([])
    // retries: 1 → two attempts of the first listing, nothing more.
    expect(gh.requests).toHaveLength(2)
  })
})

// ---- 4. cleanup_keep_releases ------------------------------------------------------------------

describe('cleanup_keep_releases: the last releases of every channel are protected', () => {
  /**
   * standardApp: production on 1.0.29, beta on 1.0.25 (rollout 1.0.3). Releases, oldest first:
   * production 1.0.6, 1.0.8, 1.0.29; beta 1.0.2, 1.0.4 (failed), 1.0.10, 1.0.25; another app's
   * production released 1.0.12 (not ours to protect).
   */
  function history() {
    return [
      ...releases('production', ['1.0.6', '1.0.8', '1.0.29']),
      ...releases('beta', ['1.0.2', { version: '1.0.4', state: 'error' }, '1.0.10', '1.0.25']),
      ...releases('production', ['1.0.12'], {
        appId: 'com.other.app',
        environment: envOf('production', 'com.other.app')
      })
    ]
  }
  const CLEANUP = { cleanup_keep: '2', cleanup_keep_releases: '2' }

  it('protects the bundles of the last 2 releases of each channel, with the reason in the summary and protected_bundles', async () => {
    const emu = await emulator(standardApp())
    const gh = await github({ deployments: history() })
    const result = await runWithGitHub(emu, gh, CLEANUP)

    expect(result.code, why(result)).toBe(0)
    const protectedBundles = json<string[]>(result, 'protected_bundles')
    expect(protectedBundles).toEqual(expect.arrayContaining(['1.0.8', '1.0.10']))
    for (const gone of ['1.0.6', '1.0.2', '1.0.4', '1.0.12']) {
      expect(protectedBundles).not.toContain(gone)
    }
    const deleted = json<string[]>(result, 'deleted_bundles')
    expect(deleted).toEqual(expect.arrayContaining(['1.0.6', '1.0.2', '1.0.4', '1.0.12']))
    expect(deleted).not.toContain('1.0.8')
    expect(deleted).not.toContain('1.0.10')
    expect(emu.bundles(APP).map(b => b.name)).toEqual(
      expect.arrayContaining(['1.0.8', '1.0.10', '1.0.3', '1.0.25', '1.0.29'])
    )

    const reasons = new Map(
      (report(result).plan?.bundles ?? []).map(b => [b.version, `${b.fate} ${b.reason}`])
    )
    expect(reasons.get('1.0.8')).toMatch(/release 2 of channel "production"/)
    expect(reasons.get('1.0.10')).toMatch(/release 2 of channel "beta"/)
    const summary = summaryText(result)
    expect(summary).toContain('release 2 of channel "production"')
    expect(summary).toContain('release 2 of channel "beta"')
    // The history of every channel of the app was read, and nothing was written to GitHub.
    expect(
      new Set(githubRequests(gh, 'GET', /\/deployments$/).map(r => r.query.environment))
    ).toEqual(new Set([envOf('production'), envOf('beta')]))
    expect(gh.writes()).toEqual([])
    expectNoTokenLeak(result)
  })

  it('an unreadable history (no `deployments: read`) fails the run before any deletion', async () => {
    const emu = await emulator(standardApp())
    const gh = await github({ deployments: history(), tokens: tokenWith('pull-requests:write') })
    const result = await runWithGitHub(emu, gh, CLEANUP)

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toContain('deployments: read')
    expect(requestsOf(emu, 'DELETE', '/bundle')).toEqual([])
    expect(emu.writes()).toEqual([])
    expect(json<string[]>(result, 'deleted_bundles')).toEqual([])
    expectNoTokenLeak(result)
  })
})

// ---- 5. the pull request comment ---------------------------------------------------------------

const PREVIEW = {
  channel: 'pr-42',
  version: '1.0.21',
  devices: 'qa-iphone-15, qa-pixel-8',
  pr_comment: 'true'
}
const MARKER = commentMarker(APP, 'pr-42')

function previewCapgo(): AppSeed {
  return standardApp({
    channels: [
      { name: 'production', version: '1.0.29' },
      { name: 'pr-42', version: '1.0.20' }
    ]
  })
}

describe('pr_comment: one comment per app and channel on the pull request', () => {
  it('on a PR with 150 comments, finds its own on a late page and updates it: no duplicate after two runs', async () => {
    const emu = await emulator(previewCapgo())
    // 150 comments; the action's comment from an earlier run is #120 (page 2 of 100).
    const comments = range(1, 150).map(i =>
      i === 120
        ? { body: `${MARKER}\n### Capgo preview \`pr-42\`\n\nold text` }
        : { body: `comment ${i}`, user: 'octocat' }
    )
    const gh = await github({ issues: [{ number: 42, comments }] })
    const event = pullRequestEvent(42)

    const first = await runWithGitHub(emu, gh, PREVIEW, { event })
    expect(first.code, why(first)).toBe(0)
    expect(first.warnings).toEqual([])
    const marked = markedComments(gh, MARKER)
    expect(marked.map(c => c.id)).toEqual([120])
    const body = marked[0]!.body
    expect(body).not.toContain('old text')
    expect(body).toContain('`pr-42`')
    expect(body).toContain('`1.0.21`')
    expect(body).toContain('`qa-iphone-15`')
    expect(body).toContain('`qa-pixel-8`')
    expect(body).toContain('How a tester joins')
    expect(body).toContain(`(${RUN_URL})`)
    // Page 2 was read (the marker is not on page 1), and the comment was PATCHed, not created.
    expect(githubRequests(gh, 'GET', /\/issues\/42\/comments$/).map(r => r.query.page)).toContain(
      '2'
    )
    expect(gh.writes().map(r => `${r.method} ${r.path}`)).toEqual([
      'PATCH /repos/acme/app/issues/comments/120'
    ])

    gh.clearLog()
    const second = await runWithGitHub(emu, gh, { ...PREVIEW, version: '1.0.22' }, { event })
    expect(second.code, why(second)).toBe(0)
    expect(markedComments(gh, MARKER).map(c => c.id)).toEqual([120])
    expect(markedComments(gh, MARKER)[0]!.body).toContain('`1.0.22`')
    expect(gh.comments(42)).toHaveLength(150)
    expect(gh.writes().map(r => r.method)).toEqual(['PATCH'])
    expectNoTokenLeak(second)
  })

  it('creates the comment when there is none yet, past 100 other comments, and the next run finds it', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({ issues: [{ number: 42, comments: 130 }] })
    const event = pullRequestEvent(42)

    const first = await runWithGitHub(emu, gh, PREVIEW, { event })
    expect(first.code, why(first)).toBe(0)
    expect(markedComments(gh, MARKER).map(c => c.id)).toEqual([131])
    const second = await runWithGitHub(emu, gh, PREVIEW, { event })
    expect(second.code, why(second)).toBe(0)
    expect(markedComments(gh, MARKER).map(c => c.id)).toEqual([131])
    expect(gh.comments(42)).toHaveLength(131)
  })

  it('the teardown (delete_channel: pr-42) updates the comment to say the preview is gone', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github()
    const event = pullRequestEvent(42)

    const preview = await runWithGitHub(emu, gh, PREVIEW, { event })
    expect(preview.code, why(preview)).toBe(0)
    const id = markedComments(gh, MARKER)[0]!.id

    const teardown = await runWithGitHub(
      emu,
      gh,
      { delete_channel: 'pr-42', pr_comment: 'true' },
      { event }
    )
    expect(teardown.code, why(teardown)).toBe(0)
    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    const marked = markedComments(gh, MARKER)
    expect(marked.map(c => c.id)).toEqual([id])
    expect(marked[0]!.body).toMatch(/preview `pr-42` is gone/)
    expect(marked[0]!.body).toContain(`(${RUN_URL})`)
    expect(marked[0]!.body).not.toContain('qa-iphone-15')
    // Without github_deployment, only the comment routes were used, and who the token is (to
    // edit only its own comment): a workflow token is refused GET /user.
    expect(
      gh.requests.filter(r => !r.path.includes('/issues/')).map(r => `${r.method} ${r.path}`)
    ).toEqual(['GET /user'])
  })

  it('on a push event, the comment is skipped with a notice and GitHub is not called', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, PREVIEW)

    expect(result.code, why(result)).toBe(0)
    expect(channelVersion(emu, 'pr-42')).toBe('1.0.21')
    expect(notices(result).join('\n')).toMatch(/pr_comment: skipped.*"push"/)
    expect(gh.requests).toEqual([])
    expect(result.warnings).toEqual([])
  })

  it('two apps on one pull request keep two comments, each updated by its own app', async () => {
    const OTHER = 'com.e2e.other'
    const first = await emulator(previewCapgo())
    const second = await emulator({ ...previewCapgo(), app_id: OTHER })
    const gh = await github()
    const event = pullRequestEvent(42)

    for (const [emu, appId] of [
      [first, APP],
      [second, OTHER],
      [first, APP]
    ] as const) {
      const result = await runWithGitHub(emu, gh, { ...PREVIEW, app_id: appId }, { event })
      expect(result.code, why(result)).toBe(0)
    }
    const ours = markedComments(gh, MARKER)
    const theirs = markedComments(gh, commentMarker(OTHER, 'pr-42'))
    expect(ours).toHaveLength(1)
    expect(theirs).toHaveLength(1)
    expect(ours[0]!.id).not.toBe(theirs[0]!.id)
    expect(gh.comments(42)).toHaveLength(2)
    expect(ours[0]!.body).toContain(`\`${APP}\``)
    expect(theirs[0]!.body).toContain(`\`${OTHER}\``)
    expect(theirs[0]!.body).not.toContain(MARKER)
  })

  it('600 linked devices of 128 characters: the comment stays under 65,536 characters and counts the rest', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github()
    const devices = range(1, 600).map(i => `device-${String(i).padStart(4, '0')}-`.padEnd(128, 'x'))
    const result = await runWithGitHub(
      emu,
      gh,
      { ...PREVIEW, devices: devices.join(','), concurrency: '16' },
      { event: pullRequestEvent(42), timeoutMs: 120_000 }
    )

    expect(result.code, why(result)).toBe(0)
    // Each device is linked by its own request (the output is capped; the report is not).
    expect(requestsOf(emu, 'POST', '/device')).toHaveLength(600)
    const marked = markedComments(gh, MARKER)
    expect(marked).toHaveLength(1)
    const body = marked[0]!.body
    expect(body.length).toBeLessThan(65_536)
    expect(body).toContain('Linked devices (600)')
    expect(body).toContain(`\`${devices[0]}\``)
    expect(body).toMatch(/… and \d+ more, not listed here/)
    // The end of the comment (how to join, the run) is kept.
    expect(body).toContain('How a tester joins')
    expect(body).toContain(`(${RUN_URL})`)
  })
})

// ---- 6. GitHub fails after the Capgo change: never break the release ----------------------------

describe('a GitHub failure after the Capgo changes is a warning, not a failure', () => {
  const BOTH = { ...PREVIEW, github_deployment: 'true' }

  /** Exit 0, the Capgo change done, a warning naming `permission`, the token nowhere. */
  function expectReleased(
    emu: Emulator,
    result: Awaited<ReturnType<typeof runWithGitHub>>,
    permission: RegExp
  ): void {
    expect(result.code, why(result)).toBe(0)
    expect(result.errors).toEqual([])
    expect(channelVersion(emu, 'pr-42')).toBe('1.0.21')
    expect(result.outputs.channel_changed).toBe('true')
    expect(result.warnings.join('\n')).toMatch(permission)
    expect(result.warnings.join('\n')).toMatch(/Capgo release itself is done/)
    expectNoTokenLeak(result)
  }

  it('a token without `deployments: write` (403): a warning naming it, exit 0, one refused request', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({ tokens: tokenWith('deployments:read', 'pull-requests:write') })
    const result = await runWithGitHub(emu, gh, BOTH, { event: pullRequestEvent(42) })

    expectReleased(emu, result, /permissions: deployments: write/)
    expect(result.outputs.deployment_id).toBe('')
    expect(gh.deployments()).toEqual([])
    expect(githubRequests(gh, 'POST', /\/deployments$/)).toHaveLength(1)
    // The comment, which the token may write, was still written.
    expect(markedComments(gh, MARKER)).toHaveLength(1)
    expect(writeLog(emu).length).toBeGreaterThan(0)
  })

  it('a token without `pull-requests: write`: a warning naming it, exit 0, no retry', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({ tokens: tokenWith('deployments:write', 'pull-requests:read') })
    const result = await runWithGitHub(emu, gh, BOTH, { event: pullRequestEvent(42) })

    expectReleased(emu, result, /permissions: pull-requests: write/)
    expect(gh.comments(42)).toEqual([])
    expect(gh.requests.filter(r => r.status === 403)).toHaveLength(1)
    // The deployment, which the token may write, was still recorded.
    expect(gh.deployments()).toHaveLength(1)
    expect(result.outputs.deployment_id).toBe(String(gh.deployments()[0]!.id))
  })

  it('a GitHub outage (every request 500, one echoing the token): warnings, exit 0, retries bounded', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({
      faults: [
        { kind: 'echo-token', count: 1 },
        { kind: 'status', status: 500 }
      ]
    })
    const result = await runWithGitHub(emu, gh, BOTH, { event: pullRequestEvent(42) })

    expectReleased(emu, result, /deployments: write/)
    expect(result.warnings.join('\n')).toMatch(/pull-requests: write/)
    expect(result.warnings.join('\n')).toMatch(/\*\*\*|unavailable/)
    expect(gh.deployments()).toEqual([])
    expect(gh.comments(42)).toEqual([])
    // retries: 1 (the `retries` input applies to GitHub too) → two attempts of the deployment,
    // with a look for one GitHub may have created before the second (never a blind duplicate),
    // and two of the comment search; nothing after a call failed for good.
    expect(gh.requests.map(r => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /repos/acme/app/deployments 500',
      'GET /repos/acme/app/deployments 500',
      'GET /repos/acme/app/deployments 500',
      'POST /repos/acme/app/deployments 500',
      'GET /repos/acme/app/issues/42/comments 500',
      'GET /repos/acme/app/issues/42/comments 500'
    ])
  })

  it('a secondary rate limit (retry-after 60 s): not waited out, a warning, exit 0, one request per call', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({ faults: [{ kind: 'secondary-rate-limit', retryAfterSeconds: 60 }] })
    const result = await runWithGitHub(emu, gh, BOTH, { event: pullRequestEvent(42) })

    expectReleased(emu, result, /deployments: write/)
    expect(result.warnings.join('\n')).toMatch(/rate limit/)
    expect(gh.requests).toHaveLength(2)
    expect(gh.requests.every(r => r.fault === 'secondary-rate-limit')).toBe(true)
  })

  it('the status of a created deployment refused: the warning says the deployment was created', async () => {
    const emu = await emulator(previewCapgo())
    const gh = await github({
      faults: [{ method: 'POST', path: /\/statuses$/, kind: 'status', status: 403 }]
    })
    const result = await runWithGitHub(emu, gh, { ...BOTH, pr_comment: 'false' })

    expectReleased(emu, result, /deployments: write/)
    expect(gh.deployments()).toHaveLength(1)
    expect(result.warnings.join('\n')).toMatch(/deployment 1 was created/)
  })
})

// ---- 7. bad input --------------------------------------------------------------------------------

describe('bad input', () => {
  it('github_token empty with rollback: the input is refused, no request to Capgo or GitHub', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, {
      channel: 'production',
      rollback: 'true',
      github_token: ''
    })

    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/"rollback".*"github_token"/s)
    expect(emu.requests).toEqual([])
    expect(gh.requests).toEqual([])
  })

  it('github_token empty with cleanup_keep_releases / github_deployment / pr_comment: refused, no request', async () => {
    const emu = await emulator(releaseApp())
    const gh = await github()
    const cases: Record<string, string>[] = [
      { cleanup_keep: '5', cleanup_keep_releases: '2' },
      PROMOTE,
      PREVIEW
    ]
    for (const inputs of cases) {
      const result = await runWithGitHub(emu, gh, { ...inputs, github_token: '' })
      expect(result.code, why(result)).toBe(1)
      expect(errorText(result)).toMatch(/github_token/)
    }
    expect(emu.requests).toEqual([])
    expect(gh.requests).toEqual([])
  })

  it('GitHub on a closed port is never needed by a run that does not use it', async () => {
    const emu = await emulator(releaseApp())
    const result = await runWithGitHub(emu, null, { channel: 'production', promote_from: 'beta' })
    expect(result.code, why(result)).toBe(0)
    expect(result.warnings).toEqual([])
    expect(CLOSED_GITHUB).toMatch(/^http:\/\/127\.0\.0\.1:/)
  })
})
