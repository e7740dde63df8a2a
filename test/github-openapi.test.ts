// The GitHub emulator (test/github-emulator/) answers as GitHub does, by GitHub's own account:
// GitHub's OpenAPI description of its REST API (the `@octokit/openapi` package), read by the
// checker in test/github-emulator/openapi.ts. The action's client (src/github/client.ts) drives
// every route it uses against the emulator, successes and refusals alike, and every request it
// sends and every answer it gets must conform; each field of each request body GitHub's schema
// declares is then sent wrongly typed, and refused with 422 as GitHub does. The checker itself is
// checked first, so that a pass means something.
import { afterEach, describe, expect, it } from 'vitest'
import { OctokitGitHubApi } from '../src/github/client.js'
import type { DeploymentPayload } from '../src/github/api.js'
import {
  ALL_PERMISSIONS,
  expectConformingExchanges,
  startGitHubEmulator,
  type GitHubEmulator,
  type GitHubEmulatorOptions,
  type SeedComment,
  type SeedDeployment
} from './github-emulator/index.js'
import {
  checkExchange,
  conformance,
  deref,
  findOperation,
  githubOpenApi,
  schemaProblems,
  type Exchange,
  type Schema
} from './github-emulator/openapi.js'

const TOKEN = 'ghs_openapi_all_0001'
const READ_TOKEN = 'ghs_openapi_read_0002'
const ENV = 'capgo/com.example.app/production'
const SHA = 'a'.repeat(40)
const RUN = 'https://github.com/octo-org/octo-app/actions/runs/1'
const MARKER = '<!-- capgo-release:com.example.app -->'

/** The operations src/github/client.ts calls, by GitHub's operation ids. */
const CLIENT_OPERATIONS = [
  'repos/create-deployment',
  'repos/create-deployment-status',
  'repos/list-deployments',
  'repos/list-deployment-statuses',
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  // Who the token writes as (its own comment only); a workflow token is refused it (403).
  'users/get-authenticated'
]

const spec = githubOpenApi()

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const gh = await startGitHubEmulator({
    tokens: { [TOKEN]: ALL_PERMISSIONS, [READ_TOKEN]: ['deployments:read'] },
    ...options
  })
  cleanups.push(() => gh.stop())
  return gh
}

function client(gh: GitHubEmulator, token = TOKEN, repo = gh.repo): OctokitGitHubApi {
  return new OctokitGitHubApi({
    token,
    owner: gh.owner,
    repo,
    baseUrl: gh.url,
    retries: 1,
    random: () => 0.5,
    sleep: async () => undefined,
    maxRateLimitWaitMs: 0
  })
}

function payload(version: string): DeploymentPayload {
  return {
    app_id: 'com.example.app',
    channel: 'production',
    version,
    previous_version: '',
    rollout_version: '',
    rollout_percentage: ''
  }
}

/** What a call that is refused leaves: the refusal itself is not what is checked here. */
async function settle(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    () => undefined
  )
}

/** The operation ids of the exchanges in `gh`'s log. */
function operationsOf(gh: GitHubEmulator): string[] {
  const ids = gh.requests.map(r => checkExchange(r, spec).operationId ?? '?')
  return [...new Set(ids)].sort()
}

