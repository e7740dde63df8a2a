/**
 * The one error the API module throws. It carries what a user needs to act (HTTP status, Capgo's
 * error code, the route) and never the API key: every text that came from the server is redacted
 * before it is stored here.
 */
export class CapgoError extends Error {
  override readonly name = 'CapgoError'
  /** HTTP status, or undefined when no answer came (network error, timeout) or the client refused. */
  readonly status: number | undefined
  /** Capgo's error code (`cannot_delete_version`, ...) or one of ours: `network_error`, `timeout`,
   * `invalid_response`, `redirect_refused`, `refused_by_client`. */
  readonly code: string
  /** e.g. `DELETE /bundle` */
  readonly route: string
  /** The server's own message, redacted and shortened. */
  readonly serverMessage: string | undefined
  /** How many attempts were made before this error was final. */
  readonly attempts: number

  constructor(init: {
    status: number | undefined
    code: string
    route: string
    message: string
    serverMessage?: string
    attempts?: number
  }) {
    super(init.message)
    this.status = init.status
    this.code = init.code
    this.route = init.route
    this.serverMessage = init.serverMessage
    this.attempts = init.attempts ?? 1
  }
}

const MAX_SERVER_TEXT = 300

/** Replace every occurrence of each secret in `text` with `***`, and shorten the result. */
export function redact(text: string, secrets: readonly string[], max = MAX_SERVER_TEXT): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***')
  }
  // A key could also come back URL-encoded or JSON-escaped.
  for (const secret of secrets) {
    if (secret.length === 0) continue
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) out = out.split(encoded).join('***')
    const json = JSON.stringify(secret).slice(1, -1)
    if (json !== secret) out = out.split(json).join('***')
  }
  return out.length > max ? `${out.slice(0, max)}…` : out
}
