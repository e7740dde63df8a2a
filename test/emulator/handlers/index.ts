// The routes of the Capgo emulator.
import { deleteBundle, getBundles, postBundleMetadata, putBundle } from './bundle.js'
import { deleteChannel, getChannels, postChannel } from './channel.js'
import type { Handler } from './common.js'
import { deleteDevice, getDevices, postDevice } from './device.js'

export { fail, tooMany } from './common.js'
export type { Ctx, DeviceLimits, Handler, Reply } from './common.js'

export const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/bundle': { GET: getBundles, DELETE: deleteBundle, PUT: putBundle },
  '/bundle/metadata': { POST: postBundleMetadata },
  '/channel': { GET: getChannels, POST: postChannel, DELETE: deleteChannel },
  '/device': { GET: getDevices, POST: postDevice, DELETE: deleteDevice }
}

/**
 * Routes that answer 400 missing_required_fields, before even checking app_id, when one of these
 * fields is falsy (bundle/set_channel.ts, bundle/update_metadata.ts).
 */
export const REQUIRED: Record<string, readonly string[]> = {
  'PUT /bundle': ['app_id', 'version_id', 'channel_id'],
  'POST /bundle/metadata': ['app_id', 'version_id']
}