describe("the checker, on GitHub's description", () => {
  it("reads api.github.com's description and finds each operation the client uses, in both path forms", () => {
    expect(spec.openapi).toMatch(/^3\./)
    const routes: [string, string, string][] = [
      ['POST', '/repos/o/r/deployments', 'repos/create-deployment'],
      ['GET', '/repos/o/r/deployments', 'repos/list-deployments'],
      ['GET', '/repos/o/r/deployments/7/statuses', 'repos/list-deployment-statuses'],
      ['POST', '/repos/o/r/deployments/7/statuses', 'repos/create-deployment-status'],
      ['GET', '/repos/o/r/issues/42/comments', 'issues/list-comments'],
      ['POST', '/repos/o/r/issues/42/comments', 'issues/create-comment'],
      ['PATCH', '/repos/o/r/issues/comments/9', 'issues/update-comment'],
      ['GET', '/repositories/123456/deployments', 'repos/list-deployments'],
      ['GET', '/repositories/123456/issues/42/comments', 'issues/list-comments'],
      ['GET', '/user', 'users/get-authenticated']
    ]
    for (const [method, path, id] of routes)
      expect(findOperation(spec, method, path)?.operation.operationId, `${method} ${path}`).toBe(id)
    expect(
      [...new Set(routes.map(r => r[2]))].sort(),
      'every operation of src/github/client.ts'
    ).toEqual([...CLIENT_OPERATIONS].sort())
    expect(findOperation(spec, 'GET', '/repos/o/r/nothing-here')).toBeUndefined()
  })

  it('finds what breaks a schema: a missing required field, a wrong type, null, an enum, oneOf', async () => {
    const gh = await start({
      deployments: [{ payload: payload('1.0.0'), statuses: [{ state: 'success' }] }]
    })
    await client(gh).releaseHistory('production', 5)
    const list = gh.requests.find(r => r.path.endsWith('/deployments'))
    const answer = list?.answer?.body as Record<string, unknown>[]
    const deployment: Schema = { $ref: '#/components/schemas/deployment' }
    const good = answer[0]!
    expect(schemaProblems(spec, deployment, good)).toEqual([])
    const creator = { ...(good.creator as Record<string, unknown>) }
    delete creator.avatar_url
    const broken = {
      ...good,
      creator,
      environment: 7,
      description: undefined,
      task: null,
      payload: 3,
      extra: 'GitHub may add fields'
    }
    const problems = schemaProblems(spec, deployment, broken, 'deployment')
    expect(problems).toHaveLength(5)
    expect(problems).toEqual(
      expect.arrayContaining([
        'deployment.creator.avatar_url: required, missing',
        'deployment.description: required, missing',
        'deployment.task: expected string, got null null',
        expect.stringMatching(/^deployment\.payload: matches none of the oneOf branches/),
        'deployment.environment: expected string, got integer 7'
      ])
    )
    const status: Schema = { $ref: '#/components/schemas/deployment-status' }
    const statusAnswer = gh.requests.find(r => r.path.endsWith('/statuses'))?.answer?.body
    const oneStatus = (statusAnswer as Record<string, unknown>[])[0]!
    expect(schemaProblems(spec, status, oneStatus)).toEqual([])
    expect(schemaProblems(spec, status, { ...oneStatus, state: 'done' }, 's')).toEqual([
      expect.stringMatching(/^s\.state: "done" is not one of/)
    ])
    expect(schemaProblems(spec, status, { ...oneStatus, created_at: 'yesterday' }, 's')).toEqual([
      's.created_at: "yesterday" is not a date-time'
    ])
  })

  it('checks a request: its path parameters, its query and its body; an unknown route is reported', () => {
    const check = (e: Partial<Exchange> & { method: string; path: string }): string[] =>
      checkExchange({ query: {}, status: 201, body: undefined, ...e }, spec).request
    expect(
      check({
        method: 'POST',
        path: '/repos/o/r/deployments',
        body: { ref: 'main', environment: 7 }
      })
    ).toEqual(['body.environment: expected string, got integer 7'])
    expect(check({ method: 'POST', path: '/repos/o/r/deployments' })).toEqual([
      'body: required, missing'
    ])
    expect(
      check({
        method: 'GET',
        path: '/repos/o/r/deployments',
        query: { per_page: 'all', nope: '1' }
      })
    ).toEqual([
      'query per_page: "all" is not integer',
      'query nope: not a parameter of the operation'
    ])
    expect(check({ method: 'GET', path: '/repos/o/r/deployments/x/statuses' })).toEqual([
      'path deployment_id: "x" is not integer'
    ])
    expect(check({ method: 'GET', path: '/repos/o/r/nothing-here' })).toEqual([
      'the description has no such operation'
    ])
  })

  it("checks an answer: its status, its body, the documented headers and GitHub's own headers", () => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      checkExchange(
        {
          method: 'GET',
          path: '/repos/o/r/deployments',
          query: {},
          body: undefined,
          status,
          answer: { body, headers }
        },
        spec
      ).answer
    const github = {
      'x-github-request-id': 'C0DE:00A1B2:0000001:9E3779B:6956A1C0',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': '1767272400',
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core'
    }
    expect(answer(200, [], github)).toEqual([])
    expect(answer(200, {}, github)).toEqual(['answer: expected array, got object {}'])
    // An error status the operation does not list is read as GitHub's basic error.
    expect(answer(503, { message: 'Server Error', status: 503 }, github)).toEqual([
      'answer.status: expected string, got integer 503'
    ])
    expect(answer(200, [])).toEqual(
      Object.keys(github).map(h => `header ${h}: missing (GitHub sends it on every answer)`)
    )
    const summary = conformance([
      { method: 'GET', path: '/repos/o/r/deployments', query: {}, body: undefined, status: 200 },
      {
        method: 'GET',
        path: '/repos/o/r/deployments',
        query: {},
        body: undefined,
        status: 200,
        answer: { body: [], headers: github }
      }
    ])
    expect(summary).toMatchObject({
      requests: 2,
      conformingRequests: 2,
      answers: 1,
      conformingAnswers: 1,
      problems: []
    })
  })
})

