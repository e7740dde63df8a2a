// Where the server is, and honest network errors: the IPv6 loopback, a host that does not exist,
// a refused or dropped connection.
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  APP,
  cleanups,
  start,
  standardApp,
  client,
  failure,
  json,
  closedPortUrl
} from './helpers.js'

function ipv6Loopback(): boolean {
  // Checked once, at load: some CI machines have no ::1.
  try {
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen(0,'::1',function(){this.close();console.log('ok')}).on('error',()=>console.log('no'))"
      ],
      { encoding: 'utf8' }
    )
    return out.trim() === 'ok'
  } catch {
    return false
  }
}
const HAS_IPV6 = ipv6Loopback()

describe('addresses and network errors', () => {
  it.skipIf(!HAS_IPV6)(
    'api_url http://[::1]:PORT connects to the IPv6 loopback (skipped when ::1 cannot be bound here)',
    async () => {
      const requests: string[] = []
      const server = createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`)
        json(res, 200, [])
      })
      await new Promise<void>(resolve => server.listen(0, '::1', resolve))
      cleanups.push(() => new Promise<void>(resolve => server.close(() => resolve())))
      const port = (server.address() as AddressInfo).port
      const { api } = client(`http://[::1]:${port}`)
      expect(await api.listChannels(APP)).toEqual([])
      expect(requests).toEqual([`GET /channel?app_id=${APP}&page=0`])
    }
  )

  it('a host that does not exist (.invalid) is host_not_found, not retried', async () => {
    const { api, waits } = client('http://nonexistent.invalid', { retries: 3 })
    const error = await failure(api.listChannels(APP))
    expect([error.code, error.status, error.attempts]).toEqual(['host_not_found', undefined, 1])
    expect(error.message).toContain('the host nonexistent.invalid was not found (DNS)')
    expect(waits).toEqual([])
  })

  it('a refused connection names the address and says nothing listens there', async () => {
    const url = await closedPortUrl()
    const { api } = client(url, { retries: 0 })
    const error = await failure(api.listChannels(APP))
    expect(error.message).toContain(
      `connection refused by ${new URL(url).host} (is api_url right? nothing is listening there)`
    )
  })

  it('a dropped connection says so', async () => {
    const emu = await start({ apps: [standardApp()] })
    emu.addFault({ kind: 'drop-before' })
    const { api } = client(emu.url, { retries: 0 })
    const error = await failure(api.listChannels(APP))
    expect(error.code).toBe('network_error')
    expect(error.message).toContain('the connection was dropped')
  })
})
