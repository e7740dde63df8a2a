// The faults the emulator injects: statuses, HTML pages, dropped and slow answers, truncated and
// extra rows, the key echoed, and the adversarial ones (error-200, huge bodies, trickles, 102s).
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { KEY, APP, start, get, del, expectError, basicApp } from './helpers.js'

describe('faults', () => {
  it("'status' answers without acting (429 with Retry-After, 503), honouring method/path/count", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [
        {
          kind: 'status',
          status: 429,
          retryAfterSeconds: 7,
          method: 'DELETE',
          path: '/bundle',
          count: 1
        },
        { kind: 'status', status: 503, path: '/channel', count: 1 }
      ]
    })
    const limited = await del(emu, '/bundle', { version: '1.0.0' })
    expectError(limited, 429, 'too_many_requests')
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(limited.body.moreInfo.retryAfterSeconds).toBe(7)
    expect(emu.bundles(APP)).toHaveLength(5)
    expect((await del(emu, '/bundle', { version: '1.0.0' })).status).toBe(200) // count: 1
    expect((await get(emu, '/channel')).status).toBe(503)
    expect((await get(emu, '/channel')).status).toBe(200)
    expect(emu.requests.map(r => r.fault)).toEqual(['status', undefined, 'status', undefined])
  })

  it("'html' answers a 502 HTML page", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'html' }] })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect(await res.text()).toContain('<h1>502 Bad Gateway</h1>')
    emu.clearFaults()
    emu.addFault({ kind: 'html', status: 504 })
    expect((await get(emu, '/bundle')).status).toBe(504)
  })

  it("'drop-before' closes the socket without acting; 'drop-after' acts, then closes it", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [
        {
          kind: 'drop-before',
          method: 'DELETE',
          when: r => (r.body as { version?: string }).version === '1.0.0'
        },
        {
          kind: 'drop-after',
          method: 'DELETE',
          when: r => (r.body as { version?: string }).version === '1.0.1'
        }
      ]
    })
    await expect(del(emu, '/bundle', { version: '1.0.0' })).rejects.toThrow()
    await expect(del(emu, '/bundle', { version: '1.0.1' })).rejects.toThrow()
    const live = emu.bundles(APP).map(b => b.name)
    expect(live).toContain('1.0.0')
    expect(live).not.toContain('1.0.1')
    expect(emu.requests.map(r => [r.fault, r.status])).toEqual([
      ['drop-before', 0],
      ['drop-after', 200]
    ])
  })

  it("'slow' waits delayMs then answers normally; latencyMs delays every request", async () => {
    const emu = await start({
      apps: [basicApp()],
      latencyMs: 30,
      faults: [{ kind: 'slow', delayMs: 150, count: 1 }]
    })
    let t = performance.now()
    expect((await get(emu, '/bundle')).status).toBe(200)
    expect(performance.now() - t).toBeGreaterThanOrEqual(170)
    t = performance.now()
    expect((await get(emu, '/bundle')).status).toBe(200)
    const fast = performance.now() - t
    expect(fast).toBeGreaterThanOrEqual(25)
  })

  it("'truncated' sends half the JSON body with the full content-length", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'truncated', method: 'POST' }] })
    const res = await fetch(`${emu.url}/channel`, {
      method: 'POST',
      headers: { capgkey: KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP, channel: 'made-it' })
    })
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('content-length'))).toBe(JSON.stringify({ status: 'ok' }).length)
    await expect(res.text()).rejects.toThrow()
    expect(emu.channel(APP, 'made-it')).toBeDefined() // the handler ran
    expect(emu.requests[0]).toMatchObject({ fault: 'truncated', status: 200 })
  })

  it("'extra-rows' answers up to 120 rows from the page's offset", async () => {
    const emu = await start({
      pagingDefect: false,
      apps: [
        {
          app_id: APP,
          bundles: 200,
          channels: Array.from({ length: 130 }, (_, i) => ({ name: `c${i}` }))
        }
      ],
      faults: [{ kind: 'extra-rows', method: 'GET', count: 3 }]
    })
    expect((await get(emu, '/bundle')).body).toHaveLength(120)
    const p1 = (await get(emu, '/bundle', { page: '1' })).body
    expect(p1).toHaveLength(120)
    expect(p1[0].name).toBe('1.0.149')
    expect((await get(emu, '/channel', { page: '2' })).body).toHaveLength(30)
    expect((await get(emu, '/bundle')).body).toHaveLength(50)
  })

  it("'echo-key' answers a 500 whose message and x-debug-key header hold the key", async () => {
    const emu = await start({ apps: [basicApp()], faults: [{ kind: 'echo-key' }] })
    const a = await get(emu, '/bundle')
    expectError(a, 500, 'unknown_error')
    expect(a.body.message).toContain(KEY)
    expect(a.headers.get('x-debug-key')).toBe(KEY)
  })

  it('skip, share (seeded) and when select which matching requests fire', async () => {
    const run = async (seed: number) => {
      const emu = await start({
        apps: [basicApp()],
        seed,
        faults: [
          { kind: 'status', status: 500, skip: 2, count: 1, path: '/bundle' },
          { kind: 'status', status: 503, share: 0.5, path: '/channel' },
          { kind: 'status', status: 502, when: r => r.query.channel === 'beta' }
        ]
      })
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await get(emu, '/bundle')).status)
      expect(statuses).toEqual([200, 200, 500, 200])
      const shared: number[] = []
      for (let i = 0; i < 40; i++) shared.push((await get(emu, '/channel')).status)
      const fired = shared.filter(s => s === 503).length
      expect(fired).toBeGreaterThan(8)
      expect(fired).toBeLessThan(32)
      emu.clearFaults()
      emu.addFault({ kind: 'status', status: 502, when: r => r.query.channel === 'beta' })
      expect((await get(emu, '/channel', { channel: 'beta' })).status).toBe(502)
      expect((await get(emu, '/channel', { channel: 'production' })).status).toBe(200)
      return shared
    }
    expect(await run(42)).toEqual(await run(42))
  })
})

