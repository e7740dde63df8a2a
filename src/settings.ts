import type { DisableAutoUpdate } from './capgo/types.js'

export type CleanupOrder = 'created' | 'semver'

/** The channel fields a user asked for. A field that is undefined was not given: leave it alone. */
export interface ChannelFieldSettings {
  public?: boolean
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  ios?: boolean
  android?: boolean
  allowDeviceSelfSet?: boolean
  allowEmulator?: boolean
  allowDev?: boolean
}

export interface CleanupSettings {
  /** Keep the N newest unprotected candidates. */
  keep?: number
  /** Only bundles older than this many milliseconds are deleted. */
  olderThanMs?: number
  /** The input as written, e.g. "30d", for messages. */
  olderThanText?: string
  order: CleanupOrder
}

/** Every input of action.yml, read once and validated (see settings.ts). */
export interface Settings {
  apiKey: string
  appId: string
  /** Without a trailing slash. */
  apiUrl: string
  channel?: string
  version?: string
  promoteFrom?: string
  channelFields: ChannelFieldSettings
  /** Lowercased (Capgo lowercases device ids), de-duplicated. */
  devices: string[]
  unlinkDevices: string[]
  deleteChannel?: string
  deleteVersions: string[]
  /** Set when `cleanup_keep` or `cleanup_older_than` is given. */
  cleanup?: CleanupSettings
  cleanupPattern: string[]
  cleanupProtect: string[]
  maxDelete: number
  /** True when `delete_all_bundles` was given and equals `app_id`. */
  deleteAllBundles: boolean
  dryRun: boolean
  concurrency: number
  retries: number
  /** Per-request timeout in milliseconds. */
  timeoutMs: number
}
