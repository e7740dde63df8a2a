// The rollout rules: start a rollout of a bundle at a share, change its share, advance it through
// `rollout_steps` (promoting after the last step), promote, abort, pause and resume. Pure.

import type { RolloutFields } from '../capgo/types.js'
import type { RolloutSettings } from '../settings/index.js'
import type { ChannelSnapshot, RolloutAction, RolloutSnapshot } from './types.js'

export interface RolloutInput {
  channel: string
  /** The channel as read; null when it does not exist. */
  before: ChannelSnapshot | null
  /** The bundle of `version` / `promote_from`, when given and found. */
  target: { id: number; version: string } | undefined
  /** Which input named the target, for messages (`version` or `promote_from "beta"`). */
  targetInput: string
  rollout: RolloutSettings
  /**
   * A re-run (GITHUB_RUN_ATTEMPT > 1) of a run that already recorded a release of this channel:
   * `rollout_steps` alone does not advance again (docs/rollouts.md).
   */
  recordedByThisRun?: boolean
}

export interface RolloutDecision {
  action: RolloutAction | 'none'
  /** The rollout fields of the `POST /channel` body; empty when nothing changes. */
  fields: RolloutFields
  /** The rollout after the run (null: none). */
  after: RolloutSnapshot | null
  /** Set when the rollout bundle becomes the channel's bundle (promote). */
  promoted?: { id: number; version: string | null }
  nextStep: number | 'promote' | null
  /** A rollout of another bundle that this run ends or replaces. */
  replaced: string | null
  errors: string[]
  warnings: string[]
}

/** Basis points, as Capgo stores a share. */
export function toBps(percentage: number): number {
  return Math.round(percentage * 100)
}

/** The step after `share` in `steps`, or `promote` when `share` is at or past the last one. */
export function stepAfter(steps: readonly number[], share: number): number | 'promote' {
  const next = steps.find(step => toBps(step) > toBps(share))
  return next === undefined ? 'promote' : next
}

function rolloutName(rollout: RolloutSnapshot): string {
  return rollout.version ?? `bundle id ${rollout.versionId}`
}

