// Properties of the planner over random inventories and settings. The expected protected set,
// globs, semver and "newest" are recomputed here from docs/contract.md, not taken from src/.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Bundle, Channel } from '../src/capgo/types.js'
import { makePlan, type Inventory, type Plan } from '../src/plan/index.js'
import type {
  ChannelFieldSettings,
  CleanupOrder,
  PlatformSettings,
  Settings
} from '../src/settings/index.js'
import { APP, DAY, T0, applyWrite, channel, settings as baseSettings } from './helpers/fixtures.js'

const NOW = T0 + 90 * DAY
const NUM_RUNS = 200

// ---- an independent model of the rules --------------------------------------------------------

/** `*` any run, `?` one character, everything else literal, whole name. */
function globMatches(glob: string, name: string): boolean {
  const g = [...glob]
  const n = [...name]
  // reach[j]: the first i characters of the glob can match the first j of the name.
  let reach = n.map(() => false).concat(false)
  reach[0] = true
  for (const char of g) {
    const next = n.map(() => false).concat(false)
    for (let j = 0; j <= n.length; j++) {
      if (char === '*') next[j] = reach[j]! || (j > 0 && next[j - 1]!)
      else if (j > 0) next[j] = reach[j - 1]! && (char === '?' || char === n[j - 1])
    }
    reach = next
  }
  return reach[n.length]!
}

interface Version {
  core: [number, number, number]
  pre: string[]
}

const NUMERIC = /^(0|[1-9][0-9]*)$/
const IDENT = /^[0-9A-Za-z-]+$/

function semverOf(text: string): Version | undefined {
  const plus = text.indexOf('+')
  const main = plus === -1 ? text : text.slice(0, plus)
  if (
    plus !== -1 &&
    !text
      .slice(plus + 1)
      .split('.')
      .every(id => IDENT.test(id))
  )
    return undefined
  const dash = main.indexOf('-')
  const core = (dash === -1 ? main : main.slice(0, dash)).split('.')
  const pre = dash === -1 ? [] : main.slice(dash + 1).split('.')
  if (core.length !== 3 || !core.every(part => NUMERIC.test(part))) return undefined
  const preOk = pre.every(id => IDENT.test(id) && (!/^[0-9]+$/.test(id) || NUMERIC.test(id)))
  if (!preOk) return undefined
  return { core: core.map(Number) as [number, number, number], pre }
}

/** Negative when a ranks below b (semver.org, item 11). */
function semverPrecedence(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! - b.core[i]!
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]!
    const y = b.pre[i]!
    if (x === y) continue
    const xn = /^[0-9]+$/.test(x)
    const yn = /^[0-9]+$/.test(y)
    if (xn && yn) return Number(x) - Number(y)
    if (xn !== yn) return xn ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.pre.length - b.pre.length
}

/** Newest first: upload time desc, then id desc; under semver, precedence desc first. */
function newestFirst(rows: Bundle[], order: CleanupOrder): Bundle[] {
  const byTime = (a: Bundle, b: Bundle): number =>
    Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id
  return [...rows].sort((a, b) => {
    if (order === 'semver') {
      const c = semverPrecedence(semverOf(b.name)!, semverOf(a.name)!)
      if (c !== 0) return c
    }
    return byTime(a, b)
  })
}

/** The ids the safety rules and cleanup_protect exempt from deletion (docs/contract.md). */
function expectedProtected(s: Settings, inv: Inventory): Set<number> {
  const rows = inv.bundles ?? []
  const idOf = new Map(rows.map(b => [b.name, b.id]))
  const channels = new Map(inv.channels.map(c => [c.name, c]))
  const ids = new Set<number>()
  const protectName = (name: string | undefined): void => {
    const id = name === undefined ? undefined : idOf.get(name)
    if (id !== undefined) ids.add(id)
  }
  if (s.channel !== undefined) {
    let target: string | undefined
    if (s.version !== undefined) target = idOf.has(s.version) ? s.version : undefined
    else if (s.promoteFrom !== undefined) target = channels.get(s.promoteFrom)?.version?.name
    const before = channels.get(s.channel)?.version?.name
    const after = target ?? before
    protectName(after) // the bundle on channel after this run
    if (before !== after) protectName(before) // the rollback target
  }
  for (const c of inv.channels) {
    if (c.name === s.deleteChannel) continue // a deleted channel protects nothing
    if (c.rollout_version !== null) ids.add(c.rollout_version)
    if (c.name !== s.channel && c.version) ids.add(c.version.id)
  }
  if (s.cleanupKeepReleases !== undefined) {
    // The last N releases of every channel whose history was read, by version name; the same
    // channel bundle and rollout bundle recorded again (a staged rollout's steps) count once.
    for (const history of Object.values(inv.releases ?? {})) {
      const distinct: typeof history = []
      for (const release of history) {
        const same = (r: (typeof history)[number]): boolean =>
          r.version === release.version &&
          (r.rolloutVersion ?? '') === (release.rolloutVersion ?? '')
        if (!distinct.some(same)) distinct.push(release)
      }
      for (const release of distinct.slice(0, s.cleanupKeepReleases)) {
        protectName(release.version)
        if (release.rolloutVersion) protectName(release.rolloutVersion)
      }
    }
  }
  for (const b of rows) if (s.cleanupProtect.some(g => globMatches(g, b.name))) ids.add(b.id)
  const live = new Set(rows.map(b => b.id))
  return new Set([...ids].filter(id => live.has(id)))
}

