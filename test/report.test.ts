// The report: outputs, the JSON report and the job summary, from hand-built plans (the shapes of
// src/plan/types.ts), so that a rule of the report is tested apart from the planner.
import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import { emptyResult, type ApplyResult } from '../src/apply.js'
import type {
  BundleDecision,
  ChannelPlan,
  ChannelSnapshot,
  Plan,
  RolloutSnapshot
} from '../src/plan/index.js'
import {
  buildReport,
  dryRunBanner,
  githubLines,
  LIST_OUTPUT_BYTES,
  planLines,
  REPORT_OUTPUT_BYTES,
  resultErrors,
  SUMMARY_LIMIT_BYTES,
  shareBar,
  type ReportInput
} from '../src/report/index.js'

const APP = 'com.example.app'

/** The outputs of docs/contract.md's table, in its order. */
const OUTPUT_NAMES = [
  'channel',
  'version',
  'previous_version',
  'channel_created',
  'channel_changed',
  'rollout_version',
  'rollout_percentage',
  'rollout_paused',
  'linked_devices',
  'unlinked_devices',
  'deleted_channel',
  'deleted_bundles',
  'deleted_count',
  'kept_count',
  'protected_bundles',
  'failed_bundles',
  'deployment_id',
  'compatibility',
  'dry_run',
  'error',
  'report',
  'report_file'
]

function snapshot(version: string | null, more: Partial<ChannelSnapshot> = {}): ChannelSnapshot {
  return {
    version,
    versionId: version === null ? null : 1,
    public: false,
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    allowDeviceSelfSet: false,
    allowEmulator: true,
    allowDev: true,
    rollout: null,
    autoPause: null,
    ...more
  }
}

function rollout(version: string, percentage: number, more: Partial<RolloutSnapshot> = {}) {
  return {
    version,
    versionId: 9,
    percentage,
    enabled: true,
    paused: false,
    pauseReason: null,
    ...more
  } satisfies RolloutSnapshot
}

function channelPlan(more: Partial<ChannelPlan> = {}): ChannelPlan {
  const before = snapshot('1.0.0')
  const after = snapshot('1.1.0')
  return {
    name: 'production',
    exists: true,
    id: 7,
    before,
    after,
    write: {
      kind: 'set_bundle',
      body: { app_id: APP, channel_id: 7, version_id: 2 } as never
    },
    changes: ['version'],
    platforms: {},
    rollout: null,
    compatibility: null,
    endsRollout: null,
    metadata: null,
    target: { id: 2, version: '1.1.0' },
    ...more
  }
}

function plan(more: Partial<Plan> = {}): Plan {
  return {
    appId: APP,
    dryRun: false,
    deleteChannel: null,
    channel: null,
    links: [],
    unlinks: [],
    bundlesRead: false,
    bundles: [],
    deletions: [],
    protectedVersions: [],
    keptCount: undefined,
    wouldDelete: [],
    errors: [],
    warnings: [],
    ...more
  }
}

function decision(
  version: string,
  fate: BundleDecision['fate'],
  reason: string = fate,
  createdAt = '2026-01-02T03:04:05Z'
): BundleDecision {
  return {
    id: 1,
    version,
    createdAt,
    fate,
    reason,
    ...(fate === 'delete' ? { source: 'cleanup' as const } : {})
  }
}

/** A cleanup plan: the decisions, newest first, and their deletions. */
function cleanupPlan(decisions: BundleDecision[], more: Partial<Plan> = {}): Plan {
  const deleting = decisions.filter(d => d.fate === 'delete')
  return plan({
    bundlesRead: true,
    bundles: decisions,
    deletions: deleting.length ? [{ phase: 'bundles', decisions: deleting }] : [],
    protectedVersions: decisions.filter(d => d.fate === 'protected').map(d => d.version),
    keptCount: decisions.length - deleting.length,
    wouldDelete: deleting.map(d => d.version),
    ...more
  })
}

function result(more: Partial<ApplyResult> = {}): ApplyResult {
  return { ...emptyResult(), ...more }
}

function input(more: Partial<ReportInput>): ReportInput {
  return { appId: APP, dryRun: false, errors: [], warnings: [], context: {}, ...more }
}

const html = (markdown: string): string => marked.parse(markdown, { async: false })

