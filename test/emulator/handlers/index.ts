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

/**
 * The code each route answers (400) when `app_id` is missing or falsy, before checking its format
 * (Cap-go/capgo supabase/functions/_backend/public/bundle/get.ts, bundle/delete.ts,
 * channel/{get,post,delete}.ts, device/{get,delete}.ts: missing_app_id; device/post.ts:
 * missing_device_id_or_app_id). The routes of REQUIRED answer missing_required_fields instead.
 */
export const MISSING_APP_ID: Record<string, string> = {
  'GET /bundle': 'missing_app_id',
  'DELETE /bundle': 'missing_app_id',
  'GET /channel': 'missing_app_id',
  'POST /channel': 'missing_app_id',
  'DELETE /channel': 'missing_app_id',
  'GET /device': 'missing_app_id',
  'DELETE /device': 'missing_app_id',
  'POST /device': 'missing_device_id_or_app_id'
}

/**
 * late-2026 (change 4): the routes whose own permission check answers for an app the key cannot
 * reach (Cap-go/capgo.app public/bundle/get.ts and bundle/delete.ts); other routes, and every route
 * in july-2026, answer cannot_access_app.
 */
export const UNREACHABLE_APP: Record<string, string> = {
  'GET /bundle': 'cannot_get_bundle',
  'DELETE /bundle': 'cannot_delete_bundle'
}
