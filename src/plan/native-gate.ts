// The native compatibility gate of the plan (docs/rollouts.md, `compatibility`): the bundle put on
// a channel against the channel's bundle, by Capgo CLI's rule (compatibility.ts). Pure.

import type { Bundle } from '../capgo/types.js'
import type { Settings } from '../settings/index.js'
import { checkCompatibility, describeIncompatibility } from './compatibility.js'
import type { ChannelPlan, ChannelSnapshot, CompatibilityCheck } from './types.js'

/** The bundle a run puts on the channel, as the gate needs it. */
export interface GateTarget {
  id: number
  version: string
  source: NonNullable<ChannelPlan['versionSource']>
  input: string
}

/**
 * The native compatibility gate (docs/rollouts.md, `compatibility`; Capgo CLI's rule in compatibility.ts):
 * the bundle put on the channel against the channel's bundle. `fail` stops an incompatible bundle
 * before any write; a rollback, which puts back what ran before, only warns; a channel bundle with
 * no record of its native packages warns and never blocks.
 */
export function planCompatibility(
  settings: Settings,
  channel: string,
  before: ChannelSnapshot | null,
  target: GateTarget,
  bundlesById: ReadonlyMap<number, Bundle>,
  errors: string[],
  warnings: string[]
): CompatibilityCheck | null {
  if (settings.compatibility === 'off') return null
  if (before === null || before.versionId === null) return null // nothing installed to compare
  const current = bundlesById.get(before.versionId)
  const candidate = bundlesById.get(target.id)
  const currentName = before.version ?? `bundle id ${before.versionId}`
  const report =
    current === undefined || candidate === undefined
      ? {
          verdict: 'unknown' as const,
          plugins: [],
          reason: 'the bundle rows were not read'
        }
      : current.native_packages === null || current.native_packages === undefined
        ? {
            verdict: 'unknown' as const,
            plugins: [],
            reason: `the channel's bundle ${currentName} has no record of its native packages`
          }
        : checkCompatibility(candidate.native_packages, current.native_packages)
  const problems = describeIncompatibility(report, target.version, channel, currentName)
  const rollback = target.source.kind === 'rollback'
  const check: CompatibilityCheck = {
    mode: settings.compatibility,
    candidate: target.version,
    current: currentName,
    verdict: report.verdict,
    plugins: report.plugins,
    ...(report.reason !== undefined ? { reason: report.reason } : {}),
    problems,
    blocks: report.verdict === 'incompatible' && settings.compatibility === 'fail' && !rollback
  }
  if (report.verdict === 'unknown') {
    warnings.push(
      `compatibility: "${target.version}" was not checked against channel "${channel}": ` +
        `${report.reason ?? 'no record'}. It goes on (an unknown verdict never blocks).`
    )
  } else if (report.verdict === 'incompatible') {
    const text =
      `compatibility: bundle "${target.version}" (${target.input}) is not compatible with the ` +
      `app binaries that run channel "${channel}" (its bundle ${currentName}): ` +
      `${problems.join('; ')}.`
    if (check.blocks) {
      errors.push(
        `${text} Nothing was changed. Ship a new app build to the stores first, or set ` +
          '"compatibility: warn" to put it on the channel anyway.'
      )
    } else {
      warnings.push(
        `${text} ${rollback ? 'A rollback is never blocked.' : 'compatibility: warn lets it go on.'}`
      )
    }
  }
  return check
}
