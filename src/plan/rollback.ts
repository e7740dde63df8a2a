// Rollback as a stack (docs/rollback.md): the recorded releases of a channel, oldest
// first, push the bundle each one put there; a rollback pops the release it undid. The target of
// a rollback is what lies under the channel's current bundle. Pure.

import type { Bundle } from '../capgo/types.js'
import type { Release } from './types.js'

export interface ReleaseStack {
  /** The live bundles in order, oldest at the bottom; the last one is what the channel should hold. */
  stack: string[]
  /**
   * False when the history read does not reach far enough back: a rollback undid a release that
   * is older than every record read, or the oldest record names no bundle before it.
   */
  complete: boolean
}

/**
 * The stack the history builds, from records given newest first (as GitHub lists deployments).
 * A staged rollout records each step with the same channel bundle: it is pushed once. The first
 * recorded release is enough: its `previousVersion` is the bundle before it.
 */
export function releaseStack(newestFirst: readonly Release[]): ReleaseStack {
  const stack: string[] = []
  let complete = true
  const records = [...newestFirst].reverse()
  records.forEach((record, index) => {
    if (record.version === '') return
    if (record.rollback === true) {
      // It put `version` back: everything above it in the stack was undone.
      const at = stack.lastIndexOf(record.version)
      if (at >= 0) stack.length = at + 1
      else {
        if (stack.length <= 1) complete = false
        stack.length = 0
        stack.push(record.version)
      }
      return
    }
    if (index === 0 && record.previousVersion && record.previousVersion !== record.version) {
      stack.push(record.previousVersion)
    }
    if (stack.at(-1) !== record.version) stack.push(record.version)
  })
  if (records.length > 0 && stack.length < 2 && !records[0]?.previousVersion) complete = false
  return { stack, complete }
}

export type RollbackDecision =
  | { kind: 'target'; version: string; bundle: Bundle; deploymentId: number }
  /** The latest record is this run's own rollback (a re-run of the job): nothing to do. */
  | { kind: 'already_done'; version: string }
  | { kind: 'none'; skipped: string[]; complete: boolean }

/**
 * The bundle a rollback puts back: the one under the channel's current bundle in the stack,
 * skipping bundles deleted since; when the channel holds a bundle the history does not end on
 * (moved elsewhere), the history's own top.
 */
export function decideRollback(
  releases: readonly Release[],
  current: string | null,
  bundles: readonly Bundle[],
  runId: string | undefined
): RollbackDecision {
  const latest = releases[0]
  if (latest?.rollback === true && runId !== undefined && latest.runId === runId) {
    return { kind: 'already_done', version: latest.version }
  }
  const { stack, complete } = releaseStack(releases)
  // Under the channel's bundle in the stack. A channel already on an earlier bundle of the stack
  // (rolled back without a record) steps down from there, never back up to the bad release; one
  // on a bundle the history does not hold gets the history's top.
  const at = current === null ? -1 : stack.lastIndexOf(current)
  const from = at >= 0 ? at - 1 : stack.length - 1
  const skipped: string[] = []
  for (let i = from; i >= 0; i--) {
    const version = stack[i]!
    if (version === current) continue
    const bundle = newestNamed(bundles, version)
    if (bundle === undefined || version === 'unknown' || version === 'builtin') {
      if (!skipped.includes(version)) skipped.push(version)
      continue
    }
    const record = releases.find(r => r.version === version && r.rollback !== true)
    return {
      kind: 'target',
      version,
      bundle,
      deploymentId: record?.deploymentId ?? latest?.deploymentId ?? 0
    }
  }
  return { kind: 'none', skipped, complete }
}

export function newestNamed(bundles: readonly Bundle[], name: string): Bundle | undefined {
  let found: Bundle | undefined
  for (const b of bundles) {
    if (b.deleted || b.name !== name) continue
    if (found === undefined || Date.parse(b.created_at) > Date.parse(found.created_at)) found = b
  }
  return found
}
