// The planner's rules (docs/contract.md, "Safety rules" and the cleanup inputs), one test per rule.

import { describe, expect, it } from 'vitest'
import type { Bundle, Channel } from '../src/capgo/types.js'
import { makePlan, snapshotOf, type Fate, type Plan } from '../src/plan/index.js'
import type { ChannelFieldSettings, Settings } from '../src/settings/index.js'
import {
  APP,
  DAY,
  T0,
  applyWrite,
  bundle,
  bundles,
  channel,
  cleanup,
  inventory,
  releases,
  rollout,
  series,
  settings
} from './helpers/fixtures.js'

/** Ten days after the first bundle of a builder: bundle `1.0.k` is then 10 - k days old. */
const NOW = T0 + 10 * DAY

function fates(plan: Plan): Record<string, Fate> {
  return Object.fromEntries(plan.bundles.map(d => [d.version, d.fate]))
}

function reasonOf(plan: Plan, version: string): string {
  const decision = plan.bundles.find(d => d.version === version)
  if (!decision) throw new Error(`no decision for ${version}`)
  return decision.reason
}

/** The versions deleted, phase by phase, in the order they are carried out. */
function phases(plan: Plan): { phase: string; versions: string[] }[] {
  return plan.deletions.map(p => ({ phase: p.phase, versions: p.decisions.map(d => d.version) }))
}

function deleted(plan: Plan): string[] {
  return plan.deletions.flatMap(p => p.decisions.map(d => d.version))
}

/** `{ '1.0.0': fate, ... }` for series(n): fates listed oldest first. */
function seriesFates(...list: Fate[]): Record<string, Fate> {
  return Object.fromEntries(list.map((fate, i) => [`1.0.${i}`, fate]))
}

// ---- cleanup_keep ----------------------------------------------------------------------------

describe('cleanup_keep: the N newest unprotected candidates stay', () => {
  it('keeps the N newest and deletes the older ones, oldest first', () => {
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 3 }) }), inventory(series(6)), NOW)
    expect(fates(plan)).toEqual(seriesFates('delete', 'delete', 'delete', 'keep', 'keep', 'keep'))
    expect(reasonOf(plan, '1.0.5')).toContain('one of the 3 newest (cleanup_keep)')
    expect(reasonOf(plan, '1.0.3')).toContain('one of the 3 newest')
    expect(reasonOf(plan, '1.0.2')).toContain('outside the 3 newest')
    expect(phases(plan)).toEqual([{ phase: 'bundles', versions: ['1.0.0', '1.0.1', '1.0.2'] }])
    expect(plan.deletions[0]?.decisions.every(d => d.source === 'cleanup')).toBe(true)
    expect(plan.keptCount).toBe(3)
    expect(plan.protectedVersions).toEqual([])
    expect(plan.errors).toEqual([])
    expect(plan.warnings).toEqual([])
  })

  it('protected bundles do not count toward N', () => {
    const rows = series(6)
    const channels = [channel('production', rows[5]!), channel('beta', rows[2]!)]
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 2 }) }),
      inventory(rows, channels),
      NOW
    )
    expect(fates(plan)).toEqual(
      seriesFates('delete', 'delete', 'protected', 'keep', 'keep', 'protected')
    )
    expect(reasonOf(plan, '1.0.5')).toContain('on channel "production"')
    expect(reasonOf(plan, '1.0.2')).toContain('on channel "beta"')
    expect(plan.protectedVersions).toEqual(['1.0.5', '1.0.2'])
    expect(deleted(plan)).toEqual(['1.0.0', '1.0.1'])
    expect(plan.keptCount).toBe(4)
  })

  it('cleanup_keep 0 deletes every unprotected bundle', () => {
    const rows = series(4)
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, [channel('production', rows[1]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'protected', 'delete', 'delete'))
    expect(deleted(plan)).toEqual(['1.0.0', '1.0.2', '1.0.3'])
    // Not "outside the 0 newest": the reason says what the input said.
    expect(reasonOf(plan, '1.0.3')).toBe('cleanup_keep: 0')
    expect(plan.keptCount).toBe(1)
  })

  it('N larger than the candidates deletes nothing', () => {
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 50 }) }), inventory(series(4)), NOW)
    expect(Object.values(fates(plan))).toEqual(['keep', 'keep', 'keep', 'keep'])
    expect(plan.deletions).toEqual([])
    expect(plan.keptCount).toBe(4)
  })

  it('cleanup_order created: equal upload times are broken by id (higher id is newer)', () => {
    const rows = [bundle(7, 'a', T0), bundle(3, 'b', T0), bundle(9, 'c', T0), bundle(1, 'd', T0)]
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 2 }) }), inventory(rows), NOW)
    expect(fates(plan)).toEqual({ c: 'keep', a: 'keep', b: 'delete', d: 'delete' })
    expect(plan.bundles.map(d => d.id)).toEqual([9, 7, 3, 1])
    expect(deleted(plan)).toEqual(['d', 'b'])
  })

  it('the upload time wins over the id', () => {
    const rows = [bundle(1, 'new', T0 + DAY), bundle(2, 'old', T0)]
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 1 }) }), inventory(rows), NOW)
    expect(fates(plan)).toEqual({ new: 'keep', old: 'delete' })
  })

  it('a bundle whose upload time cannot be read is kept', () => {
    const rows = [...series(2), bundle(3, 'odd', 'not a date')]
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 0 }) }), inventory(rows), NOW)
    expect(fates(plan)).toEqual({ '1.0.0': 'delete', '1.0.1': 'delete', odd: 'keep' })
    expect(reasonOf(plan, 'odd')).toContain('upload time unknown')
  })
})

// ---- cleanup_older_than ----------------------------------------------------------------------

describe('cleanup_older_than: only bundles older than the age are deleted', () => {
  it('deletes what is strictly older than the age; exactly that old stays', () => {
    // 1.0.k is 10 - k days old at NOW.
    const plan = makePlan(
      settings({ cleanup: cleanup({ olderThanDays: 5 }) }),
      inventory(series(8)),
      NOW
    )
    expect(fates(plan)).toEqual(
      seriesFates('delete', 'delete', 'delete', 'delete', 'delete', 'keep', 'keep', 'keep')
    )
    expect(reasonOf(plan, '1.0.4')).toBe('older than 5d')
    expect(reasonOf(plan, '1.0.5')).toContain('not older than 5d (cleanup_older_than)')
    expect(deleted(plan)).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'])
    expect(plan.keptCount).toBe(3)
  })

  it('a bundle uploaded in the future is never old enough', () => {
    const rows = [bundle(1, 'future', NOW + DAY)]
    const plan = makePlan(
      settings({ cleanup: cleanup({ olderThanDays: 1 }) }),
      inventory(rows),
      NOW
    )
    expect(fates(plan)).toEqual({ future: 'keep' })
  })

  it('protected bundles are not deleted however old', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ cleanup: cleanup({ olderThanDays: 1 }) }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('protected', 'delete', 'delete'))
  })
})

describe('cleanup_keep and cleanup_older_than together: outside the newest N AND older than the age', () => {
  it.each([
    {
      keep: 2,
      days: 5,
      // 1.0.7/1.0.6 newest two; 1.0.5 is outside N but only 5 days old.
      expected: seriesFates(
        'delete',
        'delete',
        'delete',
        'delete',
        'delete',
        'keep',
        'keep',
        'keep'
      )
    },
    {
      keep: 6,
      days: 5,
      // 1.0.2 is 8 days old but one of the 6 newest.
      expected: seriesFates('delete', 'delete', 'keep', 'keep', 'keep', 'keep', 'keep', 'keep')
    },
    {
      keep: 0,
      days: 9,
      expected: seriesFates('delete', 'keep', 'keep', 'keep', 'keep', 'keep', 'keep', 'keep')
    }
  ])('keep $keep, older than $days days', ({ keep, days, expected }) => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep, olderThanDays: days }) }),
      inventory(series(8)),
      NOW
    )
    expect(fates(plan)).toEqual(expected)
    expect(reasonOf(plan, '1.0.0')).toBe(
      `${keep === 0 ? 'cleanup_keep: 0' : `outside the ${keep} newest`} and older than ${days}d`
    )
  })

  it('names the rule that kept each bundle', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 2, olderThanDays: 5 }) }),
      inventory(series(8)),
      NOW
    )
    expect(reasonOf(plan, '1.0.7')).toContain('one of the 2 newest (cleanup_keep)')
    expect(reasonOf(plan, '1.0.5')).toContain('not older than 5d (cleanup_older_than)')
  })
})