describe('the client (src/github/client.ts) against the emulator: every request and every answer conforms', () => {
  it('recording releases, the history across pages, an environment marked inactive, the comment found on a late page and updated, a new one created', async () => {
    // 120 releases (two pages of deployments), one with 130 statuses (two pages of statuses).
    const deployments: SeedDeployment[] = Array.from({ length: 120 }, (_, i) => ({
      environment: ENV,
      sha: SHA,
      payload: payload(`1.0.${i}`),
      description: `1.0.${i} on production`,
      statuses: [{ state: 'success', log_url: RUN }]
    }))
    deployments[0]!.statuses = [
      { state: 'success', log_url: RUN },
      ...Array.from({ length: 130 }, () => ({ state: 'pending' as const }))
    ]
    deployments.push({ environment: ENV, payload: 'not ours', statuses: [{ state: 'success' }] })
    const comments: SeedComment[] = [
      ...Array.from({ length: 230 }, (_, i) => ({ body: `comment ${i + 1}`, user: 'octocat' })),
      { body: `${MARKER}\nold` }
    ]
    const gh = await start({
      refs: { main: SHA },
      deployments,
      issues: [{ number: 42, comments }, { number: 43 }]
    })
    const api = client(gh)

    const history = await api.releaseHistory(ENV, 500)
    expect(history).toHaveLength(120)
    await api.recordRelease({
      environment: ENV,
      sha: SHA,
      ref: 'refs/heads/main',
      payload: payload('1.0.120'),
      description: '1.0.120 on production',
      state: 'success',
      logUrl: RUN,
      environmentUrl: 'https://console.capgo.app/app/com.example.app/channel/1'
    })
    await api.recordRelease({
      environment: 'capgo/com.example.app/beta',
      sha: '',
      ref: 'main',
      payload: payload('2.0.0'),
      description: 'x'.repeat(200),
      state: 'failure',
      logUrl: RUN
    })
    expect(await api.markEnvironmentInactive(ENV)).toBe(1)
    expect(await api.upsertComment(42, MARKER, `${MARKER}\nnew`)).toEqual({
      id: 231,
      created: false
    })
    expect(await api.upsertComment(43, MARKER, 'first')).toMatchObject({ created: true })

    const report = expectConformingExchanges(gh)
    expect(operationsOf(gh)).toEqual([...CLIENT_OPERATIONS].sort())
    // The next pages were read through GitHub's /repositories/{id} links.
    expect(gh.requests.filter(r => r.path.startsWith('/repositories/')).length).toBeGreaterThan(4)
    expect(report.requests).toBe(gh.requests.length)
    expect(report.answers).toBe(gh.requests.length)
    expect(report.requests).toBeGreaterThan(250)
  })

  it('refusals and faults conform too: 401, 403, 404, 422, 5xx, rate limits, an echoed token', async () => {
    const gh = await start({ deployments: [{ environment: ENV, payload: payload('1.0.0') }] })
    const record = (api: OctokitGitHubApi) =>
      api.recordRelease({
        environment: ENV,
        sha: SHA,
        ref: '',
        payload: payload('1.0.1'),
        description: 'd',
        state: 'success',
        logUrl: RUN
      })
    await settle(client(gh, 'ghs_unknown_token').releaseHistory(ENV, 5)) // 401
    await settle(record(client(gh, READ_TOKEN))) // 403
    await settle(client(gh, TOKEN, 'elsewhere').releaseHistory(ENV, 5)) // 404
    await settle(client(gh).upsertComment(42, MARKER, 'x'.repeat(70_000))) // 422
    await settle(client(gh).upsertComment(99, MARKER, 'x')) // 404: no such issue
    gh.addFault({ kind: 'status', status: 502, count: 2 })
    await settle(client(gh).releaseHistory(ENV, 5))
    gh.addFault({ kind: 'secondary-rate-limit', count: 1 })
    await settle(client(gh).releaseHistory(ENV, 5))
    gh.addFault({ kind: 'primary-rate-limit', count: 1 })
    await settle(client(gh).releaseHistory(ENV, 5))
    gh.addFault({ kind: 'echo-token', count: 1 })
    await settle(client(gh).releaseHistory(ENV, 5))
    gh.addFault({ kind: 'status', status: 429, retryAfterSeconds: 30, count: 1 })
    await settle(client(gh).releaseHistory(ENV, 5))

    expect(gh.requests.map(r => r.status)).toEqual(
      expect.arrayContaining([401, 403, 404, 422, 502, 429])
    )
    const report = expectConformingExchanges(gh)
    expect(report.answers).toBe(gh.requests.length)
  })
})

