// Pure helpers the planner uses: globs for cleanup_pattern / cleanup_protect, and semver order.

/** Compile globs where `*` is any run of characters and `?` one character; all else is literal. */
export function compileGlobs(globs: readonly string[]): (name: string) => string | undefined {
  const compiled = globs.map(glob => ({ glob, re: globToRegExp(glob) }))
  return name => compiled.find(({ re }) => re.test(name))?.glob
}

export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (const char of glob) {
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else source += char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 's')
}

export interface SemVer {
  major: number
  minor: number
  patch: number
  prerelease: (string | number)[]
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/** Parse a SemVer 2.0.0 version (no leading `v`), or undefined when it is not one. */
export function parseSemver(text: string): SemVer | undefined {
  const m = SEMVER.exec(text)
  if (!m) return undefined
  const nums = [m[1], m[2], m[3]].map(Number)
  if (nums.some(n => !Number.isSafeInteger(n))) return undefined
  const prerelease = m[4] ? m[4].split('.').map(id => (/^\d+$/.test(id) ? Number(id) : id)) : []
  return { major: nums[0]!, minor: nums[1]!, patch: nums[2]!, prerelease }
}

/** SemVer precedence: negative when a < b. Build metadata is ignored, as the spec says. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major
  if (a.minor !== b.minor) return a.minor - b.minor
  if (a.patch !== b.patch) return a.patch - b.patch
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    // A release ranks above any of its pre-releases.
    return b.prerelease.length - a.prerelease.length
  }
  const n = Math.min(a.prerelease.length, b.prerelease.length)
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i]!
    const y = b.prerelease[i]!
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    if (typeof x === 'number') return -1
    if (typeof y === 'number') return 1
    return x < y ? -1 : 1
  }
  return a.prerelease.length - b.prerelease.length
}
