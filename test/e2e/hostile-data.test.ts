// The built action against hostile DATA: what Capgo stores and gives back as it was written by
// whoever uploaded a bundle or named a channel. Names that would be workflow commands or markup,
// channels that move while the run reads, channel rows that name their bundle by id alone, lists
// too long for GitHub's output limits, globs and versions made to be slow or imprecise, and upload
// times that tie. Each test looks at what the runner and GitHub would see: stdout and stderr as
// the runner splits them into lines, the outputs, the job summary rendered as markdown.

import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import type { Emulator, SeedBundle } from '../emulator/index.js'
import {
  APP,
  DAY,
  HOUR,
  KEY,
  deletedOutput,
  deletesOf,
  emulator,
  errorText,
  expectSafe,
  json,
  liveNames,
  report,
  requestsOf,
  run,
  sorted,
  stopEmulators,
  v,
  type Report,
  why,
  type TimedRun
} from './shared.js'

stopEmulators()

function expectNotKilled(result: TimedRun): void {
  expect(result.signal, `the run was killed by the kill-switch\n${why(result)}`).toBeNull()
}

/** The live bundle id of `name` in the emulator. */
function idOf(emu: Emulator, name: string): number {
  const row = emu.state.apps[APP]!.bundles.find(b => b.name === name && !b.deleted)
  if (!row) throw new Error(`no live bundle ${name}`)
  return row.id
}

/** Puts channel `channel` on bundle `bundle` in the emulator's state, as another release would. */
function moveChannel(emu: Emulator, channel: string, bundle: string): void {
  const c = emu.state.apps[APP]!.channels.find(x => x.name === channel)
  if (!c) throw new Error(`no channel ${channel}`)
  c.version = idOf(emu, bundle)
}

/** A hook that runs `action` once, on the first GET /bundle of page `page`; lets the request through. */
function onBundlePage(page: number, action: () => void): Parameters<Emulator['addFault']>[0] {
  let done = false
  return {
    method: 'GET',
    path: '/bundle',
    kind: 'status',
    when: req => {
      if (!done && req.query.page === String(page)) {
        done = true
        action()
      }
      return false
    }
  }
}

/** Bytes of UTF-8. */
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

// ---- 1. workflow commands ---------------------------------------------------------------------

const CMD_ERROR =
  'x\n::error title=Capgo::Release blocked - rotate your key at https://evil.example'
const CMD_MASK = 'y\r::add-mask::z'
const CMD_WARNING = '::warning::w'
const CMD_ENCODED = '%0A::error::v'
const CMD_LEGACY = '##[error]legacy'
const CMD_CHANNEL = 'beta\n::error title=Capgo::channel\r::add-mask::q'
const SERVER_MESSAGE = 'nope\n::error title=Capgo::server says rotate\r::add-mask::ak_live'

/**
 * The lines the runner would read as a command and that the action did not write as one. The
 * runner reads stdout and stderr line by line, and a lone CR ends a line as LF does (.NET's
 * ReadLine); a command is `::name ...::` at the start (after spaces) or the legacy `##[name]`.
 * The action's own: `::add-mask::` for the key, `::group::`, `::endgroup::`, and the annotations
 * `::error::`, `::warning::`, `::notice::` (no `title=`: the action sets none), `::debug::`.
 */
function foreignCommands(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter(line => {
    const t = line.trimStart()
    if (t.includes('##[')) return true
    if (!t.startsWith('::')) return false
    if (t === `::add-mask::${KEY}`) return false
    return !/^::(group::|endgroup::$|error::|warning::|notice::|debug::)/.test(t)
  })
}

/** The text of every annotation, decoded as the runner decodes it, line by line. */
function annotationLines(result: TimedRun): string[] {
  return [...result.errors, ...result.warnings].flatMap(text => text.split(/\r\n|\r|\n/))
}

