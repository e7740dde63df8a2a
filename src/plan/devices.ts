// The device rules: link the named devices to `channel`, unlink the others; skip what is done. Pure.

import type { Settings } from '../settings/index.js'
import type { ChannelPlan, DevicePlan, Inventory } from './types.js'

export function planDevices(
  settings: Settings,
  inventory: Inventory,
  channel: ChannelPlan | null,
  errors: string[]
): { links: DevicePlan[]; unlinks: DevicePlan[] } {
  const links = settings.devices.map(deviceId => {
    const before = inventory.deviceChannels[deviceId]
    // Relinking a device to its channel is refused by Capgo within 60 s: skip what is done.
    const action: DevicePlan['action'] = before === channel?.name ? 'already' : 'link'
    return { deviceId, action, before, ...runsOf(inventory, deviceId) }
  })
  if (links.length > 0 && channel?.after.public) {
    errors.push(
      `Devices cannot be linked to "${channel.name}": it is a public (default) channel, and Capgo ` +
        `refuses device overrides to it. Use a private channel for test devices.`
    )
  }
  const unlinks = settings.unlinkDevices.map(deviceId => {
    const before = inventory.deviceChannels[deviceId]
    // Only a device known to have no override is skipped; an unknown state is unlinked (safe).
    const action: DevicePlan['action'] = before === null ? 'already' : 'unlink'
    return { deviceId, action, before, ...runsOf(inventory, deviceId) }
  })
  return { links, unlinks }
}

function runsOf(inventory: Inventory, deviceId: string): Pick<DevicePlan, 'runs' | 'seen'> {
  const versions = inventory.deviceVersions
  if (versions === undefined) return {}
  const runs = versions[deviceId]
  return runs === undefined ? { seen: false } : { seen: true, runs }
}

/**
 * What a linked device runs now, against the channel's bundle: `runs 1.11.9`, `still on 1.9.4`,
 * or `not seen by Capgo yet` (a device that never checked for an update). Empty when unknown.
 */
export function deviceRunsText(
  device: Pick<DevicePlan, 'runs' | 'seen'>,
  channelBundle: string | null
): string {
  if (device.seen === undefined) return ''
  if (!device.seen) return 'not seen by Capgo yet'
  if (device.runs === null || device.runs === undefined || device.runs === '')
    return 'seen, bundle not reported'
  if (channelBundle !== null && device.runs === channelBundle) return `runs ${device.runs}`
  return `still on ${device.runs}`
}
