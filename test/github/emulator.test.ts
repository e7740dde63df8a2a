// The GitHub emulator (test/github-emulator/) behaves as GitHub's REST API documents: auth, the
// error body shape, Link-header paging (and the /repositories/{id} form it links to), ordering,
// auto_inactive, validation (wrongly typed fields are 422), GitHub's request-id and rate-limit
// headers, faults. Every answer of every test here conforms to GitHub's OpenAPI description
// (test/github-emulator/openapi.ts); the requests need not, some are malformed on purpose.
import { afterEach, describe, expect, it } from 'vitest'
import {
  MAIN_SHA,
  expectConformingExchanges,
  startGitHubEmulator
} from '../github-emulator/index.js'
import type { GitHubEmulator, GitHubEmulatorOptions } from '../github-emulator/index.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const emu = await startGitHubEmulator({
    tokens: {
      all: ['deployments:write', 'pull-requests:write'],
      read: ['deployments:read'],
      issues: ['issues:write']
    },
    ...options
  })
  cleanups.push(async () => {
    try {
      expectConformingExchanges(emu, { requests: false })
    } finally {
      await emu.stop()
    }
  })
  return emu
}

interface Answer {
  status: number
  headers: Headers
  body: unknown
}

async function call(
  emu: GitHubEmulator,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; scheme?: string } = {}
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' }
  const token = options.token === undefined ? 'all' : options.token
  if (token !== null) headers.authorization = `${options.scheme ?? 'token'} ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(emu.url + path, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  return { status: res.status, headers: res.headers, body: await res.json() }
}

const R = '/repos/octo-org/octo-app'

describe('auth and permissions', () => {
  it('401 without a token or with an unknown one, in GitHub’s error shape', async () => {
    const emu = await start()
    const none = await call(emu, 'GET', `${R}/deployments`, { token: null })
    expect(none.status).toBe(401)
    expect(none.body).toMatchObject({ message: 'Requires authentication', status: '401' })
    const bad = await call(emu, 'GET', `${R}/deployments`, { token: 'nope' })
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401'
    })
  })

  it('accepts `token X` and `Bearer X`', async () => {
    const emu = await start()
    expect((await call(emu, 'GET', `${R}/deployments`, { scheme: 'Bearer' })).status).toBe(200)
    expect((await call(emu, 'GET', `${R}/deployments`, { scheme: 'token' })).status).toBe(200)
  })

  it('403 "Resource not accessible by integration" for a missing permission; write implies read', async () => {
    const emu = await start()
    const refused = await call(emu, 'POST', `${R}/deployments`, {
      token: 'read',
      body: { ref: 'main' }
    })
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
      status: '403'
    })
    expect(emu.deployments()).toHaveLength(0)
    expect((await call(emu, 'GET', `${R}/deployments`, { token: 'read' })).status).toBe(200)
    expect((await call(emu, 'GET', `${R}/issues/42/comments`, { token: 'read' })).status).toBe(403)
  })

  it('a pull request comment needs pull-requests: write or issues: write; an issue comment issues: write', async () => {
    const emu = await start({
      issues: [{ number: 42 }, { number: 7, pull_request: false }]
    })
    const body = { body: 'hi' }
    expect((await call(emu, 'POST', `${R}/issues/42/comments`, { body })).status).toBe(201)
    expect(
      (await call(emu, 'POST', `${R}/issues/42/comments`, { token: 'issues', body })).status
    ).toBe(201)
    expect((await call(emu, 'POST', `${R}/issues/7/comments`, { body })).status).toBe(403)
    expect(
      (await call(emu, 'POST', `${R}/issues/7/comments`, { token: 'issues', body })).status
    ).toBe(201)
  })

  it('another repository, an unknown route or issue is 404', async () => {
    const emu = await start()
    expect((await call(emu, 'GET', '/repos/octo-org/other/deployments')).status).toBe(404)
    expect((await call(emu, 'GET', `${R}/releases`)).status).toBe(404)
    expect((await call(emu, 'GET', `${R}/issues/9/comments`)).status).toBe(404)
    expect((await call(emu, 'GET', `${R}/deployments/99/statuses`)).status).toBe(404)
  })
})

describe('paging', () => {
  it('comments: oldest first, 30 a page by default, at most 100, with GitHub’s Link header', async () => {
    const emu = await start({ issues: [{ number: 42, comments: 130 }] })
    const first = await call(emu, 'GET', `${R}/issues/42/comments`)
    expect((first.body as { body: string }[]).map(c => c.body).slice(0, 2)).toEqual([
      'comment 1',
      'comment 2'
    ])
    expect(first.body).toHaveLength(30)
    // GitHub's links name the repository by id (/repositories/{id}/...), a form served too.
    const byId = `${emu.url}/repositories/${emu.repositoryId}`
    expect(first.headers.get('link')).toBe(
      `<${byId}/issues/42/comments?per_page=30&page=2>; rel="next", ` +
        `<${byId}/issues/42/comments?per_page=30&page=5>; rel="last"`
    )
    const second = await call(
      emu,
      'GET',
      `/repositories/${emu.repositoryId}/issues/42/comments?per_page=30&page=2`
    )
    expect(second.status).toBe(200)
    expect((second.body as { body: string }[])[0]?.body).toBe('comment 31')
    const big = await call(emu, 'GET', `${R}/issues/42/comments?per_page=500&page=2`)
    expect(big.body).toHaveLength(30)
    expect((big.body as { body: string }[])[0]?.body).toBe('comment 101')
    const link = big.headers.get('link') ?? ''
    expect(link).toContain('page=1>; rel="prev"')
    expect(link).toContain('page=1>; rel="first"')
    expect(link).not.toContain('rel="next"')
    const past = await call(emu, 'GET', `${R}/issues/42/comments?per_page=100&page=3`)
    expect(past.body).toEqual([])
  })

  it('deployments: newest first, filtered by environment, sha and ref', async () => {
    const emu = await start({
      deployments: [
        { environment: 'a', sha: 'b'.repeat(40) },
        { environment: 'b' },
        { environment: 'a', ref: 'main' }
      ]
    })
    const ids = async (query: string): Promise<number[]> =>
      ((await call(emu, 'GET', `${R}/deployments${query}`)).body as { id: number }[]).map(d => d.id)
    expect(await ids('')).toEqual([3, 2, 1])
    expect(await ids('?environment=a')).toEqual([3, 1])
    expect(await ids(`?sha=${'b'.repeat(40)}`)).toEqual([1])
    expect(await ids('?ref=main')).toEqual([3])
    expect(await ids('?environment=a&per_page=1&page=2')).toEqual([1])
  })
})

describe('deployments and statuses', () => {
  it('creates a deployment from a ref or a sha, 422 for an unknown ref', async () => {
    const emu = await start()
    const created = await call(emu, 'POST', `${R}/deployments`, {
      body: { ref: 'main', environment: 'staging', payload: { version: '1' } }
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      id: 1,
      sha: MAIN_SHA,
      ref: 'main',
      environment: 'staging',
      payload: { version: '1' },
      task: 'deploy',
      transient_environment: false,
      production_environment: false
    })
    const unknown = await call(emu, 'POST', `${R}/deployments`, { body: { ref: 'nope' } })
    expect(unknown.status).toBe(422)
    expect(unknown.body).toMatchObject({ message: 'No ref found for: nope' })
    expect((await call(emu, 'POST', `${R}/deployments`, { body: {} })).status).toBe(422)
  })

  it('auto_inactive: a success marks the earlier non-transient successes of the environment inactive', async () => {
    const emu = await start({
      deployments: [
        { environment: 'e', statuses: [{ state: 'success' }] },
        { environment: 'e', statuses: [{ state: 'failure' }] },
        { environment: 'e', transient_environment: true, statuses: [{ state: 'success' }] },
        { environment: 'other', statuses: [{ state: 'success' }] },
        { environment: 'e' }
      ]
    })
    const posted = await call(emu, 'POST', `${R}/deployments/5/statuses`, {
      body: { state: 'success', log_url: 'https://x/run' }
    })
    expect(posted.status).toBe(201)
    expect(posted.body).toMatchObject({
      state: 'success',
      log_url: 'https://x/run',
      target_url: 'https://x/run'
    })
    expect([1, 2, 3, 4, 5].map(id => emu.latestState(id))).toEqual([
      'inactive',
      'failure',
      'success',
      'success',
      'success'
    ])
    // auto_inactive: false leaves the earlier one alone.
    await call(emu, 'POST', `${R}/deployments`, { body: { ref: 'main', environment: 'e' } })
    await call(emu, 'POST', `${R}/deployments/6/statuses`, {
      body: { state: 'success', auto_inactive: false }
    })
    expect(emu.latestState(5)).toBe('success')
  })

  it('statuses: newest first; 422 on an unknown state or a description over 140 characters', async () => {
    const emu = await start({
      deployments: [{ statuses: [{ state: 'pending' }, { state: 'success' }] }]
    })
    const list = await call(emu, 'GET', `${R}/deployments/1/statuses`)
    expect((list.body as { state: string }[]).map(s => s.state)).toEqual(['success', 'pending'])
    expect(
      (await call(emu, 'POST', `${R}/deployments/1/statuses`, { body: { state: 'done' } })).status
    ).toBe(422)
    const long = await call(emu, 'POST', `${R}/deployments/1/statuses`, {
      body: { state: 'success', description: 'x'.repeat(141) }
    })
    expect(long.status).toBe(422)
    expect(emu.statuses(1)).toHaveLength(2)
  })
})

describe('comments', () => {
  it('creates and updates; 422 "Body is too long" over 65,536 characters', async () => {
    const emu = await start()
    const created = await call(emu, 'POST', `${R}/issues/42/comments`, { body: { body: 'one' } })
    expect(created.status).toBe(201)
    const id = (created.body as { id: number }).id
    const updated = await call(emu, 'PATCH', `${R}/issues/comments/${id}`, {
      body: { body: 'two' }
    })
    expect(updated.status).toBe(200)
    expect(emu.comments(42).map(c => c.body)).toEqual(['two'])
    const tooLong = await call(emu, 'POST', `${R}/issues/42/comments`, {
      body: { body: 'x'.repeat(65_537) }
    })
    expect(tooLong.status).toBe(422)
    expect(tooLong.body).toMatchObject({
      message: 'Validation Failed',
      errors: [{ field: 'body', message: 'Body is too long (maximum is 65536 characters)' }],
      status: '422'
    })
    expect(
      (await call(emu, 'POST', `${R}/issues/42/comments`, { body: { body: 'x'.repeat(65_536) } }))
        .status
    ).toBe(201)
    expect(
      (await call(emu, 'PATCH', `${R}/issues/comments/999`, { body: { body: 'x' } })).status
    ).toBe(404)
  })
})

describe('GitHub\'s types: a wrongly typed field is 422 "Invalid request."', () => {
  it('create a deployment: `environment: 7` is refused, nothing is created', async () => {
    const emu = await start()
    const wrong = await call(emu, 'POST', `${R}/deployments`, {
      body: { ref: 'main', environment: 7 }
    })
    expect(wrong.status).toBe(422)
    expect(wrong.body).toEqual({
      message: "Invalid request.\n\nFor 'properties/environment', 7 is not a string.",
      documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
      status: '422'
    })
    const several = await call(emu, 'POST', `${R}/deployments`, {
      body: { environment: null, required_contexts: ['ci', 7], auto_merge: 'no', payload: 1 }
    })
    expect((several.body as { message: string }).message).toBe(
      [
        'Invalid request.',
        '',
        `"ref" wasn't supplied.`,
        'For \'properties/auto_merge\', "no" is not a boolean.',
        "For 'items', 7 is not a string.",
        "For 'properties/payload', 1 is not an object or string.",
        "For 'properties/environment', nil is not a string."
      ].join('\n')
    )
    expect(emu.deployments()).toEqual([])
    // description is nullable; a payload may be a string.
    const fine = await call(emu, 'POST', `${R}/deployments`, {
      body: { ref: 'main', description: null, payload: '{"a":1}' }
    })
    expect(fine.status).toBe(201)
  })

  it('a status and a comment: wrong types are refused the same way', async () => {
    const emu = await start({ deployments: [{}] })
    const status = await call(emu, 'POST', `${R}/deployments/1/statuses`, {
      body: { state: 'success', auto_inactive: 'false' }
    })
    expect(status.status).toBe(422)
    expect((status.body as { message: string }).message).toBe(
      'Invalid request.\n\nFor \'properties/auto_inactive\', "false" is not a boolean.'
    )
    expect(emu.statuses(1)).toEqual([])
    const comment = await call(emu, 'POST', `${R}/issues/42/comments`, { body: { body: 7 } })
    expect(comment.status).toBe(422)
    expect((comment.body as { message: string }).message).toBe(
      "Invalid request.\n\nFor 'properties/body', 7 is not a string."
    )
    const missing = await call(emu, 'POST', `${R}/issues/42/comments`, { body: {} })
    expect((missing.body as { message: string }).message).toBe(
      `Invalid request.\n\n"body" wasn't supplied.`
    )
    expect(emu.comments(42)).toEqual([])
  })
})

