// The least Capgo role each step of the action needs, and the message a refusal gets. Capgo
// answers a missing permission with a 400 that does not say which role was missing (see
// docs/capgo-api-notes.md, "Keys: roles and permissions"); the action knows which step it was.

import { CapgoError } from './capgo/errors.js'

export type Step =
  | 'read'
  | 'set_bundle'
  | 'bundle_metadata'
  | 'create_channel'
  | 'create_public_channel'
  | 'create_channel_with_auto_pause'
  | 'update_channel'
  | 'delete_channel'
  | 'link_device'
  | 'unlink_device'
  | 'delete_bundle'

/** Capgo's role names, least first. */
export const ROLES = ['app_reader', 'app_uploader', 'app_developer', 'app_admin'] as const
export type Role = (typeof ROLES)[number]

export const LEAST_ROLE: Record<Step, Role> = {
  read: 'app_reader',
  set_bundle: 'app_uploader',
  bundle_metadata: 'app_uploader',
  create_channel: 'app_developer',
  // Since July 27 2026 a public channel needs app.update_settings (docs/capgo-api-notes.md).
  create_public_channel: 'app_admin',
  create_channel_with_auto_pause: 'app_admin',
  link_device: 'app_developer',
  unlink_device: 'app_developer',
  update_channel: 'app_admin',
  delete_channel: 'app_admin',
  delete_bundle: 'app_admin'
}

const WHAT: Record<Step, string> = {
  read: 'reading the app',
  set_bundle: 'putting the bundle on the channel (PUT /bundle)',
  bundle_metadata: "setting the bundle's link or comment (POST /bundle/metadata)",
  create_channel: 'creating the channel (POST /channel)',
  create_public_channel: 'creating a public channel (POST /channel with public: true)',
  create_channel_with_auto_pause:
    "creating a channel with Capgo's auto-pause settings (POST /channel with auto_pause_*)",
  update_channel: "changing the channel's settings or rollout (POST /channel)",
  delete_channel: 'deleting the channel (DELETE /channel)',
  link_device: 'linking a device (POST /device)',
  unlink_device: 'unlinking a device (DELETE /device)',
  delete_bundle: 'deleting bundles (DELETE /bundle)'
}

export function isPermissionDenied(error: unknown): boolean {
  return error instanceof CapgoError && error.permissionDenied === true
}

/**
 * A refusal for lack of permission, said as what the user must change. Other errors keep their
 * own message.
 */
export function stepError(step: Step, appId: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const advice = updatePackageAdvice(error)
  if (advice !== undefined) return `${advice} Capgo said: ${message}`
  if (!isPermissionDenied(error)) return message
  const role = LEAST_ROLE[step]
  if (step === 'read') {
    // Capgo answers an app that does not exist as it answers one the key may not read: say the
    // likelier cause (a misspelt app_id) first, then the role.
    return (
      `App "${appId}" (app_id) does not exist, or this API key cannot reach it. Check app_id ` +
      '(the id of the app in Capgo, such as com.example.app); if it is right, the key needs the ' +
      `role ${role} (or higher) on it: give it that role in Capgo (Organization settings → API ` +
      `keys), or use a key of the app's organisation. Capgo said: ${message}`
    )
  }
  return (
    `The API key may not do this step: ${WHAT[step]} needs the role ${role} (or higher) on ` +
    `${appId}. Give the key that role in Capgo (Organization settings → API keys), or use a key ` +
    `that has it. Capgo said: ${message}`
  )
}

/**
 * A channel may require zip or delta bundles (its "update package" setting, `updatePackage` in
 * Capgo's API); Capgo refuses a bundle that cannot serve it (docs/capgo-api-notes.md, "Channels").
 */
export function updatePackageAdvice(error: unknown): string | undefined {
  if (!(error instanceof CapgoError)) return undefined
  const kind =
    error.code === 'channel_zip_required'
      ? 'zip'
      : error.code === 'channel_delta_required'
        ? 'delta (manifest)'
        : undefined
  if (kind !== undefined) {
    return (
      `The channel's update-package setting (updatePackage) requires ${kind} bundles, and this ` +
      `bundle has none: upload it with a ${kind} package (Capgo's CLI: ${kind === 'zip' ? 'a zip upload' : '--delta'}), ` +
      'or set the channel\'s update package to "all" in Capgo\'s dashboard. Nothing was changed on the channel.'
    )
  }
  if (error.code === 'invalid_update_package') {
    return (
      "Capgo refused the channel's update-package setting (updatePackage): accepted values are " +
      "all, zip, delta, zip_from_builtin and delta_from_builtin. Check the channel in Capgo's dashboard."
    )
  }
  return undefined
}
