// Writes: bundles deleted, linked to a channel or described; channels created, changed and
// deleted; devices linked and unlinked. Each refuses, before sending, a body that would do more
// than asked (an empty name that Capgo reads as "all", or "unlink"), and knows which answer after
// a lost one means that its own earlier attempt was carried out.
import type { DeviceLinkOutcome } from '../api.js'
import { CapgoError } from '../errors.js'
import type {
  BundleDeleteOutcome,
  BundleMetadata,
  BundleToChannel,
  ChannelDeleteOutcome,
  ChannelUpsert,
  Device
} from '../types.js'
import { getDevice } from './objects.js'
import { WRITE_OK, type CapgoRequests } from './requests.js'

/** `CapgoApi.deleteBundle` (api.ts). */
export async function deleteBundle(
  req: CapgoRequests,
  appId: string,
  version: string
): Promise<BundleDeleteOutcome> {
  if (typeof version !== 'string' || version.trim() === '') {
    // An empty version makes Capgo delete every bundle of the app.
    throw refused('DELETE /bundle', 'refused to delete a bundle with an empty version name')
  }
  const result = await req.call<unknown>('DELETE', '/bundle', {
    body: { app_id: appId, version },
    expect: WRITE_OK,
    recover: (error, ambiguous) =>
      ambiguous && error.code === 'cannot_delete_version' ? 'deleted_on_retry' : undefined
  })
  return result === 'deleted_on_retry' ? 'deleted_on_retry' : 'deleted'
}

/** `CapgoApi.deleteAllUnlinkedBundles` (api.ts). */
export async function deleteAllUnlinkedBundles(
  req: CapgoRequests,
  appId: string,
  confirmAppId: string
): Promise<void> {
  if (appId.trim() === '' || confirmAppId !== appId) {
    throw refused(
      'DELETE /bundle',
      'refused to delete all bundles: the confirmation must equal the app id'
    )
  }
  await req.call('DELETE', '/bundle', { body: { app_id: appId }, expect: WRITE_OK })
}

/** `CapgoApi.setChannelBundle` (api.ts). */
export async function setChannelBundle(req: CapgoRequests, body: BundleToChannel): Promise<void> {
  const route = 'PUT /bundle'
  if (!isId(body.version_id) || !isId(body.channel_id)) {
    throw refused(route, 'refused: version_id and channel_id must be ids (positive integers)')
  }
  // Setting the same bundle again changes nothing: safe to retry after a lost answer.
  await req.call('PUT', '/bundle', {
    body: { app_id: body.app_id, version_id: body.version_id, channel_id: body.channel_id },
    expect: WRITE_OK
  })
}

/** `CapgoApi.setBundleMetadata` (api.ts). */
export async function setBundleMetadata(req: CapgoRequests, body: BundleMetadata): Promise<void> {
  const route = 'POST /bundle/metadata'
  if (!isId(body.version_id)) throw refused(route, 'refused: version_id must be a bundle id')
  const hasLink = typeof body.link === 'string'
  const hasComment = typeof body.comment === 'string'
  if (!hasLink && !hasComment) {
    throw refused(route, 'refused: neither a link nor a comment to set')
  }
  await req.call('POST', '/bundle/metadata', {
    body: {
      app_id: body.app_id,
      version_id: body.version_id,
      ...(hasLink ? { link: body.link } : {}),
      ...(hasComment ? { comment: body.comment } : {})
    },
    expect: WRITE_OK
  })
}

/** `CapgoApi.upsertChannel` (api.ts). */
export async function upsertChannel(req: CapgoRequests, body: ChannelUpsert): Promise<void> {
  const route = 'POST /channel'
  if ('version' in body && !isBundleName(body.version)) {
    // null, "", "unknown" and "builtin" unlink the channel's bundle: never by accident.
    throw refused(route, 'refused to send an empty version, which would unlink it')
  }
  if ('rolloutVersion' in body && !isBundleName(body.rolloutVersion)) {
    throw refused(route, 'refused to send an empty rolloutVersion')
  }
  if (typeof body.channel !== 'string' || body.channel.trim() === '') {
    throw refused(route, 'refused to send an empty channel name')
  }
  await req.call('POST', '/channel', {
    body,
    expect: WRITE_OK,
    // A promotion (or an abort) whose answer was lost may have been carried out: the retry then
    // finds no rollout left. That is the earlier attempt's success; the read-back checks it.
    recover: (error, ambiguous) =>
      ambiguous &&
      error.code === 'missing_rollout_version' &&
      (body.promoteToStable === true || body.rollback === true)
        ? true
        : undefined
  })
}

/** `CapgoApi.deleteChannel` (api.ts). */
export async function deleteChannel(
  req: CapgoRequests,
  appId: string,
  name: string
): Promise<ChannelDeleteOutcome> {
  if (name.trim() === '') throw refused('DELETE /channel', 'refused: empty channel name')
  const result = await req.call<ChannelDeleteOutcome>('DELETE', '/channel', {
    body: { app_id: appId, channel: name },
    expect: WRITE_OK,
    recover: (error, ambiguous) => {
      if (error.code !== 'cannot_find_channel') return undefined
      // Gone after a lost answer: our own earlier attempt deleted it.
      return ambiguous ? 'deleted' : 'not_found'
    }
  })
  return result === 'not_found' ? 'not_found' : 'deleted'
}

/** `CapgoApi.linkDevice` (api.ts). */
export async function linkDevice(
  req: CapgoRequests,
  appId: string,
  deviceId: string,
  channel: string
): Promise<DeviceLinkOutcome> {
  if (deviceId.trim() === '' || channel.trim() === '') {
    throw refused('POST /device', 'refused: empty device id or channel')
  }
  // Deliberately no version_id: Capgo answers 400 invalid_version_id to it.
  const outcome = await req.call<unknown>('POST', '/device', {
    body: { app_id: appId, device_id: deviceId, channel },
    expect: WRITE_OK,
    recover: async (error, ambiguous) => {
      // Capgo refuses the same link twice within 60 s (429), counting every attempt. A device
      // that shows the link is done. A device that never contacted Capgo is not found even when
      // linked (docs/capgo-api-notes.md, "Devices"): after a lost answer of this run, the
      // ordinary 429 path waits Capgo's Retry-After and sends the link again (setting the same
      // override twice is harmless); on a first attempt, the refusal itself says that this
      // device was set to this channel moments ago (a re-run within the minute).
      if (error.status !== 429) return undefined
      let device: Device | undefined
      try {
        device = await getDevice(req, appId, deviceId)
      } catch {
        return undefined
      }
      if (device?.channel === channel) return 'linked'
      if (device === undefined && !ambiguous) return 'set_moments_ago'
      return undefined
    }
  })
  return outcome === 'set_moments_ago' ? 'set_moments_ago' : 'linked'
}

/** `CapgoApi.unlinkDevice` (api.ts). */
export async function unlinkDevice(
  req: CapgoRequests,
  appId: string,
  deviceId: string
): Promise<void> {
  if (deviceId.trim() === '') throw refused('DELETE /device', 'refused: empty device id')
  await req.call('DELETE', '/device', {
    body: { app_id: appId, device_id: deviceId },
    expect: WRITE_OK
  })
}

function refused(route: string, message: string): CapgoError {
  return new CapgoError({
    status: undefined,
    code: 'refused_by_client',
    route,
    attempts: 0,
    message: `${route}: ${message}`
  })
}

/** A bundle name that cannot unlink: not null, "", "unknown" or "builtin". */
function isBundleName(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.trim() !== '' &&
    value.trim() !== 'unknown' &&
    value.trim() !== 'builtin'
  )
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}
