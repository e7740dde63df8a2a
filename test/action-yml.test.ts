// action.yml is the interface: it must declare exactly what the code reads and writes.
import { describe, expect, it } from 'vitest'
import { buildReport } from '../src/report/index.js'
import { INPUT_DEFAULTS, INPUT_NAMES } from '../src/settings/index.js'
import { readActionYaml } from './helpers/action-runner.js'

const action = readActionYaml()

describe('action.yml', () => {
  it('declares exactly the inputs settings.ts reads, each with a description', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort())
    for (const [name, spec] of Object.entries(action.inputs)) {
      expect((spec as { description?: string }).description, name).toBeTruthy()
    }
  })

  it('gives the defaults settings.ts applies, and requires only api_key and app_id', () => {
    for (const name of INPUT_NAMES) {
      const declared = action.inputs[name]?.default
      const applied = (INPUT_DEFAULTS as Record<string, string | undefined>)[name]
      // An expression default is the runner's to fill in (github_token: the job's token).
      if (typeof declared === 'string' && declared.startsWith('${{')) {
        expect(applied, name).toBeUndefined()
        continue
      }
      expect(declared === undefined ? undefined : String(declared), name).toBe(applied)
    }
    expect(action.inputs.github_token?.default).toBe('${{ github.token }}')
    const required = Object.entries(action.inputs)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name)
    expect(required.sort()).toEqual(['api_key', 'app_id'])
  })

  it('declares exactly the outputs the report sets', () => {
    // A run that failed on bad input still sets every output (docs/contract.md "Every run reports").
    const { outputs } = buildReport({
      appId: '',
      dryRun: false,
      errors: ['app_id is required'],
      warnings: [],
      context: {},
      failedPhase: 'input'
    })
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(action.outputs).sort())
  })

  it('runs on node24 from dist/index.js', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })
})
