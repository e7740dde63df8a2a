// End-to-end: the built action (dist/index.js, real Node 24, runner files) against the Capgo
// emulator — rollouts: the inputs and their contradictions, a start (from `promote_from` or
// `version`), the share, pause and resume, promote, abort, a whole staged rollout run after run,
// a rollout Capgo paused, the plans refused before any write, a replaced rollout, the bundles a
// cleanup in the same run must keep, the bundle's link and comment, and an uploader key.
//
// Every test reads the request log for the exact bodies sent and the emulator's channel afterwards:
// an exit code alone proves nothing.

import { describe, expect, it } from 'vitest'
import { APP, KEY, emulator, json, leaks, requestsOf, run, stopEmulators, why } from './shared.js'
import {
  bundleId,
  channelPost,
  channelState,
  expectFailedWith,
  fateOf,
  liveVersions,
  metadataPost,
  noRollout,
  rolloutApp,
  rolloutOutputs,
  rolloutReport,
  runningRollout,
  writes
} from './rollout-shared.js'

stopEmulators()

const START = { channel: 'production', promote_from: 'beta', rollout_percentage: '10' }
/** The body of a start of `bundle` at `bps`. */
const startFields = (bundle: string, bps: number): Record<string, unknown> => ({
  rolloutVersion: bundle,
  rolloutPercentageBps: bps,
  rolloutEnabled: true,
  rolloutPaused: false
})
/** Fast failure on a fault: the tests here are about plans and bodies, not retries. */
const QUICK = { retries: '0', timeout: '10' }

// ---- 1. inputs ------------------------------------------------------------------------------

interface InputRow {
  label: string
  inputs: Record<string, string>
  /** Every input the message must name, quoted. */
  names: string[]
  mentions?: string
}

const INPUT_ROWS: InputRow[] = [
  {
    label: 'rollout_percentage with rollout_steps',
    inputs: { channel: 'production', rollout_percentage: '10', rollout_steps: '5,25' },
    names: ['rollout_percentage', 'rollout_steps']
  },
  {
    label: 'rollout_promote with rollout_abort',
    inputs: { channel: 'production', rollout_promote: 'true', rollout_abort: 'true' },
    names: ['rollout_promote', 'rollout_abort']
  },
  ...(['version', 'promote_from', 'rollout_percentage', 'rollout_steps'] as const).flatMap(
    other => {
      const value = { version: '1.0.10', promote_from: 'beta' }[other as string] ?? '50'
      return (['rollout_promote', 'rollout_abort'] as const).map(ender => ({
        label: `${ender} with ${other}`,
        inputs: { channel: 'production', [ender]: 'true', [other]: value },
        names: [ender, other]
      }))
    }
  ),
  ...(
    [
      ['rollout_percentage', '10'],
      ['rollout_steps', '5,25'],
      ['rollout_promote', 'true'],
      ['rollout_abort', 'true'],
      ['rollout_pause', 'true']
    ] as const
  ).map(([input, value]) => ({
    label: `rollback with ${input}`,
    inputs: { channel: 'production', rollback: 'true', github_token: 'ghs_e2e', [input]: value },
    names: ['rollback', input]
  })),
  ...(
    [
      ['rollout_percentage', '10'],
      ['rollout_steps', '5,25,50,100'],
      ['rollout_promote', 'true'],
      ['rollout_abort', 'true'],
      ['rollout_pause', 'false']
    ] as const
  ).map(([input, value]) => ({
    label: `${input} without channel`,
    inputs: { [input]: value, cleanup_keep: '20' },
    names: [input, 'channel']
  })),
  ...['12.345', '101', '-1', 'abc', '100.001', '1e1'].map(value => ({
    label: `rollout_percentage "${value}"`,
    inputs: { channel: 'production', rollout_percentage: value },
    names: ['rollout_percentage'],
    mentions: `"${value}"`
  })),
  ...['5,101', '0,50', '5,abc', '5,12.345'].map(value => ({
    label: `rollout_steps "${value}" (a share out of range)`,
    inputs: { channel: 'production', rollout_steps: value },
    names: ['rollout_steps']
  })),
  ...['5,50,25', '5,5', '50,25'].map(value => ({
    label: `rollout_steps "${value}" (not ascending)`,
    inputs: { channel: 'production', rollout_steps: value },
    names: ['rollout_steps'],
    mentions: 'ascending'
  }))
]

