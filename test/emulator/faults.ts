// Injected faults of the Capgo emulator: answers a real server, proxy or network may give.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fail } from './handlers/index.js'
import type { Reply } from './handlers/index.js'
import type { FaultRule, LoggedRequest } from './types.js'

const HTML_502 = '<html><body><h1>502 Bad Gateway</h1></body></html>'

/** Sends a reply; returns the body's size in bytes (0 when nothing was sent). */
export function sendJson(res: ServerResponse, reply: Reply): number {
  if (res.destroyed || res.headersSent) return 0
  const body = JSON.stringify(reply.body)
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...reply.headers
  })
  res.end(body)
  return Buffer.byteLength(body)
}

export interface FaultIo {
  req: IncomingMessage
  res: ServerResponse
  entry: LoggedRequest
  /** Runs the request through the normal pipeline (auth, limits, handler). */
  run(extraRows?: boolean): Reply
  send(reply: Reply): void
  sleep(ms: number): Promise<void>
  stopped(): boolean
  /** The key the request presented ('' when none). */
  key: string
}

const STATUS_CODES: Record<number, string> = {
  429: 'too_many_requests',
  500: 'unknown_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout'
}

/** Writes to the socket every intervalMs until the client or stop() closes it. */
async function drip(io: FaultIo, intervalMs: number, next: () => string): Promise<void> {
  const socket = io.req.socket
  while (!socket.destroyed && !io.stopped()) {
    socket.write(next())
    await io.sleep(intervalMs)
  }
}

/** A 200 JSON array of exactly `bytes` bytes, made row by row as the client reads it. */
async function hugeBody(io: FaultIo, bytes: number): Promise<void> {
  const { res } = io
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes })
  let sent = 0
  let i = 0
  const write = (s: string): Promise<void> | undefined => {
    sent += Buffer.byteLength(s)
    if (res.write(s)) return undefined
    return new Promise(resolve => {
      res.once('drain', resolve)
      res.once('close', resolve)
    })
  }
  await write('[')
  while (!res.destroyed && !io.stopped()) {
    const row = `${i === 0 ? '' : ','}{"id":${i},"name":"0.0.${i}","deleted":false}`
    if (sent + Buffer.byteLength(row) + 1 > bytes) break
    i++
    // Batches of rows per write keep the loop fast for hundreds of megabytes.
    let chunk = row
    while (chunk.length < 64 * 1024) {
      const more = `,{"id":${i},"name":"0.0.${i}","deleted":false}`
      if (sent + chunk.length + more.length + 1 > bytes) break
      chunk += more
      i++
    }
    const waiting = write(chunk)
    if (waiting) await waiting
  }
  if (res.destroyed || io.stopped()) return
  // JSON allows whitespace: pad to the exact length promised.
  const pad = Math.max(0, bytes - sent - 1)
  if (pad > 0) await write(' '.repeat(pad))
  res.end(sent < bytes ? ']' : '')
}

/** Answers the request as the fault says; resolves once done (or the client has gone). */
export async function answerWithFault(rule: FaultRule, io: FaultIo): Promise<void> {
  const { req, res, entry } = io
  switch (rule.kind) {
    case 'status': {
      const status = rule.status ?? 500
      const ra = rule.retryAfterSeconds
      io.send(
        fail(
          status,
          rule.code ?? STATUS_CODES[status] ?? 'injected_fault',
          rule.message ?? `Injected ${status}`,
          { ...rule.moreInfo, ...(ra === undefined ? {} : { retryAfterSeconds: ra }) },
          ra === undefined ? undefined : { 'retry-after': String(ra) }
        )
      )
      return
    }
    case 'html': {
      entry.status = rule.status ?? 502
      res.writeHead(entry.status, {
        'content-type': 'text/html',
        'content-length': Buffer.byteLength(HTML_502)
      })
      res.end(HTML_502)
      return
    }
    case 'drop-before':
      req.socket.destroy()
      return
    case 'drop-after':
      entry.status = io.run().status
      req.socket.destroy()
      return
    case 'slow':
      await io.sleep(rule.delayMs ?? 1000)
      if (!io.stopped()) io.send(io.run())
      return
    case 'truncated': {
      const reply = io.run()
      entry.status = reply.status
      const body = Buffer.from(JSON.stringify(reply.body))
      res.writeHead(reply.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
        ...reply.headers
      })
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
      return
    }
    case 'extra-rows':
      io.send(io.run(req.method === 'GET' && ['/bundle', '/channel'].includes(entry.path)))
      return
    case 'echo-key':
      io.send(
        fail(
          500,
          'unknown_error',
          `Internal error while checking key ${io.key}`,
          { key: io.key },
          { 'x-debug-key': io.key }
        )
      )
      return
    case 'trickle-headers': {
      entry.status = rule.status ?? 200
      const head = `HTTP/1.1 ${entry.status} OK\r\ncontent-type: application/json\r\nx-trickle: `
      let i = 0
      // The header block never ends: after the fixed part, one more byte of x-trickle each time.
      await drip(io, rule.intervalMs ?? 500, () => head[i++] ?? 'a')
      return
    }
    case 'processing-102':
      entry.status = 102
      await drip(io, rule.intervalMs ?? 500, () => 'HTTP/1.1 102 Processing\r\n\r\n')
      return
    case 'huge-body':
      entry.status = 200
      await hugeBody(io, rule.bytes ?? 600 * 1024 * 1024)
      return
    case 'error-200':
      entry.status = 200
      sendJson(res, {
        status: 200,
        body: {
          error: rule.code ?? 'unknown_error',
          message: rule.message ?? 'Injected error with status 200'
        }
      })
      return
    case 'body': {
      entry.status = rule.status ?? 200
      const text = rule.body ?? ''
      res.writeHead(entry.status, {
        'content-type': rule.contentType ?? 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text)
      })
      res.end(text)
      return
    }
  }
}
