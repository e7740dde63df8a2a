// npm run bench: a measurement, not a test. It asserts nothing and exits 0 whatever it finds.
//
// 1. The built action (dist/index.js, run by a real Node 24 as the runner does) against the Capgo
//    emulator with 20 ms per request and 2,000 bundles, `cleanup_keep: 50`, at concurrency 1, 4
//    and 8: requests by route, wall time, and the ratio to the round-trip bound
//    (list pages + ceil(deletions / concurrency)) x 20 ms.
// 2. The planner alone (makePlan) on 100,000 bundles: time and memory, in a child process started
//    with --expose-gc so that heap figures are taken after a collection.
//
// 3. Listing at the floor: a dry-run cleanup of 10,000 (paging defect on and off) and 100,000
//    bundles through dist/: GET /bundle requests, bytes read against the rows' own bytes, wall
//    time, the action's peak memory.
// 4. A cleanup of 2,500 bundles against Capgo's rate limit (scaled window): wall time against the
//    bound the limit sets, and the 429s.
// 5. The cold start of dist/ (Octokit included).
// 6. The native compatibility gate (`compatibility: off` against `fail`): requests, bundle bytes
//    read and wall time of a promote_from (1,000 and 10,000 bundles), a version release and a
//    promote_from with cleanup, through dist/; makePlan's time with and without the gate on
//    10,000 bundles of 20 plugins each. `npm run bench -- --compat` runs this section alone.
//
// Targets: ratio <= 1.3 at the default concurrency (4); requests = list pages + deletions + a
// small constant; the planner under one second for 100,000 bundles; 10,000 bundles listed in at
// most 15 requests and 1.5 times the rows' bytes; a 100,000-bundle dry run under 10 s and 500 MB;
// a cold start within 200 ms.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { NODE24, runAction } from '../test/helpers/action-runner.js'
import { startEmulator, type LoggedRequest, type SeedBundle } from '../test/emulator/index.js'
import type { Bundle, Channel } from '../src/capgo/types.js'
import { checkCompatibility } from '../src/plan/compatibility.js'
import { makePlan, type Inventory } from '../src/plan/index.js'
import type { CleanupOrder, Settings } from '../src/settings/index.js'
import { countByRoute, markdownTable, ms, requireDist } from './lib/common.js'

const LATENCY_MS = 20
const BUNDLES = 2000
const KEEP = 50
const CONCURRENCIES = [1, 4, 8] as const
const DEFAULT_CONCURRENCY = 4
const RATIO_TARGET = 1.3
/** "A small constant": requests besides list pages and deletions (the channel list, ...). */
const EXTRA_TARGET = 5
const PLANNER_BUNDLES = 100_000
const PLANNER_CHANNELS = 20
const PLANNER_TARGET_MS = 1000
const APP_ID = 'com.bench.app'
const KEY = 'bench-key-not-a-secret'
const DAY = 86_400_000

// ---- 1. end to end -------------------------------------------------------------------------

interface EndToEnd {
  concurrency: number
  code: number | null
  wallMs: number
  routes: Map<string, number>
  total: number
  listPages: number
  deletions: number
  deletedOutput: string
  /** Answers other than 2xx, except the listing's final `cannot_get_bundle`. */
  unexpectedStatuses: number
  boundMs: number
  /** Phases from the request log: process start to first request, listing + plan, deleting, end. */
  phases: { startMs: number; readAndPlanMs: number; deleteMs: number; tailMs: number }
  /**
   * Time this process (the emulator, single-threaded) was busy during the run. Its handlers run
   * one at a time, so this time adds to the wall time rather than overlapping the latency.
   */
  emulatorBusyMs: number
  reportBytes: number
}

async function runEndToEnd(concurrency: number): Promise<EndToEnd> {
  const emulator = await startEmulator({
    keys: { [KEY]: 'admin' },
    latencyMs: LATENCY_MS,
    rateLimit: { max: 1e9 },
    pagingDefect: true,
    apps: [
      {
        app_id: APP_ID,
        bundles: BUNDLES,
        channels: [
          { name: 'production', version: `1.0.${BUNDLES - 10}`, public: true },
          { name: 'beta', version: `1.0.${BUNDLES - 1}` },
          { name: 'legacy', version: '1.0.10', rollout_version: '1.0.11' }
        ]
      }
    ]
  })
  try {
    const elu = performance.eventLoopUtilization()
    const startedAt = Date.now()
    const started = performance.now()
    const run = await runAction(
      {
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        cleanup_keep: String(KEEP),
        max_delete: '5000',
        concurrency: String(concurrency)
      },
      { timeoutMs: 300_000 }
    )
    const wallMs = performance.now() - started
    const endedAt = startedAt + wallMs
    const busy = performance.eventLoopUtilization(elu).active
    if (run.code !== 0) {
      console.log(`  concurrency ${concurrency}: the action exited with ${run.code}:`)
      for (const error of run.errors) console.log(`    ${error}`)
    }

    const requests = emulator.requests
    const routes = countByRoute(requests)
    const listPages = routes.get('GET /bundle') ?? 0
    const deletions = routes.get('DELETE /bundle') ?? 0
    const unexpectedStatuses = requests.filter(
      r => (r.status < 200 || r.status >= 300) && !(isListEnd(r) && r.status === 400)
    ).length
    const deletes = requests.filter(r => r.method === 'DELETE')
    const first = requests[0]?.at ?? startedAt
    const firstDelete = deletes[0]?.at ?? endedAt
    const lastDelete = deletes.at(-1)?.at ?? firstDelete
    return {
      concurrency,
      code: run.code,
      wallMs,
      routes,
      total: requests.length,
      listPages,
      deletions,
      deletedOutput: run.outputs.deleted_count ?? '',
      unexpectedStatuses,
      boundMs: (listPages + Math.ceil(deletions / concurrency)) * LATENCY_MS,
      phases: {
        startMs: first - startedAt,
        readAndPlanMs: firstDelete - first,
        deleteMs: deletes.length > 0 ? lastDelete + LATENCY_MS - firstDelete : 0,
        tailMs: deletes.length > 0 ? endedAt - (lastDelete + LATENCY_MS) : endedAt - first
      },
      emulatorBusyMs: busy,
      reportBytes: Buffer.byteLength(run.outputs.report ?? '')
    }
  } finally {
    await emulator.stop()
  }
}

