import type { DisableAutoUpdate } from './capgo/types.js'
import { DISABLE_AUTO_UPDATE_VALUES } from './capgo/types.js'
import { redact } from './capgo/errors.js'

export type CleanupOrder = 'created' | 'semver'

/** The channel fields a user asked for. A field that is undefined was not given: leave it alone. */
export interface ChannelFieldSettings {
  public?: boolean
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  allowDeviceSelfSet?: boolean
  allowEmulator?: boolean
  allowDev?: boolean
}

/**
 * The platforms a channel serves, as given. Capgo never reports them, so a given value is always
 * sent and never compared with the channel.
 */
export interface PlatformSettings {
  ios?: boolean
  android?: boolean
  electron?: boolean
}

/** The rollout inputs, when any was given (they need `channel`). */
export interface RolloutSettings {
  /** rollout_percentage: 0..100, two decimals at most. */
  percentage?: number
  /** rollout_steps: ascending shares, each above 0 and at most 100. */
  steps?: number[]
  promote: boolean
  abort: boolean
  /** rollout_pause: true pauses, false resumes, undefined leaves it. */
  pause?: boolean
}

/** The GitHub side (deployments, rollback history, pull request comment). */
export interface GitHubSettings {
  /** Empty when none was given (outside a workflow). */
  token: string
  deployment: boolean
  /** github_environment, or the default `capgo/<app_id>/<channel>` when a channel is given. */
  environment?: string
  prComment: boolean
}

export interface CleanupSettings {
  /** Keep the N newest unprotected candidates. */
  keep?: number
  /** Only bundles older than this many milliseconds are deleted. */
  olderThanMs?: number
  /** The input as written, e.g. "30d", for messages. */
  olderThanText?: string
  order: CleanupOrder
}

/** Every input of action.yml, read once and validated (see settings.ts). */
export interface Settings {
  apiKey: string
  appId: string
  /** Without a trailing slash. */
  apiUrl: string
  channel?: string
  version?: string
  promoteFrom?: string
  channelFields: ChannelFieldSettings
  platforms: PlatformSettings
  rollout?: RolloutSettings
  bundleLink?: string
  bundleComment?: string
  /** Lowercased (Capgo lowercases device ids), de-duplicated. */
  devices: string[]
  unlinkDevices: string[]
  deleteChannel?: string
  deleteVersions: string[]
  /** Set when `cleanup_keep` or `cleanup_older_than` is given. */
  cleanup?: CleanupSettings
  cleanupPattern: string[]
  cleanupProtect: string[]
  maxDelete: number
  /** True when `delete_all_bundles` was given and equals `app_id`. */
  deleteAllBundles: boolean
  /** Put back the channel's previous release, from the GitHub deployment history. */
  rollback: boolean
  /** Protect the bundles of the last N releases of each channel (GitHub deployment history). */
  cleanupKeepReleases?: number
  github: GitHubSettings
  dryRun: boolean
  concurrency: number
  retries: number
  /** Per-request timeout in milliseconds. */
  timeoutMs: number
}

/** Returns the input's value, or '' when it is not set (as `core.getInput` does). */
export type InputReader = (name: string) => string

/** Every input of action.yml, in the order of the contract (docs/contract.md). */
export const INPUT_NAMES = [
  'api_key',
  'app_id',
  'api_url',
  'channel',
  'version',
  'promote_from',
  'public',
  'disable_auto_update',
  'disable_auto_update_under_native',
  'ios',
  'android',
  'electron',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev',
  'devices',
  'unlink_devices',
  'delete_channel',
  'delete_versions',
  'cleanup_keep',
  'cleanup_older_than',
  'cleanup_pattern',
  'cleanup_protect',
  'cleanup_order',
  'cleanup_keep_releases',
  'max_delete',
  'delete_all_bundles',
  'rollout_percentage',
  'rollout_steps',
  'rollout_promote',
  'rollout_abort',
  'rollout_pause',
  'bundle_link',
  'bundle_comment',
  'github_token',
  'github_deployment',
  'github_environment',
  'rollback',
  'pr_comment',
  'dry_run',
  'concurrency',
  'retries',
  'timeout'
] as const

export type InputName = (typeof INPUT_NAMES)[number]

/**
 * The defaults of action.yml, applied when an input is empty. `github_token`'s default is an
 * expression (`${{ github.token }}`) that the runner fills in: an empty value stays empty.
 */
export const INPUT_DEFAULTS = {
  api_url: 'https://api.capgo.app',
  cleanup_order: 'created',
  max_delete: '100',
  github_deployment: 'false',
  pr_comment: 'false',
  dry_run: 'false',
  concurrency: '4',
  retries: '3',
  timeout: '30'
} as const satisfies Partial<Record<InputName, string>>

