// The job summary and the log say only what happened, and name every bundle a run deleted
// (docs/contract.md, "One run", step 7): the built action against the Capgo emulator (and the
// GitHub one for release protection). The report file is gone when the job ends, so the summary
// must not send a reader there for the names.

import { describe, it } from 'vitest'
import { github, runWithGitHub } from './github-shared.js'
import {
  APP,
  deletedNames,
  emulator,
  expectSafe,
  json,
  leaks,
  run,
  standardApp,
  stopEmulators,
  summaryText,
  why
} from './shared.js'

stopEmulators()

const LINK = 'https://github.com/acme/app/commit/0123456'

/** The versions named in the summary's `<details>` block whose title starts with `title`. */
function foldedNames(summary: string, title: string): string[] {
  const start = summary.indexOf(`<details><summary>${title}`)
  if (start < 0) return []
  const block = summary.slice(start, summary.indexOf('</details>', start))
  return block
    .split('\n')
    .filter(line => line.startsWith('`'))
    .flatMap(line => [...line.matchAll(/`([^`]+)`/g)].map(m => m[1]!))
}

describe.concurrent('every deletion stays visible', () => {
  it('a cleanup deleting 60 bundles names all 60 in the summary (folded) and in the log', async ({
    expect
  }) => {
    // 81 bundles 1.0.0 .. 1.0.80, production on the newest: 80 candidates, 20 kept, 60 deleted.
    const emu = await emulator({
      bundles: 81,
      channels: [{ name: 'production', version: '1.0.80' }]
    })
    const result = await run(emu, { cleanup_keep: '20' })
    expect(result.code, why(result)).toBe(0)
    const deleted = json<string[]>(result, 'deleted_bundles')
    expect(deleted).toHaveLength(60)
    expect(deletedNames(emu)).toHaveLength(60)
    expectSafe(expect, emu, deleted)

    const summary = result.summary
    expect(summary).toContain('Deleted **60**')
    expect(summary).toContain('<details><summary>🗑️ Deleted 60 bundles</summary>')
    expect(foldedNames(summary, '🗑️ Deleted').sort()).toEqual([...deleted].sort())
    expect(summary).not.toMatch(/more deletions|see the report file/)
    // The log names each one too (the plan group), with its reason.
    for (const version of deleted) {
      expect(result.stdout).toContain(`  - "${version}": outside the 20 newest`)
    }
    expect(leaks(result)).toEqual([])
  })
})

describe.concurrent('honest words', () => {
  it('a promote_from whose write is refused does not say "Promoted from"', async ({ expect }) => {
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'PUT', path: '/bundle', kind: 'status', status: 400 }]
    })
    const result = await run(emu, { channel: 'production', promote_from: 'beta' })

    expect(result.code, why(result)).toBe(1)
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.29')
    const summary = summaryText(result)
    expect(summary).not.toMatch(/promoted from/i)
    expect(summary).toContain('Nothing was changed')
    expect(summary).toMatch(/Channel `production`: not changed/)

    // The same promotion that goes through says it.
    const ok = await run(await emulator(standardApp()), {
      channel: 'production',
      promote_from: 'beta'
    })
    expect(ok.code, why(ok)).toBe(0)
    expect(ok.summary).toContain('Promoted from channel `beta`.')
  })

  it('a dry run says "would be promoted"', async ({ expect }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, { channel: 'production', promote_from: 'beta', dry_run: 'true' })
    expect(result.code, why(result)).toBe(0)
    expect(result.summary).toContain('Would be promoted from channel `beta`.')
    expect(result.summary).not.toMatch(/^Promoted from/m)
  })

  it('bundle_link alone says "link", not "link and comment" (summary and log)', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const result = await run(emu, {
      channel: 'production',
      promote_from: 'beta',
      bundle_link: LINK
    })
    expect(result.code, why(result)).toBe(0)
    expect(emu.bundles(APP).find(b => b.name === '1.0.25')?.link).toBe(LINK)
    expect(result.summary).toContain('Link of bundle `1.0.25`: set.')
    expect(result.summary).not.toMatch(/link and comment/i)
    expect(result.stdout).toContain('Setting the link of bundle "1.0.25".')
  })

  it('cleanup_keep_releases with no recorded release: one WARNING naming the channels, near the top', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const gh = await github()
    const result = await runWithGitHub(emu, gh, {
      cleanup_keep: '20',
      cleanup_keep_releases: '2'
    })
    expect(result.code, why(result)).toBe(0)
    const summary = summaryText(result)
    expect(summary.match(/no release recorded/gi)).toHaveLength(1)
    const block = result.summary.split('\n\n').find(b => b.startsWith('> [!WARNING]')) ?? ''
    expect(block).toMatch(/channels `(production|beta)`, `(production|beta)`/)
    expect(block).toContain('`github_deployment: true`')
    expect(block).toContain('`deployments: write`')
    expect(result.summary.indexOf('> [!WARNING]')).toBeLessThan(
      result.summary.indexOf('### Bundles')
    )
    // Not repeated in the Warnings list.
    expect(result.summary).not.toMatch(/^- cleanup\\?_keep\\?_releases/m)
  })
})