// ---- random worlds ---------------------------------------------------------------------------

const semverName = fc
  .tuple(
    fc.nat({ max: 3 }),
    fc.nat({ max: 12 }),
    fc.nat({ max: 12 }),
    fc.option(fc.constantFrom('alpha', 'alpha.1', 'beta', 'beta.2', 'beta.11', 'rc.1', '0'), {
      nil: undefined
    }),
    fc.option(fc.constantFrom('b1', 'b2', 'sha.5'), { nil: undefined, freq: 4 })
  )
  .map(
    ([a, b, c, pre, build]) =>
      `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}${build === undefined ? '' : `+${build}`}`
  )

const otherName = fc.oneof(
  fc.nat({ max: 40 }).map(n => `v1.0.${n}`),
  fc.nat({ max: 40 }).map(n => `build-${n}`),
  fc.nat({ max: 40 }).map(n => `nightly-${n}`),
  fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 9 })).map(([a, b]) => `${a}.${b}`),
  fc.nat({ max: 9 }).map(n => `01.0.${n}`)
)

const bundleRecords = fc.record({
  name: fc.oneof({ arbitrary: semverName, weight: 3 }, { arbitrary: otherName, weight: 1 }),
  // Few distinct times, so that ties are common.
  minute: fc.oneof(
    fc.nat({ max: 120 }).map(d => d * 24 * 60),
    fc.nat({ max: 120 * 24 * 60 })
  ),
  idSeed: fc.nat()
})

const bundleRows: fc.Arbitrary<Bundle[]> = fc
  .oneof(
    {
      arbitrary: fc.uniqueArray(bundleRecords, { selector: r => r.name, maxLength: 12 }),
      weight: 2
    },
    {
      arbitrary: fc.uniqueArray(bundleRecords, {
        selector: r => r.name,
        maxLength: 300,
        size: 'max'
      }),
      weight: 1
    }
  )
  .map(records => {
    // Ids unique and unrelated to the upload order.
    const ranks = records
      .map((r, i) => ({ i, seed: r.idSeed }))
      .sort((a, b) => a.seed - b.seed || a.i - b.i)
    const ids = new Array<number>(records.length)
    ranks.forEach((r, rank) => (ids[r.i] = rank * 3 + 1))
    return records.map((r, i) => ({
      id: ids[i]!,
      name: r.name,
      app_id: APP,
      created_at: new Date(T0 + r.minute * 60_000).toISOString(),
      deleted: false
    }))
  })

const channelSeeds = fc.array(
  fc.record({
    version: fc.option(fc.nat(), { nil: undefined }),
    rollout: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
    public: fc.boolean()
  }),
  { maxLength: 6 }
)

const fields: fc.Arbitrary<ChannelFieldSettings> = fc.record(
  {
    public: fc.boolean(),
    disableAutoUpdate: fc.constantFrom('major', 'minor', 'patch', 'version_number', 'none'),
    allowDev: fc.boolean()
  },
  { requiredKeys: [] }
)

/** Capgo never reports them: the planner sends what is given, whatever the values. */
const platforms: fc.Arbitrary<PlatformSettings> = fc.record(
  { ios: fc.boolean(), android: fc.boolean(), electron: fc.boolean() },
  { requiredKeys: [] }
)

