// No surprises, through the built action: what a workflow author sees must never mislead them.
// - A misspelt input is refused before any request (a typo must never turn a dry run into a real
//   one), naming the unknown input and the declared input nearest to it.
// - Every run reports — bad input, a rejected key, an unreachable server: the `error` and
//   `dry_run` outputs, the `report` and its file, and a job summary that says what failed and that
//   nothing was changed.
// - A dry run says so at the start and at the end of the log.
// - The words are right: no "already as asked" in a plan that failed, "1 bundle" (not "1 bundles"),
//   "connection refused" for a refused connection, "not found" for a host that does not exist
//   (and no retry of it).
// - The summary of a big cleanup shows every protected bundle with its reason.
// - A dry run above max_delete still shows what it would delete.

import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'vitest'
import {
  APP,
  KEY,
  deletedNames,
  emulator,
  expectFailureReported,
  expectedCleanup,
  json,
  leaks,
  report,
  retryLines,
  run,
  sorted,
  standardApp,
  stopEmulators,
  summaryText,
  v,
  range,
  why,
  writeLog
} from './shared.js'

stopEmulators()

const BANNER = 'dry run: nothing will be changed'

/** A loopback port that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

/** stdout without the runner's mask line and blank lines. */
function logLines(stdout: string): string[] {
  return stdout.split('\n').filter(line => line.trim() !== '' && !line.startsWith('::add-mask::'))
}

describe.concurrent('a misspelt input is refused before any request', () => {
  const TYPOS: { typo: string; value: string; nearest: string; work: Record<string, string> }[] = [
    // The dangerous one: without the check, this dry run would delete for real.
    { typo: 'dryrun', value: 'true', nearest: 'dry_run', work: { cleanup_keep: '5' } },
    { typo: 'cleanup-keep', value: '5', nearest: 'cleanup_keep', work: { max_delete: '50' } },
    {
      typo: 'delete_version',
      value: '1.0.5',
      nearest: 'delete_versions',
      work: { cleanup_keep: '20' }
    },
    { typo: 'chanel', value: 'production', nearest: 'channel', work: { cleanup_keep: '20' } }
  ]

  it.for(TYPOS)(
    '`$typo` → exit 1, zero requests, names "$typo" and "$nearest"; reported, nothing changed',
    async ({ typo, value, nearest, work }, { expect }) => {
      const emu = await emulator(standardApp())
      const result = await run(emu, work, { undeclaredInputs: { [typo]: value } })

      expect(emu.requests).toEqual([])
      expectFailureReported(expect, result, {
        error: new RegExp(
          `Input "${typo}" is not an input of this action \\(did you mean "${nearest}"\\?\\)`
        )
      })
      expect(deletedNames(emu)).toEqual([])
      expect(leaks(result)).toEqual([])
    }
  )

  it('`Dry_Run: true` is the input dry_run (the runner upper-cases every name, as core.getInput reads it): a dry run, no write', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { cleanup_keep: '20' }, { undeclaredInputs: { Dry_Run: 'true' } })

    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.dry_run).toBe('true')
    expect(emu.writes()).toEqual([])
    expect(emu.requests.length).toBeGreaterThan(0)
    expect(json(result, 'deleted_bundles')).toEqual(expectedCleanup(emu, { keep: 20 }))
    expect(result.stdout).toContain(BANNER)
  })
})