export function planRollout(input: RolloutInput): RolloutDecision {
  const { channel, before, target, rollout } = input
  const decision: RolloutDecision = {
    action: 'none',
    fields: {},
    after: before?.rollout ?? null,
    nextStep: null,
    replaced: null,
    errors: [],
    warnings: []
  }
  const fail = (message: string): RolloutDecision => {
    decision.errors.push(message)
    return decision
  }

  if (before === null) {
    return fail(
      `Channel "${channel}" does not exist: a rollout needs an existing channel with a bundle ` +
        '(the bundle every device outside the rollout keeps). Put a bundle on it first.'
    )
  }
  if (before.version === null) {
    return fail(
      `Channel "${channel}" has no bundle: a rollout needs one for the devices outside the ` +
        'rollout. Put a bundle on it first.'
    )
  }
  const running = before.rollout

  if (rollout.promote || rollout.abort) {
    const input = rollout.promote ? 'rollout_promote' : 'rollout_abort'
    if (running === null) {
      // Nothing left to end: already done (a re-run of the abort or promote job), or never
      // started. Succeeds, and says so, so that a re-run is safe.
      decision.warnings.push(
        `No rollout runs on channel "${channel}": nothing to end (${input}); nothing was changed.`
      )
      return decision
    }
    decision.after = null
    if (rollout.promote) {
      decision.action = 'promote'
      decision.fields = { promoteToStable: true }
      decision.promoted = { id: running.versionId, version: running.version }
    } else {
      decision.action = 'abort'
      decision.fields = { rollback: true }
      decision.replaced = rolloutName(running)
    }
    return decision
  }

  const steps = rollout.steps
  const startsTarget = target !== undefined && (running === null || running.versionId !== target.id)
  if (target !== undefined && target.version === before.version) {
    // Already every device's bundle: the release job run again after its rollout was promoted.
    // Nothing to roll out, and nothing to change: it succeeds, and says so (a re-run is safe).
    decision.warnings.push(
      `Bundle "${target.version}" (${input.targetInput}) is already the bundle of channel ` +
        `"${channel}": there is nothing to roll out; nothing was changed.`
    )
    return decision
  }

  if (startsTarget && (rollout.percentage !== undefined || steps !== undefined)) {
    const share = rollout.percentage ?? steps![0]!
    if (rollout.pause === true) {
      // Capgo unpauses a rollout whenever its bundle changes (docs/capgo-api-notes.md, "Rollouts"), in
      // the same write: a start sent paused would reach devices at once.
      return fail(
        `"rollout_pause: true" cannot start a rollout of "${target.version}" on channel ` +
          `"${channel}": Capgo starts every new rollout unpaused. Start it with a small share ` +
          '(or "rollout_percentage: 0") and no "rollout_pause", then pause it in another run.'
      )
    }
    if (running !== null) {
      decision.replaced = rolloutName(running)
      decision.warnings.push(
        `The rollout of "${rolloutName(running)}" on channel "${channel}" is replaced by a ` +
          `rollout of "${target.version}"; "${rolloutName(running)}" is kept (not deleted) by ` +
          'this run.'
      )
    }
    decision.action = 'start'
    decision.fields = {
      rolloutVersion: target.version,
      rolloutPercentageBps: toBps(share),
      rolloutEnabled: true,
      rolloutPaused: rollout.pause ?? false
    }
    decision.after = {
      version: target.version,
      versionId: target.id,
      percentage: share,
      enabled: true,
      paused: rollout.pause ?? false,
      pauseReason: null
    }
    decision.nextStep = steps ? stepAfter(steps, share) : null
    return decision
  }

  if (running === null) {
    const given =
      rollout.percentage !== undefined
        ? 'rollout_percentage'
        : steps !== undefined
          ? 'rollout_steps'
          : 'rollout_pause'
    return fail(
      `No rollout runs on channel "${channel}": "${given}" needs one. Start one with "version" ` +
        `or "promote_from" and "rollout_percentage" or "rollout_steps".`
    )
  }

  if (startsTarget) {
    // `rollout_pause` alone with `version`/`promote_from`: it would pause another bundle's rollout.
    return fail(
      `The rollout on channel "${channel}" is of "${rolloutName(running)}", not of ` +
        `"${target.version}" (${input.targetInput}): "rollout_pause" pauses or resumes the ` +
        `running rollout. To roll out "${target.version}", give "rollout_percentage" or ` +
        '"rollout_steps".'
    )
  }

  const after: RolloutSnapshot = { ...running }
  const fields: RolloutFields = {}
  if (steps !== undefined && target !== undefined) {
    // The release job again (a re-run, or the same tag): its bundle is already rolling out. It
    // started the rollout; advancing is the scheduled run's job (`rollout_steps` alone), so a
    // re-run of the release never moves the rollout on by surprise.
    decision.nextStep = stepAfter(steps, running.percentage)
  } else if (steps !== undefined && input.recordedByThisRun === true) {
    // This workflow run already moved the rollout and recorded it: its re-run stays put.
    decision.nextStep = stepAfter(steps, running.percentage)
    decision.warnings.push(
      `This workflow run already recorded a step of the rollout on channel "${channel}" (an ` +
        `earlier attempt): a re-run does not advance it again. It stays at ${running.percentage} %.`
    )
  } else if (steps !== undefined) {
    if (running.paused) {
      const why = running.pauseReason ? `: "${running.pauseReason}"` : ''
      return fail(
        `The rollout of "${rolloutName(running)}" on channel "${channel}" is paused${why}. ` +
          'rollout_steps does not advance a paused rollout; resume it with "rollout_pause: false" ' +
          'once the cause is fixed, or end it with "rollout_abort: true".'
      )
    }
    if (!running.enabled) {
      // Set, not serving: no device gets it, whatever share it holds. Its first served share is
      // the first step, so that rollout_steps never turns a bundle on for 100 % in one run.
      const first = steps[0]!
      decision.action = 'step'
      fields.rolloutPercentageBps = toBps(first)
      fields.rolloutEnabled = true
      after.percentage = first
      after.enabled = true
      decision.nextStep = stepAfter(steps, first)
      decision.warnings.push(
        `The rollout bundle "${rolloutName(running)}" on channel "${channel}" was set but served ` +
          `no device; rollout_steps turns it on at the first step, ${first} %.`
      )
      decision.fields = fields
      decision.after = after
      return decision
    }
    const next = stepAfter(steps, running.percentage)
    if (next === 'promote') {
      decision.action = 'promote'
      decision.fields = { promoteToStable: true }
      decision.promoted = { id: running.versionId, version: running.version }
      decision.after = null
      return decision
    }
    decision.action = 'step'
    fields.rolloutPercentageBps = toBps(next)
    after.percentage = next
    if (!running.enabled) {
      fields.rolloutEnabled = true
      after.enabled = true
    }
    decision.nextStep = stepAfter(steps, next)
  } else if (rollout.percentage !== undefined) {
    // A share asked for is a share devices get: a rollout that is set but not enabled (Capgo's
    // default, or turned off in its dashboard) is enabled, as `rollout_steps` does.
    if (toBps(rollout.percentage) !== toBps(running.percentage)) {
      fields.rolloutPercentageBps = toBps(rollout.percentage)
      after.percentage = rollout.percentage
      if (running.paused && rollout.pause !== false) {
        const why = running.pauseReason ? ` ("${running.pauseReason}")` : ''
        decision.warnings.push(
          `The rollout on channel "${channel}" is paused${why}: its share is set to ` +
            `${rollout.percentage} %, and devices get it once the rollout is resumed ` +
            '("rollout_pause: false").'
        )
      }
    }
    if (!running.enabled) {
      fields.rolloutEnabled = true
      after.enabled = true
    }
    if (Object.keys(fields).length > 0) decision.action = 'set_share'
  }
  if (rollout.pause !== undefined && rollout.pause !== running.paused) {
    if (decision.action === 'none') decision.action = rollout.pause ? 'pause' : 'resume'
    fields.rolloutPaused = rollout.pause
    after.paused = rollout.pause
    if (!rollout.pause) after.pauseReason = null
  }
  decision.fields = fields
  decision.after = after
  return decision
}
