// run() called directly, with a fake CapgoApi (the pattern of action-gh-release's Releaser): the
// pipeline's wiring without HTTP. The HTTP client and dist/ have their own tests.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CapgoApi } from '../src/capgo/api.js'
import { CapgoError } from '../src/capgo/errors.js'
import type { Bundle, Channel, ChannelUpsert } from '../src/capgo/types.js'
import { GitHubError, type GitHubApi } from '../src/github/api.js'
import { run } from '../src/main.js'
import { parseOutputFile } from './helpers/action-runner.js'

const KEY = 'sk_main_test_SECRET'
const NOW = Date.parse('2026-11-26T00:00:00Z')

function bundle(id: number, daysAgo: number): Bundle {
  return {
    id,
    name: `1.0.${id}`,
    app_id: 'com.example.app',
    created_at: new Date(NOW - daysAgo * 86_400_000).toISOString(),
    deleted: false
  }
}

function channel(id: number, name: string, version: Bundle | null, isPublic = false): Channel {
  return {
    id,
    name,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    public: isPublic,
    version: version ? { id: version.id, name: version.name } : null,
    rollout_version: null,
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true
  }
}

interface FakeOptions {
  failDeletes?: string[]
  /** Refuse these writes as Capgo refuses a key without the role. */
  deny?: ('setChannelBundle' | 'upsertChannel' | 'deleteBundle')[]
  /** The read-back finds this instead of what was written. */
  readBack?: (name: string) => Channel | undefined
  /** The channel list read before writing (the second read) differs from the first. */
  channelsOnSecondRead?: Channel[]
}

function denied(route: string): CapgoError {
  return new CapgoError({
    status: 400,
    code: 'cannot_access_app',
    route,
    message: `${route}: refused (HTTP 400, cannot_access_app): You can't access this app`
  })
}

/** An in-memory Capgo that records every write and keeps its channels up to date. */
function fakeApi(bundles: Bundle[], channels: Channel[], options: FakeOptions = {}) {
  const writes: string[] = []
  let channelReads = 0
  const api: CapgoApi = {
    listBundles: async () => ({ bundles, warnings: [] }),
    listChannels: async () => {
      channelReads++
      return channelReads > 1 && options.channelsOnSecondRead
        ? options.channelsOnSecondRead
        : channels
    },
    getChannel: async (_app, name) =>
      options.readBack ? options.readBack(name) : channels.find(c => c.name === name),
    setChannelBundle: async body => {
      if (options.deny?.includes('setChannelBundle')) throw denied('PUT /bundle')
      writes.push(`put bundle ${body.version_id} on channel ${body.channel_id}`)
      const c = channels.find(x => x.id === body.channel_id)!
      const b = bundles.find(x => x.id === body.version_id)!
      c.version = { id: b.id, name: b.name }
    },
    setBundleMetadata: async body => {
      writes.push(`metadata ${JSON.stringify(body)}`)
    },
    upsertChannel: async (body: ChannelUpsert) => {
      if (options.deny?.includes('upsertChannel')) throw denied('POST /channel')
      writes.push(`upsert ${body.channel} ${JSON.stringify(body)}`)
      let c = channels.find(x => x.name === body.channel)
      if (!c) {
        c = channel(100 + channels.length, body.channel, null)
        channels.push(c)
      }
      if (body.version) {
        const b = bundles.find(x => x.name === body.version)!
        c.version = { id: b.id, name: b.name }
      }
    },
    deleteChannel: async (_app, name) => {
      writes.push(`delete channel ${name}`)
      return 'deleted'
    },
    deleteBundle: async (_app, version) => {
      if (options.deny?.includes('deleteBundle')) throw denied('DELETE /bundle')
      writes.push(`delete bundle ${version}`)
      if (options.failDeletes?.includes(version)) {
        throw new CapgoError({
          status: 500,
          code: 'unknown_error',
          route: 'DELETE /bundle',
          message: 'boom'
        })
      }
      return 'deleted'
    },
    deleteAllUnlinkedBundles: async () => {
      throw new Error('never called by the action')
    },
    getDevice: async () => undefined,
    linkDevice: async (_app, id, ch) => {
      writes.push(`link ${id} ${ch}`)
      return 'linked'
    },
    unlinkDevice: async (_app, id) => {
      writes.push(`unlink ${id}`)
    }
  }
  return { api, writes }
}