function expectNoInjectedCommand(result: TimedRun): void {
  expect(foreignCommands(result.stdout), why(result)).toEqual([])
  expect(foreignCommands(result.stderr)).toEqual([])
  // One mask: the key's, by the action.
  const masks = result.stdout
    .split(/\r\n|\r|\n/)
    .filter(line => line.trimStart().startsWith('::add-mask::'))
  expect(masks).toEqual([`::add-mask::${KEY}`])
  expect(result.stdout.includes('\r'), 'a raw CR in stdout').toBe(false)
  expect(result.stderr.includes('\r'), 'a raw CR in stderr').toBe(false)
  // Inside an annotation, no line of data starts like a command, and no CR survives.
  for (const line of annotationLines(result)) {
    expect(line.trimStart().startsWith('::'), line).toBe(false)
  }
  for (const text of [...result.errors, ...result.warnings]) expect(text).not.toContain('\r')
}

describe('bundle and channel names that are workflow commands', () => {
  function commandApp(): Parameters<typeof emulator>[0] {
    const hostile = [CMD_ERROR, CMD_MASK, CMD_WARNING, CMD_ENCODED, CMD_LEGACY]
    return {
      bundles: [...hostile, ...v(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)].map(name => ({ name })),
      channels: [
        { name: 'production', version: CMD_ERROR },
        { name: CMD_CHANNEL, version: '1.0.8' }
      ]
    }
  }
  const inputs = { channel: 'production', version: '1.0.9', cleanup_keep: '2' }

  it('a dry run prints the channel’s old bundle visibly, never as a command', async () => {
    const emu = await emulator(commandApp())
    const result = await run(emu, { ...inputs, dry_run: 'true' })
    expect(result.code, why(result)).toBe(0)
    // The name reached the log (the plan's "bundle X -> 1.0.9"), shown, not obeyed.
    expect(result.stdout).toContain('x\\n::error title=Capgo::Release blocked')
    expectNoInjectedCommand(result)
    expect(emu.writes()).toEqual([])
  })

  it('a real run: failed and vanished deletions and a moved channel, all named safely', async () => {
    const emu = await emulator(commandApp())
    const failWith = (name: string): Parameters<Emulator['addFault']>[0] => ({
      kind: 'error-200',
      code: 'cannot_delete_linked_version',
      message: SERVER_MESSAGE,
      method: 'DELETE',
      path: '/bundle',
      when: req => (req.body as { version?: unknown } | undefined)?.version === name
    })
    emu.addFault(failWith(CMD_MASK))
    emu.addFault(failWith(CMD_ENCODED))
    // Someone else deleted it first: the run says so in a warning that names it.
    emu.addFault({
      kind: 'body',
      status: 400,
      body: JSON.stringify({ error: 'cannot_delete_version', message: 'Cannot delete version' }),
      method: 'DELETE',
      path: '/bundle',
      when: req => (req.body as { version?: unknown } | undefined)?.version === CMD_WARNING
    })
    // The hostile channel moves while the bundles are read: the run warns, naming it.
    emu.addFault(onBundlePage(0, () => moveChannel(emu, CMD_CHANNEL, '1.0.7')))

    const result = await run(emu, inputs)
    expect(result.code, why(result)).toBe(1)
    // The data did reach the log and the annotations...
    expect(errorText(result)).toContain('y\\r::add-mask::z')
    expect(errorText(result)).toMatch(/nope\s+::error title=Capgo::server says rotate/)
    expect(result.warnings.join('\n')).toContain('beta\\n::error title=Capgo::channel')
    expect(result.warnings.join('\n')).toMatch(/"::warning::w" was already deleted/)
    // ...as text: no command of its own.
    expectNoInjectedCommand(result)
    // And the hostile names were handled as names: deleted (or failed) one by one.
    expect(liveNames(emu).has(CMD_LEGACY)).toBe(false)
    expect(deletesOf(emu, CMD_MASK)).toHaveLength(1)
    expectSafe(expect, emu)
  })
})