// ---- cleanup_pattern / cleanup_protect --------------------------------------------------------

describe('cleanup_pattern: only matching versions are candidates', () => {
  const rows = bundles(['1.0.0', '2.0.0-beta.1', '1.0.1', '2.0.0-beta.2', '1.0.2', '2.0.0-beta.3'])

  it('non-matching versions are kept and do not count toward N', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 1 }), cleanupPattern: ['*-beta.*'] }),
      inventory(rows),
      NOW
    )
    expect(fates(plan)).toEqual({
      '1.0.0': 'keep',
      '1.0.1': 'keep',
      '1.0.2': 'keep',
      '2.0.0-beta.1': 'delete',
      '2.0.0-beta.2': 'delete',
      '2.0.0-beta.3': 'keep'
    })
    expect(reasonOf(plan, '1.0.2')).toContain('does not match cleanup_pattern')
    expect(reasonOf(plan, '2.0.0-beta.3')).toContain('one of the 1 newest')
    expect(deleted(plan)).toEqual(['2.0.0-beta.1', '2.0.0-beta.2'])
  })

  it('several globs: a version matching any of them is a candidate; ? is one character', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }), cleanupPattern: ['nothing', '1.0.?'] }),
      inventory(bundles(['1.0.1', '1.0.10', '1x0y2'])),
      NOW
    )
    expect(fates(plan)).toEqual({ '1.0.1': 'delete', '1.0.10': 'keep', '1x0y2': 'keep' })
  })
})

describe('cleanup_protect: matching versions are never deleted', () => {
  it('protects matching versions, lists them, and they do not count toward N', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 1 }), cleanupProtect: ['1.0.4', '1.0.1'] }),
      inventory(series(5)),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'protected', 'delete', 'keep', 'protected'))
    expect(reasonOf(plan, '1.0.4')).toContain('matches cleanup_protect "1.0.4"')
    expect(plan.protectedVersions).toEqual(['1.0.4', '1.0.1'])
    expect(deleted(plan)).toEqual(['1.0.0', '1.0.2'])
  })

  it('globs: * and ? with literal dots', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }), cleanupProtect: ['1.*', '?.5.0'] }),
      inventory(bundles(['1.0.0', '1.9.9', '2.0.0', '3.5.0', '10.5.0', '1x'])),
      NOW
    )
    expect(fates(plan)).toEqual({
      '1.0.0': 'protected',
      '1.9.9': 'protected',
      '2.0.0': 'delete',
      '3.5.0': 'protected',
      '10.5.0': 'delete',
      '1x': 'delete'
    })
    expect(reasonOf(plan, '3.5.0')).toContain('matches cleanup_protect "?.5.0"')
  })
})

// ---- cleanup_order ---------------------------------------------------------------------------

describe('cleanup_order', () => {
  // Uploaded in this order: 2.0.0 first, 1.5.0 last.
  const rows = bundles(['2.0.0', '1.0.0', '1.5.0'])

  it('created (the default): newest means uploaded last', () => {
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 1 }) }), inventory(rows), NOW)
    expect(fates(plan)).toEqual({ '2.0.0': 'delete', '1.0.0': 'delete', '1.5.0': 'keep' })
  })

  it('semver: newest means highest version, whatever the upload time', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 1, order: 'semver' }) }),
      inventory(rows),
      NOW
    )
    expect(fates(plan)).toEqual({ '2.0.0': 'keep', '1.0.0': 'delete', '1.5.0': 'delete' })
    expect(reasonOf(plan, '2.0.0')).toContain('one of the 1 highest (cleanup_keep)')
    expect(reasonOf(plan, '1.5.0')).toContain('outside the 1 highest')
    // Deletions still go oldest upload first.
    expect(deleted(plan)).toEqual(['1.0.0', '1.5.0'])
  })

  it('semver: names that are not semver are never candidates', () => {
    const names = ['v1.0.0', '1.0.0', 'latest', '1.1.0', '1.0', '01.0.0']
    const semver = makePlan(
      settings({ cleanup: cleanup({ keep: 0, order: 'semver' }) }),
      inventory(bundles(names)),
      NOW
    )
    expect(fates(semver)).toEqual({
      'v1.0.0': 'keep',
      '1.0.0': 'delete',
      latest: 'keep',
      '1.1.0': 'delete',
      '1.0': 'keep',
      '01.0.0': 'keep'
    })
    expect(reasonOf(semver, 'latest')).toContain('not a semver version (cleanup_order: semver)')
    // Under created, the same names are all candidates.
    const created = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }) }),
      inventory(bundles(names)),
      NOW
    )
    expect(deleted(created)).toHaveLength(names.length)
  })

  it('semver: numbers compare as numbers, pre-releases rank below their release', () => {
    const mixed = bundles([
      '1.0.0',
      '1.10.0',
      '1.0.0-rc.1',
      '1.9.0',
      '1.0.0-beta.11',
      '1.0.0-beta.2',
      '0.9.0'
    ])
    const keep = (n: number): string[] => {
      const plan = makePlan(
        settings({ cleanup: cleanup({ keep: n, order: 'semver' }) }),
        inventory(mixed),
        NOW
      )
      return plan.bundles.filter(d => d.fate === 'keep').map(d => d.version)
    }
    expect(new Set(keep(2))).toEqual(new Set(['1.10.0', '1.9.0']))
    expect(new Set(keep(4))).toEqual(new Set(['1.10.0', '1.9.0', '1.0.0', '1.0.0-rc.1']))
    expect(new Set(keep(5))).toEqual(
      new Set(['1.10.0', '1.9.0', '1.0.0', '1.0.0-rc.1', '1.0.0-beta.11'])
    )
  })

  it('semver: equal precedence (build metadata differs) falls back to the upload time', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 1, order: 'semver' }) }),
      inventory(bundles(['1.0.0+b', '1.0.0+a'])),
      NOW
    )
    expect(fates(plan)).toEqual({ '1.0.0+a': 'keep', '1.0.0+b': 'delete' })
  })
})

// ---- delete_versions -------------------------------------------------------------------------

describe('delete_versions', () => {
  it('deletes the listed versions in the order given, before the cleanup', () => {
    const plan = makePlan(
      settings({ deleteVersions: ['1.0.3', '1.0.1'], cleanup: cleanup({ keep: 2 }) }),
      inventory(series(6)),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'delete', 'delete', 'delete', 'keep', 'keep'))
    expect(reasonOf(plan, '1.0.3')).toBe('listed in delete_versions')
    expect(plan.bundles.find(d => d.version === '1.0.3')?.source).toBe('delete_versions')
    expect(plan.bundles.find(d => d.version === '1.0.2')?.source).toBe('cleanup')
    // Explicit deletions do not count toward N either.
    expect(phases(plan)).toEqual([
      { phase: 'bundles', versions: ['1.0.3', '1.0.1', '1.0.0', '1.0.2'] }
    ])
    expect(plan.keptCount).toBe(2)
    expect(plan.errors).toEqual([])
  })

  it.each([
    {
      rule: 'a bundle a channel uses',
      channels: (rows: Bundle[]) => [channel('production', rows[2]!)],
      extra: {},
      reason: 'on channel "production"'
    },
    {
      rule: 'a rollout bundle',
      channels: (rows: Bundle[]) => [channel('beta', rows[3]!, { rollout_version: rows[2]!.id })],
      extra: {},
      reason: 'rollout bundle of channel "beta"'
    },
    {
      rule: 'the bundle this run puts on channel',
      channels: () => [],
      extra: { channel: 'production', version: '1.0.2' },
      reason: 'put on channel "production" by this run'
    },
    {
      rule: 'the rollback target of the channel this run changes',
      channels: (rows: Bundle[]) => [channel('production', rows[2]!)],
      extra: { channel: 'production', version: '1.0.3' },
      reason: 'rollback target of channel "production"'
    },
    {
      rule: 'a version matching cleanup_protect',
      channels: () => [],
      extra: { cleanupProtect: ['?.?.2'] },
      reason: 'matches cleanup_protect "?.?.2"'
    }
  ])('a protected version fails the run before any write: $rule', ({ channels, extra, reason }) => {
    const rows = series(4)
    const plan = makePlan(
      settings({ deleteVersions: ['1.0.0', '1.0.2'], ...extra }),
      inventory(rows, channels(rows)),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('"1.0.2" (delete_versions) is protected')
    expect(plan.errors[0]).toContain(reason)
    expect(fates(plan)['1.0.2']).toBe('protected')
    expect(deleted(plan)).not.toContain('1.0.2')
  })

  it('a version already gone is a warning, not an error', () => {
    const rows = [...series(2), { ...bundle(3, '1.0.2'), deleted: true }]
    const plan = makePlan(
      settings({ deleteVersions: ['9.9.9', '1.0.1', '1.0.2'] }),
      inventory(rows),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.warnings).toHaveLength(2)
    expect(plan.warnings[0]).toContain(
      '"9.9.9" (delete_versions) was not found (never uploaded, or already deleted)'
    )
    expect(plan.warnings[1]).toContain(
      '"1.0.2" (delete_versions) was not found (never uploaded, or already deleted)'
    )
    expect(deleted(plan)).toEqual(['1.0.1'])
    expect(fates(plan)).toEqual({ '1.0.0': 'keep', '1.0.1': 'delete' })
    expect(reasonOf(plan, '1.0.0')).toContain('not selected for deletion')
  })

  it('explicit deletions list the protected versions too', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ deleteVersions: ['1.0.0'] }),
      inventory(rows, [channel('production', rows[2]!)]),
      NOW
    )
    expect(plan.protectedVersions).toEqual(['1.0.2'])
    expect(plan.keptCount).toBe(2)
  })
})

