// The built action against a server that misbehaves on purpose: headers that trickle in, endless
// `102 Processing`, a 600 MB answer, a 200 that says "error", the key echoed back encoded. Each
// run must end by itself (the runner's kill-switch is only a guard) with a clear message.

import { describe, expect, it } from 'vitest'
import {
  KEY,
  deletedNames,
  deletedOutput,
  emulator,
  errorText,
  failedBundles,
  leaks,
  liveNames,
  run,
  standardApp,
  stopEmulators,
  why,
  type TimedRun
} from './shared.js'

stopEmulators()

/** The kill-switch: far above what a run that honours `timeout: 2` needs. */
const KILL_AFTER_MS = 45_000

function expectNotKilled(result: TimedRun): void {
  expect(result.signal, `the run was killed by the kill-switch\n${why(result)}`).toBeNull()
}

function expectNoCrash(result: TimedRun): void {
  expect(result.stderr).not.toMatch(/uncaught|FATAL|heap out of memory|Allocation failed/i)
}

describe('an answer that never completes', () => {
  it.each(['trickle-headers', 'processing-102'] as const)(
    '%s with timeout 2, retries 0: the run fails by itself, saying no complete answer came in time',
    async kind => {
      const emu = await emulator(standardApp(), { faults: [{ kind, intervalMs: 500 }] })
      const result = await run(
        emu,
        { cleanup_keep: '10', timeout: '2', retries: '0' },
        { timeoutMs: KILL_AFTER_MS }
      )
      expectNotKilled(result)
      expect(result.code, why(result)).toBe(1)
      expect(errorText(result)).toMatch(/no complete answer within 2 s/)
      expect(emu.requests.every(r => r.fault === kind)).toBe(true)
      expect(deletedNames(emu)).toEqual([])
      expectNoCrash(result)
    },
    60_000
  )
})

describe('a 600 MB answer', () => {
  it('fails clearly (response_too_large), exit 1, without crashing the process', async () => {
    const emu = await emulator(standardApp(), {
      faults: [{ kind: 'huge-body', method: 'GET', path: '/bundle' }]
    })
    const result = await run(emu, { cleanup_keep: '10' }, { timeoutMs: KILL_AFTER_MS })
    expectNotKilled(result)
    expect(result.code, why(result)).toBe(1)
    expect(result.errors.length).toBeGreaterThan(0)
    expect(errorText(result)).toMatch(/larger than \d+ bytes/)
    expect(result.stdout).toMatch(/^::error/m)
    expectNoCrash(result)
    // Not retried.
    expect(emu.requests.filter(r => r.fault === 'huge-body').length).toBe(1)
    expect(deletedNames(emu)).toEqual([])
  }, 60_000)
})

describe('a 200 that says "error"', () => {
  it('200 {"error":"cannot_delete_linked_version"} on DELETE /bundle is a failed deletion, not a deleted one', async () => {
    const emu = await emulator(standardApp(), {
      faults: [
        {
          kind: 'error-200',
          code: 'cannot_delete_linked_version',
          method: 'DELETE',
          path: '/bundle',
          when: req => (req.body as { version?: string } | undefined)?.version === '1.0.5'
        }
      ]
    })
    const result = await run(emu, { cleanup_keep: '20' }, { timeoutMs: KILL_AFTER_MS })
    expectNotKilled(result)
    const failed = failedBundles(result)
    expect(failed.map(f => f.version)).toEqual(['1.0.5'])
    expect(failed[0]?.error).toMatch(/cannot_delete_linked_version/)
    expect(deletedOutput(result)).not.toContain('1.0.5')
    expect(liveNames(emu).has('1.0.5')).toBe(true)
    expect(deletedOutput(result).length).toBeGreaterThan(0)
    expect(result.code, why(result)).toBe(1)
  }, 60_000)
})

describe('the key echoed back encoded', () => {
  const bytes = Buffer.from(KEY)
  const forms: Record<string, string> = {
    upper: KEY.toUpperCase(),
    lower: KEY.toLowerCase(),
    base64: bytes.toString('base64'),
    base64url: bytes.toString('base64url'),
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
    basicAuth: Buffer.from(`x:${KEY}`).toString('base64')
  }

  it('appears nowhere, in no form (stdout, stderr, outputs, summary)', async () => {
    const message = Object.entries(forms)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')
    const emu = await emulator(standardApp(), {
      faults: [
        {
          kind: 'body',
          status: 400,
          method: 'GET',
          body: JSON.stringify({ error: 'invalid_apikey_echo', message, moreInfo: { forms } })
        }
      ]
    })
    const result = await run(
      emu,
      { cleanup_keep: '10', retries: '0' },
      { timeoutMs: KILL_AFTER_MS }
    )
    expectNotKilled(result)
    expect(result.code, why(result)).toBe(1)
    // The server's message did reach the log, redacted.
    expect(result.stdout).toMatch(/\*\*\*/)
    expect(leaks(result)).toEqual([])
    const visible = [
      result.stdout
        .split('\n')
        .filter(line => !line.startsWith('::add-mask::'))
        .join('\n'),
      result.stderr,
      result.summary,
      ...Object.values(result.outputs)
    ].join('\n')
    for (const [name, value] of Object.entries(forms)) {
      expect(visible.includes(value), `the ${name} form of the key is visible`).toBe(false)
    }
  }, 60_000)
})

describe('an IPv6 loopback api_url', () => {
  it('http://[::1]:PORT reaches the emulator listening on ::1 and promotes', async () => {
    const emu = await emulator(standardApp(), { host: '::1' })
    expect(emu.url).toMatch(/^http:\/\/\[::1\]:\d+$/)
    const result = await run(emu, { channel: 'production', promote_from: 'beta' })
    expect(result.code, why(result)).toBe(0)
    expect(result.outputs.channel_changed).toBe('true')
    expect(emu.requests.some(r => r.method === 'PUT' && r.path === '/bundle')).toBe(true)
  })
})
