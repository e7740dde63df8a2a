// Checks the GitHub emulator's exchanges against GitHub's official OpenAPI description of the REST
// API (the `@octokit/openapi` package, generated/api.github.com.json): each request's path, query
// and JSON body against the operation it names, and each answer's body and documented headers
// against the operation's response for that status. A small JSON-schema checker of its own covers
// what the description uses on these routes: $ref, type, nullable, enum, properties, required,
// additionalProperties, items, allOf / anyOf / oneOf (oneOf read as anyOf: several of GitHub's
// branches overlap, e.g. a null matches each nullable branch), minLength / maxLength, minimum /
// maximum, and the formats date-time and uri (a uri may be empty: GitHub answers `""` for an unset
// `target_url`); other formats are not checked.
//
// Beyond the description (it documents no such headers), every answer must carry the headers
// GitHub sends on each REST answer: x-github-request-id and the x-ratelimit-* family.
//
// GitHub's pagination links use the `/repositories/{repository_id}/...` form, which the
// description does not list: such a path is checked as the `/repos/{owner}/{repo}/...` operation.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { GitHubLoggedRequest } from './types.js'

/** A JSON schema (OpenAPI 3.0 flavour) as the description holds it. */
export type Schema = Record<string, unknown>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: Schema
}

interface MediaType {
  schema?: Schema
}

interface ResponseObject {
  content?: Record<string, MediaType>
  headers?: Record<string, { schema?: Schema; required?: boolean; $ref?: string }>
}

export interface Operation {
  operationId: string
  parameters?: (Parameter | { $ref: string })[]
  requestBody?: { required?: boolean; content?: Record<string, MediaType> }
  responses: Record<string, ResponseObject | { $ref: string }>
}

export interface OpenApiDescription {
  openapi: string
  info: { version: string }
  paths: Record<string, Record<string, unknown>>
  components: {
    schemas: Record<string, Schema>
    parameters: Record<string, Parameter>
    responses: Record<string, ResponseObject>
    headers: Record<string, { schema?: Schema }>
  }
}

let loaded: OpenApiDescription | undefined

/**
 * GitHub's description of api.github.com, read once per process. Only the one JSON file is read:
 * the package's index.js would load every variant it ships (hundreds of megabytes).
 */
export function githubOpenApi(): OpenApiDescription {
  if (loaded) return loaded
  const require = createRequire(import.meta.url)
  const dir = path.dirname(require.resolve('@octokit/openapi/package.json'))
  const file = path.join(dir, 'generated', 'api.github.com.json')
  loaded = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDescription
  return loaded
}

// ---- $ref -------------------------------------------------------------------------------------