export const CLEANUP_ORDERS: readonly CleanupOrder[] = ['created', 'semver']

/** The boolean inputs that change a channel's settings, and the field each one sets. */
const BOOLEAN_CHANNEL_FIELDS = {
  public: 'public',
  disable_auto_update_under_native: 'disableAutoUpdateUnderNative',
  allow_device_self_set: 'allowDeviceSelfSet',
  allow_emulator: 'allowEmulator',
  allow_dev: 'allowDev'
} as const satisfies Partial<Record<InputName, keyof ChannelFieldSettings>>

/** The inputs that change a channel's settings (they need `channel`). */
const CHANNEL_FIELD_INPUTS = [
  'public',
  'disable_auto_update',
  'disable_auto_update_under_native',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev'
] as const satisfies readonly InputName[]

/** The platform inputs (they need `channel`; always sent when given). */
const PLATFORM_INPUTS = ['ios', 'android', 'electron'] as const satisfies readonly InputName[]

/** The rollout inputs (they need `channel`). */
const ROLLOUT_INPUTS = [
  'rollout_percentage',
  'rollout_steps',
  'rollout_promote',
  'rollout_abort',
  'rollout_pause'
] as const satisfies readonly InputName[]

/** At least one of these must be given, or the run would do nothing. */
const WORK_INPUTS: readonly InputName[] = [
  'channel',
  'delete_channel',
  'delete_versions',
  'unlink_devices',
  'cleanup_keep',
  'cleanup_older_than',
  'delete_all_bundles'
]

const MAX_NAME_LENGTH = 128
/** Capgo's dashboard shows these; longer ones are refused here rather than cut there. */
const MAX_LINK_LENGTH = 2048
const MAX_COMMENT_LENGTH = 1000
const MAX_CONCURRENCY = 16
const MAX_RETRIES = 10
const MAX_TIMEOUT_SECONDS = 600
/** Long values are cut in messages so that one bad paste does not flood the log. */
const MAX_SHOWN_LENGTH = 200
const APP_ID_PATTERN = /^[a-z0-9]+(\.[\w-]+)+$/i

export interface SettingsProblem {
  /** The first input the problem is about. */
  input: string
  /** One line that names the input(s), the value (never the key) and what is accepted. */
  message: string
}

/** Bad inputs. The message has one line per problem; `input` names the first offending input. */
export class SettingsError extends Error {
  readonly input: string
  readonly problems: readonly SettingsProblem[]

  constructor(problems: readonly SettingsProblem[]) {
    super(problems.map(problem => problem.message).join('\n'))
    this.name = 'SettingsError'
    this.input = problems[0]?.input ?? ''
    this.problems = problems
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** The YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts them; else undefined. */
export function parseBoolean(text: string): boolean | undefined {
  if (text === 'true' || text === 'True' || text === 'TRUE') return true
  if (text === 'false' || text === 'False' || text === 'FALSE') return false
  return undefined
}

/** Digits only (no sign, decimals, spaces or exponent); undefined otherwise or when unsafe. */
export function parseWholeNumber(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

/** A plain decimal such as `30`, `0.5` or `.5` (no sign or exponent); undefined otherwise. */
export function parseDecimal(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?|\.\d+)$/.test(text)) return undefined
  const value = Number(text)
  return Number.isFinite(value) ? value : undefined
}

export const DURATION_UNIT_MS = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
} as const

export interface Duration {
  ms: number
  /** The duration as written, e.g. "30d". */
  text: string
}

/** `<positive integer><unit>` with unit m, h, d or w (`90m`, `12h`, `30d`, `2w`); else undefined. */
export function parseDuration(text: string): Duration | undefined {
  const match = /^(\d+)([mhdw])$/.exec(text)
  if (match === null) return undefined
  const [, amountText = '', unit = ''] = match
  const amount = Number(amountText)
  const unitMs = DURATION_UNIT_MS[unit as keyof typeof DURATION_UNIT_MS]
  const ms = amount * unitMs
  if (amount <= 0 || !Number.isSafeInteger(ms)) return undefined
  return { ms, text }
}

/**
 * Comma or newline separated items (CRLF too), each trimmed; empty items dropped, duplicates
 * removed with the first occurrence's order kept. `lowercase` is for device ids, which Capgo
 * lowercases, so that `ABC` and `abc` count as one.
 */