describe('rollout inputs: bad input, refused before any request', () => {
  it.concurrent.for(INPUT_ROWS)('$label', async (row, { expect }) => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2000)))
    const result = await run(emu, row.inputs)

    expect(result.code, why(result)).toBe(1)
    expect(result.errors, why(result)).toHaveLength(1)
    const message = result.errors[0]!
    for (const name of row.names) expect(message, message).toContain(`"${name}"`)
    if (row.mentions) expect(message).toContain(row.mentions)
    // Not one request, not even a read.
    expect(emu.requests).toEqual([])
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.10', bps: 2000 })
    if (result.outputs.error !== undefined) {
      expect(result.outputs.error).toContain(`"${row.names[0]}"`)
      expect(result.outputs.channel_changed).toBe('false')
    }
    expect(leaks(result)).toEqual([])
  })
})

// ---- 2. start -------------------------------------------------------------------------------

describe('start a rollout', () => {
  it('promote_from + rollout_percentage: one POST /channel with the rollout fields; the channel keeps its bundle; a re-run writes nothing', async () => {
    const emu = await emulator(rolloutApp())
    const result = await run(emu, START)

    expect(result.code, why(result)).toBe(0)
    expect(result.errors).toEqual([])
    // Capgo's rollout semantics: the bundle by name, the share in basis points, enabled (Capgo's
    // default is off: devices would get nothing), not paused. No `version`: the stable bundle stays.
    expect(writes(emu)).toEqual([channelPost(startFields('1.0.11', 1000))])
    expect(channelState(emu)).toEqual({
      version: '1.0.8',
      rollout: '1.0.11',
      bps: 1000,
      enabled: true,
      paused: false,
      reason: null
    })
    expect(channelState(emu, 'beta')).toEqual(noRollout('1.0.11'))
    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.11',
      rollout_percentage: '10',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    // Read back after the write, and found as written.
    const post = requestsOf(emu, 'POST', '/channel')[0]!
    const readBack = emu.requests.filter(
      r => r.method === 'GET' && r.path === '/channel' && r.query.channel === 'production'
    )
    expect(readBack.map(r => r.seq > post.seq)).toEqual([true])
    const rep = rolloutReport(result)
    expect(rep.channel_verified).toBe(true)
    expect(rep.channel_changed).toBe(true)
    expect(rep.rollout).toMatchObject({ action: 'start', next_step: null, replaced: null })
    // The native compatibility gate reads the bundle rows (no other reason to list bundles).
    expect(requestsOf(emu, 'GET', '/bundle').length).toBeGreaterThan(0)
    expect(json<Record<string, unknown>>(result, 'report')).toMatchObject({
      compatibility: { verdict: 'compatible' }
    })
    expect(result.summary).toContain('### Rollout: start')
    expect(result.summary).toContain('| share | — | **10 %** |')
    expect(result.summary).toContain('`▰▱▱▱▱▱▱▱▱▱ 10 %`')

    emu.clearLog()
    const again = await run(emu, START)
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(rolloutOutputs(again)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.11',
      rollout_percentage: '10',
      rollout_paused: 'false',
      channel_changed: 'false'
    })
    expect(rolloutReport(again).rollout?.action).toBe('none')
    expect(rolloutReport(again).channel_verified).toBe(false)
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.11', bps: 1000 })
  })

  it('version + rollout_percentage 12.5: the bundle checked in the list, then the same body at 1250 bps', async () => {
    const emu = await emulator(rolloutApp())
    const result = await run(emu, {
      channel: 'production',
      version: '1.0.10',
      rollout_percentage: '12.5'
    })

    expect(result.code, why(result)).toBe(0)
    expect(requestsOf(emu, 'GET', '/bundle').length).toBeGreaterThan(0)
    expect(writes(emu)).toEqual([channelPost(startFields('1.0.10', 1250))])
    expect(channelState(emu)).toEqual({
      version: '1.0.8',
      rollout: '1.0.10',
      bps: 1250,
      enabled: true,
      paused: false,
      reason: null
    })
    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.10',
      rollout_percentage: '12.5',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    expect(rolloutReport(result).channel_verified).toBe(true)
  })

  it('a read-back that differs from the write fails the step and says what differs', async () => {
    const emu = await emulator(rolloutApp())
    // Someone changes the share between the write and the read-back.
    emu.addFault({
      method: 'GET',
      path: '/channel',
      kind: 'status',
      when: req => {
        if (req.query.channel !== 'production') return false
        const row = emu.state.apps[APP]!.channels.find(c => c.name === 'production')!
        row.rolloutPercentageBps = 500
        return false
      }
    })
    const result = await run(emu, { ...START, ...QUICK })

    expectFailedWith(result, 'read back', 'share is 5 %, expected 10 %')
    expect(writes(emu)).toEqual([channelPost(startFields('1.0.11', 1000))])
    expect(rolloutReport(result).channel_verified).toBe(false)
    // The outputs say what Capgo holds after the failed read-back, not what the plan wrote.
    expect(result.outputs.rollout_percentage).toBe('5')
  })
})

