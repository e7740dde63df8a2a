// What readSettings returns: the typed, validated Settings and its parts, and SettingsError, the
// one error bad inputs raise (every problem on its own line, never showing a secret).

import type { DisableAutoUpdate } from '../capgo/types.js'

export type CleanupOrder = 'created' | 'semver'

/** The channel fields a user asked for. A field that is undefined was not given: leave it alone. */
export interface ChannelFieldSettings {
  public?: boolean
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  allowDeviceSelfSet?: boolean
  allowEmulator?: boolean
  allowDev?: boolean
}

/**
 * The platforms a channel serves, as given. Capgo never reports them, so a given value is always
 * sent and never compared with the channel.
 */
export interface PlatformSettings {
  ios?: boolean
  android?: boolean
  electron?: boolean
}

/** The rollout inputs, when any was given (they need `channel`). */
export interface RolloutSettings {
  /** rollout_percentage: 0..100, two decimals at most. */
  percentage?: number
  /** rollout_steps: ascending shares, each above 0 and at most 100. */
  steps?: number[]
  promote: boolean
  abort: boolean
  /** rollout_pause: true pauses, false resumes, undefined leaves it. */
  pause?: boolean
}

/**
 * Capgo's auto-pause of the rollout on `channel`, as given; undefined fields are left as they
 * are. Capgo's API units: basis points and minutes.
 */
export interface AutoPauseSettings {
  /** auto_pause, or true when any threshold input was given. */
  enabled: boolean
  /** auto_pause_failure_rate (percent) in basis points, 0..10000. */
  failureRateBps?: number
  /** auto_pause_window in minutes, 1..10080. */
  windowMinutes?: number
  /** The window as written (`6h`), for messages. */
  windowText?: string
  minAttempts?: number
  action?: AutoPauseAction
}

export type AutoPauseAction = 'pause' | 'rollback' | 'notify'
export type CreateChannelMode = 'auto' | 'true' | 'false'
export type CompatibilityMode = 'fail' | 'warn' | 'off'

/** The GitHub side (deployments, rollback history, pull request comment). */
export interface GitHubSettings {
  /** Empty when none was given (outside a workflow). */
  token: string
  deployment: boolean
  /** github_environment, or the default `capgo/<app_id>/<channel>` when a channel is given. */
  environment?: string
  prComment: boolean
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

/** Every input of action.yml, read once and validated (see readSettings in index.ts). */
export interface Settings {
  apiKey: string
  appId: string
  /** Without a trailing slash. */
  apiUrl: string
  channel?: string
  /** What a missing `channel` gets: created (`auto`: unless a near miss of an existing one). */
  createChannel: CreateChannelMode
  version?: string
  /** The native compatibility gate before a bundle is put on `channel`. */
  compatibility: CompatibilityMode
  promoteFrom?: string
  channelFields: ChannelFieldSettings
  platforms: PlatformSettings
  rollout?: RolloutSettings
  /** Set when any auto_pause input was given. */
  autoPause?: AutoPauseSettings
  bundleLink?: string
  bundleComment?: string
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
  /** Put back the channel's previous release, from the GitHub deployment history. */
  rollback: boolean
  /** Protect the bundles of the last N releases of each channel (GitHub deployment history). */
  cleanupKeepReleases?: number
  github: GitHubSettings
  dryRun: boolean
  concurrency: number
  retries: number
  /** Per-request timeout in milliseconds. */
  timeoutMs: number
}

/** Returns the input's value, or '' when it is not set (as `core.getInput` does). */
export type InputReader = (name: string) => string

export interface SettingsProblem {
  /** The first input the problem is about. */
  input: string
  /** One line that names the input(s), the value (never the key) and what is accepted. */
  message: string
}

/** Bad inputs. The message has one line per problem; `input` names the first offending input. */
export class SettingsError extends Error {
  readonly input: string
  readonly problems: readonly SettingsProblem[]

  constructor(problems: readonly SettingsProblem[]) {
    super(problems.map(problem => problem.message).join('\n'))
    this.name = 'SettingsError'
    this.input = problems[0]?.input ?? ''
    this.problems = problems
  }
}
