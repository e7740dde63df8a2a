// Bad input, through the built action: every invalid form of each input and every contradiction of
// the README's rules ("Validate every input before the first request"). For each row: the step
// fails (exit 1), one ::error:: names the input, the emulator's request log is empty (not even a
// read), and the key is visible nowhere. The run still reports: the `error` output names the input,
// `dry_run` is set, the report and its file say the same, and the job summary says what failed and
// that nothing was changed. The emulator is a live target on purpose: a row whose input slipped
// through validation would show up in its log.
//
// The rows run concurrently (vitest's maxConcurrency, 5 by default): each spawns its own Node.

import { describe, it } from 'vitest'
import {
  APP,
  KEY,
  emulator,
  expectFailureReported,
  json,
  leaks,
  run,
  stopEmulators,
  why
} from './shared.js'

stopEmulators()

interface Row {
  /** What is wrong. */
  label: string
  /** The step's `with:`; `{URL}` and `{PORT}` stand for the emulator's base URL and port. */
  inputs: Record<string, string>
  /** The input the message must name (quoted, as `"name"`). */
  names: string
  /** Extra text the message must hold. */
  mentions?: RegExp
  /** How many problems the message lists (default 1: this row tests exactly one thing). */
  problems?: number
  /** The `dry_run` output (default false). */
  dryRun?: boolean
}

/** A valid piece of work, so that a row's only problem is its own. */
const WORK = { cleanup_keep: '20' }
const LONG_NAME = 'x'.repeat(129)

