// Reading a whole listing (GET /bundle, GET /channel) page by page, at the fewest requests Capgo
// allows (docs/capgo-api-notes.md, "Bundles" and "Channels"). Capgo's page P always starts at row 50P;
// with its paging defect a page P >= 1 holds up to (10P + 1) * 50 - 50P rows (capped by the
// database, 1,000), on a fixed server 50. Asking next for the page that starts right after the
// last row received reads each row about once either way.

/** Capgo's page size: page P starts at row P * PAGE_SIZE. */
export const PAGE_SIZE = 50
/** A bound on pages and requests, so a server that never ends a listing cannot keep the step running. */
export const MAX_PAGES = 20_000

/** What a page request gave: its rows, or the end of the listing (e.g. `cannot_get_bundle`). */
export const END_OF_LISTING: unique symbol = Symbol('end of listing')
export type PageResult = unknown[] | typeof END_OF_LISTING

export interface ListingOptions<T> {
  fetchPage: (page: number) => Promise<unknown>
  /** Pages fetched at once once the server shows it pages by 50 (page 1 held exactly 50 rows). */
  concurrency: number
  /** Checks one row and returns it typed; throws on a row that is not usable. */
  checkRow: (row: unknown) => T & { id: number }
  /** Throws the error for an answer that is not a list. */
  notAList: () => Error
  /** Throws the error for a listing that passes MAX_PAGES. */
  tooLong: () => Error
  /** The field rows are ordered by; when set, the listing reports ties across page boundaries. */
  orderField?: keyof T & string
}

export interface Listing<T> {
  /** De-duplicated by id, in the order received. */
  rows: T[]
  /** True when a page started inside a run of rows with an equal `orderField`. */
  tieAtBoundary: boolean
  requests: number
}

/** Every row of a listing, each once. */
export async function readListing<T extends { id: number }>(
  options: ListingOptions<T>
): Promise<Listing<T>> {
  const seen = new Set<number>()
  const rows: T[] = []
  // The order value at each row offset, and the offsets where a page started: enough to tell
  // whether a page boundary fell inside a run of equal values.
  const orderAt: (string | undefined)[] = []
  const starts: number[] = []
  let requests = 0
  let next = 0
  let parallel = false

  for (;;) {
    if (requests >= MAX_PAGES || next >= MAX_PAGES) throw options.tooLong()
    const width = Math.min(parallel ? options.concurrency : 1, MAX_PAGES - next)
    const pages = Array.from({ length: width }, (_, i) => next + i)
    requests += pages.length
    let reached = next * PAGE_SIZE
    // A failure past the end of the list (a page never needed) does not fail the listing: pages
    // are taken in order, and the first end or short page stops the reading.
    const settled = await Promise.allSettled(pages.map(options.fetchPage))
    for (const [index, outcome] of settled.entries()) {
      const page = pages[index] ?? 0
      if (outcome.status === 'rejected') throw outcome.reason
      const result = outcome.value
      if (result === END_OF_LISTING) return done()
      if (!Array.isArray(result)) throw options.notAList()
      const start = page * PAGE_SIZE
      for (const [offset, raw] of result.entries()) {
        const row = options.checkRow(raw)
        if (options.orderField !== undefined) {
          const value = row[options.orderField]
          orderAt[start + offset] = typeof value === 'string' ? value : undefined
        }
        if (seen.has(row.id)) continue
        seen.add(row.id)
        rows.push(row)
      }
      if (page > 0 && result.length > 0) starts.push(start)
      // Page 1 tells the server's kind: exactly 50 rows is a fixed server (or a short list).
      if (page === 1) parallel = result.length === PAGE_SIZE && options.concurrency > 1
      if (result.length < PAGE_SIZE) return done()
      reached = Math.max(reached, start + result.length)
    }
    next = Math.floor(reached / PAGE_SIZE)
  }

  function done(): Listing<T> {
    const tieAtBoundary = starts.some(
      start => orderAt[start - 1] !== undefined && orderAt[start - 1] === orderAt[start]
    )
    return { rows, tieAtBoundary, requests }
  }
}
