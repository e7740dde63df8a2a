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
  pattern: RegExp
  /** The permission(s) needed, any of them; computed when it depends on the issue. */
  needs: (ctx: Ctx) => readonly Permission[]
  docs: string
  handle: (ctx: Ctx) => Reply
}

// ---- helpers ----------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A page of `items` and GitHub's Link header (prev, next, last, first) for it. */
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
    return `<${ctx.base}${path}?${params.toString()}>; rel="${rel}"`
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
    creator: d.creator,
    created_at: d.created_at,
    updated_at: d.updated_at,
    statuses_url: `${url}/statuses`,
    repository_url: repoUrl(ctx),
    transient_environment: d.transient_environment,
    production_environment: d.production_environment
  }
}

function statusOut(ctx: Ctx, s: StoredStatus): Record<string, unknown> {
  const deploymentUrl = `${repoUrl(ctx)}/deployments/${s.deployment_id}`
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_${Buffer.from(`status:${s.id}`).toString('base64')}`,
    state: s.state,
    creator: s.creator,
    description: s.description,
    environment: s.environment,
    target_url: s.target_url,
    created_at: s.created_at,
    updated_at: s.updated_at,
    deployment_url: deploymentUrl,
    repository_url: repoUrl(ctx),
    environment_url: s.environment_url,
    log_url: s.log_url
  }
}

function commentOut(ctx: Ctx, c: StoredComment): Record<string, unknown> {
  return {
    url: `${repoUrl(ctx)}/issues/comments/${c.id}`,
    html_url: `https://github.com/${ctx.owner}/${ctx.repo}/pull/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${repoUrl(ctx)}/issues/${c.issue_number}`,
    id: c.id,
    node_id: `IC_${Buffer.from(`comment:${c.id}`).toString('base64')}`,
    user: c.user,
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: 'NONE',
    body: c.body
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

const listDeployments: Route['handle'] = ctx => {
  const { environment, sha, ref, task } = ctx.query
  const rows = newestFirst(ctx.state.deployments).filter(
    d =>
      (environment === undefined || d.environment === environment) &&
      (sha === undefined || d.sha === sha) &&
      (ref === undefined || d.ref === ref) &&
      (task === undefined || d.task === task)
  )
  const page = paginate(rows, ctx, `/repos/${ctx.owner}/${ctx.repo}/deployments`)
  return { status: 200, body: page.rows.map(d => deploymentOut(ctx, d)), headers: page.headers }
}

const createDeployment: Route['handle'] = ctx => {
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const body = ctx.body as Record<string, unknown>
  if (typeof body.ref !== 'string' || body.ref === '')
    return ghError(422, `Invalid request.\n\n"ref" wasn't supplied.`, DEPLOY_DOCS)
  const sha = resolveRef(ctx.refs, body.ref)
  if (sha === undefined) return ghError(422, `No ref found for: ${body.ref}`, DEPLOY_DOCS)
  const payload = body.payload ?? {}
  if (!isObject(payload) && typeof payload !== 'string')
    return ghError(
      422,
      `Invalid request.\n\nFor 'properties/payload', it is not an object or string.`
    )
  if (
    body.required_contexts !== undefined &&
    (!Array.isArray(body.required_contexts) ||
      body.required_contexts.some(c => typeof c !== 'string'))
  )
    return ghError(
      422,
      `Invalid request.\n\nFor 'properties/required_contexts', it is not an array of strings.`
    )
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
  const page = paginate(
    statusesOf(ctx.state, d.id),
    ctx,
    `/repos/${ctx.owner}/${ctx.repo}/deployments/${d.id}/statuses`
  )
  return { status: 200, body: page.rows.map(s => statusOut(ctx, s)), headers: page.headers }
}

const createStatus: Route['handle'] = ctx => {
  const d = ctx.state.deployments.find(x => x.id === ctx.id)
  if (!d) return ghError(404, 'Not Found', STATUS_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
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
  return { status: 201, body: statusOut(ctx, status) }
}

const listComments: Route['handle'] = ctx => {
  const issue = issueOf(ctx)
  if (!issue) return ghError(404, 'Not Found', COMMENT_DOCS)
  const since = ctx.query.since === undefined ? undefined : Date.parse(ctx.query.since)
  const rows = ctx.state.comments
    .filter(c => c.issue_number === issue.number)
    .filter(c => since === undefined || Date.parse(c.updated_at) >= since)
    .sort((a, b) => a.id - b.id)
  const page = paginate(
    rows,
    ctx,
    `/repos/${ctx.owner}/${ctx.repo}/issues/${issue.number}/comments`
  )
  return { status: 200, body: page.rows.map(c => commentOut(ctx, c)), headers: page.headers }
}

const createComment: Route['handle'] = ctx => {
  const issue = issueOf(ctx)
  if (!issue) return ghError(404, 'Not Found', COMMENT_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
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
  return { status: 201, body: commentOut(ctx, comment) }
}

const updateComment: Route['handle'] = ctx => {
  const comment = ctx.state.comments.find(c => c.id === ctx.id)
  if (!comment) return ghError(404, 'Not Found', COMMENT_DOCS)
  const notObject = needsObject(ctx)
  if (notObject) return notObject
  const body = (ctx.body as Record<string, unknown>).body
  const problem = commentBodyProblem(body)
  if (problem) return problem
  comment.body = body as string
  comment.updated_at = timestamp(ctx.now)
  return { status: 200, body: commentOut(ctx, comment) }
}

const REPO = '^/repos/([^/]+)/([^/]+)'

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: new RegExp(`${REPO}/deployments$`),
    needs: () => ['deployments:read'],
    docs: `${DEPLOY_DOCS}#list-deployments`,
    handle: listDeployments
  },
  {
    method: 'POST',
    pattern: new RegExp(`${REPO}/deployments$`),
    needs: () => ['deployments:write'],
    docs: `${DEPLOY_DOCS}#create-a-deployment`,
    handle: createDeployment
  },
  {
    method: 'GET',
    pattern: new RegExp(`${REPO}/deployments/(\\d+)$`),
    needs: () => ['deployments:read'],
    docs: `${DEPLOY_DOCS}#get-a-deployment`,
    handle: getDeployment
  },
  {
    method: 'GET',
    pattern: new RegExp(`${REPO}/deployments/(\\d+)/statuses$`),
    needs: () => ['deployments:read'],
    docs: `${STATUS_DOCS}#list-deployment-statuses`,
    handle: listStatuses
  },
  {
    method: 'POST',
    pattern: new RegExp(`${REPO}/deployments/(\\d+)/statuses$`),
    needs: () => ['deployments:write'],
    docs: `${STATUS_DOCS}#create-a-deployment-status`,
    handle: createStatus
  },
  {
    method: 'GET',
    pattern: new RegExp(`${REPO}/issues/(\\d+)/comments$`),
    needs: ctx => commentPermissions(issueOf(ctx), false),
    docs: `${COMMENT_DOCS}#list-issue-comments`,
    handle: listComments
  },
  {
    method: 'POST',
    pattern: new RegExp(`${REPO}/issues/(\\d+)/comments$`),
    needs: ctx => commentPermissions(issueOf(ctx), true),
    docs: `${COMMENT_DOCS}#create-an-issue-comment`,
    handle: createComment
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`${REPO}/issues/comments/(\\d+)$`),
    needs: ctx => {
      const comment = ctx.state.comments.find(c => c.id === ctx.id)
      const issue = ctx.state.issues.find(i => i.number === comment?.issue_number)
      return commentPermissions(issue, true)
    },
    docs: `${COMMENT_DOCS}#update-an-issue-comment`,
    handle: updateComment
  }
]
