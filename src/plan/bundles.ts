// The bundle rules: which bundles are protected and why (the safety rules), explicit deletions,
// the retention cleanup, and delete-all. Every bundle gets a fate and a reason. Pure.

import type { Bundle } from '../capgo/types.js'
import { compareSemver, compileGlobs, parseSemver, type SemVer } from '../match.js'
import type { Settings } from '../settings/index.js'
import { bundleRefOf } from './channel.js'
import type {
  BundleDecision,
  ChannelPlan,
  DeletionSource,
  Fate,
  Inventory,
  Plan,
  Release
} from './types.js'

export interface BundlePlan {
  decisions: BundleDecision[]
  deletions: Plan['deletions']
  protectedVersions: string[]
}

interface Ranked {
  bundle: Bundle
  time: number
  semver: SemVer | undefined
}

export function deletesAnything(settings: Settings): boolean {
  return (
    settings.deleteVersions.length > 0 ||
    settings.cleanup !== undefined ||
    settings.deleteAllBundles
  )
}

export function planBundles(
  settings: Settings,
  inventory: Inventory,
  deleteChannel: Plan['deleteChannel'],
  channel: ChannelPlan | null,
  now: number,
  errors: string[],
  warnings: string[]
): BundlePlan {
  if (!deletesAnything(settings)) return { decisions: [], deletions: [], protectedVersions: [] }

  const live = (inventory.bundles ?? []).filter(b => !b.deleted)
  const protection = protectionReasons(
    settings,
    live,
    inventory,
    deleteChannel,
    channel,
    errors,
    warnings
  )
  const decided = new Map<number, BundleDecision>()
  const decide = (bundle: Bundle, fate: Fate, reason: string, source?: DeletionSource): void => {
    decided.set(bundle.id, {
      id: bundle.id,
      version: bundle.name,
      createdAt: bundle.created_at,
      fate,
      reason,
      ...(source ? { source } : {})
    })
  }
  for (const bundle of live) {
    const reason = protection.get(bundle.id)
    if (reason !== undefined) decide(bundle, 'protected', reason)
  }

  // Explicit deletions.
  const byName = new Map<string, Bundle[]>()
  for (const bundle of live) pushTo(byName, bundle.name, bundle)
  for (const version of settings.deleteVersions) {
    const matches = byName.get(version)
    if (!matches) {
      warnings.push(
        `Bundle "${version}" (delete_versions) was not found (never uploaded, or already deleted).`
      )
      continue
    }
    for (const bundle of matches) {
      const reason = protection.get(bundle.id)
      if (reason !== undefined) {
        errors.push(
          `Bundle "${version}" (delete_versions) is protected and cannot be deleted: ${reason}.`
        )
      } else {
        decide(bundle, 'delete', 'listed in delete_versions', 'delete_versions')
      }
    }
  }

  if (settings.cleanup && cleanupWouldLoseRollbackTarget(settings, channel)) {
    warnings.push(
      `The cleanup was skipped: channel "${channel!.name}" already has the bundle this run puts ` +
        'on it (a re-run, or a release made elsewhere), so this run does not know its rollback ' +
        'target, and a cleanup now could delete it. Run the cleanup in a step of its own, or ' +
        'record releases with github_deployment and add cleanup_keep_releases, which protects them.'
    )
  } else if (settings.cleanup) {
    planCleanup(settings, live, decided, decide, now)
  }

  if (settings.deleteAllBundles) {
    for (const bundle of live) {
      // Everything but the protected set goes, whatever a cleanup in the same run would keep.
      const earlier = decided.get(bundle.id)
      if (earlier === undefined || earlier.fate === 'keep') {
        decide(bundle, 'delete', 'delete_all_bundles', 'delete_all_bundles')
      }
    }
  }
  for (const bundle of live) {
    if (!decided.has(bundle.id)) decide(bundle, 'keep', 'not selected for deletion')
  }

  const ordered = rankNewestFirst(live, 'created').map(r => decided.get(r.bundle.id)!)
  // Explicit deletions in the order given; cleanup and delete-all oldest first, so that a run
  // stopped half-way has removed the oldest bundles.
  const explicitOrder = new Map(settings.deleteVersions.map((v, i) => [v, i]))
  const explicit = ordered
    .filter(d => d.source === 'delete_versions')
    .sort((a, b) => (explicitOrder.get(a.version) ?? 0) - (explicitOrder.get(b.version) ?? 0))
  const cleanup = ordered.filter(d => d.source === 'cleanup').reverse()
  const deleteAll = ordered.filter(d => d.source === 'delete_all_bundles').reverse()
  const deletions: Plan['deletions'] = []
  if (explicit.length + cleanup.length > 0)
    deletions.push({ phase: 'bundles', decisions: [...explicit, ...cleanup] })
  if (deleteAll.length > 0) deletions.push({ phase: 'delete_all_bundles', decisions: deleteAll })

  return {
    decisions: ordered,
    deletions,
    protectedVersions: [...new Set(ordered.filter(d => d.fate === 'protected').map(d => d.version))]
  }
}

