// Native compatibility of a candidate bundle with a channel's current bundle, by Capgo CLI's rule.
// Pure.
//
// What the CLI does (read in Cap-go/capgo: cli/src/utils.ts `getCompatibilityDetails`,
// `isCompatible`, `convertNativePackages`, `checkCompatibilityNativePackages`; cli/src/schemas/
// common.ts `nativePackageSchema`; the callers cli/src/channel/set.ts and cli/src/bundle/upload.ts;
// Cap-go/CLI src/utils.ts is the same rule before `requested_version`). An entry of a bundle's
// `native_packages` is `{ name, version, requested_version?, ios_checksum?, android_checksum? }`,
// name and version non-empty strings, the rest strings. Per plugin name, candidate ("local")
// against current ("remote"):
// - only in the current bundle: compatible (removing native code is safe over the air);
// - only in the candidate: incompatible (`new_plugin`);
// - in both: incompatible when the two `version`s do not intersect as @std/semver ranges
//   (1.0.8, pinned in cli/package.json: `rangeIntersects(parseRange(local), parseRange(remote))`;
//   a parse error counts as not intersecting), or when `ios_checksum` (or `android_checksum`) is
//   non-empty on both sides and differs. Both `requested_version`s non-empty and different once
//   trimmed is reported (`requested_version_changed`) but never makes a plugin incompatible.
// upload.ts only checks when the channel's bundle has a `native_packages` record; set.ts reads a
// missing record as `[]`. Here a missing record on either side gives `unknown` (warn, never block).
//
// Deviations: a malformed entry (on either side) or one name listed twice with different data
// gives `unknown` (the CLI throws on a malformed current entry and does not check candidate ones);
// a null optional field counts as absent; `=1.2.3` means `1.2.3` (the library's `rangeIntersects`
// intersects an `=` comparator with nothing but a bare version, not even with itself); a version
// over 256 characters, or `<=` with a wildcard major (NaN in the library), does not parse; version
// numbers are compared exactly as digit strings (the library uses JS numbers).

import { compareSemver, type SemVer } from '../match.js'

export type CompatibilityVerdict = 'compatible' | 'incompatible' | 'unknown'

export type PluginChangeKind =
  | 'added'
  | 'removed'
  | 'version'
  | 'ios_native'
  | 'android_native'
  | 'requested_version'
  | 'unchanged'

export interface PluginChange {
  name: string
  /** The first of `kinds`. */
  kind: PluginChangeKind
  /**
   * Every kind that applies, in the order of PluginChangeKind; `['unchanged']` when none does.
   * `version` means the versions do not intersect (differently written versions that intersect,
   * like `^5.0.0` and `5.0.1`, are no change); `requested_version` never blocks.
   */
  kinds: PluginChangeKind[]
  /** The plugin's version in the channel's current bundle; absent when the candidate adds it. */
  from?: string
  /** The plugin's version in the candidate; absent when the candidate removes it. */
  to?: string
  /** True when this plugin makes the candidate incompatible. */
  blocking: boolean
}

export interface CompatibilityReport {
  verdict: CompatibilityVerdict
  /** Every plugin of either bundle, sorted by name; empty when the verdict is `unknown`. */
  plugins: PluginChange[]
  /** Why the verdict is `unknown`. */
  reason?: string
}

// ---- @std/semver 1.0.8 ranges, as `parseRange` and `rangeIntersects` read them ----------------

type Op = '<' | '<=' | '>' | '>=' | '='
/** `*` matches any release (and no pre-release). A range is an OR of ANDs of comparators. */
type Comparator = '*' | { op: Op; v: SemVer }
type Range = Comparator[][]

