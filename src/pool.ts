/**
 * Runs `task` over `items` with at most `limit` in flight, starting them in order. Once `stop()`
 * is true no further item is started (those in flight finish). Returns how many were started.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
  stop: () => boolean = () => false
): Promise<number> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) await task(items[next++]!)
  }
  const workers = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  return next
}
