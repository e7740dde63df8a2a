// The GitHub module's client (src/github/client.ts) against the GitHub emulator: recording a
// release, reading the history across pages, marking an environment inactive, the sticky comment,
// errors that name the permission, bounded retries, one short rate-limit wait, and redaction.
import { afterEach, describe, expect, it } from 'vitest'
import { GitHubError } from '../../src/github/api.js'
import type { DeploymentPayload } from '../../src/github/api.js'
import { OctokitGitHubApi } from '../../src/github/client.js'
import { permissionWarning } from '../../src/publish.js'
import type { GitHubRetryEvent, OctokitGitHubApiOptions } from '../../src/github/client.js'
import { ALL_PERMISSIONS, MAIN_SHA, startGitHubEmulator } from '../github-emulator/index.js'
import type {
  GitHubEmulator,
  GitHubEmulatorOptions,
  Permission,
  SeedDeployment
} from '../github-emulator/index.js'

// Tokens with characters that change under URL and JSON encoding, to exercise the redaction.
const TOKEN = 'ghs_Secret+Token/9f2c=Zq"x'
const READ_TOKEN = 'ghs_read_only_5d1e'
const COMMENT_TOKEN = 'ghs_comments_only_77'
const ENV = 'capgo/com.example.app/production'
const SHA = 'a'.repeat(40)
const RUN = 'https://github.com/octo-org/octo-app/actions/runs/123'

const TOKENS: Record<string, readonly Permission[]> = {
  [TOKEN]: ALL_PERMISSIONS,
  [READ_TOKEN]: ['deployments:read'],
  [COMMENT_TOKEN]: ['pull-requests:write']
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const emu = await startGitHubEmulator({ tokens: TOKENS, ...options })
  cleanups.push(() => emu.stop())
  return emu
}

interface Harness {
  api: OctokitGitHubApi
  waits: number[]
  retries: GitHubRetryEvent[]
}

function client(emu: GitHubEmulator, options: Partial<OctokitGitHubApiOptions> = {}): Harness {
  const waits: number[] = []
  const retries: GitHubRetryEvent[] = []
  const api = new OctokitGitHubApi({
    token: TOKEN,
    owner: emu.owner,
    repo: emu.repo,
    baseUrl: emu.url,
    random: () => 0.5,
    sleep: async ms => void waits.push(ms),
    onRetry: event => void retries.push(event),
    ...options
  })
  return { api, waits, retries }
}

function payload(version: string, extra: Partial<DeploymentPayload> = {}): DeploymentPayload {
  return {
    app_id: 'com.example.app',
    channel: 'production',
    version,
    previous_version: '',
    rollout_version: '',
    rollout_percentage: '',
    ...extra
  }
}

/** A seeded deployment of ours in ENV with the given status states (oldest first). */
function ours(
  version: string,
  ...states: NonNullable<SeedDeployment['statuses']>[number]['state'][]
): SeedDeployment {
  return {
    environment: ENV,
    sha: SHA,
    payload: payload(version),
    statuses: states.map(state => ({ state }))
  }
}

async function failure(promise: Promise<unknown>): Promise<GitHubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(GitHubError)
  return error as GitHubError
}

const release = {
  environment: ENV,
  sha: SHA,
  ref: 'refs/heads/main',
  payload: payload('1.4.0', { previous_version: '1.3.0' }),
  description: '1.4.0 on production',
  state: 'success' as const,
  logUrl: RUN
}

