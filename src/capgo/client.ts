import type { BundleListing, CapgoApi, DeviceLinkOutcome } from './api.js'
import * as listings from './client/listings.js'
import * as objects from './client/objects.js'
import { CapgoRequests, type HttpCapgoApiOptions } from './client/requests.js'
import * as writes from './client/writes.js'
import type {
  BundleDeleteOutcome,
  BundleMetadata,
  BundleToChannel,
  Channel,
  ChannelDeleteOutcome,
  ChannelUpsert,
  Device
} from './types.js'

export { PAGE_SIZE, MAX_PAGES } from './listing.js'
export { RATE_LIMIT_MARGIN_MS } from './ratelimit.js'
export { MAX_EXTRA_LISTINGS } from './client/listings.js'
export { DEFAULT_MAX_RESPONSE_BYTES } from './client/requests.js'
export type { HttpCapgoApiOptions, RetryEvent } from './client/requests.js'

/**
 * The one real `CapgoApi`: Capgo's REST API over `@actions/http-client`. Each concern lives in
 * `client/`: requests and retries, listings, single objects, writes.
 */
export class HttpCapgoApi implements CapgoApi {
  private readonly requests: CapgoRequests

  constructor(options: HttpCapgoApiOptions) {
    this.requests = new CapgoRequests(options)
  }

  /** Close kept-alive connections and end every wait. */
  dispose(): void {
    this.requests.dispose()
  }

  // ---- bundles -----------------------------------------------------------------------------

  listBundles(appId: string): Promise<BundleListing> {
    return listings.listBundles(this.requests, appId)
  }

  deleteBundle(appId: string, version: string): Promise<BundleDeleteOutcome> {
    return writes.deleteBundle(this.requests, appId, version)
  }

  deleteAllUnlinkedBundles(appId: string, confirmAppId: string): Promise<void> {
    return writes.deleteAllUnlinkedBundles(this.requests, appId, confirmAppId)
  }

  setChannelBundle(body: BundleToChannel): Promise<void> {
    return writes.setChannelBundle(this.requests, body)
  }

  setBundleMetadata(body: BundleMetadata): Promise<void> {
    return writes.setBundleMetadata(this.requests, body)
  }

  // ---- channels ----------------------------------------------------------------------------

  listChannels(appId: string): Promise<Channel[]> {
    return listings.listChannels(this.requests, appId)
  }

  getChannel(appId: string, name: string): Promise<Channel | undefined> {
    return objects.getChannel(this.requests, appId, name)
  }

  upsertChannel(body: ChannelUpsert): Promise<void> {
    return writes.upsertChannel(this.requests, body)
  }

  deleteChannel(appId: string, name: string): Promise<ChannelDeleteOutcome> {
    return writes.deleteChannel(this.requests, appId, name)
  }

  // ---- devices -----------------------------------------------------------------------------

  getDevice(appId: string, deviceId: string): Promise<Device | undefined> {
    return objects.getDevice(this.requests, appId, deviceId)
  }

  linkDevice(appId: string, deviceId: string, channel: string): Promise<DeviceLinkOutcome> {
    return writes.linkDevice(this.requests, appId, deviceId, channel)
  }

  unlinkDevice(appId: string, deviceId: string): Promise<void> {
    return writes.unlinkDevice(this.requests, appId, deviceId)
  }
}
