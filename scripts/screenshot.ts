// npm run screenshot: the picture of a job summary in the README (docs/job-summary.png).
//
// Runs the built action (dist/) against the Capgo emulator as two workflow steps would (a
// promotion from beta to production, then a cleanup as a dry run), renders the two job
// summaries to HTML with GitHub-like styles (docs/job-summary.html), and has headless Chromium
// take a screenshot of that page. Needs Debian's Chromium (`apt-get install -y chromium`; or set
// CHROMIUM to another binary). Not run in CI: the picture is committed.
//
//   npm run screenshot [-- --width 1000 --height 1400]

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { marked } from 'marked'
import { startEmulator, type SeedBundle } from '../test/emulator/index.js'
import { DIST, ROOT, runAction } from '../test/helpers/action-runner.js'

const APP_ID = 'com.demo.app'
const KEY = 'screenshot-key-not-a-real-one'
const DAY = 86_400_000
const HTML_FILE = path.join(ROOT, 'docs', 'job-summary.html')
const PNG_FILE = path.join(ROOT, 'docs', 'job-summary.png')

interface Step {
  /** The step's id, as GitHub titles its summary ("<id> summary"). */
  id: string
  with: Record<string, string>
}

const STEPS: Step[] = [
  { id: 'promote', with: { channel: 'production', promote_from: 'beta' } },
  { id: 'cleanup', with: { cleanup_keep: '8', cleanup_older_than: '30d', dry_run: 'true' } }
]

/** 20 bundles, 1.0.0 .. 1.3.4, one every 3 days, the newest two hours old. */
function seedBundles(): SeedBundle[] {
  const bundles: SeedBundle[] = []
  for (let minor = 0; minor < 4; minor++) {
    for (let patch = 0; patch < 5; patch++) bundles.push({ name: `1.${minor}.${patch}` })
  }
  return bundles
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i < 0 ? undefined : Number(process.argv[i + 1])
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback
}

/** The summaries of the steps, in order, as GitHub shows them on the run's page. */
async function runSteps(): Promise<{ id: string; markdown: string }[]> {
  const emulator = await startEmulator({
    keys: { [KEY]: 'admin' },
    apps: [
      {
        app_id: APP_ID,
        bundles: seedBundles(),
        bundleIntervalMs: 3 * DAY,
        bundleEnd: new Date(Date.now() - 2 * 3_600_000),
        channels: [
          { name: 'production', version: '1.2.3', public: true },
          { name: 'beta', version: '1.3.4' }
        ]
      }
    ]
  })
  try {
    const summaries: { id: string; markdown: string }[] = []
    for (const step of STEPS) {
      const run = await runAction({
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        ...step.with
      })
      if (run.code !== 0) {
        throw new Error(`step ${step.id} failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
      }
      summaries.push({ id: step.id, markdown: run.summary })
    }
    return summaries
  } finally {
    await emulator.stop()
  }
}

const CSS = `
  * { box-sizing: border-box; }
  body {
    margin: 0; padding: 16px; background: #f6f8fa; color: #1f2328;
    font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
      sans-serif, "Noto Color Emoji";
  }
  .summary { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin-bottom: 16px; }
  .summary > header {
    padding: 12px 16px; border-bottom: 1px solid #d0d7de; font-weight: 600; font-size: 16px;
  }
  .summary > section { padding: 8px 24px 16px; }
  h2 { font-size: 1.5em; font-weight: 600; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3;
    margin: 12px 0; }
  h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; }
  p, ul, table, blockquote { margin: 0 0 16px; }
  code {
    font: 85% ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
    background: #818b981f; border-radius: 6px; padding: .2em .4em;
  }
  table { border-collapse: collapse; border-spacing: 0; display: block; width: max-content;
    max-width: 100%; overflow: auto; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
  th { font-weight: 600; text-align: left; }
  tr { background: #fff; border-top: 1px solid #d1d9e0b3; }
  tr:nth-child(2n) { background: #f6f8fa; }
  blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
  a { color: #0969da; text-decoration: none; }
  sub { color: #59636e; }
`

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!
  )
}

function renderPage(summaries: readonly { id: string; markdown: string }[]): string {
  const cards = summaries
    .map(
      s =>
        `<div class="summary"><header>${escapeHtml(s.id)} summary</header>` +
        `<section>${marked.parse(s.markdown, { async: false, gfm: true })}</section></div>`
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Job summary</title>
<style>${CSS}</style></head>
<body>
${cards}
</body></html>
`
}

function findChromium(): string {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome']
  for (const candidate of candidates) {
    if (!candidate) continue
    const found = spawnSync('sh', ['-c', `command -v "${candidate}"`], { encoding: 'utf8' })
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim()
  }
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/it)')
}

function screenshot(htmlFile: string, pngFile: string, width: number, height: number): void {
  const profile = mkdtempSync(path.join(tmpdir(), 'capgo-release-chromium-'))
  try {
    const result = spawnSync(
      findChromium(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--user-data-dir=${profile}`,
        `--screenshot=${pngFile}`,
        `--window-size=${width},${height}`,
        pathToFileURL(htmlFile).href
      ],
      { encoding: 'utf8', timeout: 120_000 }
    )
    if (result.status !== 0 || !existsSync(pngFile) || statSync(pngFile).size === 0) {
      throw new Error(`Chromium failed (exit ${result.status}):\n${result.stderr}`)
    }
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run npm run build first')
  const summaries = await runSteps()
  writeFileSync(HTML_FILE, renderPage(summaries))
  screenshot(HTML_FILE, PNG_FILE, option('width', 1000), option('height', 1400))
  console.log(`wrote ${path.relative(ROOT, HTML_FILE)} and ${path.relative(ROOT, PNG_FILE)}`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
