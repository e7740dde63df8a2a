// The read-back (README, "One run", step 5): after writing a channel, Capgo's row must hold the
// bundle and rollout the plan wrote. channelDifferences compares the plan's `after` with the row.

import { describe, expect, it } from 'vitest'
import type { Channel } from '../src/capgo/types.js'
import { NEW_CHANNEL_DEFAULTS, type ChannelSnapshot } from '../src/plan/index.js'
import { channelDifferences } from '../src/verify.js'
import { bundle, channel, rollout } from './helpers/fixtures.js'

const stable = bundle(1, '1.0.0')
const rolled = bundle(2, '1.1.0')
const other = bundle(3, '1.2.0')
const byId = new Map([stable, rolled, other].map(b => [b.id, b]))

/** What the plan says the channel holds after the run: `stable`, and a 25 % rollout of `rolled`. */
const EXPECTED: ChannelSnapshot = {
  ...NEW_CHANNEL_DEFAULTS,
  version: '1.0.0',
  versionId: 1,
  rollout: {
    version: '1.1.0',
    versionId: 2,
    percentage: 25,
    enabled: true,
    paused: false,
    pauseReason: null
  }
}

/** The row Capgo gives back when it did exactly what the plan wrote. */
function asWritten(extra: Partial<Channel> = {}): Channel {
  return channel('production', stable, { ...rollout(rolled, 25), ...extra })
}

describe('channelDifferences', () => {
  it('none when the row holds what the plan wrote', () => {
    expect(channelDifferences(EXPECTED, asWritten(), byId)).toEqual([])
  })

  it('settings and the pause reason are not compared: only bundle and rollout', () => {
    const row = asWritten({ public: true, allow_dev: false, rolloutPauseReason: 'note' })
    expect(channelDifferences(EXPECTED, row, byId)).toEqual([])
  })

  it('the channel gone', () => {
    expect(channelDifferences(EXPECTED, undefined, byId)).toEqual(['the channel is gone'])
  })

  it.each<{ name: string; row: Partial<Channel>; says: string[] }>([
    {
      name: 'another bundle',
      row: { version: { id: 3, name: '1.2.0' } },
      says: ['"1.2.0" (id 3)', '"1.0.0" (id 1)']
    },
    { name: 'no bundle', row: { version: null }, says: ['no bundle', '"1.0.0" (id 1)'] },
    {
      name: 'another rollout bundle',
      row: rollout(other, 25),
      says: ['rollout bundle', '"1.2.0" (id 3)', '"1.1.0" (id 2)']
    },
    { name: 'another share', row: rollout(rolled, 50), says: ['share', '50', '25'] },
    {
      name: 'a share that differs by one basis point',
      row: { rolloutPercentageBps: 2501 },
      says: ['25.01', '25']
    },
    {
      name: 'the rollout not enabled',
      row: rollout(rolled, 25, { enabled: false }),
      says: ['disabled']
    },
    {
      name: 'the rollout paused',
      row: rollout(rolled, 25, { pausedReason: 'crash rate' }),
      says: ['paused']
    },
    {
      name: 'no rollout',
      row: { rollout_version: null, rollout_version_info: null },
      says: ['no rollout', '"1.1.0" (id 2)']
    }
  ])('one difference: $name', ({ row, says }) => {
    const differences = channelDifferences(EXPECTED, asWritten(row), byId)
    expect(differences).toHaveLength(1)
    for (const text of says) expect(differences[0]).toContain(text)
  })

  it('a rollout still set when the plan ended it', () => {
    const expected = { ...EXPECTED, rollout: null }
    const differences = channelDifferences(expected, asWritten(), byId)
    expect(differences).toEqual([expect.stringContaining('"1.1.0" (id 2) is still set')])
    expect(channelDifferences(expected, channel('production', stable), byId)).toEqual([])
  })

  it('compares the bundle by id: the same name under another id differs', () => {
    const reused = { ...EXPECTED, version: '1.0.0', versionId: 9 }
    expect(channelDifferences(reused, asWritten(), byId)).toHaveLength(1)
  })

  it('reads the bundle as Capgo may give it: a bare id, or {id} without name', () => {
    for (const version of [1, { id: 1 }]) {
      const row = { ...asWritten(), version } as unknown as Channel
      expect(channelDifferences(EXPECTED, row, byId)).toEqual([])
    }
  })

  it('reports every difference at once', () => {
    const row = channel('production', other, rollout(rolled, 10, { enabled: false }))
    expect(channelDifferences(EXPECTED, row, byId)).toHaveLength(3)
  })
})