/** The versions named in the summary's `<details>` block whose title starts with `title`. */
function foldedNames(summary: string, title: string): string[] {
  const start = summary.indexOf(`<details><summary>${title}`)
  if (start < 0) throw new Error(`no <details> "${title}" in\n${summary}`)
  const block = summary.slice(start, summary.indexOf('</details>', start))
  return block
    .split('\n')
    .filter(line => line.startsWith('`'))
    .flatMap(line => [...line.matchAll(/`([^`]+)`/g)].map(m => m[1]!))
}

describe('every run reports (docs/contract.md "Every run reports")', () => {
  it('bad input: every output is set, the summary says the inputs failed and nothing changed', () => {
    const { outputs, summary, fullReport } = buildReport({
      appId: '',
      dryRun: false,
      errors: ['app_id: "" is not a reverse-domain id'],
      warnings: [],
      context: {},
      failedPhase: 'input'
    })
    expect(Object.keys(outputs).sort()).toEqual([...OUTPUT_NAMES].sort())
    expect(outputs.error).toBe('app_id: "" is not a reverse-domain id')
    expect(outputs.dry_run).toBe('false')
    expect(outputs.deleted_bundles).toBe('[]')
    expect(outputs.rollout_percentage).toBe('')
    expect(outputs.kept_count).toBe('')
    expect(JSON.parse(outputs.report!)).toMatchObject({ failed_phase: 'input', plan: null })
    expect(JSON.parse(fullReport)).toMatchObject({ errors: [outputs.error] })
    const blocks = summary.split('\n\n')
    expect(blocks[0]).toMatch(/^## Capgo release: failed$/)
    expect(blocks[1]).toMatch(
      /^> \[!CAUTION\]\n> The step failed while reading the inputs\. Nothing was changed\./
    )
    expect(summary).toContain('is not a reverse-domain id')
  })

  it('a rejected key while reading: the phase, "nothing was changed", and the dry run kept', () => {
    const { outputs, summary } = buildReport(
      input({ dryRun: true, errors: ['the API key was rejected'], failedPhase: 'read' })
    )
    expect(outputs.dry_run).toBe('true')
    expect(outputs.error).toBe('the API key was rejected')
    expect(summary).toContain(
      'The step failed while reading from Capgo (or the release history from GitHub). Nothing was changed (dry run).'
    )
  })

  it('a failure after writes says what was changed before it', () => {
    const p = cleanupPlan([decision('1.0.1', 'delete'), decision('1.0.2', 'delete')], {
      channel: channelPlan(),
      links: [
        { deviceId: 'dev-a', action: 'link', before: null },
        { deviceId: 'dev-b', action: 'link', before: null }
      ]
    })
    const r = result({
      channelWritten: true,
      linked: ['dev-a', 'dev-b'],
      deleted: ['1.0.1'],
      failedBundles: [{ version: '1.0.2', error: 'HTTP 500' }]
    })
    const { summary, outputs } = buildReport(
      input({ plan: p, result: r, errors: ['1 bundle deletion failed'], failedPhase: 'apply' })
    )
    expect(summary).toContain(
      '> The step failed while applying the plan, after these changes: channel `production` written; 2 devices linked; 1 bundle deleted.'
    )
    expect(summary).not.toContain('Nothing was changed')
    expect(outputs.deleted_count).toBe('1')
    expect(JSON.parse(outputs.failed_bundles!)).toEqual([{ version: '1.0.2', error: 'HTTP 500' }])
  })

  it('a successful run has no CAUTION block; a dry run says nothing was changed', () => {
    const p = plan({ channel: channelPlan() })
    expect(
      buildReport(input({ plan: p, result: result({ channelWritten: true }) })).summary
    ).not.toContain('CAUTION')
    const dry = buildReport(input({ plan: { ...p, dryRun: true }, dryRun: true })).summary
    expect(dry).toContain('> Dry run: nothing was changed.')
    expect(dry).toContain('Channel `production`: would change')
  })
})

describe('channel outputs', () => {
  it('channel_changed is true when the changes were written, or planned in a dry run', () => {
    const p = plan({ channel: channelPlan() })
    const applied = buildReport(input({ plan: p, result: result({ channelWritten: true }) }))
    expect(applied.outputs).toMatchObject({
      channel: 'production',
      version: '1.1.0',
      previous_version: '1.0.0',
      channel_changed: 'true',
      channel_created: 'false'
    })
    const dry = buildReport(input({ plan: { ...p, dryRun: true }, dryRun: true }))
    expect(dry.outputs.channel_changed).toBe('true')
    expect(dry.outputs.version).toBe('1.1.0')
  })

  it('a write that failed, or a plan that failed, changes nothing: the bundle stays', () => {
    const p = plan({ channel: channelPlan() })
    const failed = buildReport(
      input({
        plan: p,
        result: result({ fatal: 'HTTP 500' }),
        errors: ['HTTP 500'],
        failedPhase: 'apply'
      })
    )
    expect(failed.outputs).toMatchObject({ channel_changed: 'false', version: '1.0.0' })
    const impossible = buildReport(
      input({
        plan: { ...p, errors: ['version 9.9.9 not found'] },
        errors: ['version 9.9.9 not found'],
        failedPhase: 'plan'
      })
    )
    expect(impossible.outputs).toMatchObject({ channel_changed: 'false', version: '1.0.0' })
  })

  it('platforms alone do not make channel_changed true, and show as "set to" (Capgo does not report them)', () => {
    const before = snapshot('1.0.0')
    const p = plan({
      channel: channelPlan({
        before,
        after: before,
        changes: [],
        platforms: { ios: true, android: false },
        write: { kind: 'upsert', body: { app_id: APP, channel: 'production' } as never }
      })
    })
    const { outputs, summary } = buildReport(
      input({ plan: p, result: result({ channelWritten: true }) })
    )
    expect(outputs.channel_changed).toBe('false')
    expect(summary).toContain('| ios | not reported | set to true (Capgo does not report it) |')
    expect(summary).toContain(
      '| android | not reported | set to false (Capgo does not report it) |'
    )
  })

  it('the channel table: changed settings only, "verified", the rollback target, promoted from', () => {
    const p = plan({
      channel: channelPlan({
        after: snapshot('1.1.0', { public: true }),
        changes: ['version', 'public'],
        versionSource: { kind: 'promote_from', channel: 'beta' }
      })
    })
    const { summary } = buildReport(
      input({ plan: p, result: result({ channelWritten: true, channelVerified: true }) })
    )
    expect(summary).toContain('### Channel `production`: changed, verified')
    expect(summary).toContain('| bundle | `1.0.0` | **`1.1.0`** |')
    expect(summary).toContain('| public | false | **true** |')
    expect(summary).not.toContain('| allow_dev |')
    expect(summary).toContain('Promoted from channel `beta`.')
    expect(summary).toContain('Rollback target: `1.0.0`.')
  })

  it('a created channel', () => {
    const p = plan({
      channel: channelPlan({ exists: false, id: null, before: null, changes: ['created'] })
    })
    const { outputs, summary } = buildReport(
      input({ plan: p, result: result({ channelWritten: true }) })
    )
    expect(outputs).toMatchObject({
      channel_created: 'true',
      previous_version: '',
      version: '1.1.0'
    })
    expect(summary).toContain('### Channel `production`: created')
    expect(summary).toContain('| bundle | — | **`1.1.0`** |')
  })
})

describe('rollout', () => {
  const stepping = (): Plan =>
    plan({
      channel: channelPlan({
        before: snapshot('1.0.0', { rollout: rollout('1.1.0', 5) }),
        after: snapshot('1.0.0', {
          rollout: rollout('1.1.0', 12.5, { paused: true, pauseReason: 'crash rate 4 %' })
        }),
        changes: ['rollout'],
        write: { kind: 'upsert', body: { app_id: APP, channel: 'production' } as never },
        rollout: { action: 'step', nextStep: 50, replaced: null },
        target: { id: 9, version: '1.1.0' }
      })
    })

  it('outputs the rollout after the run: "12.5", paused', () => {
    const { outputs } = buildReport(
      input({ plan: stepping(), result: result({ channelWritten: true }) })
    )
    expect(outputs).toMatchObject({
      rollout_version: '1.1.0',
      rollout_percentage: '12.5',
      rollout_paused: 'true',
      channel_changed: 'true'
    })
  })

  it('outputs the rollout before the run when the write did not happen', () => {
    const { outputs } = buildReport(
      input({
        plan: stepping(),
        result: result({ fatal: 'x' }),
        errors: ['x'],
        failedPhase: 'apply'
      })
    )
    expect(outputs).toMatchObject({ rollout_percentage: '5', rollout_paused: 'false' })
  })

  it('no rollout: the rollout outputs are empty', () => {
    const { outputs } = buildReport(
      input({ plan: plan({ channel: channelPlan() }), result: result({ channelWritten: true }) })
    )
    expect(outputs).toMatchObject({
      rollout_version: '',
      rollout_percentage: '',
      rollout_paused: 'false'
    })
  })

  it('the summary shows before and after, the share as a bar, the next step, the pause reason', () => {
    const { summary } = buildReport(
      input({ plan: stepping(), result: result({ channelWritten: true }) })
    )
    expect(summary).toContain('### Rollout: move to the next step')
    expect(summary).toContain('| share | 5 % | **12.5 %** |')
    expect(summary).toContain('| state | running | **paused: crash rate 4 %** |')
    expect(summary).toContain('▰▱▱▱▱▱▱▱▱▱ 12.5 %')
    expect(summary).toContain('Next step: the next run moves it to 50 %.')
    expect(summary).toContain(
      '| rollout | `1.1.0` to 5 % | **`1.1.0` to 12.5 %, paused: crash rate 4 %** |'
    )
  })

  it('warns when another rollout is replaced', () => {
    const p = stepping()
    p.channel!.rollout = { action: 'start', nextStep: 'promote', replaced: '1.0.9' }
    const { summary } = buildReport(input({ plan: p, result: result({ channelWritten: true }) }))
    expect(summary).toContain('> [!WARNING]\n> The rollout of `1.0.9` ended')
    expect(summary).toContain('Next step: the next run promotes it to every device.')
  })

  it('the report carries the rollout before/after, action, next step, channel_verified and deployment_id', () => {
    const { outputs } = buildReport(
      input({
        plan: stepping(),
        result: result({ channelWritten: true, channelVerified: true }),
        deploymentId: 42
      })
    )
    const report = JSON.parse(outputs.report!)
    expect(report.rollout).toEqual({
      action: 'step',
      before: expect.objectContaining({ version: '1.1.0', percentage: 5 }),
      after: expect.objectContaining({
        percentage: 12.5,
        paused: true,
        pause_reason: 'crash rate 4 %'
      }),
      next_step: 50,
      replaced: null
    })
    expect(report.channel_verified).toBe(true)
    expect(report.deployment_id).toBe(42)
    expect(outputs.deployment_id).toBe('42')
  })

  it('shareBar draws one mark per tenth', () => {
    expect(shareBar(25)).toBe('▰▰▰▱▱▱▱▱▱▱ 25 %')
    expect(shareBar(0)).toBe('▱▱▱▱▱▱▱▱▱▱ 0 %')
    expect(shareBar(100)).toBe('▰▰▰▰▰▰▰▰▰▰ 100 %')
  })
})

describe('bundles', () => {
  it('a dry run that fails on max_delete still reports what it would delete; the real run reports 0', () => {
    const doomed = Array.from({ length: 5 }, (_, i) => decision(`1.0.${i}`, 'delete'))
    const p = cleanupPlan(doomed, {
      dryRun: true,
      errors: ['5 deletions, more than max_delete (3)']
    })
    p.deletions = []
    const dry = buildReport(input({ plan: p, dryRun: true, errors: p.errors, failedPhase: 'plan' }))
    expect(JSON.parse(dry.outputs.deleted_bundles!)).toEqual(doomed.map(d => d.version))
    expect(dry.outputs.deleted_count).toBe('5')
    const real = buildReport(
      input({ plan: { ...p, dryRun: false }, errors: p.errors, failedPhase: 'plan' })
    )
    expect(real.outputs.deleted_bundles).toBe('[]')
    expect(real.outputs.deleted_count).toBe('0')
  })

  it('bundles found already gone are not counted as deleted', () => {
    const p = cleanupPlan([
      decision('1.0.1', 'delete'),
      decision('1.0.2', 'delete'),
      decision('1.0.3', 'keep')
    ])
    const { outputs } = buildReport(
      input({ plan: p, result: result({ deleted: ['1.0.1'], alreadyGone: ['1.0.2'] }) })
    )
    expect(JSON.parse(outputs.deleted_bundles!)).toEqual(['1.0.1'])
    expect(outputs.deleted_count).toBe('1')
    expect(outputs.kept_count).toBe('1')
  })

  it('the summary shows every protected bundle with its reason, then failures, then every deletion folded', () => {
    const decisions = [
      ...Array.from({ length: 120 }, (_, i) => decision(`2.0.${i}`, 'delete', 'older than 30d')),
      ...Array.from({ length: 80 }, (_, i) =>
        decision(`3.0.${i}`, 'protected', `release ${i} of channel production`)
      ),
      ...Array.from({ length: 3 }, (_, i) => decision(`4.0.${i}`, 'keep', 'newest 20'))
    ]
    const p = cleanupPlan(decisions)
    const r = result({
      deleted: decisions
        .filter(d => d.fate === 'delete' && d.version !== '2.0.7')
        .map(d => d.version),
      failedBundles: [{ version: '2.0.7', error: 'HTTP 400' }]
    })
    const { summary } = buildReport(
      input({ plan: p, result: r, errors: ['x'], failedPhase: 'apply' })
    )
    const rows = summary.split('\n').filter(l => /^\| `/.test(l))
    expect(rows.filter(l => l.includes('🛡️ protected'))).toHaveLength(80)
    expect(summary).toContain(
      '| `3.0.79` | 2026-01-02 | 🛡️ protected | release 79 of channel production |'
    )
    expect(rows.filter(l => l.includes('❌ failed'))).toHaveLength(1)
    // Protected first, then the failure; the 119 deletions, past 50, are folded, every one named.
    expect(rows.findIndex(l => l.includes('❌'))).toBe(80)
    expect(rows.filter(l => l.includes('🗑️ deleted'))).toHaveLength(0)
    expect(summary).toContain('<details><summary>🗑️ Deleted 119 bundles</summary>')
    const folded = foldedNames(summary, '🗑️ Deleted')
    expect(folded).toEqual(r.deleted)
    expect(summary).toContain('older than 30d (119):')
    expect(summary).not.toContain('see the report file')
    expect(summary).toContain('3 bundles kept (not listed).')
    expect(summary).toContain('Deleted **119**, failed **1**, protected **80**, kept **3** of 203')
  })

  it('more than 500 protected bundles: 500 rows, the others named in <details>', () => {
    const p = cleanupPlan(
      Array.from({ length: 600 }, (_, i) => decision(`1.${i}`, 'protected', 'in use'))
    )
    const { summary } = buildReport(input({ plan: p, result: result() }))
    expect(summary.split('\n').filter(l => l.includes('🛡️ protected'))).toHaveLength(500)
    expect(summary).toContain('<details><summary>🛡️ 100 more protected bundles</summary>')
    expect(foldedNames(summary, '🛡️ 100 more')).toEqual(
      Array.from({ length: 100 }, (_, i) => `1.${500 + i}`)
    )
  })

  it('100,000 deletions: no output passes its cap, lists stay valid JSON, and the cut is said', () => {
    const decisions = Array.from({ length: 100_000 }, (_, i) =>
      decision(`1.0.${i}-build.${'x'.repeat(20)}`, 'delete', 'older than 30 days')
    )
    decisions.push(
      ...Array.from({ length: 3000 }, (_, i) =>
        decision(`9.${i}`, 'protected', 'in use by channel production')
      )
    )
    const p = cleanupPlan(decisions)
    const r = result({ deleted: decisions.filter(d => d.fate === 'delete').map(d => d.version) })
    const { outputs, summary, fullReport } = buildReport(
      input({ plan: p, result: r, reportFile: '/tmp/r.json' })
    )
    for (const [name, value] of Object.entries(outputs)) {
      expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(REPORT_OUTPUT_BYTES)
    }
    for (const name of [
      'deleted_bundles',
      'protected_bundles',
      'failed_bundles',
      'linked_devices',
      'unlinked_devices'
    ]) {
      expect(Buffer.byteLength(outputs[name]!), name).toBeLessThanOrEqual(LIST_OUTPUT_BYTES)
      expect(Array.isArray(JSON.parse(outputs[name]!)), name).toBe(true)
    }
    const deleted = JSON.parse(outputs.deleted_bundles!) as string[]
    expect(deleted.length).toBeGreaterThan(100)
    expect(deleted).toEqual(r.deleted.slice(0, deleted.length))
    expect(outputs.deleted_count).toBe('100000')
    const total = Object.values(outputs).reduce((n, v) => n + Buffer.byteLength(v), 0)
    expect(total).toBeLessThan(1024 * 1024)

    const report = JSON.parse(outputs.report!)
    expect(report.truncated).toBe(true)
    expect(report.truncated_lists.deleted_bundles).toEqual({
      shown: expect.any(Number),
      total: 100_000
    })
    expect(report.truncated_lists['plan.bundles'].total).toBe(103_000)
    expect(report.truncated_outputs.deleted_bundles).toEqual({
      shown: deleted.length,
      total: 100_000
    })
    expect(report.deleted_count).toBe(100_000)

    const full = JSON.parse(fullReport)
    expect(full.deleted_bundles).toHaveLength(100_000)
    expect(full.plan.bundles).toHaveLength(103_000)
    expect(full.truncated).toBe(false)

    expect(summary).toContain(`\`deleted_bundles\` lists ${deleted.length} of 100000`)
    expect(summary).toContain('`/tmp/r.json`')
    expect(summary.split('\n').filter(l => l.includes('🛡️ protected'))).toHaveLength(500)
    // The summary: within GitHub's 1 MiB, as many deletions named as fit, the rest counted.
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES)
    const named = foldedNames(summary, '🗑️ Deleted 100000 bundles')
    expect(named.length).toBeGreaterThan(10_000)
    expect(named).toEqual(r.deleted.slice(0, named.length))
    expect(summary).toContain(
      `…and **${100_000 - named.length}** more not named here: GitHub shows at most 1 MiB of job ` +
        `summary per step. The step's log names every planned deletion (group "Plan").`
    )
    expect(summary).not.toContain('see the report file')
  })

  it('a report that fits is not cut', () => {
    const p = cleanupPlan([decision('1.0.1', 'delete')])
    const { outputs, fullReport } = buildReport(
      input({ plan: p, result: result({ deleted: ['1.0.1'] }) })
    )
    expect(outputs.report).toBe(fullReport)
    expect(JSON.parse(outputs.report!).truncated).toBe(false)
  })
})