// ---- delete_all_bundles ----------------------------------------------------------------------

describe('delete_all_bundles: every bundle except the protected ones', () => {
  it('honours the protected set and runs in its own phase after the others, oldest first', () => {
    const rows = series(7)
    const plan = makePlan(
      settings({
        deleteAllBundles: true,
        deleteVersions: ['1.0.2'],
        cleanupProtect: ['1.0.0']
      }),
      inventory(rows, [channel('production', rows[4]!, { rollout_version: rows[5]!.id })]),
      NOW
    )
    expect(fates(plan)).toEqual(
      seriesFates('protected', 'delete', 'delete', 'delete', 'protected', 'protected', 'delete')
    )
    expect(reasonOf(plan, '1.0.1')).toBe('delete_all_bundles')
    expect(reasonOf(plan, '1.0.5')).toContain('rollout bundle of channel "production"')
    expect(phases(plan)).toEqual([
      { phase: 'bundles', versions: ['1.0.2'] },
      { phase: 'delete_all_bundles', versions: ['1.0.1', '1.0.3', '1.0.6'] }
    ])
    expect(plan.deletions[1]?.decisions.every(d => d.source === 'delete_all_bundles')).toBe(true)
    expect(plan.protectedVersions).toEqual(['1.0.5', '1.0.4', '1.0.0'])
    expect(plan.keptCount).toBe(3)
    expect(plan.errors).toEqual([])
  })

  it('honours the bundle this run puts on channel and the rollback target', () => {
    const rows = series(4)
    const plan = makePlan(
      settings({ deleteAllBundles: true, channel: 'production', version: '1.0.2' }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('protected', 'delete', 'protected', 'delete'))
    expect(phases(plan)).toEqual([{ phase: 'delete_all_bundles', versions: ['1.0.1', '1.0.3'] }])
  })

  // docs/contract.md: delete_all_bundles "deletes every bundle except the protected ones". A bundle that
  // a cleanup in the same run keeps (one of the N newest, or outside cleanup_pattern) is not
  // protected, but the planner keeps it: planCleanup records a `keep` decision and the delete-all
  // loop skips every bundle that already has a decision.
  it('with cleanup_keep as well, the bundles the cleanup keeps are still deleted', () => {
    const plan = makePlan(
      settings({ deleteAllBundles: true, cleanup: cleanup({ keep: 2 }) }),
      inventory(series(4)),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'delete', 'delete', 'delete'))
    expect(plan.keptCount).toBe(0)
  })
})

// ---- max_delete ------------------------------------------------------------------------------

describe('max_delete: over the whole plan', () => {
  // 1.0.5 listed in delete_versions, 1.0.0 outside the 3 newest candidates (1.0.4 is protected).
  const twoDeletions = (maxDelete: number): Plan => {
    const rows = series(6)
    return makePlan(
      settings({ maxDelete, deleteVersions: ['1.0.5'], cleanup: cleanup({ keep: 3 }) }),
      inventory(rows, [channel('production', rows[4]!)]),
      NOW
    )
  }

  it.each([
    { maxDelete: 100, ok: true },
    { maxDelete: 2, ok: true },
    { maxDelete: 1, ok: false },
    { maxDelete: 0, ok: false }
  ])('explicit + cleanup = 2 deletions, max_delete $maxDelete', ({ maxDelete, ok }) => {
    const plan = twoDeletions(maxDelete)
    expect(deleted(plan)).toEqual(['1.0.5', '1.0.0'])
    if (ok) {
      expect(plan.errors).toEqual([])
    } else {
      expect(plan.errors).toHaveLength(1)
      expect(plan.errors[0]).toContain(`deletes 2 bundles, more than max_delete (${maxDelete})`)
    }
  })

  it('counts explicit and delete-all deletions together', () => {
    const base = { deleteVersions: ['1.0.4'], deleteAllBundles: true }
    const ok = makePlan(settings({ ...base, maxDelete: 5 }), inventory(series(5)), NOW)
    expect(ok.errors).toEqual([])
    expect(phases(ok)).toEqual([
      { phase: 'bundles', versions: ['1.0.4'] },
      { phase: 'delete_all_bundles', versions: ['1.0.0', '1.0.1', '1.0.2', '1.0.3'] }
    ])
    const over = makePlan(settings({ ...base, maxDelete: 4 }), inventory(series(5)), NOW)
    expect(over.errors).toEqual([
      'The plan deletes 5 bundles, more than max_delete (4). Nothing was deleted. ' +
        'Raise max_delete if this is intended.'
    ])
  })

  it('a plan that deletes nothing passes max_delete 0', () => {
    const plan = makePlan(
      settings({ maxDelete: 0, cleanup: cleanup({ keep: 10 }) }),
      inventory(series(4)),
      NOW
    )
    expect(plan.errors).toEqual([])
  })
})

// ---- the safety rules ------------------------------------------------------------------------

