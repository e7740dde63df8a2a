// /channel of the Capgo emulator (docs/capgo-api-notes.md, "Channels" and "Rollouts").
import {
  channelRow,
  findBundleByName,
  newChannel,
  normalizePublic,
  oldestFirst,
  removeOverride,
  timestamp
} from '../state.js'
import { DISABLE_AUTO_UPDATE, UPDATE_PACKAGES } from '../types.js'
import type {
  AppState,
  AutoPauseAction,
  DisableAutoUpdate,
  StoredChannel,
  UpdatePackage
} from '../types.js'
import { channelTriggers, packageGuard } from './channel-write.js'
import { NO_ACCESS, OK, can, fail, fixedPageRange, given, pageRange } from './common.js'
import type { Ctx, Handler, Reply } from './common.js'

// Cap-go/capgo supabase/functions/_backend/public/channel/get.ts
export const getChannels: Handler = ctx => {
  const { app, params } = ctx
  if (!can(ctx, 'app.read_channels')) return fail(400, 'cannot_access_app', NO_ACCESS)
  const name = params.channel
  if (given(name)) {
    const c = app.channels.find(x => x.name === name)
    if (!c) return fail(400, 'cannot_find_version', 'Cannot find version', { channel: name })
    return { status: 200, body: channelRow(app, c, ctx.rowView) }
  }
  const range = ctx.channelPagingFixed
    ? fixedPageRange(params.page, ctx)
    : pageRange(params.page, ctx)
  if (!range) return fail(500, 'unknown_error', 'invalid page', { page: params.page })
  const rows = [...app.channels]
    .sort(oldestFirst)
    .slice(range.from, range.from + range.count)
    .map(c => channelRow(app, c, ctx.rowView))
  return { status: 200, body: rows }
}

const BOOL_FIELDS = [
  'public',
  'disableAutoUpdateUnderNative',
  'ios',
  'android',
  'allow_device_self_set',
  'allow_emulator',
  'allow_dev',
  'allow_prod',
  'allow_device',
  'rolloutEnabled',
  'autoPauseEnabled'
] as const

/** snake_case spellings the backend also accepts (channel/post.ts normalizeChannelSet). */
const ALIASES: Record<string, string> = {
  rolloutVersion: 'rollout_version',
  rolloutPercentage: 'rollout_percentage',
  rolloutPercentageBps: 'rollout_percentage_bps',
  rolloutEnabled: 'rollout_enabled',
  rolloutPaused: 'rollout_paused',
  rolloutPausedAt: 'rollout_paused_at',
  rolloutPauseReason: 'rollout_pause_reason',
  rolloutCacheTtlSeconds: 'rollout_cache_ttl_seconds',
  promoteToStable: 'promote_to_stable',
  autoPauseEnabled: 'auto_pause_enabled',
  autoPauseWindowMinutes: 'auto_pause_window_minutes',
  autoPauseFailureRateBps: 'auto_pause_failure_rate_bps',
  autoPauseConfidence: 'auto_pause_confidence',
  autoPauseMinAttempts: 'auto_pause_min_attempts',
  autoPauseMinFailures: 'auto_pause_min_failures',
  autoPauseAction: 'auto_pause_action',
  autoPauseCooldownMinutes: 'auto_pause_cooldown_minutes',
  updatePackage: 'update_package'
}

function normalize(params: Record<string, unknown>): Record<string, unknown> {
  const out = { ...params }
  for (const [camel, snake] of Object.entries(ALIASES))
    if (out[camel] === undefined) out[camel] = params[snake]
  return out
}

/** Capgo's `version` values that mean "no bundle" (utils.ts isInternalVersionName, and falsy). */
const unlinks = (v: unknown): boolean => !v || v === 'unknown' || v === 'builtin'

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** validateIntegerRange of channel/post.ts: null/undefined pass. */
function intRange(
  p: Record<string, unknown>,
  field: string,
  min: number,
  max: number
): Reply | undefined {
  const v = p[field]
  if (v === undefined || v === null) return undefined
  if (!isNum(v) || !Number.isInteger(v) || v < min || v > max)
    return fail(
      400,
      'invalid_rollout_config',
      `${field} must be an integer between ${min} and ${max}`,
      {
        field,
        value: v,
        min,
        max
      }
    )
  return undefined
}

