// The rollout rules (README, "rollout_*" inputs; docs/capgo-api-notes.md, "Rollouts"): start a rollout
// of a bundle at a share, change the share, advance through rollout_steps and promote after the
// last one, promote, abort, pause and resume; and what fails before any write. One test per rule,
// then properties over random rollouts, then whole runs through makePlan against a model of Capgo.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Channel } from '../src/capgo/types.js'
import {
  NEW_CHANNEL_DEFAULTS,
  makePlan,
  planRollout,
  stepAfter,
  toBps,
  type ChannelSnapshot,
  type RolloutSnapshot
} from '../src/plan/index.js'
import type { RolloutSettings, Settings } from '../src/settings/index.js'
import {
  APP,
  DAY,
  T0,
  applyWrite,
  channel,
  cleanup,
  inventory,
  rollout,
  series,
  settings
} from './helpers/fixtures.js'

const NOW = T0 + 30 * DAY

/** The channel's own bundle (what devices outside the rollout get). */
const STABLE = { id: 1, version: '1.0.0' }
/** The bundle `version`/`promote_from` names. */
const NEW = { id: 5, version: '2.0.0' }
/** Another bundle, under rollout before the run. */
const OLD = { id: 3, version: '1.5.0' }

function running(
  bundle: { id: number; version: string },
  percentage: number,
  extra: Partial<RolloutSnapshot> = {}
): RolloutSnapshot {
  return {
    version: bundle.version,
    versionId: bundle.id,
    percentage,
    enabled: true,
    paused: false,
    pauseReason: null,
    ...extra
  }
}

function channelWith(rolloutSnapshot: RolloutSnapshot | null): ChannelSnapshot {
  return {
    ...NEW_CHANNEL_DEFAULTS,
    version: STABLE.version,
    versionId: STABLE.id,
    rollout: rolloutSnapshot
  }
}

function decide(
  given: Partial<RolloutSettings>,
  before: ChannelSnapshot | null,
  target?: { id: number; version: string }
): ReturnType<typeof planRollout> {
  return planRollout({
    channel: 'production',
    before,
    target,
    targetInput: 'version',
    rollout: { promote: false, abort: false, ...given }
  })
}

const STEPS = [5, 25, 50, 100]

// ---- the rules -------------------------------------------------------------------------------

