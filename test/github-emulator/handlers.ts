// Route handlers of the GitHub emulator: deployments, deployment statuses, issue comments.
import { DEPLOYMENT_STATES } from './types.js'
import type {
  DeploymentState,
  GitHubEmulatorState,
  Permission,
  StoredComment,
  StoredDeployment,
  StoredIssue,
  StoredStatus,
  User
} from './types.js'

export interface Reply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

const DOCS = 'https://docs.github.com/rest'
export const MAX_COMMENT_CHARS = 65_536
const MAX_STATUS_DESCRIPTION = 140

/** The GitHub Actions app: `performed_via_github_app` of what GITHUB_TOKEN writes. */
const ACTIONS_APP_ID = 15368

/** The token's user: a workflow's GITHUB_TOKEN acts as this bot. */
export const ACTIONS_BOT: User = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }

/** GitHub's error body: `message`, `documentation_url`, and `status` as a string. */
export function ghError(
  status: number,
  message: string,
  docs: string = DOCS,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>
): Reply {
  return {
    status,
    body: { message, ...extra, documentation_url: docs, status: String(status) },
    ...(headers ? { headers } : {})
  }
}

export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export interface Ctx {
  state: GitHubEmulatorState
  /** 'http://127.0.0.1:PORT' */
  base: string
  owner: string
  repo: string
  /** The repository's id: GitHub's Link headers name it `/repositories/{id}/...`. */
  repositoryId: number
  refs: Record<string, string>
  permissions: ReadonlySet<Permission>
  method: string
  /** Path captures: the deployment id, issue number or comment id. */
  id: number
  query: Record<string, string>
  /** The parsed JSON body (undefined for GET or an unreadable body). */
  body: unknown
  bodyIsJson: boolean
  now: number
}

export interface Route {
  method: string
  /** Matched against the path after `/repos/{owner}/{repo}` or `/repositories/{id}`. */
  pattern: RegExp
  /** The permission(s) needed, any of them; computed when it depends on the issue. */
  needs: (ctx: Ctx) => readonly Permission[]
  docs: string
  handle: (ctx: Ctx) => Reply
}

// ---- helpers ----------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A page of `items` and GitHub's Link header (prev, next, last, first) for it. Like GitHub's, the
 * links name the repository by id: `/repositories/{id}{path}` (`path` is the part after the
 * repository, e.g. `/deployments`).
 */
export function paginate<T>(
  items: readonly T[],
  ctx: Ctx,
  path: string
): { rows: T[]; headers: Record<string, string> } {
  const asked = Number.parseInt(ctx.query.per_page ?? '', 10)
  const perPage = Number.isFinite(asked) && asked > 0 ? Math.min(asked, 100) : 30
  const askedPage = Number.parseInt(ctx.query.page ?? '', 10)
  const page = Number.isFinite(askedPage) && askedPage > 0 ? askedPage : 1
  const last = Math.max(1, Math.ceil(items.length / perPage))
  const rows = items.slice((page - 1) * perPage, page * perPage)
  const link = (p: number, rel: string): string => {
    const params = new URLSearchParams(ctx.query)
    params.set('per_page', String(perPage))
    params.set('page', String(p))
    return `<${ctx.base}/repositories/${ctx.repositoryId}${path}?${params.toString()}>; rel="${rel}"`
  }
  const links: string[] = []
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'))
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'))
  if (page > 1) links.push(link(1, 'first'))
  return { rows, headers: links.length > 0 ? { link: links.join(', ') } : {} }
}

function repoUrl(ctx: Ctx): string {
  return `${ctx.base}/repos/${ctx.owner}/${ctx.repo}`
}

/** An account: a user or bot, or the organization owning an app. */
type Account = Omit<User, 'type'> & { type: User['type'] | 'Organization' }

/**
 * GitHub's legacy node id of an account: base64 of `0{length of type}:{type}{id}`, e.g.
 * `MDM6Qm90NDE4OTgyODI=` (`03:Bot41898282`) for github-actions[bot].
 */