// ---- 3. share, pause, resume, promote, abort --------------------------------------------------

describe('a running rollout', () => {
  it('rollout_percentage alone changes the share and nothing else; the same share again writes nothing', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2000)))
    const result = await run(emu, { channel: 'production', rollout_percentage: '50' })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPercentageBps: 5000 })])
    expect(channelState(emu)).toEqual({
      version: '1.0.8',
      rollout: '1.0.10',
      bps: 5000,
      enabled: true,
      paused: false,
      reason: null
    })
    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.10',
      rollout_percentage: '50',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    expect(rolloutReport(result).rollout?.action).toBe('set_share')
    expect(rolloutReport(result).channel_verified).toBe(true)
    expect(result.summary).toContain('| share | 20 % | **50 %** |')

    emu.clearLog()
    const again = await run(emu, { channel: 'production', rollout_percentage: '50' })
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(again.outputs.channel_changed).toBe('false')
  })

  it('rollout_pause true pauses, again writes nothing, false resumes', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2000)))

    const pause = await run(emu, { channel: 'production', rollout_pause: 'true' })
    expect(pause.code, why(pause)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPaused: true })])
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.10', bps: 2000, paused: true })
    expect(rolloutOutputs(pause)).toMatchObject({
      rollout_version: '1.0.10',
      rollout_percentage: '20',
      rollout_paused: 'true',
      channel_changed: 'true'
    })
    expect(rolloutReport(pause).rollout?.action).toBe('pause')

    emu.clearLog()
    const again = await run(emu, { channel: 'production', rollout_pause: 'true' })
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(again.outputs).toMatchObject({ rollout_paused: 'true', channel_changed: 'false' })

    emu.clearLog()
    const resume = await run(emu, { channel: 'production', rollout_pause: 'false' })
    expect(resume.code, why(resume)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPaused: false })])
    expect(channelState(emu)).toEqual({
      version: '1.0.8',
      rollout: '1.0.10',
      bps: 2000,
      enabled: true,
      paused: false,
      reason: null
    })
    expect(rolloutOutputs(resume)).toMatchObject({
      rollout_paused: 'false',
      rollout_percentage: '20',
      channel_changed: 'true'
    })
    expect(rolloutReport(resume).rollout?.action).toBe('resume')
  })

  it('rollout_promote sends promoteToStable: the rollout bundle becomes the channel’s bundle, the rollout ends', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 5000)))
    const result = await run(emu, { channel: 'production', rollout_promote: 'true' })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ promoteToStable: true })])
    expect(channelState(emu)).toEqual(noRollout('1.0.10'))
    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.10',
      previous_version: '1.0.8',
      rollout_version: '',
      rollout_percentage: '',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    const rep = rolloutReport(result)
    expect(rep.rollout?.action).toBe('promote')
    expect(rep.channel_verified).toBe(true)
    expect(result.summary).toContain('| bundle | `1.0.8` | **`1.0.10`** |')
  })

  it('rollout_abort sends rollback: the rollout ends, every device keeps the channel’s bundle', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 5000)))
    const result = await run(emu, { channel: 'production', rollout_abort: 'true' })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rollback: true })])
    expect(channelState(emu)).toEqual(noRollout('1.0.8'))
    expect(rolloutOutputs(result)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '',
      rollout_percentage: '',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    const rep = rolloutReport(result)
    expect(rep.rollout).toMatchObject({ action: 'abort', replaced: '1.0.10' })
    expect(rep.channel_verified).toBe(true)
    expect(result.summary).toContain('The rollout of `1.0.10` ended')
    // The aborted bundle is still there.
    expect(liveVersions(emu)).toContain('1.0.10')
  })

  it('rollout_percentage on a rollout that is set but off (rolloutEnabled false) turns it on', async () => {
    // A rollout bundle set in Capgo's dashboard but never enabled: devices get nothing from it.
    const emu = await emulator(
      rolloutApp({ rollout_version: '1.0.10', rolloutEnabled: false, rolloutPercentageBps: 0 })
    )
    const result = await run(emu, {
      channel: 'production',
      version: '1.0.10',
      rollout_percentage: '10'
    })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPercentageBps: 1000, rolloutEnabled: true })])
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.10', bps: 1000, enabled: true })
    expect(rolloutOutputs(result)).toMatchObject({
      rollout_version: '1.0.10',
      rollout_percentage: '10',
      channel_changed: 'true'
    })
  })
})

