import { redact } from '../src/capgo/errors.js'
import { describe, expect, it } from 'vitest'
import {
  INPUT_NAMES,
  SettingsError,
  isLoopbackHost,
  parseApiUrl,
  parseBoolean,
  parseDuration,
  parseList,
  parseWholeNumber,
  readSettings,
  type InputReader,
  type Settings
} from '../src/settings.js'

const KEY = 'sk_live_SECRET_123'
const APP = 'com.example.app'

/** An InputReader over a record; a missing input reads as '' like `core.getInput`. */
function inputsOf(values: Record<string, string>): InputReader {
  return name => values[name] ?? ''
}

function settingsOf(values: Record<string, string>): Settings {
  return readSettings(inputsOf({ api_key: KEY, app_id: APP, ...values }))
}

function errorOf(values: Record<string, string>): SettingsError {
  try {
    settingsOf(values)
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error(`expected a SettingsError for ${JSON.stringify(values)}`)
}

const DEFAULTS = {
  apiKey: KEY,
  appId: APP,
  apiUrl: 'https://api.capgo.app',
  channelFields: {},
  devices: [],
  unlinkDevices: [],
  deleteVersions: [],
  cleanupPattern: [],
  cleanupProtect: [],
  maxDelete: 100,
  deleteAllBundles: false,
  dryRun: false,
  concurrency: 4,
  retries: 3,
  timeoutMs: 30_000
} satisfies Settings

describe('the examples of ACTION.md', () => {
  it('promote on tag push: channel production, promote_from beta', () => {
    expect(settingsOf({ channel: 'production', promote_from: 'beta' })).toEqual({
      ...DEFAULTS,
      channel: 'production',
      promoteFrom: 'beta'
    })
  })

  it('a scheduled cleanup: cleanup_keep 20, cleanup_older_than 30d', () => {
    expect(settingsOf({ cleanup_keep: '20', cleanup_older_than: '30d' })).toEqual({
      ...DEFAULTS,
      cleanup: { keep: 20, olderThanMs: 30 * 86_400_000, olderThanText: '30d', order: 'created' }
    })
  })

  it('a pull request preview opens: channel pr-42, version, devices', () => {
    expect(
      settingsOf({ channel: 'pr-42', version: '1.4.2-pr.42', devices: 'ABC-1, def-2' })
    ).toEqual({
      ...DEFAULTS,
      channel: 'pr-42',
      version: '1.4.2-pr.42',
      devices: ['abc-1', 'def-2']
    })
  })

  it('a pull request preview closes: delete_channel pr-42, delete_versions', () => {
    expect(settingsOf({ delete_channel: 'pr-42', delete_versions: '1.4.2-pr.42' })).toEqual({
      ...DEFAULTS,
      deleteChannel: 'pr-42',
      deleteVersions: ['1.4.2-pr.42']
    })
  })

  it('delete_all_bundles confirmed with the app_id', () => {
    expect(settingsOf({ delete_all_bundles: APP })).toEqual({ ...DEFAULTS, deleteAllBundles: true })
  })

  it('many apps: any reverse-domain app_id', () => {
    for (const appId of [
      'com.example.app',
      'ee.forgr.capacitor_go',
      'io.ionic.starter-app',
      'a1.b'
    ]) {
      expect(readSettings(inputsOf({ api_key: KEY, app_id: appId, channel: 'x' })).appId).toBe(
        appId
      )
    }
  })
})

describe('defaults and reading', () => {
  it('applies the defaults of ACTION.md to empty inputs', () => {
    expect(settingsOf({ channel: 'beta' })).toEqual({ ...DEFAULTS, channel: 'beta' })
  })

  it('reads every input of the contract exactly once, and nothing else', () => {
    const reads: string[] = []
    readSettings(name => {
      reads.push(name)
      return ({ api_key: KEY, app_id: APP, channel: 'beta' } as Record<string, string>)[name] ?? ''
    })
    expect([...reads].sort()).toEqual([...INPUT_NAMES].sort())
  })

  it('trims every input; whitespace alone means not set', () => {
    const settings = settingsOf({
      api_key: `  ${KEY}\n`,
      app_id: ` ${APP} `,
      api_url: '  \n',
      channel: ' beta ',
      concurrency: ' 8 ',
      dry_run: '\ttrue\n'
    })
    expect(settings).toMatchObject({
      apiKey: KEY,
      appId: APP,
      apiUrl: 'https://api.capgo.app',
      channel: 'beta',
      concurrency: 8,
      dryRun: true
    })
  })

  it('reads every channel field, leaving out the ones not given', () => {
    const settings = settingsOf({
      channel: 'beta',
      public: 'True',
      disable_auto_update: 'version_number',
      disable_auto_update_under_native: 'FALSE',
      ios: 'true',
      allow_device_self_set: 'false',
      allow_emulator: 'TRUE',
      allow_dev: 'False'
    })
    expect(settings.channelFields).toEqual({
      public: true,
      disableAutoUpdate: 'version_number',
      disableAutoUpdateUnderNative: false,
      ios: true,
      allowDeviceSelfSet: false,
      allowEmulator: true,
      allowDev: false
    })
    expect(Object.keys(settings.channelFields)).not.toContain('android')
  })

  it('accepts every disable_auto_update value', () => {
    for (const value of ['major', 'minor', 'patch', 'version_number', 'none'] as const) {
      expect(
        settingsOf({ channel: 'b', disable_auto_update: value }).channelFields.disableAutoUpdate
      ).toBe(value)
    }
  })

  it('accepts the numeric bounds', () => {
    expect(
      settingsOf({ channel: 'b', concurrency: '1', retries: '0', max_delete: '0', timeout: '600' })
    ).toMatchObject({ concurrency: 1, retries: 0, maxDelete: 0, timeoutMs: 600_000 })
    expect(settingsOf({ channel: 'b', concurrency: '16', retries: '10' })).toMatchObject({
      concurrency: 16,
      retries: 10
    })
  })

  it('takes timeout in seconds, decimals allowed', () => {
    expect(settingsOf({ channel: 'b', timeout: '0.5' }).timeoutMs).toBe(500)
    expect(settingsOf({ channel: 'b', timeout: '.25' }).timeoutMs).toBe(250)
    expect(settingsOf({ channel: 'b', timeout: '12.5' }).timeoutMs).toBe(12_500)
  })

  it('allows max_delete 0 (nothing may be deleted)', () => {
    expect(settingsOf({ cleanup_keep: '5', max_delete: '0' }).maxDelete).toBe(0)
  })

  it('sets cleanup with cleanup_keep 0, only cleanup_older_than, and semver order', () => {
    expect(settingsOf({ cleanup_keep: '0' }).cleanup).toEqual({ keep: 0, order: 'created' })
    expect(settingsOf({ cleanup_older_than: '12h', cleanup_order: 'semver' }).cleanup).toEqual({
      olderThanMs: 12 * 3_600_000,
      olderThanText: '12h',
      order: 'semver'
    })
    expect(settingsOf({ channel: 'b' }).cleanup).toBeUndefined()
  })

  it('reads cleanup_pattern and cleanup_protect globs', () => {
    const settings = settingsOf({
      cleanup_keep: '3',
      cleanup_pattern: '1.*-beta.?\n1.*-rc.*',
      cleanup_protect: '*-lts, 2.0.0'
    })
    expect(settings.cleanupPattern).toEqual(['1.*-beta.?', '1.*-rc.*'])
    expect(settings.cleanupProtect).toEqual(['*-lts', '2.0.0'])
  })

  it('allows cleanup_protect without a cleanup (it also guards delete_all_bundles)', () => {
    expect(settingsOf({ delete_all_bundles: APP, cleanup_protect: '1.*' }).cleanupProtect).toEqual([
      '1.*'
    ])
  })

  it('allows unlink_devices alone', () => {
    expect(settingsOf({ unlink_devices: 'DEV-1' }).unlinkDevices).toEqual(['dev-1'])
  })
})

describe('api_url', () => {
  it.each([
    ['https://api.capgo.app', 'https://api.capgo.app'],
    ['https://api.capgo.app/', 'https://api.capgo.app'],
    ['HTTPS://API.Capgo.APP', 'https://api.capgo.app'],
    ['https://capgo.example.com/api/v1//', 'https://capgo.example.com/api/v1'],
    ['https://capgo.example.com:8443/', 'https://capgo.example.com:8443'],
    ['http://localhost:8787/', 'http://localhost:8787'],
    ['http://127.0.0.1:54321/functions/v1', 'http://127.0.0.1:54321/functions/v1'],
    ['http://127.10.20.30', 'http://127.10.20.30'],
    ['http://[::1]:3000/', 'http://[::1]:3000']
  ])('accepts %s as %s', (input, expected) => {
    expect(settingsOf({ channel: 'b', api_url: input }).apiUrl).toBe(expected)
    expect(parseApiUrl(input)).toEqual({ ok: true, url: expected })
  })

  it('knows the loopback hosts', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.255.255', '[::1]', '::1']) {
      expect(isLoopbackHost(host)).toBe(true)
    }
    for (const host of ['10.0.0.1', '128.0.0.1', '127.0.0.256', 'localhost.evil.com', '[::2]']) {
      expect(isLoopbackHost(host)).toBe(false)
    }
  })

  it('never shows credentials found in the URL', () => {
    const error = errorOf({ channel: 'b', api_url: 'https://admin:hunter2@api.capgo.app' })
    expect(error.message).toContain('"api_url"')
    expect(error.message).not.toContain('hunter2')
    expect(error.message).toContain('credentials')
  })

  it('masks a password that holds an @ as well', () => {
    const error = errorOf({ channel: 'b', api_url: 'https://admin:p@ss@api.capgo.app/x' })
    expect(error.message).toContain('"https://***@api.capgo.app/x"')
  })
})

