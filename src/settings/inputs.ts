// The inputs of action.yml as tables: every name in the order of docs/contract.md, the defaults,
// the groups of inputs the checks need (channel fields, platforms, rollout, work), reading them
// once, and the unknown `with:` keys with a "did you mean" for each.

import type { ChannelFieldSettings, CleanupOrder, InputReader } from './types.js'

/** Every input of action.yml, in the order of the contract (docs/contract.md). */
export const INPUT_NAMES = [
  'api_key',
  'app_id',
  'api_url',
  'channel',
  'create_channel',
  'version',
  'compatibility',
  'promote_from',
  'public',
  'disable_auto_update',
  'disable_auto_update_under_native',
  'ios',
  'android',
  'electron',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev',
  'devices',
  'unlink_devices',
  'delete_channel',
  'delete_versions',
  'cleanup_keep',
  'cleanup_older_than',
  'cleanup_pattern',
  'cleanup_protect',
  'cleanup_order',
  'cleanup_keep_releases',
  'max_delete',
  'delete_all_bundles',
  'rollout_percentage',
  'rollout_steps',
  'rollout_promote',
  'rollout_abort',
  'rollout_pause',
  'auto_pause_failure_rate',
  'auto_pause_window',
  'auto_pause_min_attempts',
  'auto_pause_action',
  'auto_pause',
  'bundle_link',
  'bundle_comment',
  'github_token',
  'github_deployment',
  'github_environment',
  'rollback',
  'pr_comment',
  'dry_run',
  'concurrency',
  'retries',
  'timeout'
] as const

export type InputName = (typeof INPUT_NAMES)[number]

/**
 * The defaults of action.yml, applied when an input is empty. `github_token`'s default is an
 * expression (`${{ github.token }}`) that the runner fills in: an empty value stays empty.
 */
export const INPUT_DEFAULTS = {
  api_url: 'https://api.capgo.app',
  create_channel: 'auto',
  compatibility: 'fail',
  cleanup_order: 'created',
  max_delete: '100',
  github_deployment: 'false',
  pr_comment: 'false',
  dry_run: 'false',
  concurrency: '4',
  retries: '3',
  timeout: '30'
} as const satisfies Partial<Record<InputName, string>>

export const CLEANUP_ORDERS: readonly CleanupOrder[] = ['created', 'semver']

/** The boolean inputs that change a channel's settings, and the field each one sets. */
export const BOOLEAN_CHANNEL_FIELDS = {
  public: 'public',
  disable_auto_update_under_native: 'disableAutoUpdateUnderNative',
  allow_device_self_set: 'allowDeviceSelfSet',
  allow_emulator: 'allowEmulator',
  allow_dev: 'allowDev'
} as const satisfies Partial<Record<InputName, keyof ChannelFieldSettings>>

/** The inputs that change a channel's settings (they need `channel`). */
export const CHANNEL_FIELD_INPUTS = [
  'public',
  'disable_auto_update',
  'disable_auto_update_under_native',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev'
] as const satisfies readonly InputName[]

/** The platform inputs (they need `channel`; always sent when given). */
export const PLATFORM_INPUTS = [
  'ios',
  'android',
  'electron'
] as const satisfies readonly InputName[]

/** The rollout inputs (they need `channel`). */
export const ROLLOUT_INPUTS = [
  'rollout_percentage',
  'rollout_steps',
  'rollout_promote',
  'rollout_abort',
  'rollout_pause'
] as const satisfies readonly InputName[]

/** Capgo's auto-pause of the rollout on `channel` (they need `channel`). */
export const AUTO_PAUSE_INPUTS = [
  'auto_pause_failure_rate',
  'auto_pause_window',
  'auto_pause_min_attempts',
  'auto_pause_action',
  'auto_pause'
] as const satisfies readonly InputName[]

export const CREATE_CHANNEL_MODES = ['auto', 'true', 'false'] as const
export const COMPATIBILITY_MODES = ['fail', 'warn', 'off'] as const
export const AUTO_PAUSE_ACTIONS = ['pause', 'rollback', 'notify'] as const