function accountNodeId(u: Account): string {
  return Buffer.from(`0${u.type.length}:${u.type}${u.id}`).toString('base64')
}

/** An account as GitHub answers it (`simple-user`): every required field. */
export function userOut(ctx: Ctx, u: Account): Record<string, unknown> {
  const api = `${ctx.base}/users/${encodeURIComponent(u.login)}`
  const bot = u.type === 'Bot'
  return {
    login: u.login,
    id: u.id,
    node_id: accountNodeId(u),
    avatar_url:
      u.id === ACTIONS_BOT.id
        ? `https://avatars.githubusercontent.com/in/${ACTIONS_APP_ID}?v=4`
        : `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: bot
      ? `https://github.com/apps/${u.login.replace(/\[bot\]$/, '')}`
      : `https://github.com/${u.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: u.type,
    user_view_type: 'public',
    site_admin: false
  }
}

function actionsApp(ctx: Ctx): Record<string, unknown> {
  return {
    id: ACTIONS_APP_ID,
    slug: 'github-actions',
    node_id: 'MDM6QXBwMTUzNjg=',
    owner: userOut(ctx, { login: 'github', id: 9919, type: 'Organization' }),
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: 'https://github.com/apps/github-actions',
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2024-04-10T20:33:16Z',
    permissions: {
      actions: 'write',
      contents: 'write',
      deployments: 'write',
      issues: 'write',
      metadata: 'read',
      pull_requests: 'write',
      statuses: 'write'
    },
    events: ['deployment', 'deployment_status', 'issue_comment', 'pull_request', 'push']
  }
}

/** The app that wrote a row: GitHub Actions for GITHUB_TOKEN's bot, else none. */
function performedVia(ctx: Ctx, creator: User): Record<string, unknown> | null {
  return creator.id === ACTIONS_BOT.id ? actionsApp(ctx) : null
}

function deploymentOut(ctx: Ctx, d: StoredDeployment): Record<string, unknown> {
  const url = `${repoUrl(ctx)}/deployments/${d.id}`
  return {
    url,
    id: d.id,
    node_id: `DE_${Buffer.from(`deployment:${d.id}`).toString('base64')}`,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.original_environment,
    environment: d.environment,
    description: d.description,
    creator: userOut(ctx, d.creator),
    created_at: d.created_at,
    updated_at: d.updated_at,
    statuses_url: `${url}/statuses`,
    repository_url: repoUrl(ctx),
    transient_environment: d.transient_environment,
    production_environment: d.production_environment,
    performed_via_github_app: performedVia(ctx, d.creator)
  }
}

function statusOut(ctx: Ctx, s: StoredStatus): Record<string, unknown> {
  const deploymentUrl = `${repoUrl(ctx)}/deployments/${s.deployment_id}`
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_${Buffer.from(`status:${s.id}`).toString('base64')}`,
    state: s.state,
    creator: userOut(ctx, s.creator),
    description: s.description,
    environment: s.environment,
    target_url: s.target_url,
    created_at: s.created_at,
    updated_at: s.updated_at,
    deployment_url: deploymentUrl,
    repository_url: repoUrl(ctx),
    environment_url: s.environment_url,
    log_url: s.log_url,
    performed_via_github_app: performedVia(ctx, s.creator)
  }
}

function commentOut(ctx: Ctx, c: StoredComment): Record<string, unknown> {
  const url = `${repoUrl(ctx)}/issues/comments/${c.id}`
  const issue = ctx.state.issues.find(i => i.number === c.issue_number)
  const kind = issue?.pull_request === false ? 'issues' : 'pull'
  return {
    url,
    html_url: `https://github.com/${ctx.owner}/${ctx.repo}/${kind}/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${repoUrl(ctx)}/issues/${c.issue_number}`,
    id: c.id,
    node_id: `IC_${Buffer.from(`comment:${c.id}`).toString('base64')}`,
    user: userOut(ctx, c.user),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: 'NONE',
    body: c.body,
    reactions: {
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0
    },
    performed_via_github_app: performedVia(ctx, c.user)
  }
}

