// Inputs -> typed, validated Settings: the only reader of the action's inputs. readSettings reads
// every input once, applies the defaults of action.yml and reports every problem in one
// SettingsError. By concern: inputs.ts (the tables), parse.ts (pure parsers), checker.ts (one
// input at a time), contradictions.ts (inputs against each other), types.ts, limits.ts.

import { DISABLE_AUTO_UPDATE_VALUES } from '../capgo/types.js'
import { InputChecker } from './checker.js'
import { checkContradictions } from './contradictions.js'
import {
  AUTO_PAUSE_ACTIONS,
  BOOLEAN_CHANNEL_FIELDS,
  CHANNEL_FIELD_INPUTS,
  CLEANUP_ORDERS,
  COMPATIBILITY_MODES,
  CREATE_CHANNEL_MODES,
  PLATFORM_INPUTS,
  readRawInputs,
  unknownInputMessages
} from './inputs.js'
import { MAX_COMMENT_LENGTH, MAX_CONCURRENCY, MAX_RETRIES } from './limits.js'
import {
  SettingsError,
  type AutoPauseSettings,
  type ChannelFieldSettings,
  type InputReader,
  type PlatformSettings,
  type Settings
} from './types.js'

export {
  CLEANUP_ORDERS,
  editDistance,
  INPUT_DEFAULTS,
  INPUT_NAMES,
  inputVariable,
  nearestInput,
  unknownInputMessages,
  unknownInputs,
  type InputName
} from './inputs.js'
export {
  DURATION_UNIT_MS,
  isLoopbackHost,
  parseApiUrl,
  parseBoolean,
  parseDecimal,
  parseDuration,
  parseList,
  parseShare,
  parseWholeNumber,
  type ApiUrlResult,
  type Duration
} from './parse.js'
export {
  SettingsError,
  type AutoPauseAction,
  type AutoPauseSettings,
  type ChannelFieldSettings,
  type CompatibilityMode,
  type CreateChannelMode,
  type CleanupOrder,
  type CleanupSettings,
  type GitHubSettings,
  type InputReader,
  type PlatformSettings,
  type RolloutSettings,
  type Settings,
  type SettingsProblem
} from './types.js'

/**
 * Reads every input once, applies the defaults, and validates all of them. Throws one
 * SettingsError listing every problem found (never showing the API key).
 */
export function readSettings(
  getInput: InputReader,
  options: { variableNames?: readonly string[] } = {}
): Settings {
  const checker = new InputChecker(readRawInputs(getInput))

  for (const message of unknownInputMessages(options.variableNames ?? [])) {
    checker.report('with', message)
  }

  const apiKey = checker.apiKey()
  const appId = checker.appId()
  const apiUrl = checker.apiUrl()
  const channel = checker.name('channel', 'one channel name')
  const createChannel = checker.oneOf('create_channel', CREATE_CHANNEL_MODES) ?? 'auto'
  const version = checker.name('version', 'one bundle version')
  const compatibility = checker.oneOf('compatibility', COMPATIBILITY_MODES) ?? 'fail'
  if (version === 'unknown' || version === 'builtin') {
    checker.report(
      'version',
      `Input "version" cannot be "${version}": Capgo reads that name as "unlink the channel's ` +
        'bundle". Give the version of an uploaded bundle.'
    )
  }
  const promoteFrom = checker.name('promote_from', 'one channel name')
  const channelFields = readChannelFields(checker)
  const platforms: PlatformSettings = {}
  for (const name of PLATFORM_INPUTS) {
    const value = checker.boolean(name)
    if (value !== undefined) platforms[name] = value
  }
  const rolloutPercentage = checker.share('rollout_percentage')
  const rolloutSteps = checker.steps('rollout_steps')
  const rolloutPromote = checker.boolean('rollout_promote') ?? false
  const rolloutAbort = checker.boolean('rollout_abort') ?? false
  const rolloutPause = checker.boolean('rollout_pause')
  const autoPause = readAutoPause(checker)
  const bundleLink = checker.link('bundle_link')
  const bundleComment = checker.text('bundle_comment', MAX_COMMENT_LENGTH)
  const githubDeployment = checker.boolean('github_deployment') ?? false
  const githubEnvironment = checker.text('github_environment', 255)
  const rollback = checker.boolean('rollback') ?? false
  const cleanupKeepReleases = checker.wholeNumber('cleanup_keep_releases', 1, 100)
  const prComment = checker.boolean('pr_comment') ?? false
  const devices = checker.list('devices', 'device ids', { lowercase: true })
  const unlinkDevices = checker.list('unlink_devices', 'device ids', { lowercase: true })
  const deleteChannel = checker.name('delete_channel', 'one channel name')
  const deleteVersions = checker.list('delete_versions', 'bundle versions')
  const cleanupKeep = checker.wholeNumber('cleanup_keep', 0)
  const olderThan = checker.duration('cleanup_older_than')
  const cleanupPattern = checker.list('cleanup_pattern', 'version globs')
  const cleanupProtect = checker.list('cleanup_protect', 'version globs')
  const cleanupOrder = checker.oneOf('cleanup_order', CLEANUP_ORDERS) ?? 'created'
  const maxDelete = checker.wholeNumber('max_delete', 0) ?? 0
  const dryRun = checker.boolean('dry_run') ?? false
  const concurrency = checker.wholeNumber('concurrency', 1, MAX_CONCURRENCY) ?? 1
  const retries = checker.wholeNumber('retries', 0, MAX_RETRIES) ?? 0
  const timeoutMs = checker.timeoutMs() ?? 0

  checkContradictions(checker, {
    devices,
    unlink_devices: unlinkDevices,
    delete_versions: deleteVersions,
    cleanup_pattern: cleanupPattern
  })
  if (checker.problems.length > 0) throw new SettingsError(checker.problems)

  const settings: Settings = {
    apiKey,
    appId,
    apiUrl,
    createChannel,
    compatibility,
    channelFields,
    devices,
    unlinkDevices,
    deleteVersions,
    cleanupPattern,
    cleanupProtect,
    maxDelete,
    deleteAllBundles: checker.given('delete_all_bundles'),
    platforms,
    rollback,
    github: {
      token: checker.raw.github_token,
      deployment: githubDeployment,
      prComment
    },
    dryRun,
    concurrency,
    retries,
    timeoutMs
  }
  if (channel !== undefined) settings.channel = channel
  const environment =
    githubEnvironment ?? (channel !== undefined ? `capgo/${appId}/${channel}` : undefined)
  if (environment !== undefined) settings.github.environment = environment
  if (
    rolloutPercentage !== undefined ||
    rolloutSteps !== undefined ||
    rolloutPromote ||
    rolloutAbort ||
    rolloutPause !== undefined
  ) {
    settings.rollout = { promote: rolloutPromote, abort: rolloutAbort }
    if (rolloutPercentage !== undefined) settings.rollout.percentage = rolloutPercentage
    if (rolloutSteps !== undefined) settings.rollout.steps = rolloutSteps
    if (rolloutPause !== undefined) settings.rollout.pause = rolloutPause
  }
  if (autoPause !== undefined) settings.autoPause = autoPause
  if (bundleLink !== undefined) settings.bundleLink = bundleLink
  if (bundleComment !== undefined) settings.bundleComment = bundleComment
  if (cleanupKeepReleases !== undefined) settings.cleanupKeepReleases = cleanupKeepReleases
  if (version !== undefined) settings.version = version
  if (promoteFrom !== undefined) settings.promoteFrom = promoteFrom
  if (deleteChannel !== undefined) settings.deleteChannel = deleteChannel
  if (cleanupKeep !== undefined || olderThan !== undefined) {
    settings.cleanup = { order: cleanupOrder }
    if (cleanupKeep !== undefined) settings.cleanup.keep = cleanupKeep
    if (olderThan !== undefined) {
      settings.cleanup.olderThanMs = olderThan.ms
      settings.cleanup.olderThanText = olderThan.text
    }
  }
  return settings
}

