// Capgo's own side effects, predicted by the plan and checked by the read-back (README, "One run",
// steps 3 and 5; docs/capgo-api-notes.md, "A new stable bundle ends a rollout"): a new stable
// bundle on a channel with a rollout bundle ends that rollout on today's Capgo; an older or
// self-hosted Capgo keeps it. The plan says so before writing, the ended rollout bundle is kept
// by the same run's cleanup, and the read-back accepts either outcome and nothing else.

import { describe, expect, it } from 'vitest'
import type { Channel } from '../src/capgo/types.js'
import { makePlan, snapshotOf } from '../src/plan/index.js'
import { checkReadBack } from '../src/verify.js'
import {
  DAY,
  T0,
  applyWrite,
  channel,
  cleanup,
  inventory,
  releases,
  rollout,
  series,
  settings
} from './helpers/fixtures.js'

const NOW = T0 + 10 * DAY
const rows = series(10)
const at = (i: number) => rows[i]!
const GITHUB = { token: 't', deployment: false, prComment: false }

/** production holds 1.0.7 and rolls out 1.0.8 at 25 %; beta holds 1.0.9. */
function channels(rolloutOptions: Parameters<typeof rollout>[2] = {}): Channel[] {
  return [channel('production', at(7), rollout(at(8), 25, rolloutOptions)), channel('beta', at(9))]
}

const releaseInputs = {
  version: { channel: 'production', version: '1.0.9' },
  promote_from: { channel: 'production', promoteFrom: 'beta' },
  rollback: { channel: 'production', rollback: true, github: GITHUB }
} as const

describe('a new stable bundle ends the running rollout: the plan says so before writing', () => {
  it.each(['version', 'promote_from'] as const)(
    '%s onto a channel whose rollout runs: predicted, warned, and the write stays PUT /bundle',
    input => {
      const plan = makePlan(settings(releaseInputs[input]), inventory(rows, channels()), NOW)
      const ch = plan.channel!
      expect(plan.errors).toEqual([])
      // The narrow route still does it: an uploader key keeps working.
      expect(ch.write?.kind).toBe('set_bundle')
      expect(ch.endsRollout).toMatchObject({ version: '1.0.8', percentage: 25, enabled: true })
      expect(ch.after.rollout).toBeNull()
      expect(ch.after.version).toBe('1.0.9')
      expect(plan.warnings.join('\n')).toMatch(
        /Capgo ends the rollout of "1.0.8" at 25 % on channel "production"/
      )
    }
  )

  it('a rollback onto a channel whose rollout bundle is set, not serving: allowed, and its end predicted', () => {
    const plan = makePlan(
      settings(releaseInputs.rollback),
      inventory(rows, channels({ enabled: false }), {}, { production: releases('1.0.7', '1.0.6') }),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.after.version).toBe('1.0.6')
    expect(plan.channel?.endsRollout?.enabled).toBe(false)
    expect(plan.warnings.join('\n')).toMatch(/"1.0.8" \(set, not serving/)
  })

  it('a rollback while the rollout serves devices is refused, naming it as served', () => {
    const plan = makePlan(
      settings(releaseInputs.rollback),
      inventory(rows, channels(), {}, { production: releases('1.0.7', '1.0.6') }),
      NOW
    )
    expect(plan.errors.join('\n')).toMatch(/rollout of "1.0.8" at 25 % runs.*rollout_abort/s)
  })

  it('the same bundle again, or a rollout input, predicts no end', () => {
    const same = makePlan(
      settings({ channel: 'production', version: '1.0.7' }),
      inventory(rows, channels()),
      NOW
    )
    expect(same.channel?.write).toBeNull()
    expect(same.channel?.endsRollout).toBeNull()
    const start = makePlan(
      settings({
        channel: 'production',
        version: '1.0.9',
        rollout: { percentage: 10, promote: false, abort: false }
      }),
      inventory(rows, channels()),
      NOW
    )
    // The rollout bundle changes in the same write: Capgo replaces the rollout, it does not end it.
    expect(start.channel?.endsRollout).toBeNull()
    expect(start.channel?.after.rollout?.version).toBe('1.0.9')
  })

  it("the ended rollout bundle is protected in the same run's cleanup", () => {
    const plan = makePlan(
      settings({ channel: 'production', version: '1.0.9', cleanup: cleanup({ keep: 0 }) }),
      inventory(rows, channels()),
      NOW
    )
    const fate = plan.bundles.find(d => d.version === '1.0.8')
    expect(fate?.fate).toBe('protected')
    expect(fate?.reason).toMatch(/rollout ended or replaced on channel "production"/)
    // The rollback target too, and nothing else that a channel uses is deleted.
    expect(plan.bundles.find(d => d.version === '1.0.7')?.fate).toBe('protected')
    expect(plan.wouldDelete).not.toContain('1.0.8')
  })
})

describe('the read-back accepts what Capgo does on both eras, and nothing else', () => {
  const before = channels()
  const plan = makePlan(settings(releaseInputs.promote_from), inventory(rows, before), NOW)
  const ch = plan.channel!
  const byId = new Map(rows.map(b => [b.id, b]))
  const rowOf = (era: 'late-2026' | 'july-2026') =>
    applyWrite(before, rows, ch.write, T0, era).find(c => c.name === 'production')

  it('today (late 2026): the rollout ended, as predicted', () => {
    const found = rowOf('late-2026')
    expect(found?.rollout_version).toBeNull()
    expect(checkReadBack(ch, found, byId)).toEqual({ differences: [], rolloutKept: false })
  })

  it('an older or self-hosted Capgo (July 2026): the rollout kept, accepted', () => {
    const found = rowOf('july-2026')
    expect(snapshotOf(found!).rollout?.version).toBe('1.0.8')
    expect(checkReadBack(ch, found, byId)).toEqual({ differences: [], rolloutKept: true })
  })

  it('a rollout changed otherwise (another share) is a difference, not a side effect', () => {
    const found = { ...rowOf('july-2026')!, rolloutPercentageBps: 5000 }
    const check = checkReadBack(ch, found, byId)
    expect(check.rolloutKept).toBe(false)
    expect(check.differences.join('; ')).toMatch(/a rollout of "1.0.8" \(id 9\) is still set/)
  })

  it('another bundle on the channel is a difference', () => {
    const found = { ...rowOf('late-2026')!, version: { id: at(5).id, name: at(5).name } }
    expect(checkReadBack(ch, found, byId).differences.join('; ')).toMatch(/its bundle is "1.0.5"/)
  })
})

describe('a re-run after the rollout ended changes nothing (both eras)', () => {
  it.each(['late-2026', 'july-2026'] as const)('%s', era => {
    const s = settings(releaseInputs.promote_from)
    const before = channels()
    const first = makePlan(s, inventory(rows, before), NOW)
    const after = applyWrite(before, rows, first.channel?.write, T0, era)
    const again = makePlan(s, inventory(rows, after), NOW)
    expect(again.errors).toEqual([])
    expect(again.channel?.write).toBeNull()
    expect(again.channel?.endsRollout).toBeNull()
  })
})