describe('a rollout paused with a hostile reason', () => {
  const REASON = 'crash\n::error title=Capgo::paused\r# Heading <img src=x onerror=alert(4)>'

  it.each([
    ['dry run', 'true'],
    ['real run', 'false']
  ])(
    '%s resuming it: the reason is shown in the log and the summary, never obeyed or rendered',
    async (_label, dryRun) => {
      const emu = await emulator({
        bundles: 10,
        channels: [
          {
            name: 'production',
            version: '1.0.8',
            rollout_version: '1.0.9',
            rolloutEnabled: true,
            rolloutPercentageBps: 1000,
            rolloutPausedAt: new Date(Date.now() - HOUR).toISOString(),
            rolloutPauseReason: REASON
          }
        ]
      })
      const result = await run(emu, {
        channel: 'production',
        rollout_pause: 'false',
        dry_run: dryRun
      })
      expect(result.code, why(result)).toBe(0)
      // The reason reached the log, shown.
      expect(result.stdout).toContain('crash\\n::error title=Capgo::paused\\r# Heading')
      expectNoInjectedCommand(result)
      expect(result.summary.includes('\r'), 'a raw CR in the summary').toBe(false)
      const html = render(result.summary)
      expect(html).toContain('Heading')
      expect(html).not.toMatch(/<img/i)
      for (const [, level, heading] of html.matchAll(/<h([1-6])[^>]*>([\s\S]*?)<\/h\1>/g)) {
        expect(`h${level} ${heading}`, html).toMatch(
          /^h\d (Capgo release|Channel|Rollout|Warnings)/
        )
      }
      if (dryRun === 'false') expect(emu.channel(APP, 'production')?.rolloutPausedAt).toBeNull()
    }
  )
})

// ---- 2. the job summary -----------------------------------------------------------------------

const MD_BUNDLE = 'a\r# Heading <img src=x onerror=alert(1)>'
const MD_CHANNEL = '<b>x</b>[link](https://evil.example)'
const MD_PIPE = 'c|d'
const MD_BACKSLASH_PIPE = 'h\\|i'
const MD_BACKTICKS = '``j`'
const MD_MOVED = '# Moved <img src=x onerror=alert(3)>'
const MD_DATE_HEADING = '\n# HACKED'
const MD_DATE_HTML = '2026-01-01T00:00:00Z<img src=x onerror=alert(2)>'

/** The summary as GitHub shows it (GitHub-flavoured markdown to HTML). */
function render(markdown: string): string {
  return marked.parse(markdown, { async: false, gfm: true })
}

/** The rows of the first table after the `### Bundles` heading: the cells of each. */
function bundleTableRows(html: string): string[][] {
  const after = html.split(/<h3[^>]*>Bundles<\/h3>/)[1]
  if (after === undefined) throw new Error(`no Bundles heading in\n${html}`)
  const table = /<table>([\s\S]*?)<\/table>/.exec(after)?.[1] ?? ''
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? ''
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(row =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(cell => cell[1]!)
  )
}