// ---- 4. a staged rollout ----------------------------------------------------------------------

describe('a staged rollout, run after run', () => {
  it('rollout_steps 5,25,50,100: starts at 5, then 25 -> 50 -> 100 -> promoted; then nothing runs', async () => {
    const emu = await emulator(rolloutApp())
    const STEPS = { channel: 'production', rollout_steps: '5,25,50,100' }

    // The tag push: start at the first step.
    const first = await run(emu, { ...STEPS, promote_from: 'beta' })
    expect(first.code, why(first)).toBe(0)
    expect(writes(emu)).toEqual([channelPost(startFields('1.0.11', 500))])
    expect(channelState(emu)).toMatchObject({
      version: '1.0.8',
      rollout: '1.0.11',
      bps: 500,
      enabled: true,
      paused: false
    })
    expect(rolloutOutputs(first)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.11',
      rollout_percentage: '5',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    expect(rolloutReport(first).rollout).toMatchObject({ action: 'start', next_step: 25 })
    expect(first.summary).toContain('`▰▱▱▱▱▱▱▱▱▱ 5 %`')
    expect(first.summary).toContain('Next step: the next run moves it to 25 %.')

    // The tag push job run again (a re-run after a later step failed): no write, still at 5 %.
    emu.clearLog()
    const again = await run(emu, { ...STEPS, promote_from: 'beta' })
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.11', bps: 500 })
    expect(again.outputs.channel_changed).toBe('false')

    // The schedule: rollout_steps alone, one step a run.
    const steps: [number, string, number | 'promote', string][] = [
      [2500, '25', 50, 'Next step: the next run moves it to 50 %.'],
      [5000, '50', 100, 'Next step: the next run moves it to 100 %.'],
      [10000, '100', 'promote', 'Next step: the next run promotes it to every device.']
    ]
    const bars: Record<string, string> = {
      '25': '`▰▰▰▱▱▱▱▱▱▱ 25 %`',
      '50': '`▰▰▰▰▰▱▱▱▱▱ 50 %`',
      '100': '`▰▰▰▰▰▰▰▰▰▰ 100 %`'
    }
    for (const [bps, share, next, nextText] of steps) {
      emu.clearLog()
      const result = await run(emu, STEPS)
      expect(result.code, why(result)).toBe(0)
      expect(writes(emu), share).toEqual([channelPost({ rolloutPercentageBps: bps })])
      expect(channelState(emu), share).toEqual({
        version: '1.0.8',
        rollout: '1.0.11',
        bps,
        enabled: true,
        paused: false,
        reason: null
      })
      expect(rolloutOutputs(result), share).toEqual({
        version: '1.0.8',
        previous_version: '1.0.8',
        rollout_version: '1.0.11',
        rollout_percentage: share,
        rollout_paused: 'false',
        channel_changed: 'true'
      })
      expect(rolloutReport(result).rollout, share).toMatchObject({
        action: 'step',
        next_step: next
      })
      expect(rolloutReport(result).channel_verified).toBe(true)
      expect(result.summary, share).toContain('### Rollout: move to the next step')
      expect(result.summary, share).toContain(bars[share])
      expect(result.summary, share).toContain(nextText)
    }

    // At the last step: the next run promotes.
    emu.clearLog()
    const promote = await run(emu, STEPS)
    expect(promote.code, why(promote)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ promoteToStable: true })])
    expect(channelState(emu)).toEqual(noRollout('1.0.11'))
    expect(rolloutOutputs(promote)).toEqual({
      version: '1.0.11',
      previous_version: '1.0.8',
      rollout_version: '',
      rollout_percentage: '',
      rollout_paused: 'false',
      channel_changed: 'true'
    })
    expect(rolloutReport(promote).rollout?.action).toBe('promote')
    expect(promote.summary).toContain('### Rollout: promote the rollout bundle to every device')
    expect(promote.summary).toContain('| bundle | `1.0.8` | **`1.0.11`** |')
    expect(promote.summary).not.toContain('▰')

    // The schedule once more: no rollout runs; it fails before any write.
    emu.clearLog()
    const after = await run(emu, STEPS)
    expectFailedWith(after, 'No rollout runs on channel "production"', '"rollout_steps"')
    expect(writes(emu)).toEqual([])
    expect(channelState(emu)).toEqual(noRollout('1.0.11'))
  })
})

