// Hostile answers that would hold the run: a deadline for the whole attempt (trickling headers or
// body) and a cap on the size of an answer.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { APP, cleanups, pause, start, standardApp, client, failure, tinyServer } from './helpers.js'

describe('a deadline for the whole attempt', () => {
  it.each(['trickle-headers', 'processing-102'] as const)(
    '%s: gives up at the deadline, then retries',
    async kind => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind, intervalMs: 50, path: '/channel', count: 1 })
      const { api, waits, events } = client(emu.url, { timeoutMs: 400 })
      expect((await api.listChannels(APP)).length).toBe(3)
      expect(emu.requests.map(r => r.fault)).toEqual([kind, undefined])
      expect(waits).toEqual([5])
      expect(events[0]?.reason).toContain('no complete answer within 0.4 s')
    }
  )

  it.each(['trickle-headers', 'processing-102'] as const)(
    '%s on every attempt: a CapgoError timeout',
    async kind => {
      const emu = await start({ apps: [standardApp()] })
      emu.addFault({ kind, intervalMs: 50 })
      const { api } = client(emu.url, { timeoutMs: 300, retries: 1 })
      const error = await failure(api.listChannels(APP))
      expect([error.code, error.status, error.attempts]).toEqual(['timeout', undefined, 2])
      expect(emu.requests.length).toBe(2)
    }
  )
  it('at the deadline the connection is closed, so a trickling server stops holding a socket', async () => {
    let closed = false
    const server = createServer((req, res) => {
      req.socket.on('close', () => (closed = true))
      const head = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n'
      let i = 0
      const timer = setInterval(() => {
        if (i < head.length) req.socket.write(head[i++] ?? '')
      }, 50)
      req.socket.on('close', () => clearInterval(timer))
      void res
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
    const { api } = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      timeoutMs: 300,
      retries: 0
    })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('timeout')
    for (let i = 0; i < 100 && !closed; i++) await pause(20)
    expect(closed).toBe(true)
  })
})

describe('a cap on the size of an answer', () => {
  it('a 600 MB answer fails with response_too_large at the cap, not retried', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'huge-body', path: '/bundle' })
    const { api, waits } = client(emu.url, { maxResponseBytes: 1024 * 1024, timeoutMs: 20_000 })
    const error = await failure(api.listBundles(APP))
    expect([error.code, error.status, error.attempts]).toEqual(['response_too_large', undefined, 1])
    expect(error.message).toContain('1048576 bytes')
    expect(waits).toEqual([])
    expect(emu.requests.length).toBe(1)
  })

  it('the default cap is 64 MiB', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'huge-body', path: '/bundle' })
    const { api } = client(emu.url, { timeoutMs: 30_000 })
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('response_too_large')
    expect(error.message).toContain(String(64 * 1024 * 1024))
  }, 40_000)

  it('a declared content-length over the cap fails before the body is read', async () => {
    const tiny = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10_000_000 })
      res.write('[')
    })
    const { api } = client(tiny.url, { maxResponseBytes: 1000 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('response_too_large')
    expect(error.message).toContain('declares 10000000 bytes')
  })
})
