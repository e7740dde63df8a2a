import { redact } from '../src/secrets.js'
import { describe, expect, it } from 'vitest'
import {
  INPUT_DEFAULTS,
  INPUT_NAMES,
  SettingsError,
  editDistance,
  inputVariable,
  nearestInput,
  parseShare,
  unknownInputMessages,
  unknownInputs,
  isLoopbackHost,
  parseApiUrl,
  parseBoolean,
  parseDuration,
  parseList,
  parseWholeNumber,
  readSettings,
  type InputReader,
  type Settings
} from '../src/settings/index.js'

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
  createChannel: 'auto',
  compatibility: 'fail',
  channelFields: {},
  devices: [],
  unlinkDevices: [],
  deleteVersions: [],
  cleanupPattern: [],
  cleanupProtect: [],
  maxDelete: 100,
  deleteAllBundles: false,
  platforms: {},
  rollback: false,
  github: { token: '', deployment: false, prComment: false },
  dryRun: false,
  concurrency: 4,
  retries: 3,
  timeoutMs: 30_000
} satisfies Settings

/** The GitHub settings of a run on `channel` without GitHub inputs: the default environment. */
function githubOn(channel: string, extra: Partial<Settings['github']> = {}): Settings['github'] {
  return { ...DEFAULTS.github, environment: `capgo/${APP}/${channel}`, ...extra }
}

