// npm run screenshot: the pictures of a job summary (docs/job-summary.png) and of the pull request
// comment (docs/pr-comment.png).
//
// Runs the built action (dist/) against the Capgo emulator serving the demo's sample app (`npm run
// demo`) as two workflow steps would (the demo's promotion from beta to production, then its
// cleanup as a dry run), renders the two job summaries to HTML with GitHub-like styles
// (docs/job-summary.html), and has headless Chromium take a screenshot of that page. Then a
// preview run on a pull_request event (`channel: pr-42`, two test devices, `pr_comment: true`)
// against the same Capgo emulator and the GitHub API emulator: the comment the action stored there
// is rendered as GitHub shows it on the pull request (docs/pr-comment.html, docs/pr-comment.png).
// Needs Debian's Chromium (`apt-get install -y chromium`; or set CHROMIUM to another binary). Not
// run in CI: the pictures are committed.
//
//   npm run screenshot [-- --width 1000 --height 1400 --comment-width 900 --comment-height 560]

import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { marked } from 'marked'
import { startEmulator, type Emulator } from '../test/emulator/index.js'
import { SAMPLE_APP_ID, sampleApp } from '../test/emulator/sample.js'
import { startGitHubEmulator } from '../test/github-emulator/index.js'
import { DIST, ROOT, runAction } from '../test/helpers/action-runner.js'

const APP_ID = SAMPLE_APP_ID
const KEY = 'screenshot-key-not-a-real-one'
const GITHUB_TOKEN = 'ghs_screenshotNotARealToken0000'
const HTML_FILE = path.join(ROOT, 'docs', 'job-summary.html')
const PNG_FILE = path.join(ROOT, 'docs', 'job-summary.png')
const COMMENT_HTML_FILE = path.join(ROOT, 'docs', 'pr-comment.html')
const COMMENT_PNG_FILE = path.join(ROOT, 'docs', 'pr-comment.png')
/** The repository and pull request of the preview run (the runner's GITHUB_REPOSITORY). */
const OWNER = 'acme'
const REPO = 'app'
const PULL_REQUEST = 42

interface Step {
  /** The step's id, as GitHub titles its summary ("<id> summary"). */
  id: string
  with: Record<string, string>
}

/** The demo's promotion and scheduled cleanup (scripts/demo.ts), on the demo's sample app. */
const STEPS: Step[] = [
  { id: 'promote', with: { channel: 'production', promote_from: 'beta' } },
  { id: 'cleanup', with: { cleanup_keep: '20', cleanup_older_than: '30d', dry_run: 'true' } }
]

/** The preview step of a pull request workflow (examples/): a channel per pull request. */
const PREVIEW: Step = {
  id: 'preview',
  with: {
    channel: `pr-${PULL_REQUEST}`,
    version: '1.11.9',
    devices: 'iphone-15-qa, pixel-8-qa',
    pr_comment: 'true'
  }
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i < 0 ? undefined : Number(process.argv[i + 1])
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback
}

/** The summaries of the steps, in order, as GitHub shows them on the run's page. */
async function runSteps(emulator: Emulator): Promise<{ id: string; markdown: string }[]> {
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
}

/**
 * The preview step on a pull_request event, against the GitHub API emulator: the body of the
 * comment the action left on the pull request.
 */