function isListEnd(r: LoggedRequest): boolean {
  return r.method === 'GET' && r.path === '/bundle'
}

/** The fixed cost of a run: Node 24 starting dist/index.js, which then fails validation at once. */
async function measureProcessStart(times: number): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    const run = await runAction({ app_id: APP_ID, cleanup_keep: '1' })
    samples.push(performance.now() - started)
    if (run.code === 0)
      console.log('  note: the run without api_key did not fail; start cost is off')
  }
  return samples
}

// ---- 2. the planner alone --------------------------------------------------------------------

interface PlannerFigures {
  order: CleanupOrder
  bestMs: number
  timesMs: number[]
  /** CPU time (user + system, all threads) of the best run: less sensitive to a busy machine. */
  cpuMs: number
  deletions: number
  /** heapUsed growth right after makePlan, before any collection we asked for. */
  heapGrowthMb: number
  /** heapUsed with the plan alive after a full collection, minus the same before: what it keeps. */
  retainedMb: number | undefined
  rssGrowthMb: number
}

interface PlannerReport {
  node: string
  gc: boolean
  inventoryMb: number | undefined
  figures: PlannerFigures[]
}

function syntheticInventory(): { bundles: Bundle[]; channels: Channel[]; now: number } {
  const now = Date.UTC(2026, 0, 1)
  const bundles: Bundle[] = []
  for (let i = 0; i < PLANNER_BUNDLES; i++) {
    // Ascending ids, one a minute, the newest a minute ago; names 1.0.0 .. 10.99.99 ascending.
    const created = new Date(now - (PLANNER_BUNDLES - i) * 60_000).toISOString()
    bundles.push({
      id: i + 1,
      name: `${1 + Math.floor(i / 10_000)}.${Math.floor(i / 100) % 100}.${i % 100}`,
      app_id: APP_ID,
      created_at: created,
      updated_at: created,
      deleted: false
    })
  }
  // Newest first, as GET /bundle answers.
  bundles.reverse()
  const at = new Date(now).toISOString()
  const channels: Channel[] = Array.from({ length: PLANNER_CHANNELS }, (_, k) => {
    const linked = bundles[k * 997]!
    const rollout = k % 5 === 0 ? bundles[k * 1999 + 1]!.id : null
    return {
      id: k + 1,
      name: `channel-${k}`,
      created_at: at,
      updated_at: at,
      public: k === 0,
      version: { id: linked.id, name: linked.name },
      rollout_version: rollout,
      disableAutoUpdate: 'major',
      disableAutoUpdateUnderNative: true,
      allow_device_self_set: false,
      allow_emulator: true,
      allow_dev: true
    }
  })
  return { bundles, channels, now }
}

function plannerSettings(order: CleanupOrder): Settings {
  return {
    apiKey: KEY,
    appId: APP_ID,
    apiUrl: 'https://api.capgo.app',
    createChannel: 'auto',
    compatibility: 'fail',
    channelFields: {},
    platforms: {},
    rollback: false,
    github: { token: '', deployment: false, prComment: false },
    devices: [],
    unlinkDevices: [],
    deleteVersions: [],
    cleanup: { keep: KEEP, olderThanMs: 30 * DAY, olderThanText: '30d', order },
    cleanupPattern: [],
    cleanupProtect: [],
    maxDelete: PLANNER_BUNDLES,
    deleteAllBundles: false,
    dryRun: false,
    concurrency: DEFAULT_CONCURRENCY,
    retries: 3,
    timeoutMs: 30_000
  }
}

/**
 * Time and memory of makePlan for one setting. Its own function, so that no plan of an earlier
 * call is still on the stack when the heap is measured.
 */
function measureOrder(
  settings: Settings,
  inventory: Inventory,
  now: number,
  gc: (() => void) | undefined
): PlannerFigures {
  const mb = (bytes: number): number => bytes / 1024 / 1024
  makePlan(settings, inventory, now) // warm-up
  const timesMs: number[] = []
  const cpuTimesMs: number[] = []
  let deletions = 0
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const plan = makePlan(settings, inventory, now)
    timesMs.push(performance.now() - started)
    const used = process.cpuUsage(cpu)
    cpuTimesMs.push((used.user + used.system) / 1000)
    deletions = plan.deletions.reduce((n, p) => n + p.decisions.length, 0)
  }
  gc?.()
  const heap0 = process.memoryUsage().heapUsed
  const rss0 = process.memoryUsage().rss
  const plan = makePlan(settings, inventory, now)
  const heap1 = process.memoryUsage().heapUsed
  const rss1 = process.memoryUsage().rss
  gc?.()
  const heap2 = process.memoryUsage().heapUsed
  // Uses the plan after the last measurement, so that it is alive during it.
  if (plan.bundles.length !== inventory.bundles?.length) throw new Error('the plan lost bundles')
  return {
    order: settings.cleanup?.order ?? 'created',
    bestMs: Math.min(...timesMs),
    timesMs,
    cpuMs: cpuTimesMs[timesMs.indexOf(Math.min(...timesMs))] ?? NaN,
    deletions,
    heapGrowthMb: mb(heap1 - heap0),
    retainedMb: gc ? mb(heap2 - heap0) : undefined,
    rssGrowthMb: mb(rss1 - rss0)
  }
}

