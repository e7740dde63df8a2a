import type {
  Bundle,
  BundleMetadata,
  BundleToChannel,
  BundleDeleteOutcome,
  Channel,
  ChannelDeleteOutcome,
  ChannelUpsert,
  Device
} from './types.js'

export type DeviceLinkOutcome = 'linked' | 'set_moments_ago'

export interface BundleListing {
  bundles: Bundle[]
  warnings: string[]
  /**
   * The first page was answered 400 `cannot_get_bundle`: an app with no bundles on a Capgo
   * before August 2026, or a key that cannot reach the app (docs/capgo-api-notes.md, "Bundles").
   * The caller tells them apart: an app whose channels hold bundles is not empty.
   */
  firstPageRefused?: boolean
}

/**
 * Everything the action asks of Capgo. The pipeline talks only to this interface; the one real
 * implementation is `HttpCapgoApi` (client.ts). Every method throws `CapgoError` on a refusal.
 */
export interface CapgoApi {
  /**
   * Every bundle of the app that is not deleted: all pages, de-duplicated by id, newest first.
   * `warnings` says when the listing may have missed rows (ties in upload time across a page
   * boundary that did not settle after re-reading).
   */
  listBundles(appId: string): Promise<BundleListing>
  /** Every channel of the app: all pages, de-duplicated by id, oldest first. */
  listChannels(appId: string): Promise<Channel[]>
  /** One channel by name, or undefined when there is none. */
  getChannel(appId: string, name: string): Promise<Channel | undefined>
  /** Create or update a channel. Refuses (before sending) an empty `version`. */
  upsertChannel(body: ChannelUpsert): Promise<void>
  /**
   * Put an existing bundle on an existing channel by ids (`PUT /bundle`): the narrowest write,
   * allowed to an uploader key. It sets only the channel's bundle; a rollout is left alone.
   */
  setChannelBundle(body: BundleToChannel): Promise<void>
  /** Set a bundle's link and/or comment (`POST /bundle/metadata`, an uploader key). */
  setBundleMetadata(body: BundleMetadata): Promise<void>
  /** Delete a channel by name; `not_found` when it was already gone. */
  deleteChannel(appId: string, name: string): Promise<ChannelDeleteOutcome>
  /** Soft-delete one bundle by its version name. Refuses (before sending) an empty version. */
  deleteBundle(appId: string, version: string): Promise<BundleDeleteOutcome>
  /**
   * Delete every bundle of the app that no channel links: the server's "delete all". Needs the app
   * id typed twice, as a confirmation. The action itself never calls this: it deletes bundle by
   * bundle so that its own protected set (rollback targets, cleanup_protect) is honoured and no
   * bundle uploaded after the inventory was read can be caught.
   */
  deleteAllUnlinkedBundles(appId: string, confirmAppId: string): Promise<void>
  /** One device by id, or undefined when Capgo does not know it (404 device_not_found). */
  getDevice(appId: string, deviceId: string): Promise<Device | undefined>
  /**
   * Set a device's channel override (never sends `version_id`). `set_moments_ago`: Capgo refused the same link within its
   * 60 s window and the device cannot be read back (it never contacted Capgo): the same link was
   * made moments ago (docs/capgo-api-notes.md, "Devices").
   */
  linkDevice(appId: string, deviceId: string, channel: string): Promise<DeviceLinkOutcome>
  /** Remove a device's channel override (safe to repeat). */
  unlinkDevice(appId: string, deviceId: string): Promise<void>
}
