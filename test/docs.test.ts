// The guides under docs/ hold what the README only links to: each fact once, in the guide a reader
// would open for it. These checks keep each guide saying what it is for, and every link between
// the README and the guides pointing at a file and a heading that exist.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { README, ROOT, tableCells } from '../scripts/docs.js'

const GUIDES = [
  'rollouts',
  'previews',
  'cleanup',
  'rollback',
  'roles',
  'how-it-works',
  'troubleshooting',
  'benchmark',
  'local',
  'contributing'
] as const

function guide(name: (typeof GUIDES)[number]): string {
  return readFileSync(path.join(ROOT, 'docs', `${name}.md`), 'utf8')
}

/** The section of `text` under a heading of that level, up to the next heading of that level. */
function section(text: string, title: string, level = '##'): string {
  const start = text.indexOf(`\n${level} ${title}\n`)
  if (start < 0) return ''
  const end = text.indexOf(`\n${level} `, start + 1)
  return text.slice(start, end < 0 ? undefined : end)
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

function anchorsOf(text: string): Set<string> {
  const withoutCode = text.replace(/```[\s\S]*?```/g, '')
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map(m => slug(m[1] ?? '')))
}

const DOCUMENTS = [
  README,
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter(file => file.endsWith('.md'))
    .map(file => path.join(ROOT, 'docs', file))
]

