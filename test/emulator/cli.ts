// Runs the Capgo emulator until SIGINT/SIGTERM, serving the demo's sample app (test/emulator/sample.ts).
//
//   npm run emulator -- [--port 8787] [--apps com.demo.app[,com.other.app]] [--latency 20]
//     [--no-paging-defect] [--rate-limit 2000] [--tie-order stable|shuffle] [--key KEY:ROLE[:apps]]...
//     [--era late-2026|july-2026] [--github [PORT]] [--quiet]
import { startGitHubEmulator, ALL_PERMISSIONS } from '../github-emulator/index.js'
import { CAPGO_ERAS, startEmulator } from './index.js'
import type { CapgoEra, KeySpec, Role } from './index.js'
import { SAMPLE_APP_ID, sampleApp } from './sample.js'

const ROLES: readonly Role[] = [
  'reader',
  'uploader',
  'developer',
  'admin',
  'preview',
  'org_admin',
  'org_super_admin'
]

/** One key per role, used when no --key is given. */
const DEFAULT_KEYS: Record<string, KeySpec> = {
  'reader-key': { role: 'reader' },
  'uploader-key': { role: 'uploader' },
  'developer-key': { role: 'developer' },
  'admin-key': { role: 'admin' },
  'preview-key': { role: 'preview' }
}

const HELP = `Capgo emulator: Capgo's public API as docs/capgo-api-notes.md describes it, on 127.0.0.1.

usage: npm run emulator -- [flags]

flags:
  --port N               port to listen on (default 8787; 0 = any free port)
  --apps A,B             app ids, each seeded with the sample app (default ${SAMPLE_APP_ID})
  --latency MS           delay added to every request (default 0)
  --no-paging-defect     page P holds 50 rows (Capgo's real pages can hold up to 1000)
  --rate-limit N         a key's request count that is answered 429, as Capgo counts
                         (default 2000 within 60 s of quiet; every request counts)
  --tie-order MODE       stable | shuffle: order of bundles with equal created_at (default stable)
  --era ERA              ${CAPGO_ERAS.join(' | ')}: the Capgo to copy (default late-2026;
                         docs/capgo-api-notes.md, "Changes since July 2026")
  --github [PORT]        also start the GitHub emulator (default port 8788): repository
                         acme/app, token gh-token, pull request #42 (see docs/local.md)
  --quiet                do not log each request
  --key KEY:ROLE[:apps]  add a key (repeatable; replaces the default keys); apps (a,b)
                         limits the key to those app ids; ROLE is one of
                         ${ROLES.join(', ')}
  -h, --help             this text

default keys (when no --key is given):
${Object.entries(DEFAULT_KEYS)
  .map(([key, spec]) => `  ${key.padEnd(15)} ${spec.role}`)
  .join('\n')}

sample app: 120 bundles 1.0.0 .. 1.11.9 (one every 1.5 days); channels production (public,
1.9.4), beta (1.11.9), qa (private, no bundle).`

function usage(message: string): never {
  console.error(`${message}\nrun with --help for the flags`)
  process.exit(2)
}

function parseArgs(argv: string[]) {
  let port = 8787
  let apps = [SAMPLE_APP_ID]
  let latencyMs = 0
  let pagingDefect = true
  let rateLimitMax = 2000
  let tieOrder: 'stable' | 'shuffle' = 'stable'
  let era: CapgoEra = 'late-2026'
  let githubPort: number | undefined
  let quiet = false
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
        if (port > 65535) usage(`--port: not a port: ${port}`)
        break
      case '--apps':
        apps = value()
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
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
      case '--tie-order': {
        const v = value()
        if (v !== 'stable' && v !== 'shuffle') usage('--tie-order wants stable or shuffle')
        tieOrder = v
        break
      }
      case '--era': {
        const v = value()
        if (!CAPGO_ERAS.includes(v as CapgoEra)) usage(`--era wants ${CAPGO_ERAS.join(' or ')}`)
        era = v as CapgoEra
        break
      }
      case '--key': {
        const [key, role, scope] = value().split(':')
        if (!key || !ROLES.includes(role as Role))
          usage(`--key wants KEY:ROLE with ROLE one of ${ROLES.join('|')}`)
        keys[key] = { role: role as Role, ...(scope ? { apps: scope.split(',') } : {}) }
        break
      }
      case '--github': {
        const next = inline ?? argv[i + 1]
        if (next !== undefined && /^\d+$/.test(next)) {
          githubPort = Number(next)
          if (inline === undefined) i++
        } else githubPort = 8788
        break
      }
      case '--quiet':
        quiet = true
        break
      case '--help':
      case '-h':
        console.log(HELP)
        process.exit(0)
        break
      default:
        usage(`unknown argument: ${arg}`)
    }
  }
  return {
    port,
    apps,
    latencyMs,
    pagingDefect,
    rateLimitMax,
    tieOrder,
    era,
    githubPort,
    quiet,
    keys: Object.keys(keys).length === 0 ? DEFAULT_KEYS : keys
  }
}

const args = parseArgs(process.argv.slice(2))
const now = Date.now()
const emulator = await startEmulator({
  port: args.port,
  keys: args.keys,
  latencyMs: args.latencyMs,
  pagingDefect: args.pagingDefect,
  rateLimit: { max: args.rateLimitMax },
  tieOrder: args.tieOrder,
  era: args.era,
  apps: args.apps.map(appId => sampleApp(now, appId)),
  ...(args.quiet
    ? {}
    : {
        onAnswer: r =>
          console.log(`capgo  ${r.method} ${r.path}${queryText(r.query)} -> ${r.status}`)
      })
}).catch((e: unknown) => {
  const code = (e as { code?: string }).code
  if (code === 'EADDRINUSE')
    console.error(`port ${args.port} is in use: choose another with --port`)
  else if (code === 'EACCES')
    console.error(`port ${args.port} needs privileges: choose another with --port`)
  else console.error(`cannot start the emulator: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(2)
})

console.log(`Capgo emulator listening on ${emulator.url}`)
console.log(`apps: ${args.apps.join(', ')} (the sample app: 120 bundles, production, beta, qa)`)
for (const [key, spec] of Object.entries(args.keys))
  console.log(`key: ${key} (${spec.role}${spec.apps ? `, apps ${spec.apps.join(',')}` : ''})`)
console.log(
  `paging defect: ${args.pagingDefect ? 'on' : 'off'}, latency: ${args.latencyMs} ms, ` +
    `rate limit: ${args.rateLimitMax}/key, tie order: ${args.tieOrder}, era: ${args.era}`
)

const github =
  args.githubPort === undefined
    ? undefined
    : await startGitHubEmulator({
        port: args.githubPort,
        owner: 'acme',
        repo: 'app',
        tokens: { 'gh-token': ALL_PERMISSIONS },
        issues: [{ number: 42 }],
        ...(args.quiet
          ? {}
          : {
              onAnswer: r =>
                console.log(`github ${r.method} ${r.path}${queryText(r.query)} -> ${r.status}`)
            })
      }).catch((e: unknown) => {
        console.error(
          `cannot start the GitHub emulator on port ${args.githubPort}: ` +
            `${e instanceof Error ? e.message : String(e)}`
        )
        process.exit(2)
      })
if (github) {
  console.log(
    `GitHub emulator listening on ${github.url}: repository acme/app, token gh-token, pull request #42`
  )
}

function queryText(query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString()
  return text === '' ? '' : `?${text}`
}

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping`)
  Promise.all([emulator.stop(), github?.stop()]).then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