const rawSettings = fc.record({
  cleanup: fc.option(
    fc.record({
      keep: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
      olderThanDays: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      order: fc.constantFrom<CleanupOrder>('created', 'semver')
    }),
    { nil: undefined }
  ),
  pattern: fc.oneof(
    fc.constant<string[]>([]),
    fc.subarray(['1.*', '*-beta*', '?.?.?', 'build-*', '*'])
  ),
  protect: fc.subarray(['0.*', '*-rc*', 'v*', '2.?.?', 'nightly-*']),
  maxDelete: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 10 }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 300 }), weight: 3 }
  ),
  channel: fc.option(
    fc.record({
      target: fc.nat(),
      mode: fc.oneof(
        { arbitrary: fc.constantFrom('fields', 'version', 'promote'), weight: 6 },
        { arbitrary: fc.constantFrom('unknownVersion', 'promoteMissing'), weight: 1 }
      ),
      pick: fc.nat(),
      fields,
      platforms
    }),
    { nil: undefined }
  ),
  deleteChannel: fc.option(fc.nat(), { nil: undefined }),
  deleteVersions: fc.oneof(fc.constant<number[]>([]), fc.array(fc.nat(), { maxLength: 5 })),
  deleteMissing: fc.boolean(),
  deleteAll: fc.boolean(),
  keepReleases: fc.option(
    fc.record({
      n: fc.integer({ min: 1, max: 3 }),
      // Per channel, picks of bundles (newest release first); a name not uploaded now and then.
      histories: fc.array(fc.array(fc.oneof(fc.nat(), fc.constant(-1)), { maxLength: 5 }), {
        maxLength: 6
      })
    }),
    { nil: undefined, freq: 3 }
  )
})

interface World {
  settings: Settings
  inventory: Inventory
}

type ChannelSeed = { version: number | undefined; rollout: number | undefined; public: boolean }

function channelsOf(seeds: ChannelSeed[], rows: Bundle[]): Channel[] {
  const pick = (n: number | undefined): Bundle | undefined =>
    n === undefined || rows.length === 0 ? undefined : rows[n % rows.length]
  return seeds.map((seed, i) =>
    channel(`ch${i}`, pick(seed.version) ?? null, {
      id: 500 + i,
      public: seed.public,
      rollout_version: pick(seed.rollout)?.id ?? null
    })
  )
}

type RawSettings = typeof rawSettings extends fc.Arbitrary<infer T> ? T : never

function settingsOf(raw: RawSettings, rows: Bundle[], channels: Channel[]): Settings {
  const s = baseSettings({
    cleanupPattern: raw.cleanup ? raw.pattern : [],
    cleanupProtect: raw.protect,
    maxDelete: raw.maxDelete,
    deleteAllBundles: raw.deleteAll
  })
  if (raw.cleanup) {
    const keep =
      raw.cleanup.olderThanDays === undefined ? (raw.cleanup.keep ?? 0) : raw.cleanup.keep
    s.cleanup = { order: raw.cleanup.order }
    if (keep !== undefined) s.cleanup.keep = keep
    if (raw.cleanup.olderThanDays !== undefined) {
      s.cleanup.olderThanMs = raw.cleanup.olderThanDays * DAY
      s.cleanup.olderThanText = `${raw.cleanup.olderThanDays}d`
    }
  }
  const names = channels.map(c => c.name)
  if (raw.channel) {
    const c = raw.channel
    const name = names[c.target % (names.length + 1)] ?? 'new-channel'
    s.channel = name
    s.channelFields = c.fields
    s.platforms = c.platforms
    const others = names.filter(n => n !== name)
    if (c.mode === 'version') s.version = rows[c.pick % Math.max(rows.length, 1)]?.name ?? 'none'
    if (c.mode === 'unknownVersion') s.version = 'never-uploaded'
    if (c.mode === 'promote') s.promoteFrom = others[c.pick % Math.max(others.length, 1)] ?? 'nope'
    if (c.mode === 'promoteMissing') s.promoteFrom = 'no-such-channel'
  }
  if (raw.deleteChannel !== undefined) {
    const name = names[raw.deleteChannel % (names.length + 1)] ?? 'gone-channel'
    if (name !== s.channel) s.deleteChannel = name
  }
  const listed = rows.length === 0 ? [] : raw.deleteVersions.map(n => rows[n % rows.length]!.name)
  s.deleteVersions = [...new Set([...listed, ...(raw.deleteMissing ? ['gone-1.0.0'] : [])])]
  return s
}