export function parseList(text: string, options: { lowercase?: boolean } = {}): string[] {
  const items = text
    .split(/\r\n|[\r\n,]/)
    .map(item => item.trim())
    .filter(item => item !== '')
    .map(item => (options.lowercase === true ? item.toLowerCase() : item))
  return [...new Set(items)]
}

/** 0 to 100 with at most two decimals; undefined otherwise. */
export function parseShare(text: string): number | undefined {
  if (!/^(?:\d{1,3}(?:\.\d{1,2})?)$/.test(text)) return undefined
  const value = Number(text)
  return value >= 0 && value <= 100 ? value : undefined
}

/** The runner's variable name for an input, as it fills `INPUT_<NAME>` from a step's `with:`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      }
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/** The declared input nearest to an unknown name (separators and case ignored first). */
export function nearestInput(unknown: string): string {
  const plain = (text: string): string => text.toLowerCase().replace(/[-_\s]/g, '')
  const wanted = unknown.toLowerCase().replace(/[-\s]/g, '_')
  let best: string = INPUT_NAMES[0]
  let bestScore = Infinity
  for (const name of INPUT_NAMES) {
    const score =
      plain(name) === plain(unknown) ? 0 : 1 + editDistance(wanted, name) / (name.length + 1)
    if (score < bestScore) {
      best = name
      bestScore = score
    }
  }
  return best
}

/**
 * The `with:` keys that are not inputs of action.yml, from the runner's `INPUT_*` variables. A
 * typo such as `dryrun: true` would otherwise be ignored and turn a dry run into a real one.
 */
export function unknownInputs(variableNames: readonly string[]): string[] {
  const declared = new Set(INPUT_NAMES.map(inputVariable))
  return variableNames
    .filter(name => name.startsWith('INPUT_') && !declared.has(name))
    .map(name => name.slice('INPUT_'.length).toLowerCase())
    .sort()
}

/** `localhost`, `127.0.0.0/8` or `[::1]` (a URL's `hostname`, brackets optional for IPv6). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return octets !== null && octets.slice(1).every(octet => Number(octet) <= 255)
}

export type ApiUrlResult = { ok: true; url: string } | { ok: false; reason: string }

/**
 * An absolute https URL (http only for a loopback host), without credentials, query or fragment.
 * A path prefix is kept for self-hosted Capgo; trailing slashes are removed.
 */
export function parseApiUrl(text: string): ApiUrlResult {
  // The URL parser silently drops tabs and newlines, which would hide a broken paste.
  if (/\s/.test(text)) return { ok: false, reason: 'it contains spaces or line breaks' }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, reason: 'it is not an absolute URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `the scheme ${url.protocol} is not https` }
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return { ok: false, reason: 'http is only allowed for a loopback host; use https' }
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'it contains credentials' }
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
    return { ok: false, reason: 'it has a query or a fragment' }
  }
  return { ok: true, url: `${url.origin}${url.pathname}`.replace(/\/+$/, '') }
}

/**
 * What must never appear in a message: the key as given and, when it holds whitespace (a bad
 * paste such as `Bearer <key>` or two keys), each long enough part of it.
 */
function secretsOf(apiKey: string): string[] {
  const parts = apiKey.split(/\s+/).filter(part => part.length >= 6 && !/^bearer$/i.test(part))
  const secrets = [apiKey, ...parts].filter(secret => secret !== '')
  // Longest first, so that a part never leaves a piece of the whole key behind.
  return [...new Set(secrets)].sort((a, b) => b.length - a.length)
}

/** Credentials in a URL are secrets too: mask them before the URL is shown. */
function maskUrlCredentials(text: string): string {
  // Greedy up to the authority's last '@': a password may hold one too.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/*)[^/?#]*@/i, '$1***@')
}

function list(names: readonly string[]): string {
  return names.map(name => `"${name}"`).join(', ')
}

// ---------------------------------------------------------------------------------------------
// Reading and checking

type RawInputs = Record<InputName, string>

function readRawInputs(getInput: InputReader): RawInputs {
  const raw = {} as RawInputs
  for (const name of INPUT_NAMES) {
    const value = getInput(name).trim()
    const fallback: string | undefined = (INPUT_DEFAULTS as Partial<Record<InputName, string>>)[
      name
    ]
    raw[name] = value === '' ? (fallback ?? '') : value
  }
  return raw
}

/** Parses inputs one kind at a time and collects every problem instead of stopping at one. */
class InputChecker {
  readonly problems: SettingsProblem[] = []
  private readonly secrets: string[]

  constructor(readonly raw: RawInputs) {
    this.secrets = [...secretsOf(raw.api_key), ...secretsOf(raw.github_token)]
  }

  given(name: InputName): boolean {
    return this.raw[name] !== ''
  }