describe('hostile server values in the job summary', () => {
  const NAMES = [
    'x\n::error title=Capgo::Release blocked',
    '\r# Heading <img src=x onerror=alert(1)>',
    'a|b',
    'a`b``c',
    '[link](https://evil.example)',
    '<script>alert(1)</script>',
    '![x](https://evil.example/x.png)'
  ]
  const DATES = ['\n# HACKED', '<img src=x>', '2026-01-02T03:04:05Z', '[a](https://evil.example)']

  it('makes no tag, heading or link from data, and keeps the table shape', () => {
    const decisions = NAMES.flatMap((name, i) => [
      decision(`${name}-p`, 'protected', name, DATES[i % DATES.length]),
      decision(`${name}-d`, 'delete', name, DATES[(i + 1) % DATES.length]),
      decision(`${name}-f`, 'delete', name, DATES[(i + 2) % DATES.length])
    ])
    const p = cleanupPlan(decisions, {
      channel: channelPlan({
        name: NAMES[1]!,
        before: snapshot(NAMES[0]!, {
          rollout: rollout(NAMES[5]!, 10, { paused: true, pauseReason: NAMES[4]! })
        }),
        after: snapshot(NAMES[2]!),
        versionSource: { kind: 'promote_from', channel: NAMES[6]! },
        rollout: { action: 'abort', nextStep: null, replaced: NAMES[3]! }
      }),
      deleteChannel: { name: NAMES[4]!, exists: true },
      links: [{ deviceId: NAMES[5]!, action: 'link', before: null }]
    })
    const r = result({
      channelWritten: true,
      deletedChannel: NAMES[4]!,
      linked: [NAMES[5]!],
      deleted: decisions.filter(d => d.version.endsWith('-d')).map(d => d.version),
      failedBundles: decisions
        .filter(d => d.version.endsWith('-f'))
        .map(d => ({ version: d.version, error: NAMES[0]! }))
    })
    const { summary } = buildReport(
      input({
        appId: NAMES[5]!,
        plan: p,
        result: r,
        errors: NAMES,
        warnings: NAMES,
        failedPhase: 'apply'
      })
    )
    const page = html(summary)
    expect(page).not.toMatch(/<(img|script|a[\s>]|h1|h4|h5|h6)/)
    // The title, and the sections: channel, rollout, devices, bundles, warnings.
    expect(page.match(/<h2>/g)).toHaveLength(1)
    expect(page.match(/<h3>/g)).toHaveLength(5)
    expect(page).not.toContain('HACKED</h')
    const tables = [...page.matchAll(/<table>([\s\S]*?)<\/table>/g)].map(m => m[1]!)
    const bundleTable = tables.find(t => t.includes('<th>fate</th>'))!
    const bodyRows = [...bundleTable.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1)
    expect(bodyRows).toHaveLength(decisions.length)
    for (const row of bodyRows) expect(row[1]!.match(/<td>/g)).toHaveLength(4)
    const deviceTable = tables.find(t => t.includes('<th>device</th>'))!
    expect([...deviceTable.matchAll(/<tr>/g)]).toHaveLength(2)
    // Each error is one list item of the CAUTION block.
    expect(summary.split('\n').filter(l => l.startsWith('> - '))).toHaveLength(NAMES.length)
  })

  it('created_at shows a date when it parses, else the escaped text', () => {
    const p = cleanupPlan([
      decision('1.0.1', 'protected', 'in use', '\n# HACKED'),
      decision('1.0.2', 'protected', 'in use', '2026-03-04T00:00:00Z')
    ])
    const { summary } = buildReport(input({ plan: p, result: result() }))
    expect(summary).toContain('| `1.0.1` | \\\\n# HACKED | 🛡️ protected |')
    expect(summary).toContain('| `1.0.2` | 2026-03-04 | 🛡️ protected |')
    expect(html(summary)).not.toMatch(/<h1/)
  })
})

