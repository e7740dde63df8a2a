// An emulator of the part of GitHub's REST API the action uses (deployments, deployment statuses,
// issue comments), on node:http, bound to 127.0.0.1.
//
// Request pipeline: read body -> latency -> faults -> token (401) -> route and repository (404) ->
// permission (403 "Resource not accessible by integration") -> handler (404, 400, 422, 201/200).
//
// The repository is served under both of GitHub's names for it: `/repos/{owner}/{repo}/...` and
// `/repositories/{id}/...`, the form GitHub's Link headers use for the next page. Every answer
// carries GitHub's request id and rate-limit headers (x-github-request-id, x-ratelimit-limit,
// -remaining, -reset, -used, -resource). The log keeps each request and the answer sent, so that a
// test can check both against GitHub's OpenAPI description (./openapi.ts).
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  cancellableSleeps,
  listen,
  pickFault,
  readBody,
  type ArmedFault
} from '../helpers/server-kit.js'
import { ROUTES, addStatus, ghError, latestState, statusesOf, timestamp } from './handlers.js'
import type { Ctx, Reply } from './handlers.js'
import type {
  GitHubEmulator,
  GitHubEmulatorOptions,
  GitHubEmulatorState,
  GitHubFaultRule,
  GitHubLoggedRequest,
  Permission,
  SeedDeployment,
  SeedIssue,
  StoredDeployment
} from './types.js'

export type * from './types.js'
export { DEPLOYMENT_STATES } from './types.js'
export { MAX_COMMENT_CHARS } from './handlers.js'
export { conformance, expectConformingExchanges, type ConformanceReport } from './openapi.js'

/** The commit of the `main` ref unless `refs` says otherwise. */
export const MAIN_SHA = '5f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b'
export const ALL_PERMISSIONS: readonly Permission[] = [
  'deployments:write',
  'pull-requests:write',
  'issues:write'
]
const MINUTE = 60_000
/** The default repository id (GitHub's Link headers name the repository by it). */
export const REPOSITORY_ID = 123456
/** The core rate limit of an installation token (GITHUB_TOKEN's is lower), and of no token. */
const RATE_LIMIT = 5000
const ANONYMOUS_RATE_LIMIT = 60
const RATE_WINDOW_SECONDS = 3600

type ArmedRule = ArmedFault<GitHubFaultRule>

/** Sends `reply`; returns the headers sent (undefined when the socket was gone). */
function send(
  res: ServerResponse,
  reply: Reply,
  defaults: Record<string, string> = {}
): Record<string, string> | undefined {
  if (res.destroyed || res.headersSent) return undefined
  const body = JSON.stringify(reply.body)
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-github-api-version-selected': '2022-11-28',
    ...defaults,
    ...reply.headers
  }
  res.writeHead(reply.status, headers)
  res.end(body)
  return headers
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
}

