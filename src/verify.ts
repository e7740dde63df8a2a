// The read-back: after writing a channel, what Capgo holds must be what the plan wrote. Pure: the
// comparison of the plan's `after` with the channel row read back.

import type { Bundle, Channel } from './capgo/types.js'
import { snapshotOf } from './plan/channel.js'
import { toBps } from './plan/rollout.js'
import type { ChannelPlan, ChannelSnapshot } from './plan/types.js'

function bundleText(version: string | null, id: number | null): string {
  if (id === null) return 'no bundle'
  return version === null ? `bundle id ${id}` : `"${version}" (id ${id})`
}

/**
 * The differences between the channel the plan wrote and the one read back: its bundle (by id)
 * and its rollout (bundle, share, enabled, paused). Empty when they agree.
 */
export function channelDifferences(
  expected: ChannelSnapshot,
  actual: Channel | undefined,
  bundlesById?: ReadonlyMap<number, Bundle>
): string[] {
  if (actual === undefined) return ['the channel is gone']
  const found = snapshotOf(actual, bundlesById)
  const differences: string[] = []
  if (found.versionId !== expected.versionId) {
    differences.push(
      `its bundle is ${bundleText(found.version, found.versionId)}, expected ` +
        bundleText(expected.version, expected.versionId)
    )
  }
  const want = expected.rollout
  const got = found.rollout
  if (want === null && got !== null) {
    differences.push(`a rollout of ${bundleText(got.version, got.versionId)} is still set`)
  } else if (want !== null && got === null) {
    differences.push(`no rollout is set, expected ${bundleText(want.version, want.versionId)}`)
  } else if (want !== null && got !== null) {
    if (got.versionId !== want.versionId) {
      differences.push(
        `the rollout bundle is ${bundleText(got.version, got.versionId)}, expected ` +
          bundleText(want.version, want.versionId)
      )
    }
    if (toBps(got.percentage) !== toBps(want.percentage)) {
      differences.push(`the rollout share is ${got.percentage} %, expected ${want.percentage} %`)
    }
    if (got.enabled !== want.enabled) {
      differences.push(`the rollout is ${got.enabled ? 'enabled' : 'disabled'}, expected otherwise`)
    }
    if (got.paused !== want.paused) {
      differences.push(`the rollout is ${got.paused ? 'paused' : 'running'}, expected otherwise`)
    }
  }
  const pauseWanted = expected.autoPause
  const pauseFound = found.autoPause
  if (pauseWanted !== null && pauseFound !== null) {
    for (const key of [
      'enabled',
      'failureRateBps',
      'windowMinutes',
      'minAttempts',
      'action'
    ] as const) {
      if (pauseWanted[key] !== pauseFound[key]) {
        differences.push(
          `auto-pause ${key} is ${String(pauseFound[key])}, expected ${String(pauseWanted[key])}`
        )
      }
    }
  }
  return differences
}

export interface ReadBack {
  /** Empty when Capgo holds what the plan predicted, Capgo's documented side effects included. */
  differences: string[]
  /**
   * The plan predicted that Capgo ends the channel's rollout (a new stable bundle) and it was kept
   * instead: an older or self-hosted Capgo, which the read-back accepts.
   */
  rolloutKept: boolean
}

/**
 * The read-back against the plan's prediction. Where the plan predicts that Capgo ends a rollout
 * (`endsRollout`), the channel with that rollout still set is accepted too: Capgo before August
 * 2026, and self-hosted ones, keep it (docs/capgo-api-notes.md, "A new stable bundle ends a
 * rollout"). A documented side effect is never a difference.
 */
export function checkReadBack(
  expected: { after: ChannelSnapshot; endsRollout: ChannelPlan['endsRollout'] },
  actual: Channel | undefined,
  bundlesById?: ReadonlyMap<number, Bundle>
): ReadBack {
  const differences = channelDifferences(expected.after, actual, bundlesById)
  if (differences.length === 0 || expected.endsRollout === null) {
    return { differences, rolloutKept: false }
  }
  const kept = { ...expected.after, rollout: expected.endsRollout }
  if (channelDifferences(kept, actual, bundlesById).length === 0) {
    return { differences: [], rolloutKept: true }
  }
  return { differences, rolloutKept: false }
}