describe('planRollout: what each rollout input does', () => {
  it.each<{
    rule: string
    given: Partial<RolloutSettings>
    rollout: RolloutSnapshot | null
    target?: { id: number; version: string }
    action: string
    fields: object
    after: RolloutSnapshot | null
    nextStep?: number | 'promote' | null
  }>([
    {
      rule: 'version with rollout_percentage starts a rollout of that bundle at that share',
      given: { percentage: 10 },
      rollout: null,
      target: NEW,
      action: 'start',
      fields: {
        rolloutVersion: '2.0.0',
        rolloutPercentageBps: 1000,
        rolloutEnabled: true,
        rolloutPaused: false
      },
      after: running(NEW, 10),
      nextStep: null
    },
    {
      rule: 'version with rollout_steps starts at the first step when that bundle is not under rollout',
      given: { steps: STEPS },
      rollout: null,
      target: NEW,
      action: 'start',
      fields: {
        rolloutVersion: '2.0.0',
        rolloutPercentageBps: 500,
        rolloutEnabled: true,
        rolloutPaused: false
      },
      after: running(NEW, 5),
      nextStep: 25
    },
    {
      rule: 'rollout_percentage alone changes the share of the running rollout',
      given: { percentage: 33.33 },
      rollout: running(OLD, 10),
      action: 'set_share',
      fields: { rolloutPercentageBps: 3333 },
      after: running(OLD, 33.33)
    },
    {
      rule: 'version with rollout_percentage changes the share of that bundle running already',
      given: { percentage: 50 },
      rollout: running(NEW, 10),
      target: NEW,
      action: 'set_share',
      fields: { rolloutPercentageBps: 5000 },
      after: running(NEW, 50)
    },
    {
      rule: 'rollout_percentage at the share already set changes nothing',
      given: { percentage: 10 },
      rollout: running(OLD, 10),
      action: 'none',
      fields: {},
      after: running(OLD, 10)
    },
    {
      rule: 'rollout_steps moves to the next step above the current share',
      given: { steps: STEPS },
      rollout: running(OLD, 5),
      action: 'step',
      fields: { rolloutPercentageBps: 2500 },
      after: running(OLD, 25),
      nextStep: 50
    },
    {
      rule: 'rollout_steps from a share between two steps moves to the step above it',
      given: { steps: STEPS },
      rollout: running(OLD, 30),
      action: 'step',
      fields: { rolloutPercentageBps: 5000 },
      after: running(OLD, 50),
      nextStep: 100
    },
    {
      rule: 'rollout_steps from a share below the first step moves to the first step',
      given: { steps: STEPS },
      rollout: running(OLD, 1),
      action: 'step',
      fields: { rolloutPercentageBps: 500 },
      after: running(OLD, 5),
      nextStep: 25
    },
    {
      rule: 'rollout_steps with version on the rollout of that bundle already running: no write (the schedule advances it)',
      given: { steps: STEPS },
      rollout: running(NEW, 25),
      target: NEW,
      action: 'none',
      fields: {},
      after: running(NEW, 25),
      nextStep: 50
    },
    {
      rule: 'the step before the last one says the next run promotes',
      given: { steps: [10, 60] },
      rollout: running(OLD, 10),
      action: 'step',
      fields: { rolloutPercentageBps: 6000 },
      after: running(OLD, 60),
      nextStep: 'promote'
    },
    {
      rule: 'rollout_steps turns a rollout that is set, not serving on at the first step',
      given: { steps: STEPS },
      rollout: running(OLD, 25, { enabled: false }),
      action: 'step',
      fields: { rolloutPercentageBps: 500, rolloutEnabled: true },
      after: running(OLD, 5)
    },
    {
      // A rollout bundle set at 100 % but serving no device is not "at the last step": turning it
      // on for every device in one run would skip every step.
      rule: 'rollout_steps never turns a set, not serving rollout on at 100 % in one run',
      given: { steps: STEPS },
      rollout: running(OLD, 100, { enabled: false }),
      action: 'step',
      fields: { rolloutPercentageBps: 500, rolloutEnabled: true },
      after: running(OLD, 5)
    },
    {
      rule: 'rollout_steps at the last step promotes',
      given: { steps: STEPS },
      rollout: running(OLD, 100),
      action: 'promote',
      fields: { promoteToStable: true },
      after: null,
      nextStep: null
    },
    {
      rule: 'rollout_steps past the last step promotes',
      given: { steps: [5, 25] },
      rollout: running(OLD, 40),
      action: 'promote',
      fields: { promoteToStable: true },
      after: null
    },
    {
      rule: 'rollout_promote promotes',
      given: { promote: true },
      rollout: running(OLD, 10),
      action: 'promote',
      fields: { promoteToStable: true },
      after: null
    },
    {
      rule: 'rollout_promote promotes a paused rollout too',
      given: { promote: true },
      rollout: running(OLD, 10, { paused: true, pauseReason: 'crash rate' }),
      action: 'promote',
      fields: { promoteToStable: true },
      after: null
    },
    {
      rule: 'rollout_abort ends the rollout',
      given: { abort: true },
      rollout: running(OLD, 10),
      action: 'abort',
      fields: { rollback: true },
      after: null
    },
    {
      rule: 'rollout_pause true pauses',
      given: { pause: true },
      rollout: running(OLD, 10),
      action: 'pause',
      fields: { rolloutPaused: true },
      after: running(OLD, 10, { paused: true })
    },
    {
      rule: "rollout_pause false resumes, and Capgo's pause reason goes",
      given: { pause: false },
      rollout: running(OLD, 10, { paused: true, pauseReason: 'crash rate above 5%' }),
      action: 'resume',
      fields: { rolloutPaused: false },
      after: running(OLD, 10)
    },
    {
      rule: 'rollout_pause on a rollout already paused changes nothing',
      given: { pause: true },
      rollout: running(OLD, 10, { paused: true }),
      action: 'none',
      fields: {},
      after: running(OLD, 10, { paused: true })
    },
    {
      rule: 'rollout_percentage with rollout_pause changes both',
      given: { percentage: 20, pause: true },
      rollout: running(OLD, 10),
      action: 'set_share',
      fields: { rolloutPercentageBps: 2000, rolloutPaused: true },
      after: running(OLD, 20, { paused: true })
    }
  ])('$rule', ({ given, rollout: current, target, action, fields, after, nextStep }) => {
    const decision = decide(given, channelWith(current), target)
    expect(decision.errors).toEqual([])
    expect(decision.action).toBe(action)
    expect(decision.fields).toEqual(fields)
    expect(decision.after).toEqual(after)
    if (nextStep !== undefined) expect(decision.nextStep).toBe(nextStep)
  })

  it('a promotion names the bundle that becomes the channel bundle', () => {
    expect(decide({ promote: true }, channelWith(running(OLD, 10))).promoted).toEqual(OLD)
    expect(decide({ steps: STEPS }, channelWith(running(OLD, 100))).promoted).toEqual(OLD)
    expect(decide({ abort: true }, channelWith(running(OLD, 10))).promoted).toBeUndefined()
  })

  it('rollout_abort names the rollout it ends', () => {
    expect(decide({ abort: true }, channelWith(running(OLD, 10))).replaced).toBe('1.5.0')
    expect(decide({ promote: true }, channelWith(running(OLD, 10))).replaced).toBeNull()
  })

  it.each<{ given: Partial<RolloutSettings> }>([
    { given: { percentage: 10 } },
    { given: { steps: STEPS } }
  ])(
    'starting a rollout of another bundle ($given) replaces the running one: a warning, and replaced is set',
    ({ given }) => {
      const decision = decide(given, channelWith(running(OLD, 50)), NEW)
      expect(decision.errors).toEqual([])
      expect(decision.action).toBe('start')
      expect(decision.replaced).toBe('1.5.0')
      expect(decision.warnings).toHaveLength(1)
      expect(decision.warnings[0]).toContain('"1.5.0"')
      expect(decision.warnings[0]).toContain('"2.0.0"')
      expect(decision.after?.versionId).toBe(NEW.id)
    }
  )

  it('a new share for a paused rollout is set, the rollout stays paused, and the run says so', () => {
    const paused = running(OLD, 10, { paused: true, pauseReason: 'crash rate above 2%' })
    const decision = decide({ percentage: 50 }, channelWith(paused))
    expect(decision.fields).toEqual({ rolloutPercentageBps: 5000 })
    expect(decision.after?.paused).toBe(true)
    expect(decision.warnings.join('\n')).toMatch(/paused \("crash rate above 2%"\).*50 %/)
    const resumed = decide({ percentage: 50, pause: false }, channelWith(paused))
    expect(resumed.warnings).toEqual([])
  })

  it('starting a rollout where none runs replaces nothing and warns nothing', () => {
    const decision = decide({ percentage: 10 }, channelWith(null), NEW)
    expect(decision.replaced).toBeNull()
    expect(decision.warnings).toEqual([])
  })
})

