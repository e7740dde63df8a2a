// Pure helpers the planner uses: globs for cleanup_pattern / cleanup_protect, and semver order.

// ---- globs ------------------------------------------------------------------------------------

/**
 * A glob split into Unicode code points, with each run of `*` collapsed into one (`**` means the
 * same as `*`, and fewer stars mean fewer backtracking restarts).
 */
type Pattern = readonly string[]

function compilePattern(glob: string): Pattern {
  const pattern: string[] = []
  for (const char of glob) {
    if (char === '*' && pattern[pattern.length - 1] === '*') continue
    pattern.push(char)
  }
  return pattern
}

/**
 * Whole-name match of code points against a pattern: the greedy two-pointer wildcard algorithm.
 * Only the latest `*` is ever resumed (an earlier star can always absorb what a later one would),
 * so this never backtracks exponentially: O(name × pattern) at worst, linear in common cases.
 */
function matchPattern(pattern: Pattern, name: readonly string[]): boolean {
  let p = 0
  let n = 0
  let star = -1 // index in the pattern of the latest `*` seen, or -1
  let resume = 0 // where in the name that `*` would resume, having absorbed one more code point
  while (n < name.length) {
    const token = pattern[p]
    if (token === '*') {
      star = p++
      resume = n
    } else if (token !== undefined && (token === '?' || token === name[n])) {
      p++
      n++
    } else if (star >= 0) {
      p = star + 1
      n = ++resume
    } else {
      return false
    }
  }
  while (pattern[p] === '*') p++
  return p === pattern.length
}

/**
 * Whether `name` as a whole matches `glob`, where `*` is any run of characters (possibly empty)
 * and `?` exactly one; all else is literal (no character classes, no escapes). A character is a
 * Unicode code point, so `?` matches `é` or `🚀` (one code point, two UTF-16 units) but not a
 * decomposed `e` + combining accent (two code points). Time is O(name × glob) at worst.
 */
export function matchGlob(glob: string, name: string): boolean {
  return matchPattern(compilePattern(glob), Array.from(name))
}

/** Compile globs (see {@link matchGlob}); the matcher returns the first glob a name matches. */
export function compileGlobs(globs: readonly string[]): (name: string) => string | undefined {
  const compiled = globs.map(glob => ({ glob, pattern: compilePattern(glob) }))
  return name => {
    if (compiled.length === 0) return undefined
    const chars = Array.from(name)
    return compiled.find(({ pattern }) => matchPattern(pattern, chars))?.glob
  }
}

// ---- semver -----------------------------------------------------------------------------------

/**
 * A parsed SemVer 2.0.0 version. Numbers are kept as their decimal digit strings (no leading
 * zeros, any length) so that precedence is exact however long they are. A pre-release identifier
 * is numeric exactly when it is all digits.
 */
export interface SemVer {
  major: string
  minor: string
  patch: string
  prerelease: string[]
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

const NUMERIC = /^\d+$/

/** Parse a SemVer 2.0.0 version (no leading `v`), or undefined when it is not one. */
export function parseSemver(text: string): SemVer | undefined {
  const m = SEMVER.exec(text)
  if (!m) return undefined
  return {
    major: m[1]!,
    minor: m[2]!,
    patch: m[3]!,
    prerelease: m[4] ? m[4].split('.') : []
  }
}

/** Compare canonical decimal digit strings (no leading zeros): the longer is larger. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** SemVer precedence: -1 when a < b, 1 when a > b, 0 when equal. Build metadata is ignored. */
export function compareSemver(a: SemVer, b: SemVer): number {
  const core =
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch)
  if (core !== 0) return core
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    // A release ranks above any of its pre-releases.
    return Math.sign(b.prerelease.length - a.prerelease.length)
  }
  const n = Math.min(a.prerelease.length, b.prerelease.length)
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i]!
    const y = b.prerelease[i]!
    if (x === y) continue
    const xNumeric = NUMERIC.test(x)
    const yNumeric = NUMERIC.test(y)
    if (xNumeric && yNumeric) return compareDigits(x, y)
    if (xNumeric) return -1 // numeric identifiers rank below alphanumeric ones
    if (yNumeric) return 1
    return x < y ? -1 : 1 // ASCII order
  }
  return Math.sign(a.prerelease.length - b.prerelease.length)
}