describe('lists', () => {
  it('splits on commas, newlines and CRLF, trims, drops blanks and duplicates in order', () => {
    expect(parseList('1.0.0, 1.0.1\n1.0.2\r\n\r\n 1.0.3 ,,1.0.1\n')).toEqual([
      '1.0.0',
      '1.0.1',
      '1.0.2',
      '1.0.3'
    ])
    expect(parseList('')).toEqual([])
    expect(parseList(' , \n , ')).toEqual([])
  })

  it('keeps the case of versions and lowercases device ids before removing duplicates', () => {
    expect(parseList('A,a')).toEqual(['A', 'a'])
    expect(parseList('ABC-1\nabc-1, Def', { lowercase: true })).toEqual(['abc-1', 'def'])
    expect(settingsOf({ channel: 'b', devices: 'ABC-1\r\nabc-1,\nXyZ' }).devices).toEqual([
      'abc-1',
      'xyz'
    ])
  })

  it('parses every list input', () => {
    const settings = settingsOf({
      channel: 'b',
      devices: 'D1,D2',
      unlink_devices: 'D3\nd3',
      delete_versions: '1.0.0\n1.0.0, 1.0.1'
    })
    expect(settings).toMatchObject({
      devices: ['d1', 'd2'],
      unlinkDevices: ['d3'],
      deleteVersions: ['1.0.0', '1.0.1']
    })
  })
})