/** Runs in the child process (`--planner`); prints one JSON line. */
function plannerChild(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  const mb = (bytes: number): number => bytes / 1024 / 1024
  gc?.()
  const before = process.memoryUsage().heapUsed
  const { bundles, channels, now } = syntheticInventory()
  gc?.()
  const inventoryMb = gc ? mb(process.memoryUsage().heapUsed - before) : undefined
  const inventory: Inventory = { bundles, channels, deviceChannels: {} }

  const figures = (['created', 'semver'] as const).map(order =>
    measureOrder(plannerSettings(order), inventory, now, gc)
  )
  const report: PlannerReport = {
    node: process.version,
    gc: gc !== undefined,
    inventoryMb,
    figures
  }
  process.stdout.write(JSON.stringify(report) + '\n')
}

/**
 * The planner in a child process: the same tsx loader as this one, plus --expose-gc, on the
 * runner's Node 24 when it is installed. Falls back to this process (no gc) if that fails.
 */
async function measurePlanner(): Promise<PlannerReport> {
  const node = existsSync(NODE24) ? NODE24 : process.execPath
  const args = [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--planner']
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
      child.on('error', reject)
      child.on('close', code =>
        code === 0 ? resolve(out) : reject(new Error(`planner child exited with ${code}`))
      )
    })
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as PlannerReport
  } catch (error) {
    console.log(
      `  (the planner child failed: ${error instanceof Error ? error.message : error}; ` +
        'measuring here without --expose-gc: heap figures include garbage)'
    )
    let line = ''
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((text: string) => ((line += text), true)) as typeof write
    try {
      plannerChild()
    } finally {
      process.stdout.write = write
    }
    return JSON.parse(line) as PlannerReport
  }
}

// ---- 3. listing at the floor, and a dry-run cleanup of a big app -----------------------------

const PROBE = fileURLToPath(new URL('./lib/rss-probe.mjs', import.meta.url))
const LISTING_TARGET_REQUESTS = 15
const LISTING_TARGET_BYTES_RATIO = 1.5
const BIG_DRY_RUN_TARGET_MS = 10_000
const BIG_DRY_RUN_TARGET_MB = 500

interface Listing {
  bundles: number
  pagingDefect: boolean
  code: number | null
  requests: number
  /** Bytes of the GET /bundle answers. */
  bytesRead: number
  /** Bytes of the rows themselves, each once (as JSON). */
  rowBytes: number
  wallMs: number
  peakRssMb: number | undefined
  deletedCount: string
}

function peakRssMb(stderr: string): number | undefined {
  const match = /RSS_PEAK_KB=(\d+)/.exec(stderr)
  return match ? Number(match[1]) / 1024 : undefined
}

/** A dry-run cleanup of an app of `bundles` bundles: the listing is most of its work. */
async function runListing(bundles: number, pagingDefect: boolean): Promise<Listing> {
  const emulator = await startEmulator({
    keys: { [KEY]: 'admin' },
    latencyMs: LATENCY_MS,
    rateLimit: { max: 1e9 },
    pagingDefect,
    apps: [
      {
        app_id: APP_ID,
        bundles,
        bundleIntervalMs: 60_000,
        channels: [{ name: 'production', version: `1.0.${bundles - 1}`, public: true }]
      }
    ]
  })
  try {
    const rowBytes = emulator
      .bundles(APP_ID)
      .reduce((n, row) => n + Buffer.byteLength(JSON.stringify(row)) + 1, 1)
    const started = performance.now()
    const run = await runAction(
      {
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        cleanup_keep: String(KEEP),
        max_delete: String(bundles),
        dry_run: 'true'
      },
      { timeoutMs: 300_000, env: { NODE_OPTIONS: `--import=${PROBE}` } }
    )
    const wallMs = performance.now() - started
    const pages = emulator.requests.filter(r => r.method === 'GET' && r.path === '/bundle')
    return {
      bundles,
      pagingDefect,
      code: run.code,
      requests: pages.length,
      bytesRead: pages.reduce((n, r) => n + (r.responseBytes ?? 0), 0),
      rowBytes,
      wallMs,
      peakRssMb: peakRssMb(run.stderr),
      deletedCount: run.outputs.deleted_count ?? ''
    }
  } finally {
    await emulator.stop()
  }
}

// ---- 4. a cleanup against Capgo's real rate limit ---------------------------------------------

const LIMITED_BUNDLES = 2500
const LIMIT = { max: 500, windowMs: 2000 }

interface Limited {
  code: number | null
  wallMs: number
  boundMs: number
  requests: number
  refused: number
  deleted: number
  planned: string
  remaining: number
}

