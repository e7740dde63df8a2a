// One HTTP attempt: a hard deadline from the first byte sent to the last byte read, a cap on the
// body's size, and network errors sorted into what a user can act on.
import * as http from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import * as https from 'node:https'
import type { HttpClient, HttpClientResponse } from '@actions/http-client'
import type { RequestInfo } from '@actions/http-client/lib/interfaces'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/** Why an attempt brought no usable answer. */
export type AttemptFailure =
  /** The deadline passed before the whole answer was read. */
  | 'timeout'
  /** ECONNREFUSED: nothing listens at that address. */
  | 'refused'
  /** ENOTFOUND: the host name does not exist (DNS). */
  | 'host_not_found'
  /** EAI_AGAIN: DNS could not answer just now. */
  | 'dns_temporary'
  /** Reset, hang-up, or an answer cut short. */
  | 'dropped'
  /** The body passed `maxResponseBytes`. */
  | 'too_large'
  /** Anything else the network layer reported. */
  | 'other'

export type AttemptResult =
  { kind: 'answer'; answer: Answer } | { kind: 'failed'; failure: AttemptFailure; detail: string }

export interface AttemptRequest {
  method: string
  url: URL
  data: string | null
  headers: Record<string, string>
  /** Bounds the whole attempt: connect, send, headers (and any 1xx), body. */
  timeoutMs: number
  maxResponseBytes: number
}

/**
 * Sends one request through `client` and reads the whole answer. `@actions/http-client`'s own
 * `socketTimeout` only fires on a silent socket: a server that trickles its headers a byte at a
 * time, or sends `102 Processing` forever, never trips it. An AbortSignal on the request enforces
 * the deadline whatever the server does.
 */
export function sendOnce(client: HttpClient, request: AttemptRequest): Promise<AttemptResult> {
  return new Promise(resolve => {
    const controller = new AbortController()
    let settled = false
    let message: IncomingMessage | undefined
    const finish = (result: AttemptResult): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      resolve(result)
    }
    const fail = (failure: AttemptFailure, detail: string): void => {
      if (settled) return
      finish({ kind: 'failed', failure, detail })
      // Free the socket and stop reading: nothing more of this answer is wanted.
      controller.abort()
      message?.destroy()
    }
    const deadline = setTimeout(
      () => fail('timeout', `deadline of ${request.timeoutMs} ms passed`),
      request.timeoutMs
    )

    const onResponse = (error?: Error, response?: HttpClientResponse): void => {
      if (settled) return
      if (error || !response) {
        const sorted = sortNetworkError(error)
        fail(sorted.failure, sorted.detail)
        return
      }
      message = response.message
      readBody(message, request.maxResponseBytes, finish, fail)
    }
    try {
      client.requestRawWithCallback(
        requestInfo(client, request, controller.signal),
        request.data,
        onResponse
      )
    } catch (error) {
      const sorted = sortNetworkError(error)
      fail(sorted.failure, sorted.detail)
    }
  })
}

function requestInfo(
  client: HttpClient,
  request: AttemptRequest,
  signal: AbortSignal
): RequestInfo {
  const { url } = request
  const usingSsl = url.protocol === 'https:'
  const headers: Record<string, string> = { ...request.headers }
  if (client.userAgent) headers['user-agent'] = client.userAgent
  return {
    parsedUrl: url,
    httpModule: usingSsl ? https : http,
    options: {
      // URL keeps the brackets of an IPv6 literal ("[::1]"); a socket wants the bare address.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : usingSsl ? 443 : 80,
      path: url.pathname + url.search,
      method: request.method,
      headers,
      // The client's agent: kept-alive sockets, and the proxy from the environment when set.
      agent: client.getAgent(url.toString()),
      signal
    }
  }
}

function readBody(
  message: IncomingMessage,
  maxBytes: number,
  finish: (result: AttemptResult) => void,
  fail: (failure: AttemptFailure, detail: string) => void
): void {
  const declared = Number(message.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    fail('too_large', `the answer declares ${declared} bytes`)
    return
  }
  let chunks: Buffer[] = []
  let size = 0
  message.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      chunks = []
      fail('too_large', `the answer passed ${maxBytes} bytes`)
      return
    }
    chunks.push(chunk)
  })
  message.on('end', () => {
    // A body shorter than its content-length is an answer cut short.
    if (Number.isFinite(declared) && size < declared) {
      fail('dropped', 'answer cut short')
      return
    }
    finish({
      kind: 'answer',
      answer: {
        status: message.statusCode ?? 0,
        headers: message.headers,
        text: Buffer.concat(chunks, size).toString('utf8')
      }
    })
  })
  message.on('error', error => {
    const sorted = sortNetworkError(error)
    fail(sorted.failure, sorted.detail)
  })
  message.on('aborted', () => fail('dropped', 'answer cut short (aborted)'))
  message.on('close', () => {
    if (!message.complete) fail('dropped', 'answer cut short (connection closed)')
  })
}

function sortNetworkError(error: unknown): { failure: AttemptFailure; detail: string } {
  const err = (error ?? {}) as { code?: unknown; message?: unknown; name?: unknown }
  const code = typeof err.code === 'string' ? err.code : ''
  const detail = typeof err.message === 'string' ? err.message : String(error)
  switch (code) {
    case 'ECONNREFUSED':
      return { failure: 'refused', detail }
    case 'ENOTFOUND':
      return { failure: 'host_not_found', detail }
    case 'EAI_AGAIN':
      return { failure: 'dns_temporary', detail }
    case 'ETIMEDOUT':
      return { failure: 'timeout', detail }
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'ECONNABORTED':
      return { failure: 'dropped', detail }
  }
  // http-client's idle socketTimeout.
  if (/request timeout/i.test(detail)) return { failure: 'timeout', detail }
  if (/socket hang up|aborted|premature close/i.test(detail)) return { failure: 'dropped', detail }
  return { failure: 'other', detail }
}