/** `value` itself, or what its `$ref` (a chain of them) points at in `spec`. */
export function deref<T>(spec: OpenApiDescription, value: T | { $ref: string }): T {
  let current: unknown = value
  for (let hops = 0; hops < 20; hops++) {
    if (!isObject(current) || typeof current.$ref !== 'string') return current as T
    const ref = current.$ref
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`)
    let target: unknown = spec
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      target = isObject(target) ? target[key] : undefined
    }
    if (target === undefined) throw new Error(`dangling $ref ${ref}`)
    current = target
  }
  throw new Error('a $ref chain too long')
}

// ---- operations ---------------------------------------------------------------------------------

interface Template {
  method: string
  template: string
  segments: string[]
  literals: number
  operation: Operation
}

const templatesOf = new WeakMap<OpenApiDescription, Template[]>()

function templates(spec: OpenApiDescription): Template[] {
  const known = templatesOf.get(spec)
  if (known) return known
  const out: Template[] = []
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!isObject(operation) || typeof operation.operationId !== 'string') continue
      const segments = template.split('/').slice(1)
      out.push({
        method: method.toUpperCase(),
        template,
        segments,
        literals: segments.filter(s => !s.startsWith('{')).length,
        operation: operation as unknown as Operation
      })
    }
  }
  templatesOf.set(spec, out)
  return out
}

export interface OperationMatch {
  template: string
  operation: Operation
  /** Path parameters, decoded. */
  params: Record<string, string>
}

/**
 * The operation `method path` names: the template with the most literal segments that matches. A
 * `/repositories/{id}/...` path GitHub's links use is read as `/repos/{owner}/{repo}/...`.
 */
export function findOperation(
  spec: OpenApiDescription,
  method: string,
  requestPath: string
): OperationMatch | undefined {
  const direct = match(spec, method.toUpperCase(), requestPath)
  if (direct) return direct
  const byId = /^\/repositories\/(\d+)(\/.+)$/.exec(requestPath)
  if (!byId) return undefined
  const found = match(spec, method.toUpperCase(), `/repos/{owner}/{repo}${byId[2]}`)
  if (!found) return undefined
  const params = { ...found.params }
  delete params['owner']
  delete params['repo']
  return { ...found, params: { ...params, repository_id: byId[1] ?? '' } }
}

function match(
  spec: OpenApiDescription,
  method: string,
  requestPath: string
): OperationMatch | undefined {
  const parts = requestPath.split('/').slice(1)
  let best: { t: Template; params: Record<string, string> } | undefined
  for (const t of templates(spec)) {
    if (t.method !== method || t.segments.length !== parts.length) continue
    if (best && best.t.literals >= t.literals) continue
    const params: Record<string, string> = {}
    const fits = t.segments.every((segment, i) => {
      const part = parts[i] ?? ''
      const name = /^\{(.+)\}$/.exec(segment)?.[1]
      if (name === undefined) return segment === part
      if (part === '') return false
      params[name] = decodeURIComponent(part)
      return true
    })
    if (fits) best = { t, params }
  }
  return best && { template: best.t.template, operation: best.t.operation, params: best.params }
}

// ---- the schema checker ----------------------------------------------------------------------

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

/**
 * The ways `value` breaks `schema`, each `where: what` (where is a JSON pointer-ish path such as
 * `body[0].creator.avatar_url`); empty when it conforms.
 */
export function schemaProblems(
  spec: OpenApiDescription,
  schemaOrRef: Schema,
  value: unknown,
  where = 'body'
): string[] {
  const schema = deref<Schema>(spec, schemaOrRef)
  if (value === null && schema.nullable === true) return []
  const problems: string[] = []

  if (Array.isArray(schema.allOf))
    for (const part of schema.allOf as Schema[])
      problems.push(...schemaProblems(spec, part, value, where))
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key]
    if (!Array.isArray(branches)) continue
    const results = (branches as Schema[]).map(b => schemaProblems(spec, b, value, where))
    if (!results.some(r => r.length === 0)) {
      const fewest = results.reduce((a, b) => (b.length < a.length ? b : a))
      problems.push(
        `${where}: matches none of the ${key} branches (closest: ${fewest.slice(0, 3).join('; ')})`
      )
    }
  }

  const type = schema.type
  if (typeof type === 'string' && !hasType(value, type)) {
    problems.push(
      `${where}: expected ${type}${schema.nullable === true ? ' or null' : ''}, got ${typeOf(value)} ${show(value)}`
    )
    return problems
  }
  if (value === null && type !== undefined) {
    problems.push(`${where}: null where the schema is not nullable`)
    return problems
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${where}: ${show(value)} is not one of ${show(schema.enum)}`)

  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength)
      problems.push(`${where}: longer than ${schema.maxLength} characters`)
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength)
      problems.push(`${where}: shorter than ${schema.minLength} characters`)
    if (schema.format === 'date-time' && !DATE_TIME.test(value))
      problems.push(`${where}: ${show(value)} is not a date-time`)
    if (schema.format === 'uri' && value !== '' && !URL.canParse(value))
      problems.push(`${where}: ${show(value)} is not a uri`)
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      problems.push(`${where}: below the minimum ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      problems.push(`${where}: above the maximum ${schema.maximum}`)
  }

  if (Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items as Schema
    value.forEach((item, i) =>
      problems.push(...schemaProblems(spec, items, item, `${where}[${i}]`))
    )
  }

  if (isObject(value)) {
    const properties = isObject(schema.properties)
      ? (schema.properties as Record<string, Schema>)
      : {}
    for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : [])
      if (value[name] === undefined) problems.push(`${where}.${name}: required, missing`)
    for (const [name, field] of Object.entries(value)) {
      if (field === undefined) continue
      const own = properties[name]
      if (own) problems.push(...schemaProblems(spec, own, field, `${where}.${name}`))
      else if (schema.additionalProperties === false)
        problems.push(`${where}.${name}: not a property of the schema`)
      else if (isObject(schema.additionalProperties))
        problems.push(
          ...schemaProblems(spec, schema.additionalProperties as Schema, field, `${where}.${name}`)
        )
    }
  }
  return problems
}

/** A path, query or header parameter's text checked as its schema's type. */
function parameterProblems(
  spec: OpenApiDescription,
  schema: Schema | undefined,
  text: string,
  where: string
): string[] {
  if (!schema) return []
  const s = deref<Schema>(spec, schema)
  let value: unknown = text
  if (s.type === 'integer' || s.type === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return [`${where}: ${show(text)} is not ${s.type}`]
    value = Number(text)
  } else if (s.type === 'boolean') {
    if (text !== 'true' && text !== 'false') return [`${where}: ${show(text)} is not a boolean`]
    value = text === 'true'
  }
  return schemaProblems(spec, s, value, where)
}

// ---- exchanges ------------------------------------------------------------------------------------

/** What an exchange is checked from: the emulator's log entry of it. */
export type Exchange = Pick<
  GitHubLoggedRequest,
  'method' | 'path' | 'query' | 'body' | 'status' | 'answer'
>

export interface ExchangeCheck {
  /** e.g. `POST /repos/acme/app/deployments -> 201` */
  exchange: string
  /** `repos/create-deployment`, or undefined when the description has no such operation. */
  operationId: string | undefined
  request: string[]
  /** Undefined when no answer was sent (a dropped connection). */
  answer: string[] | undefined
}

/** The headers GitHub sends with every REST answer, and the form of their values. */
export const GITHUB_ANSWER_HEADERS: Readonly<Record<string, RegExp>> = {
  'x-github-request-id': /^[0-9A-F]+(:[0-9A-F]+){4}$/,
  'x-ratelimit-limit': /^\d+$/,
  'x-ratelimit-remaining': /^\d+$/,
  'x-ratelimit-reset': /^\d+$/,
  'x-ratelimit-used': /^\d+$/,
  'x-ratelimit-resource': /^[a-z_]+$/
}

/** A generic error body (GitHub's `basic-error`) for error statuses an operation does not list. */
const BASIC_ERROR: Schema = { $ref: '#/components/schemas/basic-error' }

export function checkExchange(
  exchange: Exchange,
  spec: OpenApiDescription = githubOpenApi()
): ExchangeCheck {
  const name = `${exchange.method} ${exchange.path} -> ${exchange.status || 'no answer'}`
  const found = findOperation(spec, exchange.method, exchange.path)
  if (!found) {
    const none = ['the description has no such operation']
    return {
      exchange: name,
      operationId: undefined,
      request: none,
      answer: exchange.answer ? none : undefined
    }
  }
  const { operation, params } = found
  return {
    exchange: name,
    operationId: operation.operationId,
    request: requestProblems(spec, operation, params, exchange),
    answer: exchange.answer ? answerProblems(spec, operation, exchange) : undefined
  }
}

function requestProblems(
  spec: OpenApiDescription,
  operation: Operation,
  params: Record<string, string>,
  exchange: Exchange
): string[] {
  const problems: string[] = []
  const declared = (operation.parameters ?? []).map(p => deref<Parameter>(spec, p))
  for (const p of declared) {
    if (p.in === 'path') {
      const text = params[p.name]
      // The /repositories/{id} form carries no owner or repo.
      if (text !== undefined)
        problems.push(...parameterProblems(spec, p.schema, text, `path ${p.name}`))
    } else if (p.in === 'query') {
      const text = exchange.query[p.name]
      if (text === undefined) {
        if (p.required === true) problems.push(`query ${p.name}: required, missing`)
      } else problems.push(...parameterProblems(spec, p.schema, text, `query ${p.name}`))
    }
  }
  for (const key of Object.keys(exchange.query))
    if (!declared.some(p => p.in === 'query' && p.name === key))
      problems.push(`query ${key}: not a parameter of the operation`)

  const media = operation.requestBody?.content?.['application/json']
  if (exchange.body === undefined) {
    if (operation.requestBody?.required === true) problems.push('body: required, missing')
  } else if (!media?.schema) {
    problems.push('body: the operation takes no JSON body')
  } else {
    problems.push(...schemaProblems(spec, media.schema, exchange.body, 'body'))
  }
  return problems
}

function answerProblems(
  spec: OpenApiDescription,
  operation: Operation,
  exchange: Exchange
): string[] {
  const answer = exchange.answer
  if (!answer) return []
  const problems: string[] = []
  const listed = operation.responses[String(exchange.status)] ?? operation.responses['default']
  let response: ResponseObject | undefined
  if (listed) response = deref<ResponseObject>(spec, listed)
  else if (exchange.status >= 400)
    response = { content: { 'application/json': { schema: BASIC_ERROR } } }
  else problems.push(`status ${exchange.status}: not a documented answer of the operation`)

  if (response) {
    const schema = response.content?.['application/json']?.schema
    if (schema) problems.push(...schemaProblems(spec, schema, answer.body, 'answer'))
    for (const [header, declaredHeader] of Object.entries(response.headers ?? {})) {
      const h = deref<{ schema?: Schema; required?: boolean }>(spec, declaredHeader)
      const text = answer.headers[header.toLowerCase()]
      if (text === undefined) {
        if (h.required === true) problems.push(`header ${header}: required, missing`)
      } else problems.push(...parameterProblems(spec, h.schema, text, `header ${header}`))
    }
  }
  for (const [header, form] of Object.entries(GITHUB_ANSWER_HEADERS)) {
    const text = answer.headers[header]
    if (text === undefined)
      problems.push(`header ${header}: missing (GitHub sends it on every answer)`)
    else if (!form.test(text)) problems.push(`header ${header}: ${show(text)} is not ${form}`)
  }
  return problems
}

// ---- the report the tests assert on --------------------------------------------------------

export interface ConformanceReport {
  requests: number
  conformingRequests: number
  answers: number
  conformingAnswers: number
  /** One line per problem: `#seq METHOD path -> status: request|answer where: what`. */
  problems: string[]
  /** The problems of the requests only. */
  requestProblems: string[]
  /** The problems of the answers only. */
  answerProblems: string[]
}

