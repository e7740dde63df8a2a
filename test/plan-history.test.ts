// How far back the release history is read (src/plan/history.ts; docs/rollback.md): until the
// decision it feeds is made, never a fixed window.

import { describe, expect, it } from 'vitest'
import { historySuffices, RERUN_RECORDS } from '../src/plan/history.js'
import type { Release } from '../src/plan/types.js'
import { cleanup, series, settings } from './helpers/fixtures.js'

const rows = series(8)
const GITHUB = { token: 't', deployment: true, prComment: false }

/** Newest first. */
function releases(...versions: (string | [string, string])[]): Release[] {
  return versions.map((v, i) => ({
    version: typeof v === 'string' ? v : v[0],
    ...(typeof v === 'string' ? {} : { rolloutVersion: v[1] }),
    deploymentId: 100 - i,
    createdAt: '2026-11-01T00:00:00Z'
  }))
}

const context = (over: Partial<Parameters<typeof historySuffices>[2]> = {}) => ({
  settings: settings({ cleanup: cleanup({ keep: 0 }), cleanupKeepReleases: 3, github: GITHUB }),
  channel: 'production',
  current: '1.0.7',
  bundles: rows,
  run: undefined,
  ...over
})

describe('historySuffices', () => {
  it('release protection: N distinct releases, the steps of a staged rollout counting once', () => {
    const steps: [string, string][] = Array.from({ length: 20 }, () => ['1.0.5', '1.0.6'])
    expect(historySuffices(releases('1.0.7', ...steps), 21, context())).toBe(false)
    expect(historySuffices(releases('1.0.7', ...steps, '1.0.4'), 22, context())).toBe(true)
  })

  it('rollback: until a target that still exists is found', () => {
    const s = settings({ channel: 'production', rollback: true, github: GITHUB })
    const deleted = rows.map(b => (b.name === '1.0.6' ? { ...b, deleted: true } : b))
    const ctx = context({ settings: s, bundles: deleted })
    expect(historySuffices(releases('1.0.7', '1.0.6'), 2, ctx)).toBe(false)
    expect(historySuffices(releases('1.0.7', '1.0.6', '1.0.5'), 3, ctx)).toBe(true)
  })

  it("the re-run check of an advance: until this run's record, or a few records", () => {
    const s = settings({
      channel: 'production',
      rollout: { steps: [5, 25], promote: false, abort: false },
      github: GITHUB
    })
    const ctx = context({ settings: s, run: { id: '9', attempt: 2 } })
    expect(historySuffices(releases('1.0.7'), 1, ctx)).toBe(false)
    expect(historySuffices(releases('1.0.7'), RERUN_RECORDS, ctx)).toBe(true)
    const own = releases('1.0.7').map(r => ({ ...r, runId: '9' }))
    expect(historySuffices(own, 1, ctx)).toBe(true)
  })
})
