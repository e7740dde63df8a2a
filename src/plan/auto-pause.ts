// Capgo's auto-pause of a channel's rollout, set from the workflow (docs/rollouts.md): the fields
// of `POST /channel` that differ from what the channel holds. Pure.

import type { ChannelUpsert } from '../capgo/types.js'
import type { Settings } from '../settings/index.js'
import type { AutoPauseSnapshot, ChannelSnapshot } from './types.js'

/**
 * The auto-pause fields that differ from what the channel holds, sent with the rollout's
 * `POST /channel` (docs/rollouts.md). Nothing differs: nothing is sent, so a re-run
 * writes nothing.
 */
export function planAutoPause(
  settings: Settings,
  before: ChannelSnapshot | null,
  after: ChannelSnapshot,
  body: ChannelUpsert
): boolean {
  const wanted = settings.autoPause
  if (wanted === undefined) return false
  const held = before?.autoPause ?? null
  const next: AutoPauseSnapshot = {
    enabled: held?.enabled ?? false,
    failureRateBps: held?.failureRateBps ?? null,
    windowMinutes: held?.windowMinutes ?? null,
    minAttempts: held?.minAttempts ?? null,
    action: held?.action ?? null,
    lastTriggeredAt: held?.lastTriggeredAt ?? null
  }
  let changed = false
  if (held === null || held.enabled !== wanted.enabled) {
    body.autoPauseEnabled = wanted.enabled
    next.enabled = wanted.enabled
    changed = true
  }
  const fields = [
    ['failureRateBps', 'autoPauseFailureRateBps'],
    ['windowMinutes', 'autoPauseWindowMinutes'],
    ['minAttempts', 'autoPauseMinAttempts']
  ] as const
  for (const [key, api] of fields) {
    const value = wanted[key]
    if (value === undefined || held?.[key] === value) continue
    body[api] = value
    next[key] = value
    changed = true
  }
  if (wanted.action !== undefined && held?.action !== wanted.action) {
    body.autoPauseAction = wanted.action
    next.action = wanted.action
    changed = true
  }
  if (changed) after.autoPause = next
  return changed
}
