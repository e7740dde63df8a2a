// Errors and the key: an answer naming an error is a failure whatever its status, and the key,
// however it is encoded, never appears in an error.
import { describe, expect, it } from 'vitest'
import { HttpCapgoApi } from '../../src/capgo/client.js'
import { redact } from '../../src/secrets.js'
import { KEY, APP, start, standardApp, client, failure, tinyServer, json } from './helpers.js'

describe('the key never appears in an error', () => {
  it('echo-key: the key the server sends back is redacted from message, serverMessage and code', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'echo-key' })
    const { api } = client(emu.url, { retries: 1 })
    for (const call of [
      () => api.listBundles(APP),
      () => api.deleteBundle(APP, '1.0.0'),
      () => api.upsertChannel({ app_id: APP, channel: 'qa', version: '1.0.0' })
    ]) {
      const error = await failure(call())
      expect(error.status).toBe(500)
      expect(error.code).toBe('unknown_error')
      expect(error.serverMessage).toContain('***')
      expect(error.message).toContain('***')
    }
    expect(emu.requests.every(r => r.fault === 'echo-key')).toBe(true)
    expect(emu.requests.length).toBe(6)
  })

  it('redacts the key from the error code, and URL-encoded or JSON-escaped copies of it', async () => {
    const tiny = await tinyServer((req, res) => {
      if (req.url?.startsWith('/channel')) {
        json(res, 400, {
          error: `bad_key_${KEY}`,
          message: `key ${KEY} / ${encodeURIComponent(KEY)} / ${JSON.stringify(KEY)}`,
          moreInfo: { key: KEY }
        })
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`crash with\n key=${KEY}`)
      }
    })
    const { api } = client(tiny.url, { retries: 1 })
    const refused = await failure(api.listChannels(APP))
    expect(refused.status).toBe(400)
    expect(refused.code).toBe('bad_key_***')
    expect(tiny.requests.length).toBe(1)
    const crashed = await failure(api.deleteBundle(APP, '1.0.0'))
    expect(crashed.status).toBe(500)
    expect(crashed.code).toBe('http_500')
    expect(crashed.serverMessage).toBe('crash with key=***')
    expect(tiny.requests.length).toBe(3)
  })

  it('a long server message is shortened', async () => {
    const tiny = await tinyServer((_req, res) =>
      json(res, 400, { error: 'cannot_get_channel', message: 'x'.repeat(5000) })
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listChannels(APP))
    expect((error.serverMessage ?? '').length).toBeLessThan(400)
    expect(error.message.length).toBeLessThan(600)
  })
})

describe('an answer naming an error is a failure, whatever its status', () => {
  it('200 {"error":"cannot_delete_linked_version"} on DELETE /bundle is a refusal, not a deletion', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'error-200', code: 'cannot_delete_linked_version', method: 'DELETE' })
    const { api } = client(emu.url)
    const error = await failure(api.deleteBundle(APP, '1.0.0'))
    expect([error.status, error.code, error.attempts]).toEqual([
      200,
      'cannot_delete_linked_version',
      1
    ])
    expect(emu.requests.length).toBe(1)
  })

  it('200 {"error": ...} on a list page fails the listing', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'error-200', code: 'unknown_error', path: '/channel' })
    const { api } = client(emu.url)
    const error = await failure(api.listChannels(APP))
    expect([error.status, error.code]).toEqual([200, 'unknown_error'])
  })

  it.each([
    [
      'a write answered with another status',
      'DELETE',
      '/channel',
      '{"status":"maybe"}',
      (api: HttpCapgoApi) => api.deleteChannel(APP, 'qa')
    ],
    [
      'a write answered with a list',
      'PUT',
      '/bundle',
      '[]',
      (api: HttpCapgoApi) => api.setChannelBundle({ app_id: APP, version_id: 1, channel_id: 1 })
    ],
    [
      'a list page that is an object',
      'GET',
      '/channel',
      '{"rows":[]}',
      (api: HttpCapgoApi) => api.listChannels(APP)
    ],
    [
      'a bundle page that is a string',
      'GET',
      '/bundle',
      '"none"',
      (api: HttpCapgoApi) => api.listBundles(APP)
    ],
    [
      'getChannel answered with a list',
      'GET',
      '/channel',
      '[]',
      (api: HttpCapgoApi) => api.getChannel(APP, 'qa')
    ],
    [
      'getDevice without device_id',
      'GET',
      '/device',
      '{"id":1}',
      (api: HttpCapgoApi) => api.getDevice(APP, 'dev-known')
    ]
  ] as const)('%s is invalid_response, not a success', async (_label, method, path, body, call) => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'body', method, path, body })
    const { api } = client(emu.url)
    const error = await failure(call(api))
    expect(error.code).toBe('invalid_response')
    expect(emu.requests.length).toBe(1)
  })

  it('PUT /bundle answered {"status":"success"} (as Capgo does) is a success', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({
      kind: 'body',
      method: 'PUT',
      path: '/bundle',
      body: '{"status":"success","message":"Bundle 1 set to channel 2"}'
    })
    const { api } = client(emu.url)
    await api.setChannelBundle({ app_id: APP, version_id: 1, channel_id: 1 })
    expect(emu.requests.length).toBe(1)
  })
})

describe('the key, however it is encoded, never appears', () => {
  const forms = (secret: string): Record<string, string> => {
    const bytes = Buffer.from(secret)
    return {
      upper: secret.toUpperCase(),
      lower: secret.toLowerCase(),
      base64: bytes.toString('base64'),
      base64NoPad: bytes.toString('base64').replace(/=+$/, ''),
      base64url: bytes.toString('base64url'),
      base64urlPadded: bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
      hex: bytes.toString('hex'),
      HEX: bytes.toString('hex').toUpperCase(),
      basicAuth: Buffer.from(`user:${secret}`).toString('base64'),
      basicAuth2: Buffer.from(`us:${secret}`).toString('base64'),
      url: encodeURIComponent(secret),
      json: JSON.stringify(secret).slice(1, -1)
    }
  }

  it.each(Object.keys(forms(KEY)))('redact() removes the %s form', form => {
    const encoded = forms(KEY)[form] as string
    const out = redact(`before ${encoded} after`, [KEY])
    expect(out).not.toContain(encoded)
    expect(out).toContain('***')
    expect(out.startsWith('before ')).toBe(true)
  })

  it('redact() leaves text without the key alone and is cheap on a huge text', () => {
    expect(redact('nothing secret here', [KEY])).toBe('nothing secret here')
    const huge = `${'x'.repeat(5_000_000)}${KEY}`
    const out = redact(huge, [KEY])
    expect(out.length).toBeLessThanOrEqual(301)
  })

  it('a key cut at the end of the searched part of a huge text leaves no prefix', () => {
    const text = `${' '.repeat(64 * 1024 - 10)}${KEY}${'y'.repeat(100)}`
    const out = redact(text, [KEY], Number.MAX_SAFE_INTEGER)
    expect(out).not.toContain(KEY.slice(0, 10))
  })

  it('a server echoing every form of the key: none is in the error', async () => {
    const all = Object.values(forms(KEY))
    const tiny = await tinyServer((_req, res) =>
      json(res, 400, { error: 'bad_key', message: all.join(' | ') })
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listChannels(APP))
    for (const text of [error.message, error.serverMessage ?? '', JSON.stringify(error)]) {
      for (const encoded of all) expect(text).not.toContain(encoded)
    }
  })
})
