// Every route of the Capgo API module against the emulator, with every error code it answers:
// channels, bundles, devices, PUT /bundle, POST /bundle/metadata, rollout fields and roles.
import { describe, expect, it } from 'vitest'
import { HttpCapgoApi } from '../../src/capgo/client.js'
import { CapgoError } from '../../src/capgo/errors.js'
import type { ChannelUpsert } from '../../src/capgo/types.js'
import { startEmulator } from '../emulator/index.js'
import type { Emulator } from '../emulator/index.js'
import {
  KEY,
  DEV_KEY,
  WRONG_KEY,
  APP,
  cleanups,
  start,
  standardApp,
  client,
  failure,
  bundlesOf,
  hits
} from './helpers.js'

describe('every route against the emulator', () => {
  it('GET /channel (list): every channel, oldest first, with version {id, name}', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const channels = await api.listChannels(APP)
    expect(channels.map(c => c.name)).toEqual(['production', 'public-beta', 'qa'])
    const production = channels[0]
    expect(production?.version?.name).toBe('1.0.4')
    expect(production?.rollout_version).toBe(emu.bundles(APP).find(b => b.name === '1.0.3')?.id)
    expect(channels[2]?.version).toBeNull()
    expect(channels[1]?.public).toBe(true)
  })

  it('GET /channel?channel=: one channel, or undefined for an unknown name (400 cannot_find_version, once)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const production = await api.getChannel(APP, 'production')
    expect(production?.name).toBe('production')
    expect(production?.version?.name).toBe('1.0.4')
    expect(await api.getChannel(APP, 'nope')).toBeUndefined()
    expect(emu.requests.map(r => r.status)).toEqual([200, 400])
    expect(waits).toEqual([])
  })

  it('POST /channel: creates a channel, then changes only the fields sent', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.upsertChannel({
      app_id: APP,
      channel: 'beta',
      version: '1.0.2',
      disableAutoUpdate: 'minor',
      android: false
    })
    let beta = emu.channel(APP, 'beta')
    expect(beta?.version?.name).toBe('1.0.2')
    expect(beta?.disableAutoUpdate).toBe('minor')
    expect(emu.channelPlatforms(APP, 'beta')?.android).toBe(false)
    expect(emu.channelPlatforms(APP, 'beta')?.ios).toBe(true)

    await api.upsertChannel({ app_id: APP, channel: 'beta', allow_dev: false })
    beta = emu.channel(APP, 'beta')
    expect(beta?.version?.name).toBe('1.0.2')
    expect(beta?.allow_dev).toBe(false)
    expect(emu.channelPlatforms(APP, 'beta')?.android).toBe(false)
    expect(hits(emu, 'POST', '/channel').map(r => r.body)).toEqual([
      {
        app_id: APP,
        channel: 'beta',
        version: '1.0.2',
        disableAutoUpdate: 'minor',
        android: false
      },
      { app_id: APP, channel: 'beta', allow_dev: false }
    ])
  })

  it('POST /channel: an unknown version on a new channel is 400 cannot_find_version, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'beta', version: '9.9.9' })
    )
    expect(error.status).toBe(400)
    expect(error.code).toBe('cannot_find_version')
    expect(error.route).toBe('POST /channel')
    expect(error.attempts).toBe(1)
    expect(error.serverMessage).toBe('Cannot find version')
    expect(error.message).toContain('cannot_find_version')
    expect(error.message).toContain('POST /channel')
    expect(hits(emu, 'POST', '/channel').length).toBe(1)
    expect(waits).toEqual([])
    expect(emu.channel(APP, 'beta')).toBeUndefined()
  })

  it('POST /channel: an unknown version on an existing channel is a 500, retried then surfaced', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url, { retries: 2 })
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'production', version: '9.9.9' })
    )
    expect(error.status).toBe(500)
    expect(error.code).toBe('unknown_error')
    expect(error.attempts).toBe(3)
    expect(hits(emu, 'POST', '/channel').length).toBe(3)
    expect(waits).toEqual([5, 10])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.4')
  })

  it('POST /channel with a developer key on an existing channel: 400 cannot_access_app, once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(
      api.upsertChannel({ app_id: APP, channel: 'production', version: '1.0.5' }),
      DEV_KEY
    )
    expect(error.status).toBe(400)
    expect(error.code).toBe('cannot_access_app')
    expect(emu.requests.length).toBe(1)
  })

  it("DELETE /channel: 'deleted', then 'not_found' for the same name (400 cannot_find_channel, once)", async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    expect(await api.deleteChannel(APP, 'qa')).toBe('deleted')
    expect(emu.channel(APP, 'qa')).toBeUndefined()
    expect(await api.deleteChannel(APP, 'qa')).toBe('not_found')
    expect(await api.deleteChannel(APP, 'never-existed')).toBe('not_found')
    expect(hits(emu, 'DELETE', '/channel').map(r => r.status)).toEqual([200, 400, 400])
    expect(waits).toEqual([])
  })

  it('DELETE /channel with a developer key: a 400 permission refusal (permissionDenied)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(api.deleteChannel(APP, 'qa'), DEV_KEY)
    expect([error.status, error.code, error.route, error.permissionDenied]).toEqual([
      400,
      'cannot_access_app',
      'DELETE /channel',
      true
    ])
    expect(emu.requests.length).toBe(1)
    expect(emu.channel(APP, 'qa')).toBeDefined()
  })

  it("DELETE /bundle: 'deleted' soft-deletes that one bundle only", async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    expect(await api.deleteBundle(APP, '1.0.1')).toBe('deleted')
    const all = emu.bundles(APP, { includeDeleted: true })
    expect(all.filter(b => b.deleted).map(b => b.name)).toEqual(['1.0.1'])
    expect(all.length).toBe(6)
    expect((await bundlesOf(api)).map(b => b.name)).toEqual([
      '1.0.5',
      '1.0.4',
      '1.0.3',
      '1.0.2',
      '1.0.0'
    ])
  })

  it('DELETE /bundle of an unknown or deleted version on the first attempt: CapgoError cannot_delete_version, not success', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const unknown = await failure(api.deleteBundle(APP, '7.7.7'))
    expect([unknown.status, unknown.code, unknown.route, unknown.attempts]).toEqual([
      400,
      'cannot_delete_version',
      'DELETE /bundle',
      1
    ])
    await api.deleteBundle(APP, '1.0.0')
    const again = await failure(api.deleteBundle(APP, '1.0.0'))
    expect(again.code).toBe('cannot_delete_version')
    expect(hits(emu, 'DELETE', '/bundle').map(r => r.status)).toEqual([400, 200, 400])
    expect(waits).toEqual([])
  })

  it('DELETE /bundle of a linked bundle (version or rollout_version): 400 cannot_delete_linked_version', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    for (const version of ['1.0.4', '1.0.3']) {
      const error = await failure(api.deleteBundle(APP, version))
      expect([error.status, error.code]).toEqual([400, 'cannot_delete_linked_version'])
      expect(error.message).toContain('cannot_delete_linked_version')
    }
    expect(emu.requests.length).toBe(2)
    expect(emu.bundles(APP).length).toBe(6)
  })

  it('DELETE /bundle with a developer key: 400 cannot_delete_bundle', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: DEV_KEY })
    const error = await failure(api.deleteBundle(APP, '1.0.0'), DEV_KEY)
    expect([error.status, error.code]).toEqual([400, 'cannot_delete_bundle'])
    expect(emu.requests.length).toBe(1)
  })

  it('GET /device: a known device with its override; an unknown one is undefined (404, once)', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const known = await api.getDevice(APP, 'dev-known')
    expect(known?.device_id).toBe('dev-known')
    expect(known?.channel).toBe('qa')
    expect((await api.getDevice(APP, 'dev-plain'))?.channel).toBeNull()
    expect(await api.getDevice(APP, 'dev-unknown')).toBeUndefined()
    expect(emu.requests.map(r => r.status)).toEqual([200, 200, 404])
    expect(emu.requests[2]?.query).toEqual({ app_id: APP, device_id: 'dev-unknown' })
    expect(waits).toEqual([])
  })

  it('GET /device: a 404 that is not device_not_found (a wrong route or base URL) is an error, not an unknown device', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(`${emu.url}/wrong-prefix`)
    const error = await failure(api.getDevice(APP, 'dev-known'))
    expect([error.status, error.code]).toEqual([404, 'not_found'])
    expect(emu.requests.length).toBe(1)
  })

  it('POST /device: sets the override and never sends version_id', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.linkDevice(APP, 'DEV-Plain', 'production')
    expect(emu.deviceOverride(APP, 'dev-plain')).toBe('production')
    const [post] = hits(emu, 'POST', '/device')
    expect(post?.body).toEqual({ app_id: APP, device_id: 'DEV-Plain', channel: 'production' })
    expect(Object.keys(post?.body as object)).not.toContain('version_id')
    expect(emu.requests.length).toBe(1)
  })

  it('POST /device to an unknown channel: CapgoError 404 channel_not_found, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const error = await failure(api.linkDevice(APP, 'dev-plain', 'nope'))
    expect([error.status, error.code, error.route, error.attempts]).toEqual([
      404,
      'channel_not_found',
      'POST /device',
      1
    ])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })

  it('POST /device to a public channel: CapgoError 400 public_channel_override, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    const error = await failure(api.linkDevice(APP, 'dev-plain', 'public-beta'))
    expect([error.status, error.code]).toEqual([400, 'public_channel_override'])
    expect(emu.requests.length).toBe(1)
    expect(emu.deviceOverride(APP, 'dev-plain')).toBeUndefined()
  })

  it('DELETE /device: removes the override, and is safe to repeat', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url)
    await api.unlinkDevice(APP, 'dev-known')
    expect(emu.deviceOverride(APP, 'dev-known')).toBeUndefined()
    await api.unlinkDevice(APP, 'dev-known')
    await api.unlinkDevice(APP, 'never-seen')
    expect(hits(emu, 'DELETE', '/device').map(r => r.status)).toEqual([200, 200, 200])
  })

  it('400 invalid_app_id and 400 cannot_access_app are refusals, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(emu.url)
    const invalid = await failure(api.listBundles('not-an-app-id'))
    expect([invalid.status, invalid.code, invalid.route]).toEqual([
      400,
      'invalid_app_id',
      'GET /bundle'
    ])
    const other = await failure(api.listChannels('com.other.app'))
    expect([other.status, other.code, other.route]).toEqual([
      400,
      'cannot_access_app',
      'GET /channel'
    ])
    expect(emu.requests.length).toBe(2)
    expect(waits).toEqual([])
  })

  it('401 invalid_apikey is never retried, and the wrong key is not in the error', async () => {
    for (const call of [
      (api: HttpCapgoApi) => api.listBundles(APP),
      (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0'),
      (api: HttpCapgoApi) => api.linkDevice(APP, 'dev-plain', 'qa')
    ]) {
      const emu = await start({ apps: [standardApp()] })
      const { api, waits } = client(emu.url, { apiKey: WRONG_KEY })
      const error = await failure(call(api), WRONG_KEY)
      expect([error.status, error.code, error.attempts]).toEqual([401, 'invalid_apikey', 1])
      expect(error.message).toContain('api_key')
      expect(emu.requests.length).toBe(1)
      expect(waits).toEqual([])
    }
  })

  it('after a 401 the client sends nothing more with that key', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: WRONG_KEY })
    await failure(api.listChannels(APP), WRONG_KEY)
    for (const call of [() => api.listBundles(APP), () => api.deleteBundle(APP, '1.0.0')]) {
      const error = await failure(call(), WRONG_KEY)
      expect([error.status, error.attempts]).toEqual([401, 0])
      expect(error.message).toContain('api_key')
    }
    expect(emu.requests.length).toBe(1)
  })

  it('401 no_key_provided for an empty key, sent once', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api } = client(emu.url, { apiKey: '' })
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code]).toEqual([401, 'no_key_provided'])
    expect(emu.requests.length).toBe(1)
  })

  it('a 404 for a wrong route is never retried', async () => {
    const emu = await start({ apps: [standardApp()] })
    const { api, waits } = client(`${emu.url}/v2`)
    const error = await failure(api.listBundles(APP))
    expect([error.status, error.code, error.attempts]).toEqual([404, 'not_found', 1])
    expect(emu.requests.length).toBe(1)
    expect(waits).toEqual([])
  })
})

