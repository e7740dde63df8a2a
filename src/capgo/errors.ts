/**
 * Capgo's codes for "this key may not do that" (docs/capgo-api-notes.md, "Keys: roles and permissions").
 * Capgo answers them with a 400, like any other refusal, and does not say which role is missing.
 */
export const PERMISSION_DENIED_CODES: ReadonlySet<string> = new Set([
  'cannot_access_app',
  'cannot_delete_bundle',
  'cannot_promote_bundle',
  'cannot_update_bundle_metadata',
  'cannot_delete_channel',
  // POST /device on a channel the key may not manage (a developer's permission).
  'cannot_access_channel'
])

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
   * `host_not_found`, `invalid_response`, `response_too_large`, `redirect_refused`,
   * `refused_by_client`, `ip_locked_out`, `rate_limit_too_long`, `cancelled`. */
  readonly code: string
  /** e.g. `DELETE /bundle` */
  readonly route: string
  /** The server's own message, redacted and shortened. */
  readonly serverMessage: string | undefined
  /** How many attempts were made before this error was final. */
  readonly attempts: number
  /**
   * True when Capgo refused because the key's role does not allow this call (`cannot_access_app`,
   * `cannot_delete_bundle`, ...: `PERMISSION_DENIED_CODES`). The caller knows which role the step
   * needs; Capgo's answer does not say.
   */
  readonly permissionDenied: boolean

  constructor(init: {
    status: number | undefined
    code: string
    route: string
    message: string
    serverMessage?: string
    attempts?: number
    permissionDenied?: boolean
  }) {
    super(init.message)
    this.status = init.status
    this.code = init.code
    this.route = init.route
    this.serverMessage = init.serverMessage
    this.attempts = init.attempts ?? 1
    this.permissionDenied = init.permissionDenied ?? PERMISSION_DENIED_CODES.has(init.code)
  }
}
