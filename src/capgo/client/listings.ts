// Listings: every bundle and every channel of an app, page by page (../listing.ts reads the pages),
// with the bundles read again when upload times tie across a page boundary.
import type { BundleListing } from '../api.js'
import { isObject } from '../classify.js'
import { END_OF_LISTING, readListing, type Listing } from '../listing.js'
import type { Bundle, Channel } from '../types.js'
import { A_LIST, invalidResponse, type CapgoRequests } from './requests.js'

/** Extra full listings of bundles when upload times tie across a page boundary. */
export const MAX_EXTRA_LISTINGS = 3

/** `CapgoApi.listBundles` (api.ts). */
export async function listBundles(req: CapgoRequests, appId: string): Promise<BundleListing> {
  let firstPageRefused = false
  const first = await readBundles(req, appId, () => (firstPageRefused = true))
  if (firstPageRefused) return { bundles: [], warnings: [], firstPageRefused }
  if (!first.tieAtBoundary) return { bundles: first.rows, warnings: [] }
  // Capgo orders by created_at alone: rows with an equal upload time on both sides of a page
  // boundary come in any order, so one may be skipped and another read twice. Read again and
  // keep every bundle seen, until a listing finds none that the earlier ones missed. (Waiting
  // for two listings to agree would never end: the tied rows come in a new order each time.)
  const union = new Map(first.rows.map(row => [row.id, row]))
  for (let extra = 1; extra <= MAX_EXTRA_LISTINGS; extra++) {
    const again = await readBundles(req, appId)
    let found = 0
    for (const row of again.rows) {
      if (union.has(row.id)) continue
      union.set(row.id, row)
      found++
    }
    if (found === 0) return { bundles: newestFirst(union, first.rows), warnings: [] }
  }
  return {
    bundles: newestFirst(union, first.rows),
    warnings: [
      `The bundle list of ${appId} may be incomplete: bundles with the same upload time ` +
        `(created_at) straddle Capgo's page boundaries, and Capgo returns them in no fixed ` +
        `order, and each of ${MAX_EXTRA_LISTINGS + 1} listings found bundles the others missed. Every bundle seen is ` +
        `kept (none is deleted for having been missed), but counts may be off.`
    ]
  }
}

/** `CapgoApi.listChannels` (api.ts). */
export async function listChannels(req: CapgoRequests, appId: string): Promise<Channel[]> {
  const route = 'GET /channel'
  const listing = await readListing<Channel>({
    fetchPage: page => fetchPage(req, '/channel', appId, page, undefined),
    concurrency: req.listConcurrency,
    checkRow: row => {
      if (!isObject(row) || typeof row.id !== 'number') {
        throw invalidResponse(route, 'a row without a numeric id')
      }
      if (typeof row.name !== 'string') {
        throw invalidResponse(route, 'a channel row without a name')
      }
      return row as unknown as Channel
    },
    notAList: () => invalidResponse(route, A_LIST.what),
    tooLong: () => invalidResponse(route, 'a listing that never ends')
  })
  return listing.rows
}

/**
 * `cannot_get_bundle` ends a listing: Capgo before August 2026 answered it past the last page.
 * On the first page it may also be a refusal (a key that cannot reach the app), which only the
 * caller can tell apart: `onFirstPageRefused` says it happened.
 */
function readBundles(
  req: CapgoRequests,
  appId: string,
  onFirstPageRefused: () => void = () => undefined
): Promise<Listing<Bundle>> {
  const route = 'GET /bundle'
  return readListing<Bundle>({
    fetchPage: async page => {
      const result = await fetchPage(req, '/bundle', appId, page, 'cannot_get_bundle')
      if (page === 0 && result === END_OF_LISTING) onFirstPageRefused()
      return result
    },
    concurrency: req.listConcurrency,
    checkRow: row => {
      if (!isObject(row) || typeof row.id !== 'number') {
        throw invalidResponse(route, 'a row without a numeric id')
      }
      if (typeof row.name !== 'string' || typeof row.created_at !== 'string') {
        throw invalidResponse(route, 'a bundle row without a name or created_at')
      }
      return row as unknown as Bundle
    },
    notAList: () => invalidResponse(route, A_LIST.what),
    tooLong: () => invalidResponse(route, 'a listing that never ends'),
    orderField: 'created_at'
  })
}

function fetchPage(
  req: CapgoRequests,
  path: string,
  appId: string,
  page: number,
  endCode: string | undefined
): Promise<unknown> {
  return req.call<unknown>('GET', path, {
    query: { app_id: appId, page: String(page) },
    expect: A_LIST,
    recover: error => (endCode !== undefined && error.code === endCode ? END_OF_LISTING : undefined)
  })
}

/**
 * The union of listings, newest first. The first listing is in Capgo's order already; rows found
 * only by a re-read are placed by their upload time (a stable sort keeps the rest as it was).
 */
function newestFirst(union: Map<number, Bundle>, first: readonly Bundle[]): Bundle[] {
  if (union.size === first.length) return [...first]
  const keyed = [...union.values()].map(row => ({ row, time: timeOf(row.created_at) }))
  keyed.sort((a, b) => b.time - a.time)
  return keyed.map(entry => entry.row)
}

function timeOf(text: string): number {
  const time = Date.parse(text)
  return Number.isFinite(time) ? time : Number.NEGATIVE_INFINITY
}
