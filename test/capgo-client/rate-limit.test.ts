// The rate limit: one gate for every request after a 429, and the IP lockout
// (429 too_many_failed_auth_attempts) that stops the client.
import { describe, expect, it } from 'vitest'
import type { LoggedRequest } from '../emulator/index.js'
import { WRONG_KEY, APP, pause, start, standardApp, client, failure } from './helpers.js'

describe('rate limit: one gate for every request', () => {
  it('after a 429 no request reaches the server before the reset; at most `concurrency` 429s a block', async () => {
    const windowMs = 1000
    const emu = await start({ rateLimit: { max: 25, windowMs }, apps: [standardApp()] })
    const concurrency = 4
    const { api } = client(emu.url, { sleep: ms => pause(ms), retries: 6 })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < 60) {
        next++
        await api.getChannel(APP, 'qa')
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    const log = emu.requests
    const blocks: LoggedRequest[][] = []
    for (const [i, req] of log.entries()) {
      if (req.status !== 429) continue
      if (log[i - 1]?.status === 429) blocks[blocks.length - 1]?.push(req)
      else blocks.push([req])
    }
    expect(blocks.length).toBeGreaterThanOrEqual(2)
    for (const block of blocks) {
      expect(block.length).toBeLessThanOrEqual(concurrency)
      const last = block[block.length - 1] as LoggedRequest
      const after = log[log.indexOf(last) + 1]
      // Each 429 pushed the reset to its own arrival + windowMs: the next request comes after.
      if (after) expect(after.at).toBeGreaterThanOrEqual(last.at + windowMs)
    }
    expect(log.filter(r => r.status === 200).length).toBe(60)
  }, 30_000)

  it('requests started while the gate is closed wait before they are sent', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 })
    const { api } = client(emu.url, { sleep: ms => pause(ms) })
    const first = api.getChannel(APP, 'qa')
    // Let the 429 arrive and close the gate, then start three more.
    while (emu.requests.length === 0) await pause(5)
    await pause(50)
    const more = [api.getChannel(APP, 'qa'), api.listChannels(APP), api.getDevice(APP, 'dev-known')]
    await Promise.all([first, ...more])
    const [limited, ...rest] = emu.requests
    expect(limited?.status).toBe(429)
    for (const req of rest) expect(req.at).toBeGreaterThanOrEqual((limited?.at ?? 0) + 1000)
    expect(rest.length).toBe(4)
  })
})

describe('IP lockout (429 too_many_failed_auth_attempts)', () => {
  it('is not retried, says the IP is locked out and for how long, and stops the client', async () => {
    const emu = await start({ lockout: { failures: 3 }, apps: [standardApp()] })
    for (let i = 0; i < 3; i++) {
      const { api } = client(emu.url, { apiKey: WRONG_KEY })
      await failure(api.listChannels(APP), WRONG_KEY)
    }
    emu.clearLog()
    const { api, waits, events } = client(emu.url, { retries: 5 })
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code, error.attempts]).toEqual([429, 'ip_locked_out', 1])
    expect(error.message).toMatch(/IP address is locked out by Capgo after too many failed logins/)
    expect(error.message).toMatch(/15 min/)
    expect(error.message).toMatch(/api_key/)
    expect(waits).toEqual([])
    expect(events).toEqual([])
    const later = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([later.code, later.attempts]).toEqual(['ip_locked_out', 0])
    expect(later.message).toMatch(/locked out/)
    expect(emu.requests.length).toBe(1)
  })
})
