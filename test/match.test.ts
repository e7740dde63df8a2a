// Globs for cleanup_pattern / cleanup_protect, and SemVer 2.0.0 parsing and precedence.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareSemver, compileGlobs, matchGlob, parseSemver, type SemVer } from '../src/match.js'

// Through compileGlobs, the entry point the planner uses (the property test checks matchGlob).
const matches = (glob: string, name: string): boolean => compileGlobs([glob])(name) === glob

/** What the glob means, as a regex: a code point per `.` (flag u), newlines included (flag s). */
const referenceRegExp = (glob: string): RegExp => {
  let source = ''
  for (const char of glob) {
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'su')
}

describe('globs: * is any run of characters, ? is one, all else literal, whole name', () => {
  it.each([
    // `*`
    ['*', '', true],
    ['*', '1.0.0', true],
    ['1.*', '1.', true],
    ['1.*', '1.2.3-rc.1', true],
    ['1.*', '2.1.0', false],
    ['*-rc.*', '1.0.0-rc.1', true],
    ['*-rc.*', '1.0.0-beta.1', false],
    ['1.*.0', '1.22.0', true],
    ['1.*.0', '1.22.1', false],
    ['**', 'x', true],
    ['*', 'line\nbreak', true],
    // `?`
    ['1.0.?', '1.0.5', true],
    ['1.0.?', '1.0.15', false],
    ['1.0.?', '1.0.', false],
    ['??', 'ab', true],
    ['??', 'a', false],
    // literal dots
    ['1.0.0', '1x0y0', false],
    ['1.0.*', '1a0b5', false],
    // full match only
    ['1.0', '1.0.1', false],
    ['1.0', 'x1.0', false],
    ['beta', 'beta-2', false],
    ['', '', true],
    ['', 'a', false],
    // regex metacharacters are literal
    ['1.0.0+build', '1.0.0+build', true],
    ['1.0.0+build', '1.0.00build', false],
    ['(a|b)', '(a|b)', true],
    ['(a|b)', 'a', false],
    ['[ab]', '[ab]', true],
    ['[ab]', 'a', false],
    ['^1$', '^1$', true],
    ['^1$', '1', false],
    ['a{2}', 'a{2}', true],
    ['a{2}', 'aa', false],
    ['a\\b', 'a\\b', true],
    ['a/b', 'a/b', true],
    ['a-b', 'a-b', true],
    ['$*', '$5', true],
    // a character is a Unicode code point, not a UTF-16 unit
    ['hotfix-?', 'hotfix-é', true],
    ['hotfix-?', 'hotfix-🚀', true],
    ['hotfix-?', 'hotfix-', false],
    ['hotfix-?', 'hotfix-ab', false],
    ['hotfix-?', 'hotfix-e\u0301', false], // e + combining acute: two code points
    ['hotfix-??', 'hotfix-e\u0301', true],
    ['hotfix-??', 'hotfix-🚀', false],
    ['?', '\u{1F680}', true],
    ['??', '🚀🚀', true],
    ['???', '🚀🚀', false],
    ['?-*', '🚀-beta', true],
    ['*🚀', 'release 🚀', true],
    ['*🚀?', 'release 🚀🎉', true],
    ['🚀*', '\uD83D', false], // a lone high surrogate is not the rocket
    ['?', '\uD83D', true], // ...but a lone surrogate is still one character
    ['?', '\n', true],
    // backtracking: the latest * resumes, earlier ones stay put
    ['*a*b', 'aaab', true],
    ['*a*b', 'aaba', false],
    ['a*b*c', 'abcbc', true],
    ['a*b*c', 'abcbcx', false],
    ['*?', '', false],
    ['*?', 'x', true],
    ['*??*', 'x', false],
    ['?*?', 'ab', true],
    ['*-rc.?', '1.0.0-rc.1-rc.2', true],
    ['*-rc.?', '1.0.0-rc.10', false]
  ])('%j against %j: %s', (glob, name, expected) => {
    expect(matches(glob, name)).toBe(expected)
  })

  // No timing assertion (performance is the benchmark's): a backtracking matcher never returns
  // on these inputs (years at 60 characters), so the test's own timeout is what fails it.
  it('answers where a backtracking regex would never return', { timeout: 10_000 }, () => {
    const glob = '*a*a*a*a*a*a*a*a*b'
    expect(matches(glob, 'a'.repeat(35))).toBe(false)
    expect(matches(glob, 'a'.repeat(60))).toBe(false)
    expect(matches(glob, 'a'.repeat(60) + 'b')).toBe(true)
    expect(matches(glob, `${'a'.repeat(5000)}b${'a'.repeat(5000)}`)).toBe(false)
    expect(matches('*?*?*?*?*?*?*?*?*?*?x', '?'.repeat(10_000))).toBe(false)
  })

  it('compileGlobs returns the first glob that matches, or undefined', () => {
    const match = compileGlobs(['2.*', '*-rc.*', '1.*'])
    expect(match('1.0.0-rc.1')).toBe('*-rc.*')
    expect(match('1.0.0')).toBe('1.*')
    expect(match('2.0.0-rc.1')).toBe('2.*')
    expect(match('3.0.0')).toBeUndefined()
    expect(compileGlobs([])('anything')).toBeUndefined()
  })

  it('any name matches itself as a glob when it holds no * or ?', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }).filter(s => !/[*?]/.test(s)),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }),
        (name, suffix) => {
          expect(matches(name, name)).toBe(true)
          expect(matches(name, name + suffix)).toBe(false)
        }
      )
    )
  })

  it('agrees with a regex built from the glob (flags s and u) on short inputs', () => {
    // Few characters, so that names often match; astral ones, a lone surrogate, a combining
    // mark, a newline, and regex metacharacters that must stay literal.
    const char = fc.constantFrom('a', 'b', '.', '-', '\n', 'é', 'e\u0301', '🚀', '\uD83D', '[', '$')
    const token = fc.oneof(
      { weight: 3, arbitrary: char },
      { weight: 1, arbitrary: fc.constant('*') },
      { weight: 1, arbitrary: fc.constant('?') }
    )
    const glob = fc.array(token, { maxLength: 8 }).map(tokens => tokens.join(''))
    const randomName = fc.array(char, { maxLength: 10 }).map(chars => chars.join(''))
    // A name made from the glob (each * some characters, each ? one), so that many do match,
    // sometimes with one character dropped or added, so that many nearly do.
    const nameFrom = (g: string): fc.Arbitrary<string> =>
      fc
        .tuple(
          fc.array(fc.array(char, { maxLength: 3 }), { minLength: g.length, maxLength: g.length }),
          fc.array(char, { minLength: g.length, maxLength: g.length }),
          fc.constantFrom('as is', 'drop', 'add'),
          fc.nat(),
          char
        )
        .map(([fills, singles, edit, at, extra]) => {
          const chars = Array.from(g).flatMap((c, i) =>
            c === '*' ? fills[i]! : c === '?' ? [singles[i]!] : [c]
          )
          const position = chars.length === 0 ? 0 : at % chars.length
          if (edit === 'drop') chars.splice(position, 1)
          if (edit === 'add') chars.splice(position, 0, extra)
          return chars.join('')
        })
    const pair = glob.chain(g => fc.tuple(fc.constant(g), fc.oneof(randomName, nameFrom(g))))
    fc.assert(
      fc.property(pair, ([g, name]) => {
        const expected = referenceRegExp(g).test(name)
        expect(matchGlob(g, name)).toBe(expected)
        expect(matches(g, name)).toBe(expected)
      }),
      { numRuns: 3000 }
    )
  })
})

