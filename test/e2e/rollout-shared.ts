// Pieces of the rollout end-to-end tests (rollout.test.ts): the seed app, the channel's rollout as
// the emulator holds it, the writes of the request log as {method, path, body}, and the parts of the
// report the rollout tests read.

import { expect } from 'vitest'
import type { Emulator, SeedChannel } from '../emulator/index.js'
import type { ActionRun } from '../helpers/action-runner.js'
import { APP, json, type AppSeed } from './shared.js'

/**
 * 12 bundles `1.0.0` (oldest) .. `1.0.11` (newest), one an hour; `production` on 1.0.8 (with
 * `productionRollout` given: its rollout too), `beta` on 1.0.11, `empty` without a bundle.
 */
export function rolloutApp(
  productionRollout: Omit<SeedChannel, 'name' | 'version'> = {},
  extra: Partial<AppSeed> = {}
): AppSeed {
  return {
    bundles: 12,
    channels: [
      { name: 'production', version: '1.0.8', ...productionRollout },
      { name: 'beta', version: '1.0.11' },
      { name: 'empty' }
    ],
    ...extra
  }
}

/** A rollout of `bundle` on production at `bps`, running (enabled, not paused). */
export function runningRollout(bundle: string, bps: number): Omit<SeedChannel, 'name' | 'version'> {
  return { rollout_version: bundle, rolloutEnabled: true, rolloutPercentageBps: bps }
}

/** A write of the request log, as sent. */
export interface Write {
  method: string
  path: string
  body: unknown
  status: number
}

export function writes(emu: Emulator): Write[] {
  return emu.writes().map(r => ({ method: r.method, path: r.path, body: r.body, status: r.status }))
}

/** The `POST /channel` a run sends for production (answered 200). */
export function channelPost(fields: Record<string, unknown>, channel = 'production'): Write {
  return {
    method: 'POST',
    path: '/channel',
    body: { app_id: APP, channel, ...fields },
    status: 200
  }
}

/** The `POST /bundle/metadata` a run sends (answered 200). */
export function metadataPost(emu: Emulator, version: string, fields: object): Write {
  return {
    method: 'POST',
    path: '/bundle/metadata',
    body: { app_id: APP, version_id: bundleId(emu, version), ...fields },
    status: 200
  }
}

export function bundleId(emu: Emulator, version: string): number {
  const bundle = emu.bundles(APP).find(b => b.name === version)
  if (!bundle) throw new Error(`no live bundle ${version}`)
  return bundle.id
}

/** A channel as the emulator holds it: its bundle and its rollout. */
export interface ChannelState {
  version: string | null
  rollout: string | null
  bps: number
  enabled: boolean
  paused: boolean
  reason: string | null
}

export function channelState(emu: Emulator, name = 'production'): ChannelState {
  const row = emu.channel(APP, name)
  if (!row) throw new Error(`no channel ${name}`)
  return {
    version: row.version?.name ?? null,
    rollout: row.rollout_version_info?.name ?? null,
    bps: row.rolloutPercentageBps,
    enabled: row.rolloutEnabled,
    paused: row.rolloutPausedAt !== null,
    reason: row.rolloutPauseReason
  }
}

/** The state of a channel with no rollout (Capgo clears every rollout field). */
export function noRollout(version: string | null): ChannelState {
  return { version, rollout: null, bps: 0, enabled: false, paused: false, reason: null }
}

/** The outputs about the channel and its rollout. */
export function rolloutOutputs(result: ActionRun): Record<string, string | undefined> {
  const o = result.outputs
  return {
    version: o.version,
    previous_version: o.previous_version,
    rollout_version: o.rollout_version,
    rollout_percentage: o.rollout_percentage,
    rollout_paused: o.rollout_paused,
    channel_changed: o.channel_changed
  }
}

/** The parts of the `report` output the rollout tests read. */
export interface RolloutReport {
  errors: string[]
  warnings: string[]
  channel_changed: boolean
  channel_verified: boolean
  rollout: {
    action: string
    next_step: number | 'promote' | null
    replaced: string | null
  } | null
  plan: {
    bundles: { version: string; fate: string; reason: string }[]
  } | null
}

export function rolloutReport(result: ActionRun): RolloutReport {
  return json<RolloutReport>(result, 'report')
}

/** The fate and reason the plan gave `version` (undefined when the plan did not list it). */
export function fateOf(
  result: ActionRun,
  version: string
): { fate: string; reason: string } | undefined {
  const row = rolloutReport(result).plan?.bundles.find(b => b.version === version)
  return row && { fate: row.fate, reason: row.reason }
}

/** Live bundle names of APP, sorted by their number. */
export function liveVersions(emu: Emulator): string[] {
  return emu
    .bundles(APP)
    .map(b => b.name)
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
}

/** The step failed with one error annotation that holds every text of `texts`. */
export function expectFailedWith(result: ActionRun, ...texts: (string | RegExp)[]): void {
  const detail = `exit ${result.code}\n${result.errors.join('\n')}\n${result.stdout.slice(-1500)}`
  expect(result.code, detail).toBe(1)
  expect(result.errors, detail).toHaveLength(1)
  for (const t of texts) {
    if (typeof t === 'string') expect(result.errors[0], detail).toContain(t)
    else expect(result.errors[0], detail).toMatch(t)
  }
}
