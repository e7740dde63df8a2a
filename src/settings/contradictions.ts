// The checks across inputs: inputs that are each fine alone but contradict each other (rollout
// against version, rollback, channel), inputs that need another one, and a run with nothing to do.

import type { InputChecker } from './checker.js'
import {
  AUTO_PAUSE_INPUTS,
  CHANNEL_FIELD_INPUTS,
  PLATFORM_INPUTS,
  ROLLOUT_INPUTS,
  WORK_INPUTS,
  type InputName
} from './inputs.js'
import { parseBoolean } from './parse.js'

function list(names: readonly string[]): string {
  return names.map(name => `"${name}"`).join(', ')
}

/** The parsed lists, by input name: a list of only commas or blank lines counts as not given. */
type ParsedLists = Record<
  'devices' | 'unlink_devices' | 'delete_versions' | 'cleanup_pattern',
  readonly string[]
>

function deletesBundles(checker: InputChecker, lists: ParsedLists): boolean {
  return (
    lists.delete_versions.length > 0 ||
    checker.given('cleanup_keep') ||
    checker.given('cleanup_older_than') ||
    checker.given('delete_all_bundles')
  )
}

/** The rollout inputs against each other, `version`/`promote_from` and `rollback`. */
function checkRolloutContradictions(checker: InputChecker): void {
  const { raw } = checker
  const given = (name: InputName): boolean => checker.given(name)
  const isTrue = (name: InputName): boolean => parseBoolean(raw[name]) === true
  const rollout = ROLLOUT_INPUTS.filter(name =>
    name === 'rollout_promote' || name === 'rollout_abort' ? isTrue(name) : given(name)
  )
  const [firstRollout] = rollout
  if (firstRollout !== undefined && !given('channel')) {
    checker.report(
      firstRollout,
      `${rollout.length === 1 ? 'Input' : 'Inputs'} ${list(rollout)} change the rollout on a ` +
        'channel and need "channel".'
    )
  }
  if (given('rollout_percentage') && given('rollout_steps')) {
    checker.report(
      'rollout_percentage',
      'Inputs "rollout_percentage" and "rollout_steps" cannot be used together: give one share, ' +
        'or the steps to advance through.'
    )
  }
  for (const ender of ['rollout_promote', 'rollout_abort'] as const) {
    if (!isTrue(ender)) continue
    const others: InputName[] = (
      ['version', 'promote_from', 'rollout_percentage', 'rollout_steps', 'rollout_pause'] as const
    ).filter(name => given(name))
    if (ender === 'rollout_abort' && isTrue('rollout_promote')) others.unshift('rollout_promote')
    if (others.length > 0) {
      checker.report(
        ender,
        `Input "${ender}" ends the running rollout and cannot be used with ${list(others)}.`
      )
    }
  }
  if (given('rollout_pause') && given('rollout_steps')) {
    checker.report(
      'rollout_pause',
      'Inputs "rollout_pause" and "rollout_steps" cannot be used together: a run either pauses ' +
        '(or resumes) the rollout or advances it.'
    )
  }
  if (isTrue('rollback')) {
    const others = (['version', 'promote_from', ...ROLLOUT_INPUTS] as const).filter(name =>
      name === 'rollout_promote' || name === 'rollout_abort' ? isTrue(name) : given(name)
    )
    if (others.length > 0) {
      checker.report(
        'rollback',
        `Input "rollback" puts back the channel's previous release and cannot be used with ` +
          `${list(others)}.`
      )
    }
    if (!given('channel')) {
      checker.report('rollback', 'Input "rollback" needs "channel": the channel to roll back.')
    }
  }
}

