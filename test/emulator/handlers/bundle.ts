// /bundle and /bundle/metadata of the Capgo emulator (docs/capgo-api-notes.md, "Bundles").
import { findBundleByName, isLinked, liveBundles, normalizePublic, timestamp } from '../state.js'
import { channelTriggers, packageGuard } from './channel-write.js'
import { NO_ACCESS, OK, can, fail, given, pageRange } from './common.js'
import type { Handler } from './common.js'

// Cap-go/capgo supabase/functions/_backend/public/bundle/get.ts. An empty page: july-2026 400
// cannot_get_bundle; late-2026 200 [] (change 3, Cap-go/capgo.app public/bundle/get.ts answers
// `dataBundles ?? []`). The paging defect is in both.
export const getBundles: Handler = ctx => {
  if (!can(ctx, 'app.read_bundles')) return fail(400, 'cannot_get_bundle', NO_ACCESS)
  const range = pageRange(ctx.params.page, ctx)
  if (!range) return fail(500, 'unknown_error', 'invalid page', { page: ctx.params.page })
  const rows = liveBundles(ctx.app, ctx.random).slice(range.from, range.from + range.count)
  if (rows.length === 0 && ctx.era === 'july-2026')
    return fail(400, 'cannot_get_bundle', 'Cannot get bundle')
  return { status: 200, body: rows }
}

// Cap-go/capgo supabase/functions/_backend/public/bundle/delete.ts
export const deleteBundle: Handler = ctx => {
  if (!can(ctx, 'bundle.delete'))
    return fail(400, 'cannot_delete_bundle', NO_ACCESS, { app_id: ctx.app.app_id })
  const { app } = ctx
  const version = ctx.params.version
  const at = timestamp(ctx.now)
  if (!given(version)) {
    // Capgo deletes every unlinked bundle of the app when no version is given.
    for (const b of app.bundles) {
      if (b.deleted || isLinked(app, b.id)) continue
      b.deleted = true
      b.updated_at = at
    }
    return OK
  }
  const b = typeof version === 'string' ? findBundleByName(app, version) : undefined
  if (!b) return fail(400, 'cannot_delete_version', 'Cannot delete version', { version })
  if (isLinked(app, b.id))
    return fail(400, 'cannot_delete_linked_version', 'Cannot delete a bundle linked to a channel', {
      app_id: app.app_id,
      version
    })
  b.deleted = true
  b.updated_at = at
  return OK
}

/** An id as Postgres would take it for a bigint parameter; undefined when it would fail. */
function bigint(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN
  return Number.isSafeInteger(n) ? n : undefined
}

// Cap-go/capgo supabase/functions/_backend/public/bundle/set_channel.ts
// Order: required fields (checked before app_id, see REQUIRED in handlers/index.ts), the channel
// row, the promote permission, the bundle, then "channel not found".
export const putBundle: Handler = ctx => {
  const { app, params } = ctx
  const versionId = bigint(params.version_id)
  const channelId = bigint(params.channel_id)
  const cannotSet = fail(400, 'cannot_set_bundle_to_channel', 'Cannot set bundle to channel')
  if (channelId === undefined) return cannotSet // the channel query fails on a non-bigint
  const c = app.channels.find(x => x.id === channelId)
  if (!can(ctx, 'channel.promote_bundle', c))
    return fail(400, 'cannot_access_app', NO_ACCESS, {
      app_id: app.app_id,
      channel_id: params.channel_id
    })
  if (versionId === undefined) return cannotSet
  const b = app.bundles.find(x => x.id === versionId && !x.deleted)
  if (!b) return fail(400, 'cannot_find_version', 'Cannot find version')
  if (!c) return fail(400, 'cannot_find_channel', 'Cannot find channel')
  // late-2026: the update-package guard (change 6) and the end of the rollout (change 1).
  const refused = packageGuard(ctx, { ...c, version: b.id }, c)
  if (refused) return refused
  const at = timestamp(ctx.now)
  const before = { ...c }
  c.version = b.id
  c.updated_at = at
  channelTriggers(ctx, c, before, false)
  normalizePublic(app, c, at)
  return {
    status: 200,
    body: { status: 'success', message: `Bundle ${b.name} set to channel ${c.name}` }
  }
}

// Cap-go/capgo supabase/functions/_backend/public/bundle/update_metadata.ts
// The bundle is looked up without a `deleted` filter: a deleted bundle's metadata can be set.
export const postBundleMetadata: Handler = ctx => {
  const { app, params } = ctx
  if (!can(ctx, 'app.upload_bundle'))
    return fail(400, 'cannot_update_bundle_metadata', "You can't update metadata for this app", {
      app_id: app.app_id
    })
  const id = bigint(params.version_id)
  const b = id === undefined ? undefined : app.bundles.find(x => x.id === id)
  if (!b) return fail(400, 'cannot_find_version', 'Cannot find version')
  if (params.link === undefined && params.comment === undefined)
    return fail(400, 'no_fields_to_update', 'No fields to update')
  const text = (v: unknown): string | null => (v === null ? null : String(v))
  if (params.link !== undefined) b.link = text(params.link)
  if (params.comment !== undefined) b.comment = text(params.comment)
  b.updated_at = timestamp(ctx.now)
  return OK
}