/** Only the fields that were given, so that a missing one is left as it is on the channel. */
function readChannelFields(checker: InputChecker): ChannelFieldSettings {
  const fields: ChannelFieldSettings = {}
  for (const input of CHANNEL_FIELD_INPUTS) {
    if (input === 'disable_auto_update') {
      const value = checker.oneOf(input, DISABLE_AUTO_UPDATE_VALUES)
      if (value !== undefined) fields.disableAutoUpdate = value
    } else {
      const value = checker.boolean(input)
      if (value !== undefined) fields[BOOLEAN_CHANNEL_FIELDS[input]] = value
    }
  }
  return fields
}

/** The widest window Capgo accepts for auto-pause: 7 days, in minutes. */
export const MAX_AUTO_PAUSE_WINDOW_MINUTES = 10_080

/** The auto_pause inputs; undefined when none was given. */
function readAutoPause(checker: InputChecker): AutoPauseSettings | undefined {
  const enabled = checker.boolean('auto_pause')
  const rate = checker.share('auto_pause_failure_rate')
  const window = checker.duration('auto_pause_window')
  const minAttempts = checker.wholeNumber('auto_pause_min_attempts', 0, 1_000_000_000)
  const action = checker.oneOf('auto_pause_action', AUTO_PAUSE_ACTIONS)
  let windowMinutes: number | undefined
  if (window !== undefined) {
    windowMinutes = window.ms / 60_000
    if (
      !Number.isInteger(windowMinutes) ||
      windowMinutes < 1 ||
      windowMinutes > MAX_AUTO_PAUSE_WINDOW_MINUTES
    ) {
      checker.report(
        'auto_pause_window',
        `Input "auto_pause_window" must be from 1 minute to 7 days (Capgo's range), such as ` +
          `30m, 6h or 7d; got ${checker.show(window.text)}.`
      )
    }
  }
  const thresholds =
    rate !== undefined || window !== undefined || minAttempts !== undefined || action !== undefined
  if (enabled === undefined && !thresholds) return undefined
  // Setting a threshold turns auto-pause on, unless auto_pause says otherwise.
  const result: AutoPauseSettings = { enabled: enabled ?? true }
  if (rate !== undefined) result.failureRateBps = Math.round(rate * 100)
  if (windowMinutes !== undefined) {
    result.windowMinutes = windowMinutes
    result.windowText = window!.text
  }
  if (minAttempts !== undefined) result.minAttempts = minAttempts
  if (action !== undefined) result.action = action
  return result
}
