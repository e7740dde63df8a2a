// The built action against Capgo's real rate-limit arithmetic (every request counts, refused ones
// too, and each pushes the key's reset back) with a scaled window, and against the IP lockout.
// docs/capgo-api-notes.md, "Rate limits and lockout".

import { describe, expect, it } from 'vitest'
import type { Emulator, LoggedRequest } from '../emulator/index.js'
import {
  APP,
  deletedNames,
  deletedOutput,
  emulator,
  errorText,
  expectedCleanup,
  liveNames,
  retryLines,
  run,
  sorted,
  stopEmulators,
  why
} from './shared.js'

stopEmulators()

/** Runs of consecutive 429s in the request log. */
function blocksOf429(log: readonly LoggedRequest[]): LoggedRequest[][] {
  const blocks: LoggedRequest[][] = []
  for (const [i, req] of log.entries()) {
    if (req.status !== 429) continue
    if (log[i - 1]?.status === 429) blocks[blocks.length - 1]?.push(req)
    else blocks.push([req])
  }
  return blocks
}

describe('rate limit: one pause for the whole run', () => {
  it('a cleanup of 2,500 bundles under the limit deletes exactly its plan; at most `concurrency` 429s a block, nothing sent before the reset', async () => {
    const windowMs = 1000
    const concurrency = 4
    const emu: Emulator = await emulator(
      { bundles: 2500, channels: [{ name: 'production', version: '1.0.2499' }] },
      { rateLimit: { max: 400, windowMs } }
    )
    const plan = expectedCleanup(emu, { keep: 10 })
    expect(plan.length).toBe(2489)
    const before = liveNames(emu)

    const result = await run(
      emu,
      { cleanup_keep: '10', max_delete: '3000', concurrency: String(concurrency), retries: '5' },
      { timeoutMs: 170_000 }
    )
    expect(result.signal, why(result)).toBeNull()
    expect(result.code, why(result)).toBe(0)

    expect(deletedNames(emu)).toEqual(plan)
    expect(deletedOutput(result)).toEqual(plan)
    expect(sorted([...liveNames(emu)])).toEqual(sorted([...before].filter(n => !plan.includes(n))))
    // Every DELETE named a planned bundle, and reached Capgo un-refused once: the only repeats
    // are after a 429, which did nothing (safetyViolations counts a 429 as a clean copy).
    const deletes = emu.requests.filter(r => r.method === 'DELETE' && r.path === '/bundle')
    const accepted = new Map<string, number>()
    for (const r of deletes) {
      const version = (r.body as { version?: unknown } | undefined)?.version
      expect(typeof version === 'string' && plan.includes(version)).toBe(true)
      if (r.status !== 429) accepted.set(String(version), (accepted.get(String(version)) ?? 0) + 1)
    }
    expect([...accepted.values()].every(count => count === 1)).toBe(true)
    expect(accepted.size).toBe(plan.length)
    expect(emu.writes().every(r => r.method === 'DELETE' && r.path === '/bundle')).toBe(true)

    const log = emu.requests
    const blocks = blocksOf429(log)
    // 2,500 deletions and the listing at 400 a window: the limit was met several times.
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    for (const block of blocks) {
      expect(block.length).toBeLessThanOrEqual(concurrency)
      const last = block[block.length - 1] as LoggedRequest
      const next = log[log.indexOf(last) + 1]
      // Each 429 set the reset to its arrival + windowMs; the run waited for it.
      if (next) expect(next.at).toBeGreaterThanOrEqual(last.at + windowMs)
    }
    expect(emu.stats().rateLimited).toBe(blocks.flat().length)
    expect(retryLines(result).length).toBeGreaterThanOrEqual(blocks.length)
  }, 180_000)
})

describe('IP lockout', () => {
  it('a locked-out IP: exit 1, the message says the IP is locked out and for how long, no retry', async () => {
    const emu = await emulator(
      { bundles: 30, channels: [{ name: 'production', version: '1.0.29' }] },
      { lockout: { failures: 3 } }
    )
    // Three failed logins from this machine (a wrong key in an earlier job, say).
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${emu.url}/channel?app_id=${APP}&page=0`, {
        headers: { authorization: 'ak_wrong_key', capgkey: 'ak_wrong_key' }
      })
      expect(answer.status).toBe(401)
    }
    emu.clearLog()

    const result = await run(emu, { cleanup_keep: '10', retries: '5' }, { timeoutMs: 60_000 })
    expect(result.signal, why(result)).toBeNull()
    expect(result.code, why(result)).toBe(1)
    const errors = errorText(result)
    expect(errors).toMatch(/IP address is locked out by Capgo after too many failed logins/)
    expect(errors).toMatch(/15 min/)
    expect(errors).toMatch(/api_key/)
    // One request reached Capgo; none was retried, nothing was deleted.
    expect(emu.requests.length).toBe(1)
    expect(emu.stats().lockedOut).toBe(1)
    expect(retryLines(result)).toEqual([])
    expect(deletedNames(emu)).toEqual([])
  }, 70_000)
})
