// End-to-end: the built action (dist/index.js, real Node 24, runner files) against the Capgo
// emulator — deletions: the scheduled cleanup, its dry run, the pull request teardown, the
// safety rules, the max_delete cap, failed deletions among many, delete_all_bundles, concurrency.

import { describe, expect, it } from 'vitest'
import type { Emulator, LoggedRequest } from '../emulator/index.js'
import {
  APP,
  bodyVersion,
  dailyBundles,
  deleteRequestVersions,
  deletedOutput,
  deletesOf,
  emulator,
  errorText,
  expectNoLeak,
  failedBundles,
  json,
  liveNames,
  onDeleteOf,
  range,
  report,
  requestsOf,
  run,
  sorted,
  stopEmulators,
  v,
  writeLog,
  type AppSeed
} from './shared.js'

stopEmulators('each')

/**
 * 60 bundles 1.0.0 .. 1.0.59, one a day, the newest 12 h old (so no bundle sits on a day
 * boundary of `cleanup_older_than`). production on 1.0.10, beta on 1.0.50 with rollout 1.0.4,
 * legacy on 1.0.0.
 */
function scheduledApp(extra: Partial<AppSeed> = {}): AppSeed {
  return {
    ...dailyBundles(60),
    channels: [
      { name: 'production', version: '1.0.10', public: true },
      { name: 'beta', version: '1.0.50', rollout_version: '1.0.4' },
      { name: 'legacy', version: '1.0.0' }
    ],
    ...extra
  }
}

const SCHEDULED = {
  cleanup_keep: '20',
  cleanup_older_than: '30d',
  cleanup_protect: '1.0.3, 1.0.2?'
}
// Older than 30 d: 1.0.0 .. 1.0.29. Protected among them: 1.0.0 (legacy), 1.0.4 (beta's rollout),
// 1.0.10 (production), 1.0.3 and 1.0.20 .. 1.0.29 (cleanup_protect). The 20 newest unprotected
// (1.0.39 .. 1.0.59 but 1.0.50) are all younger anyway.
const SCHEDULED_DELETED = v(1, 2, 5, 6, 7, 8, 9, ...range(11, 19))
const SCHEDULED_PROTECTED = v(50, ...range(20, 29).reverse(), 10, 4, 3, 0)

/** Every DELETE /bundle body is exactly {app_id, version} with a non-empty version. */
function expectWellFormedDeletes(emu: Emulator): void {
  for (const r of requestsOf(emu, 'DELETE', '/bundle')) {
    expect(Object.keys(r.body as object).sort()).toEqual(['app_id', 'version'])
    expect((r.body as { app_id: unknown }).app_id).toBe(APP)
    const version = bodyVersion(r)
    expect(typeof version).toBe('string')
    expect((version as string).trim()).not.toBe('')
  }
}