describe('safety rules: protected always', () => {
  it('every bundle a channel uses, as version or rollout_version', () => {
    const rows = series(6)
    const channels = [
      channel('production', rows[1]!, { rollout_version: rows[3]!.id }),
      channel('beta', rows[2]!),
      channel('empty', null, { rollout_version: rows[0]!.id })
    ]
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, channels),
      NOW
    )
    expect(fates(plan)).toEqual(
      seriesFates('protected', 'protected', 'protected', 'protected', 'delete', 'delete')
    )
    expect(reasonOf(plan, '1.0.0')).toContain('rollout bundle of channel "empty"')
    expect(reasonOf(plan, '1.0.1')).toContain('on channel "production"')
    expect(reasonOf(plan, '1.0.3')).toContain('rollout bundle of channel "production"')
    expect(plan.protectedVersions).toEqual(['1.0.3', '1.0.2', '1.0.1', '1.0.0'])
  })

  it('the bundle this run puts on channel, and the previous_version of that channel', () => {
    const rows = series(5)
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.3', cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, [channel('production', rows[1]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'protected', 'delete', 'protected', 'delete'))
    expect(reasonOf(plan, '1.0.3')).toContain('put on channel "production" by this run')
    expect(reasonOf(plan, '1.0.1')).toContain('rollback target of channel "production"')
  })

  it('promote_from: the promoted bundle and the rollback target', () => {
    const rows = series(5)
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta', cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, [channel('production', rows[0]!), channel('beta', rows[3]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('protected', 'delete', 'delete', 'protected', 'delete'))
    expect(reasonOf(plan, '1.0.0')).toContain('rollback target of channel "production"')
    expect(plan.channel?.versionSource).toEqual({ kind: 'promote_from', channel: 'beta' })
  })

  it('a new channel protects the bundle it gets, and there is no rollback target', () => {
    const plan = makePlan(
      settings({ channel: 'pr-42', version: '1.0.1', cleanup: cleanup({ keep: 0 }) }),
      inventory(series(3)),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'protected', 'delete'))
  })

  it('a channel whose bundle does not change keeps it protected, and its rollout bundle', () => {
    const rows = series(4)
    const plan = makePlan(
      settings({
        channel: 'production',
        channelFields: { public: true },
        cleanup: cleanup({ keep: 0 })
      }),
      inventory(rows, [channel('production', rows[2]!, { rollout_version: rows[0]!.id })]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('protected', 'delete', 'protected', 'delete'))
    expect(reasonOf(plan, '1.0.2')).toContain('channel "production"')
    expect(reasonOf(plan, '1.0.0')).toContain('rollout bundle of channel "production"')
  })

  it('a release run that finds the channel already on its bundle skips the cleanup: it cannot know the rollback target', () => {
    const rows = series(6)
    // The first run moved production from 1.0.2 to 1.0.5 and kept 1.0.2 as the rollback target;
    // this is the same release run again: 1.0.2 is now an ordinary bundle for the cleanup.
    const again = settings({
      channel: 'production',
      version: '1.0.5',
      cleanup: cleanup({ keep: 1 })
    })
    const state = inventory(rows, [channel('production', rows[5]!)])
    const plan = makePlan(again, state, NOW)
    expect(plan.errors).toEqual([])
    expect(deleted(plan)).toEqual([])
    expect(plan.warnings.join('\n')).toMatch(/cleanup was skipped.*rollback target/s)
    // With the release history, the same run cleans up (the history protects the releases).
    const withHistory = makePlan(
      { ...again, cleanupKeepReleases: 2 },
      { ...state, releases: { production: releases('1.0.5', '1.0.2') } },
      NOW
    )
    expect(deleted(withHistory)).toEqual(['1.0.0', '1.0.1', '1.0.3'])
    expect(withHistory.protectedVersions).toContain('1.0.2')
  })

  it('cleanup_keep_releases counts the steps of one staged rollout as one release, and protects its rollout bundle', () => {
    const rows = series(8)
    // Newest first: three steps of rolling 1.0.7 out over 1.0.6, then 1.0.6, then 1.0.5.
    const history = [
      ...['50', '25', '5'].map((_, i) => ({
        version: '1.0.6',
        rolloutVersion: '1.0.7',
        deploymentId: 100 - i,
        createdAt: new Date(NOW - (i + 1) * 3_600_000).toISOString()
      })),
      ...releases('1.0.6', '1.0.5').map(r => ({
        ...r,
        createdAt: new Date(NOW - 86_400_000 * 2).toISOString()
      }))
    ]
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 0 }), cleanupKeepReleases: 3, maxDelete: 100 }),
      { ...inventory(rows, [channel('production', rows[6]!)]), releases: { production: history } },
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.protectedVersions).toEqual(expect.arrayContaining(['1.0.7', '1.0.6', '1.0.5']))
    expect(reasonOf(plan, '1.0.5')).toBe('release 3 of channel "production"')
    expect(deleted(plan)).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'])
  })

  it('putting on a channel the bundle it is rolling out: Capgo ends the rollout, and the plan says so', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.2' }),
      inventory(rows, [channel('production', rows[1]!, rollout(rows[2]!, 25))]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.write?.kind).toBe('set_bundle')
    expect(plan.channel?.endsRollout?.version).toBe('1.0.2')
    expect(plan.channel?.after.rollout).toBeNull()
    expect(plan.warnings.join('\n')).toMatch(
      /Capgo ends the rollout of "1.0.2" at 25 % .*that bundle now goes to every device/s
    )
  })

  it('public: true warns that Capgo makes the other public channels non-public', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'beta', channelFields: { public: true } }),
      inventory(rows, [
        channel('production', rows[1]!, { public: true }),
        channel('beta', rows[0]!)
      ]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.warnings.join('\n')).toMatch(/Capgo makes "production" non-public/)
  })

  it.each(['unknown', 'builtin'])(
    'a bundle named %j is never put on a channel: Capgo reads the name as "unlink"',
    name => {
      const rows = [...series(2), { ...series(3)[2]!, id: 77, name }]
      const viaVersion = makePlan(
        settings({ channel: 'production', version: name }),
        inventory(rows, [channel('production', rows[0]!)]),
        NOW
      )
      expect(viaVersion.channel?.write).toBeNull()
      expect(viaVersion.errors.join('\n')).toMatch(/unlink/)
      const viaPromotion = makePlan(
        settings({ channel: 'production', promoteFrom: 'beta' }),
        inventory(rows, [channel('production', rows[0]!), channel('beta', rows[2]!)]),
        NOW
      )
      expect(viaPromotion.channel?.write).toBeNull()
      expect(viaPromotion.errors.join('\n')).toMatch(/unlink/)
    }
  )

  it('a channel that this run deletes protects nothing', () => {
    const rows = series(4)
    const plan = makePlan(
      settings({ deleteChannel: 'pr-42', deleteVersions: ['1.0.1', '1.0.2'] }),
      inventory(rows, [channel('pr-42', rows[1]!, { rollout_version: rows[2]!.id })]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(deleted(plan)).toEqual(['1.0.1', '1.0.2'])
    expect(plan.protectedVersions).toEqual([])
    expect(plan.deleteChannel).toEqual({ name: 'pr-42', exists: true })
  })

  it('a bundle the deleted channel shares with another channel stays protected', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ deleteChannel: 'pr-42', cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, [channel('pr-42', rows[1]!), channel('beta', rows[1]!)]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('delete', 'protected', 'delete'))
    expect(reasonOf(plan, '1.0.1')).toContain('on channel "beta"')
  })
})

// ---- plan shape ------------------------------------------------------------------------------

describe('bundles read, decisions and keptCount', () => {
  it('no bundles read: no decisions, keptCount undefined', () => {
    const plan = makePlan(settings({ channel: 'beta' }), inventory(undefined), NOW)
    expect(plan.bundlesRead).toBe(false)
    expect(plan.bundles).toEqual([])
    expect(plan.deletions).toEqual([])
    expect(plan.keptCount).toBeUndefined()
  })

  it('bundles read only to check a version: no decisions, every bundle kept', () => {
    const plan = makePlan(
      settings({ channel: 'beta', version: '1.0.1' }),
      inventory(series(3)),
      NOW
    )
    expect(plan.bundlesRead).toBe(true)
    expect(plan.bundles).toEqual([])
    expect(plan.protectedVersions).toEqual([])
    expect(plan.keptCount).toBe(3)
  })

  it('one decision per bundle, newest first, with its id and upload time', () => {
    const rows = series(3)
    const plan = makePlan(settings({ cleanup: cleanup({ keep: 1 }) }), inventory(rows), NOW)
    expect(plan.bundles).toEqual([
      {
        id: 3,
        version: '1.0.2',
        createdAt: rows[2]!.created_at,
        fate: 'keep',
        reason: 'one of the 1 newest (cleanup_keep)'
      },
      {
        id: 2,
        version: '1.0.1',
        createdAt: rows[1]!.created_at,
        fate: 'delete',
        reason: 'outside the 1 newest',
        source: 'cleanup'
      },
      {
        id: 1,
        version: '1.0.0',
        createdAt: rows[0]!.created_at,
        fate: 'delete',
        reason: 'outside the 1 newest',
        source: 'cleanup'
      }
    ])
    expect(plan.appId).toBe(APP)
  })
})

// ---- the channel -----------------------------------------------------------------------------

