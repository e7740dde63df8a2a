// Every workflow a user may copy (examples/*.yml, the YAML blocks of the README and the guides)
// and every workflow of this repository (.github/workflows/*.yml) calls the action with inputs that
// action.yml declares, and gives every required one. The examples keep one secret per key role,
// give each step only the key it needs, pin the tools they run, and say how they coexist and how
// they are re-run. The repository's own workflows pin third-party actions by SHA and keep their
// permissions small. (actionlint, run by `npm run actionlint`, checks the rest.)

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ACTION_YML, ROOT, parseActionYaml, readDocuments } from '../scripts/docs.js'

const spec = parseActionYaml(readFileSync(ACTION_YML, 'utf8'))
const INPUTS = new Set(Object.keys(spec.inputs))
const REQUIRED = Object.entries(spec.inputs)
  .filter(([, input]) => input.required === true)
  .map(([name]) => name)

/** `capgo/capgo-release@<ref>` as users write it, or `./` as this repository's CI does. */
const THIS_ACTION = /^(?:capgo\/capgo-release@\S+|\.\/?)$/

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter(file => /\.ya?ml$/.test(file))
    .sort()
    .map(file => path.join(dir, file))
}

const EXAMPLES = yamlFiles('examples')
const WORKFLOWS = yamlFiles('.github/workflows')

function load(file: string): unknown {
  return parse(readFileSync(path.join(ROOT, file), 'utf8'))
}

interface StepRef {
  where: string
  uses: string
  with: Record<string, unknown>
}