describe('parseSemver', () => {
  it.each<[string, SemVer]>([
    ['0.0.0', { major: '0', minor: '0', patch: '0', prerelease: [] }],
    ['1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [] }],
    ['10.20.30', { major: '10', minor: '20', patch: '30', prerelease: [] }],
    ['1.0.0-alpha', { major: '1', minor: '0', patch: '0', prerelease: ['alpha'] }],
    ['1.0.0-alpha.1', { major: '1', minor: '0', patch: '0', prerelease: ['alpha', '1'] }],
    ['1.0.0-0.3.7', { major: '1', minor: '0', patch: '0', prerelease: ['0', '3', '7'] }],
    ['1.0.0-x.7.z.92', { major: '1', minor: '0', patch: '0', prerelease: ['x', '7', 'z', '92'] }],
    ['1.0.0-x-y-z.--', { major: '1', minor: '0', patch: '0', prerelease: ['x-y-z', '--'] }],
    ['1.0.0-0a.01a', { major: '1', minor: '0', patch: '0', prerelease: ['0a', '01a'] }],
    ['1.0.0+20130313144700', { major: '1', minor: '0', patch: '0', prerelease: [] }],
    ['1.0.0-beta+exp.sha.5114f85', { major: '1', minor: '0', patch: '0', prerelease: ['beta'] }],
    ['1.0.0+21AF26D3----117B344092BD', { major: '1', minor: '0', patch: '0', prerelease: [] }],
    ['1.0.0+001', { major: '1', minor: '0', patch: '0', prerelease: [] }],
    // numbers of any length, kept exactly
    [
      '99999999999999999999.0.0',
      { major: '99999999999999999999', minor: '0', patch: '0', prerelease: [] }
    ],
    [
      '0.18014398509481985.1-18014398509481985.rc',
      {
        major: '0',
        minor: '18014398509481985',
        patch: '1',
        prerelease: ['18014398509481985', 'rc']
      }
    ]
  ])('%s is valid', (text, expected) => {
    expect(parseSemver(text)).toEqual(expected)
  })

  it.each([
    'v1.0.0',
    'V1.0.0',
    '1.0',
    '1',
    '1.0.0.0',
    '01.0.0',
    '1.01.0',
    '1.0.01',
    '-1.0.0',
    '1.0.0-',
    '1.0.0+',
    '1.0.0-01',
    '1.0.0-alpha..1',
    '1.0.0-alpha.',
    '1.0.0-alpha_beta',
    '1.0.0+build+meta',
    '1.0.0+build..1',
    ' 1.0.0',
    '1.0.0 ',
    '1.0.0\n',
    '1.a.0',
    'latest',
    ''
  ])('%j is not semver', text => {
    expect(parseSemver(text)).toBeUndefined()
  })
})

describe('compareSemver: precedence', () => {
  const parse = (text: string): SemVer => {
    const parsed = parseSemver(text)
    if (!parsed) throw new Error(`not semver: ${text}`)
    return parsed
  }
  const sign = (a: string, b: string): number => Math.sign(compareSemver(parse(a), parse(b)))

  // semver.org, item 11: each is lower than the next.
  const chains = [
    [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0'
    ],
    ['1.0.0', '2.0.0', '2.1.0', '2.1.1'],
    ['0.9.9', '0.10.0', '1.9.0', '1.10.0', '10.0.0'],
    ['1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-Alpha', '1.0.0-alpha'],
    ['1.0.0-rc.1', '1.0.0-rc.1.0', '1.0.0'],
    // numbers of any length compare exactly (these are beyond 2^53, where doubles collide)
    [
      '1.0.0-18014398509481984',
      '1.0.0-18014398509481985',
      '1.0.0-99999999999999999999',
      '1.0.0-100000000000000000000',
      '1.0.0-0a'
    ],
    ['99999999999999999998.0.0', '99999999999999999999.0.0', '100000000000000000000.0.0'],
    [
      '1.9007199254740992.0',
      '1.9007199254740993.0',
      '1.9007199254740993.1',
      '1.10000000000000000.0'
    ],
    ['0.0.18014398509481984', '0.0.18014398509481985-rc', '0.0.18014398509481985', '0.1.0'],
    [
      '1.0.0-rc.9',
      '1.0.0-rc.10',
      '1.0.0-rc.123456789012345678901',
      '1.0.0-rc.123456789012345678902',
      '1.0.0-rc.123456789012345678902.0',
      '1.0.0-rc.a'
    ]
  ]

  it.each(chains.map(chain => [chain.join(' < '), chain] as const))('%s', (_name, chain) => {
    chain.forEach((a, i) => {
      expect(sign(a, a)).toBe(0)
      chain.slice(i + 1).forEach(b => {
        expect(sign(a, b), `${a} < ${b}`).toBe(-1)
        expect(sign(b, a), `${b} > ${a}`).toBe(1)
      })
    })
  })

  it('build metadata is ignored', () => {
    expect(sign('1.0.0+a', '1.0.0+b')).toBe(0)
    expect(sign('1.0.0-rc.1+x', '1.0.0-rc.1')).toBe(0)
    expect(sign('1.0.0+zzz', '1.0.1')).toBe(-1)
  })

  // Numbers small and huge, with many near collisions: around 2^53 and 10^20, doubles cannot
  // tell neighbours apart.
  const number = fc.oneof(
    fc.nat({ max: 3 }).map(BigInt),
    fc.bigInt({ min: 0n, max: 3n }).map(n => 2n ** 53n + n),
    fc.bigInt({ min: 0n, max: 3n }).map(n => 10n ** 20n - 2n + n),
    fc.bigInt({ min: 0n, max: 10n ** 30n })
  )
  const ident = fc.oneof(
    number.map(String),
    fc.constantFrom('alpha', 'beta', 'rc', 'a1', 'x-y', '0a', 'A', '9007199254740993a')
  )
  const versionText = fc
    .record({
      core: fc.tuple(number, number, number),
      pre: fc.array(ident, { maxLength: 3 }),
      build: fc.constantFrom('', '+b', '+001.sha')
    })
    .map(
      ({ core, pre, build }) => core.join('.') + (pre.length > 0 ? `-${pre.join('.')}` : '') + build
    )
  const version = versionText.map(parse)

  /** SemVer 2.0.0 precedence, item 11, spelled out with BigInt. */
  const reference = (x: string, y: string): number => {
    const split = (text: string) => {
      const [main, pre] = text.split('+')[0]!.split(/-(.*)/s)
      return { core: main!.split('.').map(BigInt), pre: pre === undefined ? [] : pre.split('.') }
    }
    const cmp = (p: bigint, q: bigint): number => (p < q ? -1 : p > q ? 1 : 0)
    const a = split(x)
    const b = split(y)
    for (let i = 0; i < 3; i++) {
      const c = cmp(a.core[i]!, b.core[i]!)
      if (c !== 0) return c
    }
    if (a.pre.length === 0 || b.pre.length === 0) {
      return cmp(BigInt(b.pre.length), BigInt(a.pre.length))
    }
    for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
      const p = a.pre[i]!
      const q = b.pre[i]!
      const pNum = /^\d+$/.test(p)
      const qNum = /^\d+$/.test(q)
      if (pNum && qNum && BigInt(p) !== BigInt(q)) return cmp(BigInt(p), BigInt(q))
      if (pNum !== qNum) return pNum ? -1 : 1
      if (p !== q) return p < q ? -1 : 1
    }
    return cmp(BigInt(a.pre.length), BigInt(b.pre.length))
  }

  it('agrees with a BigInt reference of the spec over random versions, huge numbers included', () => {
    fc.assert(
      fc.property(versionText, versionText, (x, y) => {
        expect(compareSemver(parse(x), parse(y)), `${x} vs ${y}`).toBe(reference(x, y))
      }),
      { numRuns: 2000 }
    )
  })

  it('is a total order: antisymmetric and transitive over random versions', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(compareSemver(a, a)).toBe(0)
        expect(Math.sign(compareSemver(a, b)) + Math.sign(compareSemver(b, a))).toBe(0)
        if (compareSemver(a, b) <= 0 && compareSemver(b, c) <= 0) {
          expect(compareSemver(a, c)).toBeLessThanOrEqual(0)
        }
        if (compareSemver(a, b) === 0) {
          expect(Math.sign(compareSemver(a, c))).toBe(Math.sign(compareSemver(b, c)))
        }
      }),
      { numRuns: 1000 }
    )
  })

  it('is a total order on small versions too, where ties and equal prefixes are common', () => {
    const small = fc
      .record({
        core: fc.tuple(fc.nat({ max: 1 }), fc.nat({ max: 1 }), fc.nat({ max: 1 })),
        pre: fc.array(fc.constantFrom('0', '1', '10', 'a', 'b'), { maxLength: 2 })
      })
      .map(({ core, pre }) => parse(core.join('.') + (pre.length > 0 ? `-${pre.join('.')}` : '')))
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        expect(Math.sign(compareSemver(a, b)) + Math.sign(compareSemver(b, a))).toBe(0)
        if (compareSemver(a, b) <= 0 && compareSemver(b, c) <= 0) {
          expect(compareSemver(a, c)).toBeLessThanOrEqual(0)
        }
      }),
      { numRuns: 1000 }
    )
  })
})
