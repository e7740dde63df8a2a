// The shapes of the plan: what the run read (Inventory) and what it decided (Plan). Pure data.

import type {
  Bundle,
  BundleMetadata,
  BundleToChannel,
  Channel,
  ChannelUpsert,
  DisableAutoUpdate
} from '../capgo/types.js'
import type { CompatibilityVerdict, PluginChange } from './compatibility.js'

/** One release of a channel, from the GitHub deployment history (newest first). */
export interface Release {
  /** The channel's bundle after that release. */
  version: string
  deploymentId: number
  createdAt: string
  /** The bundle under rollout after that release, when one was. */
  rolloutVersion?: string
  /** Recorded by a `rollback`: it put back an earlier release rather than making a new one. */
  rollback?: boolean
  /** The channel's bundle before that release (the first recorded release names it). */
  previousVersion?: string
  /** The workflow run that recorded it (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT); absent in older records. */
  runId?: string
  runAttempt?: number
}

/** A workflow run: GITHUB_RUN_ID, and GITHUB_RUN_ATTEMPT (2 or more on a re-run). */
export interface WorkflowRun {
  id: string
  attempt: number
}

/** What the plan was computed from. */
export interface Inventory {
  /** Every channel of the app. */
  channels: Channel[]
  /** Every bundle of the app that is not deleted; undefined when the run did not need them. */
  bundles?: Bundle[]
  /**
   * The channel override of each device named in `devices` or `unlink_devices`: a channel name,
   * null for none, undefined when Capgo did not say (unknown device, or a row without it).
   */
  deviceChannels: Record<string, string | null | undefined>
  /**
   * The bundle each of those devices runs (`version_name` of its row): null when the row does not
   * say, undefined when Capgo has never seen the device (it answers 404 until the device checks
   * for an update, even when linked). Read by the same per-device reads; absent in older plans.
   */
  deviceVersions?: Record<string, string | null | undefined>
  /**
   * The successful releases of each channel, newest first, from GitHub's deployments; read only
   * for `rollback` and `cleanup_keep_releases`. Keyed by channel name.
   */
  releases?: Record<string, Release[]>
  /** This workflow run, for re-run checks. */
  run?: WorkflowRun
}

export type Fate = 'delete' | 'keep' | 'protected'
export type DeletionSource = 'delete_versions' | 'cleanup' | 'delete_all_bundles'

export interface BundleDecision {
  id: number
  version: string
  createdAt: string
  fate: Fate
  reason: string
  /** Set when fate is `delete`. */
  source?: DeletionSource
}

/** A rollout on a channel: a share of its devices gets `version`, the rest the channel's bundle. */
export interface RolloutSnapshot {
  /** The rollout bundle's name; null when Capgo gave only its id and the bundle is unknown. */
  version: string | null
  versionId: number
  /** Share of devices, 0..100 (two decimals at most). */
  percentage: number
  /** Devices get the rollout bundle only when enabled. */
  enabled: boolean
  paused: boolean
  /** Why it is paused (Capgo's auto-pause says why), or null. */
  pauseReason: string | null
}

/** Capgo's auto-pause of a channel's rollout, as its row says (null fields: not set). */
export interface AutoPauseSnapshot {
  enabled: boolean
  failureRateBps: number | null
  windowMinutes: number | null
  minAttempts: number | null
  action: string | null
  /** When Capgo's auto-pause last acted, or null. */
  lastTriggeredAt: string | null
}

/**
 * The settings of a channel that a user can see and change. Capgo never reports `ios`,
 * `android` or `electron`: they are not part of a snapshot (see ChannelPlan.platforms).
 */
export interface ChannelSnapshot {
  version: string | null
  versionId: number | null
  public: boolean
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  allowDeviceSelfSet: boolean
  allowEmulator: boolean
  allowDev: boolean
  /** null when no rollout bundle is set on the channel. */
  rollout: RolloutSnapshot | null
  /** null when Capgo's row has no auto-pause fields (an older or self-hosted Capgo). */
  autoPause: AutoPauseSnapshot | null
}

/** The one request that changes the channel, by the narrowest route. */
export type ChannelWrite =
  /** `PUT /bundle`: a bundle change alone on an existing channel (an uploader key may do it). */
  | { kind: 'set_bundle'; body: BundleToChannel }
  /** `POST /channel`: create a channel, or change its settings or rollout. */
  | { kind: 'upsert'; body: ChannelUpsert }

