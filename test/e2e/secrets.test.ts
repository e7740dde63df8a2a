// The API key, through the built action: it appears in no output stream, output, job summary or
// report, also when the server echoes it back (error body, header, redirect Location); a rejected
// key fails at once; plain http to a non-loopback host is refused before any request; a redirect
// is not followed, so the key never reaches another host.
//
// `leaks()` (test/helpers' keyLeaks) looks at stdout (except the runner's ::add-mask:: line, which
// is how the runner learns to mask it), stderr, every output (report included) and the job summary.

import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, describe, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import {
  APP,
  KEY,
  deletedNames,
  emulator,
  errorText,
  expectSafe,
  expectedCleanup,
  failedBundles,
  json,
  leaks,
  onDeleteOf,
  report,
  requestsOf,
  retryLines,
  run,
  standardApp,
  stopEmulators,
  why
} from './shared.js'

stopEmulators()

// ---- tiny servers: a recorder, a redirector, a proxy that redirects some requests -------------

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
}

interface TinyServer {
  port: number
  seen: Seen[]
  close(): Promise<void>
}

const servers: TinyServer[] = []
afterAll(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()))
})

async function tinyServer(
  host: string,
  handle: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void
): Promise<TinyServer> {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res))
  })
  await new Promise<void>(resolve => server.listen(0, host, resolve))
  const tiny: TinyServer = {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  servers.push(tiny)
  return tiny
}

/** Records every request and answers 200 `{"status":"ok"}`: any request it gets is a failure. */
function recorder(host = '127.0.0.1'): Promise<TinyServer> {
  return tinyServer(host, (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"status":"ok"}')
  })
}

/** Answers every request with `status` and a Location on another host (with the key in it). */
function redirector(status: number, location: string): Promise<TinyServer> {
  return tinyServer('127.0.0.1', (_req, _body, res) => {
    res.writeHead(status, { location, 'content-type': 'text/plain' })
    res.end(`Moved to ${location}`)
  })
}

/** Forwards to the emulator, except requests `redirect` picks, which get a 307 to `location`. */
function redirectingProxy(
  emu: Emulator,
  redirect: (req: IncomingMessage, body: string) => boolean,
  location: string
): Promise<TinyServer> {
  return tinyServer('127.0.0.1', (req, body, res) => {
    if (redirect(req, body)) {
      res.writeHead(307, { location })
      res.end()
      return
    }
    const upstream = request(
      {
        host: '127.0.0.1',
        port: emu.port,
        method: req.method,
        path: req.url,
        headers: req.headers
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on('error', () => res.destroy())
    upstream.end(body)
  })
}

const hasKey = (seen: Seen): boolean =>
  seen.headers.authorization === KEY || seen.headers.capgkey === KEY || seen.url.includes(KEY)

// ---- the key echoed by the server -------------------------------------------------------------

describe.concurrent('the key echoed back by the server', () => {
  it('500 with the key in the body and in an x-debug-key header on DELETE of 1.0.2, retries 0 → exit 1, 1.0.2 failed with the key masked, the key nowhere (streams, outputs, report, summary)', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [onDeleteOf('1.0.2', { kind: 'echo-key' })]
    })
    const plan = expectedCleanup(emu, { keep: 20 })
    const result = await run(emu, { cleanup_keep: '20', retries: '0' })
    expect(result.code, why(result)).toBe(1)
    // The fault did echo the key (else this test would prove nothing).
    expect(requestsOf(emu, 'DELETE', '/bundle').some(r => r.fault === 'echo-key')).toBe(true)
    const failed = failedBundles(result)
    expect(failed.map(f => f.version)).toEqual(['1.0.2'])
    expect(failed[0]!.error).toMatch(/HTTP 500.*\*\*\*/)
    expect(deletedNames(emu)).toEqual(plan.filter(v => v !== '1.0.2'))
    expect(result.outputs.report).toBeDefined()
    expect(result.outputs.report).not.toContain(KEY)
    expect(result.summary).not.toBe('')
    expect(leaks(result)).toEqual([])
  })

  it('the key echoed on GET /bundle once, retries 1 → success; the retry line shows the reason with the key masked', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'GET', path: '/bundle', kind: 'echo-key', count: 1 }]
    })
    const result = await run(emu, { cleanup_keep: '20', retries: '1' })
    expect(result.code, why(result)).toBe(0)
    const [line] = retryLines(result, 'GET /bundle')
    expect(line).toMatch(/checking key \*\*\*/)
    expect(leaks(result)).toEqual([])
  })

  it('the key echoed on every GET /channel, retries 2 → exit 1 with the key masked in the error; no leak', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'GET', path: '/channel', kind: 'echo-key' }]
    })
    const result = await run(emu, { channel: 'production', promote_from: 'beta', retries: '2' })
    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/GET \/channel.*\*\*\*.*gave up after 3 attempts/)
    expect(emu.writes()).toEqual([])
    expect(leaks(result)).toEqual([])
  })

  it('the key given with spaces and a line break around it, echoed in an error → trimmed and masked; no leak', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'GET', path: '/bundle', kind: 'echo-key' }]
    })
    const result = await run(emu, { api_key: `  ${KEY}\n`, cleanup_keep: '20', retries: '0' })
    expect(result.code, why(result)).toBe(1)
    expect(requestsOf(emu, 'GET', '/bundle')[0]?.headers.capgkey).toBe(KEY)
    expect(leaks(result)).toEqual([])
  })
})