describe('planRollout: abort and promote with no rollout left succeed with a notice', () => {
  it.each([
    ['rollout_promote', { promote: true }],
    ['rollout_abort', { abort: true }]
  ] as const)('%s: nothing to end, nothing written, said', (input, given) => {
    const decision = decide(given, channelWith(null))
    expect(decision.errors).toEqual([])
    expect(decision.action).toBe('none')
    expect(decision.fields).toEqual({})
    expect(decision.warnings.join('\n')).toContain(`nothing to end (${input})`)
  })
})

describe("planRollout: the bundle is already the channel's (the release job after its rollout was promoted)", () => {
  it.each([
    ['a share', { percentage: 10 }, null],
    ['steps, another rollout running', { steps: STEPS }, running(OLD, 5)]
  ] as const)('%s: nothing to roll out, nothing changed, said', (_, given, rollout) => {
    const decision = decide(given, channelWith(rollout), STABLE)
    expect(decision.errors).toEqual([])
    expect(decision.action).toBe('none')
    expect(decision.fields).toEqual({})
    expect(decision.warnings.join('\n')).toContain(
      '"1.0.0" (version) is already the bundle of channel "production": there is nothing to roll out'
    )
  })
})

describe('planRollout: what fails before any write', () => {
  it.each<{
    rule: string
    given: Partial<RolloutSettings>
    before: ChannelSnapshot | null
    target?: { id: number; version: string }
    says: string[]
  }>([
    {
      rule: 'a channel that does not exist',
      given: { percentage: 10 },
      before: null,
      target: NEW,
      says: ['"production" does not exist']
    },
    {
      rule: 'a channel with no bundle',
      given: { percentage: 10 },
      before: { ...NEW_CHANNEL_DEFAULTS },
      target: NEW,
      says: ['"production" has no bundle']
    },
    ...(
      [
        ['rollout_percentage', { percentage: 10 }],
        ['rollout_steps', { steps: STEPS }],
        ['rollout_pause', { pause: true }],
        ['rollout_pause', { pause: false }]
      ] as const
    ).map(([input, given]) => ({
      rule: `nothing running when ${input} (${JSON.stringify(given)}) needs a rollout`,
      given,
      before: channelWith(null),
      says: ['No rollout runs on channel "production"', input]
    })),
    {
      rule: "a paused rollout asked to advance (the message quotes Capgo's pause reason)",
      given: { steps: STEPS },
      before: channelWith(
        running(OLD, 25, { paused: true, pauseReason: 'failure rate 12% above 5%' })
      ),
      says: ['paused: "failure rate 12% above 5%"', 'rollout_steps']
    },
    {
      rule: 'a paused rollout asked to advance, paused without a reason',
      given: { steps: STEPS },
      before: channelWith(running(OLD, 100, { paused: true })),
      says: ['is paused', 'rollout_steps']
    },
    {
      // Capgo unpauses a rollout when its bundle changes, in the same write: it would run at once.
      rule: 'a start with rollout_pause true (Capgo starts every new rollout unpaused)',
      given: { percentage: 0.5, pause: true },
      before: channelWith(null),
      target: NEW,
      says: ['"rollout_pause: true"', '"2.0.0"', 'unpaused']
    },
    {
      rule: 'rollout_pause with version, while another bundle is under rollout',
      given: { pause: true },
      before: channelWith(running(OLD, 5)),
      target: NEW,
      says: ['"1.5.0"', '"2.0.0"', 'rollout_percentage']
    }
  ])('$rule', ({ given, before, target, says }) => {
    const decision = decide(given, before, target)
    expect(decision.errors).toHaveLength(1)
    for (const text of says) expect(decision.errors[0]).toContain(text)
    expect(decision.action).toBe('none')
    expect(decision.fields).toEqual({})
  })
})

