// Shapes of Capgo's public REST API, as it really behaves (see docs/capgo-api-notes.md).

export type DisableAutoUpdate = 'major' | 'minor' | 'patch' | 'version_number' | 'none'
export const DISABLE_AUTO_UPDATE_VALUES: readonly DisableAutoUpdate[] = [
  'major',
  'minor',
  'patch',
  'version_number',
  'none'
]

/** A row of `GET /bundle` (the API calls a bundle's row an "app version"). */
export interface Bundle {
  id: number
  /** The version string, e.g. "1.4.2". */
  name: string
  app_id: string
  created_at: string
  updated_at?: string | null
  deleted: boolean
  checksum?: string | null
  external_url?: string | null
  min_update_version?: string | null
  native_packages?: unknown[] | null
  owner_org?: string
  r2_path?: string | null
  session_key?: string | null
  storage_provider?: string
  user_id?: string | null
  /** Shown in Capgo's dashboard; set with `POST /bundle/metadata`. */
  link?: string | null
  comment?: string | null
}

/**
 * A row of `GET /channel`. Capgo does not return `ios`, `android` or `electron`: a client cannot
 * know which platforms a channel serves.
 */
export interface Channel {
  id: number
  name: string
  created_at: string
  updated_at: string
  public: boolean
  version: { id: number; name: string } | null
  /** The bundle under rollout: a bundle id, or null. */
  rollout_version: number | null
  rollout_version_info?: { id: number; name: string } | null
  rollout_id?: string | number | null
  /** Devices get the rollout bundle only when this is true. */
  rolloutEnabled?: boolean
  /** The rollout's share of devices in basis points (0..10000). */
  rolloutPercentageBps?: number
  /** ISO time when the rollout was paused (by a user or by Capgo's auto-pause), or null. */
  rolloutPausedAt?: string | null
  rolloutPauseReason?: string | null
  /** Capgo's auto-pause of the rollout (absent on an older or self-hosted Capgo). */
  autoPauseEnabled?: boolean
  autoPauseFailureRateBps?: number | null
  autoPauseWindowMinutes?: number | null
  autoPauseMinAttempts?: number | null
  autoPauseAction?: string | null
  /** When Capgo's auto-pause last acted on this channel, or null. */
  autoPauseLastTriggeredAt?: string | null
  /** The channel's update-package setting (`all`, `zip`, `delta`, ...), when Capgo says. */
  updatePackage?: string | null
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  allow_device_self_set: boolean
  allow_emulator: boolean
  allow_dev: boolean
  allow_prod?: boolean
  allow_device?: boolean
}

/** The settable fields of a channel (`POST /channel`). A field left out keeps its value. */
export interface ChannelFields {
  /** A bundle name. Never empty: an empty/null version unlinks the channel's bundle. */
  version?: string
  public?: boolean
  disableAutoUpdate?: DisableAutoUpdate
  disableAutoUpdateUnderNative?: boolean
  ios?: boolean
  android?: boolean
  electron?: boolean
  allow_device_self_set?: boolean
  allow_emulator?: boolean
  allow_dev?: boolean
}

/** The rollout fields of `POST /channel` (an existing channel only; an admin key). */
export interface RolloutFields {
  /** The bundle to roll out, by name. */
  rolloutVersion?: string
  /** 0..10000. */
  rolloutPercentageBps?: number
  rolloutEnabled?: boolean
  /** true pauses, false resumes. */
  rolloutPaused?: boolean
  /** The rollout bundle becomes the channel's bundle; the rollout is cleared. */
  promoteToStable?: boolean
  /** The rollout is cleared; every device gets the channel's bundle again. */
  rollback?: boolean
}

/** Capgo's auto-pause fields of `POST /channel` (an admin key). */
export interface AutoPauseFields {
  autoPauseEnabled?: boolean
  /** 0..10000. */
  autoPauseFailureRateBps?: number
  /** 1..10080. */
  autoPauseWindowMinutes?: number
  autoPauseMinAttempts?: number
  autoPauseAction?: 'pause' | 'rollback' | 'notify'
}

/** Body of `POST /channel` (upsert by name). */
export interface ChannelUpsert extends ChannelFields, RolloutFields, AutoPauseFields {
  app_id: string
  channel: string
}

/** Body of `PUT /bundle`: put an existing bundle on an existing channel, by ids (an uploader key). */
export interface BundleToChannel {
  app_id: string
  /** The bundle's id. */
  version_id: number
  /** The channel's id. */
  channel_id: number
}

/** Body of `POST /bundle/metadata` (an uploader key). At least one of link and comment. */
export interface BundleMetadata {
  app_id: string
  version_id: number
  link?: string
  comment?: string
}

/** A row of `GET /device`. `channel` is the device's channel override, when it has one. */
export interface Device {
  device_id: string
  app_id: string
  channel?: string | null
  version_name?: string | null
  platform?: 'ios' | 'android' | string | null
  plugin_version?: string | null
  os_version?: string | null
  is_prod?: boolean
  is_emulator?: boolean
  custom_id?: string | null
  created_at?: string | null
  updated_at?: string | null
}

/** Capgo's error body: `{"error": "<code>", "message": "<text>", "moreInfo": {...}}`. */
export interface CapgoErrorBody {
  error: string
  message?: string
  moreInfo?: Record<string, unknown>
}

/** What `deleteBundle` found. */
export type BundleDeleteOutcome =
  /** The server deleted it now. */
  | 'deleted'
  /** A retry after an answer was lost found it gone: the earlier attempt did it. */
  | 'deleted_on_retry'

export type ChannelDeleteOutcome = 'deleted' | 'not_found'