const ROWS: Row[] = [
  // ---- api_key
  {
    label: 'api_key missing',
    inputs: { ...WORK, api_key: '' },
    names: 'api_key',
    mentions: /required/
  },
  {
    label: 'api_key only spaces',
    inputs: { ...WORK, api_key: '   ' },
    names: 'api_key',
    mentions: /required/
  },
  {
    label: 'api_key with a "Bearer " prefix',
    inputs: { ...WORK, api_key: `Bearer ${KEY}` },
    names: 'api_key',
    mentions: /Bearer/
  },
  {
    label: 'api_key: two keys pasted',
    inputs: { ...WORK, api_key: `${KEY} ${KEY}x` },
    names: 'api_key',
    mentions: /spaces/
  },
  {
    label: 'api_key with a line break inside',
    inputs: { ...WORK, api_key: `${KEY}\nsecond-line` },
    names: 'api_key'
  },
  // ---- app_id
  {
    label: 'app_id missing',
    inputs: { ...WORK, app_id: '' },
    names: 'app_id',
    mentions: /required/
  },
  {
    label: 'app_id not reverse-domain',
    inputs: { ...WORK, app_id: 'myapp' },
    names: 'app_id',
    mentions: /"myapp"/
  },
  {
    label: 'app_id with an empty segment',
    inputs: { ...WORK, app_id: 'com..example' },
    names: 'app_id'
  },
  { label: 'app_id with a space', inputs: { ...WORK, app_id: 'com.example app' }, names: 'app_id' },
  {
    label: 'app_id starting with a dot',
    inputs: { ...WORK, app_id: '.com.example' },
    names: 'app_id'
  },
  // ---- api_url
  {
    label: 'api_url plain http to a non-loopback host (example.com)',
    inputs: { ...WORK, api_url: 'http://example.com' },
    names: 'api_url',
    mentions: /http is only allowed for a loopback host/
  },
  {
    label: 'api_url plain http to 0.0.0.0 (which would reach the emulator)',
    inputs: { ...WORK, api_url: 'http://0.0.0.0:{PORT}' },
    names: 'api_url',
    mentions: /loopback/
  },
  {
    label: 'api_url plain http to a private address',
    inputs: { ...WORK, api_url: 'http://10.1.2.3:{PORT}' },
    names: 'api_url',
    mentions: /loopback/
  },
  {
    label: 'api_url with scheme ftp',
    inputs: { ...WORK, api_url: 'ftp://127.0.0.1:{PORT}' },
    names: 'api_url',
    mentions: /ftp/
  },
  {
    label: 'api_url without a scheme',
    inputs: { ...WORK, api_url: '127.0.0.1:{PORT}' },
    names: 'api_url'
  },
  { label: 'api_url not a URL', inputs: { ...WORK, api_url: 'not a url' }, names: 'api_url' },
  { label: 'api_url without a host', inputs: { ...WORK, api_url: 'https://' }, names: 'api_url' },
  {
    label: 'api_url with credentials (the key as user name)',
    inputs: { ...WORK, api_url: `http://${KEY}:pw@127.0.0.1:{PORT}` },
    names: 'api_url',
    mentions: /credentials/
  },
  {
    label: 'api_url with a query',
    inputs: { ...WORK, api_url: '{URL}?x=1' },
    names: 'api_url',
    mentions: /query/
  },
  {
    label: 'api_url with a fragment',
    inputs: { ...WORK, api_url: '{URL}#top' },
    names: 'api_url',
    mentions: /fragment/
  },
  {
    label: 'api_url with a space inside',
    inputs: { ...WORK, api_url: '{URL}/ capgo' },
    names: 'api_url',
    mentions: /spaces/
  },
  // ---- channel, version, promote_from
  { label: 'channel with a space', inputs: { channel: 'pr 42' }, names: 'channel' },
  {
    label: 'channel with a comma (two channels)',
    inputs: { channel: 'beta,production' },
    names: 'channel'
  },
  {
    label: 'channel longer than 128 characters',
    inputs: { channel: LONG_NAME },
    names: 'channel',
    mentions: /128/
  },
  {
    label: 'version listing two bundles',
    inputs: { channel: 'beta', version: '1.0.1,1.0.2' },
    names: 'version'
  },
  {
    label: 'version longer than 128 characters',
    inputs: { channel: 'beta', version: LONG_NAME },
    names: 'version'
  },
  {
    label: 'promote_from with a space',
    inputs: { channel: 'production', promote_from: 'be ta' },
    names: 'promote_from'
  },
  // ---- channel settings
  {
    label: 'public not a boolean',
    inputs: { channel: 'beta', public: 'yes' },
    names: 'public',
    mentions: /true or false/
  },
  {
    label: 'disable_auto_update not a level',
    inputs: { channel: 'beta', disable_auto_update: 'always' },
    names: 'disable_auto_update',
    mentions: /major, minor, patch, version_number, none/
  },
  {
    label: 'disable_auto_update with the wrong case',
    inputs: { channel: 'beta', disable_auto_update: 'Major' },
    names: 'disable_auto_update'
  },
  {
    label: 'disable_auto_update_under_native as 1',
    inputs: { channel: 'beta', disable_auto_update_under_native: '1' },
    names: 'disable_auto_update_under_native'
  },
  { label: 'ios not a boolean', inputs: { channel: 'beta', ios: 'maybe' }, names: 'ios' },
  { label: 'android as "on"', inputs: { channel: 'beta', android: 'on' }, names: 'android' },
  {
    label: 'allow_device_self_set as "no"',
    inputs: { channel: 'beta', allow_device_self_set: 'no' },
    names: 'allow_device_self_set'
  },
  {
    label: 'allow_emulator as "y"',
    inputs: { channel: 'beta', allow_emulator: 'y' },
    names: 'allow_emulator'
  },
  {
    label: 'allow_dev in mixed case',
    inputs: { channel: 'beta', allow_dev: 'tRUE' },
    names: 'allow_dev'
  },
  // ---- devices
  {
    label: 'devices: an id with a space',
    inputs: { channel: 'beta', devices: 'dev-a, dev b' },
    names: 'devices'
  },
  {
    label: 'unlink_devices: an id with a space',
    inputs: { unlink_devices: 'dev x' },
    names: 'unlink_devices'
  },
  // ---- deletions
  {
    label: 'delete_channel with a space',
    inputs: { delete_channel: 'pr 42' },
    names: 'delete_channel'
  },
  {
    label: 'delete_versions separated by spaces',
    inputs: { delete_versions: '1.0.1 1.0.2' },
    names: 'delete_versions'
  },
  {
    label: 'cleanup_keep negative',
    inputs: { cleanup_keep: '-1' },
    names: 'cleanup_keep',
    mentions: /whole number/
  },
  { label: 'cleanup_keep a word', inputs: { cleanup_keep: 'ten' }, names: 'cleanup_keep' },
  { label: 'cleanup_keep a decimal', inputs: { cleanup_keep: '2.5' }, names: 'cleanup_keep' },
  {
    label: 'cleanup_older_than without a unit',
    inputs: { cleanup_older_than: '30' },
    names: 'cleanup_older_than',
    mentions: /90m, 12h, 30d or 2w/
  },
  {
    label: 'cleanup_older_than zero',
    inputs: { cleanup_older_than: '0d' },
    names: 'cleanup_older_than'
  },
  {
    label: 'cleanup_older_than in years',
    inputs: { cleanup_older_than: '1y' },
    names: 'cleanup_older_than'
  },
  {
    label: 'cleanup_older_than negative',
    inputs: { cleanup_older_than: '-5d' },
    names: 'cleanup_older_than'
  },
  {
    label: 'cleanup_older_than with a space',
    inputs: { cleanup_older_than: '30 d' },
    names: 'cleanup_older_than'
  },
  {
    label: 'cleanup_pattern: a glob with a space',
    inputs: { ...WORK, cleanup_pattern: '1.0.*, beta build' },
    names: 'cleanup_pattern'
  },
  {
    label: 'cleanup_protect: a glob with a space',
    inputs: { ...WORK, cleanup_protect: 'release *' },
    names: 'cleanup_protect'
  },
  {
    label: 'cleanup_order unknown',
    inputs: { ...WORK, cleanup_order: 'name' },
    names: 'cleanup_order',
    mentions: /created, semver/
  },
  { label: 'max_delete negative', inputs: { ...WORK, max_delete: '-1' }, names: 'max_delete' },
  { label: 'max_delete a word', inputs: { ...WORK, max_delete: 'all' }, names: 'max_delete' },
  { label: 'dry_run not a boolean', inputs: { ...WORK, dry_run: 'maybe' }, names: 'dry_run' },
  {
    label: 'a bad input in a dry run',
    inputs: { ...WORK, dry_run: 'true', max_delete: 'many' },
    names: 'max_delete',
    dryRun: true
  },
  // ---- tuning
  {
    label: 'concurrency 0',
    inputs: { ...WORK, concurrency: '0' },
    names: 'concurrency',
    mentions: /1 to 16/
  },
  {
    label: 'concurrency 17',
    inputs: { ...WORK, concurrency: '17' },
    names: 'concurrency',
    mentions: /1 to 16/
  },
  { label: 'concurrency a word', inputs: { ...WORK, concurrency: 'four' }, names: 'concurrency' },
  { label: 'retries negative', inputs: { ...WORK, retries: '-1' }, names: 'retries' },
  { label: 'retries above 10', inputs: { ...WORK, retries: '11' }, names: 'retries' },
  { label: 'retries a decimal', inputs: { ...WORK, retries: '1.5' }, names: 'retries' },
  { label: 'timeout 0', inputs: { ...WORK, timeout: '0' }, names: 'timeout' },
  { label: 'timeout negative', inputs: { ...WORK, timeout: '-1' }, names: 'timeout' },
  { label: 'timeout above 600 s', inputs: { ...WORK, timeout: '601' }, names: 'timeout' },
  { label: 'timeout in exponent form', inputs: { ...WORK, timeout: '1e3' }, names: 'timeout' },
  { label: 'timeout with a unit', inputs: { ...WORK, timeout: '30s' }, names: 'timeout' },
  // ---- contradictions of docs/contract.md
  {
    label: 'version together with promote_from',
    inputs: { channel: 'production', version: '1.0.3', promote_from: 'beta' },
    names: 'promote_from',
    mentions: /cannot be used together/
  },
  {
    label: 'version without channel',
    inputs: { ...WORK, version: '1.0.3' },
    names: 'version',
    mentions: /needs "channel"/
  },
  {
    label: 'promote_from without channel',
    inputs: { ...WORK, promote_from: 'beta' },
    names: 'promote_from',
    mentions: /needs "channel"/
  },
  {
    label: 'promote_from equal to channel',
    inputs: { channel: 'beta', promote_from: 'beta' },
    names: 'promote_from'
  },
  {
    label: 'devices without channel',
    inputs: { ...WORK, devices: 'dev-a' },
    names: 'devices',
    mentions: /needs "channel"/
  },
  {
    label: 'a channel setting without channel',
    inputs: { ...WORK, public: 'true' },
    names: 'public',
    mentions: /need "channel"/
  },
  {
    label: 'ios and android both false',
    inputs: { channel: 'beta', ios: 'false', android: 'false' },
    names: 'android',
    mentions: /serve neither iOS nor Android/
  },
  {
    label: 'ios, android and electron all false',
    inputs: { channel: 'beta', ios: 'false', android: 'false', electron: 'false' },
    names: 'electron',
    mentions: /serve no platform/
  },
  {
    label: 'electron not a boolean',
    inputs: { channel: 'beta', electron: 'no' },
    names: 'electron'
  },
  {
    label: 'delete_channel equal to channel',
    inputs: { channel: 'pr-42', delete_channel: 'pr-42' },
    names: 'delete_channel',
    mentions: /another channel/
  },
  {
    label: 'the same device in devices and unlink_devices',
    inputs: { channel: 'pr-42', devices: 'dev-a', unlink_devices: 'DEV-A' },
    names: 'unlink_devices'
  },
  {
    label: 'delete_all_bundles "true" instead of the app id',
    inputs: { delete_all_bundles: 'true' },
    names: 'delete_all_bundles',
    mentions: /exactly the app_id/
  },
  {
    label: 'delete_all_bundles naming another app',
    inputs: { delete_all_bundles: 'com.other.app' },
    names: 'delete_all_bundles'
  },
  {
    label: 'delete_all_bundles in another case than app_id',
    inputs: { delete_all_bundles: APP.toUpperCase() },
    names: 'delete_all_bundles'
  },
  {
    label: 'cleanup_pattern without cleanup_keep or cleanup_older_than',
    inputs: { delete_versions: '1.0.1', cleanup_pattern: '1.0.*' },
    names: 'cleanup_pattern'
  },
  { label: 'nothing to do', inputs: {}, names: 'cleanup_keep', mentions: /Nothing to do/ },
  {
    label: 'nothing to do: delete_versions of only commas',
    inputs: { delete_versions: ', ,\n,' },
    names: 'delete_versions',
    mentions: /Nothing to do/
  }
]