  report(input: string, message: string): void {
    this.problems.push({ input, message: redact(message, this.secrets, Infinity) })
  }

  /** A value for a message: secrets masked first, then cut, then quoted and escaped. */
  show(value: string): string {
    const masked = redact(value, this.secrets, Infinity)
    const shown =
      masked.length > MAX_SHOWN_LENGTH ? `${masked.slice(0, MAX_SHOWN_LENGTH)}…` : masked
    return JSON.stringify(shown)
  }

  apiKey(): string {
    const key = this.raw.api_key
    if (key === '') {
      this.report('api_key', 'Input "api_key" is required: a Capgo API key.')
    } else if (/^bearer\s/i.test(key)) {
      this.report(
        'api_key',
        'Input "api_key" must be the raw API key, without a "Bearer " prefix: Capgo treats ' +
          '"Bearer <key>" as a failed login. (The value is not shown.)'
      )
    } else if (/\s/.test(key)) {
      this.report(
        'api_key',
        'Input "api_key" must be one API key, without spaces or line breaks inside; check that ' +
          'only the key was pasted. (The value is not shown.)'
      )
    }
    return key
  }

  appId(): string {
    const appId = this.raw.app_id
    if (appId === '') {
      this.report(
        'app_id',
        'Input "app_id" is required: a reverse-domain id such as com.example.app.'
      )
    } else if (!APP_ID_PATTERN.test(appId)) {
      this.report(
        'app_id',
        `Input "app_id" must be a reverse-domain id such as com.example.app; got ${this.show(appId)}.`
      )
    }
    return appId
  }

  apiUrl(): string {
    const text = this.raw.api_url
    const result = parseApiUrl(text)
    if (result.ok) return result.url
    this.report(
      'api_url',
      `Input "api_url" must be an absolute https URL (http only for localhost, 127.0.0.0/8 or ` +
        `[::1]) without credentials, query or fragment; got ${this.show(maskUrlCredentials(text))}: ` +
        `${result.reason}.`
    )
    return text
  }