describe('channel: create or update by the narrowest route, sending only what changes', () => {
  it('creates a missing channel with every given field, defaults or not (POST /channel)', () => {
    const plan = makePlan(
      settings({
        channel: 'pr-42',
        version: '1.0.1',
        channelFields: { disableAutoUpdate: 'major', allowDev: false },
        platforms: { ios: true }
      }),
      inventory(series(3)),
      NOW
    )
    expect(plan.channel).toMatchObject({
      name: 'pr-42',
      exists: false,
      id: null,
      before: null,
      versionSource: { kind: 'version' },
      target: { id: 2, version: '1.0.1' }
    })
    expect(plan.channel?.write).toEqual({
      kind: 'upsert',
      body: {
        app_id: APP,
        channel: 'pr-42',
        version: '1.0.1',
        ios: true,
        disableAutoUpdate: 'major',
        allow_dev: false
      }
    })
    // The platforms are sent but are no change: Capgo never reports them.
    expect(plan.channel?.changes).toEqual(['created', 'version', 'disableAutoUpdate', 'allow_dev'])
    expect(plan.channel?.after).toMatchObject({ version: '1.0.1', versionId: 2, allowDev: false })
    expect(plan.errors).toEqual([])
  })

  it('creates a missing channel with no field: only app_id and channel', () => {
    const plan = makePlan(settings({ channel: 'pr-42' }), inventory(undefined), NOW)
    expect(plan.channel?.write).toEqual({ kind: 'upsert', body: { app_id: APP, channel: 'pr-42' } })
    expect(plan.channel?.changes).toEqual(['created'])
    expect(plan.channel?.after.version).toBeNull()
  })

  it('a bundle change alone on an existing channel goes by PUT /bundle, by ids', () => {
    const rows = series(3)
    const production = channel('production', rows[0]!)
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.2' }),
      inventory(rows, [production]),
      NOW
    )
    expect(plan.channel?.write).toEqual({
      kind: 'set_bundle',
      body: { app_id: APP, version_id: rows[2]!.id, channel_id: production.id }
    })
    expect(plan.channel?.changes).toEqual(['version'])
    expect(plan.channel?.before).toMatchObject({ version: '1.0.0', versionId: rows[0]!.id })
    expect(plan.channel?.after).toMatchObject({ version: '1.0.2', versionId: rows[2]!.id })
  })

  it.each<{ name: string; extra: Partial<Settings>; body: Record<string, unknown> }>([
    {
      name: 'a setting',
      extra: { channelFields: { allowEmulator: false } },
      body: { version: '1.0.2', allow_emulator: false }
    },
    {
      name: 'a platform',
      extra: { platforms: { android: true } },
      body: { version: '1.0.2', android: true }
    }
  ])(
    'a bundle change with $name goes by POST /channel, with the bundle by name',
    ({ extra, body }) => {
      const rows = series(3)
      const plan = makePlan(
        settings({ channel: 'production', version: '1.0.2', ...extra }),
        inventory(rows, [channel('production', rows[0]!)]),
        NOW
      )
      expect(plan.channel?.write).toEqual({
        kind: 'upsert',
        body: { app_id: APP, channel: 'production', ...body }
      })
    }
  )

  it('updates an existing channel with the changed fields only', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.0',
        channelFields: { public: true, allowDev: false, allowDeviceSelfSet: false }
      }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.channel?.exists).toBe(true)
    expect(plan.channel?.write).toEqual({
      kind: 'upsert',
      body: { app_id: APP, channel: 'production', public: true, allow_dev: false }
    })
    expect(plan.channel?.changes).toEqual(['public', 'allow_dev'])
    expect(plan.channel?.before?.version).toBe('1.0.0')
    expect(plan.channel?.after).toMatchObject({ version: '1.0.0', public: true, allowDev: false })
  })

  it.each<{ field: keyof ChannelFieldSettings; api: string; value: unknown }>([
    { field: 'public', api: 'public', value: true },
    { field: 'disableAutoUpdate', api: 'disableAutoUpdate', value: 'none' },
    { field: 'disableAutoUpdateUnderNative', api: 'disableAutoUpdateUnderNative', value: false },
    { field: 'allowDeviceSelfSet', api: 'allow_device_self_set', value: true },
    { field: 'allowEmulator', api: 'allow_emulator', value: false },
    { field: 'allowDev', api: 'allow_dev', value: false }
  ])('field $field is sent as $api when it changes', ({ field, api, value }) => {
    const plan = makePlan(
      settings({ channel: 'beta', channelFields: { [field]: value } }),
      inventory(undefined, [channel('beta')]),
      NOW
    )
    expect(plan.channel?.write).toEqual({
      kind: 'upsert',
      body: { app_id: APP, channel: 'beta', [api]: value }
    })
    expect(plan.channel?.changes).toEqual([api])
  })

  it.each<{ platforms: Settings['platforms'] }>([
    { platforms: { ios: true } },
    { platforms: { android: false } },
    { platforms: { electron: true } },
    { platforms: { ios: false, android: false, electron: true } }
  ])(
    'platforms $platforms are always sent, never read from the channel, never a change',
    ({ platforms }) => {
      const rows = series(2)
      const plan = makePlan(
        settings({ channel: 'beta', version: '1.0.1', platforms }),
        inventory(rows, [channel('beta', rows[1]!)]),
        NOW
      )
      expect(plan.errors).toEqual([])
      expect(plan.channel?.write).toEqual({
        kind: 'upsert',
        body: { app_id: APP, channel: 'beta', ...platforms }
      })
      expect(plan.channel?.changes).toEqual([])
      expect(plan.channel?.platforms).toEqual(platforms)
    }
  )

  it('an existing channel already as asked, no platform given: no write', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'beta', version: '1.0.1', channelFields: { public: false } }),
      inventory(rows, [channel('beta', rows[1]!)]),
      NOW
    )
    expect(plan.channel?.write).toBeNull()
    expect(plan.channel?.changes).toEqual([])
  })

  it.each([
    { what: 'never uploaded', rows: series(2) },
    { what: 'deleted', rows: [...series(2), { ...bundle(3, '9.9.9'), deleted: true }] }
  ])('version must be in the bundle inventory: $what', ({ rows }) => {
    const plan = makePlan(
      settings({ channel: 'beta', version: '9.9.9' }),
      inventory(rows, [channel('beta', rows[0]!)]),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('Bundle "9.9.9" (version) is not among')
    expect(plan.channel?.write).toBeNull()
  })

  it('promote_from a channel that does not exist fails', () => {
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta' }),
      inventory(undefined, [channel('production')]),
      NOW
    )
    expect(plan.errors).toEqual(['Channel "beta" (promote_from) does not exist.'])
  })

  it('promote_from a channel without a bundle fails', () => {
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta' }),
      inventory(undefined, [channel('production'), channel('beta')]),
      NOW
    )
    expect(plan.errors).toEqual(['Channel "beta" (promote_from) has no bundle to promote.'])
  })

  it('promote_from puts the source channel bundle on channel, by PUT /bundle', () => {
    const rows = series(2)
    const production = channel('production', rows[0]!)
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta' }),
      inventory(undefined, [production, channel('beta', rows[1]!)]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.write).toEqual({
      kind: 'set_bundle',
      body: { app_id: APP, version_id: rows[1]!.id, channel_id: production.id }
    })
    expect(plan.channel?.before?.version).toBe('1.0.0')
    expect(plan.channel?.versionSource).toEqual({ kind: 'promote_from', channel: 'beta' })
  })

  it.each<{ name: string; version: unknown }>([
    { name: '{id, name}', version: { id: 2, name: '1.0.1' } },
    { name: '{id} (name from the bundle list)', version: { id: 2 } },
    { name: 'a bare id (name from the bundle list)', version: 2 }
  ])('promote_from reads the source bundle given as $name', ({ version }) => {
    const rows = series(2)
    const production = channel('production', rows[0]!)
    const beta = { ...channel('beta'), version } as unknown as Channel
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta', bundleComment: 'c' }),
      inventory(rows, [production, beta]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.target).toEqual({ id: 2, version: '1.0.1' })
    expect(plan.channel?.write).toEqual({
      kind: 'set_bundle',
      body: { app_id: APP, version_id: 2, channel_id: production.id }
    })
  })

  it('promote_from a channel whose bundle Capgo does not identify fails', () => {
    const beta = { ...channel('beta'), version: {} } as unknown as Channel
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta' }),
      inventory(undefined, [channel('production'), beta]),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('"beta" (promote_from)')
    expect(plan.channel?.write).toBeNull()
  })

  it.each<{ name: string; channels: (rows: Bundle[]) => Channel[]; extra: Partial<Settings> }>([
    {
      name: 'a new channel with a version and fields',
      channels: () => [],
      extra: { version: '1.0.1', channelFields: { public: true, disableAutoUpdate: 'minor' } }
    },
    {
      name: 'an existing channel moved to another bundle, with a setting',
      channels: rows => [channel('production', rows[0]!)],
      extra: { version: '1.0.2', channelFields: { allowEmulator: false } }
    },
    {
      name: 'an existing channel moved to another bundle alone',
      channels: rows => [channel('production', rows[0]!)],
      extra: { version: '1.0.2' }
    },
    {
      name: 'a promotion',
      channels: rows => [channel('production', rows[0]!), channel('beta', rows[2]!)],
      extra: { promoteFrom: 'beta' }
    }
  ])(
    'idempotent: the same inputs against the state after the write send nothing ($name)',
    ({ channels, extra }) => {
      const rows = series(3)
      const s = settings({ channel: 'production', ...extra })
      const before = channels(rows)
      const first = makePlan(s, inventory(rows, before), NOW)
      expect(first.errors).toEqual([])
      expect(first.channel?.write).not.toBeNull()
      const state = applyWrite(before, rows, first.channel?.write)
      const second = makePlan(s, inventory(rows, state), NOW)
      expect(second.errors).toEqual([])
      expect(second.channel?.write).toBeNull()
      expect(second.channel?.changes).toEqual([])
      expect(second.channel?.after).toEqual(first.channel?.after)
    }
  )

  it.each<{ name: string; version: unknown; bundlesRead: boolean }>([
    { name: 'a bare name', version: '1.0.1', bundlesRead: true },
    { name: 'a bare name, bundles not read', version: '1.0.1', bundlesRead: false },
    { name: 'a bare id', version: 2, bundlesRead: true },
    { name: '{id} without name', version: { id: 2 }, bundlesRead: true }
  ])(
    'a channel whose bundle Capgo gives as $name is already as asked',
    ({ version, bundlesRead }) => {
      const rows = series(2)
      const production = { ...channel('production'), version } as unknown as Channel
      const plan = makePlan(
        settings({ channel: 'production', promoteFrom: 'beta' }),
        inventory(bundlesRead ? rows : undefined, [production, channel('beta', rows[1]!)]),
        NOW
      )
      expect(plan.errors).toEqual([])
      expect(plan.channel?.write).toBeNull()
      expect(plan.channel?.changes).toEqual([])
    }
  )

  it('a re-run with platforms writes them again, and nothing else; it changes nothing', () => {
    const rows = series(3)
    const s = settings({ channel: 'production', version: '1.0.2', platforms: { ios: false } })
    const channels = [channel('production', rows[0]!)]
    const first = makePlan(s, inventory(rows, channels), NOW)
    expect(first.channel?.changes).toEqual(['version'])
    const second = makePlan(
      s,
      inventory(rows, applyWrite(channels, rows, first.channel?.write)),
      NOW
    )
    expect(second.channel?.write).toEqual({
      kind: 'upsert',
      body: { app_id: APP, channel: 'production', ios: false }
    })
    expect(second.channel?.changes).toEqual([])
  })
})