describe('stepAfter and toBps', () => {
  it.each<[number[], number, number | 'promote']>([
    [STEPS, 0, 5],
    [STEPS, 4.99, 5],
    [STEPS, 5, 25],
    [STEPS, 24.99, 25],
    [STEPS, 25, 50],
    [STEPS, 99.99, 100],
    [STEPS, 100, 'promote'],
    [[10, 20], 50, 'promote'],
    [[0.01, 0.02], 0.01, 0.02]
  ])('stepAfter(%j, %d) = %j', (steps, share, next) => {
    expect(stepAfter(steps, share)).toBe(next)
  })

  it.each([
    [0, 0],
    [100, 10000],
    [12.5, 1250],
    [0.01, 1],
    [33.33, 3333],
    [0.07, 7],
    [57.99, 5799]
  ])('toBps(%d) = %d', (share, bps) => {
    expect(toBps(share)).toBe(bps)
  })
})

// ---- properties ------------------------------------------------------------------------------

/** A share with at most two decimals, 0..100, as settings reads it. */
const share = fc.integer({ min: 0, max: 10000 }).map(bps => bps / 100)
/** Ascending steps, each > 0, as settings reads them. */
const steps = fc
  .uniqueArray(fc.integer({ min: 1, max: 10000 }), { minLength: 1, maxLength: 6 })
  .map(bps => [...bps].sort((a, b) => a - b).map(b => b / 100))

const snapshot = fc.record({
  percentage: share,
  enabled: fc.boolean(),
  paused: fc.boolean(),
  pauseReason: fc.option(fc.constantFrom('crash rate', 'manual'), { nil: null }),
  bundle: fc.constantFrom(NEW, OLD)
})

const anyRollout: fc.Arbitrary<RolloutSnapshot | null> = fc.option(
  snapshot.map(r =>
    running(r.bundle, r.percentage, {
      enabled: r.enabled,
      paused: r.paused,
      pauseReason: r.paused ? r.pauseReason : null
    })
  ),
  { nil: null }
)

const RUNS = { numRuns: 300, seed: 20261126 }

/** The channel after the decision is carried out, as the next run reads it. */
function stateAfter(
  before: ChannelSnapshot,
  decision: ReturnType<typeof planRollout>
): ChannelSnapshot {
  if (decision.promoted) {
    return {
      ...before,
      version: decision.promoted.version,
      versionId: decision.promoted.id,
      rollout: null
    }
  }
  return { ...before, rollout: decision.after }
}

