// The channel rules: which bundle goes on `channel` (`version`, `promote_from`, `rollback`), its
// settings and platforms, its rollout, the bundle's link and comment, and the narrowest request
// that does it (`PUT /bundle` for a bundle change alone, `POST /channel` otherwise). Pure.

import type {
  Bundle,
  BundleMetadata,
  Channel,
  ChannelFields,
  ChannelUpsert
} from '../capgo/types.js'
import type { ChannelFieldSettings, Settings } from '../settings/index.js'
import { planAutoPause } from './auto-pause.js'
import { planCompatibility } from './native-gate.js'
import { checkNewChannel, didYouMean, didYouMeanText } from './names.js'
import { decideRollback, newestNamed } from './rollback.js'
import { planRollout } from './rollout.js'
import { NEW_CHANNEL_DEFAULTS, bundleRefOf, rolloutState, snapshotOf } from './snapshot.js'
import type { ChannelPlan, ChannelSnapshot, Inventory, RolloutSnapshot } from './types.js'

export {
  NEW_CHANNEL_DEFAULTS,
  autoPauseOf,
  bundleRefOf,
  rolloutOf,
  rolloutState,
  snapshotOf,
  type BundleRef
} from './snapshot.js'

const FIELD_MAP: {
  setting: keyof ChannelFieldSettings
  api: keyof ChannelFields
  snap: keyof ChannelSnapshot
}[] = [
  { setting: 'public', api: 'public', snap: 'public' },
  { setting: 'disableAutoUpdate', api: 'disableAutoUpdate', snap: 'disableAutoUpdate' },
  {
    setting: 'disableAutoUpdateUnderNative',
    api: 'disableAutoUpdateUnderNative',
    snap: 'disableAutoUpdateUnderNative'
  },
  { setting: 'allowDeviceSelfSet', api: 'allow_device_self_set', snap: 'allowDeviceSelfSet' },
  { setting: 'allowEmulator', api: 'allow_emulator', snap: 'allowEmulator' },
  { setting: 'allowDev', api: 'allow_dev', snap: 'allowDev' }
]

/** Bundle names that Capgo's `POST /channel` reads as "unlink the channel's bundle". */
const UNLINKING_NAMES: ReadonlySet<string> = new Set(['unknown', 'builtin'])

function unlinkingName(name: string, input: string): string {
  return (
    `Bundle "${name}" (${input}) cannot be put on a channel by this action: Capgo reads that ` +
    'name as "unlink the channel\'s bundle". Rename the bundle (upload it under another version).'
  )
}

interface Target {
  id: number
  version: string
  source: NonNullable<ChannelPlan['versionSource']>
  input: string
}