describe('the guides under docs/', () => {
  it('exist, each with a title', () => {
    for (const name of GUIDES) expect(guide(name), name).toMatch(/^# \S/)
  })

  it('roles.md holds the role table: the least role of each kind of change', () => {
    const roles = guide('roles')
    for (const role of ['app_reader', 'app_uploader', 'app_developer', 'app_admin'])
      expect(roles).toContain(role)
    const rows = tableCells(roles).slice(1)
    const roleOf = (feature: RegExp): string | undefined =>
      rows.find(cells => feature.test(cells[0] ?? ''))?.at(-1)
    expect(roleOf(/^A dry run/)).toBe('`app_reader`')
    expect(roleOf(/existing channel, or promote/)).toBe('`app_uploader`')
    expect(roleOf(/^Create a channel/)).toBe('`app_developer`')
    expect(roleOf(/rollout/)).toBe('`app_admin`')
    expect(roleOf(/auto-pause/)).toBe('`app_admin`')
    expect(roleOf(/public/)).toBe('`app_admin`')
    expect(roles).toContain('app_preview')
    expect(roles).toContain('PUT /bundle')
    for (const secret of ['CAPGO_UPLOADER_KEY', 'CAPGO_ADMIN_KEY']) expect(roles).toContain(secret)
  })

  it('no other user guide, nor the README, repeats the role table', () => {
    const others = [
      README,
      ...GUIDES.filter(n => n !== 'roles').map(n => path.join(ROOT, 'docs', `${n}.md`))
    ]
    for (const file of others) {
      const text = readFileSync(file, 'utf8')
      expect(text, path.relative(ROOT, file)).not.toMatch(/\|\s*least role\s*\|/)
    }
  })

  it('rollouts.md: start, advance on a schedule, promote, pause, abort, auto-pause', () => {
    const rollouts = section(guide('rollouts'), 'Staged rollouts')
    for (const word of [
      'rollout_steps',
      'schedule',
      'promotes',
      'pause reason',
      'rollout_abort',
      'rollout_pause: false',
      'Disable',
      'rollback',
      'auto_pause_failure_rate',
      'auto_pause_window',
      'auto_pause_min_attempts',
      'auto_pause_action',
      'last triggered',
      'ends a running rollout'
    ])
      expect(rollouts).toContain(word)
    expect(rollouts).toContain('<!-- example:staged-rollout.yml:start -->')
  })

  it('rollouts.md: create_channel and the compatibility gate, each with an example', () => {
    const text = guide('rollouts')
    const created = section(text, 'A channel that does not exist yet', '###')
    expect(created).toContain('prodution')
    expect(created).toContain('did you mean')
    expect(created).toMatch(/create_channel: (true|false)/)
    const gate = section(text, 'The native compatibility gate', '###')
    for (const word of ['`fail`', '`warn`', '`off`', 'compatibility: warn', '`unknown`'])
      expect(gate).toContain(word)
  })

  it('rollouts.md and the README say to pick the promotion or the staged rollout', () => {
    expect(section(guide('rollouts'), 'Promote on tag push')).toMatch(/not both/)
    expect(readFileSync(README, 'utf8')).toMatch(/not both/)
  })

  it('previews.md: the keys per step, Dependabot, what each device runs, links that stay', () => {
    const previews = guide('previews')
    for (const word of [
      'CAPGO_UPLOADER_KEY',
      'CAPGO_ADMIN_KEY',
      "github.actor != 'dependabot[bot]'",
      'runs 1.4.0-pr.42.7',
      'still on',
      'not seen by Capgo yet',
      'no longer expire',
      '--version-exists-ok'
    ])
      expect(previews).toContain(word)
    expect(previews).toContain('<!-- example:pr-preview.yml:start -->')
  })

  it('previews.md names the same pinned CLI version as the example', () => {
    const example = readFileSync(path.join(ROOT, 'examples', 'pr-preview.yml'), 'utf8')
    const pinned = /@capgo\/cli@(\d+\.\d+\.\d+)\b/.exec(example)?.[1]
    expect(pinned).toBeDefined()
    expect(guide('previews')).toContain(`@capgo/cli@${pinned}`)
  })

  it('cleanup.md: the deletion rules, and exactly when a rollback target is kept', () => {
    const cleanup = guide('cleanup')
    for (const word of ['max_delete', 'cleanup_protect', 'previous_version', 'dry run'])
      expect(cleanup).toContain(word)
    const kept = section(cleanup, 'When rollback targets are kept')
    expect(kept).toContain('cleanup_keep_releases')
    expect(kept).toMatch(/may\s+delete it/)
  })

  it('how-it-works.md: the safety rules of a run', () => {
    const safety = section(guide('how-it-works'), 'Safety')
    for (const word of ['dry_run', 'max_delete', 'reads it back', '429', 'Re-runs are safe'])
      expect(safety).toContain(word)
  })

  it('troubleshooting.md explains every error code', () => {
    const table = guide('troubleshooting')
    const codes = [
      'invalid_apikey',
      'no_key_provided',
      'invalid_app_id',
      'cannot_access_app',
      'cannot_find_version',
      'cannot_get_bundle',
      'cannot_delete_version',
      'cannot_delete_linked_version',
      'cannot_delete_bundle',
      'channel_not_found',
      'public_channel_override',
      'invalid_version_id',
      'channel_zip_required',
      'invalid_update_package',
      'too_many_requests',
      'unknown_error',
      'redirect_refused',
      'invalid_response',
      'refused_by_client'
    ]
    for (const code of codes) expect(table).toContain(`\`${code}\``)
  })

  it('benchmark.md keeps its markers and the command to run', () => {
    const bench = guide('benchmark')
    expect(bench).toMatch(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/)
    expect(bench).toContain('npm run bench')
  })

  it('local.md and contributing.md: the local run, the release script, the Node the tests use', () => {
    expect(guide('local')).toContain('npm run local')
    expect(guide('local')).toContain('.env.example')
    const contributing = guide('contributing')
    expect(section(contributing, 'Releasing')).toContain('scripts/release.sh')
    expect(contributing).toContain('node_modules/.bin/node')
    expect(contributing).toContain('Node 24')
  })
})

describe('links between the README and the guides', () => {
  for (const file of DOCUMENTS) {
    const name = path.relative(ROOT, file)
    it(`${name}: every relative link points at a file, and at a heading that exists`, () => {
      const text = readFileSync(file, 'utf8')
      const links = [...text.matchAll(/\]\((?!https?:|mailto:)([^)\s]+)\)/g)].map(m => m[1] ?? '')
      for (const link of links) {
        const [target = '', anchor] = link.split('#')
        const resolved = target === '' ? file : path.resolve(path.dirname(file), target)
        expect(existsSync(resolved), `${name}: ${link}`).toBe(true)
        if (anchor !== undefined && resolved.endsWith('.md')) {
          expect(anchorsOf(readFileSync(resolved, 'utf8')), `${name}: ${link}`).toContain(anchor)
        }
      }
    })
  }

  it('the README links to every guide', () => {
    const readme = readFileSync(README, 'utf8')
    for (const name of GUIDES) expect(readme).toContain(`(docs/${name}.md`)
  })
})