describe('names, reasons and upload times that are markdown and HTML', () => {
  it.each([
    ['dry run', 'true'],
    ['real run', 'false']
  ])(
    '%s: the rendered summary holds no markup from data and keeps its table',
    async (_label, dryRun) => {
      const base = Date.now() - 10 * DAY
      const at = (days: number): string => new Date(base + days * DAY).toISOString()
      const seed: SeedBundle[] = [
        { id: 7, name: MD_BACKSLASH_PIPE, created_at: at(-2) },
        { id: 8, name: MD_BACKTICKS, created_at: at(-1) },
        { id: 1, name: '1.0.0', created_at: at(0) },
        { id: 2, name: MD_BUNDLE, created_at: at(1) },
        { id: 3, name: MD_PIPE, created_at: at(2) },
        { id: 4, name: '1.0.5', created_at: at(3) },
        { id: 5, name: 'keep-me', created_at: at(4) },
        { id: 6, name: '1.0.6', created_at: at(5) }
      ]
      const emu = await emulator({
        bundles: seed,
        channels: [
          { name: MD_CHANNEL, version: '1.0.5' },
          { name: MD_MOVED, version: '1.0.5' }
        ]
      })
      // The bundle page as a server may hold it: two upload times that are not dates.
      const rows = emu.bundles(APP).map(b => ({
        ...b,
        created_at: b.id === 4 ? MD_DATE_HEADING : b.id === 5 ? MD_DATE_HTML : b.created_at
      }))
      // In the real run, a channel named as a heading moves while the bundles are read (onto a
      // bundle protected anyway): the warning names it, in the summary's Warnings section.
      let moved = dryRun === 'true'
      emu.addFault({
        kind: 'body',
        method: 'GET',
        path: '/bundle',
        when: req => {
          if (req.query.page !== '0') return false
          if (!moved) moveChannel(emu, MD_MOVED, 'keep-me')
          moved = true
          return true
        },
        body: JSON.stringify(rows)
      })
      const result = await run(emu, {
        cleanup_keep: '1',
        cleanup_protect: 'keep-me',
        dry_run: dryRun
      })
      expect(result.code, why(result)).toBe(0)
      expect(sorted(json<string[]>(result, 'deleted_bundles'))).toEqual(
        sorted(['1.0.0', MD_BUNDLE, MD_PIPE, MD_BACKSLASH_PIPE, MD_BACKTICKS])
      )
      if (dryRun === 'false') {
        expect(result.warnings.join('\n')).toContain('# Moved <img')
        expect(result.summary).toContain('### Warnings')
      }

      expect(result.summary.includes('\r'), 'a raw CR in the summary').toBe(false)
      const html = render(result.summary)
      expect(html).not.toMatch(/<img/i)
      expect(html).not.toMatch(/<b>/i)
      expect(html).not.toMatch(/<a\s[^>]*href="https?:\/\/evil/i)
      expect(html).not.toMatch(/href="[^"]*evil\.example/i)
      // Every heading is the summary's own.
      const headings = [...html.matchAll(/<h([1-6])[^>]*>([\s\S]*?)<\/h\1>/g)].map(m => m[2]!)
      for (const heading of headings) {
        expect(heading, html).toMatch(/^(Capgo release|Bundles|Warnings)/)
      }
      expect(html).not.toMatch(/<h[1-6][^>]*>[^<]*(HACKED|Heading)/)

      // Seven rows (two protected, five deletions), four cells each; the hostile texts are
      // inside them, as text.
      const table = bundleTableRows(html)
      expect(
        table.map(r => r.length),
        html
      ).toEqual([4, 4, 4, 4, 4, 4, 4])
      // The version column shows each name exactly (a CR shown as `\r`).
      const plain = (html: string): string =>
        html
          .replace(/<[^>]*>/g, '')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&')
          .trim()
      expect(table.map(r => plain(r[0]!)).sort()).toEqual(
        [
          '1.0.5',
          'keep-me',
          '1.0.0',
          MD_BUNDLE.replace('\r', '\\r'),
          MD_PIPE,
          MD_BACKSLASH_PIPE,
          MD_BACKTICKS
        ].sort()
      )
      const text = table.map(r => r.join(' | ')).join('\n')
      expect(text).toContain('HACKED')
      expect(text).toContain('Heading')
      expect(text).toContain('evil.example')
      expect(text).toContain('&lt;b&gt;x&lt;/b&gt;')
      // The protection reason names the channel, in the reason column.
      const onChannel = table.find(r => plain(r[0]!) === '1.0.5')
      expect(onChannel?.[3]).toContain('evil.example')
      expect(onChannel?.[1]).toContain('HACKED')
    },
    60_000
  )
})

// ---- 3. a channel moved by someone else during the run ------------------------------------------