export function planChannel(
  settings: Settings,
  inventory: Inventory,
  channels: ReadonlyMap<string, Channel>,
  bundlesById: ReadonlyMap<number, Bundle>,
  errors: string[],
  warnings: string[]
): ChannelPlan | null {
  if (settings.channel === undefined) return null
  const name = settings.channel
  const current = channels.get(name)
  if (current === undefined) checkNewChannel(settings, name, channels, errors)
  const before = current ? snapshotOf(current, bundlesById) : null
  const after: ChannelSnapshot = { ...(before ?? NEW_CHANNEL_DEFAULTS) }
  const body: ChannelUpsert = { app_id: settings.appId, channel: name }
  const changes: string[] = []
  let settingsChanged = false

  const target = targetBundle(settings, inventory, channels, before, bundlesById, errors)
  let bundleChange = false
  let endsRollout: RolloutSnapshot | null = null
  if (target !== undefined && settings.rollout === undefined) {
    // By id; by name when Capgo gave only the name and the bundle list was not read.
    const same =
      before !== null &&
      (before.versionId !== null
        ? target.id === before.versionId
        : before.version !== null && target.version === before.version)
    if (!same) {
      after.version = target.version
      after.versionId = target.id
      body.version = target.version
      changes.push('version')
      bundleChange = true
      if (before?.rollout) {
        endsRollout = before.rollout
        after.rollout = null
        warnings.push(rolloutEndWarning(name, before.rollout, target.version))
      }
    }
  }

  for (const field of FIELD_MAP) {
    const wanted = settings.channelFields[field.setting]
    if (wanted === undefined) continue
    if (before !== null && before[field.snap] === wanted) continue
    ;(after as unknown as Record<string, unknown>)[field.snap] = wanted
    ;(body as unknown as Record<string, unknown>)[field.api] = wanted
    changes.push(field.api)
    settingsChanged = true
  }
  if (changes.includes('public') && after.public) {
    // Capgo makes the other public channels of overlapping platforms non-public (docs/capgo-api-notes.md).
    const others = [...channels.values()]
      .filter(c => c.public && c.name !== name)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    if (others.length > 0) {
      warnings.push(
        `public: true on "${name}": Capgo makes ${others.map(c => `"${c.name}"`).join(', ')} ` +
          'non-public where its platforms overlap with this channel (Capgo does not say which ' +
          'platforms a channel serves, so this run cannot tell which).'
      )
    }
  }
  if (planAutoPause(settings, before, after, body)) {
    changes.push('auto_pause')
    settingsChanged = true
  }
  // Capgo never reports the platforms: a given value is always sent, and is not a change.
  const platforms = { ...settings.platforms }
  Object.assign(body, platforms)
  const sendsPlatforms = Object.keys(platforms).length > 0

  let rolloutPlan: ChannelPlan['rollout'] = null
  let rolloutTarget: { id: number; version: string } | null = null
  if (settings.rollout !== undefined) {
    const decision = planRollout({
      channel: name,
      before,
      target: target ? { id: target.id, version: target.version } : undefined,
      targetInput: target?.input ?? 'version',
      rollout: settings.rollout,
      recordedByThisRun: recordedByThisRun(inventory, name)
    })
    errors.push(...decision.errors)
    warnings.push(...decision.warnings)
    rolloutPlan = {
      action: decision.action,
      nextStep: decision.nextStep,
      replaced: decision.replaced
    }
    if (decision.action !== 'none') {
      Object.assign(body, decision.fields)
      changes.push('rollout')
      after.rollout = decision.after
      if (decision.promoted) {
        after.versionId = decision.promoted.id
        after.version = decision.promoted.version
        changes.push('version')
      }
    }
    const rolled =
      decision.promoted ??
      (decision.after && { id: decision.after.versionId, version: decision.after.version })
    if (rolled && rolled.version !== null)
      rolloutTarget = { id: rolled.id, version: rolled.version }
  }

  const exists = current !== undefined
  let write: ChannelPlan['write'] = null
  if (!exists) {
    write = { kind: 'upsert', body }
  } else if (settingsChanged || sendsPlatforms || changes.includes('rollout')) {
    write = { kind: 'upsert', body }
  } else if (bundleChange && target !== undefined) {
    // A bundle change alone: the narrow route, which an uploader key may call.
    write = {
      kind: 'set_bundle',
      body: { app_id: settings.appId, version_id: target.id, channel_id: current.id }
    }
  }

  const startsRollout = rolloutPlan?.action === 'start'
  const compatibility =
    target !== undefined && (bundleChange || startsRollout)
      ? planCompatibility(settings, name, before, target, bundlesById, errors, warnings)
      : null
  const bundleTarget = target ? { id: target.id, version: target.version } : rolloutTarget
  const metadata = planMetadata(settings, bundleTarget, bundlesById, warnings)

  return {
    name,
    exists,
    id: current?.id ?? null,
    before,
    after,
    write,
    changes: exists ? changes : ['created', ...changes],
    platforms,
    ...(target ? { versionSource: target.source } : {}),
    rollout: rolloutPlan,
    compatibility,
    endsRollout,
    metadata,
    target: bundleTarget
  }
}

/** A re-run (attempt > 1) of a workflow run that already recorded a release of this channel. */
function recordedByThisRun(inventory: Inventory, channel: string): boolean {
  const run = inventory.run
  if (run === undefined || run.attempt <= 1) return false
  return (inventory.releases?.[channel] ?? []).some(
    r => r.runId === run.id && (r.runAttempt ?? 0) < run.attempt
  )
}

/**
 * Said before the write: Capgo ends a channel's rollout when its stable bundle changes
 * (docs/capgo-api-notes.md, "A new stable bundle ends a rollout").
 */
function rolloutEndWarning(channel: string, rollout: RolloutSnapshot, target: string): string {
  const own = rollout.version === target
  return (
    `Capgo ends the rollout of ${rolloutState(rollout)} on channel "${channel}" when its bundle ` +
    `changes to "${target}": ${own ? 'that bundle now goes to every device' : `every device gets "${target}"`}` +
    `${rollout.version !== null && !own ? `, and "${rollout.version}" is kept (not deleted) by this run` : ''}. ` +
    'An older or self-hosted Capgo keeps the rollout; the read-back accepts either.'
  )
}