  /** A single channel name or bundle version. */
  name(input: InputName, what: string): string | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    if (/[\s,]/.test(value)) {
      this.report(
        input,
        `Input "${input}" must be ${what}, without commas, spaces or line breaks; ` +
          `got ${this.show(value)}.`
      )
    } else if (value.length > MAX_NAME_LENGTH) {
      this.report(
        input,
        `Input "${input}" must be ${what} of at most ${MAX_NAME_LENGTH} characters; ` +
          `got ${value.length} characters: ${this.show(value)}.`
      )
    }
    return value
  }

  boolean(input: InputName): boolean | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    const parsed = parseBoolean(value)
    if (parsed === undefined) {
      this.report(
        input,
        `Input "${input}" must be true or false (also True, TRUE, False, FALSE); ` +
          `got ${this.show(value)}.`
      )
    }
    return parsed
  }

  oneOf<T extends string>(input: InputName, accepted: readonly T[]): T | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    if ((accepted as readonly string[]).includes(value)) return value as T
    this.report(
      input,
      `Input "${input}" must be one of ${accepted.join(', ')}; got ${this.show(value)}.`
    )
    return undefined
  }

  wholeNumber(input: InputName, min: number, max?: number): number | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    const parsed = parseWholeNumber(value)
    if (parsed !== undefined && parsed >= min && (max === undefined || parsed <= max)) {
      return parsed
    }
    const range = max === undefined ? `, ${min} or more` : ` from ${min} to ${max}`
    this.report(input, `Input "${input}" must be a whole number${range}; got ${this.show(value)}.`)
    return undefined
  }

  timeoutMs(): number | undefined {
    const value = this.raw.timeout
    const seconds = parseDecimal(value)
    const ms = seconds === undefined ? 0 : Math.round(seconds * 1000)
    if (seconds !== undefined && ms >= 1 && seconds <= MAX_TIMEOUT_SECONDS) return ms
    this.report(
      'timeout',
      `Input "timeout" must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS} ` +
        `(decimals allowed, e.g. 0.5); got ${this.show(value)}.`
    )
    return undefined
  }

  duration(input: InputName): Duration | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    const parsed = parseDuration(value)
    if (parsed === undefined) {
      this.report(
        input,
        `Input "${input}" must be a positive whole number followed by m (minutes), h (hours), ` +
          `d (days) or w (weeks), such as 90m, 12h, 30d or 2w; got ${this.show(value)}.`
      )
    }
    return parsed
  }

  /** A share of devices: 0 to 100 with at most two decimals (Capgo keeps basis points). */
  share(input: InputName): number | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    const parsed = parseShare(value)
    if (parsed === undefined) {
      this.report(
        input,
        `Input "${input}" must be a share of devices from 0 to 100 with at most two decimals ` +
          `(e.g. 5, 12.5, 100); got ${this.show(value)}.`
      )
    }
    return parsed
  }

  /** Ascending shares, each above 0 and at most 100 (`5,25,50,100`). */
  steps(input: InputName): number[] | undefined {
    // Not parseList: it drops duplicates, and `5,5,50` must be refused, not read as `5,50`.
    const items = this.raw[input]
      .split(/\r\n|[\r\n,]/)
      .map(item => item.trim())
      .filter(item => item !== '')
    if (items.length === 0) return undefined
    const shares = items.map(parseShare)
    const bad = items.filter((_, i) => shares[i] === undefined || shares[i] === 0)
    if (bad.length > 0) {
      this.report(
        input,
        `Input "${input}" must list shares of devices above 0 and at most 100 (two decimals at ` +
          `most), comma separated, e.g. 5,25,50,100; got ${bad.map(b => this.show(b)).join(', ')}.`
      )
      return undefined
    }
    const values = shares as number[]
    if (values.some((v, i) => i > 0 && v <= values[i - 1]!)) {
      this.report(
        input,
        `Input "${input}" must list its shares in ascending order, each once, e.g. 5,25,50,100; ` +
          `got ${this.show(this.raw[input])}.`
      )
      return undefined
    }
    return values
  }

  /** A link for Capgo's dashboard: an absolute https (or http) URL. */
  link(input: InputName): string | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    let ok = !/\s/.test(value) && value.length <= MAX_LINK_LENGTH
    if (ok) {
      try {
        const url = new URL(value)
        ok = url.protocol === 'https:' || url.protocol === 'http:'
      } catch {
        ok = false
      }
    }
    if (!ok) {
      this.report(
        input,
        `Input "${input}" must be an absolute https URL of at most ${MAX_LINK_LENGTH} ` +
          `characters, without spaces; got ${this.show(value)}.`
      )
    }
    return value
  }

  /** Free text of at most `max` characters. */
  text(input: InputName, max: number): string | undefined {
    const value = this.raw[input]
    if (value === '') return undefined
    if (value.length > max) {
      this.report(
        input,
        `Input "${input}" must be at most ${max} characters; got ${value.length} characters.`
      )
    }
    return value
  }

  /** A list whose items must hold no whitespace (device ids, versions, globs). */
  list(input: InputName, what: string, options: { lowercase?: boolean } = {}): string[] {
    const items = parseList(this.raw[input], options)
    const spaced = items.filter(item => /\s/.test(item))
    if (spaced.length > 0) {
      this.report(
        input,
        `Input "${input}" must list ${what} separated by commas or line breaks, each without ` +
          `spaces inside; got ${spaced.map(item => this.show(item)).join(', ')}.`
      )
    }
    return items
  }
}

/** The parsed lists, by input name: a list of only commas or blank lines counts as not given. */
type ParsedLists = Record<
  'devices' | 'unlink_devices' | 'delete_versions' | 'cleanup_pattern',
  readonly string[]
>

function deletesBundles(checker: InputChecker, lists: ParsedLists): boolean {
  return (
    lists.delete_versions.length > 0 ||
    checker.given('cleanup_keep') ||
    checker.given('cleanup_older_than') ||
    checker.given('delete_all_bundles')
  )
}