describe("GitHub's headers and the repository's two names", () => {
  it('every answer carries a request id and the rate-limit headers; used counts per token', async () => {
    const emu = await start({ now: () => Date.UTC(2026, 0, 1, 12, 0, 0) })
    const one = await call(emu, 'GET', `${R}/deployments`)
    const two = await call(emu, 'GET', `${R}/deployments`, { token: 'read' })
    const three = await call(emu, 'GET', `${R}/deployments`)
    const anonymous = await call(emu, 'GET', `${R}/deployments`, { token: null })
    const reset = String(Date.UTC(2026, 0, 1, 13, 0, 0) / 1000)
    const rate = (a: Answer): string[] =>
      ['limit', 'remaining', 'reset', 'used', 'resource'].map(
        h => a.headers.get(`x-ratelimit-${h}`) ?? ''
      )
    expect(rate(one)).toEqual(['5000', '4999', reset, '1', 'core'])
    expect(rate(two)).toEqual(['5000', '4999', reset, '1', 'core'])
    expect(rate(three)).toEqual(['5000', '4998', reset, '2', 'core'])
    expect(anonymous.status).toBe(401)
    expect(rate(anonymous)).toEqual(['60', '59', reset, '1', 'core'])
    const ids = [one, two, three, anonymous].map(a => a.headers.get('x-github-request-id'))
    expect(new Set(ids).size).toBe(4)
    for (const id of ids) expect(id).toMatch(/^[0-9A-F]{4}(:[0-9A-F]+){4}$/)
    expect(emu.requests[0]?.answer?.headers['x-github-request-id']).toBe(ids[0])
  })

  it('/repositories/{id}/... is the same repository; another id is 404; faults match it as /repos/...', async () => {
    const emu = await start({ repositoryId: 777, deployments: [{}, {}] })
    const byId = await call(emu, 'GET', '/repositories/777/deployments/2')
    expect(byId.status).toBe(200)
    expect(byId.body).toMatchObject({ id: 2, url: `${emu.url}${R}/deployments/2` })
    expect((await call(emu, 'GET', '/repositories/778/deployments/2')).status).toBe(404)
    const link = (await call(emu, 'GET', `${R}/deployments?per_page=1`)).headers.get('link')
    expect(link).toContain(
      `<${emu.url}/repositories/777/deployments?per_page=1&page=2>; rel="next"`
    )
    emu.addFault({ path: `${R}/deployments`, kind: 'status', status: 502 })
    expect((await call(emu, 'GET', '/repositories/777/deployments?page=2')).status).toBe(502)
  })

  it('created statuses and comments are answered with their Location; users are complete', async () => {
    const emu = await start({ deployments: [{}] })
    const status = await call(emu, 'POST', `${R}/deployments/1/statuses`, {
      body: { state: 'success' }
    })
    expect(status.headers.get('location')).toBe(`${emu.url}${R}/deployments/1/statuses/1`)
    const comment = await call(emu, 'POST', `${R}/issues/42/comments`, { body: { body: 'hi' } })
    expect(comment.headers.get('location')).toBe(`${emu.url}${R}/issues/comments/1`)
    expect((comment.body as { user: unknown }).user).toMatchObject({
      login: 'github-actions[bot]',
      id: 41898282,
      node_id: 'MDM6Qm90NDE4OTgyODI=',
      type: 'Bot',
      html_url: 'https://github.com/apps/github-actions',
      site_admin: false
    })
  })
})