describe('adversarial faults', () => {
  /** Raw bytes from a request on a plain socket, for `ms` milliseconds. */
  async function rawBytes(emu: Emulator, ms: number): Promise<string> {
    const socket = connect(emu.port, '127.0.0.1')
    let data = ''
    socket.on('data', chunk => (data += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.write(`GET /bundle?app_id=${APP} HTTP/1.1\r\nhost: x\r\ncapgkey: ${KEY}\r\n\r\n`)
    await new Promise(resolve => setTimeout(resolve, ms))
    socket.destroy()
    return data
  }

  it("'error-200' answers 200 with an error body, and does not act", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'error-200', method: 'DELETE', code: 'cannot_delete_version', count: 1 }]
    })
    const a = await del(emu, '/bundle', { version: '1.0.0' })
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ error: 'cannot_delete_version', message: expect.any(String) })
    expect(emu.bundles(APP).map(b => b.name)).toContain('1.0.0')
    expect(emu.requests[0]).toMatchObject({ fault: 'error-200', status: 200 })
  })

  it("'body' answers the rule's status and raw text as they are", async () => {
    const hostile = JSON.stringify([
      { id: 1, name: '../../etc/passwd\u0000<script>', app_id: APP, created_at: 'not a date' }
    ])
    const emu = await start({
      apps: [basicApp()],
      faults: [
        { kind: 'body', path: '/bundle', body: hostile },
        { kind: 'body', status: 418, body: 'teapot', contentType: 'text/plain' }
      ]
    })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(hostile)
    const tea = await get(emu, '/channel')
    expect([tea.status, tea.body, tea.headers.get('content-type')]).toEqual([
      418,
      'teapot',
      'text/plain'
    ])
    expect(emu.requests.map(r => r.status)).toEqual([200, 418])
  })

  it("'huge-body' streams a JSON array of exactly `bytes` bytes, made as it is read", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'huge-body', bytes: 2_000_003, count: 1 }]
    })
    const res = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(res.headers.get('content-length')).toBe('2000003')
    const text = await res.text()
    expect(text.length).toBe(2_000_003)
    const rows = JSON.parse(text) as { id: number }[]
    expect(rows.length).toBeGreaterThan(10_000)
    expect(rows[5]).toEqual({ id: 5, name: '0.0.5', deleted: false })
    // 600 MB by default: read 5 MB of it, give up; memory stays small and the server goes on
    emu.addFault({ kind: 'huge-body', count: 1 })
    const heap = process.memoryUsage().rss
    const big = await fetch(`${emu.url}/bundle?app_id=${APP}`, { headers: { capgkey: KEY } })
    expect(big.headers.get('content-length')).toBe(String(600 * 1024 * 1024))
    const reader = big.body!.getReader()
    let got = 0
    while (got < 5_000_000) got += (await reader.read()).value?.length ?? 0
    await reader.cancel()
    expect(process.memoryUsage().rss - heap).toBeLessThan(200 * 1024 * 1024)
    expect((await get(emu, '/bundle')).status).toBe(200)
  })

  it("'trickle-headers' writes the head one byte every intervalMs and never ends it", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'trickle-headers', intervalMs: 20 }]
    })
    const data = await rawBytes(emu, 300)
    expect(data.length).toBeGreaterThan(4)
    expect(data.length).toBeLessThan(25)
    expect('HTTP/1.1 200 OK\r\n'.startsWith(data.slice(0, 15))).toBe(true)
    expect(data).not.toContain('\r\n\r\n')
    await expect(
      fetch(`${emu.url}/bundle?app_id=${APP}`, {
        headers: { capgkey: KEY },
        signal: AbortSignal.timeout(200)
      })
    ).rejects.toThrow()
    expect(emu.requests[0]!.fault).toBe('trickle-headers')
  })

  it("'processing-102' sends 102 Processing every intervalMs and never a final answer", async () => {
    const emu = await start({
      apps: [basicApp()],
      faults: [{ kind: 'processing-102', intervalMs: 20 }]
    })
    const data = await rawBytes(emu, 200)
    const informational = data.split('HTTP/1.1 102 Processing\r\n\r\n')
    expect(informational.length - 1).toBeGreaterThan(3)
    expect(informational.every(rest => rest === '')).toBe(true) // nothing else was sent
    expect(emu.requests[0]).toMatchObject({ fault: 'processing-102', status: 102 })
    await emu.stop() // ends the endless answer (the test's timeout bounds it)
  })

  it("'when' may change state mid-run (a hook) and let the request through", async () => {
    const emu = await start({ apps: [{ app_id: APP, bundles: 120 }], pagingDefect: false })
    emu.addFault({
      kind: 'status',
      when: r => {
        // Another client deletes the newest bundle between page 0 and page 1.
        if (r.query.page === '1')
          emu.state.apps[APP]!.bundles.find(b => b.name === '1.0.119')!.deleted = true
        return false
      }
    })
    const p0 = (await get(emu, '/bundle', { page: '0' })).body
    const p1 = (await get(emu, '/bundle', { page: '1' })).body
    expect(p0[49].name).toBe('1.0.70')
    expect(p1[0].name).toBe('1.0.68') // 1.0.69 moved to page 0's range: skipped
    expect(emu.requests.every(r => r.fault === undefined)).toBe(true)
  })
})