describe('the examples of docs/contract.md', () => {
  it('promote on tag push: channel production, promote_from beta', () => {
    expect(settingsOf({ channel: 'production', promote_from: 'beta' })).toEqual({
      ...DEFAULTS,
      channel: 'production',
      promoteFrom: 'beta',
      github: githubOn('production')
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
      devices: ['abc-1', 'def-2'],
      github: githubOn('pr-42')
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
  it('applies the defaults of docs/contract.md to empty inputs', () => {
    expect(settingsOf({ channel: 'beta' })).toEqual({
      ...DEFAULTS,
      channel: 'beta',
      github: githubOn('beta')
    })
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
      allow_device_self_set: 'false',
      allow_emulator: 'TRUE',
      allow_dev: 'False'
    })
    expect(settings.channelFields).toEqual({
      public: true,
      disableAutoUpdate: 'version_number',
      disableAutoUpdateUnderNative: false,
      allowDeviceSelfSet: false,
      allowEmulator: true,
      allowDev: false
    })
    expect(settings.platforms).toEqual({})
  })

  it('reads ios, android and electron as platforms, apart from the channel fields', () => {
    const settings = settingsOf({ channel: 'beta', ios: 'true', electron: 'False' })
    expect(settings.platforms).toEqual({ ios: true, electron: false })
    expect(settings.channelFields).toEqual({})
    expect(settingsOf({ channel: 'beta', android: 'TRUE' }).platforms).toEqual({ android: true })
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

// ---- the inputs of this round: rollouts, bundle link/comment, GitHub, unknown inputs ---------

const TOKEN = 'ghs_TOKEN_0123456789'

describe('the examples of the README: staged rollouts, releases, previews', () => {
  it('a staged rollout starts on tag push: promote_from beta with rollout_steps', () => {
    const settings = settingsOf({
      channel: 'production',
      promote_from: 'beta',
      rollout_steps: '5,25,50,100'
    })
    expect(settings).toEqual({
      ...DEFAULTS,
      channel: 'production',
      promoteFrom: 'beta',
      rollout: { steps: [5, 25, 50, 100], promote: false, abort: false },
      github: githubOn('production')
    })
  })

  it('a schedule advances it with rollout_steps alone', () => {
    expect(settingsOf({ channel: 'production', rollout_steps: '5,25,50,100' }).rollout).toEqual({
      steps: [5, 25, 50, 100],
      promote: false,
      abort: false
    })
  })

  it('a manual workflow aborts it', () => {
    expect(settingsOf({ channel: 'production', rollout_abort: 'true' }).rollout).toEqual({
      promote: false,
      abort: true
    })
  })

  it('another one rolls back, with the token of the workflow', () => {
    const settings = settingsOf({ channel: 'production', rollback: 'true', github_token: TOKEN })
    expect(settings).toEqual({
      ...DEFAULTS,
      channel: 'production',
      rollback: true,
      github: githubOn('production', { token: TOKEN })
    })
  })

  it('a scheduled cleanup keeps the last 3 releases of each channel', () => {
    expect(
      settingsOf({
        cleanup_keep: '20',
        cleanup_older_than: '30d',
        cleanup_keep_releases: '3',
        github_token: TOKEN
      })
    ).toEqual({
      ...DEFAULTS,
      cleanup: { keep: 20, olderThanMs: 30 * 86_400_000, olderThanText: '30d', order: 'created' },
      cleanupKeepReleases: 3,
      github: { ...DEFAULTS.github, token: TOKEN }
    })
  })

  it('a pull request preview with its comment, opened and closed', () => {
    const open = settingsOf({
      channel: 'pr-42',
      version: '1.4.2-pr.42',
      devices: 'abc-1',
      pr_comment: 'true',
      github_token: TOKEN
    })
    expect(open.github).toEqual(githubOn('pr-42', { token: TOKEN, prComment: true }))
    const close = settingsOf({
      delete_channel: 'pr-42',
      delete_versions: '1.4.2-pr.42',
      pr_comment: 'true',
      github_token: TOKEN
    })
    expect(close).toEqual({
      ...DEFAULTS,
      deleteChannel: 'pr-42',
      deleteVersions: ['1.4.2-pr.42'],
      github: { ...DEFAULTS.github, token: TOKEN, prComment: true }
    })
  })
})

describe('reading the new inputs', () => {
  it('reads every one of them', () => {
    const settings = settingsOf({
      channel: 'production',
      promote_from: 'beta',
      rollout_percentage: '12.5',
      rollout_pause: 'true',
      electron: 'true',
      bundle_link: 'https://github.com/o/r/commit/abc123',
      bundle_comment: 'Release 1.4.0, with the fix for #12',
      github_token: ` ${TOKEN}\n`,
      github_deployment: 'True',
      github_environment: 'production-app',
      cleanup_keep: '20',
      cleanup_keep_releases: '3',
      pr_comment: 'TRUE'
    })
    expect(settings).toMatchObject({
      platforms: { electron: true },
      rollout: { percentage: 12.5, pause: true, promote: false, abort: false },
      bundleLink: 'https://github.com/o/r/commit/abc123',
      bundleComment: 'Release 1.4.0, with the fix for #12',
      cleanupKeepReleases: 3,
      rollback: false,
      github: {
        token: TOKEN,
        deployment: true,
        environment: 'production-app',
        prComment: true
      }
    })
  })

  it('github_token has no default of its own: the runner fills ${{ github.token }}', () => {
    expect(settingsOf({ channel: 'b' }).github.token).toBe('')
    expect(Object.keys(INPUT_DEFAULTS)).not.toContain('github_token')
    expect(INPUT_DEFAULTS).toMatchObject({ github_deployment: 'false', pr_comment: 'false' })
  })

  it('github_environment defaults to capgo/<app_id>/<channel>, and to nothing without channel', () => {
    expect(settingsOf({ channel: 'beta' }).github.environment).toBe(`capgo/${APP}/beta`)
    expect(settingsOf({ cleanup_keep: '3' }).github.environment).toBeUndefined()
  })

  it.each([
    [{ rollout_percentage: '0' }, { percentage: 0, promote: false, abort: false }],
    [{ rollout_percentage: '100' }, { percentage: 100, promote: false, abort: false }],
    [{ rollout_percentage: '33.33' }, { percentage: 33.33, promote: false, abort: false }],
    [
      { rollout_steps: '0.5, 12.25\n100' },
      { steps: [0.5, 12.25, 100], promote: false, abort: false }
    ],
    [{ rollout_promote: 'true' }, { promote: true, abort: false }],
    [{ rollout_pause: 'false' }, { pause: false, promote: false, abort: false }],
    [{ rollout_promote: 'false' }, undefined],
    [{ rollout_abort: 'FALSE' }, undefined],
    [{}, undefined]
  ])('rollout inputs %j read as %j', (values, rollout) => {
    expect(settingsOf({ channel: 'production', ...values }).rollout).toEqual(rollout)
  })
})

describe('shares and steps', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['100', 100],
    ['12.5', 12.5],
    ['0.01', 0.01],
    ['99.99', 99.99],
    ['100.00', 100],
    ['007', 7]
  ])('parseShare accepts %j as %d', (text, value) => {
    expect(parseShare(text)).toBe(value)
  })

  it.each([
    '',
    '-1',
    '100.01',
    '101',
    '1000',
    '12.345',
    '.5',
    '5.',
    '5%',
    '1e1',
    ' 5',
    'half',
    '0x10'
  ])('parseShare refuses %j (0..100, two decimals at most)', text => {
    expect(parseShare(text)).toBeUndefined()
  })

  it.each(['101', '12.345', '-5', 'ten', '50%'])(
    'rollout_percentage %j is bad input naming the input and the value',
    value => {
      const error = errorOf({ channel: 'production', rollout_percentage: value })
      expect(error.input).toBe('rollout_percentage')
      expect(error.message).toContain('"rollout_percentage"')
      expect(error.message).toContain(JSON.stringify(value))
    }
  )

  it.each([
    ['5,5,50', 'a share twice'],
    ['50,25', 'descending'],
    ['5,50,25,100', 'down in the middle'],
    ['0,5,100', 'a step of 0'],
    ['5,101', 'above 100'],
    ['5,abc', 'not a number'],
    ['5,12.345', 'three decimals']
  ])('rollout_steps %j is bad input (%s): ascending strictly, each above 0', value => {
    const error = errorOf({ channel: 'production', rollout_steps: value })
    expect(error.input).toBe('rollout_steps')
    expect(error.problems).toHaveLength(1)
  })

  it('a single step is a valid list', () => {
    expect(settingsOf({ channel: 'production', rollout_steps: '100' }).rollout?.steps).toEqual([
      100
    ])
  })
})

/**
 * The contradictions of the README's "One run", step 1, and the project's own. Each row: the
 * inputs that contradict, the input the problem is reported on, the inputs the message names, and
 * a change that removes the contradiction (which must then read fine, so that the row fails for
 * this rule and no other).
 */
const CONTRADICTIONS: {
  name: string
  values: Record<string, string>
  input: string
  names: string[]
  fix: Record<string, string>
}[] = [
  ...(
    [
      ['rollout_percentage', '5'],
      ['rollout_steps', '5,50'],
      ['rollout_pause', 'true']
    ] as const
  ).map(([input, value]) => ({
    name: `${input} without channel`,
    values: { channel: '', cleanup_keep: '3', [input]: value },
    input,
    names: [input, 'channel'],
    fix: { channel: 'production' }
  })),
  ...(['rollout_promote', 'rollout_abort'] as const).map(input => ({
    name: `${input} without channel`,
    values: { channel: '', cleanup_keep: '3', [input]: 'true' },
    input,
    names: [input, 'channel'],
    fix: { channel: 'production' }
  })),
  {
    name: 'rollout_pause false (resume) without channel',
    values: { channel: '', cleanup_keep: '3', rollout_pause: 'false' },
    input: 'rollout_pause',
    names: ['rollout_pause', 'channel'],
    fix: { channel: 'production' }
  },
  {
    name: 'rollout_percentage with rollout_steps',
    values: { rollout_percentage: '10', rollout_steps: '5,50' },
    input: 'rollout_percentage',
    names: ['rollout_percentage', 'rollout_steps'],
    fix: { rollout_steps: '' }
  },
  {
    name: 'rollout_promote with rollout_abort',
    values: { rollout_promote: 'true', rollout_abort: 'true' },
    input: 'rollout_abort',
    names: ['rollout_abort', 'rollout_promote'],
    fix: { rollout_promote: 'false' }
  },
  ...(['rollout_promote', 'rollout_abort'] as const).flatMap(ender =>
    (
      [
        ['version', '1.0.0'],
        ['promote_from', 'beta'],
        ['rollout_percentage', '50'],
        ['rollout_steps', '5,50'],
        ['rollout_pause', 'true']
      ] as const
    ).map(([other, value]) => ({
      name: `${ender} with ${other}`,
      values: { [ender]: 'true', [other]: value },
      input: ender,
      names: [ender, other],
      fix: { [ender]: '' }
    }))
  ),
  ...(
    [
      ['version', '1.0.0'],
      ['promote_from', 'beta'],
      ['rollout_percentage', '50'],
      ['rollout_steps', '5,50'],
      ['rollout_promote', 'true'],
      ['rollout_abort', 'true'],
      ['rollout_pause', 'true']
    ] as const
  ).map(([other, value]) => ({
    name: `rollback with ${other}`,
    values: { rollback: 'true', github_token: TOKEN, [other]: value },
    input: 'rollback',
    names: ['rollback', other],
    fix: { rollback: 'false' }
  })),
  {
    name: 'rollback without github_token',
    values: { rollback: 'true' },
    input: 'rollback',
    names: ['rollback', 'github_token'],
    fix: { github_token: TOKEN }
  },
  {
    name: 'rollback without channel',
    values: { channel: '', cleanup_keep: '3', rollback: 'true', github_token: TOKEN },
    input: 'rollback',
    names: ['rollback', 'channel'],
    fix: { channel: 'production' }
  },
  {
    name: 'cleanup_keep_releases without github_token',
    values: { cleanup_keep: '5', cleanup_keep_releases: '3' },
    input: 'cleanup_keep_releases',
    names: ['cleanup_keep_releases', 'github_token'],
    fix: { github_token: TOKEN }
  },
  {
    name: 'cleanup_keep_releases without any deletion',
    values: { cleanup_keep_releases: '3', github_token: TOKEN },
    input: 'cleanup_keep_releases',
    names: [
      'cleanup_keep_releases',
      'cleanup_keep',
      'cleanup_older_than',
      'delete_versions',
      'delete_all_bundles'
    ],
    fix: { delete_versions: '1.0.0' }
  },
  {
    name: 'rollout_pause with rollout_steps',
    values: { rollout_pause: 'true', rollout_steps: '5,50' },
    input: 'rollout_pause',
    names: ['rollout_pause', 'rollout_steps'],
    fix: { rollout_pause: '' }
  },
  ...(['bundle_link', 'bundle_comment'] as const).map(input => ({
    name: `${input} without channel`,
    values: {
      channel: '',
      cleanup_keep: '3',
      [input]: input === 'bundle_link' ? 'https://example.com/c/1' : 'a comment'
    },
    input,
    names: [input, 'channel'],
    fix: { channel: 'production' }
  })),
  {
    name: 'pr_comment without channel or delete_channel',
    values: { channel: '', cleanup_keep: '3', pr_comment: 'true', github_token: TOKEN },
    input: 'pr_comment',
    names: ['pr_comment', 'channel', 'delete_channel'],
    fix: { delete_channel: 'pr-42' }
  },
  {
    name: 'pr_comment without github_token',
    values: { pr_comment: 'true' },
    input: 'pr_comment',
    names: ['pr_comment', 'github_token'],
    fix: { github_token: TOKEN }
  },
  {
    name: 'github_deployment without github_token',
    values: { github_deployment: 'true' },
    input: 'github_deployment',
    names: ['github_deployment', 'github_token'],
    fix: { github_token: TOKEN }
  },
  ...(['ios', 'android', 'electron'] as const).map(input => ({
    name: `${input} without channel`,
    values: { channel: '', cleanup_keep: '3', [input]: 'true' },
    input,
    names: [input, 'channel'],
    fix: { channel: 'production' }
  }))
]

describe('contradictions are bad input, naming the inputs', () => {
  it.each(CONTRADICTIONS)('$name', ({ values, input, names, fix }) => {
    const base = { channel: 'production', ...values }
    const error = errorOf(base)
    expect(error.problems.map(p => p.input)).toEqual([input])
    for (const name of names) expect(error.message).toContain(`"${name}"`)
    expect(error.message).not.toContain(TOKEN)
    // Without the contradiction, the same inputs are fine.
    expect(() => settingsOf({ ...base, ...fix })).not.toThrow()
  })

  it('rollout_promote false is no rollout input: it goes with version', () => {
    expect(
      settingsOf({ channel: 'production', version: '1.0.0', rollout_promote: 'false' }).rollout
    ).toBeUndefined()
  })

  it('platforms are checked only as given: one false platform is fine, all three false is not', () => {
    expect(settingsOf({ channel: 'b', ios: 'false' }).platforms).toEqual({ ios: false })
    expect(
      settingsOf({ channel: 'b', ios: 'false', android: 'false', electron: 'true' }).platforms
    ).toEqual({ ios: false, android: false, electron: true })
    expect(errorOf({ channel: 'b', ios: 'false', android: 'false', electron: 'false' }).input).toBe(
      'ios'
    )
  })

  it.each([
    ['cleanup_keep_releases', '0'],
    ['cleanup_keep_releases', '101'],
    ['cleanup_keep_releases', 'three'],
    ['rollback', 'yes'],
    ['rollout_promote', '1'],
    ['rollout_abort', 'on'],
    ['rollout_pause', 'paused'],
    ['electron', 'yes'],
    ['github_deployment', 'on'],
    ['pr_comment', 'y'],
    ['bundle_link', 'not a url'],
    ['bundle_link', 'ftp://example.com/x'],
    ['bundle_link', `https://example.com/${'x'.repeat(2048)}`],
    ['bundle_comment', 'c'.repeat(1001)],
    ['github_environment', 'e'.repeat(256)]
  ])('%s %j is bad input', (input, value) => {
    const error = errorOf({
      channel: 'production',
      cleanup_keep: '5',
      github_token: TOKEN,
      [input]: value
    })
    expect(error.problems.map(p => p.input)).toEqual([input])
  })

  it('never shows the GitHub token, even echoed in another input', () => {
    const error = errorOf({ channel: `${TOKEN} x`, github_token: TOKEN })
    expect(error.input).toBe('channel')
    expect(error.message).not.toContain(TOKEN)
    expect(error.message).toContain('***')
  })
})

describe('unknown inputs are refused, naming the nearest declared one', () => {
  const declared = INPUT_NAMES.map(inputVariable)
  const withUnknown = (key: string): SettingsError => {
    try {
      readSettings(inputsOf({ api_key: KEY, app_id: APP, channel: 'beta' }), {
        variableNames: ['PATH', 'GITHUB_TOKEN', ...declared, inputVariable(key)]
      })
    } catch (error) {
      if (error instanceof SettingsError) return error
      throw error
    }
    throw new Error(`expected ${key} to be refused`)
  }

  it.each([
    ['dryrun', 'dry_run'],
    ['dryRun', 'dry_run'],
    ['dry-run', 'dry_run'],
    ['cleanup-keep', 'cleanup_keep'],
    ['channnel', 'channel'],
    ['chanel', 'channel'],
    ['promote-from', 'promote_from'],
    ['api_kye', 'api_key'],
    ['apikey', 'api_key'],
    ['delete_version', 'delete_versions'],
    ['rollout_step', 'rollout_steps'],
    ['rollout-percentage', 'rollout_percentage'],
    ['electorn', 'electron'],
    ['maxdelete', 'max_delete'],
    ['github-token', 'github_token'],
    ['clean_keep_releases', 'cleanup_keep_releases']
  ])('%j: did you mean %j?', (key, nearest) => {
    expect(nearestInput(key)).toBe(nearest)
    const error = withUnknown(key)
    expect(error.problems).toHaveLength(1)
    expect(error.message).toContain(`"${inputVariable(key).slice('INPUT_'.length).toLowerCase()}"`)
    expect(error.message).toContain(`did you mean "${nearest}"`)
  })

  it('a key that differs only in case or spaces is the same input to the runner', () => {
    expect(inputVariable('Dry Run')).toBe(inputVariable('dry_run'))
    expect(unknownInputs([inputVariable('Cleanup Older Than'), inputVariable('DRY_RUN')])).toEqual(
      []
    )
  })

  it('a typo of dry_run does not let the run go on as a real one', () => {
    expect(() =>
      readSettings(inputsOf({ api_key: KEY, app_id: APP, channel: 'beta' }), {
        variableNames: ['INPUT_DRYRUN']
      })
    ).toThrow(SettingsError)
  })

  it('every declared input, and variables that are not inputs, are accepted', () => {
    expect(unknownInputs([...declared, 'PATH', 'RUNNER_TEMP', 'GITHUB_INPUT_X'])).toEqual([])
    expect(
      readSettings(inputsOf({ api_key: KEY, app_id: APP, channel: 'beta' }), {
        variableNames: [...declared, 'PATH']
      }).channel
    ).toBe('beta')
  })

  it('a variable in lower case is not read by the runner: the message says so, not "did you mean" itself', () => {
    const [message] = unknownInputMessages(['INPUT_dry_run'])
    expect(message).toContain('INPUT_dry_run is not read')
    expect(message).toContain('INPUT_DRY_RUN')
    expect(message).not.toContain('did you mean')
  })

  it('a name far from every input gets no suggestion, and says where such a variable comes from', () => {
    const [message] = unknownInputMessages(['INPUT_FOO'])
    expect(message).toContain('Input "foo" is not an input of this action.')
    expect(message).not.toContain('did you mean')
    expect(message).toContain('"env:" block')
  })

  it.each(['unknown', 'builtin'])('version %j is refused: Capgo reads it as "unlink"', name => {
    expect(() =>
      readSettings(inputsOf({ api_key: KEY, app_id: APP, channel: 'beta', version: name }))
    ).toThrow(/cannot be "(unknown|builtin)".*unlink/)
  })

  it('unknownInputs lists every unknown key, lowercased and sorted', () => {
    expect(unknownInputs(['INPUT_ZETA', 'INPUT_DRY_RUN', 'INPUT_DRYRUN', 'INPUT_ALPHA-1'])).toEqual(
      ['alpha-1', 'dryrun', 'zeta']
    )
  })

  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['abc', 'abc', 0],
    ['api_kye', 'api_key', 1],
    ['kitten', 'sitting', 3],
    ['channnel', 'channel', 1],
    ['ab', 'ba', 1],
    ['abcd', 'badc', 2]
  ])('editDistance(%j, %j) = %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
    expect(editDistance(b, a)).toBe(distance)
  })
})