describe('the staged-rollout example’s check (a dry run with channel alone)', () => {
  it('reports the running rollout and writes nothing; reports none between releases', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2500)))
    const check = await run(emu, { channel: 'production', dry_run: 'true' })
    expect(check.code, why(check)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(rolloutOutputs(check)).toEqual({
      version: '1.0.8',
      previous_version: '1.0.8',
      rollout_version: '1.0.10',
      rollout_percentage: '25',
      rollout_paused: 'false',
      channel_changed: 'false'
    })
    expect(check.outputs.dry_run).toBe('true')

    const idle = await emulator(rolloutApp())
    const none = await run(idle, { channel: 'production', dry_run: 'true' })
    expect(none.code, why(none)).toBe(0)
    expect(writes(idle)).toEqual([])
    expect(none.outputs).toMatchObject({ rollout_version: '', rollout_percentage: '' })
  })

  it('a dry run of a start says what it would do and writes nothing', async () => {
    const emu = await emulator(rolloutApp())
    const result = await run(emu, { ...START, dry_run: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(channelState(emu)).toEqual(noRollout('1.0.8'))
    expect(rolloutOutputs(result)).toMatchObject({
      rollout_version: '1.0.11',
      rollout_percentage: '10',
      channel_changed: 'true'
    })
    expect(result.summary).toContain('### Rollout: start (planned)')
    expect(result.summary).toContain('Dry run: nothing was changed')
  })
})

// ---- 5. a rollout Capgo paused ----------------------------------------------------------------

describe('a rollout Capgo paused', () => {
  it('rollout_steps refuses to advance it, quotes the reason, writes nothing; resumed, it advances', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2500)))
    emu.pauseRollout(APP, 'production', 'crash rate above 2%')
    const STEPS = { channel: 'production', rollout_steps: '5,25,50,100' }

    const result = await run(emu, STEPS)
    expectFailedWith(result, 'paused', '"crash rate above 2%"', 'rollout_pause: false')
    expect(writes(emu)).toEqual([])
    expect(channelState(emu)).toEqual({
      version: '1.0.8',
      rollout: '1.0.10',
      bps: 2500,
      enabled: true,
      paused: true,
      reason: 'crash rate above 2%'
    })
    expect(result.outputs.error).toContain('crash rate above 2%')
    expect(result.outputs.channel_changed).toBe('false')
    expect(result.summary).toContain('failed')
    expect(result.summary).toContain('Nothing was changed')
    expect(result.summary).toContain('crash rate above 2%')

    // The cause fixed: resume, then the schedule advances it again.
    emu.clearLog()
    const resume = await run(emu, { channel: 'production', rollout_pause: 'false' })
    expect(resume.code, why(resume)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPaused: false })])
    expect(channelState(emu)).toMatchObject({ paused: false, reason: null, bps: 2500 })

    emu.clearLog()
    const step = await run(emu, STEPS)
    expect(step.code, why(step)).toBe(0)
    expect(writes(emu)).toEqual([channelPost({ rolloutPercentageBps: 5000 })])
    expect(channelState(emu)).toMatchObject({ rollout: '1.0.10', bps: 5000, paused: false })
  })
})

// ---- 6. plans refused before any write --------------------------------------------------------

interface RefusedRow {
  label: string
  running?: boolean
  /** A channel `hotfix` on production's bundle, 1.0.8. */
  hotfix?: boolean
  inputs: Record<string, string>
  mentions: string[]
}

