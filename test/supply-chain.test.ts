// Supply chain: the action ships with the fewest production dependencies it needs, all pinned by the
// lockfile with an integrity hash and without install scripts, and `npm audit --omit=dev` reports
// no high or critical issue in them.

import { execFile } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

interface PackageJson {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

interface LockEntry {
  version?: string
  dev?: boolean
  optional?: boolean
  integrity?: string
  hasInstallScript?: boolean
  dependencies?: Record<string, string>
}

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>
}

/** What the action needs: the toolkit's core (inputs, outputs, masking, summary) and its HTTP client. */
const DIRECT = ['@actions/core', '@actions/github', '@actions/http-client']
/** Their own dependencies, as the lockfile resolves them today. */
const TREE = [
  '@actions/core',
  '@actions/exec',
  '@actions/github',
  '@actions/http-client',
  '@actions/io',
  '@octokit/auth-token',
  '@octokit/core',
  '@octokit/endpoint',
  '@octokit/graphql',
  '@octokit/openapi-types',
  '@octokit/plugin-paginate-rest',
  '@octokit/plugin-rest-endpoint-methods',
  '@octokit/request',
  '@octokit/request-error',
  '@octokit/types',
  'before-after-hook',
  'content-type',
  'json-with-bigint',
  'tunnel',
  'undici',
  'universal-user-agent'
]

/** Production packages of the lockfile, by name. */
function productionPackages(): Map<string, LockEntry> {
  const out = new Map<string, LockEntry>()
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (where === '' || entry.dev) continue
    out.set(where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length), entry)
  }
  return out
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : []
  )
}

describe('production dependencies', () => {
  it('package.json depends on exactly @actions/core and @actions/http-client', ({ expect }) => {
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(DIRECT)
  })

  it('src/ imports only those two packages and Node built-ins (node:*), and uses both', ({
    expect
  }) => {
    const imported = new Set<string>()
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8')
      const statements = /^\s*(?:import|export)\b[^'";=]*?\bfrom\s*['"]([^'"]+)['"]/gm
      const sideEffect = /^\s*import\s*['"]([^'"]+)['"]/gm
      const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g
      for (const match of [
        ...text.matchAll(statements),
        ...text.matchAll(sideEffect),
        ...text.matchAll(dynamic)
      ]) {
        const spec = match[1]!
        if (spec.startsWith('.') || spec.startsWith('node:')) continue
        imported.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
        )
      }
    }
    expect([...imported].sort()).toEqual(DIRECT)
  })

  it("the lockfile's production tree is exactly the closure of the two, each with an integrity hash and no install script", ({
    expect
  }) => {
    const prod = productionPackages()
    expect([...prod.keys()].sort()).toEqual(TREE)
    // The closure from package.json through the lockfile's own dependency lists.
    const reached = new Set<string>()
    const visit = (name: string): void => {
      if (reached.has(name)) return
      reached.add(name)
      for (const dep of Object.keys(prod.get(name)?.dependencies ?? {})) visit(dep)
    }
    DIRECT.forEach(visit)
    expect([...reached].sort()).toEqual(TREE)
    for (const [name, entry] of prod) {
      expect(entry.integrity, name).toMatch(/^sha512-/)
      expect(entry.hasInstallScript ?? false, name).toBe(false)
    }
  })

  it('dist/licenses.txt (what ncc bundled) names only packages of the production tree', ({
    expect
  }) => {
    const text = readFileSync(path.join(ROOT, 'dist', 'licenses.txt'), 'utf8')
    // ncc writes each package as "<name>\n<license id>\n<license text>", packages separated by a blank line.
    const bundled = text
      .split(/\n\n(?=[@a-z0-9][^\s]*\n[A-Za-z0-9.-]+\n)/)
      .map(block => block.split('\n')[0]!.trim())
      .filter(name => name !== '')
    expect(bundled.length).toBeGreaterThan(0)
    for (const name of bundled) expect(TREE, `bundled ${name}`).toContain(name)
  })
})

describe('npm audit', () => {
  it('npm audit --omit=dev reports no high or critical vulnerability (skipped when the audit service cannot be reached)', async ({
    expect,
    skip
  }) => {
    const { stdout, stderr, error } = await new Promise<{
      stdout: string
      stderr: string
      error: (Error & { code?: unknown; killed?: boolean }) | null
    }>(resolve =>
      execFile(
        'npm',
        ['audit', '--omit=dev', '--audit-level=high', '--json'],
        { cwd: ROOT, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
        (err, out, errOut) => resolve({ stdout: out, stderr: errOut, error: err })
      )
    )
    if (error?.killed) {
      skip('npm audit did not answer within 30 s: the registry is unreachable')
      return
    }
    interface AuditReport {
      metadata?: { vulnerabilities?: Record<string, number> }
      vulnerabilities?: Record<string, { severity: string; via: unknown[] }>
      error?: { summary?: string }
      message?: string
    }
    let parsed: AuditReport
    try {
      parsed = JSON.parse(stdout) as AuditReport
    } catch {
      skip(
        `npm audit gave no report (the registry is unreachable?): ${stderr.split('\n')[0] ?? ''}`
      )
      return
    }
    const counts = parsed.metadata?.vulnerabilities
    if (counts === undefined) {
      // npm prints an error object when it cannot reach the audit endpoint (offline, a proxy or a
      // mirror without /-/npm/v1/security/advisories/bulk): no verdict either way.
      skip(
        `npm audit could not run: ${parsed.message ?? parsed.error?.summary ?? stderr.split('\n')[0] ?? 'no report'}`
      )
      return
    }
    const serious = Object.entries(parsed.vulnerabilities ?? {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`)
    expect(serious).toEqual([])
    expect((counts.high ?? 0) + (counts.critical ?? 0)).toBe(0)
  }, 40_000)
})
