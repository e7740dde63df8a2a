// Common pieces of the end-to-end tests of the action's GitHub side (test/e2e/github.test.ts): a
// GitHub API emulator per test for the runner's repository (acme/app), the runner variables that
// point the built action at it, pull request events, seeded release histories, and checks that
// the GitHub token is never visible.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, expect } from 'vitest'
import {
  ALL_PERMISSIONS,
  expectConformingExchanges,
  startGitHubEmulator,
  type GitHubEmulator,
  type GitHubEmulatorOptions,
  type Permission,
  type SeedDeployment,
  type StoredComment
} from '../github-emulator/index.js'
import { keyLeaks, type ActionRun, type RunOptions } from '../helpers/action-runner.js'
import type { Emulator } from '../emulator/index.js'
import { APP, run, type TimedRun } from './shared.js'

/** Shaped like an installation token; it must never be visible anywhere the run writes. */
export const GH_TOKEN = 'ghs_e2eFAKEtoken1234567890'
/** The runner's GITHUB_REPOSITORY (test/helpers/action-runner.ts). */
export const OWNER = 'acme'
export const REPO = 'app'
/** The runner's GITHUB_SHA. */
export const SHA = '0123456789abcdef0123456789abcdef01234567'
/** `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}` of the runner. */
export const RUN_URL = 'https://github.com/acme/app/actions/runs/4242'
/** A loopback port nothing listens on: GitHub must not be called. */
export const CLOSED_GITHUB = 'http://127.0.0.1:9'
/** Fast failures: one retry of a 5xx (about a second of backoff), 10 s per request. */
export const QUICK = { retries: '1', timeout: '10' }

export const GITHUB_WRITE_PERMISSIONS = ALL_PERMISSIONS

const githubs: GitHubEmulator[] = []
const dirs: string[] = []
// Every request the action sent and every answer the emulator gave conform to GitHub's OpenAPI
// description (the @octokit/openapi package): the emulator answers as GitHub does.
const checked = new Set<GitHubEmulator>()
afterEach(() => {
  for (const gh of githubs) {
    if (checked.has(gh)) continue
    checked.add(gh)
    expectConformingExchanges(gh)
  }
})
afterAll(async () => {
  await Promise.all(githubs.splice(0).map(gh => gh.stop()))
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/**
 * A GitHub emulator serving acme/app, knowing GH_TOKEN with every write permission unless
 * `tokens` says otherwise. Stopped when the file ends.
 */
export async function github(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const gh = await startGitHubEmulator({
    owner: OWNER,
    repo: REPO,
    tokens: { [GH_TOKEN]: ALL_PERMISSIONS },
    ...options
  })
  githubs.push(gh)
  return gh
}

/** GH_TOKEN with only these permissions. */
export function tokenWith(...permissions: Permission[]): Record<string, Permission[]> {
  return { [GH_TOKEN]: permissions }
}

/** The runner variables of a `pull_request` event on pull request `number`. */
export function pullRequestEvent(number: number): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'capgo-release-event-'))
  dirs.push(dir)
  const file = path.join(dir, 'event.json')
  writeFileSync(
    file,
    JSON.stringify({
      action: 'synchronize',
      number,
      pull_request: { number, head: { ref: `feature-${number}`, sha: SHA } },
      repository: { full_name: `${OWNER}/${REPO}` }
    })
  )
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: file,
    GITHUB_REF: `refs/pull/${number}/merge`
  }
}

export interface GitHubRunOptions extends RunOptions {
  /** Runner variables of the event (e.g. `pullRequestEvent(42)`). */
  event?: Record<string, string>
}

/**
 * Runs the built action against `emu` (Capgo) and `gh` (GitHub, or a closed port when null) with
 * GH_TOKEN as github_token and QUICK retries, each overridable through `inputs`.
 */
export function runWithGitHub(
  emu: Emulator | { url: string },
  gh: GitHubEmulator | null,
  inputs: Record<string, string>,
  options: GitHubRunOptions = {}
): Promise<TimedRun> {
  const { event, env, ...rest } = options
  return run(
    emu,
    { github_token: GH_TOKEN, ...QUICK, ...inputs },
    {
      ...rest,
      env: { GITHUB_API_URL: gh?.url ?? CLOSED_GITHUB, ...event, ...env }
    }
  )
}

/** The environment of APP's channel, as the action names it by default. */
export function envOf(channel: string, appId = APP): string {
  return `capgo/${appId}/${channel}`
}

/** What the action adds to the payload of a deployment it records: the runner's run and attempt. */
export const THIS_RUN = { run_id: '4242', run_attempt: 1 } as const

/** The payload the action stores in a deployment (without THIS_RUN: seeds are older records). */
export function payload(fields: {
  version: string
  channel?: string
  previous_version?: string
  rollout_version?: string
  rollout_percentage?: string
  app_id?: string
}): Record<string, string> {
  return {
    app_id: fields.app_id ?? APP,
    channel: fields.channel ?? 'production',
    version: fields.version,
    previous_version: fields.previous_version ?? '',
    rollout_version: fields.rollout_version ?? '',
    rollout_percentage: fields.rollout_percentage ?? ''
  }
}

/**
 * Seeded releases of one channel, OLDEST first (as the emulator seeds them): a deployment with our
 * payload and a `success` status each, unless `state` says otherwise.
 */
export function releases(
  channel: string,
  versions: readonly (
    string | { version: string; state: 'success' | 'failure' | 'error' | 'inactive' }
  )[],
  { environment = envOf(channel), appId = APP }: { environment?: string; appId?: string } = {}
): SeedDeployment[] {
  return versions.map(entry => {
    const { version, state } =
      typeof entry === 'string' ? { version: entry, state: 'success' } : entry
    return {
      environment,
      payload: payload({ version, channel, app_id: appId }),
      description: `${version} on ${channel}`,
      statuses: [{ state: state as 'success' | 'failure' | 'error' | 'inactive', log_url: RUN_URL }]
    }
  })
}

/** The comments of pull request `number` that hold `marker`. */
export function markedComments(gh: GitHubEmulator, marker: string, number = 42): StoredComment[] {
  return gh.comments(number).filter(c => c.body.includes(marker))
}

/** The GitHub requests of one method and path pattern. */
export function githubRequests(gh: GitHubEmulator, method: string, pathEnd: RegExp) {
  return gh.requests.filter(r => r.method === method && pathEnd.test(r.path))
}

/**
 * GH_TOKEN is never visible: stdout (but the runner's ::add-mask:: line), stderr, outputs,
 * summary, and the report file; the runner is told to mask it.
 */
export function expectNoTokenLeak(result: ActionRun): void {
  expect(keyLeaks(result, GH_TOKEN)).toEqual([])
  expect(result.reportFileText ?? '').not.toContain(GH_TOKEN)
  expect(result.stdout).toContain(`::add-mask::${GH_TOKEN}`)
}

/** `::notice::` lines of stdout, decoded. */
export function notices(result: ActionRun): string[] {
  return result.stdout
    .split('\n')
    .filter(line => line.startsWith('::notice'))
    .map(line =>
      line
        .slice(line.indexOf('::', 2) + 2)
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}