/** Rollout and auto-pause values; the DB-level checks (bad enum, non-boolean) are 500s. */
function validate(p: Record<string, unknown>, bps: unknown, ctx: Ctx): Reply | undefined {
  const pct = p.rolloutPercentage
  if (pct !== undefined && pct !== null && (!isNum(pct) || pct < 0 || pct > 100))
    return fail(400, 'invalid_rollout_percentage', 'Rollout percentage must be between 0 and 100', {
      rolloutPercentage: pct
    })
  const withBps = { ...p, rolloutPercentageBps: bps }
  const ranges: [string, number, number][] = [
    ['rolloutPercentageBps', 0, 10_000],
    ['rolloutCacheTtlSeconds', 60, 31_536_000],
    ['autoPauseWindowMinutes', 1, 10_080],
    ['autoPauseFailureRateBps', 0, 10_000]
  ]
  for (const [f, min, max] of ranges) {
    const r = intRange(withBps, f, min, max)
    if (r) return r
  }
  const conf = p.autoPauseConfidence
  if (conf !== undefined && conf !== null && (!isNum(conf) || conf <= 0 || conf >= 1))
    return fail(
      400,
      'invalid_auto_pause_confidence',
      'Auto-pause confidence must be greater than 0 and less than 1'
    )
  for (const [f, min, max] of [
    ['autoPauseMinAttempts', 0, Number.MAX_SAFE_INTEGER],
    ['autoPauseMinFailures', 0, Number.MAX_SAFE_INTEGER],
    ['autoPauseCooldownMinutes', 0, 10_080]
  ] as const) {
    const r = intRange(p, f, min, max)
    if (r) return r
  }
  const action = p.autoPauseAction
  if (given(action) && !['pause', 'rollback', 'notify'].includes(action as string))
    return fail(
      400,
      'invalid_auto_pause_action',
      'Auto-pause action must be pause, rollback, or notify'
    )
  // late-2026 (Cap-go/capgo.app supabase/functions/_backend/public/channel/post.ts): null counts as
  // left out. july-2026 has no such field: it is ignored like any unknown field.
  const pkg = p.updatePackage
  if (
    ctx.era === 'late-2026' &&
    pkg !== undefined &&
    pkg !== null &&
    !UPDATE_PACKAGES.includes(pkg as UpdatePackage)
  )
    return fail(
      400,
      'invalid_update_package',
      'Update package must be all, zip, delta, zip_from_builtin, or delta_from_builtin',
      { updatePackage: pkg }
    )
  return undefined
}

/** Errors the database raises on write (bad enum, wrong type): 500 unknown_error. */
function dbChecks(p: Record<string, unknown>): Reply | undefined {
  const dau = p.disableAutoUpdate
  if (dau !== undefined && dau !== null && !DISABLE_AUTO_UPDATE.includes(dau as DisableAutoUpdate))
    return fail(500, 'unknown_error', 'invalid input value for enum disable_update', { value: dau })
  for (const f of [...BOOL_FIELDS, 'electron'] as const) {
    const v = p[f]
    if (v !== undefined && v !== null && typeof v !== 'boolean')
      return fail(500, 'unknown_error', `invalid input syntax for type boolean: ${f}`, { value: v })
  }
  const at = p.rolloutPausedAt
  if (at !== undefined && at !== null && (typeof at !== 'string' || Number.isNaN(Date.parse(at))))
    return fail(500, 'unknown_error', 'invalid input syntax for type timestamp', { value: at })
  return undefined
}

/** A rollout bundle by name (a string) or by id (a number); deleted ones do not count. */
function resolveRollout(app: AppState, v: unknown): number | undefined {
  if (typeof v === 'number') return app.bundles.find(b => b.id === v && !b.deleted)?.id
  return typeof v === 'string' ? findBundleByName(app, v)?.id : undefined
}

/** What the body asks to change, computed before anything is written. */
type Changes = Partial<StoredChannel>

/** Clears the rollout, as `rollback` and `promoteToStable` do. */
const CLEARED: Changes = {
  rollout_version: null,
  rolloutEnabled: false,
  rolloutPercentageBps: 0,
  rolloutPausedAt: null,
  rolloutPauseReason: null
}