describe('durations', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['2w', 2 * 604_800_000],
    ['1m', 60_000]
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ms, text })
    expect(settingsOf({ cleanup_older_than: text }).cleanup).toEqual({
      olderThanMs: ms,
      olderThanText: text,
      order: 'created'
    })
  })

  it.each(['', '30', 'd', '0d', '-1d', '1.5d', '30 d', '30D', '1y', '1s', 'd30', '30dd', '1e3d'])(
    'rejects %j',
    text => {
      expect(parseDuration(text)).toBeUndefined()
    }
  )

  it('rejects a duration too large to count in milliseconds', () => {
    expect(parseDuration('99999999999999999w')).toBeUndefined()
  })
})

describe('small parsers', () => {
  it('parseBoolean takes the YAML 1.2 core schema booleans only', () => {
    for (const text of ['true', 'True', 'TRUE']) expect(parseBoolean(text)).toBe(true)
    for (const text of ['false', 'False', 'FALSE']) expect(parseBoolean(text)).toBe(false)
    for (const text of ['yes', 'no', '1', '0', 'on', 'tRUE', 'y', '']) {
      expect(parseBoolean(text)).toBeUndefined()
    }
  })

  it('parseWholeNumber takes digits only', () => {
    expect(parseWholeNumber('0')).toBe(0)
    expect(parseWholeNumber('042')).toBe(42)
    for (const text of ['', '-1', '+1', '1.0', '1e2', '1 0', '0x10', '99999999999999999999']) {
      expect(parseWholeNumber(text)).toBeUndefined()
    }
  })

  it('redact masks every occurrence of each secret', () => {
    expect(redact(`a ${KEY} b ${KEY}`, [KEY])).toBe('a *** b ***')
    expect(redact('nothing here', [])).toBe('nothing here')
  })
})

