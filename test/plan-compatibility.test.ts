// The native compatibility rule (src/plan/compatibility.ts, after Capgo CLI's
// `getCompatibilityDetails` in Cap-go/capgo cli/src/utils.ts): one row per kind of change, the
// version ranges the CLI's semver library intersects, the sentences, then properties over random
// `native_packages` records.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkCompatibility,
  describeIncompatibility,
  versionsIntersect,
  type CompatibilityReport,
  type CompatibilityVerdict,
  type PluginChangeKind
} from '../src/plan/compatibility.js'

const CAMERA = '@capacitor/camera'
const base = { name: CAMERA, version: '5.0.1', ios_checksum: 'i1', android_checksum: 'a1' }

interface Row {
  title: string
  candidate: unknown
  current: unknown
  verdict: CompatibilityVerdict
  /** The kinds of the camera plugin, when the verdict is known. */
  kinds?: PluginChangeKind[]
}

const rows: Row[] = [
  {
    title: 'same plugin, same everything',
    candidate: [base],
    current: [base],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'added plugin',
    candidate: [base],
    current: [],
    verdict: 'incompatible',
    kinds: ['added']
  },
  {
    title: 'removed plugin',
    candidate: [],
    current: [base],
    verdict: 'compatible',
    kinds: ['removed']
  },
  {
    title: 'versions intersect (range and a version inside it)',
    candidate: [{ ...base, version: '5.0.1' }],
    current: [{ ...base, version: '^5.0.0' }],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'versions do not intersect',
    candidate: [{ ...base, version: '6.0.0' }],
    current: [base],
    verdict: 'incompatible',
    kinds: ['version']
  },
  {
    title: 'patch bump of an exact version',
    candidate: [{ ...base, version: '5.0.2' }],
    current: [base],
    verdict: 'incompatible',
    kinds: ['version']
  },
  {
    title: 'iOS checksum changed',
    candidate: [{ ...base, ios_checksum: 'i2' }],
    current: [base],
    verdict: 'incompatible',
    kinds: ['ios_native']
  },
  {
    title: 'Android checksum changed',
    candidate: [{ ...base, android_checksum: 'a2' }],
    current: [base],
    verdict: 'incompatible',
    kinds: ['android_native']
  },
  {
    title: 'version and both checksums changed',
    candidate: [{ ...base, version: '6.0.0', ios_checksum: 'i2', android_checksum: 'a2' }],
    current: [base],
    verdict: 'incompatible',
    kinds: ['version', 'ios_native', 'android_native']
  },
  {
    title: 'checksum on one side only',
    candidate: [{ name: CAMERA, version: '5.0.1', ios_checksum: 'i2' }],
    current: [{ name: CAMERA, version: '5.0.1', android_checksum: 'a1' }],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'empty checksum counts as none (the CLI tests truthiness)',
    candidate: [{ ...base, ios_checksum: '' }],
    current: [base],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'requested_version changed only',
    candidate: [{ ...base, requested_version: '^5.0.1' }],
    current: [{ ...base, requested_version: '^5.0.0' }],
    verdict: 'compatible',
    kinds: ['requested_version']
  },
  {
    title: 'requested_version differing in spaces only',
    candidate: [{ ...base, requested_version: ' ^5.0.0 ' }],
    current: [{ ...base, requested_version: '^5.0.0' }],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'null optional fields count as absent',
    candidate: [{ ...base, ios_checksum: null, requested_version: null }],
    current: [base],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  {
    title: 'unparsable version never intersects',
    candidate: [{ ...base, version: 'latest' }],
    current: [{ ...base, version: 'latest' }],
    verdict: 'incompatible',
    kinds: ['version']
  },
  { title: 'current record null', candidate: [base], current: null, verdict: 'unknown' },
  { title: 'current record missing', candidate: [base], current: undefined, verdict: 'unknown' },
  { title: 'candidate record null', candidate: null, current: [base], verdict: 'unknown' },
  { title: 'both records null', candidate: null, current: null, verdict: 'unknown' },
  {
    title: 'record not a list',
    candidate: [base],
    current: { [CAMERA]: '5.0.1' },
    verdict: 'unknown'
  },
  {
    title: 'entry without a version',
    candidate: [base],
    current: [{ name: CAMERA }],
    verdict: 'unknown'
  },
  {
    title: 'entry with an empty name',
    candidate: [{ ...base, name: '' }],
    current: [base],
    verdict: 'unknown'
  },
  { title: 'entry that is a string', candidate: [CAMERA], current: [base], verdict: 'unknown' },
  {
    title: 'checksum of the wrong type',
    candidate: [{ ...base, ios_checksum: 7 }],
    current: [base],
    verdict: 'unknown'
  },
  {
    title: 'a name listed twice with different data',
    candidate: [base, { ...base, version: '6.0.0' }],
    current: [base],
    verdict: 'unknown'
  },
  {
    title: 'a name listed twice identically',
    candidate: [base, { ...base }],
    current: [base],
    verdict: 'compatible',
    kinds: ['unchanged']
  },
  { title: 'both empty', candidate: [], current: [], verdict: 'compatible' }
]

describe('checkCompatibility', () => {
  it.each(rows)('$title', ({ candidate, current, verdict, kinds }) => {
    const report = checkCompatibility(candidate, current)
    expect(report.verdict).toBe(verdict)
    if (verdict === 'unknown') {
      expect(report.reason).toBeTruthy()
      expect(report.plugins).toEqual([])
      return
    }
    expect(report.reason).toBeUndefined()
    const camera = report.plugins.find(p => p.name === CAMERA)
    if (kinds) {
      expect(camera?.kinds).toEqual(kinds)
      expect(camera?.kind).toBe(kinds[0])
      expect(camera?.blocking).toBe(verdict === 'incompatible')
    }
  })

  it('reports every plugin of both bundles, sorted, with versions from the current bundle and to the candidate', () => {
    const report = checkCompatibility(
      [
        { name: 'z-plugin', version: '1.0.0' },
        { name: CAMERA, version: '6.0.0' }
      ],
      [
        { name: CAMERA, version: '5.0.1' },
        { name: '@capacitor/app', version: '5.0.0' }
      ]
    )
    expect(report.plugins).toEqual([
      {
        name: '@capacitor/app',
        kind: 'removed',
        kinds: ['removed'],
        from: '5.0.0',
        blocking: false
      },
      {
        name: CAMERA,
        kind: 'version',
        kinds: ['version'],
        from: '5.0.1',
        to: '6.0.0',
        blocking: true
      },
      { name: 'z-plugin', kind: 'added', kinds: ['added'], to: '1.0.0', blocking: true }
    ])
  })

  it('explains why a verdict is unknown, naming both sides when both are missing', () => {
    expect(checkCompatibility([base], null).reason).toMatch(/current bundle has no native_packages/)
    expect(checkCompatibility(null, null).reason).toMatch(/current.*; the candidate/)
    expect(checkCompatibility([base], [base, 3]).reason).toMatch(/native_packages\[1\]/)
  })

  it('does not throw on a record whose entries throw when read', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom')
        }
      }
    )
    expect(checkCompatibility([hostile], [base]).verdict).toBe('unknown')
  })
})