// ---- a rejected key ---------------------------------------------------------------------------

describe.concurrent('a rejected key', () => {
  it('an unknown key → 401 → exit 1 with "the API key was rejected", each route asked once (never retried), the key nowhere', async ({
    expect
  }) => {
    const wrong = 'ak_live_WRONG0000Zz9Yy8Xx7Ww6'
    const emu = await emulator(standardApp())
    const result = await run(emu, { api_key: wrong, cleanup_keep: '20', retries: '3' })
    expect(result.code, why(result)).toBe(1)
    expect(errorText(result)).toMatch(/the API key was rejected/)
    expect(requestsOf(emu, 'GET', '/channel').length).toBeLessThanOrEqual(1)
    expect(requestsOf(emu, 'GET', '/bundle').length).toBeLessThanOrEqual(1)
    expect(emu.requests.every(r => r.status === 401)).toBe(true)
    expect(emu.writes()).toEqual([])
    expect(leaks(result, wrong)).toEqual([])
  })

  // Regression test for a bug found while writing these tests (it failed against the dist of
  // commit 19d4bda): the reads ran in parallel (Promise.all in src/main.ts readInventory), so when
  // GET /channel's 401 arrived while GET /bundle was still in flight, run() failed and disposed the
  // client, but the GET /bundle call went on: its lost answer ("socket hang up"), then every
  // "Client has already been disposed.", were taken for dropped connections and retried with
  // backoff (src/capgo/client/requests.ts call()). The step printed "Retrying GET /bundle ..."
  // after its error and stayed alive for the whole backoff: with retries 10 about 3 minutes. The
  // slow answer makes the race certain.
  it('an unknown key while GET /bundle is still in flight (answer 0.5 s late), retries 10 → exit 1 at once: no retry after the 401, the step ends within 20 s', async ({
    expect
  }) => {
    const wrong = 'ak_live_WRONG1111Zz9Yy8Xx7Ww6'
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'GET', path: '/bundle', kind: 'slow', delayMs: 500, count: 1 }]
    })
    const result = await run(
      emu,
      { api_key: wrong, cleanup_keep: '20', retries: '10' },
      { timeoutMs: 20_000 }
    )
    expect(errorText(result)).toMatch(/the API key was rejected/)
    expect(leaks(result, wrong)).toEqual([])
    expect(emu.writes()).toEqual([])
    expect(retryLines(result), result.stdout).toEqual([])
    // null = still running at 20 s and killed by the harness.
    expect(result.code, why(result)).toBe(1)
  })

  it('a 401 in the middle of a cleanup (3rd DELETE, concurrency 1) → stops at once: exit 1, "the API key was rejected", no further DELETE, the rest reported as not attempted', async ({
    expect
  }) => {
    const emu = await emulator(standardApp(), {
      faults: [{ method: 'DELETE', path: '/bundle', kind: 'status', status: 401, skip: 2 }]
    })
    const plan = expectedCleanup(emu, { keep: 20 })
    const result = await run(emu, { cleanup_keep: '20', concurrency: '1' })
    expect(result.code, why(result)).toBe(1)
    const errors = errorText(result)
    expect(errors).toMatch(/the API key was rejected/)
    expect(errors).toContain(
      `${plan.length - 3} deletions were not attempted after the run stopped.`
    )
    // The one refused with 401 is a failed deletion, named.
    expect(failedBundles(result).map(f => f.version)).toEqual([plan[2]])
    expect(json(result, 'deleted_bundles')).toEqual(plan.slice(0, 2))
    expect(requestsOf(emu, 'DELETE', '/bundle')).toHaveLength(3)
    expect(deletedNames(emu)).toHaveLength(2)
    expectSafe(expect, emu, plan)
    expect(leaks(result)).toEqual([])
  })
})

