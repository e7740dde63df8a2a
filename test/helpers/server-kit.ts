// Pieces both emulators (Capgo's and GitHub's) share: sleeps that stop() cuts short, the choice
// of the fault rule that fires for a request, reading a body, listening and closing.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

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

/** A request's body: the raw text, and the parsed JSON (the raw text when it is not JSON). */
export async function readBody(
  req: AsyncIterable<unknown>
): Promise<{ raw: string; parsed: unknown }> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const raw = Buffer.concat(chunks).toString('utf8')
  if (raw === '') return { raw, parsed: undefined }
  try {
    return { raw, parsed: JSON.parse(raw) as unknown }
  } catch {
    return { raw, parsed: raw }
  }
}

/**
 * Starts `handler` on a loopback address and port (0: any free one). `close()` ends every open
 * socket at once, so a stopped server keeps nothing alive.
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer(handler)
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      return closed
    }
  }
}