describe.concurrent('every run reports', () => {
  it('a rejected key (401): error "the API key was rejected", dry_run, report, report file, a summary saying nothing was changed', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const wrong = 'ak_live_REJECTED0000Kk1Jj2Hh3'
    const result = await run(emu, { cleanup_keep: '20', api_key: wrong })

    expectFailureReported(expect, result, { error: /the API key was rejected/ })
    expect(emu.requests.every(r => r.status === 401)).toBe(true)
    expect(emu.writes()).toEqual([])
    expect(leaks(result, wrong)).toEqual([])
  })

  it('a rejected key in a dry run: dry_run true, and the banner still ends the log', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const wrong = 'ak_live_REJECTED0000Kk1Jj2Hh3'
    const result = await run(emu, { cleanup_keep: '20', api_key: wrong, dry_run: 'true' })

    expectFailureReported(expect, result, { error: /the API key was rejected/, dryRun: true })
    const lines = logLines(result.stdout)
    expect(lines[0]).toBe(BANNER)
    expect(lines.at(-1)).toBe(BANNER)
    expect(leaks(result, wrong)).toEqual([])
  })

  it('an unreachable server (a closed loopback port): "connection refused" (never "dropped"), reported, nothing changed', async ({
    expect
  }) => {
    const port = await closedPort()
    const result = await run(
      { url: `http://127.0.0.1:${port}` },
      { cleanup_keep: '20', retries: '1', timeout: '2' }
    )

    expectFailureReported(expect, result, { error: /connection refused/ })
    expect(result.outputs.error).toContain(`127.0.0.1:${port}`)
    expect(result.stdout).not.toMatch(/dropped/)
    expect(result.outputs.error).not.toMatch(/dropped/)
    // Retried as asked (retries 1), each retry saying why.
    const retries = retryLines(result)
    expect(retries.length).toBeGreaterThan(0)
    for (const line of retries) expect(line).toMatch(/connection refused/)
    expect(leaks(result)).toEqual([])
  })

  it('an unknown host (nonexistent.invalid, which never resolves): one attempt, no retry, the message says the host was not found', async ({
    expect
  }) => {
    const result = await run(
      { url: 'https://nonexistent.invalid' },
      { cleanup_keep: '20', retries: '3', timeout: '5' }
    )

    expectFailureReported(expect, result, { error: /the host nonexistent\.invalid was not found/ })
    expect(retryLines(result), result.stdout).toEqual([])
    expect(result.outputs.error).not.toMatch(/gave up after/)
    expect(result.outputs.error).not.toMatch(/connection refused|dropped/)
    expect(leaks(result)).toEqual([])
  })
})

describe.concurrent('the log and the words', () => {
  it('a dry run says so at the start and at the end of the log', async ({ expect }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { channel: 'production', promote_from: 'beta', dry_run: 'true' })

    expect(result.code, why(result)).toBe(0)
    const lines = logLines(result.stdout)
    expect(lines[0]).toBe(BANNER)
    expect(lines.at(-1)).toBe(BANNER)
    expect(lines.filter(line => line === BANNER)).toHaveLength(2)
    expect(emu.writes()).toEqual([])
    // A real run does not say it.
    const real = await run(emu, { channel: 'production', promote_from: 'beta' })
    expect(real.code, why(real)).toBe(0)
    expect(real.stdout).not.toContain(BANNER)
  })

  it.for<Record<string, string>>([
    // production is already on 1.0.29; 1.0.25 is beta's bundle: protected, so the plan fails.
    { channel: 'production', version: '1.0.29', delete_versions: '1.0.25' },
    // An unknown version: the channel is not "as asked" at all.
    { channel: 'production', version: '9.9.9' }
  ])(
    'a plan that fails (%o) does not log "already as asked", and says nothing was changed',
    async (inputs, { expect }) => {
      const emu = await emulator(standardApp())
      const result = await run(emu, inputs)

      expectFailureReported(expect, result, { error: /"(1\.0\.25|9\.9\.9)"/ })
      expect(result.stdout).not.toMatch(/already as asked/)
      expect(result.stdout).toMatch(/Nothing was changed/)
      expect(emu.writes()).toEqual([])
    }
  )

  it('the summary of a plan that failed on an unknown version does not call the channel "already as asked"', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { channel: 'production', version: '9.9.9' })

    expectFailureReported(expect, result, { error: /"9\.9\.9"/ })
    expect(result.summary).not.toMatch(/already as asked/)
  })

  it('"Deleting 1 bundle" (never "1 bundles"), in the log and the summary', async ({ expect }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { delete_versions: '1.0.5' })

    expect(result.code, why(result)).toBe(0)
    expect(writeLog(emu)).toEqual([
      `DELETE /bundle ${JSON.stringify({ app_id: APP, version: '1.0.5' })}`
    ])
    expect(result.stdout).toMatch(/Deleting 1 bundle\b(?!s)/)
    expect(result.stdout).not.toMatch(/\b1 bundles\b/)
    expect(result.summary).not.toMatch(/\b1 bundles\b/)
  })

  it('delete_versions of a version never uploaded (9.9.9): a warning "not found (never uploaded, or already deleted)", not counted; the other one deleted', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { delete_versions: '9.9.9, 1.0.5' })

    expect(result.code, why(result)).toBe(0)
    expect(result.warnings).toEqual([
      'Bundle "9.9.9" (delete_versions) was not found (never uploaded, or already deleted).'
    ])
    expect(json(result, 'deleted_bundles')).toEqual(['1.0.5'])
    expect(result.outputs.deleted_count).toBe('1')
    expect(json(result, 'failed_bundles')).toEqual([])
    expect(writeLog(emu)).toEqual([
      `DELETE /bundle ${JSON.stringify({ app_id: APP, version: '1.0.5' })}`
    ])
    expect(summaryText(result)).toContain('not found (never uploaded, or already deleted)')
  })
})

