// Rollback as a stack (README, "Release history"): the first recorded release is enough, a
// release after a rollback rolls back to what the rollback put there, two rollbacks step back
// twice, a re-run of the same rollback job changes nothing, and bundles deleted since are skipped.

import { describe, expect, it } from 'vitest'
import { makePlan } from '../src/plan/index.js'
import { decideRollback, releaseStack } from '../src/plan/rollback.js'
import type { Release } from '../src/plan/types.js'
import { DAY, T0, channel, inventory, rollout, series, settings } from './helpers/fixtures.js'

const NOW = T0 + 10 * DAY
const rows = series(10)

/** Records given OLDEST first (as they happened); returned newest first (as GitHub lists them). */
function history(
  ...entries: (string | { version: string; rollback?: true; previous?: string; runId?: string })[]
): Release[] {
  return entries
    .map((entry, i) => {
      const e = typeof entry === 'string' ? { version: entry } : entry
      const release: Release = {
        version: e.version,
        deploymentId: 100 + i,
        createdAt: new Date(T0 + i * DAY).toISOString()
      }
      if ('rollback' in e && e.rollback) release.rollback = true
      if ('previous' in e && e.previous) release.previousVersion = e.previous
      if ('runId' in e && e.runId) release.runId = e.runId
      return release
    })
    .reverse()
}

const target = (releases: Release[], current: string, runId?: string, bundles = rows) =>
  decideRollback(releases, current, bundles, runId)

describe('releaseStack', () => {
  it('pushes each release once (the steps of a staged rollout record the same bundle)', () => {
    expect(releaseStack(history('1.0.3', '1.0.4', '1.0.4', '1.0.4', '1.0.6')).stack).toEqual([
      '1.0.3',
      '1.0.4',
      '1.0.6'
    ])
  })

  it('a rollback pops what it undid', () => {
    const releases = history('1.0.3', '1.0.4', { version: '1.0.3', rollback: true }, '1.0.6')
    expect(releaseStack(releases).stack).toEqual(['1.0.3', '1.0.6'])
  })

  it("the first record's previous version is the bottom", () => {
    expect(releaseStack(history({ version: '1.0.4', previous: '1.0.2' })).stack).toEqual([
      '1.0.2',
      '1.0.4'
    ])
  })
})

describe('decideRollback', () => {
  it('the first recorded release is enough: its previous version', () => {
    const decision = target(history({ version: '1.0.4', previous: '1.0.2' }), '1.0.4')
    expect(decision).toMatchObject({ kind: 'target', version: '1.0.2' })
  })

  it('a release after a rollback rolls back to what the rollback put there', () => {
    const releases = history('1.0.3', '1.0.4', { version: '1.0.3', rollback: true }, '1.0.6')
    expect(target(releases, '1.0.6')).toMatchObject({ kind: 'target', version: '1.0.3' })
  })

  it('two rollback runs step back twice', () => {
    const first = history('1.0.3', '1.0.4', '1.0.6')
    expect(target(first, '1.0.6')).toMatchObject({ version: '1.0.4' })
    const second = history('1.0.3', '1.0.4', '1.0.6', {
      version: '1.0.4',
      rollback: true,
      runId: '11'
    })
    expect(target(second, '1.0.4', '12')).toMatchObject({ kind: 'target', version: '1.0.3' })
  })

  it('a re-run of the same rollback job (same run id) changes nothing', () => {
    const releases = history('1.0.3', '1.0.4', '1.0.6', {
      version: '1.0.4',
      rollback: true,
      runId: '11'
    })
    expect(target(releases, '1.0.4', '11')).toEqual({ kind: 'already_done', version: '1.0.4' })
  })

  it('a rollback that was not recorded: the channel steps down from where it is, never back up', () => {
    // 1.0.6 was rolled back to 1.0.4 by a run without github_deployment.
    expect(target(history('1.0.3', '1.0.4', '1.0.6'), '1.0.4')).toMatchObject({
      version: '1.0.3'
    })
  })

  it('bundles deleted since are skipped, however deep the stack', () => {
    const releases = history('1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6')
    const live = rows.map(b => (['1.0.5', '1.0.4'].includes(b.name) ? { ...b, deleted: true } : b))
    expect(target(releases, '1.0.6', undefined, live)).toMatchObject({ version: '1.0.3' })
  })

  it('a promoted 20-step rollout whose old bundle was deleted still finds the release before it', () => {
    const steps = Array.from({ length: 20 }, () => '1.0.5')
    const releases = history('1.0.2', '1.0.4', ...steps, '1.0.6')
    const live = rows.map(b => (b.name === '1.0.4' ? { ...b, deleted: true } : b))
    expect(target(releases, '1.0.6', undefined, live)).toMatchObject({ version: '1.0.5' })
    expect(target(releases, '1.0.5', undefined, live)).toMatchObject({ version: '1.0.2' })
  })

  it('nothing earlier that exists: none, with the deleted ones named', () => {
    const live = rows.map(b => (b.name === '1.0.3' ? { ...b, deleted: true } : b))
    expect(target(history('1.0.3', '1.0.4'), '1.0.4', undefined, live)).toMatchObject({
      kind: 'none',
      skipped: ['1.0.3']
    })
  })
})

describe('rollback in the plan', () => {
  const github = { token: 't', deployment: true, prComment: false }

  it('a re-run of the same rollback job plans no write', () => {
    const production = channel('production', rows[4]!)
    const plan = makePlan(
      settings({ channel: 'production', rollback: true, github }),
      {
        ...inventory(
          rows,
          [production],
          {},
          {
            production: history('1.0.3', '1.0.4', '1.0.6', {
              version: '1.0.4',
              rollback: true,
              runId: '77'
            })
          }
        ),
        run: { id: '77', attempt: 2 }
      },
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.write).toBeNull()
  })

  it('rollout_steps alone, re-run of a run that recorded its step: no advance', () => {
    const production = channel('production', rows[4]!, rollout(rows[5]!, 25))
    const recorded: Release = {
      version: '1.0.4',
      rolloutVersion: '1.0.5',
      deploymentId: 5,
      createdAt: new Date(NOW).toISOString(),
      runId: '88',
      runAttempt: 1
    }
    const s = settings({
      channel: 'production',
      rollout: { steps: [5, 25, 50, 100], promote: false, abort: false },
      github
    })
    const rerun = makePlan(
      s,
      {
        ...inventory(rows, [production], {}, { production: [recorded] }),
        run: { id: '88', attempt: 2 }
      },
      NOW
    )
    expect(rerun.errors).toEqual([])
    expect(rerun.channel?.write).toBeNull()
    expect(rerun.warnings.join('\n')).toMatch(/does not advance it again/)
    // Another run (the next schedule) advances.
    const next = makePlan(
      s,
      {
        ...inventory(rows, [production], {}, { production: [recorded] }),
        run: { id: '89', attempt: 1 }
      },
      NOW
    )
    expect(next.channel?.rollout?.action).toBe('step')
  })

  it.each(['rollout_abort', 'rollout_promote'])(
    '%s with no rollout left succeeds with a notice (a re-run is safe)',
    input => {
      const plan = makePlan(
        settings({
          channel: 'production',
          rollout: {
            promote: input === 'rollout_promote',
            abort: input === 'rollout_abort'
          }
        }),
        inventory(rows, [channel('production', rows[4]!)]),
        NOW
      )
      expect(plan.errors).toEqual([])
      expect(plan.channel?.write).toBeNull()
      expect(plan.warnings.join('\n')).toMatch(/No rollout runs .* nothing was changed/)
    }
  )
})
