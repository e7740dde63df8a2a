// Globs for cleanup_pattern / cleanup_protect, and SemVer 2.0.0 parsing and precedence.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareSemver,
  compileGlobs,
  globToRegExp,
  parseSemver,
  type SemVer
} from '../src/match.js'

const matches = (glob: string, name: string): boolean => globToRegExp(glob).test(name)

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
    ['$*', '$5', true]
  ])('%j against %j: %s', (glob, name, expected) => {
    expect(matches(glob, name)).toBe(expected)
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
})

describe('parseSemver', () => {
  it.each<[string, SemVer]>([
    ['0.0.0', { major: 0, minor: 0, patch: 0, prerelease: [] }],
    ['1.2.3', { major: 1, minor: 2, patch: 3, prerelease: [] }],
    ['10.20.30', { major: 10, minor: 20, patch: 30, prerelease: [] }],
    ['1.0.0-alpha', { major: 1, minor: 0, patch: 0, prerelease: ['alpha'] }],
    ['1.0.0-alpha.1', { major: 1, minor: 0, patch: 0, prerelease: ['alpha', 1] }],
    ['1.0.0-0.3.7', { major: 1, minor: 0, patch: 0, prerelease: [0, 3, 7] }],
    ['1.0.0-x.7.z.92', { major: 1, minor: 0, patch: 0, prerelease: ['x', 7, 'z', 92] }],
    ['1.0.0-x-y-z.--', { major: 1, minor: 0, patch: 0, prerelease: ['x-y-z', '--'] }],
    ['1.0.0-0a.01a', { major: 1, minor: 0, patch: 0, prerelease: ['0a', '01a'] }],
    ['1.0.0+20130313144700', { major: 1, minor: 0, patch: 0, prerelease: [] }],
    ['1.0.0-beta+exp.sha.5114f85', { major: 1, minor: 0, patch: 0, prerelease: ['beta'] }],
    ['1.0.0+21AF26D3----117B344092BD', { major: 1, minor: 0, patch: 0, prerelease: [] }],
    ['1.0.0+001', { major: 1, minor: 0, patch: 0, prerelease: [] }]
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
    ['1.0.0-rc.1', '1.0.0-rc.1.0', '1.0.0']
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

  it('is a total order: antisymmetric and transitive over random versions', () => {
    const ident = fc.oneof(
      fc.nat({ max: 20 }).map(String),
      fc.constantFrom('alpha', 'beta', 'rc', 'a1', 'x-y', '0a')
    )
    const version = fc
      .record({
        core: fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 })),
        pre: fc.array(ident, { maxLength: 3 })
      })
      .map(({ core, pre }) => parse(core.join('.') + (pre.length > 0 ? `-${pre.join('.')}` : '')))
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareSemver(a, b)) + Math.sign(compareSemver(b, a))).toBe(0)
        if (compareSemver(a, b) <= 0 && compareSemver(b, c) <= 0) {
          expect(compareSemver(a, c)).toBeLessThanOrEqual(0)
        }
      }),
      { numRuns: 500 }
    )
  })
})
