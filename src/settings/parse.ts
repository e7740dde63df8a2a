// The pure parsers of input values: booleans, whole numbers, decimals, shares, durations, lists
// and the API URL. Each returns undefined (or a reason) for a bad value; messages are the
// checker's.

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