describe('versionsIntersect (the ranges of @std/semver 1.0.8, candidate first)', () => {
  it.each([
    ['5.0.1', '5.0.1', true],
    ['5.0.1', '5.0.2', false],
    ['v5.0.1', '5.0.1', true],
    ['5.0.1+build', '5.0.1', true],
    ['^5.0.0', '5.9.9', true],
    ['^5.0.0', '6.0.0', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.4', false],
    ['~5.1.0', '5.1.7', true],
    ['~5.1.0', '5.2.0', false],
    ['~5', '5.9.0', true],
    ['>=5.0.0', '7.0.0', true],
    ['>=5.0.0', '4.9.9', false],
    ['>5.0.0', '5.0.0', false],
    ['<5.0.0', '4.9.9', true],
    ['<5.0.0', '5.0.0', false],
    ['<=5.0.0', '5.0.0', true],
    ['>=1.0.0 <2.0.0', '>=1.5.0 <3.0.0', true],
    ['>=1.0.0 <2.0.0', '>=2.0.0', false],
    ['<2.0.0', '>=2.0.0', false],
    ['<=2.0.0', '>=2.0.0', true],
    ['5.x', '5.3.1', true],
    ['5.x', '6.0.0', false],
    ['5.1.X', '5.1.4', true],
    ['5', '5.0.0', true],
    ['*', '5.0.1', true],
    ['*', '^4.0.0', true],
    ['', '1.2.3', true],
    ['1.0.0 - 2.0.0', '2.0.0', true],
    ['1.0.0 - 2.0.0', '2.0.1', false],
    ['1.0.0 - 2', '2.9.0', true],
    ['4.0.0 || 5.0.0', '5.0.0', true],
    ['4.0.0 || 5.0.0', '6.0.0', false],
    ['>= 5.0.0', '5.1.0', true],
    ['=5.0.1', '=5.0.1', true], // the library says false (see the module's deviations)
    ['5.0.1-beta.1', '5.0.1-beta.1', true],
    ['5.0.1-beta.1', '^5.0.0', false], // a pre-release is outside a range of releases
    ['5.0.1-beta.1', '*', false], // the library's asymmetry around `*`
    ['*', '5.0.1-beta.1', true],
    ['>1.0.0 <1.0.0', '>1.0.0 <1.0.0', false], // unsatisfiable
    ['latest', 'latest', false],
    ['01.0.0', '1.0.0', false],
    ['1.0.0 || junk', '1.0.0', false],
    ['1.0.0 - junk', '1.0.0', false],
    ['<=*', '*', false], // NaN in the library; unparsable here
    ['9'.repeat(300), '9'.repeat(300), false] // too long
  ])('%j with %j: %s', (candidate, current, expected) => {
    expect(versionsIntersect(candidate, current)).toBe(expected)
  })
})

describe('describeIncompatibility', () => {
  it('writes one sentence per blocking plugin', () => {
    const report = checkCompatibility(
      [
        { ...base, version: '6.0.0' },
        { name: '@capacitor/app', version: '5.0.0', ios_checksum: 'x2' },
        { name: '@capgo/native-audio', version: '1.2.0' },
        {
          name: '@capacitor/haptics',
          version: '5.0.0',
          android_checksum: 'h2',
          ios_checksum: 'i2'
        },
        { name: '@capacitor/share', version: '5.0.0', requested_version: '^5.0.0' }
      ],
      [
        base,
        { name: '@capacitor/app', version: '5.0.0', ios_checksum: 'x1' },
        {
          name: '@capacitor/haptics',
          version: '5.0.0',
          android_checksum: 'h1',
          ios_checksum: 'i1'
        },
        { name: '@capacitor/share', version: '5.0.0', requested_version: '5.0.0' },
        { name: '@capacitor/gone', version: '1.0.0' }
      ]
    )
    expect(describeIncompatibility(report, '1.0.9', 'production', '1.0.8')).toEqual([
      '@capacitor/app: 5.0.0 on "production" (1.0.8), 5.0.0 in 1.0.9: the iOS native code of @capacitor/app changed',
      '@capacitor/camera: 5.0.1 on "production" (1.0.8), 6.0.0 in 1.0.9: the versions do not intersect',
      '@capacitor/haptics: 5.0.0 on "production" (1.0.8), 5.0.0 in 1.0.9: the iOS and Android native code of @capacitor/haptics changed',
      '@capgo/native-audio: 1.0.9 adds plugin @capgo/native-audio 1.2.0 that the installed app on "production" (1.0.8) does not have'
    ])
  })

  it('joins the reasons of one plugin and keeps control characters out', () => {
    const report = checkCompatibility(
      [{ name: 'evil\nplugin', version: '2.0.0', ios_checksum: 'b' }],
      [{ name: 'evil\nplugin', version: '1.0.0', ios_checksum: 'a' }]
    )
    expect(describeIncompatibility(report, '2', 'beta\r', '1')).toEqual([
      'evil?plugin: 1.0.0 on "beta?" (1), 2.0.0 in 2: the versions do not intersect and the iOS native code of evil?plugin changed'
    ])
  })

  it('says nothing for a compatible or unknown report', () => {
    expect(describeIncompatibility(checkCompatibility([base], [base]), '2', 'c', '1')).toEqual([])
    expect(describeIncompatibility(checkCompatibility([base], null), '2', 'c', '1')).toEqual([])
  })
})

// ---- properties ------------------------------------------------------------------------------

const NAMES = [
  '@capacitor/app',
  '@capacitor/camera',
  '@capgo/capacitor-updater',
  'cordova-plugin-x'
]
const num = fc.integer({ min: 0, max: 3 }).map(String)
const exact = fc
  .tuple(num, num, num, fc.constantFrom('', '-beta.1', '-rc.0'))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`)
const version = fc.oneof(
  exact,
  fc.tuple(fc.constantFrom('^', '~', '>=', '<', '<='), exact).map(([op, v]) => op + v),
  fc.tuple(num, fc.constantFrom('x', '*')).map(([a, x]) => `${a}.${x}`),
  fc.constant('*')
)
const checksum = fc.option(fc.constantFrom('c1', 'c2', ''), { nil: undefined })
const entry = fc.record(
  {
    name: fc.constantFrom(...NAMES),
    version,
    requested_version: fc.option(fc.constantFrom('^1.0.0', '~1.0.0', '1.0.0'), { nil: undefined }),
    ios_checksum: checksum,
    android_checksum: checksum
  },
  { requiredKeys: ['name', 'version'] }
)
/** A well-formed record: entries with distinct names. */
const record = fc.uniqueArray(entry, { selector: e => e.name, maxLength: NAMES.length })
/** A record whose versions all intersect themselves (no pre-release ranges, as the library). */
const selfRecord = fc.uniqueArray(
  fc.record({ name: fc.constantFrom(...NAMES), version: exact, ios_checksum: checksum }),
  { selector: e => e.name, maxLength: NAMES.length }
)

const blockingIff = (report: CompatibilityReport): void => {
  expect(report.verdict === 'incompatible').toBe(report.plugins.some(p => p.blocking))
}

describe('properties', () => {
  it('a bundle is compatible with itself', () => {
    fc.assert(
      fc.property(selfRecord, r => {
        const report = checkCompatibility(r, structuredClone(r))
        expect(report.verdict).toBe('compatible')
        expect(report.plugins.every(p => p.kind === 'unchanged')).toBe(true)
      })
    )
  })

  it('removing plugins from the candidate never makes it incompatible', () => {
    fc.assert(
      fc.property(record, record, fc.array(fc.boolean()), (candidate, current, keep) => {
        const before = checkCompatibility(candidate, current)
        const fewer = candidate.filter((_, i) => keep[i] ?? true)
        const after = checkCompatibility(fewer, current)
        if (before.verdict === 'compatible') expect(after.verdict).toBe('compatible')
        const blocking = new Set(before.plugins.filter(p => p.blocking).map(p => p.name))
        for (const p of after.plugins) if (p.blocking) expect(blocking.has(p.name)).toBe(true)
      })
    )
  })

  it('the verdict is incompatible exactly when some plugin blocks, and plugins are sorted and complete', () => {
    fc.assert(
      fc.property(record, record, (candidate, current) => {
        const report = checkCompatibility(candidate, current)
        expect(report.verdict).not.toBe('unknown')
        blockingIff(report)
        const names = report.plugins.map(p => p.name)
        expect(names).toEqual([...new Set([...candidate, ...current].map(e => e.name))].sort())
        for (const p of report.plugins) {
          expect(p.kinds[0]).toBe(p.kind)
          const blocks = p.kinds.some(k =>
            ['added', 'version', 'ios_native', 'android_native'].includes(k)
          )
          expect(p.blocking).toBe(blocks)
        }
        const sentences = describeIncompatibility(report, '2.0.0', 'production', '1.0.0')
        expect(sentences).toHaveLength(report.plugins.filter(p => p.blocking).length)
      })
    )
  })

  it('a changed requested_version alone never blocks', () => {
    fc.assert(
      fc.property(selfRecord, fc.constantFrom('^9.0.0', '9.x'), (r, requested) => {
        const candidate = r.map(e => ({ ...e, requested_version: requested }))
        const current = r.map(e => ({ ...e, requested_version: '1.0.0' }))
        expect(checkCompatibility(candidate, current).verdict).toBe('compatible')
      })
    )
  })

  it('a missing current record is always unknown', () => {
    fc.assert(
      fc.property(
        fc.oneof(record, fc.constant(null)),
        fc.constantFrom(null, undefined),
        (c, cur) => {
          const report = checkCompatibility(c, cur)
          expect(report.verdict).toBe('unknown')
          expect(report.plugins).toEqual([])
        }
      )
    )
  })

  it('never throws on arbitrary JSON, and its answer is consistent', () => {
    const json = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(entry, fc.jsonValue())))
    fc.assert(
      fc.property(json, json, fc.string(), (candidate, current, text) => {
        const report = checkCompatibility(candidate, current)
        blockingIff(report)
        expect(report.verdict === 'unknown').toBe(report.reason !== undefined)
        expect(() => describeIncompatibility(report, text, text, text)).not.toThrow()
        expect(typeof versionsIntersect(text, text)).toBe('boolean')
      }),
      { numRuns: 500 }
    )
  })
})