describe("GitHub's request schemas, field by field: a wrongly typed field is refused with 422", () => {
  /** A value of the wrong type for a property of a request body's schema. */
  function wrong(property: Schema): unknown {
    const s = deref<Schema>(spec, property)
    if (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)) return 7
    switch (s.type) {
      case 'string':
        return 7
      case 'boolean':
        return 'yes'
      case 'array':
        return 'x'
      case 'object':
        return 7
      default:
        return [s.type]
    }
  }

  /** A valid body of every property GitHub declares (ref `main`, the first enum value...). */
  function valid(schema: Schema): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [name, raw] of Object.entries(schema.properties as Record<string, Schema>)) {
      const s = deref<Schema>(spec, raw)
      if (name === 'ref') out[name] = 'main'
      else if (Array.isArray(s.enum)) out[name] = s.enum[0]
      else if (Array.isArray(s.oneOf)) out[name] = { version: '1.0.0' }
      else if (s.type === 'boolean') out[name] = false
      else if (s.type === 'array') out[name] = []
      else if (/url$/.test(name)) out[name] = 'https://example.com/x'
      else out[name] = `a ${name}`
    }
    return out
  }

  const operations: [string, (gh: GitHubEmulator) => string][] = [
    ['POST', () => '/repos/octo-org/octo-app/deployments'],
    ['POST', () => '/repos/octo-org/octo-app/deployments/1/statuses'],
    ['POST', () => '/repos/octo-org/octo-app/issues/42/comments'],
    ['PATCH', () => '/repos/octo-org/octo-app/issues/comments/1']
  ]

  for (const [method, pathOf] of operations) {
    it(`${method} ${pathOf({} as GitHubEmulator).replace(/\/\d+/g, '/N')}`, async () => {
      const gh = await start({ deployments: [{}], issues: [{ number: 42, comments: 1 }] })
      const path = pathOf(gh)
      const operation = findOperation(spec, method, path)!.operation
      const schema = deref<Schema>(
        spec,
        operation.requestBody!.content!['application/json']!.schema!
      )
      const send = async (body: unknown): Promise<{ status: number; message: string }> => {
        const res = await fetch(gh.url + path, {
          method,
          headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body)
        })
        const answer = (await res.json()) as { message?: string }
        return { status: res.status, message: answer.message ?? '' }
      }
      const full = valid(schema)
      expect(schemaProblems(spec, schema, full), 'the valid body is valid').toEqual([])
      expect((await send(full)).status, JSON.stringify(full)).toBeLessThan(300)

      const properties = Object.entries(schema.properties as Record<string, Schema>)
      expect(properties.length).toBeGreaterThan(0)
      for (const [name, property] of properties) {
        const body = { ...full, [name]: wrong(property) }
        expect(schemaProblems(spec, schema, body), `${name} is wrong`).not.toEqual([])
        const refused = await send(body)
        expect(refused.status, `${name}: ${JSON.stringify(body[name])}`).toBe(422)
        expect(refused.message).toBe(
          `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(body[name])} is not ${
            /oneOf|anyOf/.test(JSON.stringify(Object.keys(property)))
              ? 'an object or string'
              : property.type === 'array'
                ? 'an array'
                : property.type === 'boolean'
                  ? 'a boolean'
                  : property.nullable === true
                    ? 'a string or null'
                    : 'a string'
          }.`
        )
      }
      for (const name of schema.required as string[]) {
        const body: Record<string, unknown> = { ...full }
        delete body[name]
        expect(await send(body)).toEqual({
          status: 422,
          message: `Invalid request.\n\n"${name}" wasn't supplied.`
        })
      }
      // The requests were malformed on purpose; the answers, refusals included, conform.
      expectConformingExchanges(gh, { requests: false })
      expect(conformance(gh.requests).conformingRequests).toBe(1)
    })
  }
})
