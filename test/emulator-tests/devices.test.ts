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

  // Cap-go/capgo supabase/functions/_backend/public/device/post.ts writes only channel_devices (the
  // override); device/get.ts reads the devices that contacted Capgo, so a linked device that never
  // did is still 404 there.
  it('sets an override (device_id lowercased); GET shows devices that contacted Capgo, not linked ones', async () => {
    const emu = await start({ apps: [app()] })
    expect((await post(emu, '/device', { device_id: 'ABC-123', channel: 'beta' })).body).toEqual({
      status: 'ok'
    })
    expect(emu.deviceOverride(APP, 'abc-123')).toBe('beta')
    expect((await post(emu, '/device', { device_id: 'abc-123', channel: 'qa' })).status).toBe(200)
    expect(emu.deviceOverride(APP, 'ABC-123')).toBe('qa')
    expectError(await get(emu, '/device', { device_id: 'ABC-123' }), 404, 'device_not_found')
    expect(emu.state.apps[APP]!.devices.map(d => d.device_id)).toEqual(['known-1'])
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
    expect((await post(emu, '/device', { device_id: 'Known-1', channel: 'beta' })).status).toBe(200)
    const linked = await get(emu, '/device', { device_id: 'KNOWN-1' })
    expect(linked.body).toMatchObject({ device_id: 'known-1', app_id: APP, channel: 'beta' })
    const all = await get(emu, '/device')
    expect(all.body).toEqual({ data: expect.any(Array), hasMore: false })
    expect(all.body.data.map((d: { device_id: string; channel: string }) => d)).toMatchObject([
      { device_id: 'known-1', channel: 'beta' }
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

  // Cap-go/capgo supabase/functions/_backend/utils/channelSelfRateLimit.ts: one counter per app,
  // device and operation (get, set, delete), for one second from the first operation it counts;
  // public/device/index.ts applies it to GET /device (with a device_id) too.
  it('429 on more than 5 operations of one kind a second on one device', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    for (let i = 0; i < 5; i++) {
      expect((await del(emu, '/device', { device_id: i % 2 ? 'D' : 'd' })).status).toBe(200)
      c.advance(100)
    }
    const sixth = await del(emu, '/device', { device_id: 'd' })
    expectError(sixth, 429, 'too_many_requests')
    expect(sixth.headers.get('retry-after')).toBe('1')
    // Other kinds of operation on the same device, and another device, are counted apart.
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    expect((await get(emu, '/device', { device_id: 'known-1' })).status).toBe(200)
    expect((await del(emu, '/device', { device_id: 'e' })).status).toBe(200)
    c.advance(600) // the window opened by the first delete has closed
    expect((await del(emu, '/device', { device_id: 'd' })).status).toBe(200)
  })

  it('GET /device?device_id= counts too: the sixth read of one device in a second is 429', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    for (let i = 0; i < 5; i++) {
      expect((await get(emu, '/device', { device_id: 'known-1' })).status).toBe(200)
      expect((await get(emu, '/device', { device_id: 'Never-Seen' })).status).toBe(404) // counts too
    }
    expectError(await get(emu, '/device', { device_id: 'known-1' }), 429, 'too_many_requests')
    expectError(await get(emu, '/device', { device_id: 'never-seen' }), 429, 'too_many_requests')
    expect((await get(emu, '/device')).status).toBe(200) // the list has no device to count on
  })

  // channelSelfRateLimit.ts keys the 60 s rule on app, device AND channel, and
  // public/device/index.ts records every handled attempt, a refused one included.
  it('the 60 s rule is per device and channel, and a failed attempt starts it too', async () => {
    const c = clock()
    const emu = await start({ apps: [app()], now: c.now })
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    c.advance(1000)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'qa' })).status).toBe(200)
    c.advance(1000)
    // beta was set 2 s ago, even though qa was set since
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'beta' }),
      429,
      'too_many_requests'
    )
    expectError(
      await post(emu, '/device', { device_id: 'x', channel: 'production' }),
      400,
      'public_channel_override'
    )
    c.advance(1000)
    const retried = await post(emu, '/device', { device_id: 'x', channel: 'production' })
    expectError(retried, 429, 'too_many_requests')
    expect(retried.body.moreInfo.retryAfterSeconds).toBe(59)
  })

  it('deviceLimits overrides both numbers', async () => {
    const c = clock()
    const emu = await start({
      apps: [app()],
      now: c.now,
      deviceLimits: { perSecond: 2, sameChannelMs: 5000 }
    })
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    c.advance(4000)
    expectError(
      await post(emu, '/device', { device_id: 'd', channel: 'beta' }),
      429,
      'too_many_requests'
    )
    c.advance(1000)
    expect((await post(emu, '/device', { device_id: 'd', channel: 'beta' })).status).toBe(200)
    expect((await del(emu, '/device', { device_id: 'd' })).status).toBe(200)
    expect((await del(emu, '/device', { device_id: 'd' })).status).toBe(200)
    expectError(await del(emu, '/device', { device_id: 'd' }), 429, 'too_many_requests')
  })

  // Cap-go/capgo supabase/functions/_backend/public/device/get.ts (parseUpdatedAtFilter,
  // parseDevicesOrder) and utils/supabase.ts readDevicesSB; tests/device.test.ts "[GET] /device
  // updated_at filter and order".
  describe('GET /device list: updated_at and order', () => {
    const timed = () =>
      basicApp({
        devices: [
          { device_id: 'a', updated_at: '2026-03-01T00:00:00.000+00:00' },
          { device_id: 'b', updated_at: '2026-01-01T00:00:00.000+00:00' },
          { device_id: 'c', updated_at: '2026-02-01T00:00:00.000+00:00' },
          { device_id: 'd', updated_at: '2026-02-01T00:00:00.000+00:00' }
        ]
      })
    const ids = (a: { body: { data: { device_id: string }[] } }) =>
      a.body.data.map(d => d.device_id)

    it('updated_at keeps the devices updated strictly after it (ISO with Z, or "YYYY-MM-DD HH:mm:ss")', async () => {
      const emu = await start({ apps: [timed()] })
      expect(ids(await get(emu, '/device', { updated_at: '2026-02-01T00:00:00Z' }))).toEqual(['a'])
      expect(ids(await get(emu, '/device', { updated_at: '2026-01-15 00:00:00' }))).toEqual([
        'a',
        'c',
        'd'
      ])
      expect(ids(await get(emu, '/device', { updated_at: '2025-12-31T23:59:59.5Z' }))).toHaveLength(
        4
      )
      for (const bad of [
        'not-a-date',
        '2024-02-31T00:00:00.000Z',
        '2026-01-01',
        '2026-01-01T00:00:00+02:00'
      ])
        expectError(await get(emu, '/device', { updated_at: bad }), 400, 'invalid_updated_at')
    })

    it('order sorts by updated_at (then device_id) and the cursor follows that order', async () => {
      const emu = await start({ apps: [timed()] })
      expect(ids(await get(emu, '/device', { order: 'asc' }))).toEqual(['b', 'c', 'd', 'a'])
      expect(ids(await get(emu, '/device', { order: 'desc' }))).toEqual(['a', 'c', 'd', 'b'])
      expect(ids(await get(emu, '/device'))).toEqual(['a', 'b', 'c', 'd'])
      for (const order of ['asc', 'desc']) {
        const seen: string[] = []
        let cursor: string | undefined
        do {
          const q: Record<string, string> = { order, limit: '1' }
          if (cursor) q.cursor = cursor
          const page = await get(emu, '/device', q)
          seen.push(...ids(page))
          cursor = page.body.nextCursor
        } while (cursor)
        expect(seen).toEqual(order === 'asc' ? ['b', 'c', 'd', 'a'] : ['a', 'c', 'd', 'b'])
      }
      expectError(await get(emu, '/device', { order: 'sideways' }), 400, 'invalid_order')
      // invalid_updated_at comes first
      expectError(
        await get(emu, '/device', { order: 'sideways', updated_at: 'x' }),
        400,
        'invalid_updated_at'
      )
      // list-only parameters are ignored when one device is asked for
      const one = await get(emu, '/device', {
        device_id: 'a',
        order: 'sideways',
        updated_at: 'x',
        limit: '1.5'
      })
      expect(one.status).toBe(200)
    })
  })
})