describe('plan log lines', () => {
  it('say "Deleting 1 bundle" and "Deleting 3 bundles", without "(bundles)"', () => {
    const one = planLines(cleanupPlan([decision('1.0.1', 'delete')]))
    expect(one).toContain('Deleting 1 bundle by the cleanup rules.')
    const three = planLines(
      cleanupPlan([
        decision('1.0.1', 'delete'),
        decision('1.0.2', 'delete'),
        decision('1.0.3', 'delete')
      ])
    )
    expect(three).toContain('Deleting 3 bundles by the cleanup rules.')
    expect([...one, ...three].join('\n')).not.toContain('(bundles)')
  })

  it('a plan with errors says why it cannot be carried out and that nothing was changed', () => {
    const p = plan({
      channel: channelPlan({ write: null, changes: [] }),
      errors: ['version "9.9.9" was not found']
    })
    const lines = planLines(p)
    expect(lines.join('\n')).not.toContain('already as asked')
    expect(lines).toEqual([
      'The plan cannot be carried out: version "9.9.9" was not found',
      'Nothing was changed.'
    ])
  })

  it('a channel already as asked says so', () => {
    expect(planLines(plan({ channel: channelPlan({ write: null, changes: [] }) }))).toContain(
      'Channel "production" is already as asked.'
    )
  })

  it('a dry run says "would"; its banner says nothing will be changed', () => {
    const lines = planLines({ ...cleanupPlan([decision('1.0.1', 'delete')]), dryRun: true })
    expect(lines).toContain('Would delete 1 bundle by the cleanup rules.')
    expect(dryRunBanner()).toBe('dry run: nothing will be changed')
  })

  it('names from the server cannot start a workflow command', () => {
    const hostile = 'x\n::error title=Capgo::Release blocked'
    const p = cleanupPlan([decision(hostile, 'delete')], {
      channel: channelPlan({
        name: hostile,
        after: snapshot(hostile),
        rollout: { action: 'start', nextStep: 5, replaced: hostile }
      }),
      deleteChannel: { name: '::warning::gone', exists: true },
      links: [{ deviceId: '::dev', action: 'link', before: null }]
    })
    const lines = planLines(p)
    expect(lines.join('\n')).toContain('x\\n::error')
    for (const line of lines.flatMap(l => l.split(/\r?\n/))) {
      expect(line.trimStart().startsWith('::'), line).toBe(false)
    }
    expect(lines.join('')).not.toMatch(/[\r\n]/)
  })

  it('resultErrors make names safe and list at most 20 failed deletions', () => {
    const failed = Array.from({ length: 25 }, (_, i) => ({
      version: `::error::v${i}\n`,
      error: 'HTTP 500\n::x'
    }))
    const [message] = resultErrors(result({ failedBundles: failed }))
    expect(message).toMatch(/^25 bundle deletions failed: "\\::error::v0\\n" \(HTTP 500\\n::x\)/)
    expect(message).toContain('; and 5 more (the job summary lists them).')
    expect(message).not.toMatch(/[\r\n]/)
  })
})