/** Newest first, like GET /deployments and GET .../statuses. */
const newestFirst = <T extends { id: number }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => b.id - a.id)

export function statusesOf(state: GitHubEmulatorState, deploymentId: number): StoredStatus[] {
  return newestFirst(state.statuses.filter(s => s.deployment_id === deploymentId))
}

export function latestState(
  state: GitHubEmulatorState,
  deploymentId: number
): DeploymentState | undefined {
  return statusesOf(state, deploymentId)[0]?.state
}

export function addStatus(
  state: GitHubEmulatorState,
  deployment: StoredDeployment,
  fields: Partial<StoredStatus> & { state: DeploymentState },
  at: string
): StoredStatus {
  const status: StoredStatus = {
    id: state.nextStatusId++,
    deployment_id: deployment.id,
    creator: ACTIONS_BOT,
    description: '',
    environment: deployment.environment,
    target_url: '',
    log_url: '',
    environment_url: '',
    created_at: at,
    updated_at: at,
    ...fields
  }
  state.statuses.push(status)
  deployment.updated_at = at
  return status
}

/** 422 "Validation Failed" with GitHub's `errors` list. */
function invalid(resource: string, field: string, code: string, message?: string): Reply {
  return ghError(422, 'Validation Failed', DOCS, {
    errors: [{ resource, code, field, ...(message === undefined ? {} : { message }) }]
  })
}

function needsObject(ctx: Ctx): Reply | undefined {
  if (!ctx.bodyIsJson || !isObject(ctx.body)) return ghError(400, 'Problems parsing JSON')
  return undefined
}

/** A body field's type, as GitHub's schema of the operation declares it. */
type FieldType = 'string' | 'boolean' | 'string[]' | 'object|string' | 'string|null'

interface BodySchema {
  required: readonly string[]
  fields: Readonly<Record<string, FieldType>>
}

const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  boolean: 'a boolean',
  'string[]': 'an array',
  'object|string': 'an object or string',
  'string|null': 'a string or null'
}

function fits(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string'
    case 'boolean':
      return typeof value === 'boolean'
    case 'string[]':
      return Array.isArray(value)
    case 'object|string':
      return isObject(value) || typeof value === 'string'
    case 'string|null':
      return value === null || typeof value === 'string'
  }
}

/** A value as GitHub's messages show it (Ruby's inspect: null is `nil`). */
function shown(value: unknown): string {
  return value === null ? 'nil' : JSON.stringify(value)
}

/**
 * GitHub checks a body against the operation's schema before anything else and refuses it with
 * 422 "Invalid request." and one line per problem: `"ref" wasn't supplied.`, `For
 * 'properties/environment', 7 is not a string.`, `For 'items', 7 is not a string.` (an array's
 * item). Unknown fields are ignored.
 */
function schemaProblem(ctx: Ctx, schema: BodySchema, docs: string): Reply | undefined {
  const body = ctx.body as Record<string, unknown>
  const lines: string[] = []
  for (const name of schema.required)
    if (body[name] === undefined) lines.push(`"${name}" wasn't supplied.`)
  for (const [name, type] of Object.entries(schema.fields)) {
    const value = body[name]
    if (value === undefined) continue
    if (!fits(value, type))
      lines.push(`For 'properties/${name}', ${shown(value)} is not ${TYPE_WORDS[type]}.`)
    else if (type === 'string[]')
      for (const item of value as unknown[])
        if (typeof item !== 'string') lines.push(`For 'items', ${shown(item)} is not a string.`)
  }
  return lines.length > 0
    ? ghError(422, `Invalid request.\n\n${lines.join('\n')}`, docs)
    : undefined
}