/**
 * A release run (`version`, `promote_from`, `rollback`) that finds the channel already as asked
 * protects no rollback target: the run that moved the channel did, and this one cannot know which
 * bundle it was. Its cleanup would treat that bundle as any other and could delete it, so a re-run
 * of a release job with a cleanup would delete what the first run kept. Without the release
 * history (cleanup_keep_releases) such a run does not clean up.
 */
function cleanupWouldLoseRollbackTarget(settings: Settings, channel: ChannelPlan | null): boolean {
  const release =
    settings.version !== undefined || settings.promoteFrom !== undefined || settings.rollback
  if (!release || channel === null || channel.before === null || channel.target === null) {
    return false
  }
  if (settings.cleanupKeepReleases !== undefined) return false
  if (channel.changes.includes('rollout')) return false
  // Already on the channel, or already rolling out on it (a re-run of the release job, whose
  // first run kept the rollout it replaced): this run cannot know what the first run kept.
  // A rollout keeps the channel's bundle, which stays protected by being on the channel.
  return (
    channel.before.versionId === channel.target.id ||
    channel.before.rollout?.versionId === channel.target.id
  )
}

/**
 * The safety rules: the reason each protected bundle must stay, by id and by name. A channel this
 * run deletes protects nothing; the channel this run changes protects its new bundle, its rollback
 * target, its rollout bundle and any rollout this run ends or replaces. A channel whose bundle
 * cannot be identified makes the plan fail: nothing may be deleted without knowing what is in use.
 */
function protectionReasons(
  settings: Settings,
  bundles: Bundle[],
  inventory: Inventory,
  deleteChannel: Plan['deleteChannel'],
  channel: ChannelPlan | null,
  errors: string[],
  warnings: string[]
): Map<number, string> {
  const reasons = new Map<number, string>()
  const idsByName = new Map<string, number[]>()
  const bundlesById = new Map<number, Bundle>()
  for (const b of bundles) {
    pushTo(idsByName, b.name, b.id)
    bundlesById.set(b.id, b)
  }
  const protectName = (name: string | null | undefined, reason: string): void => {
    if (!name) return
    for (const id of idsByName.get(name) ?? []) if (!reasons.has(id)) reasons.set(id, reason)
  }
  const protectId = (id: number | null | undefined, reason: string): void => {
    if (id === null || id === undefined || reasons.has(id)) return
    reasons.set(id, reason)
  }
  const protect = (
    id: number | null | undefined,
    name: string | null | undefined,
    reason: string
  ) => {
    protectId(id, reason)
    protectName(name, reason)
  }

  if (channel) {
    const { after, before } = channel
    const moved = before === null || before.versionId !== after.versionId
    protect(
      after.versionId,
      after.version,
      moved ? `put on channel "${channel.name}" by this run` : `on channel "${channel.name}"`
    )
    if (before?.version && before.versionId !== after.versionId) {
      protect(before.versionId, before.version, `rollback target of channel "${channel.name}"`)
    }
    if (after.rollout) {
      protect(
        after.rollout.versionId,
        after.rollout.version,
        `rollout bundle of channel "${channel.name}"`
      )
    }
    if (before?.rollout && before.rollout.versionId !== after.rollout?.versionId) {
      protect(
        before.rollout.versionId,
        before.rollout.version,
        `rollout ended or replaced on channel "${channel.name}" by this run`
      )
    }
  }
  for (const c of inventory.channels) {
    if (c.name === deleteChannel?.name) continue
    const ref = bundleRefOf(c.version, bundlesById)
    if (ref !== undefined && ref.id === undefined && ref.name === undefined) {
      errors.push(
        `Channel "${c.name}" has a bundle that Capgo did not identify (no id, no name): ` +
          'nothing is deleted while the bundles in use are not known.'
      )
    }
    // The channel this run changes was handled above, from its plan.
    if (c.name === channel?.name) continue
    if (ref !== undefined) protect(ref.id, ref.name, `on channel "${c.name}"`)
    if (typeof c.rollout_version === 'number') {
      protect(
        c.rollout_version,
        c.rollout_version_info?.name,
        `rollout bundle of channel "${c.name}"`
      )
    }
  }
  if (settings.cleanupKeepReleases !== undefined) {
    // The history decides what is kept: without it, nothing may be deleted (docs/rollback.md).
    if (inventory.releases === undefined && inventory.channels.length > 0) {
      errors.push(
        'cleanup_keep_releases: the release history of the channels was not read from GitHub; ' +
          'nothing is deleted without it.'
      )
    }
    for (const [name, releases] of Object.entries(inventory.releases ?? {})) {
      const kept = lastReleases(releases, settings.cleanupKeepReleases)
      kept.forEach((release, index) => {
        const reason = `release ${index + 1} of channel "${name}"`
        protectName(release.version, reason)
        protectName(release.rolloutVersion, reason)
      })
      if (releases.length === 0) {
        warnings.push(
          `cleanup_keep_releases: channel "${name}" has no release recorded on GitHub (its ` +
            'releases were not recorded with github_deployment, or under another ' +
            'environment): nothing of it is protected by the history.'
        )
      }
    }
  }
  const matchProtect = compileGlobs(settings.cleanupProtect)
  for (const b of bundles) {
    const glob = matchProtect(b.name)
    if (glob !== undefined && !reasons.has(b.id))
      reasons.set(b.id, `matches cleanup_protect "${glob}"`)
  }
  return reasons
}

