// The read phase: everything the plan needs, before any write.

import type { CapgoApi } from './capgo/api.js'
import { devicesToRead, needsBundles, type Inventory } from './plan/index.js'
import { forEachLimited } from './pool.js'
import type { Settings } from './settings.js'

/** Reads the inventory, in parallel where the API allows. */
export async function readInventory(api: CapgoApi, settings: Settings): Promise<Inventory> {
  // Channels first, alone: one request proves the key before others go out with it (each failed
  // login counts toward Capgo's lockout of the runner's IP).
  const channels = await api.listChannels(settings.appId)
  const [bundles, deviceChannels] = await Promise.all([
    needsBundles(settings) ? api.listBundles(settings.appId) : Promise.resolve(undefined),
    readDevices(api, settings)
  ])
  return { channels, deviceChannels, ...(bundles ? { bundles } : {}) }
}

async function readDevices(
  api: CapgoApi,
  settings: Settings
): Promise<Inventory['deviceChannels']> {
  const result: Inventory['deviceChannels'] = {}
  await forEachLimited(devicesToRead(settings), settings.concurrency, async id => {
    const device = await api.getDevice(settings.appId, id)
    // A row without the field says nothing about the override: undefined, not null.
    result[id] = device === undefined ? null : device.channel
  })
  return result
}