async function runRateLimited(): Promise<Limited> {
  const emulator = await startEmulator({
    keys: { [KEY]: 'admin' },
    latencyMs: LATENCY_MS,
    rateLimit: LIMIT,
    apps: [
      {
        app_id: APP_ID,
        bundles: LIMITED_BUNDLES,
        channels: [{ name: 'production', version: `1.0.${LIMITED_BUNDLES - 1}`, public: true }]
      }
    ]
  })
  try {
    const started = performance.now()
    const run = await runAction(
      {
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        cleanup_keep: '10',
        max_delete: String(LIMITED_BUNDLES),
        concurrency: String(DEFAULT_CONCURRENCY)
      },
      { timeoutMs: 600_000 }
    )
    const wallMs = performance.now() - started
    const requests = emulator.requests.length
    const refused = emulator.requests.filter(r => r.status === 429).length
    const accepted = requests - refused
    // Each block of `max` requests is followed by a quiet window; the requests themselves take
    // their round trips, `concurrency` at a time.
    const boundMs =
      Math.floor(accepted / LIMIT.max) * LIMIT.windowMs +
      Math.ceil(accepted / DEFAULT_CONCURRENCY) * LATENCY_MS
    return {
      code: run.code,
      wallMs,
      boundMs,
      requests,
      refused,
      deleted: emulator.requests.filter(r => r.method === 'DELETE' && r.status === 200).length,
      planned: run.outputs.deleted_count ?? '',
      remaining: emulator.bundles(APP_ID).length
    }
  } finally {
    await emulator.stop()
  }
}

// ---- 6. the native compatibility gate: requests and planner time it adds -------------------------

const COMPAT_SIZES = [1000, 10_000] as const
const COMPAT_PLUGINS = 20
const COMPAT_REPEATS = 3
const COMPAT_CLEANUP_BUNDLES = 1000
const COMPAT_PLANNER_BUNDLES = 10_000
const COMPAT_PLANNER_ITERATIONS = 200
const COMPAT_CHECK_ITERATIONS = 20_000

type CompatMode = 'off' | 'fail'
type CompatScenario = 'promote_from' | 'version' | 'promote_from + cleanup'

/**
 * A bundle's `native_packages` as Capgo's CLI records it: 20 plugins with version, requested
 * range and both native checksums. Every bundle of these apps has the same native set (a stream
 * of JS-only releases), so a promotion is compatible and the run goes on to its write.
 */
function nativePackages(): {
  name: string
  version: string
  requested_version: string
  ios_checksum: string
  android_checksum: string
}[] {
  const names = [
    '@capacitor/app',
    '@capacitor/camera',
    '@capacitor/device',
    '@capacitor/filesystem',
    '@capacitor/geolocation',
    '@capacitor/haptics',
    '@capacitor/keyboard',
    '@capacitor/local-notifications',
    '@capacitor/network',
    '@capacitor/preferences',
    '@capacitor/push-notifications',
    '@capacitor/share',
    '@capacitor/splash-screen',
    '@capacitor/status-bar',
    '@capacitor/browser',
    '@capacitor/clipboard',
    '@capacitor/dialog',
    '@capacitor/toast',
    '@capgo/capacitor-updater',
    '@capgo/native-purchases'
  ]
  return names.slice(0, COMPAT_PLUGINS).map((name, i) => {
    const version = `${6 + (i % 2)}.${i % 4}.${i}`
    const hex = (salt: string): string =>
      [...`${salt}:${name}`]
        .reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)
        .toString(16)
        .padStart(8, '0')
        .repeat(8)
    return {
      name,
      version,
      requested_version: `^${version.replace(/\.\d+$/, '.0')}`,
      ios_checksum: hex('ios'),
      android_checksum: hex('android')
    }
  })
}

function compatBundles(n: number): SeedBundle[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `1.0.${i}`,
    native_packages: nativePackages()
  }))
}

