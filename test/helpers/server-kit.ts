// Pieces both emulators (Capgo's and GitHub's) share: sleeps that stop() cuts short, and the
// choice of the fault rule that fires for a request.

/** Sleeps that `wakeAll()` ends at once, so that a stopped emulator keeps nothing alive. */
export function cancellableSleeps(): { sleep: (ms: number) => Promise<void>; wakeAll: () => void } {
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  return {
    sleep: ms =>
      ms <= 0
        ? Promise.resolve()
        : new Promise(resolve => {
            const s = {
              resolve,
              timer: setTimeout(() => {
                sleepers.delete(s)
                resolve()
              }, ms)
            }
            sleepers.add(s)
          }),
    wakeAll: () => {
      for (const s of sleepers) {
        clearTimeout(s.timer)
        s.resolve()
      }
      sleepers.clear()
    }
  }
}

/** What a fault rule may look at. */
export interface FaultRequestShape {
  method: string
  path: string
  query: Record<string, string>
  body: unknown
}

/** The fields of a fault rule that decide whether it fires. */
export interface FaultMatch<Req> {
  method?: string
  path?: string | RegExp
  when?: (req: Req) => boolean
  count?: number
  share?: number
  skip?: number
}

export interface ArmedFault<Rule> {
  rule: Rule
  seen: number
  fired: number
}

/**
 * The first rule that fires for `req`: method and path match, `when` agrees, the first `skip`
 * matches are let through, at most `count` firings, on a `share` of matches (seeded `random`).
 */
export function pickFault<Req extends FaultRequestShape, Rule extends FaultMatch<Req>>(
  faults: ArmedFault<Rule>[],
  req: Req,
  random: () => number
): Rule | undefined {
  for (const armed of faults) {
    const { rule } = armed
    if (rule.method !== undefined && rule.method.toUpperCase() !== req.method) continue
    if (typeof rule.path === 'string' && rule.path.replace(/\/+$/, '') !== req.path) continue
    if (rule.path instanceof RegExp && !rule.path.test(req.path)) continue
    if (rule.when && !rule.when(req)) continue
    armed.seen++
    if (armed.seen <= (rule.skip ?? 0)) continue
    if (rule.count !== undefined && armed.fired >= rule.count) continue
    if (rule.share !== undefined && random() >= rule.share) continue
    armed.fired++
    return rule
  }
  return undefined
}