const NUM = '0|[1-9]\\d*'
const XID = `${NUM}|[xX*]`
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`
const XRANGE =
  `[v=\\s]*(${XID})(?:\\.(${XID})(?:\\.(${XID})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?` +
  `(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?`
const TOKEN = new RegExp(`^(~>?|\\^|[<>]?=?)\\s*${XRANGE}$`)
const HYPHEN_LEFT = new RegExp(`^${XRANGE}`)
const HYPHEN_RIGHT = new RegExp(`^${XRANGE}\\s*$`)
const MAX_RANGE_LENGTH = 256

/**
 * An x-range: `level` parts are given before the first wildcard (0 to 3); `base` is the version
 * with the missing parts as 0 (its pre-release only at level 3); `ceiling` the next major (level
 * 1) or minor (2, 3).
 */
type XRange = { level: number; base: SemVer; ceiling: SemVer }

const inc = (n: string): string => (BigInt(n) + 1n).toString()
function v(major: string, minor = '0', patch = '0', prerelease: string[] = []): SemVer {
  return { major, minor, patch, prerelease }
}
const c = (op: Op, at: SemVer): Comparator => ({ op, v: at })

function xRange(g: readonly (string | undefined)[]): XRange {
  const parts = g.slice(0, 3).map(id => (id === undefined || /^[xX*]$/.test(id) ? '' : id))
  const wild = parts.indexOf('')
  const level = wild === -1 ? 3 : wild
  const [M = '0', m = '0', p = '0'] = parts.map((id, i) => (i < level ? id : '0'))
  const base = v(M, m, p, level === 3 && g[3] ? g[3].split('.') : [])
  return { level, base, ceiling: level === 1 ? v(inc(M)) : v(M, inc(m)) }
}

/** One operator and x-range, desugared as the library does; null when it cannot be read. */
function desugar(op: string, { level, base, ceiling }: XRange): Comparator[] | null {
  switch (op) {
    case '^':
    case '~':
    case '~>': {
      if (level === 0) return ['*']
      const { major: M, minor: m, patch: p } = base
      let upper = ceiling // ~ always, ^ with only a major, ^0.m and ^0.m.p (m > 0)
      if (op === '^' && M !== '0') upper = v(inc(M))
      else if (op === '^' && level === 3 && m === '0') upper = v(M, m, inc(p))
      return [c('>=', base), c('<', upper)]
    }
    case '<':
      return [c('<', base)]
    case '<=':
      if (level === 0) return null
      return [level === 3 ? c('<=', base) : c('<', ceiling)]
    case '>':
      if (level === 0) return [c('<', base)]
      return [level === 3 ? c('>', base) : c('>=', ceiling)]
    case '>=':
      return level === 0 ? ['*'] : [c('>=', base)]
    default: // '' or '='
      if (level === 0) return ['*']
      return level === 3 ? [c('=', base)] : [c('>=', base), c('<', ceiling)]
  }
}

/** `A - B`: undefined when the text is not one, null when its right side cannot be read. */
function hyphenRange(text: string): Comparator[] | null | undefined {
  const left = HYPHEN_LEFT.exec(text)
  if (!left) return undefined
  const rest = text.slice(left[0].length)
  const dash = /^\s+-\s+/.exec(rest)
  if (!dash) return undefined
  const right = HYPHEN_RIGHT.exec(rest.slice(dash[0].length))
  if (!right) return null
  const from = xRange(left.slice(1))
  const to = xRange(right.slice(1))
  const set: Comparator[] = []
  if (from.level > 0) set.push(c('>=', from.base))
  if (to.level > 0) set.push(to.level === 3 ? c('<=', to.base) : c('<', to.ceiling))
  return set
}

function parseRange(text: string): Range | null {
  if (text.length > MAX_RANGE_LENGTH) return null
  const range: Range = []
  for (const alternative of text.replace(/(?<=[<>=~^])\s+/g, '').split(/\s*\|\|\s*/)) {
    const hyphen = hyphenRange(alternative)
    if (hyphen === null) return null
    if (hyphen) {
      range.push(hyphen)
      continue
    }
    const set: Comparator[] = []
    for (const token of alternative.split(/\s+/)) {
      const match = token === '' ? null : TOKEN.exec(token)
      const comparators =
        token === '' ? ['*' as const] : match && desugar(match[1]!, xRange(match.slice(2)))
      if (!comparators) return null
      set.push(...comparators)
    }
    range.push(set)
  }
  return range
}

/** Whether `at` satisfies the one-comparator range `[[comparator]]` (pre-releases included). */
function satisfiesOne(at: SemVer, comparator: Comparator): boolean {
  const release = at.prerelease.length === 0
  if (comparator === '*') return release
  const cmp = compareSemver(at, comparator.v)
  const ok = { '<': cmp < 0, '<=': cmp <= 0, '>': cmp > 0, '>=': cmp >= 0, '=': cmp === 0 }
  if (!ok[comparator.op]) return false
  const b = comparator.v
  const sameCore = at.major === b.major && at.minor === b.minor && at.patch === b.patch
  return release || (b.prerelease.length > 0 && sameCore)
}

/** The library's test for two comparators; like it, not symmetric around `*` and pre-releases. */
function comparatorsIntersect(a: Comparator, b: Comparator): boolean {
  if (a === '*') return true
  if (a.op === '=') return satisfiesOne(a.v, b)
  if (b === '*') return true
  if (b.op === '=') return satisfiesOne(b.v, a)
  const aUpper = a.op[0] === '<'
  const bUpper = b.op[0] === '<'
  if (aUpper === bUpper) return true
  const cmp = compareSemver(a.v, b.v)
  if (cmp === 0) return a.op.length === 2 && b.op.length === 2
  return aUpper ? cmp > 0 : cmp < 0
}

const satisfiable = (set: readonly Comparator[]): boolean =>
  set.every((a, i) => set.slice(i + 1).every(b => comparatorsIntersect(a, b)))

/** Whether two `version` values intersect as the CLI decides; unparsable never intersects. */
export function versionsIntersect(candidate: string, current: string): boolean {
  const r1 = parseRange(candidate)
  const r2 = parseRange(current)
  if (!r1 || !r2 || !r1.some(satisfiable) || !r2.some(satisfiable)) return false
  return r1.some(s1 => r2.some(s2 => s1.every(a => s2.every(b => comparatorsIntersect(a, b)))))
}

// ---- native_packages records ---------------------------------------------------------------

/** An entry of a bundle's `native_packages`, as the CLI's `nativePackageSchema` describes it. */
export interface NativePackage {
  name: string
  version: string
  requested_version?: string
  ios_checksum?: string
  android_checksum?: string
}

const OPTIONAL = ['requested_version', 'ios_checksum', 'android_checksum'] as const

/** A well-formed entry (strings as the CLI's schema wants; a null optional field is absent). */
function toEntry(raw: unknown): NativePackage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const record = raw as Record<string, unknown>
  const { name, version } = record
  if (typeof name !== 'string' || !name || typeof version !== 'string' || !version) return undefined
  const entry: NativePackage = { name, version }
  for (const field of OPTIONAL) {
    const value = record[field]
    if (typeof value === 'string') entry[field] = value
    else if (value !== undefined && value !== null) return undefined
  }
  return entry
}

function readRecord(raw: unknown, which: string): Map<string, NativePackage> | string {
  if (raw === null || raw === undefined) return `${which} has no native_packages record`
  if (!Array.isArray(raw)) return `${which}'s native_packages is not a list`
  const entries = new Map<string, NativePackage>()
  for (let i = 0; i < raw.length; i++) {
    const entry = toEntry(raw[i])
    if (!entry) return `${which}'s native_packages[${i}] is not a valid plugin entry`
    const seen = entries.get(entry.name)
    const same = (f: keyof NativePackage): boolean => seen?.[f] === entry[f]
    if (seen && !(same('version') && OPTIONAL.every(same))) {
      return `${which} lists ${entry.name} twice`
    }
    entries.set(entry.name, entry)
  }
  return entries
}

const BLOCKING: readonly PluginChangeKind[] = ['added', 'version', 'ios_native', 'android_native']

/** `getCompatibilityDetails` for one plugin; kinds are found in the order of PluginChangeKind. */
function comparePlugin(name: string, cand?: NativePackage, cur?: NativePackage): PluginChange {
  const kinds: PluginChangeKind[] = []
  const changed = (field: (typeof OPTIONAL)[number], trim = false): boolean => {
    const [a, b] = [cand?.[field], cur?.[field]]
    return !!a && !!b && (trim ? a.trim() !== b.trim() : a !== b)
  }
  if (!cur) kinds.push('added')
  else if (!cand) kinds.push('removed')
  else {
    if (!versionsIntersect(cand.version, cur.version)) kinds.push('version')
    if (changed('ios_checksum')) kinds.push('ios_native')
    if (changed('android_checksum')) kinds.push('android_native')
    if (changed('requested_version', true)) kinds.push('requested_version')
  }
  if (kinds.length === 0) kinds.push('unchanged')
  const change: PluginChange = {
    name,
    kind: kinds[0]!,
    kinds,
    blocking: kinds.some(kind => BLOCKING.includes(kind))
  }
  if (cur) change.from = cur.version
  if (cand) change.to = cand.version
  return change
}

function unknown(reason: string): CompatibilityReport {
  return { verdict: 'unknown', plugins: [], reason }
}

/**
 * Compare the raw `native_packages` of the candidate bundle with those of the channel's current
 * bundle. Never throws: unreadable data gives `unknown` with a reason.
 */
export function checkCompatibility(candidate: unknown, current: unknown): CompatibilityReport {
  try {
    const cur = readRecord(current, "the channel's current bundle")
    const cand = readRecord(candidate, 'the candidate bundle')
    if (typeof cur === 'string' || typeof cand === 'string') {
      return unknown([cur, cand].filter(side => typeof side === 'string').join('; '))
    }
    // Default sort: by UTF-16 code units, independent of the locale.
    const names = [...new Set([...cand.keys(), ...cur.keys()])].sort()
    const plugins = names.map(name => comparePlugin(name, cand.get(name), cur.get(name)))
    const verdict = plugins.some(p => p.blocking) ? 'incompatible' : 'compatible'
    return { verdict, plugins }
  } catch {
    return unknown('the native_packages records could not be read')
  }
}

/** Control characters out, at most 200 characters: these strings come from stored data. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  const chars = [...text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?')]
  return chars.length > 200 ? `${chars.slice(0, 199).join('')}…` : chars.join('')
}

/** One sentence per blocking plugin of the report, naming both bundles and the channel. */
export function describeIncompatibility(
  report: CompatibilityReport,
  candidateVersion: string,
  channel: string,
  currentVersion: string
): string[] {
  const cand = clean(candidateVersion)
  const installed = `"${clean(channel)}" (${clean(currentVersion)})`
  return report.plugins
    .filter(p => p.blocking)
    .map(p => {
      const name = clean(p.name)
      if (p.kinds.includes('added')) {
        const what = `${name} ${clean(p.to ?? '')}`
        return `${name}: ${cand} adds plugin ${what} that the installed app on ${installed} does not have`
      }
      const ios = p.kinds.includes('ios_native')
      const android = p.kinds.includes('android_native')
      const reasons: string[] = []
      if (p.kinds.includes('version')) reasons.push('the versions do not intersect')
      if (ios || android) {
        const platform = ios && android ? 'iOS and Android' : ios ? 'iOS' : 'Android'
        reasons.push(`the ${platform} native code of ${name} changed`)
      }
      const [from, to] = [clean(p.from ?? '?'), clean(p.to ?? '?')]
      return `${name}: ${from} on ${installed}, ${to} in ${cand}: ${reasons.join(' and ')}`
    })
}