describe('recordRelease', () => {
  it('creates a deployment on the sha with our payload, then its status with the log URL', async () => {
    const emu = await start()
    const { api } = client(emu)
    const id = await api.recordRelease({ ...release, environmentUrl: 'https://web.capgo.app/x' })

    const [deployment] = emu.deployments(ENV)
    expect(deployment?.id).toBe(id)
    expect(deployment?.sha).toBe(SHA)
    expect(deployment?.payload).toEqual(release.payload)
    expect(deployment?.description).toBe('1.4.0 on production')
    const sent = emu.writes()[0]?.body as Record<string, unknown>
    expect(sent).toMatchObject({
      ref: SHA,
      environment: ENV,
      transient_environment: false,
      auto_merge: false,
      required_contexts: []
    })
    const [status] = emu.statuses(id)
    expect(status).toMatchObject({
      state: 'success',
      log_url: RUN,
      environment_url: 'https://web.capgo.app/x'
    })
    expect(emu.writes()).toHaveLength(2)
    // The token is sent the way GitHub reads it.
    expect(emu.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`)
  })

  it('records a failed run as a failure status, and the previous success stays active', async () => {
    const emu = await start({ deployments: [ours('1.3.0', 'success')] })
    const { api } = client(emu)
    const id = await api.recordRelease({ ...release, state: 'failure' })
    expect(emu.latestState(id)).toBe('failure')
    expect(emu.latestState(1)).toBe('success')
  })

  it('a new success makes the earlier release inactive (auto_inactive)', async () => {
    const emu = await start({ deployments: [ours('1.3.0', 'success')] })
    const { api } = client(emu)
    const id = await api.recordRelease(release)
    expect(emu.latestState(id)).toBe('success')
    expect(emu.latestState(1)).toBe('inactive')
  })

  it('sends the ref only when there is no sha, and cuts a long description to 140 characters', async () => {
    const emu = await start()
    const { api } = client(emu)
    const id = await api.recordRelease({
      ...release,
      sha: '',
      ref: 'main',
      description: 'd'.repeat(500)
    })
    const [deployment] = emu.deployments()
    expect(deployment?.id).toBe(id)
    expect(deployment?.ref).toBe('main')
    expect(deployment?.sha).toBe(MAIN_SHA)
    expect([...(emu.statuses(id)[0]?.description ?? '')]).toHaveLength(140)
  })

  it('a status that fails after the deployment was created says so and carries the deployment id', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 403, path: /\/statuses$/ }] })
    const { api } = client(emu)
    const error = await failure(api.recordRelease(release))
    expect(error.deploymentId).toBe(emu.deployments()[0]?.id)
    expect(error.message).toContain(`deployment ${error.deploymentId} was created`)
    expect(error.permission).toBe('deployments: write')
  })
})

describe('releaseHistory', () => {
  /** 250 deployments in ENV: the successful releases of ours are 1.0.0, 1.0.1, 1.0.2 (oldest). */
  function longHistory(): SeedDeployment[] {
    const seeds: SeedDeployment[] = [
      ours('1.0.0', 'success', 'inactive'),
      ours('1.0.1', 'success', 'inactive'),
      {
        environment: 'capgo/com.example.app/beta',
        payload: payload('beta.9'),
        statuses: [{ state: 'success' }]
      },
      ours('1.0.2', 'in_progress', 'success')
    ]
    for (let i = 0; i < 246; i++) {
      seeds.push(
        i % 3 === 0
          ? {
              environment: ENV,
              payload: { deployer: 'someone-else' },
              statuses: [{ state: 'success' }]
            }
          : i % 3 === 1
            ? ours(`2.0.${i}`, 'error')
            : ours(`2.0.${i}`, 'pending', 'error')
      )
    }
    return seeds
  }

  it('reads newest first across pages, skipping errored and foreign deployments', async () => {
    const emu = await start({ deployments: longHistory() })
    const { api } = client(emu)
    const history = await api.releaseHistory(ENV, 3)
    expect(history.map(r => r.payload.version)).toEqual(['1.0.2', '1.0.1', '1.0.0'])
    expect(history.map(r => r.state)).toEqual(['success', 'inactive', 'inactive'])
    expect(history.every(r => r.succeeded && r.environment === ENV && r.sha === SHA)).toBe(true)
    expect(history[0]?.payload).toEqual(payload('1.0.2'))
    const pages = emu.requests.filter(r => r.path.endsWith('/deployments'))
    expect(pages.map(r => r.query.page ?? '1')).toEqual(['1', '2', '3'])
    expect(pages.every(r => r.query.environment === ENV && r.query.per_page === '100')).toBe(true)
  })

  it('stops reading pages once it has enough', async () => {
    const emu = await start({ deployments: [...longHistory(), ours('3.0.0', 'success')] })
    const { api } = client(emu)
    const history = await api.releaseHistory(ENV, 1)
    expect(history.map(r => r.payload.version)).toEqual(['3.0.0'])
    expect(emu.requests.filter(r => r.path.endsWith('/deployments'))).toHaveLength(1)
    expect(emu.requests).toHaveLength(2)
  })

  it('returns what there is when the history ends first, and nothing for limit 0', async () => {
    const emu = await start({ deployments: [ours('1.0.0', 'success'), ours('1.0.1', 'error')] })
    const { api } = client(emu)
    expect((await api.releaseHistory(ENV, 10)).map(r => r.payload.version)).toEqual(['1.0.0'])
    expect(await api.releaseHistory('capgo/com.example.app/none', 10)).toEqual([])
    emu.clearLog()
    expect(await api.releaseHistory(ENV, 0)).toEqual([])
    expect(emu.requests).toHaveLength(0)
  })

  it("a release recorded as failure (the action's: channel written, a later step failed) is a release, not succeeded", async () => {
    const emu = await start({
      deployments: [ours('1.0.0', 'success'), ours('1.0.1', 'failure'), ours('1.0.2', 'error')]
    })
    const { api } = client(emu)
    const history = await api.releaseHistory(ENV, 10)
    expect(history.map(r => [r.payload.version, r.succeeded])).toEqual([
      ['1.0.1', false],
      ['1.0.0', true]
    ])
  })

  it('accept() keeps only the releases of this app and channel in a shared environment', async () => {
    const emu = await start({
      deployments: [
        ours('1.0.0', 'success'),
        {
          environment: ENV,
          payload: { ...payload('9.0.0'), app_id: 'com.other.app' },
          statuses: [{ state: 'success' }]
        },
        ours('1.0.1', 'success')
      ]
    })
    const { api } = client(emu)
    const history = await api.releaseHistory(ENV, 10, p => p.app_id === payload('x').app_id)
    expect(history.map(r => r.payload.version)).toEqual(['1.0.1', '1.0.0'])
  })

  it('reads a payload stored as a JSON string, and every page of statuses', async () => {
    const many = Array.from({ length: 130 }, () => ({ state: 'pending' as const }))
    const emu = await start({
      deployments: [
        {
          environment: ENV,
          payload: JSON.stringify(payload('9.9.9')),
          statuses: [{ state: 'success' }, ...many]
        },
        { environment: ENV, payload: 'not json', statuses: [{ state: 'success' }] }
      ]
    })
    const { api } = client(emu)
    const history = await api.releaseHistory(ENV, 5)
    expect(history.map(r => [r.payload.version, r.state])).toEqual([['9.9.9', 'pending']])
    // The success is the oldest of 131 statuses: on the second page.
    const statusPages = emu.requests.filter(
      // GitHub's Link for page 2 uses the /repositories/{id}/... form.
      r => r.path.endsWith('/deployments/1/statuses')
    )
    expect(statusPages.map(r => r.query.page ?? '1')).toEqual(['1', '2'])
  })
})

describe('markEnvironmentInactive', () => {
  it("adds an inactive status to each of the action's deployments whose latest status is success, in that environment only (another tool's stay)", async () => {
    const emu = await start({
      deployments: [
        ours('1.0.0', 'success'),
        ours('1.0.1', 'success', 'inactive'),
        ours('1.0.2', 'failure'),
        { environment: 'other', payload: payload('x'), statuses: [{ state: 'success' }] },
        {
          environment: ENV,
          transient_environment: true,
          payload: { foreign: true },
          statuses: [{ state: 'success' }]
        }
      ]
    })
    const { api } = client(emu)
    expect(await api.markEnvironmentInactive(ENV)).toBe(1)
    expect([1, 2, 3, 4, 5].map(id => emu.latestState(id))).toEqual([
      'inactive',
      'inactive',
      'failure',
      'success',
      'success'
    ])
    expect(await api.markEnvironmentInactive(ENV)).toBe(0)
  })

  it("in a shared environment, accept() spares the other apps' deployments", async () => {
    const emu = await start({
      deployments: [
        ours('1.0.0', 'success'),
        {
          environment: ENV,
          payload: { ...payload('9.0.0'), app_id: 'com.other.app' },
          statuses: [{ state: 'success' }]
        }
      ]
    })
    const { api } = client(emu)
    const mine = payload('x').app_id
    expect(await api.markEnvironmentInactive(ENV, p => p.app_id === mine)).toBe(1)
    expect([1, 2].map(id => emu.latestState(id))).toEqual(['inactive', 'success'])
  })
})

describe('upsertComment', () => {
  const MARKER = '<!-- capgo-release:com.example.app:pr-42 -->'

  it('finds its comment on page 5 of 450 and updates it: no duplicate', async () => {
    const comments = Array.from({ length: 450 }, (_, i) => ({
      body: i === 420 ? `${MARKER}\nold preview` : `comment ${i + 1}`
    }))
    const emu = await start({ issues: [{ number: 42, comments }] })
    const { api } = client(emu)
    const result = await api.upsertComment(42, MARKER, `${MARKER}\nnew preview`)
    expect(result).toEqual({ id: 421, created: false })
    expect(emu.comments(42)).toHaveLength(450)
    expect(emu.comments(42)[420]?.body).toBe(`${MARKER}\nnew preview`)
    // Once a marked comment is found, who the token is (a workflow token is refused GET /user:
    // it writes as github-actions[bot]), asked once.
    expect(emu.requests.filter(r => r.path === '/user').map(r => r.status)).toEqual([403])
    const reads = emu.requests.filter(r => r.method === 'GET' && r.path.endsWith('/comments'))
    expect(reads.map(r => r.query.page ?? '1')).toEqual(['1', '2', '3', '4', '5'])
    expect(emu.writes().map(r => `${r.method} ${r.path}`)).toEqual([
      'PATCH /repos/octo-org/octo-app/issues/comments/421'
    ])
  })

  it("never edits a marked comment a person wrote; a bot's (the workflow's or an App's) is the action's", async () => {
    const emu = await start({
      issues: [
        {
          number: 42,
          comments: [
            { body: `quoting ${MARKER} here`, user: 'octocat' },
            { body: `${MARKER}\nold`, user: 'my-app[bot]' }
          ]
        }
      ]
    })
    const { api } = client(emu)
    const result = await api.upsertComment(42, MARKER, `${MARKER}\nnew`)
    expect(result.created).toBe(false)
    expect(emu.comments(42).map(c => c.body)).toEqual([`quoting ${MARKER} here`, `${MARKER}\nnew`])
  })

  it('creates the comment when none holds the marker (reading every page first), then updates it', async () => {
    const emu = await start({ issues: [{ number: 42, comments: 130 }] })
    const { api } = client(emu)
    const first = await api.upsertComment(42, MARKER, `${MARKER}\none`)
    expect(first.created).toBe(true)
    expect(
      emu.requests.filter(r => r.method === 'GET' && r.path.endsWith('/comments'))
    ).toHaveLength(2)
    const second = await api.upsertComment(42, MARKER, `${MARKER}\ntwo`)
    expect(second).toEqual({ id: first.id, created: false })
    expect(emu.comments(42)).toHaveLength(131)
    expect(emu.comments(42).filter(c => c.body.includes(MARKER))).toHaveLength(1)
  })

  it('keeps one comment per marker: another channel gets its own', async () => {
    const emu = await start()
    const { api } = client(emu)
    const other = '<!-- capgo-release:com.example.app:pr-4 -->'
    await api.upsertComment(42, MARKER, `${MARKER}\nA`)
    const b = await api.upsertComment(42, other, `${other}\nB`)
    expect(b.created).toBe(true)
    expect(emu.comments(42).map(c => c.body)).toEqual([`${MARKER}\nA`, `${other}\nB`])
  })

  it('adds the marker when the body lacks it, so the next run finds the comment', async () => {
    const emu = await start()
    const { api } = client(emu)
    const first = await api.upsertComment(42, MARKER, 'no marker here')
    expect(emu.comments(42)[0]?.body).toBe(`${MARKER}\nno marker here`)
    expect((await api.upsertComment(42, MARKER, 'again')).id).toBe(first.id)
  })

  it('creates a new comment when its comment was deleted between the read and the update', async () => {
    const emu = await start({ issues: [{ number: 42, comments: [{ body: `${MARKER}\nold` }] }] })
    emu.addFault({ kind: 'status', status: 404, method: 'PATCH', count: 1 })
    const { api } = client(emu)
    const result = await api.upsertComment(42, MARKER, `${MARKER}\nnew`)
    expect(result.created).toBe(true)
  })

  it('refuses an empty marker before any request', async () => {
    const emu = await start()
    const { api } = client(emu)
    const error = await failure(api.upsertComment(42, ' ', 'body'))
    expect(error.kind).toBe('invalid')
    expect(emu.requests).toHaveLength(0)
  })

  it('a body over 65,536 characters is a GitHubError of kind invalid (422)', async () => {
    const emu = await start()
    const { api } = client(emu)
    const error = await failure(api.upsertComment(42, MARKER, `${MARKER}\n${'x'.repeat(70_000)}`))
    expect(error).toMatchObject({ kind: 'invalid', status: 422 })
    expect(error.message).toContain('Body is too long (maximum is 65536 characters)')
    expect(emu.requests.filter(r => r.method === 'POST')).toHaveLength(1)
  })
})

describe('errors name the permission', () => {
  it('a token without deployments: write cannot record a release', async () => {
    const emu = await start()
    const { api } = client(emu, { token: READ_TOKEN })
    const error = await failure(api.recordRelease(release))
    expect(error).toMatchObject({
      kind: 'permission',
      status: 403,
      permission: 'deployments: write'
    })
    expect(error.message).toContain('Resource not accessible by integration')
    expect(error.message).toContain('`deployments: write`')
    expect(emu.deployments()).toHaveLength(0)
    expect(emu.requests).toHaveLength(1)
  })

  it('messages name the real path, never the route placeholders', async () => {
    const emu = await start({ deployments: [ours('1.0.0', 'success')] })
    const { api } = client(emu, { token: READ_TOKEN })
    const record = await failure(api.recordRelease(release))
    expect(record.message).toMatch(/^POST \/repos\/octo-org\/octo-app\/deployments: /)
    const comment = await failure(api.upsertComment(42, '<!-- m -->', 'x'))
    expect(comment.message).toMatch(/^GET \/repos\/octo-org\/octo-app\/issues\/42\/comments: /)
    const inactive = await failure(
      client(emu, { token: COMMENT_TOKEN }).api.markEnvironmentInactive(ENV)
    )
    expect(inactive.message).toMatch(/^GET \/repos\/octo-org\/octo-app\/deployments: /)
    for (const e of [record, comment, inactive]) {
      expect(e.message).not.toMatch(/\{(owner|repo|issue_number|deployment_id)\}/)
      // The route template stays as the error's `route`, for code that tells calls apart.
      expect(e.route).toContain('{owner}/{repo}')
    }
  })

  it('the warning of a refused GitHub call names the permission once (src/publish.ts)', async () => {
    const emu = await start()
    const { api } = client(emu, { token: READ_TOKEN })
    const error = await failure(api.recordRelease(release))
    const warning = permissionWarning('record the deployment', 'deployments: write', error)
    expect(warning.match(/deployments: write/g)).toHaveLength(1)
    expect(warning).toContain(
      'GitHub: could not record the deployment: POST /repos/octo-org/octo-app/deployments: ' +
        'GitHub refused (HTTP 403: Resource not accessible by integration). The Capgo release ' +
        'itself is done. The token lacks a permission: add `permissions: deployments: write` to the job.'
    )
    // An outage names the permission as a possibility, once too.
    const outage = permissionWarning(
      'record the deployment',
      'deployments: write',
      new GitHubError({
        status: 500,
        kind: 'unavailable',
        route: 'x',
        message: 'GitHub is unavailable'
      })
    )
    expect(outage).toBe(
      'GitHub: could not record the deployment: GitHub is unavailable. The Capgo release itself ' +
        'is done. If the token lacks a permission, add `permissions: deployments: write` to the job.'
    )
  })

  it('a token without deployments: read cannot read the history', async () => {
    const emu = await start({ deployments: [ours('1.0.0', 'success')] })
    const { api } = client(emu, { token: COMMENT_TOKEN })
    const error = await failure(api.releaseHistory(ENV, 3))
    expect(error).toMatchObject({
      kind: 'permission',
      status: 403,
      permission: 'deployments: read'
    })
    expect(await client(emu, { token: READ_TOKEN }).api.releaseHistory(ENV, 3)).toHaveLength(1)
  })

  it('a token without pull-requests: write cannot comment', async () => {
    const emu = await start()
    const { api } = client(emu, { token: READ_TOKEN })
    const error = await failure(api.upsertComment(42, '<!-- m -->', 'x'))
    expect(error).toMatchObject({
      kind: 'permission',
      status: 403,
      permission: 'pull-requests: write'
    })
    expect(
      await client(emu, { token: COMMENT_TOKEN }).api.upsertComment(42, '<!-- m -->', 'x')
    ).toMatchObject({
      created: true
    })
  })

  it('a rejected token (401) is a permission error, not retried', async () => {
    const emu = await start()
    const { api, waits } = client(emu, { token: 'ghs_unknown' })
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'permission', status: 401 })
    expect(error.message).toContain('Bad credentials')
    expect(emu.requests).toHaveLength(1)
    expect(waits).toEqual([])
  })

  it('a repository the token cannot see (404) is a permission error naming the permission, not retried', async () => {
    const emu = await start()
    const { api } = client(emu, { repo: 'private-elsewhere' })
    const error = await failure(api.markEnvironmentInactive(ENV))
    expect(error).toMatchObject({
      kind: 'permission',
      status: 404,
      permission: 'deployments: read'
    })
    expect(emu.requests).toHaveLength(1)
  })

  it('a 422 is never retried', async () => {
    const emu = await start()
    const { api } = client(emu)
    const error = await failure(api.recordRelease({ ...release, sha: '', ref: 'no-such-branch' }))
    expect(error).toMatchObject({ kind: 'invalid', status: 422 })
    expect(error.message).toContain('No ref found for: no-such-branch')
    expect(emu.requests).toHaveLength(1)
  })
})

describe('rate limits: one short wait at most', () => {
  const secondary = (retryAfterSeconds: number, count?: number) => ({
    kind: 'secondary-rate-limit' as const,
    retryAfterSeconds,
    ...(count === undefined ? {} : { count })
  })

  it('a secondary rate limit with a short retry-after is waited out once, then fails', async () => {
    const emu = await start({ faults: [secondary(3)] })
    const { api, waits } = client(emu)
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'rate_limit', status: 403 })
    expect(error.permission).toBeUndefined()
    expect(error.message).toContain('secondary rate limit')
    expect(waits).toEqual([3000])
    expect(emu.requests).toHaveLength(2)
  })

  it('succeeds after the one wait when the limit is lifted', async () => {
    const emu = await start({ faults: [secondary(2, 1)] })
    const { api, waits, retries } = client(emu)
    expect(await api.recordRelease(release)).toBe(1)
    expect(waits).toEqual([2000])
    expect(retries[0]?.reason).toContain('secondary rate limit')
  })

  it('a client waits only once: a second rate limit later fails at once', async () => {
    const emu = await start({ faults: [secondary(1, 1)] })
    const { api, waits } = client(emu)
    await api.releaseHistory(ENV, 1)
    emu.addFault(secondary(1))
    emu.clearLog()
    await failure(api.releaseHistory(ENV, 1))
    expect(waits).toEqual([1000])
    expect(emu.requests).toHaveLength(1)
  })

  it('a longer retry-after than 10 s is not waited: it fails at once', async () => {
    const emu = await start({ faults: [secondary(60)] })
    const { api, waits } = client(emu)
    const error = await failure(api.upsertComment(42, '<!-- m -->', 'x'))
    expect(error.kind).toBe('rate_limit')
    expect(error.message).toContain('asked to wait 60 s')
    expect(waits).toEqual([])
    expect(emu.requests.filter(r => r.path !== '/user')).toHaveLength(1)
  })

  it('an exhausted primary limit resetting in an hour fails at once', async () => {
    const emu = await start({ faults: [{ kind: 'primary-rate-limit', resetSeconds: 3600 }] })
    const { api, waits } = client(emu)
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'rate_limit', status: 403 })
    expect(waits).toEqual([])
    expect(emu.requests).toHaveLength(1)
  })

  it('a 429 with a short retry-after is waited once too', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 429, retryAfterSeconds: 4 }] })
    const { api, waits } = client(emu)
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'rate_limit', status: 429 })
    expect(waits).toEqual([4000])
    expect(emu.requests).toHaveLength(2)
  })
})

describe('5xx and network errors: a bounded number of retries', () => {
  it('a lasting 502 is tried 1 + retries times with growing waits, then fails as unavailable', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 502 }] })
    const { api, waits } = client(emu, { retries: 3 })
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'unavailable', status: 502, attempts: 4 })
    expect(error.message).toContain('gave up after 4 attempts')
    expect(emu.requests).toHaveLength(4)
    expect(waits).toEqual([1000, 2000, 4000])
  })

  it('a short outage is ridden out (each page is retried on its own)', async () => {
    const emu = await start({
      deployments: Array.from({ length: 150 }, () => ours('1.0.0', 'error')).concat([]),
      faults: [
        {
          kind: 'status',
          status: 503,
          path: '/repos/octo-org/octo-app/deployments',
          skip: 1,
          count: 2
        }
      ]
    })
    const { api, waits } = client(emu)
    expect(await api.releaseHistory(ENV, 1)).toEqual([])
    expect(waits).toHaveLength(2)
    const pages = emu.requests.filter(r => r.path.endsWith('/deployments'))
    expect(pages.map(r => `${r.query.page ?? '1'}:${r.status}`)).toEqual([
      '1:200',
      '2:503',
      '2:503',
      '2:200'
    ])
  })

  it('never more than 5 retries, whatever is asked', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 500 }] })
    const { api } = client(emu, { retries: 50 })
    await failure(api.releaseHistory(ENV, 1))
    expect(emu.requests).toHaveLength(6)
  })

  it('a deployment whose creation answer was lost is looked up by its run, never created twice', async () => {
    const emu = await start({
      faults: [
        {
          method: 'POST',
          path: '/repos/octo-org/octo-app/deployments',
          kind: 'drop-after',
          count: 1
        }
      ]
    })
    const { api } = client(emu, { retries: 3 })
    const withRun = { ...release, payload: { ...release.payload, run_id: '77', run_attempt: 1 } }
    const id = await api.recordRelease(withRun)
    expect(emu.deployments()).toHaveLength(1)
    expect(emu.deployments()[0]!.id).toBe(id)
    expect(emu.statuses(id).map(s => s.state)).toEqual(['success'])
    // One create (its answer lost), one look-up, no second create.
    expect(
      emu.requests.filter(r => r.method === 'POST' && r.path.endsWith('/deployments'))
    ).toHaveLength(1)
  })

  it('without a run id, a lost creation answer is not retried blindly', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 502 }] })
    const { api } = client(emu, { retries: 3 })
    await failure(api.recordRelease(release))
    expect(emu.requests.filter(r => r.method === 'POST')).toHaveLength(1)
  })

  it('retries: 0 means one attempt', async () => {
    const emu = await start({ faults: [{ kind: 'status', status: 500 }] })
    const { api, waits } = client(emu, { retries: 0 })
    const error = await failure(api.recordRelease(release))
    expect(error.kind).toBe('unavailable')
    expect(emu.requests).toHaveLength(1)
    expect(waits).toEqual([])
  })

  it('a dropped connection is retried, then fails as unavailable without a status', async () => {
    const emu = await start({ faults: [{ kind: 'drop-before' }] })
    const { api } = client(emu, { retries: 1 })
    const error = await failure(api.releaseHistory(ENV, 1))
    expect(error).toMatchObject({ kind: 'unavailable', status: undefined })
    expect(emu.requests).toHaveLength(2)
  })

  it('a request that hangs is abandoned after timeoutMs and retried', async () => {
    const emu = await start({ faults: [{ kind: 'slow', delayMs: 5_000, count: 1 }] })
    const { api } = client(emu, { timeoutMs: 300 })
    // Abandoned, not waited out: the retry is the second request (the slow one never answered).
    expect(await api.releaseHistory(ENV, 1)).toEqual([])
    expect(emu.requests).toHaveLength(2)
  })
})

describe('the token never appears in an error', () => {
  it('not even when the server echoes it back', async () => {
    const emu = await start({ faults: [{ kind: 'echo-token' }] })
    const { api, retries } = client(emu, { retries: 1 })
    const error = await failure(api.recordRelease(release))
    const everything = [
      error.message,
      error.serverMessage ?? '',
      error.stack ?? '',
      JSON.stringify(error)
    ].join('\n')
    expect(error.serverMessage).toContain('***')
    for (const form of [TOKEN, encodeURIComponent(TOKEN), JSON.stringify(TOKEN).slice(1, -1)])
      expect(everything).not.toContain(form)
    expect(retries.map(r => r.reason).join('\n')).not.toContain(TOKEN)
  })

  it('nor in a permission, rate-limit or network error', async () => {
    const emu = await start()
    const errors: GitHubError[] = []
    errors.push(await failure(client(emu, { token: `${TOKEN}x` }).api.releaseHistory(ENV, 1)))
    emu.addFault({ kind: 'secondary-rate-limit', retryAfterSeconds: 99, count: 1 })
    errors.push(await failure(client(emu).api.releaseHistory(ENV, 1)))
    await emu.stop()
    errors.push(await failure(client(emu, { retries: 0 }).api.releaseHistory(ENV, 1)))
    expect(errors.map(e => e.kind)).toEqual(['permission', 'rate_limit', 'unavailable'])
    for (const e of errors) expect(`${e.message}\n${e.stack}`).not.toContain(TOKEN)
  })
})
