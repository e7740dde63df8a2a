// The emulator's /device routes: overrides, paging by cursor, refusals, and the per-device limits.
import { describe, expect, it } from 'vitest'
import { APP, start, clock, get, post, del, expectError, basicApp } from './helpers.js'

describe('/device', () => {
  const app = () =>
    basicApp({
      channels: [
        { name: 'production', version: '1.0.4', public: true },
        { name: 'beta', version: '1.0.3' },
        { name: 'qa' }
      ],
      devices: [{ device_id: 'known-1', platform: 'ios', version_name: '1.0.3' }]
    })

  it('sets an override (device_id lowercased, device row created) and GET shows it', async () => {
    const emu = await start({ apps: [app()] })
    expect((await post(emu, '/device', { device_id: 'ABC-123', channel: 'beta' })).body).toEqual({
      status: 'ok'
    })
    expect(emu.deviceOverride(APP, 'abc-123')).toBe('beta')
    expect((await post(emu, '/device', { device_id: 'abc-123', channel: 'qa' })).status).toBe(200)
    expect(emu.deviceOverride(APP, 'ABC-123')).toBe('qa')
    const one = await get(emu, '/device', { device_id: 'ABC-123' })
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ device_id: 'abc-123', app_id: APP, channel: 'qa' })
    const known = await get(emu, '/device', { device_id: 'known-1' })
    expect(known.body).toMatchObject({ channel: null, platform: 'ios', version_name: '1.0.3' })
    for (const k of [
      'plugin_version',
      'os_version',
      'is_prod',
      'is_emulator',
      'custom_id',
      'created_at',
      'updated_at'
    ])
      expect(known.body).toHaveProperty(k)
    const all = await get(emu, '/device')
    expect(all.body).toEqual({ data: expect.any(Array), hasMore: false })
    expect(all.body.data.map((d: { device_id: string }) => d.device_id)).toEqual([
      'abc-123',
      'known-1'
    ])
    expectError(await get(emu, '/device', { device_id: 'nope' }), 404, 'device_not_found')
  })

  // Cap-go/capgo supabase/functions/_backend/public/device/get.ts and utils/stats.ts readDevices
  it('GET /device without device_id pages by cursor (`updated_at|device_id`), 50 by default; `page` is ignored', async () => {
    const devices = Array.from({ length: 120 }, (_, i) => ({
      device_id: `dev-${String(i).padStart(3, '0')}`
    }))
    const emu = await start({ apps: [basicApp({ devices })] })
    const first = (await get(emu, '/device')).body
    expect(first.data).toHaveLength(50)
    expect(first.hasMore).toBe(true)
    const last = first.data[49]
    expect(first.nextCursor).toBe(`${last.updated_at}|dev-049`)
    expect((await get(emu, '/device', { page: '1' })).body).toEqual(first) // page is ignored
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const q: Record<string, string> = { limit: '40' }
      if (cursor) q.cursor = cursor
      const page = (await get(emu, '/device', q)).body
      seen.push(...page.data.map((d: { device_id: string }) => d.device_id))
      cursor = page.nextCursor
      expect(page.hasMore).toBe(cursor !== undefined)
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(devices.map(d => d.device_id))
    expectError(await get(emu, '/device', { limit: '0' }), 400, 'invalid_limit')
    expectError(await get(emu, '/device', { limit: 'x' }), 400, 'invalid_limit')
  })

  it('404 channel_not_found, 400 public_channel_override, 400 invalid_version_id; no channel = no-op', async () => {
    const emu = await start({ apps: [app()] })
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'nope' }),
      404,
      'channel_not_found'
    )
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'production' }),
      400,
      'public_channel_override'
    )
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'beta', version_id: 3 }),
      400,
      'invalid_version_id'
    )
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
    expect((await post(emu, '/device', { device_id: 'd' })).body).toEqual({ status: 'ok' })
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
    expect(emu.state.apps[APP]!.devices.map(d => d.device_id)).toEqual(['known-1'])
  })

  it('DELETE removes the override and is safe to repeat', async () => {
    const emu = await start({ apps: [app()] })
    await post(emu, '/device', { device_id: 'd', channel: 'beta' })
    for (let i = 0; i < 3; i++)
      expect((await del(emu, '/device', { device_id: 'D' })).body).toEqual({ status: 'ok' })
    expect(emu.deviceOverride(APP, 'd')).toBeUndefined()
  })

  it('429 when the same device is set to the same channel again within 60 s', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    c.advance(20_000)
    const again = await post(emu, '/device', { device_id: 'D', channel: 'beta' })
    expectError(again, 429, 'too_many_requests')
    expect(again.body.moreInfo.retryAfterSeconds).toBe(40)
    expect(again.headers.get('retry-after')).toBe('40')
    expect((await post(emu, '/device', { device_id: 'other', channel: 'beta' })).status).toBe(200) // another device
    c.advance(40_000)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'qa' })).status).toBe(200) // another channel
    expect(emu.deviceOverride(APP, 'd')).toBe('qa')
  })

  it('429 on more than 5 operations a second on one device', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    const ops = [
      () => post(emu, '/device', { device_id: 'd', channel: 'beta' }),
      () => del(emu, '/device', { device_id: 'd' }),
      () => post(emu, '/device', { device_id: 'D', channel: 'qa' }),
      () => del(emu, '/device', { device_id: 'd' }),
      () => post(emu, '/device', { device_id: 'd' })
    ]
    for (const op of ops) {
      expect((await op()).status).toBe(200)
      c.advance(100)
    }
    const sixth = await del(emu, '/device', { device_id: 'd' })
    expectError(sixth, 429, 'too_many_requests')
    expect(sixth.headers.get('retry-after')).toBe('1')
    expect((await del(emu, '/device', { device_id: 'e' })).status).toBe(200) // another device
    c.advance(600)
    expect((await del(emu, '/device', { device_id: 'd' })).status).toBe(200)
  })
})