describe('snapshotOf: a channel row as Capgo gives it', () => {
  const rows = series(3)
  const byId = new Map(rows.map(b => [b.id, b]))

  it.each<{
    name: string
    version: unknown
    expected: { version: string | null; versionId: number | null }
  }>([
    {
      name: '{id, name}',
      version: { id: 2, name: '1.0.1' },
      expected: { version: '1.0.1', versionId: 2 }
    },
    { name: 'a bare id', version: 3, expected: { version: '1.0.2', versionId: 3 } },
    { name: 'a bare name', version: '1.0.0', expected: { version: '1.0.0', versionId: 1 } },
    {
      name: 'a bare name the bundle list lacks',
      version: '9.9.9',
      expected: { version: '9.9.9', versionId: null }
    },
    { name: '{id} without name', version: { id: 1 }, expected: { version: '1.0.0', versionId: 1 } },
    {
      name: 'an id the bundle list lacks',
      version: 77,
      expected: { version: null, versionId: 77 }
    },
    { name: 'null', version: null, expected: { version: null, versionId: null } }
  ])('version as $name', ({ version, expected }) => {
    const row = { ...channel('beta'), version } as unknown as Channel
    expect(snapshotOf(row, byId)).toMatchObject(expected)
  })

  it('reads the settings the row has', () => {
    const row = channel('beta', rows[0]!, {
      public: true,
      disableAutoUpdate: 'patch',
      disableAutoUpdateUnderNative: false,
      allow_device_self_set: true,
      allow_emulator: false,
      allow_dev: false
    })
    expect(snapshotOf(row, byId)).toEqual({
      version: '1.0.0',
      versionId: 1,
      public: true,
      disableAutoUpdate: 'patch',
      disableAutoUpdateUnderNative: false,
      allowDeviceSelfSet: true,
      allowEmulator: false,
      allowDev: false,
      rollout: null,
      // No auto-pause fields in the row (an older or self-hosted Capgo): not reported.
      autoPause: null
    })
  })

  it("reads Capgo's auto-pause fields when the row has them", () => {
    const row = channel('beta', rows[0]!, {
      autoPauseEnabled: true,
      autoPauseFailureRateBps: 500,
      autoPauseWindowMinutes: 360,
      autoPauseMinAttempts: 100,
      autoPauseAction: 'rollback',
      autoPauseLastTriggeredAt: '2026-11-30T10:00:00.000Z'
    })
    expect(snapshotOf(row, byId).autoPause).toEqual({
      enabled: true,
      failureRateBps: 500,
      windowMinutes: 360,
      minAttempts: 100,
      action: 'rollback',
      lastTriggeredAt: '2026-11-30T10:00:00.000Z'
    })
  })

  it.each<{ name: string; extra: Partial<Channel>; rollout: unknown }>([
    {
      name: 'a running rollout',
      extra: rollout(rows[2]!, 25),
      rollout: {
        version: '1.0.2',
        versionId: 3,
        percentage: 25,
        enabled: true,
        paused: false,
        pauseReason: null
      }
    },
    {
      name: 'a share in basis points',
      extra: rollout(rows[2]!, 12.34),
      rollout: { percentage: 12.34 }
    },
    {
      name: 'a rollout not enabled',
      extra: rollout(rows[2]!, 5, { enabled: false }),
      rollout: { enabled: false, paused: false }
    },
    {
      name: 'a rollout paused by Capgo, with its reason',
      extra: rollout(rows[2]!, 50, { pausedReason: 'failure rate 12% above 5%' }),
      rollout: { paused: true, pauseReason: 'failure rate 12% above 5%' }
    },
    {
      name: 'rollout_version without rollout_version_info (name from the bundle list)',
      extra: { rollout_version: 2, rolloutPercentageBps: 1000, rolloutEnabled: true },
      rollout: { version: '1.0.1', versionId: 2, percentage: 10 }
    },
    {
      name: 'rollout_version unknown to the bundle list',
      extra: { rollout_version: 88, rolloutPercentageBps: 500 },
      rollout: { version: null, versionId: 88, percentage: 5, enabled: false }
    },
    {
      name: 'no rollout_version',
      extra: { rolloutPercentageBps: 5000, rolloutEnabled: true },
      rollout: null
    }
  ])('rollout: $name', ({ extra, rollout: expected }) => {
    const snapshot = snapshotOf(channel('production', rows[0]!, extra), byId)
    if (expected === null) expect(snapshot.rollout).toBeNull()
    else expect(snapshot.rollout).toMatchObject(expected as object)
  })
})

