// Listing bundles and channels, with and without Capgo's paging defect: every size, extra rows,
// the floor of requests, the page guard, ties in upload time at page boundaries, failures mid-way.
import { describe, expect, it } from 'vitest'
import { PAGE_SIZE } from '../../src/capgo/client.js'
import type { Bundle } from '../../src/capgo/types.js'
import type { Emulator, SeedApp } from '../emulator/index.js'
import { APP, start, client, failure, bundlesOf, hits, tinyServer, json } from './helpers.js'

const SIZES = [0, 1, 49, 50, 51, 1000, 10_000]

/**
 * The pages a client reading "the page that starts right after the last row received" asks for,
 * from the emulator's arithmetic: page P starts at row 50P and holds up to (10P + 1) * 50 - 50P
 * rows with the defect (P >= 1), capped at `maxRows`; 50 without it. `rowsAt` overrides the count.
 */
function expectedPages(
  n: number,
  options: { defect: boolean; maxRows?: number; rowsAt?: number; endIsError?: boolean }
): number[] {
  const pages: number[] = []
  for (let page = 0; ;) {
    pages.push(page)
    const start = page * PAGE_SIZE
    if (start >= n) return pages
    const length =
      options.rowsAt ??
      Math.min(
        options.defect && page >= 1 ? (10 * page + 1) * 50 - 50 * page : PAGE_SIZE,
        options.maxRows ?? 1000
      )
    const rows = Math.min(length, n - start)
    if (rows < PAGE_SIZE) return pages
    page = Math.floor((start + rows) / PAGE_SIZE)
  }
}

/** How often each id was sent by the server across all GET /bundle answers is not logged; the
 * client's result must hold each live bundle exactly once, in the emulator's order. */
function expectExactly(bundles: Bundle[], emu: Emulator): void {
  const ids = bundles.map(b => b.id)
  expect(new Set(ids).size).toBe(ids.length)
  expect(ids).toEqual(emu.bundles(APP).map(b => b.id))
}