const REFUSED: RefusedRow[] = [
  {
    label: 'a rollout on a channel that does not exist',
    inputs: { channel: 'staging', version: '1.0.10', rollout_percentage: '10' },
    mentions: ['"staging"', 'does not exist']
  },
  {
    label: 'a rollout on a channel with no bundle',
    inputs: { channel: 'empty', promote_from: 'beta', rollout_percentage: '10' },
    mentions: ['"empty"', 'has no bundle']
  },
  {
    label: 'rollout_percentage alone with no rollout running',
    inputs: { channel: 'production', rollout_percentage: '30' },
    mentions: ['No rollout runs on channel "production"', '"rollout_percentage"']
  },
  {
    label: 'rollout_steps alone with no rollout running',
    inputs: { channel: 'production', rollout_steps: '5,25' },
    mentions: ['No rollout runs on channel "production"', '"rollout_steps"']
  },
  {
    label: 'rollout_pause with no rollout running',
    inputs: { channel: 'production', rollout_pause: 'true' },
    mentions: ['No rollout runs on channel "production"', '"rollout_pause"']
  },
  {
    // Capgo unpauses a rollout whenever its bundle changes, in the same write: sent as one POST,
    // the "paused" start would reach devices at once (and fail the read-back).
    label: 'a start with rollout_pause true',
    inputs: { ...START, rollout_pause: 'true' },
    mentions: ['"rollout_pause: true"', '"1.0.11"', 'unpaused']
  },
  {
    label: 'delete_versions of the rollout bundle the run replaces',
    running: true,
    inputs: {
      channel: 'production',
      version: '1.0.9',
      rollout_percentage: '10',
      delete_versions: '1.0.10'
    },
    mentions: ['"1.0.10"', 'protected', 'rollout ended or replaced']
  },
  {
    label: 'delete_versions of the bundle a promotion replaces (previous_version)',
    running: true,
    inputs: { channel: 'production', rollout_promote: 'true', delete_versions: '1.0.8' },
    mentions: ['"1.0.8"', 'protected', 'rollback target']
  },
  {
    label: 'an unknown version',
    inputs: { channel: 'production', version: '9.9.9', rollout_percentage: '10' },
    mentions: ['"9.9.9"']
  },
  {
    label: 'rollout_pause with version of another bundle than the running rollout',
    running: true,
    inputs: { channel: 'production', version: '1.0.9', rollout_pause: 'true' },
    mentions: ['"1.0.10"', '"1.0.9"']
  }
]

describe('rollout plans refused before any write', () => {
  it.concurrent.for(REFUSED)('$label', async (row, { expect }) => {
    const app = rolloutApp(row.running ? runningRollout('1.0.10', 2000) : {})
    if (row.hotfix) app.channels = [...app.channels!, { name: 'hotfix', version: '1.0.8' }]
    const emu = await emulator(app)
    const before = ['production', 'beta', 'empty'].map(c => channelState(emu, c))
    const result = await run(emu, row.inputs)

    expect(result.code, why(result)).toBe(1)
    expect(result.errors, why(result)).toHaveLength(1)
    for (const text of row.mentions) expect(result.errors[0]).toContain(text)
    expect(writes(emu)).toEqual([])
    expect(['production', 'beta', 'empty'].map(c => channelState(emu, c))).toEqual(before)
    expect(emu.channel(APP, 'staging')).toBeUndefined()
    expect(result.outputs.channel_changed).toBe('false')
    expect(result.summary).toContain('Nothing was changed')
  })
})

// ---- 7. replacing a running rollout -----------------------------------------------------------

describe('replacing a running rollout', () => {
  it('warns, starts the new one, and keeps the replaced bundle through the same run’s cleanup', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.2', 3000)))
    const result = await run(emu, {
      channel: 'production',
      version: '1.0.10',
      rollout_percentage: '10',
      cleanup_keep: '0',
      max_delete: '50'
    })

    expect(result.code, why(result)).toBe(0)
    expect(result.warnings.some(w => w.includes('"1.0.2"') && w.includes('replaced'))).toBe(true)
    // Kept: production's bundle, the new rollout bundle, beta's bundle, the replaced rollout.
    const deleted = ['1.0.0', '1.0.1', '1.0.3', '1.0.4', '1.0.5', '1.0.6', '1.0.7', '1.0.9']
    const log = writes(emu)
    expect(log[0]).toEqual(channelPost(startFields('1.0.10', 1000)))
    expect(
      log
        .slice(1)
        .map(w => `${w.method} ${w.path} ${(w.body as { version: string }).version}`)
        .sort()
    ).toEqual(deleted.map(v => `DELETE /bundle ${v}`).sort())
    expect(liveVersions(emu)).toEqual(['1.0.2', '1.0.8', '1.0.10', '1.0.11'])
    expect(channelState(emu)).toMatchObject({ version: '1.0.8', rollout: '1.0.10', bps: 1000 })
    expect(fateOf(result, '1.0.2')).toEqual({
      fate: 'protected',
      reason: 'rollout ended or replaced on channel "production" by this run'
    })
    expect(JSON.parse(result.outputs.protected_bundles!)).toContain('1.0.2')
    expect(rolloutReport(result).rollout).toMatchObject({ action: 'start', replaced: '1.0.2' })
    expect(result.summary).toContain('The rollout of `1.0.2` ended')
  })
})