const UPLOADER_KEY = 'cgk_uploader_77aa'
const READER_KEY = 'cgk_reader_12bc'

describe('PUT /bundle, POST /bundle/metadata, rollout fields, permissions', () => {
  async function startRoles(): Promise<Emulator> {
    const emu = await startEmulator({
      keys: {
        [KEY]: 'admin',
        [DEV_KEY]: 'developer',
        [UPLOADER_KEY]: 'uploader',
        [READER_KEY]: 'reader'
      },
      apps: [standardApp()]
    })
    cleanups.push(() => emu.stop())
    return emu
  }

  it('setChannelBundle sends PUT /bundle with numeric ids, and an uploader key moves the bundle', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: UPLOADER_KEY })
    const bundle = emu.bundles(APP).find(b => b.name === '1.0.1')
    const channel = emu.channel(APP, 'production')
    await api.setChannelBundle({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      channel_id: channel?.id ?? 0
    })
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.1')
    // A new stable bundle ends the channel's rollout (the emulator's default era, late-2026:
    // docs/capgo-api-notes.md, change 1).
    expect(channel?.rollout_version).not.toBeNull()
    expect(emu.channel(APP, 'production')?.rollout_version).toBeNull()
    expect(hits(emu, 'PUT', '/bundle').map(r => r.body)).toEqual([
      { app_id: APP, version_id: bundle?.id, channel_id: channel?.id }
    ])
  })

  it.each([0, -1, 1.5, Number.NaN])(
    'setChannelBundle with version_id %s is refused before sending',
    async id => {
      const emu = await startRoles()
      const { api } = client(emu.url)
      const error = await failure(
        api.setChannelBundle({ app_id: APP, version_id: id, channel_id: 1 })
      )
      expect(error.code).toBe('refused_by_client')
      expect(emu.requests.length).toBe(0)
    }
  )

  it('setChannelBundle with a reader key: a permission refusal, sent once', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: READER_KEY })
    const bundle = emu.bundles(APP)[0]
    const channel = emu.channel(APP, 'qa')
    const error = await failure(
      api.setChannelBundle({
        app_id: APP,
        version_id: bundle?.id ?? 0,
        channel_id: channel?.id ?? 0
      }),
      READER_KEY
    )
    expect(error.status).toBe(400)
    expect(error.permissionDenied).toBe(true)
    expect(emu.requests.length).toBe(1)
  })

  it('setBundleMetadata sets link and comment with an uploader key', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: UPLOADER_KEY })
    const bundle = emu.bundles(APP)[0]
    await api.setBundleMetadata({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      link: 'https://github.com/o/r/commit/abc',
      comment: 'built by CI'
    })
    const row = emu.bundles(APP).find(b => b.id === bundle?.id)
    expect([row?.link, row?.comment]).toEqual(['https://github.com/o/r/commit/abc', 'built by CI'])
    await api.setBundleMetadata({
      app_id: APP,
      version_id: bundle?.id ?? 0,
      comment: 'only a comment'
    })
    expect(hits(emu, 'POST', '/bundle/metadata')[1]?.body).toEqual({
      app_id: APP,
      version_id: bundle?.id,
      comment: 'only a comment'
    })
  })

  it('setBundleMetadata with neither link nor comment is refused before sending', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    const error = await failure(api.setBundleMetadata({ app_id: APP, version_id: 3 }))
    expect(error.code).toBe('refused_by_client')
    expect(emu.requests.length).toBe(0)
  })

  it.each(['', '  ', null, undefined])(
    'upsertChannel with rolloutVersion %j is refused before sending',
    async rollout => {
      const emu = await startRoles()
      const { api } = client(emu.url)
      const body = {
        app_id: APP,
        channel: 'production',
        rolloutVersion: rollout
      } as unknown as ChannelUpsert
      const error = await failure(api.upsertChannel(body))
      expect(error.code).toBe('refused_by_client')
      expect(emu.requests.length).toBe(0)
    }
  )

  it('upsertChannel sends the rollout fields as given', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    await api.upsertChannel({
      app_id: APP,
      channel: 'production',
      rolloutVersion: '1.0.5',
      rolloutPercentageBps: 2500,
      rolloutEnabled: true
    })
    const row = emu.channel(APP, 'production')
    expect(row?.rollout_version_info?.name).toBe('1.0.5')
    expect([row?.rolloutPercentageBps, row?.rolloutEnabled]).toEqual([2500, true])
  })

  it.each([
    [
      'a reader deleting a bundle',
      READER_KEY,
      (api: HttpCapgoApi) => api.deleteBundle(APP, '1.0.0')
    ],
    [
      'an uploader deleting a channel',
      UPLOADER_KEY,
      (api: HttpCapgoApi) => api.deleteChannel(APP, 'qa')
    ],
    [
      'a developer changing an existing channel',
      DEV_KEY,
      (api: HttpCapgoApi) => api.upsertChannel({ app_id: APP, channel: 'qa', allow_dev: false })
    ]
  ] as const)('permissionDenied is true for %s', async (_label, key, call) => {
    const emu = await startRoles()
    const { api } = client(emu.url, { apiKey: key })
    const error = await failure(call(api), key)
    expect(error.status).toBe(400)
    expect(error.permissionDenied).toBe(true)
    expect(emu.requests.length).toBe(1)
  })

  it('permissionDenied is false for other refusals, and true for each documented code', async () => {
    const emu = await startRoles()
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '9.9.9'))
    expect([error.code, error.permissionDenied]).toEqual(['cannot_delete_version', false])
    for (const code of [
      'cannot_access_app',
      'cannot_delete_bundle',
      'cannot_promote_bundle',
      'cannot_update_bundle_metadata',
      'cannot_delete_channel'
    ]) {
      expect(
        new CapgoError({ status: 400, code, route: 'X /y', message: 'm' }).permissionDenied
      ).toBe(true)
    }
  })
})