describe('the scheduled cleanup', () => {
  it('deletes what is outside the newest N and older than the age, never a protected bundle', async () => {
    const emu = await emulator(scheduledApp())
    const result = await run(emu, SCHEDULED)

    expect(result.code, result.stdout).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    // Deleted in plan order: oldest first.
    expect(json(result, 'deleted_bundles')).toEqual(SCHEDULED_DELETED)
    expect(result.outputs).toMatchObject({
      deleted_count: '16',
      kept_count: '44',
      failed_bundles: '[]',
      channel: '',
      deleted_channel: '',
      dry_run: 'false'
    })
    expect(json(result, 'protected_bundles')).toEqual(SCHEDULED_PROTECTED)

    // Exactly one DELETE per planned bundle, nothing else written.
    expect(deleteRequestVersions(emu)).toEqual(SCHEDULED_DELETED)
    expect(emu.writes()).toHaveLength(16)
    expect(emu.writes().every(r => r.status === 200)).toBe(true)
    expectWellFormedDeletes(emu)

    const live = liveNames(emu)
    expect(live.size).toBe(44)
    for (const name of SCHEDULED_PROTECTED) expect(live.has(name), name).toBe(true)
    for (const name of SCHEDULED_DELETED) expect(live.has(name), name).toBe(false)
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.10')

    // The report lists every touched bundle with its fate and reason.
    const rep = report(result)
    expect(rep.deleted_count).toBe(16)
    expect(rep.plan!.bundles_total).toBe(60)
    const fates = new Map(rep.plan!.bundles.map(b => [b.version, b]))
    expect(fates.size).toBe(31)
    expect(fates.get('1.0.1')).toMatchObject({
      fate: 'delete',
      reason: 'outside the 20 newest and older than 30d'
    })
    expect(fates.get('1.0.10')).toMatchObject({ fate: 'protected' })
    expect(fates.get('1.0.10')!.reason).toContain('production')
    expect(fates.get('1.0.4')!.reason).toContain('rollout')
    expect(fates.get('1.0.23')!.reason).toContain('cleanup_protect')

    // The summary: counts, fate rows, and a "more" line past 50 rows.
    const s = result.summary
    expect(s).toContain(
      'Deleted **16**, protected **15**, kept **29** of 60: 44 left after the run.'
    )
    expect(s).toMatch(
      /\| `1\.0\.1` \| \d{4}-\d\d-\d\d \| 🗑️ deleted \| outside the 20 newest and older than 30d \|/
    )
    expect(s).toMatch(/\| `1\.0\.10` \| [^|]+ \| 🛡️ protected \| on channel "production" \|/)
    expect(s).toMatch(
      /\| `1\.0\.4` \| [^|]+ \| 🛡️ protected \| rollout bundle of channel "beta" \|/
    )
    expect(s).toMatch(
      /\| `1\.0\.23` \| [^|]+ \| 🛡️ protected \| matches cleanup_protect "1\.0\.2\?" \|/
    )
    // Every bundle the cleanup touched has a row (all 15 protected, all 16 deleted); the 29 kept
    // are counted, not listed.
    const rows = s.split('\n').filter(line => /^\| `/.test(line))
    expect(rows).toHaveLength(31)
    for (const name of SCHEDULED_PROTECTED) {
      expect(
        rows.filter(r => r.startsWith(`| \`${name}\` |`) && r.includes('🛡️ protected'))
      ).toHaveLength(1)
    }
    for (const name of SCHEDULED_DELETED) {
      expect(
        rows.filter(r => r.startsWith(`| \`${name}\` |`) && r.includes('🗑️ deleted'))
      ).toHaveLength(1)
    }
    expect(s).not.toMatch(/\| `1\.0\.59` \|/)
    expect(s).toContain('29 bundles kept (not listed).')
    expectNoLeak(result)
  })

  it('a re-run deletes nothing and writes nothing', async () => {
    const emu = await emulator(scheduledApp())
    expect((await run(emu, SCHEDULED)).code).toBe(0)
    emu.clearLog()

    const again = await run(emu, SCHEDULED)
    expect(again.code, again.stdout).toBe(0)
    expect(again.outputs).toMatchObject({
      deleted_bundles: '[]',
      deleted_count: '0',
      kept_count: '44',
      failed_bundles: '[]'
    })
    expect(json(again, 'protected_bundles')).toEqual(SCHEDULED_PROTECTED)
    expect(writeLog(emu)).toEqual([])
    expectNoLeak(again)
  })

  it('a dry run reports the same plan and writes nothing', async () => {
    const emu = await emulator(scheduledApp())
    const result = await run(emu, { ...SCHEDULED, dry_run: 'true' })

    expect(result.code, result.stdout).toBe(0)
    expect(json(result, 'deleted_bundles')).toEqual(SCHEDULED_DELETED)
    expect(json(result, 'protected_bundles')).toEqual(SCHEDULED_PROTECTED)
    expect(result.outputs).toMatchObject({
      deleted_count: '16',
      kept_count: '44',
      dry_run: 'true'
    })
    expect(result.summary).toMatch(/dry run/i)
    expect(result.summary).toContain('Would delete **16**')
    expect(result.summary).toMatch(/\| `1\.0\.1` \| [^|]+ \| would delete \|/)
    expect(result.summary).not.toContain('🗑️ deleted')
    expect(emu.writes()).toEqual([])
    expect(emu.bundles(APP)).toHaveLength(60)
    expectNoLeak(result)
  })
})