describe('rollback: the most recent earlier release that still exists', () => {
  const rollbackOf = (history: string[], current: number, deleted: string[] = []) => {
    const rows = series(5).map(b => (deleted.includes(b.name) ? { ...b, deleted: true } : b))
    const production = channel('production', rows[current]!)
    return {
      production,
      rows,
      plan: makePlan(
        settings({
          channel: 'production',
          rollback: true,
          github: { token: 't', deployment: false, prComment: false }
        }),
        inventory(rows, [production], {}, { production: releases(...history) }),
        NOW
      )
    }
  }

  it('refuses on a channel that does not exist (it would create one)', () => {
    const rows = series(5)
    const plan = makePlan(
      settings({
        channel: 'staging',
        rollback: true,
        github: { token: 't', deployment: false, prComment: false }
      }),
      inventory(rows, [channel('production', rows[4]!)], {}, { staging: releases('1.0.4') }),
      NOW
    )
    // A plan with errors is never applied: nothing is created.
    expect(plan.errors.join('\n')).toMatch(/"staging" does not exist/)
  })

  it('refuses while a rollout runs on the channel: its devices would stay on the rollout bundle', () => {
    const rows = series(5)
    const production = channel('production', rows[4]!, rollout(rows[3]!, 25))
    const plan = makePlan(
      settings({
        channel: 'production',
        rollback: true,
        github: { token: 't', deployment: false, prComment: false }
      }),
      inventory(rows, [production], {}, { production: releases('1.0.4', '1.0.2') }),
      NOW
    )
    expect(plan.channel?.write).toBeNull()
    expect(plan.errors.join('\n')).toMatch(/rollout of "1\.0\.3".*25 %.*rollout_abort/s)
  })

  it('a second rollback run after an unrecorded one steps back again, never up to the bad release', () => {
    // Released 1.0.2, 1.0.3, 1.0.4; a rollback (not recorded) moved the channel back to 1.0.3.
    const { plan } = rollbackOf(['1.0.4', '1.0.3', '1.0.2'], 3)
    expect(plan.errors).toEqual([])
    expect(plan.channel?.after.version).toBe('1.0.2')
  })

  it("a rollback's own deployment is not a release to go back to", () => {
    const rows = series(5)
    const history = [
      { ...releases('1.0.3')[0]!, deploymentId: 9100, rollback: true },
      ...releases('1.0.4', '1.0.3', '1.0.2')
    ]
    const plan = makePlan(
      settings({
        channel: 'production',
        rollback: true,
        github: { token: 't', deployment: true, prComment: false }
      }),
      inventory(rows, [channel('production', rows[3]!)], {}, { production: history }),
      NOW
    )
    // Another rollback run steps back once more (a re-run of the same job is told by its run id:
    // test/plan-rollback.test.ts); it never puts the rolled-back 1.0.4 back.
    expect(plan.errors).toEqual([])
    expect(plan.channel?.after.version).toBe('1.0.2')
  })

  it('a channel moved outside the recorded releases gets the latest release back', () => {
    // Someone put 1.0.1 on the channel by hand; the latest release is 1.0.4.
    const { plan } = rollbackOf(['1.0.4', '1.0.3', '1.0.2'], 1)
    expect(plan.channel?.after.version).toBe('1.0.4')
  })

  it('puts back the release before the current one, by PUT /bundle', () => {
    const { plan, production, rows } = rollbackOf(['1.0.4', '1.0.3', '1.0.2'], 4)
    expect(plan.errors).toEqual([])
    expect(plan.channel?.write).toEqual({
      kind: 'set_bundle',
      body: { app_id: APP, version_id: rows[3]!.id, channel_id: production.id }
    })
    expect(plan.channel?.versionSource).toEqual({
      kind: 'rollback',
      deploymentId: releases('1.0.4', '1.0.3')[1]!.deploymentId
    })
    expect(plan.channel?.after.version).toBe('1.0.3')
  })

  it.each([
    {
      name: 'skips releases of the current bundle',
      history: ['1.0.4', '1.0.4', '1.0.1'],
      current: 4,
      deleted: [],
      to: '1.0.1'
    },
    {
      name: 'skips deleted bundles',
      history: ['1.0.4', '1.0.3', '1.0.2'],
      current: 4,
      deleted: ['1.0.3'],
      to: '1.0.2'
    },
    {
      name: 'the newest release when the channel moved since',
      history: ['1.0.3', '1.0.2'],
      current: 0,
      deleted: [],
      to: '1.0.3'
    }
  ])('$name', ({ history, current, deleted, to }) => {
    const { plan } = rollbackOf(history, current, deleted)
    expect(plan.errors).toEqual([])
    expect(plan.channel?.target?.version).toBe(to)
  })

  it.each([
    { name: 'no earlier release', history: ['1.0.4'], deleted: [] as string[] },
    {
      name: 'every earlier one deleted',
      history: ['1.0.4', '1.0.3', '1.0.1'],
      deleted: ['1.0.3', '1.0.1']
    },
    { name: 'no release at all', history: [], deleted: [] }
  ])('fails before any write: $name', ({ history, deleted }) => {
    const { plan } = rollbackOf(history, 4, deleted)
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('rollback')
    for (const gone of deleted) expect(plan.errors[0]).toContain(gone)
    expect(plan.channel?.write).toBeNull()
  })

  it('fails when the release history was not read', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'production', rollback: true }),
      inventory(rows, [channel('production', rows[1]!)]),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.channel?.write).toBeNull()
  })
})

describe('bundle_link and bundle_comment: POST /bundle/metadata with what differs', () => {
  const withMeta = (b: Bundle, link: string | null, comment: string | null): Bundle => ({
    ...b,
    link,
    comment
  })

  it.each([
    { name: 'both new', link: null, comment: null, body: { link: 'L', comment: 'C' } },
    { name: 'the link already set', link: 'L', comment: null, body: { comment: 'C' } },
    { name: 'the comment already set', link: 'old', comment: 'C', body: { link: 'L' } },
    { name: 'both already set', link: 'L', comment: 'C', body: null }
  ])('$name', ({ link, comment, body }) => {
    const rows = series(3)
    rows[2] = withMeta(rows[2]!, link, comment)
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.2', bundleLink: 'L', bundleComment: 'C' }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.channel?.metadata).toEqual(
      body === null ? null : { app_id: APP, version_id: 3, ...body }
    )
  })

  it('only the input given is compared and sent', () => {
    const rows = series(2)
    rows[1] = withMeta(rows[1]!, null, 'kept')
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.1', bundleLink: 'L' }),
      inventory(rows, [channel('production', rows[1]!)]),
      NOW
    )
    expect(plan.channel?.metadata).toEqual({ app_id: APP, version_id: 2, link: 'L' })
    // The bundle is already on the channel: the metadata is the only write.
    expect(plan.channel?.write).toBeNull()
  })

  it('goes on the bundle this run rolls out', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.2',
        rollout: { percentage: 10, promote: false, abort: false },
        bundleComment: 'C'
      }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.channel?.metadata).toEqual({ app_id: APP, version_id: 3, comment: 'C' })
  })

  it('without a bundle to put on the channel: a warning, nothing sent', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'production', channelFields: { public: true }, bundleLink: 'L' }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.channel?.metadata).toBeNull()
    expect(plan.warnings).toHaveLength(1)
    expect(plan.warnings[0]).toContain('bundle_link')
  })
})

// ---- devices ---------------------------------------------------------------------------------

describe('devices', () => {
  it.each([
    { before: 'pr-42', action: 'already' },
    { before: 'beta', action: 'link' },
    { before: null, action: 'link' },
    { before: undefined, action: 'link' }
  ])('link a device whose override is $before: $action', ({ before, action }) => {
    const plan = makePlan(
      settings({ channel: 'pr-42', devices: ['dev-1'] }),
      inventory(undefined, [channel('pr-42')], { 'dev-1': before }),
      NOW
    )
    expect(plan.links).toEqual([{ deviceId: 'dev-1', action, before }])
    expect(plan.errors).toEqual([])
  })

  it.each([
    { rule: 'a public channel', row: { public: true }, fields: {}, fails: true },
    { rule: 'a channel this run makes public', row: {}, fields: { public: true }, fails: true },
    {
      rule: 'a public channel this run makes private',
      row: { public: true },
      fields: { public: false },
      fails: false
    },
    { rule: 'a private channel', row: {}, fields: {}, fails: false }
  ])('devices on $rule', ({ row, fields, fails }) => {
    const plan = makePlan(
      settings({ channel: 'production', channelFields: fields, devices: ['dev-1'] }),
      inventory(undefined, [channel('production', null, row)], { 'dev-1': null }),
      NOW
    )
    if (fails) {
      expect(plan.errors).toHaveLength(1)
      expect(plan.errors[0]).toContain('"production": it is a public (default) channel')
    } else {
      expect(plan.errors).toEqual([])
    }
  })

  it('devices on a new channel made public fail', () => {
    const plan = makePlan(
      settings({ channel: 'pr-42', channelFields: { public: true }, devices: ['dev-1'] }),
      inventory(undefined, [], {}),
      NOW
    )
    expect(plan.errors[0]).toContain('public (default) channel')
  })

  it.each([
    { before: null, action: 'already' },
    { before: undefined, action: 'unlink' },
    { before: 'beta', action: 'unlink' }
  ])('unlink a device whose override is $before: $action', ({ before, action }) => {
    const plan = makePlan(
      settings({ unlinkDevices: ['dev-1'] }),
      inventory(undefined, [], { 'dev-1': before }),
      NOW
    )
    expect(plan.unlinks).toEqual([{ deviceId: 'dev-1', action, before }])
    expect(plan.links).toEqual([])
  })
})

// ---- delete_channel --------------------------------------------------------------------------

describe('delete_channel', () => {
  it('a missing channel is a warning, not an error', () => {
    const plan = makePlan(settings({ deleteChannel: 'pr-42' }), inventory(undefined), NOW)
    expect(plan.deleteChannel).toEqual({ name: 'pr-42', exists: false })
    expect(plan.warnings).toEqual([
      'Channel "pr-42" (delete_channel) does not exist: already deleted.'
    ])
    expect(plan.errors).toEqual([])
  })

  it('an existing channel is deleted without a warning', () => {
    const plan = makePlan(
      settings({ deleteChannel: 'pr-42' }),
      inventory(undefined, [channel('pr-42')]),
      NOW
    )
    expect(plan.deleteChannel).toEqual({ name: 'pr-42', exists: true })
    expect(plan.warnings).toEqual([])
  })

  it('not asked: null', () => {
    const plan = makePlan(settings({ channel: 'beta' }), inventory(undefined), NOW)
    expect(plan.deleteChannel).toBeNull()
    expect(plan.channel?.name).toBe('beta')
  })
})

