// run() called directly, with a fake CapgoApi (the pattern of action-gh-release's Releaser): the
// pipeline's wiring without HTTP. The HTTP client and dist/ have their own tests.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CapgoApi } from '../src/capgo/api.js'
import { CapgoError } from '../src/capgo/errors.js'
import type { Bundle, Channel, ChannelUpsert } from '../src/capgo/types.js'
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
    ios: true,
    android: true,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true
  }
}

/** An in-memory Capgo that records every write. */
function fakeApi(bundles: Bundle[], channels: Channel[], failDeletes: string[] = []) {
  const writes: string[] = []
  const api: CapgoApi = {
    listBundles: async () => bundles,
    listChannels: async () => channels,
    getChannel: async (_app, name) => channels.find(c => c.name === name),
    upsertChannel: async (body: ChannelUpsert) => {
      writes.push(`upsert ${body.channel} ${JSON.stringify(body)}`)
    },
    deleteChannel: async (_app, name) => {
      writes.push(`delete channel ${name}`)
      return 'deleted'
    },
    deleteBundle: async (_app, version) => {
      writes.push(`delete bundle ${version}`)
      if (failDeletes.includes(version)) {
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
    },
    unlinkDevice: async (_app, id) => {
      writes.push(`unlink ${id}`)
    }
  }
  return { api, writes }
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
  it('promotes beta to production with one channel write and reports the rollback target', async () => {
    const [b1, b2] = [bundle(1, 10), bundle(2, 1)]
    const { api, writes } = fakeApi(
      [b2!, b1!],
      [channel(1, 'production', b1!, true), channel(2, 'beta', b2!)]
    )
    setInputs({ channel: 'production', promote_from: 'beta' })
    await run({ api, now: () => NOW })
    expect(process.exitCode).toBeUndefined()
    expect(writes).toEqual([
      'upsert production {"app_id":"com.example.app","channel":"production","version":"1.0.2"}'
    ])
    expect(outputs()).toMatchObject({
      version: '1.0.2',
      previous_version: '1.0.1',
      channel_changed: 'true'
    })
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('Rollback target')
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
    const { api, writes } = fakeApi(
      bundles,
      [channel(1, 'production', bundles[0]!, true)],
      ['1.0.2']
    )
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