describe('the pull request teardown', () => {
  const teardownApp = (): AppSeed =>
    scheduledApp({
      channels: [
        { name: 'production', version: '1.0.10', public: true },
        { name: 'pr-42', version: '1.0.58' }
      ],
      devices: [{ device_id: 'tester-1', channel: 'pr-42' }]
    })
  const TEARDOWN = { delete_channel: 'pr-42', delete_versions: '1.0.57\n1.0.58' }

  it('deletes the channel first, then its bundles (no longer protected by it)', async () => {
    const emu = await emulator(teardownApp())
    const result = await run(emu, TEARDOWN)

    expect(result.code, result.stdout).toBe(0)
    expect(result.warnings).toEqual([])
    expect(result.outputs).toMatchObject({
      deleted_channel: 'pr-42',
      deleted_count: '2',
      kept_count: '58',
      failed_bundles: '[]',
      // No cleanup ran.
      protected_bundles: '[]'
    })
    expect(json(result, 'deleted_bundles')).toEqual(['1.0.57', '1.0.58'])
    const writes = emu.writes()
    expect(writes).toHaveLength(3)
    expect(`${writes[0]!.method} ${writes[0]!.path}`).toBe('DELETE /channel')
    expect(writes[0]!.body).toEqual({ app_id: APP, channel: 'pr-42' })
    expect(deleteRequestVersions(emu)).toEqual(['1.0.57', '1.0.58'])
    expectWellFormedDeletes(emu)
    expect(writes.every(r => r.status === 200)).toBe(true)

    expect(emu.channel(APP, 'pr-42')).toBeUndefined()
    expect(emu.deviceOverride(APP, 'tester-1')).toBeUndefined()
    expect(liveNames(emu).has('1.0.58')).toBe(false)
    expect(liveNames(emu).has('1.0.57')).toBe(false)
    expect(emu.bundles(APP)).toHaveLength(58)
    expect(result.summary).toContain('**Deleted channel:** `pr-42`')
    expect(result.summary).toMatch(
      /\| `1\.0\.58` \| [^|]+ \| 🗑️ deleted \| listed in delete_versions \|/
    )
    expectNoLeak(result)

    // Closed twice (a re-run): everything already gone is a warning, not a failure.
    emu.clearLog()
    const again = await run(emu, TEARDOWN)
    expect(again.code, again.stdout).toBe(0)
    expect(again.errors).toEqual([])
    expect(again.warnings).toHaveLength(3)
    expect(again.warnings.join('\n')).toContain('pr-42')
    for (const version of ['1.0.57', '1.0.58']) {
      expect(again.warnings.join('\n')).toContain(
        `Bundle "${version}" (delete_versions) was not found (never uploaded, or already deleted).`
      )
    }
    expect(again.outputs).toMatchObject({
      deleted_channel: '',
      deleted_bundles: '[]',
      deleted_count: '0',
      kept_count: '58'
    })
    expect(writeLog(emu)).toEqual([])
  })

  it('a version already gone is a warning; the others are deleted', async () => {
    const emu = await emulator({
      bundles: [
        { name: '2.0.0' },
        { name: '2.0.1', deleted: true },
        { name: '2.0.2' },
        { name: '2.0.3' }
      ],
      channels: [{ name: 'production', version: '2.0.3', public: true }]
    })
    const result = await run(emu, { delete_versions: '2.0.0, 2.0.1, 9.9.9, 2.0.2' })

    expect(result.code, result.stdout).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.warnings).toHaveLength(2)
    expect(result.warnings.join('\n')).toContain('2.0.1')
    expect(result.warnings.join('\n')).toContain('9.9.9')
    expect(json(result, 'deleted_bundles')).toEqual(['2.0.0', '2.0.2'])
    expect(result.outputs).toMatchObject({ deleted_count: '2', kept_count: '1' })
    expect(requestsOf(emu, 'DELETE', '/bundle').map(bodyVersion)).toEqual(['2.0.0', '2.0.2'])
    expect(emu.writes()).toHaveLength(2)
    expect(emu.bundles(APP).map(b => b.name)).toEqual(['2.0.3'])
    expectNoLeak(result)
  })
})