describe.concurrent('big cleanups', () => {
  it('300 bundles, 20 protected by cleanup_protect: the summary shows every protected bundle with its reason, however many deletions are cut', async ({
    expect
  }) => {
    const emu = await emulator({
      bundles: 300,
      channels: [{ name: 'production', version: '1.0.299' }]
    })
    const result = await run(emu, {
      cleanup_keep: '10',
      cleanup_protect: '1.0.1?, 1.0.2?',
      max_delete: '300',
      concurrency: '8'
    })

    expect(result.code, why(result)).toBe(0)
    const protectedByGlob = v(...range(10, 29))
    // 300 - production's bundle - 20 protected - the 10 newest kept.
    expect(result.outputs.deleted_count).toBe('269')
    expect(sorted(json<string[]>(result, 'protected_bundles'))).toEqual(
      sorted([...protectedByGlob, '1.0.299'])
    )
    const rows = result.summary.split('\n').filter(line => line.startsWith('| `'))
    for (const name of protectedByGlob) {
      const glob = name.startsWith('1.0.1') ? '1.0.1?' : '1.0.2?'
      const row = rows.filter(r => r.startsWith(`| \`${name}\` |`))
      expect(row, name).toHaveLength(1)
      expect(row[0]).toMatch(/🛡️ protected/)
      expect(row[0]).toContain(`matches cleanup_protect "${glob}"`)
    }
    expect(rows.filter(r => r.startsWith('| `1.0.299` |'))[0]).toMatch(
      /🛡️ protected \| on channel "production"/
    )
    // The deletions are the plan, whatever the summary shows of them.
    expect(deletedNames(emu)).toHaveLength(269)
    expect(deletedNames(emu).some(name => protectedByGlob.includes(name))).toBe(false)
  })

  it('a dry run above max_delete fails but still gives deleted_bundles/deleted_count of the plan it would carry out; the real run deletes nothing', async ({
    expect
  }) => {
    const emu = await emulator(standardApp({ bundles: 60 }))
    const plan = expectedCleanup(emu, { keep: 10 })
    expect(plan.length).toBeGreaterThan(5)
    const inputs = { cleanup_keep: '10', max_delete: '5' }

    const dry = await run(emu, { ...inputs, dry_run: 'true' })
    expectFailureReported(expect, dry, { error: /max_delete/, dryRun: true })
    expect(sorted(json<string[]>(dry, 'deleted_bundles'))).toEqual(plan)
    expect(dry.outputs.deleted_count).toBe(String(plan.length))
    expect(report(dry).deleted_count).toBe(plan.length)

    const real = await run(emu, inputs)
    expectFailureReported(expect, real, { error: /max_delete/ })
    expect(json(real, 'deleted_bundles')).toEqual([])
    expect(real.outputs.deleted_count).toBe('0')
    expect(emu.writes()).toEqual([])
    expect(deletedNames(emu)).toEqual([])
    expect(KEY).not.toBe('')
  })
})
