// Shapes of Capgo's public REST API, as it really behaves (see shared/capgo-api.md).

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
}

/** A row of `GET /channel`. */
export interface Channel {
  id: number
  name: string
  created_at: string
  updated_at: string
  public: boolean
  version: { id: number; name: string } | null
  /** A bundle id, or null. */
  rollout_version: number | null
  disableAutoUpdate: DisableAutoUpdate
  disableAutoUpdateUnderNative: boolean
  ios: boolean
  android: boolean
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
  allow_device_self_set?: boolean
  allow_emulator?: boolean
  allow_dev?: boolean
}

/** Body of `POST /channel` (upsert by name). */
export interface ChannelUpsert extends ChannelFields {
  app_id: string
  channel: string
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