describe('rollout properties', () => {
  it('steps never go down: a step lands on a listed step, above the current share', () => {
    fc.assert(
      fc.property(steps, anyRollout, (list, current) => {
        const decision = decide({ steps: list }, channelWith(current))
        if (decision.action !== 'step') return
        // Set, not serving: no device gets it, so the share served now is 0.
        const now = current!.enabled ? current!.percentage : 0
        const next = decision.after!.percentage
        expect(list).toContain(next)
        expect(toBps(next)).toBeGreaterThan(toBps(now))
        // The least step above the current share: no step is skipped.
        expect(list.filter(s => toBps(s) > toBps(now) && toBps(s) < toBps(next))).toEqual([])
        if (decision.nextStep !== 'promote') {
          expect(toBps(decision.nextStep!)).toBeGreaterThan(toBps(next))
        }
      }),
      RUNS
    )
  })

  it('advancing from the last step (or past it) promotes; below it never does', () => {
    fc.assert(
      fc.property(steps, share, (list, at) => {
        const decision = decide({ steps: list }, channelWith(running(OLD, at)))
        const last = list[list.length - 1]!
        expect(decision.errors).toEqual([])
        expect(decision.action).toBe(toBps(at) >= toBps(last) ? 'promote' : 'step')
        if (decision.action === 'promote') {
          expect(decision.fields).toEqual({ promoteToStable: true })
          expect(decision.promoted).toEqual(OLD)
        }
      }),
      RUNS
    )
  })

  it('a paused rollout is never advanced by rollout_steps', () => {
    fc.assert(
      fc.property(steps, share, fc.option(fc.string(), { nil: null }), (list, at, reason) => {
        const decision = decide(
          { steps: list },
          channelWith(running(OLD, at, { paused: true, pauseReason: reason }))
        )
        expect(decision.errors).toHaveLength(1)
        expect(decision.fields).toEqual({})
        expect(decision.promoted).toBeUndefined()
        if (reason) expect(decision.errors[0]).toContain(`"${reason}"`)
      }),
      RUNS
    )
  })

  it('the same inputs on the state after the write send nothing (share, pause, start)', () => {
    const given = fc.record({ percentage: share, pause: fc.boolean() }, { requiredKeys: [] })
    fc.assert(
      fc.property(
        given,
        anyRollout,
        fc.option(fc.constant(NEW), { nil: undefined }),
        (inputs, current, target) => {
          const before = channelWith(current)
          const first = decide(inputs, before, target)
          if (first.errors.length > 0) return
          const second = decide(inputs, stateAfter(before, first), target)
          expect(second.errors).toEqual([])
          expect(second.action).toBe('none')
          expect(second.fields).toEqual({})
          expect(second.after).toEqual(first.after)
          expect(second.warnings).toEqual([])
        }
      ),
      RUNS
    )
  })

  it('what a decision says the channel becomes is what its fields do to the channel', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ percentage: share }),
          fc.record({ steps }),
          fc.record({ pause: fc.boolean() }),
          fc.record({ percentage: share, pause: fc.boolean() }),
          fc.constant({ promote: true }),
          fc.constant({ abort: true })
        ),
        anyRollout,
        fc.option(fc.constant(NEW), { nil: undefined }),
        (inputs, current, target) => {
          const rows = series(5)
          const production = channel(
            'production',
            rows[0]!,
            current
              ? rollout(rows[current.versionId - 1]!, current.percentage, {
                  enabled: current.enabled,
                  paused: current.paused,
                  pausedReason: current.pauseReason
                })
              : {}
          )
          const s = settings({
            channel: 'production',
            ...(target ? { version: rows[target.id - 1]!.name } : {}),
            rollout: { promote: false, abort: false, ...inputs }
          })
          const plan = makePlan(s, inventory(rows, [production]), NOW)
          if (plan.errors.length > 0) {
            expect(plan.channel?.rollout?.action).toBe('none')
            return
          }
          const [row] = applyWrite([production], rows, plan.channel?.write)
          const read = makePlan(settings({ channel: 'production' }), inventory(rows, [row!]), NOW)
          expect(read.channel?.before).toEqual(plan.channel?.after)
          expect(plan.channel?.changes.includes('rollout')).toBe(
            plan.channel?.rollout?.action !== 'none'
          )
        }
      ),
      RUNS
    )
  })
})

// ---- whole runs ------------------------------------------------------------------------------