describe('a channel moved while the run reads', () => {
  it('protects and reports the bundle actually replaced, and the bundle moved onto', async () => {
    // 60 bundles, so that the listing reads page 1 (the paging defect makes it 10 rows).
    const emu = await emulator({
      bundles: 60,
      channels: [
        { name: 'production', version: '1.0.18' },
        { name: 'beta', version: '1.0.50' }
      ]
    })
    // Another release, while the bundle pages are read: production to 1.0.10, beta onto the old
    // 1.0.2 (a bundle the cleanup would take if it went by the first read).
    emu.addFault(
      onBundlePage(1, () => {
        moveChannel(emu, 'production', '1.0.10')
        moveChannel(emu, 'beta', '1.0.2')
      })
    )
    const result = await run(emu, { channel: 'production', version: '1.0.19', cleanup_keep: '5' })
    expect(result.code, why(result)).toBe(0)
    expect(requestsOf(emu, 'GET', '/bundle').some(r => r.query.page === '1')).toBe(true)

    expect(result.outputs.previous_version).toBe('1.0.10')
    expect(result.outputs.version).toBe('1.0.19')
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.19')
    const warnings = result.warnings.join('\n')
    expect(warnings).toMatch(/"beta", "production" changed while this run was reading/)

    expect(deletesOf(emu, '1.0.10')).toEqual([])
    expect(deletesOf(emu, '1.0.2')).toEqual([])
    expect(liveNames(emu).has('1.0.10')).toBe(true)
    expect(liveNames(emu).has('1.0.2')).toBe(true)
    expect(json<string[]>(result, 'protected_bundles')).toEqual(
      expect.arrayContaining(['1.0.19', '1.0.10', '1.0.2'])
    )
    // What goes: everything but the 5 newest (1.0.55 .. 1.0.59) and the three protected; 1.0.18
    // is no longer anyone's bundle.
    const expected = v(
      ...Array.from({ length: 55 }, (_, i) => i).filter(i => ![2, 10, 19].includes(i))
    )
    expect(deletedOutput(result)).toEqual(sorted(expected))
    expect(result.outputs.kept_count).toBe(String(liveNames(emu).size))
    expect(json<unknown[]>(result, 'failed_bundles')).toEqual([])
    expectSafe(expect, emu, expected)
  })
})

// ---- 4. a channel's bundle by id alone --------------------------------------------------------

describe('channel rows that name their bundle by id alone', () => {
  // 30 bundles: ids 1..30, so bundle 7 is 1.0.6 and bundle 9 is 1.0.8.
  async function withChannelRows(
    versions: Record<'production' | 'beta', unknown>
  ): Promise<Emulator> {
    const emu = await emulator({
      bundles: 30,
      channels: [
        { name: 'production', version: '1.0.6' },
        { name: 'beta', version: '1.0.8' }
      ]
    })
    expect(idOf(emu, '1.0.6')).toBe(7)
    expect(idOf(emu, '1.0.8')).toBe(9)
    const rows = (['production', 'beta'] as const).map(name => ({
      ...emu.channel(APP, name)!,
      version: versions[name]
    }))
    // The list (not the single channel read back after the write).
    emu.addFault({
      kind: 'body',
      method: 'GET',
      path: '/channel',
      when: req => req.query.channel === undefined,
      body: JSON.stringify(rows)
    })
    return emu
  }

  it.each([
    ['a bare id', 7, { id: 9 }],
    ['{id} without a name', { id: 7 }, 9]
  ])(
    '%s: protects the bundle by id, reports its name as previous_version, never deletes it',
    async (_label, production, beta) => {
      const emu = await withChannelRows({ production, beta })
      const result = await run(emu, {
        channel: 'production',
        version: '1.0.29',
        cleanup_keep: '5'
      })
      expect(result.code, why(result)).toBe(0)
      expect(result.outputs.previous_version).toBe('1.0.6')
      expect(result.outputs.version).toBe('1.0.29')
      expect(deletesOf(emu, '1.0.6')).toEqual([])
      expect(deletesOf(emu, '1.0.8')).toEqual([])
      expect(json<string[]>(result, 'protected_bundles')).toEqual(
        expect.arrayContaining(['1.0.29', '1.0.6', '1.0.8'])
      )
      // The cleanup did run: 1.0.0 .. 1.0.23 but the two protected.
      const expected = v(...Array.from({ length: 24 }, (_, i) => i).filter(i => i !== 6 && i !== 8))
      expect(deletedOutput(result)).toEqual(sorted(expected))
      expect(json<unknown[]>(result, 'failed_bundles')).toEqual([])
      expectSafe(expect, emu, expected)
    }
  )

  it('a bundle with neither id nor name ({}) fails the run before anything is written', async () => {
    const emu = await withChannelRows({ production: { id: 7, name: '1.0.6' }, beta: {} })
    const result = await run(emu, { channel: 'production', version: '1.0.29', cleanup_keep: '5' })
    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/Channel "beta" has a bundle that Capgo did not identify/)
    expect(emu.writes()).toEqual([])
    expect(report(result).deleted_bundles).toEqual([])
  })
})