// ---- where the key may be sent ----------------------------------------------------------------

describe.concurrent('where the key may be sent', () => {
  it("api_url over plain http to a non-loopback address (0.0.0.0, and this machine's own network addresses) → refused before any request: the listening server gets nothing", async ({
    expect
  }) => {
    // Listens on every interface: had the action sent anything, it would be here.
    const server = await recorder('0.0.0.0')
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter(i => i !== undefined && !i.internal && i.family === 'IPv4')
      .map(i => i!.address)
    for (const host of ['0.0.0.0', ...addresses]) {
      const result = await run({ url: `http://${host}:${server.port}` }, { cleanup_keep: '20' })
      expect(result.code, why(result)).toBe(1)
      expect(errorText(result)).toMatch(/"api_url".*http is only allowed for a loopback host/)
      expect(leaks(result)).toEqual([])
    }
    expect(server.seen).toEqual([])
  })

  it.for([301, 302, 303, 307, 308])(
    'a %i redirect from 127.0.0.1 to localhost (another host) → not followed: exit 1 with a message about the redirect; the other host gets no request (so never the key)',
    async (status, { expect }) => {
      const other = await recorder('127.0.0.1')
      const location = `http://localhost:${other.port}/channel?capgkey=${KEY}`
      const first = await redirector(status, location)
      const result = await run({ url: `http://127.0.0.1:${first.port}` }, { cleanup_keep: '20' })
      expect(result.code, why(result)).toBe(1)
      expect(errorText(result)).toMatch(
        new RegExp(`HTTP ${status} redirect to http://localhost:${other.port}.* not followed`)
      )
      expect(first.seen.length).toBeGreaterThan(0)
      expect(first.seen.every(hasKey)).toBe(true)
      expect(other.seen).toEqual([])
      // The key in the Location header is masked too.
      expect(leaks(result)).toEqual([])
    }
  )

  it('a 307 redirect to another host on the DELETE of 1.0.2 only (behind a proxy) → not followed: 1.0.2 in failed_bundles ("redirect"), the rest deleted, the other host gets nothing', async ({
    expect
  }) => {
    const emu = await emulator(standardApp())
    const plan = expectedCleanup(emu, { keep: 20 })
    const other = await recorder('127.0.0.1')
    const proxy = await redirectingProxy(
      emu,
      (req, body) => req.method === 'DELETE' && body.includes('"1.0.2"'),
      `http://localhost:${other.port}/bundle`
    )
    const result = await run({ url: `http://127.0.0.1:${proxy.port}` }, { cleanup_keep: '20' })
    expect(result.code, why(result)).toBe(1)
    const failed = failedBundles(result)
    expect(failed.map(f => f.version)).toEqual(['1.0.2'])
    expect(failed[0]!.error).toMatch(/HTTP 307 redirect.*not followed/)
    expect(deletedNames(emu)).toEqual(plan.filter(v => v !== '1.0.2'))
    // One DELETE of 1.0.2 reached the proxy; not retried (a redirect is final).
    expect(proxy.seen.filter(s => s.method === 'DELETE')).toHaveLength(plan.length)
    expect(other.seen).toEqual([])
    expect(report(result).errors.join('\n')).toMatch(/redirect/)
    expect(leaks(result)).toEqual([])
    expect(emu.channel(APP, 'production')?.version?.name).toBe('1.0.29')
  })
})