describe('delete_versions of a protected bundle fails before any write', () => {
  it.each<{ why: string; inputs: Record<string, string>; version: string }>([
    { why: 'on a channel', inputs: { delete_versions: '1.0.57, 1.0.10' }, version: '1.0.10' },
    { why: 'a rollout bundle', inputs: { delete_versions: '1.0.4' }, version: '1.0.4' },
    {
      why: 'matching cleanup_protect',
      inputs: { delete_versions: '1.0.23', cleanup_protect: '1.0.2?' },
      version: '1.0.23'
    },
    {
      why: 'the bundle this run puts on the channel',
      inputs: { channel: 'staging', version: '1.0.57', delete_versions: '1.0.57' },
      version: '1.0.57'
    },
    {
      why: 'the rollback target of the channel this run changes',
      inputs: { channel: 'beta', version: '1.0.57', delete_versions: '1.0.50' },
      version: '1.0.50'
    }
  ])('$why', async ({ inputs, version }) => {
    const emu = await emulator(
      scheduledApp({
        channels: [
          { name: 'production', version: '1.0.10', public: true },
          { name: 'beta', version: '1.0.50', rollout_version: '1.0.4' },
          { name: 'pr-42', version: '1.0.58' }
        ]
      })
    )
    const result = await run(emu, { delete_channel: 'pr-42', ...inputs })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain(`"${version}"`)
    expect(errorText(result)).toMatch(/protected/)
    expect(writeLog(emu)).toEqual([])
    expect(emu.channel(APP, 'pr-42')).toBeDefined()
    expect(emu.bundles(APP)).toHaveLength(60)
    expect(result.outputs).toMatchObject({
      deleted_bundles: '[]',
      deleted_count: '0',
      deleted_channel: '',
      channel_changed: 'false'
    })
    expectNoLeak(result)
  })
})

