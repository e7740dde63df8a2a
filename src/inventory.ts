// The read phase: everything the plan needs, before any write.

import type { CapgoApi } from './capgo/api.js'
import type { Bundle, Channel } from './capgo/types.js'
import type { GitHubApi, ReleaseRecord } from './github/api.js'
import { historySuffices, rerunChecked } from './plan/history.js'
import { bundleRefOf, channelsWithHistory, devicesToRead, needsBundles } from './plan/index.js'
import type { Inventory, Release, WorkflowRun } from './plan/types.js'
import { forEachLimited } from './pool.js'
import { LEAST_ROLE } from './roles.js'
import type { Settings } from './settings/index.js'

export interface ReadResult {
  inventory: Inventory
  /** Things the plan should know were uncertain (a listing that may have missed rows). */
  warnings: string[]
}

/**
 * The most deployments read per channel: the history is read as far back as the decision needs
 * (docs/rollback.md), within this cap.
 */
export const MAX_HISTORY_RECORDS = 1_000
/** Reads the inventory, in parallel where the API allows. */
export async function readInventory(
  api: CapgoApi,
  settings: Settings,
  github?: GitHubApi,
  run?: WorkflowRun
): Promise<ReadResult> {
  // Channels first, alone: one request proves the key before others go out with it (each failed
  // login counts toward Capgo's lockout of the runner's IP).
  const channels = await api.listChannels(settings.appId)
  const deviceVersions: Record<string, string | null | undefined> = {}
  const bundlesRead = needsBundles(settings)
    ? api.listBundles(settings.appId)
    : Promise.resolve(undefined)
  const history = channelsWithHistory(settings, channels)
  if (rerunChecked(settings, run) && !history.includes(settings.channel!)) {
    history.push(settings.channel!)
  }
  const [listing, deviceChannels, releases] = await Promise.all([
    bundlesRead,
    readDevices(api, settings, deviceVersions),
    // A rollback reads history until it finds a target that still exists: after the bundles.
    settings.rollback
      ? bundlesRead.then(l => readReleases(settings, history, github, channels, l?.bundles, run))
      : readReleases(settings, history, github, channels, undefined, run)
  ])
  if (listing?.firstPageRefused) {
    const refusal = bundleListingRefusal(settings.appId, channels)
    if (refusal !== undefined) throw new Error(refusal)
  }
  const inventory: Inventory = { channels, deviceChannels, deviceVersions }
  if (listing) inventory.bundles = listing.bundles
  if (releases) inventory.releases = releases
  if (run) inventory.run = run
  return { inventory, warnings: listing?.warnings ?? [] }
}

/**
 * `GET /bundle` answered its first page with `cannot_get_bundle`: an empty app on an older Capgo,
 * or a key that cannot reach the app's bundles (docs/capgo-api-notes.md, "Bundles"). An app whose
 * channels hold bundles is not empty: that is a refusal, and the run stops before any write
 * (a cleanup would otherwise "keep 0 of 0", a release call its bundle "never uploaded").
 */
export function bundleListingRefusal(
  appId: string,
  channels: readonly Channel[]
): string | undefined {
  const held: string[] = []
  for (const c of channels) {
    const ref = bundleRefOf(c.version)
    if (ref !== undefined) held.push(`"${c.name}" holds ${ref.name ?? `bundle id ${ref.id}`}`)
    else if (typeof c.rollout_version === 'number') held.push(`"${c.name}" rolls out a bundle`)
  }
  if (held.length === 0) return undefined
  return (
    `The API key may not read the bundles of ${appId}: Capgo answered GET /bundle with ` +
    `cannot_get_bundle, yet its channels hold bundles (${held.slice(0, 3).join(', ')}` +
    `${held.length > 3 ? ', ...' : ''}). Reading bundles needs the role ${LEAST_ROLE.read} ` +
    `(or higher) on ${appId}: give the key that role in Capgo (Organization settings → API ` +
    'keys), or check that app_id names an app this key may reach. Nothing was changed.'
  )
}

async function readDevices(
  api: CapgoApi,
  settings: Settings,
  versions: Record<string, string | null | undefined>
): Promise<Inventory['deviceChannels']> {
  const result: Inventory['deviceChannels'] = {}
  await forEachLimited(devicesToRead(settings), settings.concurrency, async id => {
    const device = await api.getDevice(settings.appId, id)
    // A row without the field says nothing about the override: undefined, not null.
    result[id] = device === undefined ? null : device.channel
    // The same read says which bundle the device runs; undefined: Capgo has not seen it.
    versions[id] = device === undefined ? undefined : (device.version_name ?? null)
  })
  return result
}

/**
 * The environment of a channel's deployments: `github_environment` for `channel` (or, in a run
 * without `channel`, for `delete_channel`), else the default.
 */
export function environmentOf(settings: Settings, channel: string): string {
  const own = settings.channel ?? settings.deleteChannel
  if (channel === own && settings.github.environment !== undefined) {
    return settings.github.environment
  }
  return `capgo/${settings.appId}/${channel}`
}

/**
 * The release history of each channel that needs it. An unreadable history fails the read phase:
 * `rollback` and `cleanup_keep_releases` decide what gets changed from it.
 */
async function readReleases(
  settings: Settings,
  channels: string[],
  github: GitHubApi | undefined,
  rows: readonly Channel[],
  bundles: readonly Bundle[] | undefined,
  run: WorkflowRun | undefined
): Promise<Record<string, Release[]> | undefined> {
  if (channels.length === 0) return undefined
  if (github === undefined) {
    throw new Error(
      'The release history is needed (rollback or cleanup_keep_releases) but GitHub cannot be ' +
        'read: no github_token, or no GITHUB_REPOSITORY (outside a workflow); nothing was changed.'
    )
  }
  const result: Record<string, Release[]> = {}
  await forEachLimited(channels, Math.min(settings.concurrency, 4), async channel => {
    const row = rows.find(c => c.name === channel)
    const current = row ? (bundleRefOf(row.version)?.name ?? null) : null
    // Read back only as far as the decision needs (src/plan/history.ts), within the cap.
    const context = { settings, channel, current, bundles: bundles ?? [], run }
    const enough = (found: readonly ReleaseRecord[]): boolean =>
      historySuffices(releasesOf(found), found.length, context)
    // An environment may be shared (a custom github_environment): only this app's channel counts.
    const records = await github.releaseHistory(
      environmentOf(settings, channel),
      MAX_HISTORY_RECORDS,
      payload => payload.app_id === settings.appId && payload.channel === channel,
      enough
    )
    result[channel] = releasesOf(records)
  })
  return result
}

/**
 * The releases among the records, newest first: only deployments whose status says Capgo holds
 * the release (`success`); a `failure` is a write that did not take (docs/rollback.md).
 */
export function releasesOf(records: readonly ReleaseRecord[]): Release[] {
  return records
    .filter(r => r.payload.version !== '' && r.succeeded)
    .map(r => ({
      version: r.payload.version,
      deploymentId: r.deploymentId,
      createdAt: r.createdAt,
      ...(r.payload.previous_version ? { previousVersion: r.payload.previous_version } : {}),
      ...(r.payload.rollout_version ? { rolloutVersion: r.payload.rollout_version } : {}),
      ...(r.payload.rollback === true ? { rollback: true } : {}),
      ...(r.payload.run_id !== undefined ? { runId: r.payload.run_id } : {}),
      ...(r.payload.run_attempt !== undefined ? { runAttempt: r.payload.run_attempt } : {})
    }))
}