// ---- the safety rules of rollouts, releases and rows Capgo gives in part ---------------------

describe('safety rules: rollouts, releases, and bundles by id and by name', () => {
  const keepNone = { cleanup: cleanup({ keep: 0 }) }

  it.each<{
    rule: string
    row: (rows: Bundle[]) => Partial<Channel>
    extra: Partial<Settings>
    kept: string
    reason: string
  }>([
    {
      rule: 'the bundle under rollout after the run',
      row: () => ({}),
      extra: { version: '1.0.3', rollout: { percentage: 10, promote: false, abort: false } },
      kept: '1.0.3',
      reason: 'rollout bundle of channel "production"'
    },
    {
      rule: 'the rollout this run ends (rollout_abort)',
      row: rows => rollout(rows[3]!, 20),
      extra: { rollout: { promote: false, abort: true } },
      kept: '1.0.3',
      reason: 'rollout ended or replaced on channel "production" by this run'
    },
    {
      rule: 'the rollout this run replaces',
      row: rows => rollout(rows[2]!, 20),
      extra: { version: '1.0.3', rollout: { percentage: 5, promote: false, abort: false } },
      kept: '1.0.2',
      reason: 'rollout ended or replaced on channel "production" by this run'
    },
    {
      rule: 'the previous stable bundle of a promotion (previous_version)',
      row: rows => rollout(rows[3]!, 50),
      extra: { rollout: { promote: true, abort: false } },
      kept: '1.0.1',
      reason: 'rollback target of channel "production"'
    },
    {
      rule: 'the promoted bundle',
      row: rows => rollout(rows[3]!, 50),
      extra: { rollout: { promote: true, abort: false } },
      kept: '1.0.3',
      reason: 'put on channel "production" by this run'
    },
    {
      rule: 'the bundle a last step promotes, and the previous stable one',
      row: rows => rollout(rows[3]!, 100),
      extra: { rollout: { steps: [50, 100], promote: false, abort: false } },
      kept: '1.0.1',
      reason: 'rollback target of channel "production"'
    }
  ])('never deleted by the same run: $rule', ({ row, extra, kept, reason }) => {
    const rows = series(5)
    const plan = makePlan(
      settings({ channel: 'production', ...keepNone, ...extra }),
      inventory(rows, [channel('production', rows[1]!, row(rows))]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(fates(plan)[kept]).toBe('protected')
    expect(reasonOf(plan, kept)).toBe(reason)
    // Without this run's rollout change, the same bundle is not protected by this rule.
    const quiet = makePlan(
      settings({ ...keepNone }),
      inventory(rows, [channel('production', rows[1]!)]),
      NOW
    )
    if (kept !== '1.0.1') expect(fates(quiet)[kept]).toBe('delete')
  })

  it.each<{ name: string; version: unknown }>([
    { name: 'a bare id', version: 3 },
    { name: '{id} without name', version: { id: 3 } },
    { name: 'a bare name', version: '1.0.2' },
    { name: '{name} without id', version: { name: '1.0.2' } }
  ])('a channel row whose bundle is $name still protects it', ({ version }) => {
    const rows = series(4)
    const beta = { ...channel('beta'), version } as unknown as Channel
    const plan = makePlan(settings(keepNone), inventory(rows, [beta]), NOW)
    expect(plan.errors).toEqual([])
    expect(fates(plan)).toEqual(seriesFates('delete', 'delete', 'protected', 'delete'))
    expect(reasonOf(plan, '1.0.2')).toBe('on channel "beta"')
  })

  it('by id AND by name: a row whose id and name disagree protects both bundles', () => {
    const rows = series(5)
    const odd = {
      ...channel('beta'),
      version: { id: rows[3]!.id, name: '1.0.1' },
      rollout_version: 77,
      rollout_version_info: { id: 77, name: '1.0.0' }
    } as unknown as Channel
    const plan = makePlan(settings(keepNone), inventory(rows, [odd]), NOW)
    expect(plan.errors).toEqual([])
    expect(fates(plan)).toEqual(
      seriesFates('protected', 'protected', 'delete', 'protected', 'delete')
    )
  })

  it('a rollout given by id alone (no rollout_version_info) still protects its bundle', () => {
    const rows = series(3)
    const plan = makePlan(
      settings(keepNone),
      inventory(rows, [channel('beta', rows[2]!, { rollout_version: rows[0]!.id })]),
      NOW
    )
    expect(fates(plan)).toEqual(seriesFates('protected', 'delete', 'protected'))
  })

  it.each<{ name: string; version: unknown }>([
    { name: '{}', version: {} },
    { name: '{name: ""}', version: { name: '' } },
    { name: '{id: "3"} (not a number)', version: { id: '3' } }
  ])(
    'a channel row whose bundle has neither id nor name ($name) fails the plan before any deletion',
    ({ version }) => {
      const rows = series(3)
      const odd = { ...channel('odd'), version } as unknown as Channel
      const plan = makePlan(
        settings({ ...keepNone, deleteVersions: ['1.0.0'] }),
        inventory(rows, [odd]),
        NOW
      )
      expect(plan.errors).toHaveLength(1)
      expect(plan.errors[0]).toContain('Channel "odd"')
      // The same inventory without that row plans fine.
      const fine = makePlan(
        settings({ ...keepNone, deleteVersions: ['1.0.0'] }),
        inventory(rows, []),
        NOW
      )
      expect(fine.errors).toEqual([])
    }
  )

  it('cleanup_keep_releases N protects the last N releases of every channel, naming each', () => {
    const rows = series(8)
    const plan = makePlan(
      settings({ ...keepNone, cleanupKeepReleases: 2 }),
      inventory(
        rows,
        [channel('production', rows[7]!), channel('beta')],
        {},
        {
          production: releases('1.0.6', '1.0.5', '1.0.4'),
          beta: releases('1.0.2', '1.0.1', '1.0.0')
        }
      ),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(fates(plan)).toEqual(
      seriesFates(
        'delete',
        'protected',
        'protected',
        'delete',
        'delete',
        'protected',
        'protected',
        'protected'
      )
    )
    expect(reasonOf(plan, '1.0.6')).toBe('release 1 of channel "production"')
    expect(reasonOf(plan, '1.0.5')).toBe('release 2 of channel "production"')
    expect(reasonOf(plan, '1.0.2')).toBe('release 1 of channel "beta"')
    expect(reasonOf(plan, '1.0.1')).toBe('release 2 of channel "beta"')
    expect(plan.protectedVersions).toEqual(
      expect.arrayContaining(['1.0.6', '1.0.5', '1.0.2', '1.0.1'])
    )
  })

  it('cleanup_keep_releases also guards delete_versions', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ deleteVersions: ['1.0.1'], cleanupKeepReleases: 1 }),
      inventory(rows, [channel('production', rows[2]!)], {}, { production: releases('1.0.1') }),
      NOW
    )
    expect(plan.errors).toEqual([
      'Bundle "1.0.1" (delete_versions) is protected and cannot be deleted: release 1 of channel "production".'
    ])
  })

  it('cleanup_keep_releases without the release history fails before any deletion', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({ ...keepNone, cleanupKeepReleases: 1 }),
      inventory(rows, [channel('production', rows[2]!)]),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('cleanup_keep_releases')
  })

  it('wouldDelete lists the deletions even when max_delete fails the plan', () => {
    const plan = makePlan(
      settings({ cleanup: cleanup({ keep: 1 }), maxDelete: 2 }),
      inventory(series(5)),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('max_delete')
    expect(plan.wouldDelete).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3'])
  })

  it('wouldDelete is what the plan deletes when it passes', () => {
    const plan = makePlan(
      settings({ deleteVersions: ['1.0.3'], cleanup: cleanup({ keep: 2 }) }),
      inventory(series(5)),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.wouldDelete).toEqual(deleted(plan))
    expect(plan.wouldDelete).toEqual(['1.0.3', '1.0.0', '1.0.1'])
  })
})