describe('honest summaries (docs/contract.md "One run", step 7: only what happened)', () => {
  const promote = (more: Partial<ChannelPlan> = {}): Plan =>
    plan({
      channel: channelPlan({ versionSource: { kind: 'promote_from', channel: 'beta' }, ...more })
    })

  it('"Promoted from" only once the channel was written; "would be" in a dry run; nothing when the write failed', () => {
    const done = buildReport(
      input({ plan: promote(), result: result({ channelWritten: true, channelVerified: true }) })
    ).summary
    expect(done).toContain('Promoted from channel `beta`.')

    const refused = buildReport(
      input({
        plan: promote(),
        result: result({ fatal: 'PUT /bundle: refused (HTTP 400)' }),
        errors: ['PUT /bundle: refused (HTTP 400)'],
        failedPhase: 'apply'
      })
    ).summary
    expect(refused).not.toMatch(/promoted from/i)
    expect(refused).toContain('Nothing was changed')

    const dry = buildReport(input({ plan: { ...promote(), dryRun: true }, dryRun: true })).summary
    expect(dry).toContain('Would be promoted from channel `beta`.')
    expect(dry).not.toContain('\nPromoted from')

    const planFailed = buildReport(
      input({
        plan: { ...promote(), errors: ['version "9.9.9" was not found'] },
        errors: ['version "9.9.9" was not found'],
        failedPhase: 'plan'
      })
    ).summary
    expect(planFailed).not.toMatch(/promoted from/i)
  })

  it('a rollback says "Rolled back" only when written', () => {
    const p = plan({
      channel: channelPlan({ versionSource: { kind: 'rollback', deploymentId: 12 } })
    })
    expect(
      buildReport(input({ plan: p, result: result({ channelWritten: true }) })).summary
    ).toContain('Rolled back to the release of GitHub deployment 12.')
    const failed = buildReport(
      input({ plan: p, result: result({ fatal: 'x' }), errors: ['x'], failedPhase: 'apply' })
    ).summary
    expect(failed).not.toMatch(/rolled back/i)
  })

  it.for([
    [{ link: 'https://example.com/c/1' }, 'Link'],
    [{ comment: 'Release 1.1.0' }, 'Comment'],
    [{ link: 'https://example.com/c/1', comment: 'Release 1.1.0' }, 'Link and comment']
  ] as const)('bundle metadata %o is said as "%s"', ([fields, said]) => {
    const p = plan({
      channel: channelPlan({ metadata: { app_id: APP, version_id: 2, ...fields } })
    })
    const applied = buildReport(
      input({ plan: p, result: result({ channelWritten: true, metadataWritten: true }) })
    )
    expect(applied.summary).toContain(`${said} of bundle \`1.1.0\`: set.`)
    if (said !== 'Link and comment') expect(applied.summary).not.toMatch(/link and comment/i)
    const lines = planLines(p).join('\n')
    expect(lines).toContain(`Setting the ${said.toLowerCase()} of bundle "1.1.0".`)
    // A failure after the metadata was written names what was set.
    const failed = buildReport(
      input({
        plan: p,
        result: result({ channelWritten: true, metadataWritten: true, fatal: 'x' }),
        errors: ['x'],
        failedPhase: 'apply'
      })
    ).summary
    expect(failed).toContain(`bundle ${said.toLowerCase()} set`)
  })

  it('the rollout heading is not "already as asked" when the plan failed or nothing was applied', () => {
    const asked = channelPlan({
      write: null,
      changes: [],
      after: snapshot('1.0.0'),
      rollout: { action: 'none', nextStep: null, replaced: null }
    })
    const ok = buildReport(input({ plan: plan({ channel: asked }), result: result() })).summary
    expect(ok).toContain('### Rollout: already as asked')

    const failedPlan = buildReport(
      input({
        plan: plan({ channel: asked, errors: ['Bundle "1.0.25" is protected'] }),
        errors: ['Bundle "1.0.25" is protected'],
        failedPhase: 'plan'
      })
    ).summary
    expect(failedPlan).not.toMatch(/already as asked/)
    expect(failedPlan).toContain('### Rollout: not changed (the plan failed)')

    // A step that was planned but not written: the heading says it was not done.
    const stepping = channelPlan({
      before: snapshot('1.0.0', { rollout: rollout('1.1.0', 5) }),
      after: snapshot('1.0.0', { rollout: rollout('1.1.0', 25) }),
      changes: ['rollout'],
      write: { kind: 'upsert', body: { app_id: APP, channel: 'production' } as never },
      rollout: { action: 'step', nextStep: 50, replaced: '1.0.9' }
    })
    const refused = buildReport(
      input({
        plan: plan({ channel: stepping }),
        result: result({ fatal: 'POST /channel: refused' }),
        errors: ['POST /channel: refused'],
        failedPhase: 'apply'
      })
    ).summary
    expect(refused).toContain(
      '### Rollout: move to the next step: not done (the channel was not written)'
    )
    expect(refused).not.toContain('Next step:')
    expect(refused).not.toContain('ended')
    // A rollout input already as asked, in a run that failed before applying: "not changed".
    const unapplied = buildReport(
      input({
        plan: plan({ channel: { ...asked, write: stepping.write } }),
        errors: ['x'],
        failedPhase: 'apply'
      })
    ).summary
    expect(unapplied).toContain('### Rollout: not changed')
    expect(unapplied).not.toMatch(/already as asked/)
  })

  it('an explicit deletion reads "listed in delete_versions", whatever reason the plan gave', () => {
    const explicit: BundleDecision = {
      ...decision('1.0.3', 'delete', 'outside the 0 newest'),
      source: 'delete_versions'
    }
    const { summary } = buildReport(
      input({ plan: cleanupPlan([explicit]), result: result({ deleted: ['1.0.3'] }) })
    )
    expect(summary).toContain('| `1.0.3` | 2026-01-02 | 🗑️ deleted | listed in delete_versions |')
    expect(summary).not.toContain('outside the 0 newest')
  })

  it('warnings keep their code spans (no backslash-backticks), and server text still makes no markup', () => {
    const warning =
      'GitHub: could not record the deployment: HTTP 403. The token lacks a permission: add `permissions: deployments: write` to the job.'
    const hostile = 'x `<img src=x onerror=alert(1)>` [a](https://evil.example) ` <b>y</b>'
    const { summary } = buildReport(input({ plan: plan(), warnings: [warning, hostile] }))
    expect(summary).toContain('add `permissions: deployments: write` to the job.')
    const line = summary.split('\n').find(l => l.includes('deployments: write'))!
    expect(line).not.toContain('\\`')
    const page = html(summary)
    expect(page).toContain('<code>permissions: deployments: write</code>')
    expect(page).toContain('<code>&lt;img src=x onerror=alert(1)&gt;</code>')
    expect(page).not.toMatch(/<(img|a|b)[\s>]/)
  })

  it('channels with no recorded release are named once, in a WARNING near the top, with what to turn on', () => {
    const perChannel = (name: string): string =>
      `cleanup_keep_releases: channel "${name}" has no release recorded on GitHub (its releases ` +
      'were not recorded with github_deployment, or under another environment): nothing of it ' +
      'is protected by the history.'
    const { summary, annotations } = buildReport(
      input({
        plan: cleanupPlan([decision('1.0.1', 'delete')]),
        result: result({ deleted: ['1.0.1'] }),
        warnings: [perChannel('beta'), 'another warning', perChannel('pr-42')]
      })
    )
    const block = summary.split('\n\n').find(b => b.startsWith('> [!WARNING]'))!
    expect(block).toContain('channels `beta`, `pr-42`')
    expect(block).toContain('`github_deployment: true`')
    expect(block).toContain('`deployments: write`')
    expect(summary.indexOf('> [!WARNING]')).toBeLessThan(summary.indexOf('### Bundles'))
    expect(summary.match(/no release recorded/gi)).toHaveLength(1)
    expect(summary).toContain('- another warning')
    expect(annotations).toHaveLength(2)
    expect(annotations[0]).toMatch(
      /^cleanup_keep_releases: no release is recorded on GitHub for channels "beta", "pr-42"/
    )
    expect(annotations[1]).toBe('another warning')
  })

  it('every deleted, failed and not attempted version is named, also past 50; the log lists them too', () => {
    const decisions = Array.from({ length: 120 }, (_, i) =>
      decision(`2.0.${i}`, 'delete', 'outside the 20 newest')
    )
    const p = cleanupPlan(decisions)
    const r = result({
      deleted: decisions.slice(0, 100).map(d => d.version),
      failedBundles: [{ version: '2.0.100', error: 'HTTP 500' }],
      notAttempted: decisions.slice(101).map(d => d.version),
      fatal: 'the API key was rejected'
    })
    const { summary, log } = buildReport(
      input({ plan: p, result: r, errors: ['x'], failedPhase: 'apply' })
    )
    expect(foldedNames(summary, '🗑️ Deleted 100 bundles')).toEqual(r.deleted)
    expect(foldedNames(summary, '19 deletions were not attempted')).toEqual(r.notAttempted)
    expect(summary).toMatch(
      /\| `2\.0\.100` \| [^|]+ \| ❌ failed \| outside the 20 newest; HTTP 500 \|/
    )
    expect(log).toContain('Deleted 100 bundles:')
    for (const v of [...r.deleted, ...r.notAttempted]) expect(log).toContain(`  - "${v}"`)
    expect(log).toContain('  - "2.0.100": HTTP 500')
    const planned = planLines(p)
    for (const d of decisions)
      expect(planned).toContain(`  - "${d.version}": outside the 20 newest`)
  })
})