/** At least one of these must be given, or the run would do nothing. */
export const WORK_INPUTS: readonly InputName[] = [
  'channel',
  'delete_channel',
  'delete_versions',
  'unlink_devices',
  'cleanup_keep',
  'cleanup_older_than',
  'delete_all_bundles'
]

/** The runner's variable name for an input, as it fills `INPUT_<NAME>` from a step's `with:`. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1)
      }
      rows[i]![j] = best
    }
  }
  return rows[a.length]![b.length]!
}

/** The declared input nearest to an unknown name (separators and case ignored first). */
export function nearestInput(unknown: string): string {
  const plain = (text: string): string => text.toLowerCase().replace(/[-_\s]/g, '')
  const wanted = unknown.toLowerCase().replace(/[-\s]/g, '_')
  let best: string = INPUT_NAMES[0]
  let bestScore = Infinity
  for (const name of INPUT_NAMES) {
    const score =
      plain(name) === plain(unknown) ? 0 : 1 + editDistance(wanted, name) / (name.length + 1)
    if (score < bestScore) {
      best = name
      bestScore = score
    }
  }
  return best
}

/**
 * The `with:` keys that are not inputs of action.yml, from the runner's `INPUT_*` variables. A
 * typo such as `dryrun: true` would otherwise be ignored and turn a dry run into a real one.
 */
export function unknownInputs(variableNames: readonly string[]): string[] {
  const declared = new Set(INPUT_NAMES.map(inputVariable))
  return variableNames
    .filter(name => name.toUpperCase().startsWith('INPUT_') && !declared.has(name))
    .map(name => name.slice('INPUT_'.length).toLowerCase())
    .sort()
}

/** How close a name must be to a declared input for "did you mean" (edit distance). */
function isClose(unknown: string, declared: string): boolean {
  const plain = (text: string): string => text.toLowerCase().replace(/[-_\s]/g, '')
  const distance = editDistance(plain(unknown), plain(declared))
  return distance <= Math.max(1, Math.floor(plain(declared).length / 4))
}

/**
 * One message per `INPUT_*` variable that is not a declared input: the nearest input when one is
 * close, and where such a variable comes from when it was not written under `with:`.
 */
export function unknownInputMessages(variableNames: readonly string[]): string[] {
  const declared = new Map(INPUT_NAMES.map(name => [inputVariable(name), name]))
  const messages: string[] = []
  for (const variable of [...variableNames].sort()) {
    if (!variable.toUpperCase().startsWith('INPUT_') || declared.has(variable)) continue
    const name = variable.slice('INPUT_'.length).toLowerCase()
    const sameButCase = declared.get(variable.toUpperCase())
    if (sameButCase !== undefined) {
      messages.push(
        `The variable ${variable} is not read: inputs are read from upper-case variables ` +
          `(${inputVariable(sameButCase)}). Set "${sameButCase}" under "with:", or rename the ` +
          'variable. Nothing was done.'
      )
      continue
    }
    const nearest = nearestInput(name)
    messages.push(
      `Input "${name}" is not an input of this action` +
        (isClose(name, nearest) ? ` (did you mean "${nearest}"?)` : '') +
        '. Nothing was done: a misspelt input would be ignored, and a dry run could become a ' +
        `real one. (If "${name}" is not under "with:", the variable ${variable} comes from an ` +
        '"env:" block or a wrapping action: remove it there.)'
    )
  }
  return messages
}

export type RawInputs = Record<InputName, string>

export function readRawInputs(getInput: InputReader): RawInputs {
  const raw = {} as RawInputs
  for (const name of INPUT_NAMES) {
    const value = getInput(name).trim()
    const fallback: string | undefined = (INPUT_DEFAULTS as Partial<Record<InputName, string>>)[
      name
    ]
    raw[name] = value === '' ? (fallback ?? '') : value
  }
  return raw
}
