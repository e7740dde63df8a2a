// Runs the Capgo emulator until SIGINT/SIGTERM.
//
//   npx tsx test/emulator/cli.ts --port 8787 [--apps com.demo.app[,com.other.app]] [--bundles 120]
//     [--latency 20] [--no-paging-defect] [--rate-limit 2000] [--key KEY:ROLE[:app1,app2]]...
//
// Each app gets N bundles (1.0.0 .. 1.0.N-1, one an hour up to now) and, when it has bundles, a
// public `production` channel on the newest one. Without --key the key is `test-admin-key` (admin).
import { startEmulator } from './index.js'
import type { KeySpec, Role } from './index.js'

const ROLES: readonly Role[] = ['reader', 'uploader', 'developer', 'admin', 'preview']

function usage(message: string): never {
  console.error(`${message}
usage: tsx test/emulator/cli.ts [--port N] [--apps a.b.c,...] [--bundles N] [--latency MS]
       [--no-paging-defect] [--rate-limit N] [--key KEY:ROLE[:app1,app2]]...`)
  process.exit(2)
}

function parseArgs(argv: string[]) {
  let port = 8787
  let apps = ['com.demo.app']
  let bundles = 120
  let latencyMs = 0
  let pagingDefect = true
  let rateLimitMax = 2000
  const keys: Record<string, KeySpec> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) usage(`${flag} needs a value`)
      return v
    }
    const num = (): number => {
      const v = value()
      const n = Number(v)
      if (!Number.isInteger(n) || n < 0) usage(`${flag}: not a whole number: ${v}`)
      return n
    }
    switch (flag) {
      case '--port':
        port = num()
        break
      case '--apps':
        apps = value()
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
        break
      case '--bundles':
        bundles = num()
        break
      case '--latency':
        latencyMs = num()
        break
      case '--rate-limit':
        rateLimitMax = num()
        break
      case '--no-paging-defect':
        pagingDefect = false
        break
      case '--key': {
        const [key, role, scope] = value().split(':')
        if (!key || !ROLES.includes(role as Role))
          usage(`--key wants KEY:ROLE with ROLE one of ${ROLES.join('|')}`)
        keys[key] = { role: role as Role, ...(scope ? { apps: scope.split(',') } : {}) }
        break
      }
      case '--help':
      case '-h':
        usage('Capgo emulator')
        break
      default:
        usage(`unknown argument: ${arg}`)
    }
  }
  if (Object.keys(keys).length === 0) keys['test-admin-key'] = { role: 'admin' }
  return { port, apps, bundles, latencyMs, pagingDefect, rateLimitMax, keys }
}

const args = parseArgs(process.argv.slice(2))
const emulator = await startEmulator({
  port: args.port,
  keys: args.keys,
  latencyMs: args.latencyMs,
  pagingDefect: args.pagingDefect,
  rateLimit: { max: args.rateLimitMax },
  apps: args.apps.map(app_id => ({
    app_id,
    bundles: args.bundles,
    channels:
      args.bundles > 0
        ? [{ name: 'production', public: true, version: `1.0.${args.bundles - 1}` }]
        : []
  }))
})

console.log(`Capgo emulator listening on ${emulator.url}`)
console.log(`apps: ${args.apps.join(', ')} (${args.bundles} bundles each)`)
for (const [key, spec] of Object.entries(args.keys))
  console.log(`key: ${key} (${spec.role}${spec.apps ? `, apps ${spec.apps.join(',')}` : ''})`)
console.log(`paging defect: ${args.pagingDefect ? 'on' : 'off'}, latency: ${args.latencyMs} ms`)

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping`)
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