describe('faults and latency', () => {
  it('secondary rate limit: 403 with retry-after and GitHub’s message', async () => {
    const emu = await start({
      faults: [{ kind: 'secondary-rate-limit', retryAfterSeconds: 7, count: 1 }]
    })
    const limited = await call(emu, 'GET', `${R}/deployments`)
    expect(limited.status).toBe(403)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect((limited.body as { message: string }).message).toMatch(
      /^You have exceeded a secondary rate limit/
    )
    expect((await call(emu, 'GET', `${R}/deployments`)).status).toBe(200)
    expect(emu.requests.map(r => r.fault)).toEqual(['secondary-rate-limit', undefined])
  })

  it('5xx faults by path pattern, skip and count; the log records each answer', async () => {
    const emu = await start({
      faults: [{ kind: 'status', status: 502, path: /\/deployments$/, skip: 1, count: 1 }]
    })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await call(emu, 'GET', `${R}/deployments`)).status)
    statuses.push((await call(emu, 'GET', `${R}/issues/42/comments`)).status)
    expect(statuses).toEqual([200, 502, 200, 200])
    expect(emu.requests.map(r => r.status)).toEqual(statuses)
  })

  it('latency is added to every request, and setLatency changes it', async () => {
    const emu = await start({ latencyMs: 150 })
    const started = Date.now()
    await call(emu, 'GET', `${R}/deployments`)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    emu.setLatency(0)
    await call(emu, 'GET', `${R}/deployments`)
    expect(emu.requests).toHaveLength(2)
  })

  it('setToken adds a token at run time', async () => {
    const emu = await start()
    expect((await call(emu, 'GET', `${R}/deployments`, { token: 'late' })).status).toBe(401)
    emu.setToken('late', ['deployments:read'])
    expect((await call(emu, 'GET', `${R}/deployments`, { token: 'late' })).status).toBe(200)
  })
})