/** A valid run with something to do; each case below breaks one thing. */
const VALID = { channel: 'beta' }

const BAD_INPUTS: [string, Record<string, string>, string][] = [
  // api_key and app_id
  ['api_key missing', { api_key: '' }, 'api_key'],
  ['api_key with a Bearer prefix', { api_key: `Bearer ${KEY}` }, 'api_key'],
  ['api_key with a lowercase bearer prefix', { api_key: `bearer ${KEY}` }, 'api_key'],
  ['api_key with a space inside', { api_key: `${KEY} ${KEY}` }, 'api_key'],
  ['api_key with a line break inside', { api_key: `${KEY}\nsecond_line` }, 'api_key'],
  ['app_id missing', { app_id: '' }, 'app_id'],
  ['app_id without a dot', { app_id: 'example' }, 'app_id'],
  ['app_id with an empty part', { app_id: 'com..app' }, 'app_id'],
  ['app_id starting with a dash', { app_id: '-com.example' }, 'app_id'],
  ['app_id with a slash', { app_id: 'com.example/app' }, 'app_id'],
  // api_url
  ['api_url not absolute', { api_url: 'api.capgo.app' }, 'api_url'],
  ['api_url over plain http', { api_url: 'http://api.capgo.app' }, 'api_url'],
  ['api_url over http to a private address', { api_url: 'http://10.0.0.1:8080' }, 'api_url'],
  [
    'api_url over http to a localhost look-alike',
    { api_url: 'http://localhost.evil.com' },
    'api_url'
  ],
  ['api_url with another scheme', { api_url: 'ftp://localhost/capgo' }, 'api_url'],
  ['api_url with credentials', { api_url: 'https://user:pw@api.capgo.app' }, 'api_url'],
  ['api_url with a query', { api_url: 'https://api.capgo.app/?region=eu' }, 'api_url'],
  ['api_url with an empty query', { api_url: 'https://api.capgo.app/?' }, 'api_url'],
  ['api_url with a fragment', { api_url: 'https://api.capgo.app/#top' }, 'api_url'],
  ['api_url with a line break inside', { api_url: 'https://api.cap\ngo.app' }, 'api_url'],
  // single names
  ['channel with a comma', { channel: 'beta,production' }, 'channel'],
  ['channel with a space', { channel: 'pr 42' }, 'channel'],
  ['channel with a line break', { channel: 'beta\nproduction' }, 'channel'],
  ['channel longer than 128 characters', { channel: 'c'.repeat(129) }, 'channel'],
  ['version with a space', { version: '1.0 .0' }, 'version'],
  ['version listing two bundles', { version: '1.0.0,1.0.1' }, 'version'],
  ['promote_from with a comma', { promote_from: 'alpha,beta2' }, 'promote_from'],
  ['delete_channel with a space', { channel: '', delete_channel: 'pr 42' }, 'delete_channel'],
  // booleans and choices
  ['public as yes', { public: 'yes' }, 'public'],
  ['public in mixed case', { public: 'tRue' }, 'public'],
  ['ios as 1', { ios: '1' }, 'ios'],
  ['allow_emulator as on', { allow_emulator: 'on' }, 'allow_emulator'],
  ['dry_run as no', { dry_run: 'no' }, 'dry_run'],
  ['disable_auto_update in capitals', { disable_auto_update: 'Major' }, 'disable_auto_update'],
  ['disable_auto_update unknown', { disable_auto_update: 'always' }, 'disable_auto_update'],
  ['cleanup_order unknown', { cleanup_keep: '5', cleanup_order: 'newest' }, 'cleanup_order'],
  // numbers
  ['concurrency not a number', { concurrency: 'abc' }, 'concurrency'],
  ['concurrency 0', { concurrency: '0' }, 'concurrency'],
  ['concurrency above 16', { concurrency: '17' }, 'concurrency'],
  ['concurrency with a sign', { concurrency: '+4' }, 'concurrency'],
  ['concurrency with decimals', { concurrency: '4.0' }, 'concurrency'],
  ['concurrency with an exponent', { concurrency: '1e1' }, 'concurrency'],
  ['concurrency with a space inside', { concurrency: '1 6' }, 'concurrency'],
  ['retries negative', { retries: '-1' }, 'retries'],
  ['retries above 10', { retries: '11' }, 'retries'],
  ['max_delete negative', { max_delete: '-5' }, 'max_delete'],
  ['max_delete with decimals', { max_delete: '1.5' }, 'max_delete'],
  ['cleanup_keep in words', { cleanup_keep: 'ten' }, 'cleanup_keep'],
  ['timeout 0', { timeout: '0' }, 'timeout'],
  ['timeout negative', { timeout: '-1' }, 'timeout'],
  ['timeout above 600', { timeout: '601' }, 'timeout'],
  ['timeout with an exponent', { timeout: '1e2' }, 'timeout'],
  ['timeout with a unit', { timeout: '30s' }, 'timeout'],
  ['timeout rounding to 0 ms', { timeout: '0.0001' }, 'timeout'],
  // durations
  ['cleanup_older_than without a unit', { cleanup_older_than: '30' }, 'cleanup_older_than'],
  ['cleanup_older_than of 0', { cleanup_older_than: '0d' }, 'cleanup_older_than'],
  ['cleanup_older_than negative', { cleanup_older_than: '-1d' }, 'cleanup_older_than'],
  ['cleanup_older_than with decimals', { cleanup_older_than: '1.5d' }, 'cleanup_older_than'],
  ['cleanup_older_than with a space', { cleanup_older_than: '30 d' }, 'cleanup_older_than'],
  ['cleanup_older_than in years', { cleanup_older_than: '1y' }, 'cleanup_older_than'],
  // lists
  ['devices with a space inside an id', { devices: 'abc def, ghi' }, 'devices'],
  ['unlink_devices with a space inside an id', { unlink_devices: 'abc def' }, 'unlink_devices'],
  ['delete_versions with a space inside', { delete_versions: '1.0.0, 1.0 .1' }, 'delete_versions'],
  [
    'cleanup_pattern with a space inside',
    { cleanup_keep: '1', cleanup_pattern: '1.* beta' },
    'cleanup_pattern'
  ],
  ['cleanup_protect with a space inside', { cleanup_protect: 'keep me' }, 'cleanup_protect'],
  // contradictions
  ['version with promote_from', { version: '1.0.0', promote_from: 'alpha' }, 'version'],
  ['version without channel', { channel: '', version: '1.0.0', cleanup_keep: '3' }, 'version'],
  [
    'promote_from without channel',
    { channel: '', promote_from: 'beta', cleanup_keep: '3' },
    'promote_from'
  ],
  ['promote_from equal to channel', { promote_from: 'beta' }, 'promote_from'],
  ['devices without channel', { channel: '', devices: 'abc', cleanup_keep: '3' }, 'devices'],
  ['public without channel', { channel: '', public: 'true', cleanup_keep: '3' }, 'public'],
  [
    'disable_auto_update without channel',
    { channel: '', disable_auto_update: 'none', cleanup_keep: '3' },
    'disable_auto_update'
  ],
  [
    'allow_dev without channel',
    { channel: '', allow_dev: 'false', cleanup_keep: '3' },
    'allow_dev'
  ],
  ['delete_channel equal to channel', { delete_channel: 'beta' }, 'delete_channel'],
  [
    'the same device linked and unlinked',
    { devices: 'ABC, def', unlink_devices: 'abc' },
    'devices'
  ],
  ['delete_all_bundles not the app_id', { delete_all_bundles: 'true' }, 'delete_all_bundles'],
  [
    'delete_all_bundles in another case',
    { delete_all_bundles: APP.toUpperCase() },
    'delete_all_bundles'
  ],
  ['cleanup_pattern without a cleanup', { cleanup_pattern: '1.*' }, 'cleanup_pattern'],
  ['ios and android both false', { ios: 'false', android: 'FALSE' }, 'ios'],
  ['nothing to do', { channel: '' }, 'channel'],
  [
    'nothing to do with only blank delete_versions',
    { channel: '', delete_versions: ' ,\n, ' },
    'channel'
  ],
  ['nothing to do with only cleanup_protect', { channel: '', cleanup_protect: '1.*' }, 'channel'],
  // the API key echoed in other inputs
  ['the key echoed in channel', { channel: `${KEY} x` }, 'channel'],
  [
    'the key as both channel and delete_channel',
    { channel: KEY, delete_channel: KEY },
    'delete_channel'
  ],
  ['the key as app_id', { app_id: KEY }, 'app_id'],
  ['the key in delete_all_bundles', { delete_all_bundles: KEY }, 'delete_all_bundles'],
  ['the key in devices', { devices: `${KEY} x` }, 'devices'],
  ['the key in api_url', { api_url: `https://${KEY}@api.capgo.app` }, 'api_url'],
  ['the key in a long value', { channel: `${'x'.repeat(190)}${KEY} y` }, 'channel']
]

