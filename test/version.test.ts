import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ACTION_NAME, ACTION_VERSION, USER_AGENT } from '../src/version.js'

describe('the version the User-Agent names', () => {
  it('equals package.json, so a release cannot send an old version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string
      version: string
    }
    expect(ACTION_NAME).toBe(pkg.name)
    expect(ACTION_VERSION).toBe(pkg.version)
    expect(USER_AGENT.startsWith(`${pkg.name}/${pkg.version} `)).toBe(true)
  })
})