interface CompatRun {
  scenario: CompatScenario
  bundles: number
  mode: CompatMode
  codes: (number | null)[]
  verdict: string
  routes: Map<string, number>
  total: number
  bundlePages: number
  bundleBytes: number
  deletions: number
  wallTimesMs: number[]
  peakRssMb: (number | undefined)[]
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One run of the built action: production (1.0.{n-10}) gets beta's bundle (1.0.{n-1}). */
async function runCompatOnce(
  scenario: CompatScenario,
  bundles: number,
  mode: CompatMode
): Promise<
  Omit<CompatRun, 'codes' | 'wallTimesMs' | 'peakRssMb'> & {
    code: number | null
    wallMs: number
    peakRssMb: number | undefined
  }
> {
  const emulator = await startEmulator({
    keys: { [KEY]: 'admin' },
    latencyMs: LATENCY_MS,
    rateLimit: { max: 1e9 },
    pagingDefect: true,
    apps: [
      {
        app_id: APP_ID,
        bundles: compatBundles(bundles),
        channels: [
          { name: 'production', version: `1.0.${bundles - 10}`, public: true },
          { name: 'beta', version: `1.0.${bundles - 1}` }
        ]
      }
    ]
  })
  try {
    const release: Record<string, string> =
      scenario === 'version' ? { version: `1.0.${bundles - 1}` } : { promote_from: 'beta' }
    const cleanup: Record<string, string> =
      scenario === 'promote_from + cleanup'
        ? {
            cleanup_keep: String(KEEP),
            max_delete: String(bundles),
            concurrency: String(DEFAULT_CONCURRENCY)
          }
        : {}
    const started = performance.now()
    const run = await runAction(
      {
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        channel: 'production',
        compatibility: mode,
        ...release,
        ...cleanup
      },
      { timeoutMs: 300_000, env: { NODE_OPTIONS: `--import=${PROBE}` } }
    )
    const wallMs = performance.now() - started
    if (run.code !== 0) {
      console.log(`  ${scenario}, ${bundles}, ${mode}: the action exited with ${run.code}:`)
      for (const error of run.errors) console.log(`    ${error}`)
    }
    const requests = emulator.requests
    const pages = requests.filter(r => r.method === 'GET' && r.path === '/bundle')
    return {
      scenario,
      bundles,
      mode,
      code: run.code,
      verdict: run.outputs.compatibility ?? '',
      routes: countByRoute(requests),
      total: requests.length,
      bundlePages: pages.length,
      bundleBytes: pages.reduce((n, r) => n + (r.responseBytes ?? 0), 0),
      deletions: requests.filter(r => r.method === 'DELETE' && r.path === '/bundle').length,
      wallMs,
      peakRssMb: peakRssMb(run.stderr)
    }
  } finally {
    await emulator.stop()
  }
}

/** `repeats` runs of off and fail, taken in turn so that a busy spell weighs on both alike. */
async function runCompatPair(
  scenario: CompatScenario,
  bundles: number,
  repeats: number
): Promise<CompatRun[]> {
  const byMode = new Map<CompatMode, CompatRun>()
  for (let i = 0; i < repeats; i++) {
    for (const mode of ['off', 'fail'] as const) {
      const { code, wallMs, peakRssMb, ...run } = await runCompatOnce(scenario, bundles, mode)
      const seen = byMode.get(mode)
      if (!seen) {
        byMode.set(mode, { ...run, codes: [code], wallTimesMs: [wallMs], peakRssMb: [peakRssMb] })
        continue
      }
      seen.codes.push(code)
      seen.wallTimesMs.push(wallMs)
      seen.peakRssMb.push(peakRssMb)
      // Requests are the same at every repeat; say so if they are not.
      if (run.total !== seen.total) {
        console.log(
          `  note: ${scenario} ${bundles} ${mode}: ${run.total} requests, then ${seen.total}`
        )
      }
    }
  }
  return [byMode.get('off')!, byMode.get('fail')!]
}

interface GatePlanner {
  bundles: number
  plugins: number
  /** Per makePlan call: medians of wall and CPU time over the iterations. */
  rows: { label: string; wallMs: number; cpuMs: number; verdict: string }[]
  /** checkCompatibility alone on the two 20-plugin records. */
  checkUs: number
}

/** makePlan for a promotion on 10,000 bundles, gate off and fail, in this process. */
function measureGatePlanner(): GatePlanner {
  const now = Date.UTC(2026, 0, 1)
  const n = COMPAT_PLANNER_BUNDLES
  const bundles: Bundle[] = []
  for (let i = n - 1; i >= 0; i--) {
    const created = new Date(now - (n - i) * 60_000).toISOString()
    bundles.push({
      id: i + 1,
      name: `1.0.${i}`,
      app_id: APP_ID,
      created_at: created,
      updated_at: created,
      deleted: false,
      native_packages: nativePackages()
    })
  }
  const at = new Date(now).toISOString()
  const channel = (id: number, name: string, bundle: Bundle): Channel => ({
    id,
    name,
    created_at: at,
    updated_at: at,
    public: id === 1,
    version: { id: bundle.id, name: bundle.name },
    rollout_version: null,
    disableAutoUpdate: 'major',
    disableAutoUpdateUnderNative: true,
    allow_device_self_set: false,
    allow_emulator: true,
    allow_dev: true
  })
  // Newest first: bundles[0] is 1.0.{n-1}.
  const channels = [channel(1, 'production', bundles[9]!), channel(2, 'beta', bundles[0]!)]
  const base: Settings = {
    ...plannerSettings('created'),
    cleanup: undefined,
    channel: 'production',
    promoteFrom: 'beta',
    maxDelete: 0
  }
  const variants: { label: string; settings: Settings; inventory: Inventory }[] = [
    {
      label: 'off, bundles not read (what an off run plans)',
      settings: { ...base, compatibility: 'off' },
      inventory: { channels, deviceChannels: {} }
    },
    {
      label: `off, ${n.toLocaleString('en')} bundles read`,
      settings: { ...base, compatibility: 'off' },
      inventory: { channels, bundles, deviceChannels: {} }
    },
    {
      label: `fail, ${n.toLocaleString('en')} bundles read`,
      settings: { ...base, compatibility: 'fail' },
      inventory: { channels, bundles, deviceChannels: {} }
    }
  ]
  const rows = variants.map(({ label, settings, inventory }) => {
    let plan = makePlan(settings, inventory, now)
    for (let i = 0; i < 5; i++) plan = makePlan(settings, inventory, now) // warm-up
    const times: number[] = []
    const cpuTimes: number[] = []
    for (let i = 0; i < COMPAT_PLANNER_ITERATIONS; i++) {
      const cpu = process.cpuUsage()
      const started = performance.now()
      plan = makePlan(settings, inventory, now)
      times.push(performance.now() - started)
      const used = process.cpuUsage(cpu)
      cpuTimes.push((used.user + used.system) / 1000)
    }
    return {
      label,
      wallMs: median(times),
      cpuMs: median(cpuTimes),
      verdict:
        plan.errors.length > 0
          ? `errors: ${plan.errors.join('; ')}`
          : (plan.channel?.compatibility?.verdict ?? 'not checked')
    }
  })
  const candidate = bundles[0]!.native_packages
  const current = bundles[9]!.native_packages
  for (let i = 0; i < 1000; i++) checkCompatibility(candidate, current)
  const started = performance.now()
  for (let i = 0; i < COMPAT_CHECK_ITERATIONS; i++) checkCompatibility(candidate, current)
  const checkUs = ((performance.now() - started) * 1000) / COMPAT_CHECK_ITERATIONS
  return { bundles: n, plugins: COMPAT_PLUGINS, rows, checkUs }
}

async function compatibilitySection(): Promise<string[]> {
  console.log(
    `\nThe native compatibility gate: off against fail (${COMPAT_PLUGINS} plugins in every ` +
      `bundle's native_packages; promote_from and version: ${COMPAT_REPEATS} runs each):`
  )
  const runs: CompatRun[] = []
  const plan: [CompatScenario, number, number][] = [
    ...COMPAT_SIZES.map(
      n => ['promote_from', n, COMPAT_REPEATS] as [CompatScenario, number, number]
    ),
    ...COMPAT_SIZES.map(n => ['version', n, COMPAT_REPEATS] as [CompatScenario, number, number]),
    ['promote_from + cleanup', COMPAT_CLEANUP_BUNDLES, 1]
  ]
  for (const [scenario, bundles, repeats] of plan) {
    for (const run of await runCompatPair(scenario, bundles, repeats)) {
      runs.push(run)
      console.log(
        `  ${scenario}, ${bundles} bundles, ${run.mode}: ${run.total} requests ` +
          `(${routesText(run.routes)}), ${(run.bundleBytes / 1024 / 1024).toFixed(1)} MB of ` +
          `bundle rows, ${run.wallTimesMs.map(ms).join(' / ')}, peak ` +
          `${run.peakRssMb.map(mbText).join(' / ')}, verdict "${run.verdict}", ` +
          `exit ${run.codes.join('/')}`
      )
    }
  }

  console.log(
    `  The planner on ${COMPAT_PLANNER_BUNDLES} bundles (promote_from, no cleanup; ` +
      `${COMPAT_PLANNER_ITERATIONS} calls after a warm-up):`
  )
  const planner = measureGatePlanner()
  for (const row of planner.rows) {
    console.log(
      `    ${row.label}: ${row.wallMs.toFixed(3)} ms, CPU ${row.cpuMs.toFixed(3)} ms (medians), ` +
        `${row.verdict}`
    )
  }
  console.log(`    checkCompatibility alone: ${planner.checkUs.toFixed(1)} µs a call`)

  const rows = runs.map(r => {
    const off = runs.find(
      o => o.scenario === r.scenario && o.bundles === r.bundles && o.mode === 'off'
    )
    const added = off && r.mode === 'fail' ? r.total - off.total : undefined
    return [
      r.scenario,
      r.bundles.toLocaleString('en'),
      `\`${r.mode}\``,
      routesText(r.routes),
      String(r.total),
      added === undefined ? '' : added === 0 ? 'none' : `+${added}`,
      r.bundleBytes === 0 ? '0' : `${(r.bundleBytes / 1024 / 1024).toFixed(1)} MB`,
      ms(median(r.wallTimesMs)),
      mbText(median(r.peakRssMb.map(mb => mb ?? NaN))),
      r.verdict === '' ? '(not checked)' : r.verdict,
      r.codes.every(c => c === 0) ? '0' : r.codes.join('/')
    ]
  })
  const off = planner.rows[1]
  const fail = planner.rows[2]
  return [
    `### The native compatibility gate (\`npm run bench -- --compat\`)`,
    '',
    `The built action, \`channel: production\`, ${LATENCY_MS} ms per request, paging defect on; ` +
      `every bundle has ${COMPAT_PLUGINS} plugins in \`native_packages\` (the same native set, ` +
      `so the promoted bundle is compatible). Wall: median of ${COMPAT_REPEATS} ` +
      `(one run for the cleanup, \`cleanup_keep: ${KEEP}\`, concurrency ${DEFAULT_CONCURRENCY}); ` +
      `peak memory is the action process's resident memory.`,
    '',
    ...markdownTable(
      [
        'run',
        'bundles',
        'compatibility',
        'requests by route',
        'requests',
        'added by the gate',
        'bundle rows read',
        'wall',
        'peak memory',
        'verdict',
        'exit'
      ],
      rows
    ),
    '',
    `The planner (\`makePlan\`, promote_from, no cleanup) on ${planner.bundles.toLocaleString('en')} ` +
      `bundles, median of ${COMPAT_PLANNER_ITERATIONS} calls:`,
    '',
    ...markdownTable(
      ['compatibility', 'wall', 'CPU', 'verdict'],
      planner.rows.map(r => [
        r.label,
        `${r.wallMs.toFixed(3)} ms`,
        `${r.cpuMs.toFixed(3)} ms`,
        r.verdict
      ])
    ),
    '',
    `- checkCompatibility alone (${planner.plugins} plugins against ${planner.plugins}): ` +
      `${planner.checkUs.toFixed(1)} µs a call` +
      (off && fail
        ? `; fail − off with the same rows: ${(fail.wallMs - off.wallMs).toFixed(3)} ms`
        : '')
  ]
}

// ---- the report ------------------------------------------------------------------------------

const mbText = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v.toFixed(1)} MB`)
const passMiss = (ok: boolean): string => (ok ? 'PASS' : 'MISS')

function routesText(routes: Map<string, number>): string {
  return [...routes]
    .sort((a, b) => b[1] - a[1])
    .map(([route, n]) => `${route} ${n}`)
    .join(', ')
}

async function main(): Promise<void> {
  requireDist()
  const benchStarted = performance.now()
  const loadBefore = loadavg()[0] ?? 0
  console.log(
    `Benchmark of dist/index.js (Node 24) against the Capgo emulator: ${LATENCY_MS} ms per ` +
      `request, ${BUNDLES} bundles, paging defect on, cleanup_keep: ${KEEP}.\n`
  )

  console.log('Process start (Node 24 loading dist/index.js, failing validation, 1 warm-up + 3):')
  const startSamples = (await measureProcessStart(4)).slice(1)
  const startMs = Math.min(...startSamples)
  console.log(`  ${startSamples.map(ms).join(', ')}: best ${ms(startMs)}\n`)

  const runs: EndToEnd[] = []
  for (const concurrency of CONCURRENCIES) {
    process.stdout.write(`Concurrency ${concurrency}: `)
    const run = await runEndToEnd(concurrency)
    runs.push(run)
    const p = run.phases
    console.log(
      `${ms(run.wallMs)} (start ${ms(p.startMs)}, read + plan ${ms(p.readAndPlanMs)} ` +
        `(its bound ${ms(run.listPages * LATENCY_MS)}), ` +
        `delete ${ms(p.deleteMs)}, report + exit ${ms(p.tailMs)}; emulator busy ` +
        `${ms(run.emulatorBusyMs)}, report output ${Math.round(run.reportBytes / 1024)} KiB)`
    )
    console.log(`  ${routesText(run.routes)}`)
    if (String(run.deletions) !== run.deletedOutput || run.unexpectedStatuses > 0) {
      console.log(
        `  note: deleted_count output ${run.deletedOutput}, DELETE requests ${run.deletions}, ` +
          `answers other than 2xx (besides the listing's end) ${run.unexpectedStatuses}`
      )
    }
  }

  console.log('\nListing at the floor (a dry-run cleanup through dist/):')
  const listings: Listing[] = []
  for (const [bundles, defect] of [
    [10_000, true],
    [10_000, false],
    [100_000, true]
  ] as const) {
    const l = await runListing(bundles, defect)
    listings.push(l)
    console.log(
      `  ${bundles} bundles, paging defect ${defect ? 'on' : 'off'}: ${l.requests} GET /bundle, ` +
        `${(l.bytesRead / l.rowBytes).toFixed(2)} × the rows' bytes, ${ms(l.wallMs)}, peak ` +
        `${mbText(l.peakRssMb)}, exit ${l.code}`
    )
  }

  console.log(
    `\nCleanup of ${LIMITED_BUNDLES} bundles against the rate limit (${LIMIT.max} requests, then ` +
      `quiet for ${LIMIT.windowMs} ms), concurrency ${DEFAULT_CONCURRENCY}:`
  )
  const limited = await runRateLimited()
  console.log(
    `  ${ms(limited.wallMs)} (bound ${ms(limited.boundMs)}), ${limited.requests} requests of ` +
      `which ${limited.refused} refused with 429, ${limited.deleted} deleted (planned ` +
      `${limited.planned}), ${limited.remaining} left, exit ${limited.code}`
  )

  console.log(
    `\nThe planner alone: ${PLANNER_BUNDLES} bundles, ${PLANNER_CHANNELS} channels, ` +
      `cleanup_keep ${KEEP} + cleanup_older_than 30d (best of 3 after a warm-up)...`
  )
  const planner = await measurePlanner()
  if (!planner.gc) console.log('  (no global.gc: heap deltas include garbage, not only the plan)')

  const compatMd = await compatibilitySection()

  // ---- tables ----
  const actionOnly = (r: EndToEnd): number => (r.wallMs - startMs - r.emulatorBusyMs) / r.boundMs
  const e2eRows = runs.map(r => [
    String(r.concurrency),
    routesText(r.routes),
    String(r.deletions),
    ms(r.wallMs),
    ms(r.boundMs),
    (r.wallMs / r.boundMs).toFixed(2),
    String(r.total - r.listPages - r.deletions),
    ms(r.emulatorBusyMs),
    actionOnly(r).toFixed(2)
  ])
  const plannerRows = planner.figures.map(f => [
    f.order,
    ms(f.bestMs),
    ms(f.cpuMs),
    f.timesMs.map(t => Math.round(t)).join(' / '),
    String(f.deletions),
    mbText(f.retainedMb),
    mbText(f.heapGrowthMb),
    mbText(f.rssGrowthMb)
  ])

  const loadAfter = loadavg()[0] ?? 0
  const machine =
    `${cpus().length} CPUs, load average (1 min) ${loadBefore.toFixed(1)} before and ` +
    `${loadAfter.toFixed(1)} after` +
    (Math.max(loadBefore, loadAfter) > cpus().length
      ? ': the machine was busy with other work, so times are inflated.'
      : '.')
  const atDefault = runs.find(r => r.concurrency === DEFAULT_CONCURRENCY)
  const ratioDefault = atDefault ? atDefault.wallMs / atDefault.boundMs : Infinity
  const extraMax = Math.max(...runs.map(r => r.total - r.listPages - r.deletions))
  const plannerWorst = Math.max(...planner.figures.map(f => f.bestMs))
  const allOk = runs.every(r => r.code === 0 && r.unexpectedStatuses === 0)
  const ten = listings.find(l => l.bundles === 10_000 && l.pagingDefect)
  const big = listings.find(l => l.bundles === 100_000)
  const listingRows = listings.map(l => [
    l.bundles.toLocaleString('en'),
    l.pagingDefect ? 'on' : 'off',
    String(l.requests),
    `${(l.bytesRead / 1024 / 1024).toFixed(1)} MB`,
    `${(l.rowBytes / 1024 / 1024).toFixed(1)} MB`,
    (l.bytesRead / l.rowBytes).toFixed(2),
    ms(l.wallMs),
    mbText(l.peakRssMb)
  ])
  const verdicts = [
    `${passMiss(startMs <= 200)} cold start of dist/ (Node 24 loading it, Octokit included): ` +
      `${ms(startMs)} (target <= 200 ms)`,
    `${passMiss(ten !== undefined && ten.requests <= LISTING_TARGET_REQUESTS && ten.bytesRead / ten.rowBytes <= LISTING_TARGET_BYTES_RATIO)} ` +
      `10,000 bundles listed in ${ten?.requests} requests and ` +
      `${ten ? (ten.bytesRead / ten.rowBytes).toFixed(2) : '?'} × the rows' bytes (targets <= ` +
      `${LISTING_TARGET_REQUESTS} and <= ${LISTING_TARGET_BYTES_RATIO})`,
    `${passMiss(big !== undefined && big.code === 0 && big.wallMs < BIG_DRY_RUN_TARGET_MS && (big.peakRssMb ?? Infinity) < BIG_DRY_RUN_TARGET_MB)} ` +
      `100,000-bundle dry-run cleanup end to end: ${big ? ms(big.wallMs) : '?'}, peak ` +
      `${mbText(big?.peakRssMb)} (targets < ${ms(BIG_DRY_RUN_TARGET_MS)} and < ` +
      `${BIG_DRY_RUN_TARGET_MB} MB)`,
    `${passMiss(limited.code === 0 && String(limited.deleted) === limited.planned)} rate-limited ` +
      `cleanup of ${LIMITED_BUNDLES}: deleted exactly its plan (${limited.deleted}), ` +
      `${ms(limited.wallMs)} against a bound of ${ms(limited.boundMs)} ` +
      `(ratio ${(limited.wallMs / limited.boundMs).toFixed(2)}), ${limited.refused} 429s`,
    `${passMiss(ratioDefault <= RATIO_TARGET)} ratio at concurrency ${DEFAULT_CONCURRENCY}: ` +
      `${ratioDefault.toFixed(2)} (target <= ${RATIO_TARGET}; ` +
      `${atDefault ? actionOnly(atDefault).toFixed(2) : '?'} without the process start and ` +
      `the emulator's busy time)`,
    `${passMiss(extraMax <= EXTRA_TARGET)} requests = list pages + deletions + ${extraMax} ` +
      `(target: a small constant, <= ${EXTRA_TARGET})`,
    `${passMiss(plannerWorst < PLANNER_TARGET_MS)} planner on ${PLANNER_BUNDLES} bundles: ` +
      `${ms(plannerWorst)} at worst (target < ${ms(PLANNER_TARGET_MS)})`,
    `${passMiss(allOk)} every run exited 0 with no retried or refused request`
  ]

  console.log('\n' + '='.repeat(100) + '\n')
  const md: string[] = [
    `### Benchmark (\`npm run bench\`)`,
    '',
    `The built action against the emulator: ${LATENCY_MS} ms per request, ${BUNDLES} bundles ` +
      `(paging defect on), \`cleanup_keep: ${KEEP}\`. Bound = (list pages + ` +
      `ceil(deletions / concurrency)) × ${LATENCY_MS} ms; ratio = wall / bound. Wall time ` +
      `includes the Node 24 process start, ${ms(startMs)} here (a run that fails validation), and ` +
      `the time the emulator itself was busy (it shares the machine and handles one request at ` +
      `a time); ` +
      `"ratio − overheads" leaves both out: a lower bound of the action's own ratio, since the ` +
      `emulator's work partly overlaps other requests' latency.`,
    '',
    ...markdownTable(
      [
        'concurrency',
        'requests by route',
        'deletions',
        'wall',
        'bound',
        'ratio',
        'extra requests',
        'emulator busy',
        'ratio − overheads'
      ],
      e2eRows
    ),
    '',
    `Listing at the floor: a dry-run cleanup (\`cleanup_keep: ${KEEP}\`) through dist/, ` +
      `${LATENCY_MS} ms per request; bytes read are the GET /bundle answers, against the rows' ` +
      `own JSON once each; peak is the action process's resident memory.`,
    '',
    ...markdownTable(
      [
        'bundles',
        'paging defect',
        'GET /bundle',
        'bytes read',
        "rows' bytes",
        'ratio',
        'wall',
        'peak memory'
      ],
      listingRows
    ),
    '',
    `The planner alone (\`makePlan\`, ${planner.node}): ${PLANNER_BUNDLES.toLocaleString('en')} ` +
      `bundles one minute apart, ${PLANNER_CHANNELS} channels, \`cleanup_keep: ${KEEP}\` + ` +
      `\`cleanup_older_than: 30d\`; best of 3 after a warm-up. Inventory itself: ` +
      `${mbText(planner.inventoryMb)}.${planner.gc ? '' : ' No gc available: heap figures include garbage.'}`,
    '',
    ...markdownTable(
      [
        'cleanup_order',
        'time (best)',
        'its CPU time',
        'runs (ms)',
        'deletions',
        'plan retained',
        'heap growth',
        'RSS growth'
      ],
      plannerRows
    ),
    '',
    ...verdicts.map(v => `- ${v}`),
    '',
    ...compatMd,
    '',
    `Machine: ${machine}`
  ]
  for (const line of md) console.log(line)
  console.log(`\n(bench took ${ms(performance.now() - benchStarted)})`)
}

/** `--compat`: section 6 alone, with its Markdown. */
async function compatOnly(): Promise<void> {
  requireDist()
  const started = performance.now()
  const loadBefore = loadavg()[0] ?? 0
  const md = await compatibilitySection()
  const loadAfter = loadavg()[0] ?? 0
  console.log('\n' + '='.repeat(100) + '\n')
  for (const line of md) console.log(line)
  console.log(
    `\nMachine: ${cpus().length} CPUs, load average (1 min) ${loadBefore.toFixed(1)} before and ` +
      `${loadAfter.toFixed(1)} after.`
  )
  console.log(`\n(took ${ms(performance.now() - started)})`)
}

if (process.argv.includes('--planner')) {
  plannerChild()
} else {
  ;(process.argv.includes('--compat') ? compatOnly() : main()).then(
    () => process.exit(0),
    (error: unknown) => {
      // A measurement that could not be taken is still reported, but it is not a failure of the
      // action: say what broke.
      console.error(error instanceof Error ? (error.stack ?? error.message) : error)
      process.exit(1)
    }
  )
}