/** A GitHub that records releases, or refuses them. */
function fakeGitHub(refuse = false) {
  const calls: string[] = []
  const github: GitHubApi = {
    recordRelease: async input => {
      if (refuse) {
        throw new GitHubError({
          status: 403,
          kind: 'permission',
          route: 'POST /repos/{owner}/{repo}/deployments',
          message: 'Resource not accessible by integration',
          permission: 'deployments: write'
        })
      }
      calls.push(`deployment ${input.environment} ${input.payload.version} ${input.state}`)
      return 77
    },
    releaseHistory: async () => [],
    markEnvironmentInactive: async () => 0,
    upsertComment: async () => ({ id: 1, created: true })
  }
  return { github, calls }
}

let dir: string
const saved = { ...process.env }

function setInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.toUpperCase()}`] = value
  }
}

function outputs(): Record<string, string> {
  return parseOutputFile(readFileSync(path.join(dir, 'output'), 'utf8'))
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'capgo-main-'))
  for (const file of ['output', 'summary.md']) writeFileSync(path.join(dir, file), '')
  process.env.GITHUB_OUTPUT = path.join(dir, 'output')
  process.env.GITHUB_STEP_SUMMARY = path.join(dir, 'summary.md')
  process.exitCode = undefined
  setInputs({
    api_key: KEY,
    app_id: 'com.example.app',
    api_url: 'https://api.capgo.app',
    cleanup_order: 'created',
    max_delete: '100',
    dry_run: 'false',
    concurrency: '4',
    retries: '3',
    timeout: '30'
  })
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

afterEach(() => {
  vi.restoreAllMocks()
  process.env = { ...saved }
  process.exitCode = undefined
})

describe('run() with a fake Capgo', () => {
  it('promotes beta to production by PUT /bundle alone, reads it back and reports the rollback target', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const { api, writes } = fakeApi(
      [b2!, b1!],
      [channel(1, 'production', b1!, true), channel(2, 'beta', b2!)]
    )
    setInputs({ channel: 'production', promote_from: 'beta' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBeUndefined()
    expect(writes).toEqual(['put bundle 2 on channel 1'])
    expect(outputs()).toMatchObject({
      version: '1.0.2',
      previous_version: '1.0.1',
      channel_changed: 'true',
      error: ''
    })
    expect(JSON.parse(outputs().report!)).toMatchObject({ channel_verified: true })
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/rollback target/i)
  })

  it('a read-back that differs from what was written fails the step and says what differs', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const prod = channel(1, 'production', b1!, true)
    const { api, writes } = fakeApi([b2!, b1!], [prod, channel(2, 'beta', b2!)], {
      readBack: () => ({ ...prod, version: { id: 1, name: '1.0.1' } })
    })
    setInputs({ channel: 'production', promote_from: 'beta', cleanup_keep: '0' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(writes).toEqual(['put bundle 2 on channel 1'])
    expect(outputs().error).toMatch(/read back.*"1\.0\.1".*expected "1\.0\.2"/)
    // Nothing after the failed verification: no deletion.
    expect(writes.some(w => w.startsWith('delete'))).toBe(false)
  })

  it('a read-back that fails says the channel was written but not checked, and nothing else is done', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const { api, writes } = fakeApi(
      [b2!, b1!],
      [channel(1, 'production', b1!, true), channel(2, 'beta', b2!)]
    )
    const failing: CapgoApi = {
      ...api,
      getChannel: async () => {
        throw new CapgoError({
          status: 503,
          code: 'http_503',
          route: 'GET /channel',
          message: 'GET /channel: server error (HTTP 503)'
        })
      }
    }
    setInputs({ channel: 'production', promote_from: 'beta', cleanup_keep: '0' })
    await run({ api: failing, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(writes).toEqual(['put bundle 2 on channel 1'])
    const out = outputs()
    expect(out.error).toMatch(
      /was written \(Capgo accepted the change\) but could not be read back/
    )
    expect(JSON.parse(out.report!)).toMatchObject({
      failed_phase: 'verify',
      channel_verified: false
    })
  })

  it('a refused write names the step and the least role it needs', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const { api } = fakeApi([b2!, b1!], [channel(1, 'production', b1!), channel(2, 'beta', b2!)], {
      deny: ['setChannelBundle']
    })
    setInputs({ channel: 'production', promote_from: 'beta' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(outputs().error).toContain('app_uploader')
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('app_uploader')
  })

  it('a channel moved by someone else before the write is planned again: the real rollback target is protected', async () => {
    const bundles = [6, 5, 4, 3, 2, 1].map(id => bundle(id, 10 - id))
    const first = [channel(1, 'production', bundles[0]!), channel(2, 'beta', bundles[0]!)]
    // Meanwhile production went back to 1.0.2.
    const moved = [channel(1, 'production', bundles[4]!), channel(2, 'beta', bundles[0]!)]
    const { api, writes } = fakeApi(bundles, first, { channelsOnSecondRead: moved })
    setInputs({ channel: 'production', version: '1.0.5', cleanup_keep: '0', max_delete: '10' })
    await run({ api, now: () => NOW })
    const out = outputs()
    expect(out.previous_version).toBe('1.0.2')
    expect(writes).not.toContain('delete bundle 1.0.2')
    expect(JSON.parse(out.protected_bundles!)).toContain('1.0.2')
  })

  it('records a GitHub deployment after a change, and a GitHub refusal is a warning naming the permission', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const ok = fakeGitHub()
    const first = fakeApi([b2!, b1!], [channel(1, 'production', b1!), channel(2, 'beta', b2!)])
    setInputs({
      channel: 'production',
      promote_from: 'beta',
      github_deployment: 'true',
      github_token: 'ghs_faketoken'
    })
    process.env.GITHUB_REPOSITORY = 'acme/app'
    await run({ api: first.api, github: ok.github, now: () => NOW })
    expect(process.exitCode).toBeUndefined()
    expect(ok.calls).toEqual(['deployment capgo/com.example.app/production 1.0.2 success'])
    expect(outputs().deployment_id).toBe('77')

    for (const file of ['output', 'summary.md']) writeFileSync(path.join(dir, file), '')
    const refused = fakeGitHub(true)
    const second = fakeApi([b2!, b1!], [channel(1, 'production', b1!), channel(2, 'beta', b2!)])
    await run({ api: second.api, github: refused.github, now: () => NOW })
    expect(process.exitCode).toBeUndefined()
    expect(second.writes).toEqual(['put bundle 2 on channel 1'])
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/deployments\\?: write/)
  })

  it('an unknown input fails before any request, names the nearest input, and still reports', async () => {
    const { api, writes } = fakeApi([bundle(1, 1)], [])
    let reads = 0
    const counting: CapgoApi = {
      ...api,
      listChannels: async appId => {
        reads++
        return api.listChannels(appId)
      }
    }
    setInputs({ cleanup_keep: '20', dryrun: 'true' })
    await run({ api: counting, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(reads).toBe(0)
    expect(writes).toEqual([])
    const out = outputs()
    expect(out.error).toContain('"dryrun"')
    expect(out.error).toContain('did you mean "dry_run"')
    expect(out.dry_run).toBe('false')
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/dryrun/)
  })

  it('an impossible plan writes nothing and fails', async () => {
    const { api, writes } = fakeApi([bundle(1, 1)], [channel(1, 'qa', null)])
    setInputs({ channel: 'qa', version: '9.9.9', devices: 'dev-1' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(writes).toEqual([])
  })

  it('a failed deletion is listed, the others go on, and the step fails at the end', async () => {
    const bundles = [5, 4, 3, 2, 1].map(id => bundle(id, 100 - id))
    const { api, writes } = fakeApi(bundles, [channel(1, 'production', bundles[0]!, true)], {
      failDeletes: ['1.0.2']
    })
    setInputs({ cleanup_keep: '1' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBe(1)
    expect(writes.sort()).toEqual([
      'delete bundle 1.0.1',
      'delete bundle 1.0.2',
      'delete bundle 1.0.3'
    ])
    const out = outputs()
    expect(JSON.parse(out.deleted_bundles!)).toEqual(['1.0.1', '1.0.3'])
    expect(JSON.parse(out.failed_bundles!)).toEqual([{ version: '1.0.2', error: 'boom' }])
    expect(out.kept_count).toBe('3')
    expect(JSON.stringify(out)).not.toContain(KEY)
  })
})