async function runPreview(emulator: Emulator): Promise<string> {
  const github = await startGitHubEmulator({
    owner: OWNER,
    repo: REPO,
    tokens: { [GITHUB_TOKEN]: ['pull-requests:write'] },
    issues: [{ number: PULL_REQUEST, comments: 3 }]
  })
  const dir = mkdtempSync(path.join(tmpdir(), 'capgo-release-event-'))
  try {
    const event = path.join(dir, 'event.json')
    writeFileSync(
      event,
      JSON.stringify({ number: PULL_REQUEST, pull_request: { number: PULL_REQUEST } })
    )
    const run = await runAction(
      {
        api_key: KEY,
        app_id: APP_ID,
        api_url: emulator.url,
        github_token: GITHUB_TOKEN,
        ...PREVIEW.with
      },
      {
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: event,
          GITHUB_REF: `refs/pull/${PULL_REQUEST}/merge`
        }
      }
    )
    if (run.code !== 0 || run.warnings.length > 0) {
      throw new Error(`step ${PREVIEW.id} failed (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
    }
    const ours = github.comments(PULL_REQUEST).filter(c => c.body.includes('<!-- capgo-release:'))
    if (ours.length !== 1)
      throw new Error(`expected one comment of the action, found ${ours.length}`)
    return ours[0]!.body
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await github.stop()
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
  .alert { padding: 8px 16px; margin: 0 0 16px; border-left: .25em solid; color: #1f2328; }
  .alert > p { margin: 0; }
  .alert-title { font-weight: 500; }
  .alert-note { border-color: #0969da; } .alert-note .alert-title { color: #0969da; }
  .alert-tip { border-color: #1a7f37; } .alert-tip .alert-title { color: #1a7f37; }
  .alert-important { border-color: #8250df; } .alert-important .alert-title { color: #8250df; }
  .alert-warning { border-color: #9a6700; } .alert-warning .alert-title { color: #9a6700; }
  .alert-caution { border-color: #d1242f; } .alert-caution .alert-title { color: #d1242f; }
  sub { color: #59636e; }
`

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!
  )
}

/** GitHub's alerts (`> [!NOTE]` …), which marked leaves as plain blockquotes. */
function markdownToHtml(markdown: string): string {
  return marked
    .parse(markdown, { async: false, gfm: true })
    .replace(
      /<blockquote>\s*<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/g,
      (_, kind: string) =>
        `<blockquote class="alert alert-${kind.toLowerCase()}">` +
        `<p class="alert-title">${kind[0]}${kind.slice(1).toLowerCase()}</p><p>`
    )
}

function renderPage(summaries: readonly { id: string; markdown: string }[]): string {
  const cards = summaries
    .map(
      s =>
        `<div class="summary"><header>${escapeHtml(s.id)} summary</header>` +
        `<section>${markdownToHtml(s.markdown)}</section></div>`
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

const COMMENT_CSS = `
  .timeline { position: relative; padding-left: 56px; max-width: 100%; }
  .avatar {
    position: absolute; left: 0; top: 0; width: 40px; height: 40px; border-radius: 6px;
    background: #2f363d; color: #fff; font-weight: 600; display: flex; align-items: center;
    justify-content: center; font-size: 13px;
  }
  .comment { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; position: relative; }
  .comment::before {
    content: ""; position: absolute; top: 11px; left: -8px; width: 14px; height: 14px;
    background: #f6f8fa; border-left: 1px solid #d0d7de; border-bottom: 1px solid #d0d7de;
    transform: rotate(45deg);
  }
  .comment > header {
    padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de; color: #59636e;
    border-radius: 6px 6px 0 0; position: relative;
  }
  .comment > header b { color: #1f2328; }
  .label {
    border: 1px solid #d0d7de; border-radius: 2em; padding: 0 7px; font-size: 12px; font-weight: 500;
    margin-left: 4px;
  }
  .comment > section { padding: 16px; }
  .comment > section > :first-child { margin-top: 0; }
  .comment > section > :last-child { margin-bottom: 0; }
  ul ul { margin-bottom: 0; }
`

/** The comment as GitHub shows it in a pull request's conversation (markdown rendered, HTML comment hidden). */
function renderCommentPage(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pull request comment</title>
<style>${CSS}${COMMENT_CSS}</style></head>
<body>
<div class="timeline">
<div class="avatar">bot</div>
<div class="comment"><header><b>github-actions</b> <span class="label">bot</span> commented</header>
<section>${markdownToHtml(body)}</section></div>
</div>
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
  const emulator = await startEmulator({ keys: { [KEY]: 'admin' }, apps: [sampleApp()] })
  let summaries: { id: string; markdown: string }[]
  let comment: string
  try {
    summaries = await runSteps(emulator)
    comment = await runPreview(emulator)
  } finally {
    await emulator.stop()
  }
  writeFileSync(HTML_FILE, renderPage(summaries))
  screenshot(HTML_FILE, PNG_FILE, option('width', 1000), option('height', 1400))
  writeFileSync(COMMENT_HTML_FILE, renderCommentPage(comment))
  screenshot(
    COMMENT_HTML_FILE,
    COMMENT_PNG_FILE,
    option('comment-width', 900),
    option('comment-height', 560)
  )
  for (const [html, png] of [
    [HTML_FILE, PNG_FILE],
    [COMMENT_HTML_FILE, COMMENT_PNG_FILE]
  ]) {
    console.log(`wrote ${path.relative(ROOT, html!)} and ${path.relative(ROOT, png!)}`)
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