export type RolloutAction =
  'start' | 'set_share' | 'step' | 'promote' | 'abort' | 'pause' | 'resume'

export interface RolloutPlan {
  /** What this run does to the rollout; `none` when it is already as asked. */
  action: RolloutAction | 'none'
  /**
   * With `rollout_steps`: the share the next run will move to, `promote` when the next run
   * promotes, null when nothing follows (promoted, or no steps).
   */
  nextStep: number | 'promote' | null
  /** A rollout of another bundle that this run ends or replaces (protected from cleanup). */
  replaced: string | null
}

/** The native compatibility gate's verdict on the bundle this run puts on the channel. */
export interface CompatibilityCheck {
  mode: 'fail' | 'warn'
  /** The bundle put on the channel (or rolled out). */
  candidate: string
  /** The channel's bundle it was compared with. */
  current: string
  verdict: CompatibilityVerdict
  plugins: PluginChange[]
  /** Why the verdict is `unknown`. */
  reason?: string
  /** One sentence per blocking plugin. */
  problems: string[]
  /** The run stops before any write (mode `fail`, incompatible, not a rollback). */
  blocks: boolean
}

export interface ChannelPlan {
  name: string
  /** False when this run creates it. */
  exists: boolean
  /** Capgo's id of the channel; null when this run creates it. */
  id: number | null
  before: ChannelSnapshot | null
  /** The channel after the run, as the read-back must find it. */
  after: ChannelSnapshot
  /** The request that changes the channel; null when it is already as asked. */
  write: ChannelWrite | null
  /** What this run changes (`created`, `version`, `public`, `rollout`, ...). Platforms don't count. */
  changes: string[]
  /** The platform inputs given: always sent (Capgo never reports them), shown as "set". */
  platforms: { ios?: boolean; android?: boolean; electron?: boolean }
  /** Where the bundle came from: `version`, `promote_from`, or a `rollback` to an earlier release. */
  versionSource?:
    | { kind: 'version' }
    | { kind: 'promote_from'; channel: string }
    | { kind: 'rollback'; deploymentId: number }
  /** Set when a rollout input was given. */
  rollout: RolloutPlan | null
  /** The native compatibility gate; null when it did not run (off, or nothing to compare). */
  compatibility: CompatibilityCheck | null
  /**
   * Capgo's own side effect of this write: a new stable bundle on a channel with a rollout bundle
   * ends that rollout (docs/capgo-api-notes.md, "A new stable bundle ends a rollout"). `after`
   * shows it ended; an older or self-hosted Capgo keeps it, and the read-back accepts either.
   */
  endsRollout: RolloutSnapshot | null
  /** `POST /bundle/metadata` for bundle_link/bundle_comment; null when nothing differs. */
  metadata: BundleMetadata | null
  /** The bundle this run puts on the channel or rolls out (for link/comment and the report). */
  target: { id: number; version: string } | null
}

export interface DevicePlan {
  deviceId: string
  /** `link`/`unlink` send a request; `already` sends none. */
  action: 'link' | 'unlink' | 'already'
  /** The override before the run (null: none; undefined: unknown). */
  before: string | null | undefined
  /** The bundle the device runs (see Inventory.deviceVersions); undefined: not seen by Capgo. */
  runs?: string | null
  /** True when Capgo has seen the device (its row was found). */
  seen?: boolean
}

export interface Plan {
  appId: string
  dryRun: boolean
  deleteChannel: { name: string; exists: boolean } | null
  channel: ChannelPlan | null
  links: DevicePlan[]
  unlinks: DevicePlan[]
  /** True when the bundle list was read (a version check, a deletion or a cleanup). */
  bundlesRead: boolean
  /** Every bundle, newest first, with its fate, when bundles were read and something may go. */
  bundles: BundleDecision[]
  /** Deletions in the order they are carried out: explicit, then cleanup; then delete-all. */
  deletions: { phase: 'bundles' | 'delete_all_bundles'; decisions: BundleDecision[] }[]
  /** Versions exempt from deletion, when a cleanup, a delete-all or explicit deletions ran. */
  protectedVersions: string[]
  /** Bundles left after the plan is carried out; undefined when the bundles were not read. */
  keptCount: number | undefined
  /**
   * What a dry run or a failed plan would have deleted: the deletions even when the plan fails
   * on max_delete (so that a user can size a first cleanup).
   */
  wouldDelete: string[]
  /** Cannot be carried out: the run fails before any write. */
  errors: string[]
  warnings: string[]
}
