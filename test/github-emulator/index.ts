// An emulator of the part of GitHub's REST API the action uses (deployments, deployment statuses,
// issue comments), on node:http, bound to 127.0.0.1.
//
// Request pipeline: read body -> latency -> faults -> token (401) -> route and repository (404) ->
// permission (403 "Resource not accessible by integration") -> handler (404, 400, 422, 201/200).
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

/** The commit of the `main` ref unless `refs` says otherwise. */
export const MAIN_SHA = '5f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b'
export const ALL_PERMISSIONS: readonly Permission[] = [
  'deployments:write',
  'pull-requests:write',
  'issues:write'
]
const MINUTE = 60_000

type ArmedRule = ArmedFault<GitHubFaultRule>

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return
  const body = JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-github-api-version-selected': '2022-11-28',
    ...reply.headers
  })
  res.end(body)
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

    const route = ROUTES.find(r => r.method === method && r.pattern.test(path))
    const match = route?.pattern.exec(path)
    if (!route || !match) return ghError(404, 'Not Found')
    if (
      match[1]?.toLowerCase() !== owner.toLowerCase() ||
      match[2]?.toLowerCase() !== repo.toLowerCase()
    )
      return ghError(404, 'Not Found')

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
      refs,
      permissions,
      method,
      id: Number(match[3] ?? 0),
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

    const reply = (r: Reply): void => {
      entry.status = r.status
      send(res, r)
    }
    const run = (): Reply => {
      try {
        return handle(req, method, path, query, rawBody)
      } catch (e) {
        return ghError(500, e instanceof Error ? e.message : String(e))
      }
    }

    const fault = pickFault(faults, { method, path, query, body: entry.body }, random)
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
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:1111:2222:3333:4444.',
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            {},
            {
              'retry-after': String(fault.retryAfterSeconds ?? 60),
              'x-ratelimit-limit': '5000',
              'x-ratelimit-remaining': '4990'
            }
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
              'x-ratelimit-limit': '5000',
              'x-ratelimit-remaining': '0',
              'x-ratelimit-used': '5000',
              'x-ratelimit-reset': String(reset)
            }
          )
        )
        return
      }
      case 'drop-before':
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
  base = `http://127.0.0.1:${port}`

  return {
    url: base,
    port,
    owner,
    repo,
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