/**
 * The last `count` releases, newest first, where the steps of one staged rollout (the same
 * channel bundle and rollout bundle, recorded at each share) count once.
 */
export function lastReleases(releases: readonly Release[], count: number): Release[] {
  const kept: Release[] = []
  const seen = new Set<string>()
  for (const release of releases) {
    const key = `${release.version}\n${release.rolloutVersion ?? ''}`
    if (seen.has(key)) continue
    seen.add(key)
    kept.push(release)
    if (kept.length >= count) break
  }
  return kept
}

function planCleanup(
  settings: Settings,
  bundles: Bundle[],
  decided: Map<number, BundleDecision>,
  decide: (bundle: Bundle, fate: Fate, reason: string, source?: DeletionSource) => void,
  now: number
): void {
  const cleanup = settings.cleanup!
  const matchPattern =
    settings.cleanupPattern.length > 0 ? compileGlobs(settings.cleanupPattern) : undefined
  const candidates: Bundle[] = []
  for (const bundle of bundles) {
    if (decided.has(bundle.id)) continue
    if (matchPattern && matchPattern(bundle.name) === undefined) {
      decide(bundle, 'keep', 'does not match cleanup_pattern')
    } else if (cleanup.order === 'semver' && parseSemver(bundle.name) === undefined) {
      decide(bundle, 'keep', 'not a semver version (cleanup_order: semver)')
    } else if (!Number.isFinite(Date.parse(bundle.created_at))) {
      decide(bundle, 'keep', 'upload time unknown')
    } else {
      candidates.push(bundle)
    }
  }

  const ranked = rankNewestFirst(candidates, cleanup.order)
  const cutoff = cleanup.olderThanMs === undefined ? undefined : now - cleanup.olderThanMs
  const newest = cleanup.order === 'semver' ? 'highest' : 'newest'
  ranked.forEach((r, index) => {
    const inKeep = cleanup.keep !== undefined && index < cleanup.keep
    const oldEnough = cutoff === undefined || r.time < cutoff
    if (inKeep) {
      decide(r.bundle, 'keep', `one of the ${cleanup.keep} ${newest} (cleanup_keep)`)
    } else if (!oldEnough) {
      decide(r.bundle, 'keep', `not older than ${cleanup.olderThanText} (cleanup_older_than)`)
    } else {
      const why: string[] = []
      if (cleanup.keep !== undefined)
        why.push(cleanup.keep === 0 ? 'cleanup_keep: 0' : `outside the ${cleanup.keep} ${newest}`)
      if (cutoff !== undefined) why.push(`older than ${cleanup.olderThanText}`)
      decide(r.bundle, 'delete', why.join(' and '), 'cleanup')
    }
  })
}

/** Newest first: by upload time (ties: higher id first) or by semver precedence (then time, id). */
function rankNewestFirst(bundles: Bundle[], order: 'created' | 'semver'): Ranked[] {
  const ranked: Ranked[] = bundles.map(bundle => ({
    bundle,
    time: Date.parse(bundle.created_at),
    semver: order === 'semver' ? parseSemver(bundle.name) : undefined
  }))
  const byTime = (a: Ranked, b: Ranked): number => {
    const ta = Number.isFinite(a.time) ? a.time : -Infinity
    const tb = Number.isFinite(b.time) ? b.time : -Infinity
    if (ta !== tb) return tb - ta
    return b.bundle.id - a.bundle.id
  }
  if (order === 'semver') {
    ranked.sort((a, b) => {
      if (a.semver && b.semver) {
        const c = compareSemver(b.semver, a.semver)
        if (c !== 0) return c
      }
      return byTime(a, b)
    })
  } else {
    ranked.sort(byTime)
  }
  return ranked
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}