/** Every exchange of `log` checked: counts and problems. */
export function conformance(
  log: readonly (Exchange & { seq?: number })[],
  spec: OpenApiDescription = githubOpenApi()
): ConformanceReport {
  const report: ConformanceReport = {
    requests: 0,
    conformingRequests: 0,
    answers: 0,
    conformingAnswers: 0,
    problems: [],
    requestProblems: [],
    answerProblems: []
  }
  log.forEach((entry, i) => {
    const check = checkExchange(entry, spec)
    const label = `#${entry.seq ?? i + 1} ${check.exchange}`
    report.requests++
    if (check.request.length === 0) report.conformingRequests++
    for (const p of check.request) {
      report.requestProblems.push(`${label}: request ${p}`)
      report.problems.push(`${label}: request ${p}`)
    }
    if (check.answer === undefined) return
    report.answers++
    if (check.answer.length === 0) report.conformingAnswers++
    for (const p of check.answer) {
      report.answerProblems.push(`${label}: answer ${p}`)
      report.problems.push(`${label}: answer ${p}`)
    }
  })
  return report
}

export interface ConformanceOptions {
  /**
   * Check the requests too (default true); false checks only the answers, for tests that send
   * malformed requests on purpose.
   */
  requests?: boolean
}

/**
 * Throws (failing the test) unless every request the emulator received and every answer it sent
 * conforms to GitHub's OpenAPI description; returns the report (counts) otherwise. Takes the
 * emulator (`gh.requests` is its log) or a log.
 */
export function expectConformingExchanges(
  gh: { requests: readonly GitHubLoggedRequest[] } | readonly GitHubLoggedRequest[],
  options: ConformanceOptions = {}
): ConformanceReport {
  const log = Array.isArray(gh) ? gh : (gh as { requests: readonly GitHubLoggedRequest[] }).requests
  const full = conformance(log)
  const report = options.requests === false ? { ...full, problems: full.answerProblems } : full
  if (report.problems.length > 0) {
    const shown = report.problems.slice(0, 40)
    const more = report.problems.length - shown.length
    throw new Error(
      `GitHub emulator exchanges that do not conform to GitHub's OpenAPI description ` +
        `(${report.conformingRequests}/${report.requests} requests, ` +
        `${report.conformingAnswers}/${report.answers} answers conform):\n` +
        shown.join('\n') +
        (more > 0 ? `\n... and ${more} more` : '')
    )
  }
  return report
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