describe('bad input fails before any request', () => {
  it('the table has at least 40 rows, one per input at least', ({ expect }) => {
    expect(ROWS.length).toBeGreaterThanOrEqual(40)
    expect(new Set(ROWS.map(r => r.label)).size).toBe(ROWS.length)
  })

  it.concurrent.for(ROWS)(
    '$label → exit 1, names "$names", no request',
    async (row, { expect }) => {
      const emu = await emulator({ bundles: 30, channels: [{ name: 'beta', version: '1.0.29' }] })
      const fill = (value: string): string =>
        value.replaceAll('{URL}', emu.url).replaceAll('{PORT}', String(emu.port))
      const inputs = Object.fromEntries(Object.entries(row.inputs).map(([k, v]) => [k, fill(v)]))
      const result = await run(emu, inputs)

      expect(result.code, why(result)).toBe(1)
      expect(result.errors, why(result)).toHaveLength(1)
      const message = result.errors[0]!
      expect(message).toContain(`"${row.names}"`)
      if (row.mentions) expect(message).toMatch(row.mentions)
      expect(message.split('\n')).toHaveLength(row.problems ?? 1)
      // Refused before the first request: the emulator saw nothing, not even a read.
      expect(emu.requests).toEqual([])
      // Yet the run reports: the error names the input; nothing was changed.
      const quoted = new RegExp(`"${row.names}"`)
      expectFailureReported(expect, result, { error: quoted, dryRun: row.dryRun ?? false })
      if (row.mentions) expect(result.outputs.error).toMatch(row.mentions)
      expect(result.outputs).toMatchObject({
        channel_changed: 'false',
        channel_created: 'false',
        deleted_channel: '',
        deleted_count: '0',
        kept_count: ''
      })
      expect(json(result, 'deleted_bundles')).toEqual([])
      if (row.dryRun) expect(result.summary).toMatch(/Nothing was changed \(dry run\)/)
      expect(leaks(result)).toEqual([])
      // Promptly: no connection attempt, no retry wait.
      expect(result.elapsedMs).toBeLessThan(15_000)
    }
  )
})