describe('folded lists and the log around them', () => {
  it('hostile names in a folded list stay code: no tag, link or heading from data', () => {
    const hostile = [
      'x\n::error title=Capgo::Release blocked',
      '\r# Heading <img src=x onerror=alert(1)>',
      'a|b',
      'a`b``c',
      '[link](https://evil.example)',
      '<script>alert(1)</script>',
      '</details><img src=x>'
    ]
    const decisions = Array.from({ length: 60 }, (_, i) =>
      decision(`${hostile[i % hostile.length]!}-${i}`, 'delete', hostile[i % 3]!)
    )
    const p = cleanupPlan(decisions)
    const r = result({ deleted: decisions.map(d => d.version) })
    const { summary } = buildReport(input({ plan: p, result: r }))
    const page = html(summary)
    expect(page).not.toMatch(/<(img|script|a[\s>]|h1|h4)/)
    expect(page.match(/<details>/g)).toHaveLength(1)
    expect(page.match(/<\/details>/g)).toHaveLength(1)
    // Every name is one code span (hidden characters shown as \n, \r).
    const codes = [...page.matchAll(/<code>([\s\S]*?)<\/code>/g)].length
    expect(codes).toBeGreaterThanOrEqual(60)
  })

  it('a failed plan logs what it would have deleted, every version, then "Nothing was changed."', () => {
    const p = cleanupPlan(
      Array.from({ length: 3 }, (_, i) => decision(`1.0.${i}`, 'delete')),
      { errors: ['3 deletions, more than max_delete (2)'] }
    )
    expect(planLines(p)).toEqual([
      'The plan cannot be carried out: 3 deletions, more than max_delete (2)',
      'It planned to delete 3 bundles:',
      '  - "1.0.0"',
      '  - "1.0.1"',
      '  - "1.0.2"',
      'Nothing was changed.'
    ])
  })

  it('the "Tell GitHub" group says what was recorded, skipped or refused', () => {
    expect(
      githubLines(
        { deploymentId: 42, commentId: 7, warnings: [], notices: [] },
        { deployment: true, prComment: true }
      )
    ).toEqual(['Recorded GitHub deployment 42.', 'Wrote the pull request comment 7.'])
    expect(
      githubLines(
        {
          warnings: ['GitHub: could not record the deployment: x'],
          notices: ['pr_comment: skipped, this run is a "push" event, not a pull request.']
        },
        { deployment: true, prComment: true }
      )
    ).toEqual([
      'No GitHub deployment recorded (see the warnings).',
      'Warning: GitHub: could not record the deployment: x'
    ])
    expect(
      githubLines({ warnings: [], notices: [] }, { deployment: true, prComment: false })
    ).toEqual(["No GitHub deployment recorded: the channel's bundle and rollout did not change."])
  })
})