describe('max_delete', () => {
  it('a plan above the cap fails with zero DELETE requests', async () => {
    const emu = await emulator(scheduledApp())
    const result = await run(emu, { ...SCHEDULED, max_delete: '15' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/max_delete/)
    expect(errorText(result)).toContain('16')
    expect(requestsOf(emu, 'DELETE', '/bundle')).toEqual([])
    expect(emu.writes()).toEqual([])
    expect(emu.bundles(APP)).toHaveLength(60)
    expect(result.outputs).toMatchObject({ deleted_bundles: '[]', deleted_count: '0' })
    expectNoLeak(result)
  })

  it('a plan exactly at the cap goes through', async () => {
    const emu = await emulator(scheduledApp())
    const result = await run(emu, { ...SCHEDULED, max_delete: '16' })

    expect(result.code, result.stdout).toBe(0)
    expect(json(result, 'deleted_bundles')).toEqual(SCHEDULED_DELETED)
    expect(deleteRequestVersions(emu)).toEqual(SCHEDULED_DELETED)
  })

  it('in a dry run: fails too, but writes its outputs and report first', async () => {
    const emu = await emulator(scheduledApp())
    const result = await run(emu, { ...SCHEDULED, max_delete: '10', dry_run: 'true' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/max_delete/)
    expect(emu.writes()).toEqual([])
    expect(result.outputs.dry_run).toBe('true')
    expect(result.outputs.kept_count).not.toBe('')
    expect(json(result, 'protected_bundles')).toEqual(SCHEDULED_PROTECTED)
    const rep = report(result)
    expect(rep.dry_run).toBe(true)
    expect(rep.errors.join('\n')).toMatch(/max_delete/)
    const planned = rep.plan!.bundles.filter(b => b.fate === 'delete').map(b => b.version)
    expect([...planned].sort()).toEqual([...SCHEDULED_DELETED].sort())
    expect(result.summary).toMatch(/max_delete/)
    expect(result.summary).toMatch(/dry run/i)
    expectNoLeak(result)
  })
})

/** 20 bundles, production on the newest; `cleanup_keep: 5` deletes 1.0.0 .. 1.0.13. */
const manyApp = (): AppSeed => ({
  bundles: 20,
  channels: [{ name: 'production', version: '1.0.19', public: true }]
})
const MANY_DELETED = v(...range(0, 13))

describe('a failed deletion among many', () => {
  it('a 400 on one: the others are deleted, the step fails and lists it with its reason', async () => {
    const emu = await emulator(manyApp(), {
      faults: [onDeleteOf('1.0.3', { kind: 'status', status: 400 })]
    })
    const result = await run(emu, { cleanup_keep: '5' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('1.0.3')
    const failed = failedBundles(result)
    expect(failed).toHaveLength(1)
    expect(failed[0]!.version).toBe('1.0.3')
    expect(failed[0]!.error).toMatch(/HTTP 400/)
    const others = MANY_DELETED.filter(x => x !== '1.0.3')
    expect(json(result, 'deleted_bundles')).toEqual(others)
    expect(result.outputs).toMatchObject({ deleted_count: '13', kept_count: '7' })
    // 400 is not retried: one attempt each.
    expect(deleteRequestVersions(emu)).toEqual(MANY_DELETED)
    expect(liveNames(emu)).toEqual(new Set(['1.0.3', ...v(14, 15, 16, 17, 18, 19)]))
    expect(result.summary).toMatch(/\| `1\.0\.3` \| [^|]+ \| ❌ failed \| [^|]*HTTP 400/)
    expect(result.summary).toContain('failed **1**')
    expect(report(result).failed_bundles).toEqual(failed)
    expectNoLeak(result)
  })

  it('a 500 streak longer than retries fails that one; a dropped answer retried onto "gone" counts as done', async () => {
    const emu = await emulator(manyApp(), {
      faults: [
        onDeleteOf('1.0.7', { kind: 'status', status: 500 }),
        onDeleteOf('1.0.9', { kind: 'drop-after', count: 1 })
      ]
    })
    const result = await run(emu, { cleanup_keep: '5', retries: '1', timeout: '5' })

    expect(result.code).not.toBe(0)
    const failed = failedBundles(result)
    expect(failed.map(f => f.version)).toEqual(['1.0.7'])
    expect(failed[0]!.error).toMatch(/HTTP 500/)
    expect(failed[0]!.error).toMatch(/2 attempts/)
    expect(errorText(result)).toContain('1.0.7')
    // retries: 1 -> exactly two attempts for 1.0.7.
    expect(deletesOf(emu, '1.0.7')).toHaveLength(2)
    // 1.0.9: deleted by the first attempt whose answer was lost; the retry finds it gone.
    expect(deletesOf(emu, '1.0.9').map(r => r.status)).toEqual([200, 400])
    const deleted = json<string[]>(result, 'deleted_bundles')
    expect(deleted).toEqual(MANY_DELETED.filter(x => x !== '1.0.7'))
    expect(result.outputs).toMatchObject({ deleted_count: '13', kept_count: '7' })
    expect(liveNames(emu)).toEqual(new Set(['1.0.7', ...v(14, 15, 16, 17, 18, 19)]))
    expectWellFormedDeletes(emu)
    expectNoLeak(result)
  })

  it('a rejected key mid-way stops the deletions at once', async () => {
    const emu = await emulator(manyApp(), {
      faults: [onDeleteOf('1.0.2', { kind: 'status', status: 401 })]
    })
    const result = await run(emu, { cleanup_keep: '5', concurrency: '1' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toContain('the API key was rejected')
    // Oldest first, one at a time: 1.0.0, 1.0.1, then the 401 on 1.0.2, then nothing.
    expect(requestsOf(emu, 'DELETE', '/bundle').map(bodyVersion)).toEqual(v(0, 1, 2))
    expect(json(result, 'deleted_bundles')).toEqual(v(0, 1))
    expect(failedBundles(result).map(f => f.version)).toEqual(['1.0.2'])
    expect(emu.bundles(APP)).toHaveLength(18)
    expectNoLeak(result)
  })
})

describe('a bundle deleted elsewhere while the run deletes', () => {
  // Another job deletes 1.0.3 between this run's listing and its DELETE: the first attempt
  // answers 400 cannot_delete_version. A warning, not a failure — and 1.0.3 is not left.
  it('warns, succeeds, and does not count it as kept', async () => {
    const emu: Emulator = await emulator(manyApp(), {
      faults: [
        {
          method: 'DELETE',
          path: '/bundle',
          // Never fires: the rule is only a hook into the request.
          kind: 'status',
          count: 0,
          when: r => {
            if ((r.body as { version?: string } | undefined)?.version === '1.0.3') {
              const row = emu.state.apps[APP]!.bundles.find(b => b.name === '1.0.3')!
              row.deleted = true
            }
            return false
          }
        }
      ]
    })
    const result = await run(emu, { cleanup_keep: '5' })

    expect(result.code, result.stdout).toBe(0)
    expect(result.errors).toEqual([])
    expect(result.warnings.join('\n')).toContain('1.0.3')
    expect(json(result, 'failed_bundles')).toEqual([])
    expect(json(result, 'deleted_bundles')).toEqual(MANY_DELETED.filter(x => x !== '1.0.3'))
    expect(deleteRequestVersions(emu)).toEqual(MANY_DELETED)
    // Six bundles are left (1.0.14 .. 1.0.19): kept_count is "bundles left after the run".
    expect(emu.bundles(APP)).toHaveLength(6)
    expect(result.outputs.kept_count).toBe('6')
  })
})

describe('cleanup together with a release', () => {
  it('the new bundle and the rollback target of the promoted channel survive a cleanup_keep of 0', async () => {
    const emu = await emulator({
      bundles: 30,
      channels: [
        { name: 'production', version: '1.0.20', public: true },
        { name: 'beta', version: '1.0.29' }
      ]
    })
    const result = await run(emu, {
      channel: 'production',
      promote_from: 'beta',
      cleanup_keep: '0'
    })

    expect(result.code, result.stdout).toBe(0)
    expect(result.outputs).toMatchObject({
      version: '1.0.29',
      previous_version: '1.0.20',
      channel_changed: 'true',
      deleted_count: '28',
      kept_count: '2'
    })
    expect(json(result, 'protected_bundles')).toEqual(['1.0.29', '1.0.20'])
    const fates = report(result).plan!.bundles
    expect(fates.find(b => b.version === '1.0.20')!.reason).toContain('rollback target')
    // The channel is written before any deletion, by the narrowest route: PUT /bundle with the
    // ids of 1.0.29 (30) and production (1).
    const writes = emu.writes()
    expect(writeLog(emu)[0]).toBe(
      `PUT /bundle ${JSON.stringify({ app_id: APP, version_id: 30, channel_id: 1 })}`
    )
    expect(writes.slice(1).every(r => r.method === 'DELETE' && r.path === '/bundle')).toBe(true)
    expect(writes).toHaveLength(29)
    expect(liveNames(emu)).toEqual(new Set(['1.0.29', '1.0.20']))
    expect(emu.channel(APP, 'production')!.version?.name).toBe('1.0.29')
    expectNoLeak(result)
  })

  it('cleanup_order semver: the highest versions are kept, names that are not semver never go', async () => {
    const emu = await emulator({
      // Upload order differs from version order.
      bundles: [
        { name: '2.0.0' },
        { name: 'nightly' },
        { name: '1.5.0' },
        { name: '1.10.0' },
        { name: '1.9.0' },
        { name: '0.1.0' }
      ]
    })
    const result = await run(emu, { cleanup_keep: '2', cleanup_order: 'semver' })

    expect(result.code, result.stdout).toBe(0)
    expect(deletedOutput(result)).toEqual(['0.1.0', '1.5.0', '1.9.0'])
    expect(liveNames(emu)).toEqual(new Set(['2.0.0', '1.10.0', 'nightly']))
    expect(result.outputs.kept_count).toBe('3')
  })
})

describe('delete_all_bundles', () => {
  it('deletes every bundle but the protected ones, each by its version', async () => {
    const emu = await emulator({
      bundles: [
        { name: '0.9.0', deleted: true },
        ...Array.from({ length: 30 }, (_, i) => ({ name: `1.0.${i}` }))
      ],
      channels: [
        { name: 'production', version: '1.0.20', public: true },
        { name: 'beta', version: '1.0.29', rollout_version: '1.0.2' }
      ]
    })
    const result = await run(emu, { delete_all_bundles: APP, cleanup_protect: '1.0.1?' })

    // Protected: 1.0.29 (beta), 1.0.20 (production), 1.0.10 .. 1.0.19 (cleanup_protect), 1.0.2.
    const protectedNames = v(29, 20, ...range(10, 19).reverse(), 2)
    const expected = v(0, 1, ...range(3, 9), ...range(21, 28))
    expect(result.code, result.stdout).toBe(0)
    expect(json(result, 'protected_bundles')).toEqual(protectedNames)
    expect(deletedOutput(result)).toEqual(sorted(expected))
    // Oldest first.
    expect(json(result, 'deleted_bundles')).toEqual(expected)
    expect(result.outputs).toMatchObject({
      deleted_count: String(expected.length),
      kept_count: String(protectedNames.length),
      failed_bundles: '[]'
    })
    const deletes = requestsOf(emu, 'DELETE', '/bundle')
    expect(deletes).toHaveLength(expected.length)
    expectWellFormedDeletes(emu)
    expect(deleteRequestVersions(emu)).toEqual(expected)
    expect(emu.writes()).toHaveLength(expected.length)
    expect(liveNames(emu)).toEqual(new Set(protectedNames))
    expectNoLeak(result)
  })

  it('a confirmation that is not app_id fails before the first request', async () => {
    const emu = await emulator(manyApp())
    const result = await run(emu, { delete_all_bundles: 'yes' })

    expect(result.code).not.toBe(0)
    expect(errorText(result)).toMatch(/delete_all_bundles/)
    expect(emu.requests).toEqual([])
    expect(emu.bundles(APP)).toHaveLength(20)
  })
})

describe('concurrency', () => {
  /**
   * The log records arrival times only, and every request takes at least `latencyMs` from its
   * arrival. So requests that arrive within less than `latencyMs` of the first of them were all in
   * flight together: the largest such group is a lower bound of the real overlap.
   */
  function observedOverlap(requests: LoggedRequest[], windowMs: number): number {
    const times = requests.map(r => r.at).sort((a, b) => a - b)
    let best = 0
    for (let i = 0; i < times.length; i++) {
      let n = 0
      for (let j = i; j < times.length && times[j]! - times[i]! < windowMs; j++) n++
      best = Math.max(best, n)
    }
    return best
  }

  // latencyMs 100, window 90 ms: a margin for a loaded machine. The bound must never be exceeded;
  // with 4 allowed, the first four DELETEs leave together, so at least 3 are seen at once.
  it.each([
    { concurrency: '4', most: 4, least: 3 },
    { concurrency: '1', most: 1, least: 1 }
  ])(
    'concurrency $concurrency: at most that many DELETEs in flight',
    async ({ concurrency, most, least }) => {
      const emu = await emulator(manyApp(), { latencyMs: 100 })
      const result = await run(emu, { cleanup_keep: '5', concurrency })

      expect(result.code, result.stdout).toBe(0)
      const deletes = requestsOf(emu, 'DELETE', '/bundle')
      expect(deletes).toHaveLength(14)
      const overlap = observedOverlap(deletes, 90)
      expect(overlap).toBeLessThanOrEqual(most)
      expect(overlap).toBeGreaterThanOrEqual(least)
      expect(json(result, 'deleted_bundles')).toEqual(MANY_DELETED)
    }
  )
})