// ---- 8. safety: what the same run's cleanup never deletes --------------------------------------

describe('cleanup in a rollout run (cleanup_keep: 0)', () => {
  const CLEANUP = { cleanup_keep: '0', max_delete: '50' }

  it('keeps the bundle under rollout', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.2', 1000)))
    const result = await run(emu, { channel: 'production', rollout_percentage: '30', ...CLEANUP })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)[0]).toEqual(channelPost({ rolloutPercentageBps: 3000 }))
    expect(
      requestsOf(emu, 'DELETE', '/bundle').map(r => (r.body as { version: string }).version)
    ).not.toContain('1.0.2')
    expect(liveVersions(emu)).toEqual(['1.0.2', '1.0.8', '1.0.11'])
    expect(fateOf(result, '1.0.2')).toEqual({
      fate: 'protected',
      reason: 'rollout bundle of channel "production"'
    })
    expect(JSON.parse(result.outputs.failed_bundles!)).toEqual([])
  })

  it('keeps the rollout bundle the run ends (rollout_abort)', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.2', 1000)))
    const result = await run(emu, { channel: 'production', rollout_abort: 'true', ...CLEANUP })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)[0]).toEqual(channelPost({ rollback: true }))
    // After the abort nothing links 1.0.2: only the plan keeps it.
    expect(
      requestsOf(emu, 'DELETE', '/bundle').map(r => (r.body as { version: string }).version)
    ).not.toContain('1.0.2')
    expect(liveVersions(emu)).toEqual(['1.0.2', '1.0.8', '1.0.11'])
    expect(channelState(emu)).toEqual(noRollout('1.0.8'))
    expect(fateOf(result, '1.0.2')).toEqual({
      fate: 'protected',
      reason: 'rollout ended or replaced on channel "production" by this run'
    })
  })

  it('keeps the previous stable bundle of a promotion (previous_version)', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 5000)))
    const result = await run(emu, { channel: 'production', rollout_promote: 'true', ...CLEANUP })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)[0]).toEqual(channelPost({ promoteToStable: true }))
    expect(result.outputs.previous_version).toBe('1.0.8')
    // After the promotion nothing links 1.0.8: only the plan keeps it.
    expect(
      requestsOf(emu, 'DELETE', '/bundle').map(r => (r.body as { version: string }).version)
    ).not.toContain('1.0.8')
    expect(liveVersions(emu)).toEqual(['1.0.8', '1.0.10', '1.0.11'])
    expect(channelState(emu)).toEqual(noRollout('1.0.10'))
    expect(fateOf(result, '1.0.8')).toEqual({
      fate: 'protected',
      reason: 'rollback target of channel "production"'
    })
  })

  it('keeps the previous stable bundle of a promotion by rollout_steps', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 10000)))
    const result = await run(emu, {
      channel: 'production',
      rollout_steps: '5,25,50,100',
      ...CLEANUP
    })

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)[0]).toEqual(channelPost({ promoteToStable: true }))
    expect(liveVersions(emu)).toEqual(['1.0.8', '1.0.10', '1.0.11'])
    expect(fateOf(result, '1.0.8')?.fate).toBe('protected')
  })
})

// ---- 9. the bundle's link and comment ----------------------------------------------------------