/** The bundle of `version`, `promote_from` or `rollback`, checked to exist. */
function targetBundle(
  settings: Settings,
  inventory: Inventory,
  channels: ReadonlyMap<string, Channel>,
  before: ChannelSnapshot | null,
  bundlesById: ReadonlyMap<number, Bundle>,
  errors: string[]
): Target | undefined {
  if (settings.version !== undefined) {
    const bundles = inventory.bundles ?? []
    const found = newestNamed(bundles, settings.version)
    if (!found) {
      const near = didYouMean(
        settings.version,
        bundles.filter(b => !b.deleted).map(b => b.name)
      )
      errors.push(
        `Bundle "${settings.version}" (version) is not among the ${bundles.length} bundles of ` +
          `${settings.appId}: it was never uploaded, or it was deleted.${didYouMeanText(near)} ` +
          'Upload it first.'
      )
      return undefined
    }
    if (UNLINKING_NAMES.has(found.name)) {
      errors.push(unlinkingName(found.name, 'version'))
      return undefined
    }
    return { id: found.id, version: found.name, source: { kind: 'version' }, input: 'version' }
  }
  if (settings.promoteFrom !== undefined) {
    const source = channels.get(settings.promoteFrom)
    if (!source) {
      errors.push(
        `Channel "${settings.promoteFrom}" (promote_from) does not exist.` +
          didYouMeanText(didYouMean(settings.promoteFrom, channels.keys()))
      )
      return undefined
    }
    const ref = bundleRefOf(source.version, bundlesById)
    if (ref === undefined) {
      errors.push(`Channel "${settings.promoteFrom}" (promote_from) has no bundle to promote.`)
      return undefined
    }
    if (ref.id === undefined || ref.name === undefined) {
      errors.push(
        `Channel "${settings.promoteFrom}" (promote_from): Capgo did not say which bundle it has ` +
          '(no id and name); nothing was changed.'
      )
      return undefined
    }
    if (UNLINKING_NAMES.has(ref.name)) {
      errors.push(unlinkingName(ref.name, `promote_from "${source.name}"`))
      return undefined
    }
    return {
      id: ref.id,
      version: ref.name,
      source: { kind: 'promote_from', channel: source.name },
      input: `promote_from "${source.name}"`
    }
  }
  if (settings.rollback) {
    if (before === null) {
      errors.push(
        `rollback: channel "${settings.channel}" does not exist: there is nothing to roll back.`
      )
      return undefined
    }
    if (before.rollout?.enabled) {
      // A rollout that serves devices: ending it is a decision of its own (rollout_abort), and an
      // older Capgo would keep serving it beside the rolled-back bundle. A rollout bundle that is
      // set but serves no device is no rollout to protect: Capgo clears it with the new bundle.
      errors.push(
        `rollback: a rollout of ${rolloutState(before.rollout)} runs on channel ` +
          `"${settings.channel}"; rolling back the channel's bundle would end it, or on an older ` +
          'Capgo leave those devices on it. End it first with "rollout_abort: true", then roll back.'
      )
      return undefined
    }
    return rollbackTarget(settings, inventory, before, errors)
  }
  return undefined
}

/** The rollback target (docs/rollback.md: rollback is a stack; see rollback.ts). */
function rollbackTarget(
  settings: Settings,
  inventory: Inventory,
  before: ChannelSnapshot,
  errors: string[]
): Target | undefined {
  const name = settings.channel!
  const releases = inventory.releases?.[name]
  const environment = settings.github.environment ?? `capgo/${settings.appId}/${name}`
  if (releases === undefined) {
    errors.push(
      `rollback: the release history of channel "${name}" was not read from GitHub; nothing ` +
        'was changed.'
    )
    return undefined
  }
  const decision = decideRollback(
    releases,
    before.version,
    inventory.bundles ?? [],
    inventory.run?.id
  )
  if (decision.kind === 'already_done') {
    // A re-run of the rollback job: it already put this bundle back. Stay (no write).
    if (before.versionId === null || before.version === null) return undefined
    return {
      id: before.versionId,
      version: before.version,
      source: { kind: 'rollback', deploymentId: releases[0]!.deploymentId },
      input: 'rollback'
    }
  }
  if (decision.kind === 'target') {
    return {
      id: decision.bundle.id,
      version: decision.version,
      source: { kind: 'rollback', deploymentId: decision.deploymentId },
      input: 'rollback'
    }
  }
  errors.push(
    `rollback: the GitHub environment "${environment}" holds no earlier release of channel ` +
      `"${name}" that differs from its bundle (${before.version ?? 'none'}) and still exists` +
      (decision.skipped.length > 0 ? ` (deleted since: ${decision.skipped.join(', ')})` : '') +
      `; ${releases.length} record(s) read` +
      (decision.complete ? '' : ', and the history read does not reach the release before') +
      '. Nothing was changed.'
  )
  return undefined
}

/** `POST /bundle/metadata` with only the fields that differ from the bundle's current values. */
function planMetadata(
  settings: Settings,
  target: { id: number; version: string } | null,
  bundlesById: ReadonlyMap<number, Bundle>,
  warnings: string[]
): BundleMetadata | null {
  if (settings.bundleLink === undefined && settings.bundleComment === undefined) return null
  if (target === null) {
    warnings.push(
      'bundle_link / bundle_comment: this run puts no bundle on the channel and rolls none out; ' +
        'nothing was set.'
    )
    return null
  }
  const row = bundlesById.get(target.id)
  const body: BundleMetadata = { app_id: settings.appId, version_id: target.id }
  if (settings.bundleLink !== undefined && settings.bundleLink !== (row?.link ?? undefined)) {
    body.link = settings.bundleLink
  }
  if (
    settings.bundleComment !== undefined &&
    settings.bundleComment !== (row?.comment ?? undefined)
  ) {
    body.comment = settings.bundleComment
  }
  return body.link === undefined && body.comment === undefined ? null : body
}