/** The rollout inputs against each other, `version`/`promote_from` and `rollback`. */
function checkRolloutContradictions(checker: InputChecker): void {
  const { raw } = checker
  const given = (name: InputName): boolean => checker.given(name)
  const isTrue = (name: InputName): boolean => parseBoolean(raw[name]) === true
  const rollout = ROLLOUT_INPUTS.filter(name =>
    name === 'rollout_promote' || name === 'rollout_abort' ? isTrue(name) : given(name)
  )
  const [firstRollout] = rollout
  if (firstRollout !== undefined && !given('channel')) {
    checker.report(
      firstRollout,
      `${rollout.length === 1 ? 'Input' : 'Inputs'} ${list(rollout)} change the rollout on a ` +
        'channel and need "channel".'
    )
  }
  if (given('rollout_percentage') && given('rollout_steps')) {
    checker.report(
      'rollout_percentage',
      'Inputs "rollout_percentage" and "rollout_steps" cannot be used together: give one share, ' +
        'or the steps to advance through.'
    )
  }
  for (const ender of ['rollout_promote', 'rollout_abort'] as const) {
    if (!isTrue(ender)) continue
    const others: InputName[] = (
      ['version', 'promote_from', 'rollout_percentage', 'rollout_steps', 'rollout_pause'] as const
    ).filter(name => given(name))
    if (ender === 'rollout_abort' && isTrue('rollout_promote')) others.unshift('rollout_promote')
    if (others.length > 0) {
      checker.report(
        ender,
        `Input "${ender}" ends the running rollout and cannot be used with ${list(others)}.`
      )
    }
  }
  if (given('rollout_pause') && given('rollout_steps')) {
    checker.report(
      'rollout_pause',
      'Inputs "rollout_pause" and "rollout_steps" cannot be used together: a run either pauses ' +
        '(or resumes) the rollout or advances it.'
    )
  }
  if (isTrue('rollback')) {
    const others = (['version', 'promote_from', ...ROLLOUT_INPUTS] as const).filter(name =>
      name === 'rollout_promote' || name === 'rollout_abort' ? isTrue(name) : given(name)
    )
    if (others.length > 0) {
      checker.report(
        'rollback',
        `Input "rollback" puts back the channel's previous release and cannot be used with ` +
          `${list(others)}.`
      )
    }
    if (!given('channel')) {
      checker.report('rollback', 'Input "rollback" needs "channel": the channel to roll back.')
    }
  }
}

/** Inputs that are each fine alone but contradict each other, or a run with nothing to do. */
function checkContradictions(checker: InputChecker, lists: ParsedLists): void {
  const { raw } = checker
  const given = (name: InputName): boolean => checker.given(name)
  const isTrue = (name: InputName): boolean => parseBoolean(raw[name]) === true
  const hasChannel = given('channel')

  if (given('version') && given('promote_from')) {
    checker.report(
      'version',
      'Inputs "version" and "promote_from" cannot be used together: give either the bundle ' +
        'version to put on "channel" or the channel to promote from.'
    )
  }
  if (given('version') && !hasChannel) {
    checker.report(
      'version',
      `Input "version" (${checker.show(raw.version)}) needs "channel": the channel to put the ` +
        'bundle on.'
    )
  }
  if (given('promote_from') && !hasChannel) {
    checker.report(
      'promote_from',
      `Input "promote_from" (${checker.show(raw.promote_from)}) needs "channel": the channel ` +
        'that receives the promoted bundle.'
    )
  }
  if (hasChannel && raw.promote_from === raw.channel) {
    checker.report(
      'promote_from',
      `Input "promote_from" must name another channel than "channel"; both are ` +
        `${checker.show(raw.channel)}.`
    )
  }
  if (lists.devices.length > 0 && !hasChannel) {
    checker.report(
      'devices',
      'Input "devices" needs "channel": the channel the devices are linked to.'
    )
  }
  const channelFields = CHANNEL_FIELD_INPUTS.filter(name => given(name))
  const [firstChannelField] = channelFields
  if (firstChannelField !== undefined && !hasChannel) {
    const inputs = channelFields.length === 1 ? 'Input' : 'Inputs'
    checker.report(
      firstChannelField,
      `${inputs} ${list(channelFields)} set a channel's settings and need "channel": ` +
        'the channel to change.'
    )
  }
  const platforms = PLATFORM_INPUTS.filter(name => given(name))
  const [firstPlatform] = platforms
  if (firstPlatform !== undefined && !hasChannel) {
    checker.report(
      firstPlatform,
      `${platforms.length === 1 ? 'Input' : 'Inputs'} ${list(platforms)} set the platforms a ` +
        'channel serves and need "channel": the channel to change.'
    )
  }
  // Only values the user gave: Capgo never says which platforms a channel serves.
  if (
    platforms.length === PLATFORM_INPUTS.length &&
    platforms.every(name => parseBoolean(raw[name]) === false)
  ) {
    checker.report(
      'ios',
      'Inputs "ios", "android" and "electron" are all false: the channel would serve no platform.'
    )
  } else if (
    !given('electron') &&
    parseBoolean(raw.ios) === false &&
    parseBoolean(raw.android) === false
  ) {
    checker.report(
      'ios',
      'Inputs "ios" and "android" are both false: the channel would serve neither iOS nor ' +
        'Android. Set "electron: true" if it serves only Electron.'
    )
  }
  checkRolloutContradictions(checker)
  if (hasChannel && raw.delete_channel === raw.channel) {
    checker.report(
      'delete_channel',
      `Input "delete_channel" must name another channel than "channel"; both are ` +
        `${checker.show(raw.channel)}: one run cannot update and delete the same channel.`
    )
  }
  const unlinked = new Set(lists.unlink_devices)
  const both = lists.devices.filter(device => unlinked.has(device))
  if (both.length > 0) {
    checker.report(
      'devices',
      `Inputs "devices" and "unlink_devices" both list ${both.map(d => checker.show(d)).join(', ')}: ` +
        'a device can be linked or unlinked, not both.'
    )
  }
  if (given('delete_all_bundles') && raw.delete_all_bundles !== raw.app_id) {
    checker.report(
      'delete_all_bundles',
      `Input "delete_all_bundles" must be exactly the app_id (${checker.show(raw.app_id)}), as a ` +
        `confirmation that every bundle may be deleted; got ${checker.show(raw.delete_all_bundles)}.`
    )
  }
  if (given('cleanup_keep_releases') && !deletesBundles(checker, lists)) {
    checker.report(
      'cleanup_keep_releases',
      'Input "cleanup_keep_releases" only protects bundles from deletion: it needs ' +
        '"cleanup_keep", "cleanup_older_than", "delete_versions" or "delete_all_bundles".'
    )
  }
  if ((given('cleanup_keep_releases') || isTrue('rollback')) && raw.github_token === '') {
    const input = isTrue('rollback') ? 'rollback' : 'cleanup_keep_releases'
    checker.report(
      input,
      `Input "${input}" reads the release history from GitHub deployments and needs ` +
        '"github_token" (its default, ${{ github.token }}, is empty outside a workflow).'
    )
  }
  if (isTrue('github_deployment') && raw.github_token === '') {
    checker.report(
      'github_deployment',
      'Input "github_deployment" needs "github_token" to record deployments.'
    )
  }
  if (isTrue('pr_comment') && raw.github_token === '') {
    checker.report('pr_comment', 'Input "pr_comment" needs "github_token" to write the comment.')
  }
  if (isTrue('pr_comment') && !hasChannel && !given('delete_channel')) {
    checker.report(
      'pr_comment',
      'Input "pr_comment" needs "channel" (the preview channel) or "delete_channel" (its teardown).'
    )
  }
  if (given('github_environment') && !hasChannel && !given('delete_channel')) {
    checker.report(
      'github_environment',
      'Input "github_environment" needs "channel" or "delete_channel": the channel whose ' +
        'releases it holds.'
    )
  }
  for (const name of ['bundle_link', 'bundle_comment'] as const) {
    if (given(name) && !hasChannel) {
      checker.report(
        name,
        `Input "${name}" is set on the bundle this run puts on "channel" or rolls out: it needs ` +
          '"channel".'
      )
    }
  }
  if (lists.cleanup_pattern.length > 0 && !given('cleanup_keep') && !given('cleanup_older_than')) {
    checker.report(
      'cleanup_pattern',
      'Input "cleanup_pattern" needs "cleanup_keep" or "cleanup_older_than": a pattern only ' +
        'narrows a cleanup.'
    )
  }
  const hasWork = WORK_INPUTS.some(name =>
    name === 'delete_versions' || name === 'unlink_devices' ? lists[name].length > 0 : given(name)
  )
  if (!hasWork) {
    checker.report('channel', `Nothing to do: set at least one of the inputs ${list(WORK_INPUTS)}.`)
  }
}