describe('bundle_link and bundle_comment', () => {
  const LINK = 'https://github.com/acme/app/commit/0123456'

  it('are set on the bundle a rollout starts, after the channel; a re-run sends nothing; a new comment alone sends the comment', async () => {
    const emu = await emulator(rolloutApp())
    const inputs = { ...START, bundle_link: LINK, bundle_comment: 'Release 1.0.11' }
    const result = await run(emu, inputs)

    expect(result.code, why(result)).toBe(0)
    expect(writes(emu)).toEqual([
      channelPost(startFields('1.0.11', 1000)),
      metadataPost(emu, '1.0.11', { link: LINK, comment: 'Release 1.0.11' })
    ])
    const row = emu.bundles(APP).find(b => b.name === '1.0.11')!
    expect([row.link, row.comment]).toEqual([LINK, 'Release 1.0.11'])
    // No other bundle touched.
    expect(
      emu
        .bundles(APP)
        .filter(b => b.link !== null || b.comment !== null)
        .map(b => b.name)
    ).toEqual(['1.0.11'])

    emu.clearLog()
    const again = await run(emu, inputs)
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
    expect(again.outputs.channel_changed).toBe('false')

    emu.clearLog()
    const comment = await run(emu, { ...inputs, bundle_comment: 'Release 1.0.11 (hotfix notes)' })
    expect(comment.code, why(comment)).toBe(0)
    expect(writes(emu)).toEqual([
      metadataPost(emu, '1.0.11', { comment: 'Release 1.0.11 (hotfix notes)' })
    ])
  })

  it('are set on the rollout bundle by a step, and on the promoted bundle by rollout_promote', async () => {
    const emu = await emulator(rolloutApp(runningRollout('1.0.10', 2000)))
    const step = await run(emu, {
      channel: 'production',
      rollout_steps: '25,50',
      bundle_link: LINK
    })
    expect(step.code, why(step)).toBe(0)
    expect(writes(emu)).toEqual([
      channelPost({ rolloutPercentageBps: 2500 }),
      metadataPost(emu, '1.0.10', { link: LINK })
    ])

    emu.clearLog()
    const promote = await run(emu, {
      channel: 'production',
      rollout_promote: 'true',
      bundle_link: LINK,
      bundle_comment: 'promoted'
    })
    expect(promote.code, why(promote)).toBe(0)
    expect(writes(emu)).toEqual([
      channelPost({ promoteToStable: true }),
      metadataPost(emu, '1.0.10', { comment: 'promoted' })
    ])
    expect(channelState(emu)).toEqual(noRollout('1.0.10'))
  })

  it('an uploader key is enough for a promotion with a link: PUT /bundle, then POST /bundle/metadata', async () => {
    const emu = await emulator(rolloutApp(), { keys: { [KEY]: 'uploader' } })
    const result = await run(emu, {
      channel: 'production',
      promote_from: 'beta',
      bundle_link: LINK
    })

    expect(result.code, why(result)).toBe(0)
    const production = emu.channel(APP, 'production')!
    expect(writes(emu)).toEqual([
      {
        method: 'PUT',
        path: '/bundle',
        body: { app_id: APP, version_id: bundleId(emu, '1.0.11'), channel_id: production.id },
        status: 200
      },
      metadataPost(emu, '1.0.11', { link: LINK })
    ])
    expect(channelState(emu)).toEqual(noRollout('1.0.11'))
    expect(emu.bundles(APP).find(b => b.name === '1.0.11')!.link).toBe(LINK)
    expect(result.outputs).toMatchObject({
      version: '1.0.11',
      previous_version: '1.0.8',
      channel_changed: 'true'
    })

    emu.clearLog()
    const again = await run(emu, { channel: 'production', promote_from: 'beta', bundle_link: LINK })
    expect(again.code, why(again)).toBe(0)
    expect(writes(emu)).toEqual([])
  })
})

// ---- 10. an uploader key ---------------------------------------------------------------------

describe('an uploader key', () => {
  it('is refused a rollout start: the error and the summary name app_admin; nothing else is written', async () => {
    const emu = await emulator(rolloutApp(), { keys: { [KEY]: 'uploader' } })
    const result = await run(emu, { ...START, bundle_link: 'https://example.com/x', ...QUICK })

    expectFailedWith(result, 'app_admin', 'POST /channel')
    // The one write tried, refused; no metadata, nothing after it.
    expect(writes(emu)).toEqual([{ ...channelPost(startFields('1.0.11', 1000)), status: 400 }])
    expect(channelState(emu)).toEqual(noRollout('1.0.8'))
    expect(emu.bundles(APP).find(b => b.name === '1.0.11')!.link).toBeNull()
    expect(result.outputs.error).toContain('app_admin')
    expect(result.outputs).toMatchObject({ rollout_version: '', channel_changed: 'false' })
    expect(result.summary).toContain('app_admin')
    expect(result.summary).toContain('Nothing was changed')
    expect(leaks(result)).toEqual([])
  })
})

describe('abort and promote with no rollout left (a re-run of those jobs)', () => {
  it.each(['rollout_abort', 'rollout_promote'])(
    '%s succeeds with a notice and writes nothing',
    async input => {
      const emu = await emulator(rolloutApp())
      const result = await run(emu, { channel: 'production', [input]: 'true', ...QUICK })
      expect(result.code, why(result)).toBe(0)
      expect(writes(emu)).toEqual([])
      expect(result.warnings.join('\n')).toContain(
        `No rollout runs on channel "production": nothing to end (${input})`
      )
      expect(result.outputs.channel_changed).toBe('false')
    }
  )
})