function settingsChanges(p: Record<string, unknown>, bps: unknown, ctx: Ctx): Changes {
  const ch: Record<string, unknown> = {}
  for (const f of BOOL_FIELDS) if (p[f] !== undefined && p[f] !== null) ch[f] = p[f]
  // With public: true and ios different from android, Capgo sets electron to false.
  const electron = p.electron ?? (p.public && p.ios !== p.android ? false : undefined)
  if (electron !== undefined && electron !== null) ch.electron = electron
  if (p.disableAutoUpdate !== undefined && p.disableAutoUpdate !== null)
    ch.disableAutoUpdate = p.disableAutoUpdate
  if (bps !== undefined && bps !== null) ch.rolloutPercentageBps = bps
  if (p.rolloutCacheTtlSeconds !== undefined && p.rolloutCacheTtlSeconds !== null)
    ch.rolloutCacheTtlSeconds = p.rolloutCacheTtlSeconds
  if (p.rolloutPauseReason !== undefined) ch.rolloutPauseReason = p.rolloutPauseReason
  const pausedAt =
    p.rolloutPausedAt !== undefined
      ? p.rolloutPausedAt
      : p.rolloutPaused === undefined || p.rolloutPaused === null
        ? undefined
        : p.rolloutPaused
          ? new Date(ctx.now).toISOString()
          : null
  if (pausedAt !== undefined) {
    ch.rolloutPausedAt = pausedAt
    if (!pausedAt) ch.rolloutPauseReason = null
  }
  for (const f of [
    'autoPauseWindowMinutes',
    'autoPauseConfidence',
    'autoPauseCooldownMinutes'
  ] as const)
    if (p[f] !== undefined && p[f] !== null) ch[f] = p[f]
  for (const f of [
    'autoPauseFailureRateBps',
    'autoPauseMinAttempts',
    'autoPauseMinFailures'
  ] as const)
    if (p[f] !== undefined) ch[f] = p[f]
  if (given(p.autoPauseAction)) ch.autoPauseAction = p.autoPauseAction as AutoPauseAction
  if (ctx.era === 'late-2026' && p.updatePackage !== undefined && p.updatePackage !== null)
    ch.updatePackage = p.updatePackage
  return ch as Changes
}