const worlds: fc.Arbitrary<World> = fc
  .record({ rows: bundleRows, seeds: channelSeeds, raw: rawSettings })
  .map(({ rows, seeds, raw }) => {
    const channels = channelsOf(seeds, rows)
    const inventory: Inventory = { channels, bundles: rows, deviceChannels: {} }
    const settings = settingsOf(raw, rows, channels)
    if (raw.keepReleases) {
      settings.cleanupKeepReleases = raw.keepReleases.n
      inventory.releases = Object.fromEntries(
        channels.map((c, i) => [
          c.name,
          (raw.keepReleases!.histories[i] ?? []).map((pick, k) => ({
            version:
              pick < 0 || rows.length === 0 ? 'never-uploaded' : rows[pick % rows.length]!.name,
            deploymentId: 100 * i + k,
            createdAt: new Date(NOW - k * DAY).toISOString()
          }))
        ])
      )
    }
    return { settings, inventory }
  })

// ---- helpers ---------------------------------------------------------------------------------

const plan = (w: World): Plan => makePlan(w.settings, w.inventory, NOW)
const deletionsOf = (p: Plan) => p.deletions.flatMap(phase => phase.decisions)
const deletesAnything = (s: Settings): boolean =>
  s.deleteVersions.length > 0 || s.cleanup !== undefined || s.deleteAllBundles
const MAX_DELETE_ERROR = /more than max_delete/

function check<T extends [unknown, ...unknown[]]>(property: fc.IPropertyWithHooks<T>): void {
  // A failure among 300 bundles can shrink for long: report what was found by then.
  // A fixed seed keeps CI repeatable; FC_SEED=random (or a number) explores further by hand.
  const seedText = process.env.FC_SEED ?? '20261126'
  fc.assert(property, {
    ...(seedText === 'random' ? {} : { seed: Number(seedText) }),
    numRuns: NUM_RUNS,
    interruptAfterTimeLimit: 30_000,
    markInterruptAsFailure: true
  })
}

/**
 * The plan with the reasons that name a channel made generic: when a bundle is used by several
 * channels (or by one as version and another as rollout), the reason names the first one seen.
 */
function withoutChannelNames(p: Plan): Plan {
  const generic = (reason: string): string =>
    / channel "/.test(reason) ? 'used by a channel' : reason
  const decision = <D extends { reason: string }>(d: D): D => ({ ...d, reason: generic(d.reason) })
  return {
    ...p,
    bundles: p.bundles.map(decision),
    deletions: p.deletions.map(phase => ({ ...phase, decisions: phase.decisions.map(decision) })),
    errors: p.errors.map(e => e.replace(/cannot be deleted: .*$/, 'cannot be deleted: …'))
  }
}

// ---- properties ------------------------------------------------------------------------------