/** Inputs that are each fine alone but contradict each other, or a run with nothing to do. */
export function checkContradictions(checker: InputChecker, lists: ParsedLists): void {
  const { raw } = checker
  const given = (name: InputName): boolean => checker.given(name)
  const isTrue = (name: InputName): boolean => parseBoolean(raw[name]) === true
  const hasChannel = given('channel')

  if (given('version') && given('promote_from')) {
    checker.report(
      'version',
      'Inputs "version" and "promote_from" cannot be used together: give either the bundle ' +
        'version to put on "channel" or the channel to promote from.'
    )
  }
  if (given('version') && !hasChannel) {
    checker.report(
      'version',
      `Input "version" (${checker.show(raw.version)}) needs "channel": the channel to put the ` +
        'bundle on.'
    )
  }
  if (given('promote_from') && !hasChannel) {
    checker.report(
      'promote_from',
      `Input "promote_from" (${checker.show(raw.promote_from)}) needs "channel": the channel ` +
        'that receives the promoted bundle.'
    )
  }
  if (hasChannel && raw.promote_from === raw.channel) {
    checker.report(
      'promote_from',
      `Input "promote_from" must name another channel than "channel"; both are ` +
        `${checker.show(raw.channel)}.`
    )
  }
  if (lists.devices.length > 0 && !hasChannel) {
    checker.report(
      'devices',
      'Input "devices" needs "channel": the channel the devices are linked to.'
    )
  }
  const channelFields = CHANNEL_FIELD_INPUTS.filter(name => given(name))
  const [firstChannelField] = channelFields
  if (firstChannelField !== undefined && !hasChannel) {
    const inputs = channelFields.length === 1 ? 'Input' : 'Inputs'
    checker.report(
      firstChannelField,
      `${inputs} ${list(channelFields)} set a channel's settings and need "channel": ` +
        'the channel to change.'
    )
  }
  const autoPause = AUTO_PAUSE_INPUTS.filter(name => given(name))
  const [firstAutoPause] = autoPause
  if (firstAutoPause !== undefined && !hasChannel) {
    checker.report(
      firstAutoPause,
      `${autoPause.length === 1 ? 'Input' : 'Inputs'} ${list(autoPause)} set Capgo's auto-pause ` +
        'of the rollout on a channel and need "channel": the channel to change.'
    )
  }
  const platforms = PLATFORM_INPUTS.filter(name => given(name))
  const [firstPlatform] = platforms
  if (firstPlatform !== undefined && !hasChannel) {
    checker.report(
      firstPlatform,
      `${platforms.length === 1 ? 'Input' : 'Inputs'} ${list(platforms)} set the platforms a ` +
        'channel serves and need "channel": the channel to change.'
    )
  }
  // Only values the user gave: Capgo never says which platforms a channel serves.
  if (
    platforms.length === PLATFORM_INPUTS.length &&
    platforms.every(name => parseBoolean(raw[name]) === false)
  ) {
    checker.report(
      'ios',
      'Inputs "ios", "android" and "electron" are all false: the channel would serve no platform.'
    )
  } else if (
    !given('electron') &&
    parseBoolean(raw.ios) === false &&
    parseBoolean(raw.android) === false
  ) {
    checker.report(
      'ios',
      'Inputs "ios" and "android" are both false: the channel would serve neither iOS nor ' +
        'Android. Set "electron: true" if it serves only Electron.'
    )
  }
  checkRolloutContradictions(checker)
  if (hasChannel && raw.delete_channel === raw.channel) {
    checker.report(
      'delete_channel',
      `Input "delete_channel" must name another channel than "channel"; both are ` +
        `${checker.show(raw.channel)}: one run cannot update and delete the same channel.`
    )
  }
  const unlinked = new Set(lists.unlink_devices)
  const both = lists.devices.filter(device => unlinked.has(device))
  if (both.length > 0) {
    checker.report(
      'devices',
      `Inputs "devices" and "unlink_devices" both list ${both.map(d => checker.show(d)).join(', ')}: ` +
        'a device can be linked or unlinked, not both.'
    )
  }
  if (given('delete_all_bundles') && raw.delete_all_bundles !== raw.app_id) {
    checker.report(
      'delete_all_bundles',
      `Input "delete_all_bundles" must be exactly the app_id (${checker.show(raw.app_id)}), as a ` +
        `confirmation that every bundle may be deleted; got ${checker.show(raw.delete_all_bundles)}.`
    )
  }
  if (given('cleanup_keep_releases') && !deletesBundles(checker, lists)) {
    checker.report(
      'cleanup_keep_releases',
      'Input "cleanup_keep_releases" only protects bundles from deletion: it needs ' +
        '"cleanup_keep", "cleanup_older_than", "delete_versions" or "delete_all_bundles".'
    )
  }
  if ((given('cleanup_keep_releases') || isTrue('rollback')) && raw.github_token === '') {
    const input = isTrue('rollback') ? 'rollback' : 'cleanup_keep_releases'
    checker.report(
      input,
      `Input "${input}" reads the release history from GitHub deployments and needs ` +
        '"github_token" (its default, ${{ github.token }}, is empty outside a workflow).'
    )
  }
  if (isTrue('github_deployment') && raw.github_token === '') {
    checker.report(
      'github_deployment',
      'Input "github_deployment" needs "github_token" to record deployments.'
    )
  }
  if (isTrue('pr_comment') && raw.github_token === '') {
    checker.report('pr_comment', 'Input "pr_comment" needs "github_token" to write the comment.')
  }
  if (isTrue('pr_comment') && !hasChannel && !given('delete_channel')) {
    checker.report(
      'pr_comment',
      'Input "pr_comment" needs "channel" (the preview channel) or "delete_channel" (its teardown).'
    )
  }
  if (given('github_environment') && !hasChannel && !given('delete_channel')) {
    checker.report(
      'github_environment',
      'Input "github_environment" needs "channel" or "delete_channel": the channel whose ' +
        'releases it holds.'
    )
  }
  for (const name of ['bundle_link', 'bundle_comment'] as const) {
    if (given(name) && !hasChannel) {
      checker.report(
        name,
        `Input "${name}" is set on the bundle this run puts on "channel" or rolls out: it needs ` +
          '"channel".'
      )
    }
  }
  if (lists.cleanup_pattern.length > 0 && !given('cleanup_keep') && !given('cleanup_older_than')) {
    checker.report(
      'cleanup_pattern',
      'Input "cleanup_pattern" needs "cleanup_keep" or "cleanup_older_than": a pattern only ' +
        'narrows a cleanup.'
    )
  }
  const hasWork = WORK_INPUTS.some(name =>
    name === 'delete_versions' || name === 'unlink_devices' ? lists[name].length > 0 : given(name)
  )
  if (!hasWork) {
    checker.report('channel', `Nothing to do: set at least one of the inputs ${list(WORK_INPUTS)}.`)
  }
}