/** Every mapping with a `uses:` key, anywhere in a document (steps of jobs, or a bare step list). */
function usesIn(doc: unknown, where: string): StepRef[] {
  const found: StepRef[] = []
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${at}[${i}]`))
    } else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>
      if (typeof record.uses === 'string') {
        const withBlock = record.with
        found.push({
          where: `${at}${typeof record.name === 'string' ? ` (${record.name})` : ''}`,
          uses: record.uses,
          with:
            withBlock !== null && typeof withBlock === 'object'
              ? (withBlock as Record<string, unknown>)
              : {}
        })
      }
      for (const [key, value] of Object.entries(record)) walk(value, `${at}.${key}`)
    }
  }
  walk(doc, where)
  return found
}

function problemsOf(step: StepRef): string[] {
  const problems: string[] = []
  for (const key of Object.keys(step.with)) {
    if (!INPUTS.has(key)) problems.push(`${step.where}: "${key}" is not an input of action.yml`)
  }
  for (const name of REQUIRED) {
    const value = step.with[name]
    if (value === undefined || value === null || String(value).trim() === '') {
      problems.push(`${step.where}: the required input "${name}" is missing`)
    }
  }
  return problems
}

/** The ```yaml blocks of the README and of the guides under docs/, parsed. */
function documentYamlBlocks(): { where: string; doc: unknown }[] {
  const guides = Object.fromEntries(
    readdirSync(path.join(ROOT, 'docs'))
      .filter(file => file.endsWith('.md'))
      .map(file => [`docs/${file}`, readFileSync(path.join(ROOT, 'docs', file), 'utf8')])
  )
  return Object.entries({ ...guides, ...readDocuments() }).flatMap(([file, text]) =>
    [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((match, i) => ({
      where: `${file} yaml block ${i + 1}`,
      doc: parse(match[1] ?? '')
    }))
  )
}

describe('calls of this action', () => {
  it('finds the example workflows and the project workflows', () => {
    expect(EXAMPLES.map(f => path.basename(f))).toEqual(
      expect.arrayContaining([
        'promote-on-tag.yml',
        'scheduled-cleanup.yml',
        'pr-preview.yml',
        'many-apps.yml',
        'staged-rollout.yml',
        'rollback.yml'
      ])
    )
    expect(WORKFLOWS.map(f => path.basename(f))).toEqual(
      expect.arrayContaining(['ci.yml', 'check-dist.yml', 'codeql.yml'])
    )
  })

  for (const file of [...EXAMPLES, ...WORKFLOWS]) {
    it(`${file}: every with: key is an input and every required input is given`, () => {
      const calls = usesIn(load(file), file).filter(step => THIS_ACTION.test(step.uses))
      if (file.startsWith('examples'))
        expect(calls.length, 'calls of the action').toBeGreaterThan(0)
      expect(calls.flatMap(problemsOf)).toEqual([])
    })
  }

  it('README.md and docs/: every YAML block that calls the action uses known inputs', () => {
    const calls = documentYamlBlocks().flatMap(block =>
      usesIn(block.doc, block.where).filter(step => THIS_ACTION.test(step.uses))
    )
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.flatMap(problemsOf)).toEqual([])
  })

  for (const file of EXAMPLES) {
    it(`${file}: the comment at the top names the key role and the GitHub permissions`, () => {
      const text = readFileSync(path.join(ROOT, file), 'utf8')
      const head = (/^(?:#.*\n)+/.exec(text)?.[0] ?? '').replace(/\n#\s?/g, ' ')
      expect(head, 'a "Capgo key role: app_..." line').toMatch(
        /Capgo key role: `?app_(reader|uploader|developer|admin|preview)\b/
      )
      expect(head, 'a "GitHub permissions: ..." line').toMatch(/GitHub permissions: /)
      const doc = load(file) as { permissions?: unknown }
      const granted = Object.entries(
        typeof doc.permissions === 'object' && doc.permissions !== null ? doc.permissions : {}
      ).filter(([, level]) => level === 'write' || level === 'read')
      for (const [scope, level] of granted) {
        if (scope === 'contents') continue
        expect(head, `the comment names ${scope}: ${level}`).toContain(`${scope}: ${level}`)
      }
    })
  }

  it('examples call the published action by its major tag', () => {
    for (const file of EXAMPLES) {
      for (const step of usesIn(load(file), file).filter(s => THIS_ACTION.test(s.uses))) {
        expect(step.uses, step.where).toBe('capgo/capgo-release@v1')
      }
    }
  })

  it('the checker itself catches an unknown key and a missing required input', () => {
    const steps = usesIn(
      parse(`
jobs:
  a:
    steps:
      - uses: capgo/capgo-release@v1
        with:
          app_id: com.example.app
          chanel: production
`),
      'test'
    )
    expect(steps.flatMap(problemsOf)).toEqual([
      'test.jobs.a.steps[0]: "chanel" is not an input of action.yml',
      'test.jobs.a.steps[0]: the required input "api_key" is missing'
    ])
  })
})

/** The secret each role's key is kept in, in every example (docs/roles.md). */
const SECRET_OF_ROLE = {
  app_uploader: 'CAPGO_UPLOADER_KEY',
  app_developer: 'CAPGO_DEVELOPER_KEY',
  app_admin: 'CAPGO_ADMIN_KEY'
} as const

/** Inputs whose change needs an app_admin key (docs/roles.md). */
const ADMIN_INPUTS = [
  /^rollout_/,
  /^auto_pause/,
  /^delete_/,
  /^cleanup_keep$/,
  /^cleanup_older_than$/,
  /^public$/,
  /^disable_auto_update/,
  /^allow_/,
  /^(ios|android|electron)$/
]

interface Job {
  if?: string
  steps?: { if?: string; run?: string; env?: Record<string, string>; uses?: string }[]
}

function jobsOf(file: string): Record<string, Job> {
  return (load(file) as { jobs: Record<string, Job> }).jobs
}

/** The comment lines at the top of an example, as one line. */
function headOf(file: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8')
  return (/^(?:#.*\n)+/.exec(text)?.[0] ?? '').replace(/\n#\s?/g, ' ')
}

describe('the examples a user copies (examples/)', () => {
  for (const file of EXAMPLES) {
    it(`${file}: one secret per role, each step given the key its inputs need`, () => {
      const text = readFileSync(path.join(ROOT, file), 'utf8')
      expect(text, 'no CAPGO_API_KEY: the secret names the role').not.toContain('CAPGO_API_KEY')
      const secrets = Object.values(SECRET_OF_ROLE) as string[]
      for (const step of usesIn(load(file), file).filter(s => THIS_ACTION.test(s.uses))) {
        const secret = /secrets\.(\w+)/.exec(String(step.with.api_key))?.[1] ?? ''
        expect(secrets, `${step.where}: api_key from a role's secret`).toContain(secret)
        const admin = Object.keys(step.with).filter(key => ADMIN_INPUTS.some(re => re.test(key)))
        if (admin.length > 0) {
          expect(secret, `${step.where}: ${admin.join(', ')} need app_admin`).toBe(
            SECRET_OF_ROLE.app_admin
          )
        }
      }
      // The comment at the top names each secret the file uses, with its role.
      const head = headOf(file)
      for (const [role, secret] of Object.entries(SECRET_OF_ROLE)) {
        if (text.includes(`secrets.${secret}`)) {
          expect(head, `the comment names ${secret}`).toContain(secret)
          expect(head, `the comment names ${role}`).toContain(role)
        }
      }
    })

    it(`${file}: says that its jobs can be re-run without changing anything`, () => {
      expect(headOf(file)).toMatch(/Re-running (the|a|any) jobs? is safe/)
    })

    it(`${file}: manual choices have a default among their options`, () => {
      const on = (load(file) as { on: Record<string, unknown> }).on
      const dispatch = on.workflow_dispatch as
        | { inputs?: Record<string, { type?: string; options?: string[]; default?: unknown }> }
        | null
        | undefined
      for (const [name, input] of Object.entries(dispatch?.inputs ?? {})) {
        if (input.type !== 'choice') continue
        expect(input.options, name).toContain(input.default)
      }
    })

    it(`${file}: bundle_link is an https URL`, () => {
      for (const step of usesIn(load(file), file).filter(s => THIS_ACTION.test(s.uses))) {
        const link = step.with.bundle_link
        if (link === undefined) continue
        expect(String(link), step.where).toMatch(
          /^(https:\/\/|\$\{\{\s*github\.event\.pull_request\.html_url\s*\}\}$)/
        )
      }
    })

    it(`${file}: a tool run with a key is pinned, and never given the admin key`, () => {
      for (const [name, job] of Object.entries(jobsOf(file))) {
        for (const step of job.steps ?? []) {
          if (step.run === undefined) continue
          for (const match of step.run.matchAll(/@capgo\/cli@(\S+)/g)) {
            expect(match[1], `${name}: the Capgo CLI at an exact version`).toMatch(
              /^\d+\.\d+\.\d+$/
            )
          }
          const env = JSON.stringify(step.env ?? {})
          if (/capgo\/cli/.test(step.run)) {
            expect(env, `${name}: the CLI upload needs only an uploader key`).not.toContain(
              SECRET_OF_ROLE.app_admin
            )
          }
        }
      }
    })
  }

  it('pr-preview.yml skips Dependabot, which gets no secrets, in every job', () => {
    for (const [name, job] of Object.entries(jobsOf('examples/pr-preview.yml'))) {
      expect(job.if, name).toContain("github.actor != 'dependabot[bot]'")
    }
  })

  it('promote-on-tag.yml and staged-rollout.yml each say to pick one of the two', () => {
    expect(headOf('examples/promote-on-tag.yml')).toMatch(
      /examples\/staged-rollout\.yml[^.]*not both/
    )
    expect(headOf('examples/staged-rollout.yml')).toMatch(
      /examples\/promote-on-tag\.yml[^.]*not both/
    )
  })

  it('staged-rollout.yml turns on auto-pause with its first step, and says how to get past a pause', () => {
    const start = usesIn(jobsOf('examples/staged-rollout.yml').start, 'start').filter(s =>
      THIS_ACTION.test(s.uses)
    )
    expect(start).toHaveLength(1)
    expect(start[0]?.with).toMatchObject({
      rollout_steps: expect.any(String),
      auto_pause_failure_rate: 5,
      auto_pause_window: '6h',
      auto_pause_min_attempts: 100,
      auto_pause_action: 'pause'
    })
    const head = headOf('examples/staged-rollout.yml')
    for (const word of ['rollout_pause: false', 'rollout_abort: true', 'Disable workflow'])
      expect(head).toContain(word)
  })
})

describe('the project workflows (.github/workflows)', () => {
  const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/

  for (const file of WORKFLOWS) {
    it(`${file}: third-party actions are pinned to a commit SHA with the version in a comment`, () => {
      const steps = usesIn(load(file), file).filter(
        step => !step.uses.startsWith('./') && !step.uses.startsWith('docker://')
      )
      for (const step of steps) expect(step.uses, step.where).toMatch(PINNED)
      const text = readFileSync(path.join(ROOT, file), 'utf8')
      for (const line of text.split('\n').filter(l => /uses:\s*[\w.-]+\/\S+@/.test(l))) {
        expect(line, 'a "# vX.Y.Z" comment after the SHA').toMatch(/@[0-9a-f]{40} # v\d+/)
      }
    })

    it(`${file}: least privilege: read-only permissions at the top`, () => {
      const doc = load(file) as { permissions?: unknown; jobs: Record<string, unknown> }
      expect(doc.permissions, 'a top-level permissions block').toBeDefined()
      const top = doc.permissions
      if (typeof top === 'string') expect(top).toBe('read-all')
      else
        for (const [scope, level] of Object.entries(top ?? {}))
          expect(level, scope).not.toBe('write')
    })
  }

  it('only CodeQL may write, and only security events', () => {
    for (const file of WORKFLOWS) {
      const doc = load(file) as { jobs: Record<string, { permissions?: Record<string, string> }> }
      for (const [job, spec] of Object.entries(doc.jobs)) {
        for (const [scope, level] of Object.entries(spec.permissions ?? {})) {
          if (level === 'write')
            expect(`${file}:${job}:${scope}`).toMatch(/codeql\.yml.*:security-events$/)
        }
      }
    }
  })

  it('ci.yml lints, type-checks, tests and runs the action with uses: ./ against the emulator', () => {
    const text = readFileSync(path.join(ROOT, '.github/workflows/ci.yml'), 'utf8')
    for (const command of ['npm run lint', 'npm run typecheck', 'npm test', 'npm run emulator']) {
      expect(text).toContain(command)
    }
    const local = usesIn(load('.github/workflows/ci.yml'), 'ci').filter(s => s.uses === './')
    expect(local.length).toBeGreaterThan(0)
  })

  it('check-dist.yml rebuilds and fails on git status --porcelain dist/', () => {
    const text = readFileSync(path.join(ROOT, '.github/workflows/check-dist.yml'), 'utf8')
    expect(text).toContain('npm run build')
    expect(text).toContain('git status --porcelain dist/')
  })

  it('dependabot.yml updates npm and actions, and holds TypeScript below 7', () => {
    const doc = parse(readFileSync(path.join(ROOT, '.github/dependabot.yml'), 'utf8')) as {
      updates: {
        'package-ecosystem': string
        ignore?: { 'dependency-name': string; versions?: string[] }[]
      }[]
    }
    const ecosystems = doc.updates.map(u => u['package-ecosystem'])
    expect(ecosystems).toEqual(expect.arrayContaining(['npm', 'github-actions']))
    const npm = doc.updates.find(u => u['package-ecosystem'] === 'npm')
    expect(npm?.ignore).toEqual(
      expect.arrayContaining([{ 'dependency-name': 'typescript', versions: ['>=7'] }])
    )
  })
})