describe.each([true, false])('listing with pagingDefect=%s', pagingDefect => {
  it.each(SIZES)(
    'listBundles with %i bundles: every bundle once, newest first, from the page after the last row',
    async n => {
      const emu = await start({ pagingDefect, apps: [{ app_id: APP, bundles: n }] })
      const { api } = client(emu.url)
      const bundles = await bundlesOf(api)
      expectExactly(bundles, emu)
      for (let i = 1; i < bundles.length; i++) {
        const newer = bundles[i - 1]
        const older = bundles[i]
        expect(Date.parse(newer?.created_at ?? '') >= Date.parse(older?.created_at ?? '')).toBe(
          true
        )
      }
      const gets = hits(emu, 'GET', '/bundle')
      expect(emu.requests.length).toBe(gets.length)
      expect(gets.map(r => Number(r.query.page))).toEqual(
        expectedPages(n, { defect: pagingDefect })
      )
      expect(gets.every(r => r.query.app_id === APP)).toBe(true)
      // Ended by a short page, or by an empty page past the end (200 [] in the emulator's default
      // era, late-2026; 400 cannot_get_bundle in july-2026).
      const last = gets[gets.length - 1]
      expect(last?.status).toBe(200)
      if (n === 10_000) {
        // With the defect about 10,000 / 1,000 pages; without it, 50 a page.
        if (pagingDefect) expect(gets.length).toBeLessThanOrEqual(15)
        else expect(gets.length).toBe(201)
      }
    }
  )

  it.each([0, 1, 50, 51, 120])(
    'listChannels with %i channels: every channel once, oldest first',
    async n => {
      const emu = await start({
        pagingDefect,
        apps: [
          {
            app_id: APP,
            bundles: 1,
            channels: Array.from({ length: n }, (_, i) => ({ name: `ch-${i}` }))
          }
        ]
      })
      const { api } = client(emu.url)
      const channels = await api.listChannels(APP)
      expect(channels.map(c => c.name)).toEqual(Array.from({ length: n }, (_, i) => `ch-${i}`))
      expect(new Set(channels.map(c => c.id)).size).toBe(n)
      expect(hits(emu, 'GET', '/channel').map(r => Number(r.query.page))).toEqual(
        expectedPages(n, { defect: pagingDefect })
      )
      expect(emu.requests.length).toBe(hits(emu, 'GET', '/channel').length)
    }
  )

  it('an extra-rows answer (120 rows a page) still gives exactly the right bundles and channels, every row used', async () => {
    const emu = await start({
      pagingDefect,
      apps: [
        {
          app_id: APP,
          bundles: 237,
          channels: Array.from({ length: 130 }, (_, i) => ({ name: `ch-${i}` }))
        }
      ],
      faults: [{ kind: 'extra-rows' }]
    })
    const { api } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    const channels = await api.listChannels(APP)
    expect(channels.map(c => c.name)).toEqual(Array.from({ length: 130 }, (_, i) => `ch-${i}`))
    expect(emu.requests.every(r => r.fault === 'extra-rows')).toBe(true)
    // 0..119, then page 2 (100..219), then page 4 (200..236): rows past the first 50 are used.
    expect(hits(emu, 'GET', '/bundle').map(r => Number(r.query.page))).toEqual([0, 2, 4])
    expect(hits(emu, 'GET', '/channel').map(r => Number(r.query.page))).toEqual([0, 2])
  })

  it.each([
    [0, 4],
    [49, 4],
    [50, 4],
    [120, 4],
    [2000, 4],
    [2000, 8],
    [10_000, 8]
  ])(
    'listBundles with %i bundles, %i pages at a time: complete, in order, pages 0 and 1 alone',
    async (n, listConcurrency) => {
      const emu = await start({ pagingDefect, apps: [{ app_id: APP, bundles: n }] })
      const { api } = client(emu.url, { listConcurrency })
      expectExactly(await bundlesOf(api), emu)
      const gets = hits(emu, 'GET', '/bundle')
      const pages = gets.map(r => Number(r.query.page))
      const sequential = expectedPages(n, { defect: pagingDefect })
      expect(pages.slice(0, 2)).toEqual(sequential.slice(0, 2))
      expect(new Set(pages).size).toBe(pages.length)
      if (pagingDefect && n > 100) {
        // Page 1 held more than 50 rows: one page at a time, from the page after the last row.
        expect(pages).toEqual(sequential)
      } else {
        // A server that pages by 50: windows of listConcurrency pages; past the end of the list,
        // at most one window minus one page is asked in vain.
        expect(pages.length).toBeGreaterThanOrEqual(sequential.length)
        expect(pages.length).toBeLessThanOrEqual(sequential.length + listConcurrency - 1)
        if (n >= 2000) {
          // Requests of one window overlap in time: the window's pages arrive before the first
          // page of the window is answered... at least they are all sent.
          expect(Math.max(...pages)).toBeGreaterThanOrEqual(Math.floor(n / PAGE_SIZE))
        }
      }
    }
  )

  it('leaves out soft-deleted bundles', async () => {
    const emu = await start({
      pagingDefect,
      apps: [
        {
          app_id: APP,
          bundles: Array.from({ length: 120 }, (_, i) => ({
            name: `2.0.${i}`,
            deleted: i % 3 === 0
          }))
        }
      ]
    })
    const { api } = client(emu.url)
    const bundles = await bundlesOf(api)
    expect(bundles.length).toBe(80)
    expect(bundles.every(b => !b.deleted)).toBe(true)
    expectExactly(bundles, emu)
  })
})

