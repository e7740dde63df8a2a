// The planner's rules (shared ACTION.md, "Safety rules" and the cleanup inputs), one test per rule.

import { describe, expect, it } from 'vitest'
import type { Bundle, Channel } from '../src/capgo/types.js'
import { makePlan, type Fate, type Plan } from '../src/plan/index.js'
import type { ChannelFieldSettings } from '../src/settings.js'
import {
  APP,
  DAY,
  T0,
  bundle,
  bundles,
  channel,
  cleanup,
  inventory,
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
    expect(reasonOf(plan, '1.0.3')).toContain('outside the 0 newest')
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
    expect(reasonOf(plan, '1.0.0')).toBe(`outside the ${keep} newest and older than ${days}d`)
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
    expect(plan.warnings[0]).toContain('"9.9.9" (delete_versions) does not exist')
    expect(plan.warnings[1]).toContain('"1.0.2" (delete_versions) does not exist')
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

  // ACTION.md: delete_all_bundles "deletes every bundle except the protected ones". A bundle that
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
        version: '1.0.2',
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

/** The channel rows after the plan's upsert, as Capgo would store them. */
function afterUpsert(plan: Plan, channels: Channel[], rows: Bundle[]): Channel[] {
  const target = plan.channel
  if (!target?.upsert) return channels
  const a = target.after
  const version = a.version === null ? null : rows.find(b => b.name === a.version)!
  const row: Partial<Channel> = {
    public: a.public,
    disableAutoUpdate: a.disableAutoUpdate,
    disableAutoUpdateUnderNative: a.disableAutoUpdateUnderNative,
    ios: a.ios,
    android: a.android,
    allow_device_self_set: a.allowDeviceSelfSet,
    allow_emulator: a.allowEmulator,
    allow_dev: a.allowDev
  }
  const existing = channels.find(c => c.name === target.name)
  const updated = existing
    ? {
        ...existing,
        ...row,
        version: version ? { id: version.id, name: version.name } : existing.version
      }
    : channel(target.name, version, row)
  return [...channels.filter(c => c.name !== target.name), updated]
}

describe('channel: create or update, sending only the fields given', () => {
  it('creates a missing channel with every given field, defaults or not', () => {
    const plan = makePlan(
      settings({
        channel: 'pr-42',
        version: '1.0.1',
        channelFields: { ios: true, disableAutoUpdate: 'major', allowDev: false }
      }),
      inventory(series(3)),
      NOW
    )
    expect(plan.channel).toMatchObject({
      name: 'pr-42',
      exists: false,
      before: null,
      versionSource: { kind: 'version' }
    })
    expect(plan.channel?.upsert).toEqual({
      app_id: APP,
      channel: 'pr-42',
      version: '1.0.1',
      ios: true,
      disableAutoUpdate: 'major',
      allow_dev: false
    })
    expect(plan.channel?.changes).toEqual([
      'created',
      'version',
      'disableAutoUpdate',
      'ios',
      'allow_dev'
    ])
    expect(plan.channel?.after).toMatchObject({ version: '1.0.1', ios: true, allowDev: false })
    expect(plan.errors).toEqual([])
  })

  it('creates a missing channel with no field: only app_id and channel', () => {
    const plan = makePlan(settings({ channel: 'pr-42' }), inventory(undefined), NOW)
    expect(plan.channel?.upsert).toEqual({ app_id: APP, channel: 'pr-42' })
    expect(plan.channel?.changes).toEqual(['created'])
    expect(plan.channel?.after.version).toBeNull()
  })

  it('updates an existing channel with the changed fields only', () => {
    const rows = series(3)
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.0',
        channelFields: { public: true, ios: true, allowDev: false, allowDeviceSelfSet: false }
      }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.channel?.exists).toBe(true)
    expect(plan.channel?.upsert).toEqual({
      app_id: APP,
      channel: 'production',
      public: true,
      allow_dev: false
    })
    expect(plan.channel?.changes).toEqual(['public', 'allow_dev'])
    expect(plan.channel?.before?.version).toBe('1.0.0')
    expect(plan.channel?.after).toMatchObject({ version: '1.0.0', public: true, allowDev: false })
  })

  it.each<{ field: keyof ChannelFieldSettings; api: string; value: unknown }>([
    { field: 'public', api: 'public', value: true },
    { field: 'disableAutoUpdate', api: 'disableAutoUpdate', value: 'none' },
    { field: 'disableAutoUpdateUnderNative', api: 'disableAutoUpdateUnderNative', value: false },
    { field: 'ios', api: 'ios', value: false },
    { field: 'android', api: 'android', value: false },
    { field: 'allowDeviceSelfSet', api: 'allow_device_self_set', value: true },
    { field: 'allowEmulator', api: 'allow_emulator', value: false },
    { field: 'allowDev', api: 'allow_dev', value: false }
  ])('field $field is sent as $api when it changes', ({ field, api, value }) => {
    const plan = makePlan(
      settings({ channel: 'beta', channelFields: { [field]: value } }),
      inventory(undefined, [channel('beta')]),
      NOW
    )
    expect(plan.channel?.upsert).toEqual({ app_id: APP, channel: 'beta', [api]: value })
    expect(plan.channel?.changes).toEqual([api])
  })

  it('an existing channel already as asked: no upsert', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'beta', version: '1.0.1', channelFields: { public: false, ios: true } }),
      inventory(rows, [channel('beta', rows[1]!)]),
      NOW
    )
    expect(plan.channel?.upsert).toBeNull()
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
    expect(plan.channel?.upsert).toBeNull()
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

  it('promote_from puts the source channel bundle on channel', () => {
    const rows = series(2)
    const plan = makePlan(
      settings({ channel: 'production', promoteFrom: 'beta' }),
      inventory(undefined, [channel('production', rows[0]!), channel('beta', rows[1]!)]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.upsert).toEqual({ app_id: APP, channel: 'production', version: '1.0.1' })
    expect(plan.channel?.before?.version).toBe('1.0.0')
  })

  it('a channel that would serve neither iOS nor Android fails', () => {
    const plan = makePlan(
      settings({ channel: 'beta', channelFields: { android: false } }),
      inventory(undefined, [channel('beta', null, { ios: false })]),
      NOW
    )
    expect(plan.errors[0]).toContain('neither iOS nor Android')
  })

  it.each<{ name: string; channels: (rows: Bundle[]) => Channel[]; extra: object }>([
    {
      name: 'a new channel with a version and fields',
      channels: () => [],
      extra: { version: '1.0.1', channelFields: { public: true, disableAutoUpdate: 'minor' } }
    },
    {
      name: 'an existing channel moved to another bundle',
      channels: rows => [channel('production', rows[0]!)],
      extra: { version: '1.0.2', channelFields: { allowEmulator: false } }
    },
    {
      name: 'a promotion',
      channels: rows => [channel('production', rows[0]!), channel('beta', rows[2]!)],
      extra: { promoteFrom: 'beta', channelFields: { ios: false } }
    }
  ])(
    'idempotent: the same inputs against the state after the change send nothing ($name)',
    ({ channels, extra }) => {
      const rows = series(3)
      const s = settings({ channel: 'production', ...extra })
      const first = makePlan(s, inventory(rows, channels(rows)), NOW)
      expect(first.errors).toEqual([])
      expect(first.channel?.upsert).not.toBeNull()
      const second = makePlan(s, inventory(rows, afterUpsert(first, channels(rows), rows)), NOW)
      expect(second.errors).toEqual([])
      expect(second.channel?.upsert).toBeNull()
      expect(second.channel?.changes).toEqual([])
      expect(second.channel?.after).toEqual(first.channel?.after)
    }
  )
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
