// npm run emulator (test/emulator/cli.ts): its help, a port in use, unknown flags and roles.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { start } from './helpers.js'

describe('npm run emulator (test/emulator/cli.ts)', () => {
  const cli = (args: string[]) =>
    spawnSync(path.join('node_modules', '.bin', 'tsx'), ['test/emulator/cli.ts', ...args], {
      encoding: 'utf8',
      timeout: 30_000
    })

  it('--help lists the flags and one key per role', () => {
    const r = cli(['--help'])
    expect(r.status).toBe(0)
    for (const flag of [
      '--port',
      '--apps',
      '--latency',
      '--no-paging-defect',
      '--rate-limit',
      '--tie-order',
      '--era',
      '--key KEY:ROLE[:apps]'
    ])
      expect(r.stdout).toContain(flag)
    for (const [key, role] of [
      ['reader-key', 'reader'],
      ['uploader-key', 'uploader'],
      ['developer-key', 'developer'],
      ['admin-key', 'admin'],
      ['preview-key', 'preview']
    ])
      expect(r.stdout).toMatch(new RegExp(`${key}\\s+${role}\\n`))
  }, 30_000)

  it('a port in use: one clear line and exit code 2, no stack trace', async () => {
    const busy = await start()
    const r = cli(['--port', String(busy.port)])
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toBe(`port ${busy.port} is in use: choose another with --port`)
  }, 30_000)

  it('an unknown flag or role: exit code 2', () => {
    expect(cli(['--nope']).status).toBe(2)
    expect(cli(['--key', 'k:read']).status).toBe(2)
    expect(cli(['--era', 'june-2026']).status).toBe(2)
  }, 30_000)
})