/** The token of `authorization: token X` or `Bearer X`; undefined when there is none. */
function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  const match = /^\s*(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** A small seeded PRNG (mulberry32) for `share` faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function seedState(
  deployments: readonly SeedDeployment[],
  issues: readonly SeedIssue[],
  refs: Record<string, string>,
  now: number
): GitHubEmulatorState {
  const state: GitHubEmulatorState = {
    deployments: [],
    statuses: [],
    comments: [],
    issues: [],
    nextDeploymentId: 1,
    nextStatusId: 1,
    nextCommentId: 1
  }
  // Seeds are spaced a minute apart, oldest first, ending an hour ago.
  deployments.forEach((seed, i) => {
    const created =
      seed.created_at ?? timestamp(now - 60 * MINUTE - (deployments.length - i) * MINUTE)
    const environment = seed.environment ?? 'production'
    const sha = seed.sha ?? refs.main ?? MAIN_SHA
    const d: StoredDeployment = {
      id: state.nextDeploymentId++,
      sha,
      ref: seed.ref ?? sha,
      task: seed.task ?? 'deploy',
      payload: seed.payload ?? {},
      original_environment: environment,
      environment,
      description: seed.description ?? null,
      creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      created_at: created,
      updated_at: created,
      transient_environment: seed.transient_environment ?? false,
      production_environment: seed.production_environment ?? environment === 'production'
    }
    state.deployments.push(d)
    for (const s of seed.statuses ?? []) {
      const at = s.created_at ?? created
      addStatus(
        state,
        d,
        {
          state: s.state,
          description: s.description ?? '',
          log_url: s.log_url ?? '',
          target_url: s.log_url ?? '',
          environment_url: s.environment_url ?? ''
        },
        at
      )
    }
  })
  for (const seed of issues) {
    state.issues.push({ number: seed.number, pull_request: seed.pull_request ?? true })
    const comments =
      typeof seed.comments === 'number'
        ? Array.from({ length: seed.comments }, (_, i) => ({
            body: `comment ${i + 1}`,
            user: 'octocat',
            created_at: undefined as string | undefined
          }))
        : (seed.comments ?? [])
    comments.forEach((c, i) => {
      const at = c.created_at ?? timestamp(now - 2 * 60 * MINUTE + i * 1000)
      const login = c.user ?? 'github-actions[bot]'
      state.comments.push({
        id: state.nextCommentId++,
        issue_number: seed.number,
        body: c.body,
        user: {
          login,
          id: login === 'github-actions[bot]' ? 41898282 : 583231,
          type: login.endsWith('[bot]') ? 'Bot' : 'User'
        },
        created_at: at,
        updated_at: at
      })
    })
  }
  return state
}

export async function startGitHubEmulator(
  options: GitHubEmulatorOptions = {}
): Promise<GitHubEmulator> {
  const now = options.now ?? Date.now
  const owner = options.owner ?? 'octo-org'
  const repo = options.repo ?? 'octo-app'
  const repositoryId = options.repositoryId ?? REPOSITORY_ID
  const refs = options.refs ?? { main: MAIN_SHA }
  const tokens = new Map<string, ReadonlySet<Permission>>(
    Object.entries(options.tokens ?? { 'gh-token-all': ALL_PERMISSIONS }).map(([t, p]) => [
      t,
      new Set(p)
    ])
  )
  let latencyMs = options.latencyMs ?? 0
  const random = prng(options.seed ?? 1)
  const state = seedState(
    options.deployments ?? [],
    options.issues ?? [{ number: 42, pull_request: true }],
    refs,
    now()
  )
  const requests: GitHubLoggedRequest[] = []
  let faults: ArmedRule[] = (options.faults ?? []).map(rule => ({ rule, seen: 0, fired: 0 }))
  let seq = 0
  let stopped = false
  let base = ''
  let listeningOn = 0
  /** Per token (`''` for none or an unknown one): requests in the window, and when it resets. */
  const windows = new Map<string, { used: number; reset: number }>()

  /** The rate-limit headers of one more request of `token`'s (the `core` resource). */
  function rateLimitHeaders(req: IncomingMessage): Record<string, string> {
    const token = presentedToken(req)
    const key = token !== undefined && tokens.has(token) ? token : ''
    const limit = key === '' ? ANONYMOUS_RATE_LIMIT : RATE_LIMIT
    const nowSeconds = Math.floor(now() / 1000)
    let window = windows.get(key)
    if (!window || nowSeconds >= window.reset) {
      window = { used: 0, reset: nowSeconds + RATE_WINDOW_SECONDS }
      windows.set(key, window)
    }
    window.used++
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.used)),
      'x-ratelimit-reset': String(window.reset),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-resource': 'core'
    }
  }

  /** A request id shaped like GitHub's (`C0DE:1A2B3C:4D5E6F7:...`), unique per emulator. */
  function requestId(n: number): string {
    const hex = (v: number, width: number): string =>
      (v >>> 0).toString(16).toUpperCase().padStart(width, '0').slice(-width)
    return [
      hex(0xc0de, 4),
      hex(listeningOn, 6),
      hex(n, 7),
      hex(Math.imul(n, 2654435761), 7),
      hex(Math.floor(now() / 1000), 8)
    ].join(':')
  }

  // Sleeps that stop() cuts short, so nothing keeps the process alive.
  const { sleep, wakeAll } = cancellableSleeps()

  function has(permissions: ReadonlySet<Permission>, needed: Permission): boolean {
    if (permissions.has(needed)) return true
    return (
      needed.endsWith(':read') && permissions.has(needed.replace(':read', ':write') as Permission)
    )
  }

  function handle(
    req: IncomingMessage,
    method: string,
    path: string,
    query: Record<string, string>,
    rawBody: string
  ): Reply {
    const token = presentedToken(req)
    if (token === undefined) return ghError(401, 'Requires authentication')
    const permissions = tokens.get(token)
    if (!permissions) return ghError(401, 'Bad credentials')

    // A workflow's GITHUB_TOKEN is an installation token: GitHub refuses it the user endpoint.
    if (method === 'GET' && path === '/user') {
      return ghError(
        403,
        'Resource not accessible by integration',
        'https://docs.github.com/rest/users/users#get-the-authenticated-user'
      )
    }
    // `/repos/{owner}/{repo}/rest` or `/repositories/{id}/rest`: another repository is 404.
    const named = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(path)
    const byId = /^\/repositories\/(\d+)(\/.*)$/.exec(path)
    let rest: string | undefined
    if (named)
      rest =
        named[1]?.toLowerCase() === owner.toLowerCase() &&
        named[2]?.toLowerCase() === repo.toLowerCase()
          ? named[3]
          : undefined
    else if (byId) rest = Number(byId[1]) === repositoryId ? byId[2] : undefined
    if (rest === undefined) return ghError(404, 'Not Found')
    const suffix = rest
    const route = ROUTES.find(r => r.method === method && r.pattern.test(suffix))
    const match = route?.pattern.exec(suffix)
    if (!route || !match) return ghError(404, 'Not Found')

    let body: unknown
    let bodyIsJson = false
    if (method !== 'GET' && rawBody !== '') {
      try {
        body = JSON.parse(rawBody)
        bodyIsJson = true
      } catch {
        body = undefined
      }
    }
    const ctx: Ctx = {
      state,
      base,
      owner,
      repo,
      repositoryId,
      refs,
      permissions,
      method,
      id: Number(match[1] ?? 0),
      query,
      body,
      bodyIsJson,
      now: now()
    }
    if (!route.needs(ctx).some(p => has(permissions, p)))
      return ghError(403, 'Resource not accessible by integration', route.docs)
    return route.handle(ctx)
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = (req.method ?? 'GET').toUpperCase()
    const path = url.pathname.replace(/\/+$/, '') || '/'
    const query: Record<string, string> = {}
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v
    const headers: Record<string, string | undefined> = {}
    for (const [k, v] of Object.entries(req.headers))
      headers[k] = Array.isArray(v) ? v.join(', ') : v
    const entry: GitHubLoggedRequest = {
      seq: ++seq,
      method,
      path,
      query,
      body: undefined,
      headers,
      status: 0,
      at: now()
    }
    requests.push(entry)

    const { raw: rawBody, parsed } = await readBody(req)
    entry.body = parsed

    await sleep(latencyMs)
    if (stopped) return

    const id = requestId(entry.seq)
    const reply = (r: Reply): void => {
      entry.status = r.status
      const sent = send(res, r, {
        'x-github-media-type': 'github.v3; format=json',
        'x-github-request-id': id,
        ...rateLimitHeaders(req)
      })
      if (sent) entry.answer = { headers: lowerCased(sent), body: r.body }
      options.onAnswer?.(entry)
    }
    const run = (): Reply => {
      try {
        return handle(req, method, path, query, rawBody)
      } catch (e) {
        return ghError(500, e instanceof Error ? e.message : String(e))
      }
    }

    // Faults see a `/repositories/{id}/...` path (a next page's link) as `/repos/{owner}/{repo}/...`.
    const byId = `/repositories/${repositoryId}/`
    const faultPath = path.startsWith(byId)
      ? `/repos/${owner}/${repo}/${path.slice(byId.length)}`
      : path
    const fault = pickFault(faults, { method, path: faultPath, query, body: entry.body }, random)
    if (fault) entry.fault = fault.kind
    switch (fault?.kind) {
      case 'status': {
        const status = fault.status ?? 500
        const ra = fault.retryAfterSeconds
        reply(
          ghError(
            status,
            status >= 500 ? 'Server Error' : `Injected ${status}`,
            undefined,
            {},
            ra === undefined ? undefined : { 'retry-after': String(ra) }
          )
        )
        return
      }
      case 'secondary-rate-limit':
        reply(
          ghError(
            403,
            `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            {},
            { 'retry-after': String(fault.retryAfterSeconds ?? 60) }
          )
        )
        return
      case 'primary-rate-limit': {
        const reset = Math.ceil(now() / 1000) + (fault.resetSeconds ?? 3600)
        reply(
          ghError(
            403,
            'API rate limit exceeded for installation ID 1234.',
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits',
            {},
            {
              'x-ratelimit-limit': String(RATE_LIMIT),
              'x-ratelimit-remaining': '0',
              'x-ratelimit-used': String(RATE_LIMIT),
              'x-ratelimit-reset': String(reset)
            }
          )
        )
        return
      }
      case 'drop-before':
        req.socket.destroy()
        return
      case 'drop-after':
        run()
        req.socket.destroy()
        return
      case 'slow':
        await sleep(fault.delayMs ?? 1000)
        if (stopped) return
        reply(run())
        return
      case 'echo-token': {
        const token = presentedToken(req) ?? ''
        reply(
          ghError(
            500,
            `Internal error while checking token ${token}`,
            undefined,
            { token },
            {
              'x-debug-token': token
            }
          )
        )
        return
      }
      case 'link-loop': {
        const answer = run()
        const first = `${base}/repositories/${repositoryId}${path.replace(/^\/repos\/[^/]+\/[^/]+/, '').replace(/^\/repositories\/\d+/, '')}`
        const params = new URLSearchParams({ ...query, page: '1' })
        reply({
          ...answer,
          headers: { ...(answer.headers ?? {}), link: `<${first}?${params}>; rel="next"` }
        })
        return
      }
      default:
        reply(run())
    }
  }

  const server = await listen(
    (req, res) => {
      onRequest(req, res).catch((e: unknown) => {
        send(res, ghError(500, e instanceof Error ? e.message : String(e)))
      })
    },
    options.port ?? 0,
    '127.0.0.1'
  )
  const port = server.port
  listeningOn = port
  base = `http://127.0.0.1:${port}`

  return {
    url: base,
    port,
    owner,
    repo,
    repositoryId,
    state,
    requests,
    writes: () => requests.filter(r => r.method !== 'GET'),
    addFault: rule => void faults.push({ rule, seen: 0, fired: 0 }),
    clearFaults: () => void (faults = []),
    clearLog: () => void (requests.length = 0),
    setToken: (token, permissions) => void tokens.set(token, new Set(permissions)),
    setLatency: ms => void (latencyMs = ms),
    deployments: environment =>
      [...state.deployments]
        .filter(d => environment === undefined || d.environment === environment)
        .sort((a, b) => b.id - a.id)
        .map(d => ({ ...d })),
    statuses: deploymentId => statusesOf(state, deploymentId).map(s => ({ ...s })),
    latestState: deploymentId => latestState(state, deploymentId),
    comments: issueNumber =>
      state.comments
        .filter(c => c.issue_number === issueNumber)
        .sort((a, b) => a.id - b.id)
        .map(c => ({ ...c })),
    stop: async () => {
      if (stopped) return
      stopped = true
      wakeAll()
      await server.close()
    }
  }
}
