// The sample app that `npm run demo` and `npm run emulator` both serve.
import type { SeedApp, SeedBundle } from './types.js'

export const SAMPLE_APP_ID = 'com.demo.app'

const DAY = 86_400_000

/** 120 bundles 1.0.0 .. 1.11.9, oldest first. */
function sampleBundles(): SeedBundle[] {
  const bundles: SeedBundle[] = []
  for (let minor = 0; minor < 12; minor++) {
    for (let patch = 0; patch < 10; patch++) bundles.push({ name: `1.${minor}.${patch}` })
  }
  return bundles
}

/**
 * 120 bundles (1.0.0 .. 1.11.9, one every 1.5 days, the newest two hours before `nowMs`); channels
 * production (public, 1.9.4), beta (1.11.9) and qa (private, no bundle).
 */
export function sampleApp(nowMs = Date.now(), appId = SAMPLE_APP_ID): SeedApp {
  return {
    app_id: appId,
    bundles: sampleBundles(),
    bundleIntervalMs: 1.5 * DAY,
    bundleEnd: new Date(nowMs - 2 * 3_600_000),
    channels: [
      { name: 'production', version: '1.9.4', public: true },
      { name: 'beta', version: '1.11.9' },
      { name: 'qa' }
    ]
  }
}

/** One line describing the sample app, for logs. */
export const SAMPLE_DESCRIPTION =
  'app com.demo.app with 120 bundles (1.0.0 .. 1.11.9, one every 1.5 days); channels production ' +
  '(public, 1.9.4), beta (1.11.9), qa (private, no bundle)'
