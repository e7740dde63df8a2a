// The least role each step needs, and what a refusal for lack of permission says (README, "Safety
// rules"; docs/capgo-api-notes.md, "Keys: roles and permissions"): Capgo's 400 does not name the role.

import { describe, expect, it } from 'vitest'
import { CapgoError } from '../src/capgo/errors.js'
import { LEAST_ROLE, ROLES, isPermissionDenied, stepError, type Step } from '../src/roles.js'

const APP = 'com.example.app'

function refusal(code: string, permissionDenied?: boolean): CapgoError {
  return new CapgoError({
    status: 400,
    code,
    route: 'POST /channel',
    message: `Capgo refused: ${code}`,
    serverMessage: "You can't access this app",
    ...(permissionDenied === undefined ? {} : { permissionDenied })
  })
}

describe('the least role of each step', () => {
  it.each<[Step, string]>([
    ['read', 'app_reader'],
    ['set_bundle', 'app_uploader'],
    ['bundle_metadata', 'app_uploader'],
    ['create_channel', 'app_developer'],
    ['link_device', 'app_developer'],
    ['unlink_device', 'app_developer'],
    ['update_channel', 'app_admin'],
    ['delete_channel', 'app_admin'],
    ['delete_bundle', 'app_admin']
  ])('%s needs %s', (step, role) => {
    expect(LEAST_ROLE[step]).toBe(role)
  })

  it('roles are listed least first', () => {
    expect(ROLES).toEqual(['app_reader', 'app_uploader', 'app_developer', 'app_admin'])
  })
})

describe('stepError', () => {
  it.each<[Step, string, string]>([
    ['set_bundle', 'app_uploader', 'PUT /bundle'],
    ['bundle_metadata', 'app_uploader', 'POST /bundle/metadata'],
    ['create_channel', 'app_developer', 'creating the channel'],
    ['link_device', 'app_developer', 'POST /device'],
    ['unlink_device', 'app_developer', 'DELETE /device'],
    ['update_channel', 'app_admin', 'POST /channel'],
    ['delete_channel', 'app_admin', 'DELETE /channel'],
    ['delete_bundle', 'app_admin', 'DELETE /bundle']
  ])('a refusal of %s names the step and the role %s', (step, role, what) => {
    const error = refusal('cannot_access_app')
    expect(error.permissionDenied).toBe(true)
    const message = stepError(step, APP, error)
    expect(message).toContain(`the role ${role}`)
    expect(message).toContain(what)
    expect(message).toContain(APP)
    // What Capgo said is kept.
    expect(message).toContain(error.message)
    for (const least of ROLES.slice(0, ROLES.indexOf(role as (typeof ROLES)[number]))) {
      expect(message).not.toContain(`the role ${least}`)
    }
  })

  it.each([
    'cannot_access_app',
    'cannot_delete_bundle',
    'cannot_promote_bundle',
    'cannot_update_bundle_metadata'
  ])("Capgo's code %s is a refusal for lack of permission", code => {
    expect(isPermissionDenied(refusal(code))).toBe(true)
    expect(stepError('delete_bundle', APP, refusal(code))).toContain('app_admin')
  })

  it.each<[string, unknown]>([
    ['another Capgo error', refusal('cannot_find_version')],
    ['a Capgo error marked as not a refusal', refusal('cannot_access_app', false)],
    ['a plain error', new Error('socket hang up')],
    ['a string', 'something odd']
  ])('%s keeps its own message', (_name, error) => {
    const expected = error instanceof Error ? error.message : String(error)
    expect(stepError('update_channel', APP, error)).toBe(expected)
    expect(isPermissionDenied(error)).toBe(false)
  })

  it('an error that only looks like a refusal (not a CapgoError) is not one', () => {
    const lookalike = Object.assign(new Error('x'), { permissionDenied: true })
    expect(stepError('delete_bundle', APP, lookalike)).toBe('x')
  })
})

describe("today's roles and refusals (docs/capgo-api-notes.md, changes since July 2026)", () => {
  it('a public channel, or one with auto-pause, needs app_admin even when created', () => {
    expect(LEAST_ROLE.create_public_channel).toBe('app_admin')
    expect(LEAST_ROLE.create_channel_with_auto_pause).toBe('app_admin')
    const message = stepError('create_public_channel', APP, refusal('cannot_access_app'))
    expect(message).toContain('creating a public channel')
    expect(message).toContain('the role app_admin')
    expect(message).not.toContain('app_developer')
  })

  it.each([
    ['channel_zip_required', 'zip'],
    ['channel_delta_required', 'delta']
  ])("%s names the channel's update-package setting and what to do", (code, kind) => {
    const message = stepError('set_bundle', APP, refusal(code, false))
    expect(message).toContain('update-package setting (updatePackage)')
    expect(message).toContain(kind)
    expect(message).toContain('"all"')
    // Not a role problem: no role advice.
    expect(message).not.toContain('the role')
  })

  it('invalid_update_package names the setting and its values', () => {
    const message = stepError('update_channel', APP, refusal('invalid_update_package', false))
    expect(message).toContain('updatePackage')
    expect(message).toContain('zip_from_builtin')
  })

  it('an app that does not exist is said before the role', () => {
    const message = stepError('read', APP, refusal('cannot_access_app'))
    expect(message.indexOf('does not exist')).toBeGreaterThanOrEqual(0)
    expect(message.indexOf('does not exist')).toBeLessThan(message.indexOf('app_reader'))
  })
})
