// Names a user may have misspelt: near misses of an existing channel (`create_channel: auto`
// refuses to create one) and "did you mean" for `channel`, `promote_from` and `version`. Pure.

import type { Channel } from '../capgo/types.js'
import { editDistance, type Settings } from '../settings/index.js'

/** Digit runs count as one and the same: `pr-42` and `pr-43` are different names, not typos. */
function withoutNumbers(name: string): string {
  return name.toLowerCase().replace(/\d+/g, '0')
}

/**
 * Whether `name` is a near miss of `existing` (docs/rollouts.md, `create_channel`): the same letters in
 * another case, or at most two letters apart where the difference is not in digits alone. A short
 * name needs a closer match (one letter for up to five letters), so that `qa` is no typo of `pr`.
 */
export function isNearMiss(name: string, existing: string): boolean {
  if (name === existing) return false
  if (name.toLowerCase() === existing.toLowerCase()) return true
  const a = withoutNumbers(name)
  const b = withoutNumbers(existing)
  if (a === b) return false
  const allowed = Math.min(2, Math.floor(Math.max(a.length, b.length) / 3))
  return editDistance(a, b) <= allowed
}

/** The existing names `name` is a near miss of, nearest first. */
export function nearMisses(name: string, existing: Iterable<string>): string[] {
  const found: { name: string; distance: number }[] = []
  for (const candidate of existing) {
    if (!isNearMiss(name, candidate)) continue
    found.push({
      name: candidate,
      distance: editDistance(name.toLowerCase(), candidate.toLowerCase())
    })
  }
  return found
    .sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .map(x => x.name)
}

/**
 * Up to `max` names near `wanted`, nearest first: for "did you mean". A version written with a
 * leading `v` (`v1.2.0`) matches `1.2.0`. Numbers count here (a version typo is often a digit).
 */
export function didYouMean(wanted: string, candidates: Iterable<string>, max = 3): string[] {
  const plain = wanted.toLowerCase()
  const bare = /^v\d/i.test(wanted) ? plain.slice(1) : plain
  const scored: { name: string; distance: number }[] = []
  for (const candidate of candidates) {
    if (candidate === wanted) continue
    const c = candidate.toLowerCase()
    const distance = Math.min(
      editDistance(plain, c),
      bare === plain ? Infinity : editDistance(bare, c)
    )
    const allowed = Math.max(1, Math.min(3, Math.floor(Math.max(plain.length, c.length) / 3)))
    if (distance <= allowed) scored.push({ name: candidate, distance })
  }
  return scored
    .sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .slice(0, max)
    .map(x => x.name)
}

/** ` Did you mean "a" or "b"?`, or '' when there is nothing near. */
export function didYouMeanText(names: readonly string[]): string {
  if (names.length === 0) return ''
  const quoted = names.map(n => `"${n}"`)
  const last = quoted.pop()!
  return ` Did you mean ${quoted.length > 0 ? `${quoted.join(', ')} or ${last}` : last}?`
}

/**
 * `create_channel` (docs/rollouts.md): a missing channel is created, unless `false`, or, with `auto`,
 * unless its name is a near miss of an existing channel: a typo must not create "prodution" and
 * put the release there. Said before any write, and before any role advice.
 */
export function checkNewChannel(
  settings: Settings,
  name: string,
  channels: ReadonlyMap<string, Channel>,
  errors: string[]
): void {
  // A rollback or a rollout on a missing channel is refused by its own rule.
  if (settings.rollback || settings.rollout !== undefined) return
  if (settings.createChannel === 'false') {
    errors.push(
      `Channel "${name}" (channel) does not exist, and create_channel is false.` +
        didYouMeanText(didYouMean(name, channels.keys())) +
        ' Nothing was changed.'
    )
    return
  }
  if (settings.createChannel !== 'auto') return
  const near = nearMisses(name, channels.keys())
  if (near.length === 0) return
  errors.push(
    `Channel "${name}" (channel) does not exist, and its name is a near miss of ` +
      `${near.map(n => `"${n}"`).join(', ')}.${didYouMeanText(near.slice(0, 3))} Nothing was ` +
      `created or changed. To create "${name}" anyway, set create_channel: true.`
  )
}