describe('bad inputs', () => {
  it('has at least 45 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(45)
  })

  it.each(BAD_INPUTS)('%s', (_name, values, input) => {
    let caught: unknown
    try {
      settingsOf({ ...VALID, ...values })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(SettingsError)
    const error = caught as SettingsError
    expect(error.input).toBe(input)
    expect(error.message).toContain(`"${input}"`)
    expect(error.message).not.toContain(KEY)
    for (const problem of error.problems) expect(problem.message).not.toContain(KEY)
  })

  it('quotes the bad value and says what is accepted', () => {
    expect(errorOf({ channel: 'b', concurrency: 'abc' }).message).toBe(
      'Input "concurrency" must be a whole number from 1 to 16; got "abc".'
    )
  })

  it('replaces the echoed key with ***', () => {
    const error = errorOf({ channel: KEY, delete_channel: KEY })
    expect(error.message).toContain('***')
    expect(error.message).not.toContain(KEY)
  })

  it('redacts the key found behind a Bearer prefix in other inputs too', () => {
    const error = errorOf({ api_key: `Bearer ${KEY}`, channel: `${KEY},x` })
    expect(error.problems.map(problem => problem.input)).toEqual(['api_key', 'channel'])
    expect(error.message).not.toContain(KEY)
    expect(error.message).toContain('Bearer')
  })

  it('lists every problem on its own line, naming its input; input is the first', () => {
    const error = errorOf({ channel: 'b', public: 'maybe', concurrency: '0', retries: 'x' })
    const lines = error.message.split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('"public"')
    expect(lines[1]).toContain('"concurrency"')
    expect(lines[2]).toContain('"retries"')
    expect(error.input).toBe('public')
    expect(error.name).toBe('SettingsError')
    expect(error).toBeInstanceOf(Error)
  })

  it('names every channel field given without channel in one line', () => {
    const error = errorOf({ cleanup_keep: '1', public: 'true', allow_dev: 'false' })
    expect(error.message).toContain('"public", "allow_dev"')
    expect(error.message).toContain('"channel"')
  })

  it('says delete_all_bundles must be exactly the app_id', () => {
    expect(errorOf({ delete_all_bundles: 'yes' }).message).toContain('exactly the app_id')
  })

  it('lists the inputs that give the run something to do', () => {
    const message = errorOf({}).message
    for (const input of [
      'channel',
      'delete_channel',
      'delete_versions',
      'unlink_devices',
      'cleanup_keep',
      'cleanup_older_than',
      'delete_all_bundles'
    ]) {
      expect(message).toContain(`"${input}"`)
    }
  })
})