describe('rollouts through makePlan', () => {
  const rows = series(4)

  it('a rollout goes by POST /channel; the channel keeps its bundle for the other devices', () => {
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.3',
        rollout: { percentage: 10, promote: false, abort: false }
      }),
      inventory(rows, [channel('production', rows[0]!)]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.write).toEqual({
      kind: 'upsert',
      body: {
        app_id: APP,
        channel: 'production',
        rolloutVersion: '1.0.3',
        rolloutPercentageBps: 1000,
        rolloutEnabled: true,
        rolloutPaused: false
      }
    })
    expect(plan.channel?.changes).toEqual(['rollout'])
    expect(plan.channel?.after.version).toBe('1.0.0')
    expect(plan.channel?.after.rollout).toMatchObject({ version: '1.0.3', percentage: 10 })
    expect(plan.channel?.rollout).toEqual({ action: 'start', nextStep: null, replaced: null })
  })

  it('a promotion changes the channel bundle too', () => {
    const plan = makePlan(
      settings({ channel: 'production', rollout: { promote: true, abort: false } }),
      inventory(rows, [channel('production', rows[0]!, rollout(rows[2]!, 50))]),
      NOW
    )
    expect(plan.channel?.write).toEqual({
      kind: 'upsert',
      body: { app_id: APP, channel: 'production', promoteToStable: true }
    })
    expect(plan.channel?.changes).toEqual(['rollout', 'version'])
    expect(plan.channel?.after).toMatchObject({ version: '1.0.2', versionId: 3, rollout: null })
  })

  it('replacing a rollout of another bundle: a warning, replaced set, both protected', () => {
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.3',
        rollout: { steps: [5, 50], promote: false, abort: false },
        cleanup: cleanup({ keep: 0 })
      }),
      inventory(rows, [channel('production', rows[0]!, rollout(rows[1]!, 50))]),
      NOW
    )
    expect(plan.errors).toEqual([])
    expect(plan.channel?.rollout).toEqual({ action: 'start', nextStep: 50, replaced: '1.0.1' })
    expect(plan.warnings.some(w => w.includes('"1.0.1"'))).toBe(true)
    expect(plan.wouldDelete).toEqual(['1.0.2'])
  })

  it('a rollout on a channel that does not exist fails before any write', () => {
    const plan = makePlan(
      settings({
        channel: 'production',
        version: '1.0.3',
        rollout: { percentage: 10, promote: false, abort: false }
      }),
      inventory(rows, []),
      NOW
    )
    expect(plan.errors).toHaveLength(1)
    expect(plan.errors[0]).toContain('does not exist')
  })

  it('the staged rollout of the README: tag push, then a schedule, until it is promoted', () => {
    const tagPush = settings({
      channel: 'production',
      promoteFrom: 'beta',
      rollout: { steps: [5, 25, 50, 100], promote: false, abort: false }
    })
    const schedule = settings({
      channel: 'production',
      rollout: { steps: [5, 25, 50, 100], promote: false, abort: false }
    })
    let channels: Channel[] = [channel('production', rows[0]!), channel('beta', rows[3]!)]
    const seen: string[] = []
    const run = (s: Settings): void => {
      const plan = makePlan(s, inventory(undefined, channels), NOW)
      expect(plan.errors).toEqual([])
      const r = plan.channel?.rollout
      seen.push(`${r?.action}:${plan.channel?.after.rollout?.percentage ?? '-'}:${r?.nextStep}`)
      channels = applyWrite(channels, rows, plan.channel?.write)
    }
    run(tagPush)
    for (let i = 0; i < 4; i++) run(schedule)
    expect(seen).toEqual([
      'start:5:25',
      'step:25:50',
      'step:50:100',
      'step:100:promote',
      'promote:-:null'
    ])
    const production = channels.find(c => c.name === 'production')!
    expect(production.version).toEqual({ id: rows[3]!.id, name: '1.0.3' })
    expect(production.rollout_version).toBeNull()
  })

  it('a tag push run again on its own rollout neither restarts nor advances it', () => {
    const tagPush = settings({
      channel: 'production',
      promoteFrom: 'beta',
      rollout: { steps: [5, 25], promote: false, abort: false }
    })
    const channels = [
      channel('production', rows[0]!, rollout(rows[3]!, 5)),
      channel('beta', rows[3]!)
    ]
    const plan = makePlan(tagPush, inventory(undefined, channels), NOW)
    expect(plan.channel?.rollout?.action).toBe('none')
    expect(plan.channel?.write).toBeNull()
    expect(plan.channel?.after.rollout?.percentage).toBe(5)
    expect(plan.channel?.rollout?.nextStep).toBe(25)
  })
})