// Cap-go/capgo supabase/functions/_backend/public/channel/post.ts
export const postChannel: Handler = ctx => {
  const { app, state } = ctx
  const p = normalize(ctx.params)
  const name = p.channel
  if (typeof name !== 'string' || name === '')
    return fail(400, 'missing_channel_name', 'Missing channel name')
  const existing = app.channels.find(x => x.name === name)
  if (existing ? !can(ctx, 'channel.update_settings', existing) : !can(ctx, 'app.create_channel'))
    return fail(400, 'cannot_access_app', NO_ACCESS, { app_id: app.app_id, channel: name })
  // late-2026, change 5 (Cap-go/capgo.app supabase/migrations/
  // 20260728111351_app_preview_public_channel_guard.sql and channel/post.ts): making a channel
  // public (a new one, or a private one) needs app.update_settings, i.e. app_admin.
  if (
    ctx.era === 'late-2026' &&
    p.public === true &&
    existing?.public !== true &&
    !can(ctx, 'app.update_settings')
  )
    return fail(400, 'cannot_access_app', NO_ACCESS, { app_id: app.app_id, channel: name })

  // Everything is checked before anything is written: a refused upsert changes nothing.
  let versionId: number | null | undefined
  let newVersionName: string | null = null
  if (p.version !== undefined) {
    const requested = unlinks(p.version) ? null : p.version
    if (existing) {
      if (!can(ctx, 'channel.promote_bundle', existing))
        return fail(400, 'cannot_access_app', NO_ACCESS, { app_id: app.app_id, channel: name })
      if (requested === null) versionId = null
      else {
        const b = typeof requested === 'string' ? findBundleByName(app, requested) : undefined
        // The backend's lookup rejects with a plain Error here: a 500, not a 400.
        if (!b) return fail(500, 'unknown_error', 'Cannot find version', { version: p.version })
        versionId = b.id
      }
    } else newVersionName = requested === null ? null : String(requested)
  }
  const pct = p.rolloutPercentage
  const bps = p.rolloutPercentageBps ?? (isNum(pct) ? Math.round(pct * 100) : undefined)
  const invalid = validate(p, bps, ctx)
  if (invalid) return invalid
  // late-2026, change 2 (Cap-go/capgo.app supabase/functions/_backend/public/channel/post.ts,
  // `disablesRollout`): rolloutEnabled:false also drops the rollout bundle and the pause.
  const disablesRollout =
    ctx.era === 'late-2026' &&
    p.rolloutEnabled === false &&
    !given(p.rollback) &&
    !given(p.promoteToStable)
  const movesRollout =
    p.rolloutVersion !== undefined ||
    given(p.rollback) ||
    given(p.promoteToStable) ||
    (disablesRollout && (existing?.rollout_version ?? null) !== null)
  if (movesRollout) {
    if (!existing)
      return fail(400, 'cannot_find_channel', 'Cannot find channel', {
        app_id: app.app_id,
        channel: name
      })
    if (!can(ctx, 'channel.promote_bundle', existing))
      return fail(400, 'cannot_promote_bundle', "You can't promote bundles on this channel", {
        app_id: app.app_id,
        channel: name
      })
  }
  if (
    given(p.rolloutVersion) &&
    ((p.version === undefined && (existing?.version ?? null) === null) ||
      p.version === null ||
      p.version === 'unknown')
  )
    return fail(
      400,
      'missing_stable_version',
      'Cannot set rollout target without a stable bundle',
      {
        app_id: app.app_id,
        channel: name
      }
    )
  const dbError = dbChecks(p)
  if (dbError) return dbError

  const changes = settingsChanges(p, bps, ctx)
  if (versionId !== undefined) changes.version = versionId
  if (p.rolloutVersion !== undefined) {
    if (!given(p.rolloutVersion)) changes.rollout_version = null
    else {
      const id = resolveRollout(app, p.rolloutVersion)
      if (id === undefined)
        return fail(500, 'unknown_error', 'Cannot find version', {
          rolloutVersion: p.rolloutVersion
        })
      changes.rollout_version = id
    }
  }
  if (given(p.rollback)) Object.assign(changes, CLEARED)
  if (given(p.promoteToStable)) {
    const promoted = changes.rollout_version ?? existing?.rollout_version ?? null
    if (promoted === null)
      return fail(400, 'missing_rollout_version', 'Cannot promote without a rollout version', {
        app_id: app.app_id,
        channel: name
      })
    Object.assign(changes, CLEARED, { version: promoted })
  }
  if (disablesRollout)
    Object.assign(changes, {
      rollout_version: null,
      rolloutPausedAt: null,
      rolloutPauseReason: null
    })
  let newVersionId: number | undefined
  if (!existing && newVersionName !== null) {
    const b = findBundleByName(app, newVersionName)
    if (!b) return fail(400, 'cannot_find_version', 'Cannot find version')
    newVersionId = b.id
  }

  const at = timestamp(ctx.now)
  // The package guard sees the row as it would be written; a refusal writes nothing (Capgo rolls
  // back the transaction, the new channel included).
  const base = existing ?? newChannel(app, 0, name, at, ctx.key)
  const next = { ...base, ...changes }
  if (newVersionId !== undefined) next.version = newVersionId
  const refused = packageGuard(ctx, next, existing)
  if (refused) return refused

  let c: StoredChannel
  if (existing) c = existing
  else {
    c = newChannel(app, state.nextChannelId++, name, at, ctx.key)
    app.channels.push(c)
  }
  const before = { ...c }
  Object.assign(c, changes)
  if (newVersionId !== undefined) c.version = newVersionId
  c.updated_at = at
  channelTriggers(ctx, c, before, 'rolloutPauseReason' in changes)
  normalizePublic(app, c, at)
  if (newVersionId !== undefined)
    return { status: 200, body: { status: 'ok', id: c.id, public: c.public } }
  return OK
}

// Cap-go/capgo supabase/functions/_backend/public/channel/delete.ts
// The channel is looked up before the permission is checked: an unknown name is
// cannot_find_channel whatever the key.
export const deleteChannel: Handler = ctx => {
  const { app, params } = ctx
  const name = params.channel
  if (!given(name)) return fail(400, 'missing_channel_name', 'You must provide a channel name')
  const i = app.channels.findIndex(x => x.name === name)
  const c = app.channels[i]
  if (!c) return fail(400, 'cannot_find_channel', 'Cannot find channel', { channel: name })
  if (!can(ctx, 'channel.delete', c))
    return fail(400, 'cannot_access_app', NO_ACCESS, { app_id: app.app_id, channel_id: c.id })
  app.channels.splice(i, 1)
  for (const [device, channelId] of Object.entries(app.overrides))
    if (channelId === c.id) removeOverride(app, device)
  return OK
}