/** POST /repos/{owner}/{repo}/deployments (GitHub's `repos/create-deployment`). */
const DEPLOYMENT_BODY: BodySchema = {
  required: ['ref'],
  fields: {
    ref: 'string',
    task: 'string',
    auto_merge: 'boolean',
    required_contexts: 'string[]',
    payload: 'object|string',
    environment: 'string',
    description: 'string|null',
    transient_environment: 'boolean',
    production_environment: 'boolean'
  }
}

/** POST .../deployments/{deployment_id}/statuses (`repos/create-deployment-status`). */
const STATUS_BODY: BodySchema = {
  required: ['state'],
  fields: {
    state: 'string',
    target_url: 'string',
    log_url: 'string',
    description: 'string',
    environment: 'string',
    environment_url: 'string',
    auto_inactive: 'boolean'
  }
}

/** POST .../issues/{issue_number}/comments and PATCH .../issues/comments/{comment_id}. */
const COMMENT_BODY: BodySchema = { required: ['body'], fields: { body: 'string' } }

function resolveRef(refs: Record<string, string>, ref: string): string | undefined {
  const short = ref.replace(/^refs\/(heads|tags)\//, '')
  return refs[ref] ?? refs[short] ?? (/^[0-9a-f]{40}$/.test(ref) ? ref : undefined)
}

function issueOf(ctx: Ctx): StoredIssue | undefined {
  return ctx.state.issues.find(i => i.number === ctx.id)
}

/** Comments on a pull request need pull-requests or issues; on an issue, issues only. */
function commentPermissions(issue: StoredIssue | undefined, write: boolean): Permission[] {
  const level = write ? 'write' : 'read'
  return issue?.pull_request === false
    ? [`issues:${level}`]
    : [`pull-requests:${level}`, `issues:${level}`]
}

function commentBodyProblem(body: unknown): Reply | undefined {
  if (typeof body !== 'string' || body.trim() === '')
    return invalid('IssueComment', 'body', 'missing_field')
  if ([...body].length > MAX_COMMENT_CHARS)
    return invalid(
      'IssueComment',
      'body',
      'custom',
      `Body is too long (maximum is ${MAX_COMMENT_CHARS} characters)`
    )
  return undefined
}

// ---- routes -----------------------------------------------------------------------------------

const DEPLOY_DOCS = 'https://docs.github.com/rest/deployments/deployments'
const STATUS_DOCS = 'https://docs.github.com/rest/deployments/statuses'
const COMMENT_DOCS = 'https://docs.github.com/rest/issues/comments'
const CREATE_DEPLOYMENT_DOCS = `${DEPLOY_DOCS}#create-a-deployment`

const listDeployments: Route['handle'] = ctx => {
  const { environment, sha, ref, task } = ctx.query
  const rows = newestFirst(ctx.state.deployments).filter(
    d =>
      (environment === undefined || d.environment === environment) &&
      (sha === undefined || d.sha === sha) &&
      (ref === undefined || d.ref === ref) &&
      (task === undefined || d.task === task)
  )
  const page = paginate(rows, ctx, '/deployments')
  return { status: 200, body: page.rows.map(d => deploymentOut(ctx, d)), headers: page.headers }
}

const createDeployment: Route['handle'] = ctx => {
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const invalidBody = schemaProblem(ctx, DEPLOYMENT_BODY, CREATE_DEPLOYMENT_DOCS)
  if (invalidBody) return invalidBody
  const body = ctx.body as Record<string, unknown>
  if (typeof body.ref !== 'string' || body.ref === '')
    return ghError(422, `Invalid request.\n\n"ref" wasn't supplied.`, CREATE_DEPLOYMENT_DOCS)
  const sha = resolveRef(ctx.refs, body.ref)
  if (sha === undefined)
    return ghError(422, `No ref found for: ${body.ref}`, CREATE_DEPLOYMENT_DOCS)
  const payload = (body.payload ?? {}) as Record<string, unknown> | string
  const environment =
    typeof body.environment === 'string' && body.environment !== ''
      ? body.environment
      : 'production'
  const at = timestamp(ctx.now)
  const deployment: StoredDeployment = {
    id: ctx.state.nextDeploymentId++,
    sha,
    ref: body.ref,
    task: typeof body.task === 'string' ? body.task : 'deploy',
    payload,
    original_environment: environment,
    environment,
    description: typeof body.description === 'string' ? body.description : null,
    creator: ACTIONS_BOT,
    created_at: at,
    updated_at: at,
    transient_environment: body.transient_environment === true,
    production_environment:
      typeof body.production_environment === 'boolean'
        ? body.production_environment
        : environment === 'production'
  }
  ctx.state.deployments.push(deployment)
  return { status: 201, body: deploymentOut(ctx, deployment) }
}

const getDeployment: Route['handle'] = ctx => {
  const d = ctx.state.deployments.find(x => x.id === ctx.id)
  if (!d) return ghError(404, 'Not Found', DEPLOY_DOCS)
  return { status: 200, body: deploymentOut(ctx, d) }
}

const listStatuses: Route['handle'] = ctx => {
  const d = ctx.state.deployments.find(x => x.id === ctx.id)
  if (!d) return ghError(404, 'Not Found', STATUS_DOCS)
  const page = paginate(statusesOf(ctx.state, d.id), ctx, `/deployments/${d.id}/statuses`)
  return { status: 200, body: page.rows.map(s => statusOut(ctx, s)), headers: page.headers }
}

const createStatus: Route['handle'] = ctx => {
  const d = ctx.state.deployments.find(x => x.id === ctx.id)
  if (!d) return ghError(404, 'Not Found', STATUS_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const invalidBody = schemaProblem(ctx, STATUS_BODY, `${STATUS_DOCS}#create-a-deployment-status`)
  if (invalidBody) return invalidBody
  const body = ctx.body as Record<string, unknown>
  const state = body.state
  if (typeof state !== 'string' || !(DEPLOYMENT_STATES as readonly string[]).includes(state))
    return invalid('DeploymentStatus', 'state', 'invalid')
  const description = typeof body.description === 'string' ? body.description : ''
  if ([...description].length > MAX_STATUS_DESCRIPTION)
    return invalid(
      'DeploymentStatus',
      'description',
      'custom',
      `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`
    )
  const text = (v: unknown): string => (typeof v === 'string' ? v : '')
  if (typeof body.environment === 'string' && body.environment !== '')
    d.environment = body.environment
  const at = timestamp(ctx.now)
  const logUrl = text(body.log_url) || text(body.target_url)
  const status = addStatus(
    ctx.state,
    d,
    {
      state: state as DeploymentState,
      description,
      log_url: logUrl,
      target_url: logUrl,
      environment_url: text(body.environment_url)
    },
    at
  )
  // auto_inactive (default true): the environment's earlier non-transient deployments whose
  // latest status is success get an inactive status.
  if (state === 'success' && body.auto_inactive !== false) {
    for (const other of ctx.state.deployments) {
      if (other.id >= d.id || other.environment !== d.environment) continue
      if (other.transient_environment) continue
      if (latestState(ctx.state, other.id) !== 'success') continue
      addStatus(ctx.state, other, { state: 'inactive' }, at)
    }
  }
  const out = statusOut(ctx, status)
  return { status: 201, body: out, headers: { location: String(out.url) } }
}

const listComments: Route['handle'] = ctx => {
  const issue = issueOf(ctx)
  if (!issue) return ghError(404, 'Not Found', COMMENT_DOCS)
  const since = ctx.query.since === undefined ? undefined : Date.parse(ctx.query.since)
  const rows = ctx.state.comments
    .filter(c => c.issue_number === issue.number)
    .filter(c => since === undefined || Date.parse(c.updated_at) >= since)
    .sort((a, b) => a.id - b.id)
  const page = paginate(rows, ctx, `/issues/${issue.number}/comments`)
  return { status: 200, body: page.rows.map(c => commentOut(ctx, c)), headers: page.headers }
}

const createComment: Route['handle'] = ctx => {
  const issue = issueOf(ctx)
  if (!issue) return ghError(404, 'Not Found', COMMENT_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const invalidBody = schemaProblem(ctx, COMMENT_BODY, `${COMMENT_DOCS}#create-an-issue-comment`)
  if (invalidBody) return invalidBody
  const body = (ctx.body as Record<string, unknown>).body
  const problem = commentBodyProblem(body)
  if (problem) return problem
  const at = timestamp(ctx.now)
  const comment: StoredComment = {
    id: ctx.state.nextCommentId++,
    issue_number: issue.number,
    body: body as string,
    user: ACTIONS_BOT,
    created_at: at,
    updated_at: at
  }
  ctx.state.comments.push(comment)
  const out = commentOut(ctx, comment)
  return { status: 201, body: out, headers: { location: String(out.url) } }
}

const updateComment: Route['handle'] = ctx => {
  const comment = ctx.state.comments.find(c => c.id === ctx.id)
  if (!comment) return ghError(404, 'Not Found', COMMENT_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const invalidBody = schemaProblem(ctx, COMMENT_BODY, `${COMMENT_DOCS}#update-an-issue-comment`)
  if (invalidBody) return invalidBody
  const body = (ctx.body as Record<string, unknown>).body
  const problem = commentBodyProblem(body)
  if (problem) return problem
  comment.body = body as string
  comment.updated_at = timestamp(ctx.now)
  return { status: 200, body: commentOut(ctx, comment) }
}

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/deployments$/,
    needs: () => ['deployments:read'],
    docs: `${DEPLOY_DOCS}#list-deployments`,
    handle: listDeployments
  },
  {
    method: 'POST',
    pattern: /^\/deployments$/,
    needs: () => ['deployments:write'],
    docs: `${DEPLOY_DOCS}#create-a-deployment`,
    handle: createDeployment
  },
  {
    method: 'GET',
    pattern: /^\/deployments\/(\d+)$/,
    needs: () => ['deployments:read'],
    docs: `${DEPLOY_DOCS}#get-a-deployment`,
    handle: getDeployment
  },
  {
    method: 'GET',
    pattern: /^\/deployments\/(\d+)\/statuses$/,
    needs: () => ['deployments:read'],
    docs: `${STATUS_DOCS}#list-deployment-statuses`,
    handle: listStatuses
  },
  {
    method: 'POST',
    pattern: /^\/deployments\/(\d+)\/statuses$/,
    needs: () => ['deployments:write'],
    docs: `${STATUS_DOCS}#create-a-deployment-status`,
    handle: createStatus
  },
  {
    method: 'GET',
    pattern: /^\/issues\/(\d+)\/comments$/,
    needs: ctx => commentPermissions(issueOf(ctx), false),
    docs: `${COMMENT_DOCS}#list-issue-comments`,
    handle: listComments
  },
  {
    method: 'POST',
    pattern: /^\/issues\/(\d+)\/comments$/,
    needs: ctx => commentPermissions(issueOf(ctx), true),
    docs: `${COMMENT_DOCS}#create-an-issue-comment`,
    handle: createComment
  },
  {
    method: 'PATCH',
    pattern: /^\/issues\/comments\/(\d+)$/,
    needs: ctx => {
      const comment = ctx.state.comments.find(c => c.id === ctx.id)
      const issue = ctx.state.issues.find(i => i.number === comment?.issue_number)
      return commentPermissions(issue, true)
    },
    docs: `${COMMENT_DOCS}#update-an-issue-comment`,
    handle: updateComment
  }
]
