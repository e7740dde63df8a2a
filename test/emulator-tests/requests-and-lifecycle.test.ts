// The emulator's plumbing: JSON bodies and unknown routes, the request log, stopping, and
// listening on ::1 with the size of each answer logged.
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import {
  KEY,
  APP,
  T0,
  start,
  clock,
  call,
  get,
  post,
  del,
  expectError,
  basicApp
} from './helpers.js'

describe('common rules', () => {
  it('POST without a JSON body is 400 invalid_json_parse_body; DELETE falls back to the query', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await call(emu, 'POST', '/channel'), 400, 'invalid_json_parse_body')
    expectError(
      await call(emu, 'POST', '/channel', { rawBody: '' }),
      400,
      'invalid_json_parse_body'
    )
    expectError(
      await call(emu, 'POST', '/channel', { rawBody: '{nope' }),
      400,
      'invalid_json_parse_body'
    )
    const q = await call(emu, 'DELETE', '/bundle', { query: { app_id: APP, version: '1.0.0' } })
    expect(q.status).toBe(200)
    expect(emu.bundles(APP, { includeDeleted: true }).find(b => b.name === '1.0.0')!.deleted).toBe(
      true
    )
  })

  it('unknown routes are 404 not_found JSON', async () => {
    const emu = await start({ apps: [basicApp()] })
    expectError(await get(emu, '/apps'), 404, 'not_found')
    expectError(await call(emu, 'PATCH', '/bundle'), 404, 'not_found')
    expect((await get(emu, '/bundle/')).status).toBe(200) // a trailing slash is tolerated
  })
})

describe('request log and lifecycle', () => {
  it('logs every request in order with method, path, query, body, headers, status; writes() and clearLog()', async () => {
    const c = clock()
    const emu = await start({ apps: [basicApp()], now: c.now })
    await get(emu, '/bundle', { page: '0' })
    c.advance(10)
    await del(emu, '/bundle', { version: 'nope' })
    await post(emu, '/channel', { channel: 'x' })
    expect(emu.requests).toHaveLength(3)
    expect(emu.requests[0]).toMatchObject({
      seq: 1,
      method: 'GET',
      path: '/bundle',
      query: { app_id: APP, page: '0' },
      status: 200,
      at: T0
    })
    expect(emu.requests[0]!.headers.capgkey).toBe(KEY)
    expect(emu.requests[1]).toMatchObject({
      seq: 2,
      method: 'DELETE',
      body: { app_id: APP, version: 'nope' },
      status: 400,
      at: T0 + 10
    })
    expect(emu.writes().map(r => r.method)).toEqual(['DELETE', 'POST'])
    emu.clearLog()
    expect(emu.requests).toHaveLength(0)
    await get(emu, '/channel')
    expect(emu.requests[0]!.seq).toBe(4)
  })

  it('stop() closes keep-alive sockets promptly', async () => {
    const emu = await startEmulator({ apps: [basicApp()] })
    expect((await get(emu, '/bundle')).status).toBe(200)
    await emu.stop() // returns without waiting for idle sockets (the test's timeout bounds it)
    await expect(get(emu, '/bundle')).rejects.toThrow()
  })
})

describe('listening and logging', () => {
  it('listens on ::1 when asked, and logs the size of each answer it sends', async () => {
    const emu = await startEmulator({
      host: '::1',
      keys: { k: 'reader' },
      apps: [{ app_id: 'com.ipv6.app', bundles: 3 }]
    })
    try {
      expect(emu.url).toBe(`http://[::1]:${emu.port}`)
      const answer = await fetch(`${emu.url}/bundle?app_id=com.ipv6.app&page=0`, {
        headers: { capgkey: 'k' }
      })
      const text = await answer.text()
      expect(JSON.parse(text)).toHaveLength(3)
      expect(emu.requests[0]?.responseBytes).toBe(Buffer.byteLength(text))
    } finally {
      await emu.stop()
    }
  })
})