describe('planner properties', () => {
  it('never deletes a protected bundle; the protected set is exactly the safety rules', () => {
    check(
      fc.property(worlds, w => {
        const p = plan(w)
        const expected = expectedProtected(w.settings, w.inventory)
        for (const d of deletionsOf(p)) expect(expected.has(d.id), d.version).toBe(false)
        if (deletesAnything(w.settings)) {
          const actual = p.bundles.filter(d => d.fate === 'protected').map(d => d.id)
          expect(new Set(actual)).toEqual(expected)
          const names = new Set(p.bundles.filter(d => expected.has(d.id)).map(d => d.version))
          expect(new Set(p.protectedVersions)).toEqual(names)
        }
      })
    )
  })

  it('a delete_versions entry that is protected fails the run; one already gone warns', () => {
    check(
      fc.property(worlds, w => {
        const p = plan(w)
        const expected = expectedProtected(w.settings, w.inventory)
        const byName = new Map((w.inventory.bundles ?? []).map(b => [b.name, b.id]))
        for (const version of w.settings.deleteVersions) {
          const id = byName.get(version)
          const error = p.errors.some(e =>
            e.includes(`"${version}" (delete_versions) is protected`)
          )
          const warning = p.warnings.some(e => e.includes(`"${version}" (delete_versions)`))
          expect(error).toBe(id !== undefined && expected.has(id))
          expect(warning).toBe(id === undefined)
        }
      })
    )
  })

  it('max_delete bounds the whole plan', () => {
    check(
      fc.property(worlds, w => {
        const p = plan(w)
        const count = deletionsOf(p).length
        if (p.errors.length === 0) expect(count).toBeLessThanOrEqual(w.settings.maxDelete)
        expect(p.errors.some(e => MAX_DELETE_ERROR.test(e))).toBe(count > w.settings.maxDelete)
      })
    )
  })

  it('cleanup_keep N alone keeps exactly the min(N, candidates) newest candidates', () => {
    check(
      fc.property(
        fc
          .tuple(
            worlds,
            fc.integer({ min: 0, max: 50 }),
            fc.constantFrom<CleanupOrder>('created', 'semver')
          )
          .map(([w, keep, order]) => ({
            ...w,
            settings: {
              ...w.settings,
              cleanup: { keep, order },
              cleanupPattern: [],
              deleteAllBundles: false
            }
          })),
        w => {
          const s = w.settings
          const { keep, order } = s.cleanup!
          const p = plan(w)
          const protectedIds = expectedProtected(s, w.inventory)
          const listed = new Set(s.deleteVersions)
          const candidates = (w.inventory.bundles ?? []).filter(
            b =>
              !protectedIds.has(b.id) &&
              !listed.has(b.name) &&
              (order === 'created' || semverOf(b.name) !== undefined)
          )
          const ranked = newestFirst(candidates, order)
          const kept = ranked.slice(0, keep).map(b => b.id)
          const gone = ranked.slice(keep!).map(b => b.id)
          const fate = new Map(p.bundles.map(d => [d.id, d]))
          expect(kept).toHaveLength(Math.min(keep!, candidates.length))
          for (const id of kept) expect(fate.get(id)?.fate).toBe('keep')
          for (const id of gone)
            expect(fate.get(id)).toMatchObject({ fate: 'delete', source: 'cleanup' })
          // Nothing else is touched by the cleanup.
          const cleanupIds = p.bundles.filter(d => d.source === 'cleanup').map(d => d.id)
          expect(new Set(cleanupIds)).toEqual(new Set(gone))
        }
      )
    )
  })

  it('a cleanup deletion matches cleanup_pattern, is older than the age and outside the newest N', () => {
    check(
      fc.property(worlds, w => {
        const cleanup = w.settings.cleanup
        // delete_all_bundles overrides what the cleanup keeps (tested on its own).
        if (!cleanup || w.settings.deleteAllBundles) return
        const p = plan(w)
        const row = new Map((w.inventory.bundles ?? []).map(b => [b.id, b]))
        const deleted = p.bundles.filter(d => d.source === 'cleanup')
        const keptByN = p.bundles.filter(d => d.reason.includes('(cleanup_keep)'))
        for (const d of deleted) {
          expect(row.has(d.id)).toBe(true)
          if (cleanup.olderThanMs !== undefined) {
            expect(Date.parse(d.createdAt)).toBeLessThan(NOW - cleanup.olderThanMs)
          }
          if (w.settings.cleanupPattern.length > 0) {
            expect(w.settings.cleanupPattern.some(g => globMatches(g, d.version))).toBe(true)
          }
          if (cleanup.order === 'semver') expect(semverOf(d.version)).toBeDefined()
        }
        if (cleanup.keep === undefined) {
          expect(keptByN).toEqual([])
        } else if (deleted.length > 0) {
          // The N newest candidates stay, and each deleted one ranks below all of them.
          expect(keptByN).toHaveLength(cleanup.keep)
          const ranked = newestFirst(
            [...keptByN, ...deleted].map(d => row.get(d.id)!),
            cleanup.order
          ).map(b => b.id)
          expect(ranked.slice(0, cleanup.keep)).toEqual(
            expect.arrayContaining(keptByN.map(d => d.id))
          )
        }
      })
    )
  })

  it('delete_all_bundles without a cleanup leaves exactly the protected bundles', () => {
    check(
      fc.property(
        worlds.map(({ settings: { cleanup: _cleanup, ...s }, inventory }) => ({
          settings: { ...s, cleanupPattern: [], deleteAllBundles: true },
          inventory
        })),
        w => {
          const p = plan(w)
          const expected = expectedProtected(w.settings, w.inventory)
          const gone = new Set(deletionsOf(p).map(d => d.id))
          for (const b of w.inventory.bundles ?? [])
            expect(gone.has(b.id)).toBe(!expected.has(b.id))
        }
      )
    )
  })

  it('every bundle gets exactly one decision, and the deletions are the delete decisions in order', () => {
    check(
      fc.property(worlds, w => {
        const p = plan(w)
        const rows = w.inventory.bundles ?? []
        if (!deletesAnything(w.settings)) {
          expect(p.bundles).toEqual([])
          expect(p.deletions).toEqual([])
          return
        }
        expect(p.bundles.map(d => d.id).sort((a, b) => a - b)).toEqual(
          rows.map(b => b.id).sort((a, b) => a - b)
        )
        expect(p.bundles.map(d => d.id)).toEqual(newestFirst(rows, 'created').map(b => b.id))
        const deletions = deletionsOf(p)
        expect(new Set(deletions.map(d => d.id)).size).toBe(deletions.length)
        expect(new Set(deletions)).toEqual(new Set(p.bundles.filter(d => d.fate === 'delete')))

        const oldestFirst = (ds: typeof deletions): number[] =>
          [...ds]
            .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id)
            .map(d => d.id)
        const first = p.deletions.find(phase => phase.phase === 'bundles')?.decisions ?? []
        const explicit = first.filter(d => d.source === 'delete_versions')
        const cleanup = first.filter(d => d.source === 'cleanup')
        expect(first).toEqual([...explicit, ...cleanup])
        expect(explicit.map(d => d.version)).toEqual(
          w.settings.deleteVersions.filter(v => explicit.some(d => d.version === v))
        )
        expect(cleanup.map(d => d.id)).toEqual(oldestFirst(cleanup))
        const all = p.deletions.find(phase => phase.phase === 'delete_all_bundles')?.decisions ?? []
        expect(all.every(d => d.source === 'delete_all_bundles')).toBe(true)
        expect(all.map(d => d.id)).toEqual(oldestFirst(all))
        expect(p.deletions.map(phase => phase.phase)).toEqual(
          [first, all].flatMap((ds, i) =>
            ds.length > 0 ? [i === 0 ? 'bundles' : 'delete_all_bundles'] : []
          )
        )
      })
    )
  })

  it('keptCount = bundles - deletions', () => {
    check(
      fc.property(worlds, w => {
        const p = plan(w)
        expect(p.keptCount).toBe((w.inventory.bundles ?? []).length - deletionsOf(p).length)
      })
    )
  })

  it('is deterministic, whatever the order of the bundle and channel rows', () => {
    check(
      fc.property(worlds, fc.nat(), (w, seed) => {
        const shuffle = <T>(xs: T[], salt: number): T[] =>
          xs
            .map((x, i) => ({ x, k: ((i + 1) * 2_654_435_761 + seed * 97 + salt) % 4_294_967_291 }))
            .sort((a, b) => a.k - b.k)
            .map(({ x }) => x)
        const again = plan(w)
        expect(plan(w)).toEqual(again)
        const bundlesShuffled: World = {
          settings: w.settings,
          inventory: { ...w.inventory, bundles: shuffle(w.inventory.bundles ?? [], 1) }
        }
        expect(plan(bundlesShuffled)).toEqual(again)
        const allShuffled: World = {
          settings: w.settings,
          inventory: { ...bundlesShuffled.inventory, channels: shuffle(w.inventory.channels, 2) }
        }
        // Fates, order and counts do not depend on the channel order; only which channel a
        // reason names does, when a bundle is on several channels.
        expect(withoutChannelNames(plan(allShuffled))).toEqual(withoutChannelNames(again))
      })
    )
  })

  it('a re-run against the state after the plan deletes nothing and writes nothing but the platforms', () => {
    check(
      fc.property(worlds, w => {
        const first = plan(w)
        if (first.errors.length > 0) return
        // Promoting from the channel this run deletes cannot be repeated.
        if (
          w.settings.promoteFrom !== undefined &&
          w.settings.promoteFrom === w.settings.deleteChannel
        )
          return
        // The rollback target is only protected while the channel changes: see the report.
        if (first.channel?.changes.includes('version') && first.channel.before?.version) return
        const gone = new Set(deletionsOf(first).map(d => d.id))
        const rows = (w.inventory.bundles ?? []).filter(b => !gone.has(b.id))
        const channels = applyWrite(
          w.inventory.channels.filter(c => c.name !== w.settings.deleteChannel),
          rows,
          first.channel?.write
        )
        const second = plan({
          settings: w.settings,
          inventory: {
            channels,
            bundles: rows,
            deviceChannels: {},
            ...(w.inventory.releases ? { releases: w.inventory.releases } : {})
          }
        })
        expect(deletionsOf(second)).toEqual([])
        expect(second.errors).toEqual([])
        if (!second.channel) return
        expect(second.channel.changes).toEqual([])
        // The one exception to "a re-run sends nothing": the platforms given, sent again alone.
        if (Object.keys(w.settings.platforms).length === 0) {
          expect(second.channel.write).toBeNull()
        } else {
          expect(second.channel.write).toEqual({
            kind: 'upsert',
            body: { app_id: APP, channel: second.channel.name, ...w.settings.platforms }
          })
        }
      })
    )
  })
})
