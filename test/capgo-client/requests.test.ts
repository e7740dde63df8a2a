// The Capgo API module's requests: headers, JSON bodies and the base URL; redirects are not
// followed; the guards that refuse a call before anything is sent.
import { describe, expect, it } from 'vitest'
import { HttpCapgoApi } from '../../src/capgo/client.js'
import type { ChannelUpsert } from '../../src/capgo/types.js'
import { ACTION_NAME, USER_AGENT } from '../../src/version.js'
import { KEY, APP, PKG, start, standardApp, client, failure, tinyServer, json } from './helpers.js'

describe('requests: headers, bodies, base URL', () => {
  it('sends the key in authorization and capgkey, and a User-Agent naming the action and version', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.listChannels(APP)
    await api.deleteBundle(APP, '1.0.0')
    expect(emu.requests.length).toBe(2)
    for (const req of emu.requests) {
      expect(req.headers.authorization).toBe(KEY)
      expect(req.headers.capgkey).toBe(KEY)
      expect(req.headers['user-agent']).toBe(USER_AGENT)
      expect(req.headers['user-agent']?.startsWith(`${ACTION_NAME}/${PKG.version}`)).toBe(true)
      expect(req.headers['user-agent']?.startsWith('capgo-release/')).toBe(true)
      expect(req.headers.authorization?.startsWith('Bearer')).toBe(false)
    }
  })

  it('sends JSON bodies with a JSON content-type on POST and DELETE; GET uses the query string', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.getChannel(APP, 'production')
    await api.upsertChannel({ app_id: APP, channel: 'beta', version: '1.0.2', ios: false })
    await api.deleteChannel(APP, 'beta')
    await api.linkDevice(APP, 'dev-plain', 'qa')
    await api.unlinkDevice(APP, 'dev-plain')
    await api.deleteBundle(APP, '1.0.0')

    const [get, ...writes] = emu.requests
    expect(get?.method).toBe('GET')
    expect(get?.query).toEqual({ app_id: APP, channel: 'production' })
    expect(get?.body).toBeUndefined()
    expect(writes.map(r => `${r.method} ${r.path}`)).toEqual([
      'POST /channel',
      'DELETE /channel',
      'POST /device',
      'DELETE /device',
      'DELETE /bundle'
    ])
    for (const req of writes) {
      expect(req.headers['content-type']).toMatch(/^application\/json/)
      expect(req.query).toEqual({})
      expect(req.status).toBe(200)
    }
    expect(writes.map(r => r.body)).toEqual([
      { app_id: APP, channel: 'beta', version: '1.0.2', ios: false },
      { app_id: APP, channel: 'beta' },
      { app_id: APP, device_id: 'dev-plain', channel: 'qa' },
      { app_id: APP, device_id: 'dev-plain' },
      { app_id: APP, version: '1.0.0' }
    ])
  })

  it('uses the configured base URL, with or without a trailing slash and with a path prefix', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(`${emu.url}/`)
    expect((await api.listChannels(APP)).map(c => c.name)).toEqual([
      'production',
      'public-beta',
      'qa'
    ])

    const tiny = await tinyServer((_req, res) => json(res, 200, []))
    const selfHosted = client(`${tiny.url}/capgo/api/`)
    expect(await selfHosted.api.listChannels(APP)).toEqual([])
    expect(tiny.requests.map(r => r.url)).toEqual([`/capgo/api/channel?app_id=${APP}&page=0`])
    expect(tiny.requests[0]?.headers.capgkey).toBe(KEY)
  })
})

describe('redirects are not followed', () => {
  it.each([
    [302, 'GET', (api: HttpCapgoApi) => api.listChannels(APP)],
    [307, 'DELETE', (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0')],
    [301, 'POST', (api: HttpCapgoApi) => api.linkDevice(APP, 'dev-plain', 'qa')]
  ] as const)(
    '%i on %s: CapgoError redirect_refused, the other host gets nothing',
    async (status, method, call) => {
      const other = await tinyServer((_req, res) => json(res, 200, []))
      const redirecting = await tinyServer((req, res) => {
        res.writeHead(status, { location: `${other.url}${req.url ?? '/'}&key=${KEY}` })
        res.end()
      })
      const { api, waits } = client(redirecting.url)
      const error = await failure(call(api))
      expect(error.code).toBe('redirect_refused')
      expect(error.status).toBe(status)
      expect(error.attempts).toBe(1)
      expect(error.message).toContain('redirect')
      expect(redirecting.requests.map(r => r.method)).toEqual([method])
      expect(other.requests).toEqual([])
      expect(waits).toEqual([])
    }
  )
})

describe('guards: refused before anything is sent', () => {
  it.each(['', '   ', '\t\n', null, undefined])('deleteBundle(%j) is refused', async version => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, version as unknown as string))
    expect([error.code, error.status, error.attempts, error.route]).toEqual([
      'refused_by_client',
      undefined,
      0,
      'DELETE /bundle'
    ])
    expect(emu.requests).toEqual([])
    expect(emu.bundles(APP).length).toBe(6)
  })

  it.each(['', '  ', null, 'unknown', 'builtin', undefined, 42])(
    'upsertChannel with version %j is refused (it would unlink the bundle)',
    async version => {
      const emu = await start({ apps: [standardApp()] })
      const { api } = client(emu.url)
      const body = { app_id: APP, channel: 'production', version } as unknown as ChannelUpsert
      const error = await failure(api.upsertChannel(body))
      expect([error.code, error.status, error.route]).toEqual([
        'refused_by_client',
        undefined,
        'POST /channel'
      ])
      expect(emu.requests).toEqual([])
      expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
    }
  )

  it('upsertChannel with an empty channel name is refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.upsertChannel({ app_id: APP, channel: ' ', public: true }))
    expect(error.code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })

  it('upsertChannel without a version sends no version field and keeps the linked bundle', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.upsertChannel({ app_id: APP, channel: 'production', ios: false })
    const [post] = emu.requests
    expect(Object.keys(post?.body as object).sort()).toEqual(['app_id', 'channel', 'ios'])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
  })

  it.each([
    [APP, 'com.example.other'],
    [APP, ''],
    [APP, ` ${APP}`],
    ['', '']
  ])('deleteAllUnlinkedBundles(%j, %j) is refused', async (appId, confirm) => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.deleteAllUnlinkedBundles(appId, confirm))
    expect([error.code, error.status]).toEqual(['refused_by_client', undefined])
    expect(emu.requests).toEqual([])
    expect(emu.bundles(APP).length).toBe(6)
  })

  it('deleteAllUnlinkedBundles with the right confirmation deletes only the unlinked bundles', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.deleteAllUnlinkedBundles(APP, APP)
    expect(emu.requests.map(r => [r.method, r.path, r.body])).toEqual([
      ['DELETE', '/bundle', { app_id: APP }]
    ])
    // 1.0.5 (public-beta), 1.0.4 (production), 1.0.3 (production's rollout) stay.
    expect(emu.bundles(APP).map(b => b.name)).toEqual(['1.0.5', '1.0.4', '1.0.3'])
  })

  it('deleteChannel with an empty name is refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect((await failure(api.deleteChannel(APP, '  '))).code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })

  it('linkDevice and unlinkDevice with an empty device id or channel are refused', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect((await failure(api.linkDevice(APP, '', 'qa'))).code).toBe('refused_by_client')
    expect((await failure(api.linkDevice(APP, 'dev-plain', ' '))).code).toBe('refused_by_client')
    expect((await failure(api.unlinkDevice(APP, ''))).code).toBe('refused_by_client')
    expect(emu.requests).toEqual([])
  })
})
