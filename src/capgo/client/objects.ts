// Single objects: one channel or one device by its name, or undefined when Capgo says it does not
// exist (by Capgo's own code only: a bare 404 may be a wrong api_url or a proxy).
import { isObject } from '../classify.js'
import type { Channel, Device } from '../types.js'
import type { CapgoRequests } from './requests.js'

/** `CapgoApi.getChannel` (api.ts). */
export function getChannel(
  req: CapgoRequests,
  appId: string,
  name: string
): Promise<Channel | undefined> {
  // Capgo's code for an unknown channel name is `cannot_find_version` (sic).
  return getOne<Channel>(
    req,
    '/channel',
    { app_id: appId, channel: name },
    'cannot_find_version',
    'name'
  )
}

/** `CapgoApi.getDevice` (api.ts). */
export function getDevice(
  req: CapgoRequests,
  appId: string,
  deviceId: string
): Promise<Device | undefined> {
  // Only Capgo's own "unknown device": a bare 404 may be a wrong api_url or a proxy.
  return getOne<Device>(
    req,
    '/device',
    { app_id: appId, device_id: deviceId },
    'device_not_found',
    'device_id'
  )
}

/** One object by a query, or undefined when Capgo answers `notFoundCode`. */
async function getOne<T extends object>(
  req: CapgoRequests,
  path: string,
  query: Record<string, string>,
  notFoundCode: string,
  nameField: keyof T & string
): Promise<T | undefined> {
  const NOT_FOUND = Symbol('not found')
  const result = await req.call<unknown>('GET', path, {
    query,
    expect: {
      check: value => isObject(value) && typeof value[nameField] === 'string',
      what: `an object without a ${nameField}`
    },
    recover: error => (error.code === notFoundCode ? NOT_FOUND : undefined)
  })
  if (result === NOT_FOUND) return undefined
  return result as T
}