// ---- 5. output caps ---------------------------------------------------------------------------

describe('a cleanup of 30,000+ bundles (dry run)', () => {
  it('keeps every output under its cap, says what was cut, and writes all of it to the report file', async () => {
    const COUNT = 30_500
    const emu = await emulator({ bundles: COUNT }, { pagingDefect: true })
    const result = await run(
      emu,
      {
        cleanup_keep: '10',
        cleanup_protect: '1.0.1*',
        max_delete: '1000000',
        dry_run: 'true'
      },
      { timeoutMs: 150_000 }
    )
    expectNotKilled(result)
    expect(result.code, why(result)).toBe(0)

    // 1.0.1, 1.0.10.., 1.0.100.., 1.0.1000.., 1.0.10000..: 11,111 protected; the 10 newest kept.
    const names = Array.from({ length: COUNT }, (_, i) => i)
    const protectedCount = names.filter(i => String(i).startsWith('1')).length
    const expectedDeleted = names
      .filter(i => i < COUNT - 10 && !String(i).startsWith('1'))
      .map(i => `1.0.${i}`)
    expect(result.outputs.deleted_count).toBe(String(expectedDeleted.length))

    // The caps.
    for (const name of ['deleted_bundles', 'protected_bundles', 'failed_bundles']) {
      expect(bytes(result.outputs[name]!), name).toBeLessThanOrEqual(64 * 1024)
      expect(() => JSON.parse(result.outputs[name]!)).not.toThrow()
    }
    expect(bytes(result.outputs.report!)).toBeLessThanOrEqual(256 * 1024)
    const total = Object.values(result.outputs).reduce((sum, value) => sum + bytes(value), 0)
    expect(total).toBeLessThan(800 * 1024)
    expect(bytes(result.summary)).toBeLessThan(1024 * 1024)

    // What was cut is said: in the report output, in the summary.
    const cutReport = report(result) as unknown as {
      truncated: boolean
      truncated_outputs: Record<string, { shown: number; total: number }>
      truncated_lists: Record<string, { shown: number; total: number | null }>
    }
    expect(cutReport.truncated).toBe(true)
    expect(cutReport.truncated_outputs.deleted_bundles?.total).toBe(expectedDeleted.length)
    expect(cutReport.truncated_outputs.protected_bundles?.total).toBe(protectedCount)
    const shown = JSON.parse(result.outputs.deleted_bundles!) as string[]
    expect(cutReport.truncated_outputs.deleted_bundles?.shown).toBe(shown.length)
    expect(shown.length).toBeLessThan(expectedDeleted.length)
    expect(result.summary).toMatch(/Cut to stay under GitHub's size limit/)
    expect(result.summary).toContain(`lists ${shown.length} of ${expectedDeleted.length}`)

    // The report file has it all, and lies in the run's RUNNER_TEMP.
    const file = result.outputs.report_file!
    expect(file.startsWith(`${result.runnerTemp}/`)).toBe(true)
    expect(result.reportFileText, 'the report file was not there').toBeDefined()
    const full = JSON.parse(result.reportFileText!) as {
      deleted_bundles: string[]
      protected_bundles: string[]
      truncated: boolean
    }
    expect(full.truncated).toBe(false)
    expect(sorted(full.deleted_bundles)).toEqual(sorted(expectedDeleted))
    expect(full.protected_bundles).toHaveLength(protectedCount)
    expect(emu.writes()).toEqual([])
  }, 180_000)
})

describe('a bundle name longer than an output', () => {
  it('is never clipped into a name that does not exist: the lists are cut before it, and say so', async () => {
    const long = `9.${'L'.repeat(300_000)}`
    const emu = await emulator({
      bundles: ['1.0.0', long, '1.0.2', '1.0.3'].map(name => ({ name }))
    })
    const result = await run(emu, { cleanup_keep: '1' })
    expect(result.code, why(result)).toBe(0)
    const real = new Set(['1.0.0', long, '1.0.2', '1.0.3'])
    expect(liveNames(emu)).toEqual(new Set(['1.0.3']))
    expect(result.outputs.deleted_count).toBe('3')

    for (const [name, value] of Object.entries(result.outputs)) {
      expect(bytes(value), name).toBeLessThanOrEqual(256 * 1024)
    }
    // Every name an output or the report gives is a bundle's whole name.
    const listed = json<string[]>(result, 'deleted_bundles')
    for (const name of listed) expect(real.has(name), name.slice(0, 40)).toBe(true)
    const cut = report(result) as unknown as Report & {
      truncated: boolean
      truncated_lists?: Record<string, { shown: number; total: number | null }>
    }
    const named = [
      ...cut.deleted_bundles,
      ...cut.protected_bundles,
      ...(cut.plan?.bundles ?? []).map(b => b.version)
    ]
    for (const name of named) expect(real.has(name), name.slice(0, 40)).toBe(true)
    // What was left out is said.
    expect(cut.truncated).toBe(true)
    expect(cut.deleted_bundles.length).toBeLessThan(3)
    expect(cut.truncated_lists?.deleted_bundles?.total).toBe(3)
    expect(cut.truncated_lists?.['plan.bundles']?.total).toBe(3)
    // The report file has the name whole.
    const full = JSON.parse(result.reportFileText!) as Report
    expect(sorted(full.deleted_bundles)).toEqual(sorted(['1.0.0', long, '1.0.2']))
  })
})

// ---- 6. globs and versions --------------------------------------------------------------------

describe('patterns', () => {
  it('cleanup_protect "hotfix-?" protects hotfix-é and hotfix-🚀 (one character each)', async () => {
    const emu = await emulator({
      bundles: ['hotfix-é', 'hotfix-🚀', 'hotfix-ab', ...v(0, 1, 2)].map(name => ({ name }))
    })
    const result = await run(emu, { cleanup_keep: '1', cleanup_protect: 'hotfix-?' })
    expect(result.code, why(result)).toBe(0)
    expect(liveNames(emu)).toEqual(new Set(['hotfix-é', 'hotfix-🚀', '1.0.2']))
    expect(deletedOutput(result)).toEqual(sorted(['hotfix-ab', '1.0.0', '1.0.1']))
    const reasons = report(result).plan!.bundles.filter(b => b.fate === 'protected')
    expect(reasons.map(b => `${b.version}: ${b.reason}`).sort()).toEqual([
      'hotfix-é: matches cleanup_protect "hotfix-?"',
      'hotfix-🚀: matches cleanup_protect "hotfix-?"'
    ])
  })

  it('cleanup_pattern "*a*a*a*a*a*a*a*a*b" against a 60-character all-"a" name completes', async () => {
    const sixty = 'a'.repeat(60)
    const matching = `${'a'.repeat(59)}b`
    const emu = await emulator({
      bundles: [sixty, matching, 'aaaaaaaab', '1.0.0'].map(name => ({ name }))
    })
    const result = await run(
      emu,
      { cleanup_keep: '0', cleanup_pattern: '*a*a*a*a*a*a*a*a*b' },
      { timeoutMs: 30_000 }
    )
    expectNotKilled(result)
    expect(result.code, why(result)).toBe(0)
    expect(deletedOutput(result)).toEqual(sorted([matching, 'aaaaaaaab']))
    expect(liveNames(emu)).toEqual(new Set([sixty, '1.0.0']))
  })

  it('cleanup_order semver tells 1.0.0-18014398509481985 from ...984 (beyond 2^53)', async () => {
    const high = '1.0.0-18014398509481985'
    const low = '1.0.0-18014398509481984'
    // The lower version is the newer upload (and the higher id): a tie in precedence would keep it.
    const emu = await emulator({
      bundles: [{ name: high }, { name: low }],
      bundleIntervalMs: HOUR
    })
    const result = await run(emu, { cleanup_keep: '1', cleanup_order: 'semver' })
    expect(result.code, why(result)).toBe(0)
    expect(deletedOutput(result)).toEqual([low])
    expect(liveNames(emu)).toEqual(new Set([high]))
  })
})

// ---- 7. equal upload times --------------------------------------------------------------------

describe('upload times that tie', () => {
  it.each([
    ['stable', 1],
    ['shuffle', 1],
    ['shuffle', 2],
    ['shuffle', 3]
  ] as const)(
    'tie order %s (seed %i): 120 bundles, 3 upload times: the cleanup never takes a bundle it should keep, and its counts hold or it says they may not',
    async (tieOrder, seed) => {
      const now = Date.now()
      const times = [now - 3 * DAY, now - 2 * DAY, now - DAY].map(t => new Date(t).toISOString())
      const bundles: SeedBundle[] = Array.from({ length: 120 }, (_, i) => ({
        name: `1.0.${i}`,
        created_at: times[Math.floor(i / 40)]!
      }))
      const emu = await emulator({ bundles }, { tieOrder, seed })
      // The 50 to keep: the newest time first, then the highest ids (the action's tie-break).
      const keep = new Set(v(...Array.from({ length: 50 }, (_, i) => 119 - i)))
      const shouldGo = v(...Array.from({ length: 70 }, (_, i) => i))

      const first = await run(emu, { cleanup_keep: '50' })
      expect(first.code, why(first)).toBe(0)
      // Never one of the 50 newest, whatever order the pages came in.
      expectSafe(expect, emu, shouldGo)
      for (const name of keep) expect(liveNames(emu).has(name), name).toBe(true)

      const incomplete = first.warnings.some(w => /may be incomplete/.test(w))
      // Ties in a fixed order: the re-read agrees with the first read, so the list is complete.
      if (tieOrder === 'stable') expect(incomplete, first.warnings.join('\n')).toBe(false)
      const left = liveNames(emu).size
      if (incomplete) {
        // The run said the list may be incomplete (src/capgo/client/listings.ts listBundles): what it
        // missed it neither counted (kept_count may be low, never high) nor deleted.
        expect(Number(first.outputs.kept_count)).toBeLessThanOrEqual(left)
      } else {
        // A stable listing: the count is true.
        expect(first.outputs.kept_count).toBe(String(left))
      }

      // A re-run ends where a complete first run would have: exactly the 50 newest are left, and
      // when the first run's listing was stable, nothing more goes.
      emu.clearLog()
      const second = await run(emu, { cleanup_keep: '50' })
      expect(second.code, why(second)).toBe(0)
      expectSafe(expect, emu, shouldGo)
      expect(liveNames(emu)).toEqual(keep)
      expect(second.outputs.kept_count).toBe('50')
      if (!incomplete) expect(requestsOf(emu, 'DELETE', '/bundle')).toEqual([])
    },
    90_000
  )
})