describe('listing at the floor', () => {
  it.each([true, false])(
    'maxRows 999 (pages not a multiple of 50), defect %s: every bundle once, overlapping rows de-duplicated',
    async pagingDefect => {
      const emu = await start({
        pagingDefect,
        maxRows: 999,
        apps: [{ app_id: APP, bundles: 10_000 }]
      })
      const { api } = client(emu.url)
      expectExactly(await bundlesOf(api), emu)
      const pages = hits(emu, 'GET', '/bundle').map(r => Number(r.query.page))
      expect(pages).toEqual(expectedPages(10_000, { defect: pagingDefect, maxRows: 999 }))
      if (pagingDefect) expect(pages.length).toBeLessThanOrEqual(15)
    }
  )

  it('10,000 bundles with the defect: about one read per row (each row sent at most twice)', async () => {
    const emu = await start({ pagingDefect: true, apps: [{ app_id: APP, bundles: 10_000 }] })
    const sent: number[] = []
    emu.addFault({
      kind: 'status',
      path: '/bundle',
      when: req => {
        const page = Number(req.query.page)
        const start = page * PAGE_SIZE
        const length = page === 0 ? 50 : Math.min(1000, (10 * page + 1) * 50 - 50 * page)
        sent.push(Math.max(0, Math.min(length, 10_000 - start)))
        return false
      }
    })
    const { api } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(sent.reduce((a, b) => a + b, 0)).toBe(10_000)
  })

  it('a listing that never ends is stopped by the page guard', async () => {
    let id = 0
    const tiny = await tinyServer((_req, res) =>
      json(
        res,
        200,
        Array.from({ length: 1000 }, () => ({
          id: ++id,
          name: `n${id}`,
          created_at: new Date(1e12 - id * 1000).toISOString()
        }))
      )
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('invalid_response')
    expect(error.message).toMatch(/never ends/)
    // 20 pages a request: the guard on page numbers ends it at MAX_PAGES / 20 requests.
    expect(tiny.requests.length).toBeLessThanOrEqual(1001)
  })

  it('a row without a numeric id fails the listing', async () => {
    const tiny = await tinyServer((_req, res) =>
      json(res, 200, [{ id: 'x', name: 'a', created_at: 'b' }])
    )
    const { api } = client(tiny.url)
    const error = await failure(api.listBundles(APP))
    expect(error.code).toBe('invalid_response')
  })

  it('100,000 bundles list with the defect in few requests and well under 500 MB', async () => {
    // A server of our own that computes rows from their offset (the emulator would hold its own
    // copy of 100,000 rows in this process and blur the measure).
    const total = 100_000
    const base = Date.parse('2026-01-01T00:00:00Z')
    const tiny = await tinyServer((req, res) => {
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page'))
      const start = page * PAGE_SIZE
      const length = page === 0 ? 50 : Math.min(1000, (10 * page + 1) * 50 - 50 * page)
      if (start >= total) return json(res, 400, { error: 'cannot_get_bundle', message: 'none' })
      const rows = Array.from({ length: Math.min(length, total - start) }, (_, i) => {
        const offset = start + i
        return {
          id: total - offset,
          name: `1.0.${total - offset}`,
          app_id: APP,
          created_at: new Date(base - offset * 1000).toISOString(),
          updated_at: new Date(base - offset * 1000).toISOString(),
          deleted: false,
          checksum: 'c'.repeat(64),
          external_url: null,
          min_update_version: null,
          native_packages: [],
          owner_org: '00000000-0000-0000-0000-000000000000',
          r2_path: `orgs/x/apps/${APP}/${offset}.zip`,
          session_key: null,
          storage_provider: 'r2',
          user_id: '00000000-0000-0000-0000-000000000001',
          link: null,
          comment: null
        }
      })
      json(res, 200, rows)
    })
    const { api } = client(tiny.url)
    global.gc?.()
    const before = process.memoryUsage().heapUsed
    const bundles = await bundlesOf(api)
    const after = process.memoryUsage().heapUsed
    expect(bundles.length).toBe(total)
    expect(new Set(bundles.map(b => b.id)).size).toBe(total)
    expect(tiny.requests.length).toBeLessThanOrEqual(105)
    expect(after - before).toBeLessThan(500 * 1024 * 1024)
  }, 60_000)
})

describe('ties in upload time across page boundaries', () => {
  /** `count` bundles in groups of `run` with the same created_at, newest group first. */
  function tiedBundles(count: number, run: number): SeedApp['bundles'] {
    const base = Date.parse('2026-01-01T00:00:00Z')
    return Array.from({ length: count }, (_, i) => ({
      name: `3.0.${i}`,
      created_at: new Date(base + Math.floor(i / run) * 60_000).toISOString()
    }))
  }

  it('no tie at a boundary: one listing, no warning', async () => {
    const emu = await start({
      tieOrder: 'shuffle',
      apps: [{ app_id: APP, bundles: tiedBundles(300, 5) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    expect(listing.warnings).toEqual([])
    expect(new Set(listing.bundles.map(b => b.id))).toEqual(
      new Set(emu.bundles(APP).map(b => b.id))
    )
    // Runs of 5 never straddle a multiple of 50: pages 0, 1 (rows 50..299), 6 (the end): once.
    expect(hits(emu, 'GET', '/bundle').map(r => r.query.page)).toEqual(['0', '1', '6'])
  })

  it('ties at a boundary in a stable order: re-read once, same set, no warning', async () => {
    const emu = await start({
      tieOrder: 'stable',
      apps: [{ app_id: APP, bundles: tiedBundles(300, 7) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    expect(listing.warnings).toEqual([])
    expectExactly(listing.bundles, emu)
    expect(hits(emu, 'GET', '/bundle').map(r => r.query.page)).toEqual([
      '0',
      '1',
      '6',
      '0',
      '1',
      '6'
    ])
  })

  it('ties shuffled per request: the union of re-reads holds every bundle once and never one that is not there', async () => {
    const emu = await start({
      tieOrder: 'shuffle',
      seed: 7,
      pagingDefect: false,
      apps: [{ app_id: APP, bundles: tiedBundles(400, 20) }]
    })
    const { api } = client(emu.url)
    const listing = await api.listBundles(APP)
    const live = new Set(emu.bundles(APP).map(b => b.id))
    const ids = listing.bundles.map(b => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(live.has(id)).toBe(true)
    const listings = hits(emu, 'GET', '/bundle').filter(r => r.query.page === '0').length
    expect(listings).toBeGreaterThanOrEqual(2)
    expect(listings).toBeLessThanOrEqual(4)
    if (ids.length < live.size) expect(listing.warnings.join(' ')).toMatch(/incomplete/)
  })

  it('a boundary tie that skips a row: the re-read finds it, and the listing settles', async () => {
    // Page 0 has 50 rows, page 1 is short. Rows 49 and 50 share created_at; the first listing
    // shows row A on both sides (B is missed), later listings show A then B.
    const t = (i: number): string =>
      new Date(Date.parse('2026-01-01T00:00:00Z') - i * 1000).toISOString()
    const row = (id: number, created: string): object => ({
      id,
      name: `v${id}`,
      created_at: created
    })
    const head = Array.from({ length: 49 }, (_, i) => row(i + 1, t(i)))
    let listing = 0
    const tiny = await tinyServer((req, res) => {
      const page = new URL(req.url ?? '', 'http://x').searchParams.get('page')
      if (page === '0') {
        listing++
        return json(res, 200, [...head, row(100, t(49))])
      }
      const second = listing === 1 ? row(100, t(49)) : row(101, t(49))
      return json(res, 200, [second, row(102, t(60))])
    })
    const { api } = client(tiny.url)
    const result = await api.listBundles(APP)
    expect(result.warnings).toEqual([])
    expect(result.bundles.map(b => b.id)).toEqual([...head.map((_, i) => i + 1), 100, 101, 102])
    expect(listing).toBe(3)
  })

  it('a boundary tie that never settles: every bundle seen is kept, with a warning', async () => {
    const t = (i: number): string =>
      new Date(Date.parse('2026-01-01T00:00:00Z') - i * 1000).toISOString()
    const row = (id: number, created: string): object => ({
      id,
      name: `v${id}`,
      created_at: created
    })
    const head = Array.from({ length: 49 }, (_, i) => row(i + 1, t(i)))
    let listing = 0
    const tiny = await tinyServer((req, res) => {
      const page = new URL(req.url ?? '', 'http://x').searchParams.get('page')
      if (page === '0') {
        listing++
        return json(res, 200, [...head, row(100, t(49))])
      }
      // Each listing shows a different second row of the tie.
      return json(res, 200, [row(100 + listing * 2, t(49))])
    })
    const { api } = client(tiny.url)
    const result = await api.listBundles(APP)
    expect(listing).toBe(4)
    expect(result.warnings.length).toBe(1)
    expect(result.warnings[0]).toMatch(/incomplete/)
    expect(result.warnings[0]).toMatch(/created_at/)
    const ids = result.bundles.map(b => b.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of [100, 102, 104, 106, 108]) expect(ids).toContain(id)
  })
})

describe('listing with failures mid-way', () => {
  it('a 503 on one page is retried and the listing is still complete', async () => {
    const emu = await start({ pagingDefect: false, apps: [{ app_id: APP, bundles: 160 }] })
    emu.addFault({ kind: 'status', status: 503, path: '/bundle', skip: 2, count: 2 })
    const { api, waits } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(emu.requests.map(r => `${r.query.page}:${r.status}`)).toEqual([
      '0:200',
      '1:200',
      '2:503',
      '2:503',
      '2:200',
      '3:200'
    ])
    expect(waits).toEqual([5, 10])
  })

  it('a truncated page is retried', async () => {
    const emu = await start({ apps: [{ app_id: APP, bundles: 75 }] })
    emu.addFault({ kind: 'truncated', path: '/bundle', count: 1 })
    const { api, waits } = client(emu.url)
    expectExactly(await bundlesOf(api), emu)
    expect(emu.requests.map(r => r.query.page)).toEqual(['0', '0', '1'])
    expect(emu.requests[0]?.fault).toBe('truncated')
    expect(waits).toEqual([5])
  })
})