/**
 * Reads every input once, applies the defaults, and validates all of them. Throws one
 * SettingsError listing every problem found (never showing the API key).
 */
export function readSettings(
  getInput: InputReader,
  options: { variableNames?: readonly string[] } = {}
): Settings {
  const checker = new InputChecker(readRawInputs(getInput))

  for (const unknown of unknownInputs(options.variableNames ?? [])) {
    checker.report(
      'with',
      `Input "${unknown}" is not an input of this action (did you mean "${nearestInput(unknown)}"?). ` +
        'Nothing was done: a misspelt input would be ignored, and a dry run could become a real one.'
    )
  }

  const apiKey = checker.apiKey()
  const appId = checker.appId()
  const apiUrl = checker.apiUrl()
  const channel = checker.name('channel', 'one channel name')
  const version = checker.name('version', 'one bundle version')
  const promoteFrom = checker.name('promote_from', 'one channel name')
  const channelFields = readChannelFields(checker)
  const platforms: PlatformSettings = {}
  for (const name of PLATFORM_INPUTS) {
    const value = checker.boolean(name)
    if (value !== undefined) platforms[name] = value
  }
  const rolloutPercentage = checker.share('rollout_percentage')
  const rolloutSteps = checker.steps('rollout_steps')
  const rolloutPromote = checker.boolean('rollout_promote') ?? false
  const rolloutAbort = checker.boolean('rollout_abort') ?? false
  const rolloutPause = checker.boolean('rollout_pause')
  const bundleLink = checker.link('bundle_link')
  const bundleComment = checker.text('bundle_comment', MAX_COMMENT_LENGTH)
  const githubDeployment = checker.boolean('github_deployment') ?? false
  const githubEnvironment = checker.text('github_environment', 255)
  const rollback = checker.boolean('rollback') ?? false
  const cleanupKeepReleases = checker.wholeNumber('cleanup_keep_releases', 1, 100)
  const prComment = checker.boolean('pr_comment') ?? false
  const devices = checker.list('devices', 'device ids', { lowercase: true })
  const unlinkDevices = checker.list('unlink_devices', 'device ids', { lowercase: true })
  const deleteChannel = checker.name('delete_channel', 'one channel name')
  const deleteVersions = checker.list('delete_versions', 'bundle versions')
  const cleanupKeep = checker.wholeNumber('cleanup_keep', 0)
  const olderThan = checker.duration('cleanup_older_than')
  const cleanupPattern = checker.list('cleanup_pattern', 'version globs')
  const cleanupProtect = checker.list('cleanup_protect', 'version globs')
  const cleanupOrder = checker.oneOf('cleanup_order', CLEANUP_ORDERS) ?? 'created'
  const maxDelete = checker.wholeNumber('max_delete', 0) ?? 0
  const dryRun = checker.boolean('dry_run') ?? false
  const concurrency = checker.wholeNumber('concurrency', 1, MAX_CONCURRENCY) ?? 1
  const retries = checker.wholeNumber('retries', 0, MAX_RETRIES) ?? 0
  const timeoutMs = checker.timeoutMs() ?? 0

  checkContradictions(checker, {
    devices,
    unlink_devices: unlinkDevices,
    delete_versions: deleteVersions,
    cleanup_pattern: cleanupPattern
  })
  if (checker.problems.length > 0) throw new SettingsError(checker.problems)

  const settings: Settings = {
    apiKey,
    appId,
    apiUrl,
    channelFields,
    devices,
    unlinkDevices,
    deleteVersions,
    cleanupPattern,
    cleanupProtect,
    maxDelete,
    deleteAllBundles: checker.given('delete_all_bundles'),
    platforms,
    rollback,
    github: {
      token: checker.raw.github_token,
      deployment: githubDeployment,
      prComment
    },
    dryRun,
    concurrency,
    retries,
    timeoutMs
  }
  if (channel !== undefined) settings.channel = channel
  const environment =
    githubEnvironment ?? (channel !== undefined ? `capgo/${appId}/${channel}` : undefined)
  if (environment !== undefined) settings.github.environment = environment
  if (
    rolloutPercentage !== undefined ||
    rolloutSteps !== undefined ||
    rolloutPromote ||
    rolloutAbort ||
    rolloutPause !== undefined
  ) {
    settings.rollout = { promote: rolloutPromote, abort: rolloutAbort }
    if (rolloutPercentage !== undefined) settings.rollout.percentage = rolloutPercentage
    if (rolloutSteps !== undefined) settings.rollout.steps = rolloutSteps
    if (rolloutPause !== undefined) settings.rollout.pause = rolloutPause
  }
  if (bundleLink !== undefined) settings.bundleLink = bundleLink
  if (bundleComment !== undefined) settings.bundleComment = bundleComment
  if (cleanupKeepReleases !== undefined) settings.cleanupKeepReleases = cleanupKeepReleases
  if (version !== undefined) settings.version = version
  if (promoteFrom !== undefined) settings.promoteFrom = promoteFrom
  if (deleteChannel !== undefined) settings.deleteChannel = deleteChannel
  if (cleanupKeep !== undefined || olderThan !== undefined) {
    settings.cleanup = { order: cleanupOrder }
    if (cleanupKeep !== undefined) settings.cleanup.keep = cleanupKeep
    if (olderThan !== undefined) {
      settings.cleanup.olderThanMs = olderThan.ms
      settings.cleanup.olderThanText = olderThan.text
    }
  }
  return settings
}

/** Only the fields that were given, so that a missing one is left as it is on the channel. */
function readChannelFields(checker: InputChecker): ChannelFieldSettings {
  const fields: ChannelFieldSettings = {}
  for (const input of CHANNEL_FIELD_INPUTS) {
    if (input === 'disable_auto_update') {
      const value = checker.oneOf(input, DISABLE_AUTO_UPDATE_VALUES)
      if (value !== undefined) fields.disableAutoUpdate = value
    } else {
      const value = checker.boolean(input)
      if (value !== undefined) fields[BOOLEAN_CHANNEL_FIELDS[input]] = value
    }
  }
  return fields
}
