// InputChecker: parses the inputs one kind at a time and collects every problem instead of
// stopping at one; its messages name the input and never show a secret (docs/contract.md).

import { redact } from '../secrets.js'
import type { InputName, RawInputs } from './inputs.js'
import {
  APP_ID_PATTERN,
  MAX_LINK_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SHOWN_LENGTH,
  MAX_TIMEOUT_SECONDS
} from './limits.js'
import {
  parseApiUrl,
  parseBoolean,
  parseDecimal,
  parseDuration,
  parseList,
  parseShare,
  parseWholeNumber,
  type Duration
} from './parse.js'
import type { SettingsProblem } from './types.js'

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

/** Parses inputs one kind at a time and collects every problem instead of stopping at one. */
export class InputChecker {
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
        // https only, as the README says: a dashboard link over http is refused.
        ok = url.protocol === 'https:'
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
