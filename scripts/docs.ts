// npm run docs: regenerates the parts of README.md that action.yml and examples/ already say, so
// that they cannot drift: the inputs table, the outputs table, and each example workflow.
//
//   npm run docs            rewrite README.md (then formatted with the repo's Prettier config)
//   npm run docs -- --check exit 1 when README.md differs from what `npm run docs` would write
//
// The README marks each generated block with a pair of HTML comments:
//   <!-- inputs:start --> ... <!-- inputs:end -->
//   <!-- outputs:start --> ... <!-- outputs:end -->
//   <!-- example:promote-on-tag.yml:start --> ... <!-- example:promote-on-tag.yml:end -->
// Every examples/*.yml file gets its own block: a new example needs its marker pair in the README
// (this script refuses to run without it, and refuses a marker whose file is gone).
// Everything else in the README is written by hand. test/readme.test.ts checks the same blocks.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const README = path.join(ROOT, 'README.md')
export const ACTION_YML = path.join(ROOT, 'action.yml')
export const EXAMPLES_DIR = path.join(ROOT, 'examples')

export interface ActionInput {
  description?: string
  required?: boolean
  default?: string | number | boolean
}

export interface ActionSpec {
  inputs: Record<string, ActionInput>
  outputs: Record<string, { description?: string }>
}

/** action.yml's inputs and outputs, in the order the file declares them. */
export function parseActionYaml(text: string): ActionSpec {
  const doc = parse(text) as Partial<ActionSpec> | null
  if (!doc || typeof doc !== 'object') throw new Error('action.yml: not a YAML mapping')
  return { inputs: doc.inputs ?? {}, outputs: doc.outputs ?? {} }
}

/** One table cell: a single line, pipes escaped. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim()
}

function code(text: string): string {
  return `\`${text}\``
}

export function inputsTable(spec: ActionSpec): string {
  const rows = Object.entries(spec.inputs).map(([name, input]) => {
    const fallback = input.default === undefined ? '' : code(String(input.default))
    return `| ${code(name)} | ${input.required === true ? 'yes' : 'no'} | ${fallback} | ${cell(input.description ?? '')} |`
  })
  return [
    '| input | required | default | description |',
    '| --- | --- | --- | --- |',
    ...rows
  ].join('\n')
}

export function outputsTable(spec: ActionSpec): string {
  const rows = Object.entries(spec.outputs).map(
    ([name, output]) => `| ${code(name)} | ${cell(output.description ?? '')} |`
  )
  return ['| output | description |', '| --- | --- |', ...rows].join('\n')
}

/** A workflow file as the README shows it: a fenced YAML block under its path. */
export function exampleBlock(file: string, content: string): string {
  return `\`examples/${file}\`:\n\n\`\`\`yaml\n${content.trimEnd()}\n\`\`\``
}

// Only these names: other marker pairs (such as bench:start/bench:end) belong to other tools.
const MARKER = /<!-- (inputs|outputs|example:[\w.-]+):start -->\n([\s\S]*?)\n?<!-- \1:end -->/g

/** The generated blocks of a README, by marker name (`inputs`, `example:foo.yml`, ...). */
export function readBlocks(readme: string): Map<string, string> {
  const blocks = new Map<string, string>()
  for (const match of readme.matchAll(MARKER)) {
    const [, name = '', body = ''] = match
    if (blocks.has(name)) throw new Error(`README.md: marker "${name}" appears twice`)
    blocks.set(name, body.trim())
  }
  return blocks
}

/** What each generated block must hold, given action.yml and the example files. */
export function expectedBlocks(
  spec: ActionSpec,
  examples: Record<string, string>
): Map<string, string> {
  const blocks = new Map<string, string>([
    ['inputs', inputsTable(spec)],
    ['outputs', outputsTable(spec)]
  ])
  for (const [file, content] of Object.entries(examples)) {
    blocks.set(`example:${file}`, exampleBlock(file, content))
  }
  return blocks
}

/**
 * The README with every generated block replaced. Pure. Throws when a marker pair is missing,
 * so that a block cannot silently disappear; a marker for an example that no longer exists is
 * an error too.
 */
export function renderReadme(
  readme: string,
  spec: ActionSpec,
  examples: Record<string, string>
): string {
  const expected = expectedBlocks(spec, examples)
  const present = readBlocks(readme)
  const missing = [...expected.keys()].filter(name => !present.has(name))
  if (missing.length > 0) {
    throw new Error(
      `README.md lacks the markers for: ${missing.join(', ')} ` +
        `(add <!-- NAME:start --> and <!-- NAME:end --> lines)`
    )
  }
  const stray = [...present.keys()].filter(name => !expected.has(name))
  if (stray.length > 0) {
    throw new Error(`README.md has markers with nothing to generate: ${stray.join(', ')}`)
  }
  return readme.replace(
    MARKER,
    (_all, name: string) =>
      `<!-- ${name}:start -->\n\n${expected.get(name)}\n\n<!-- ${name}:end -->`
  )
}

/**
 * A Markdown table as rows of trimmed cells, the delimiter row dropped: two tables that differ
 * only in how Prettier padded them compare equal.
 */
export function tableCells(table: string): string[][] {
  return table
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.startsWith('|'))
    .map(line =>
      line
        .replace(/^\|/, '')
        .replace(/(?<!\\)\|$/, '')
        .split(/(?<!\\)\|/)
        .map(c => c.trim())
    )
    .filter(cells => !cells.every(c => /^:?-+:?$/.test(c)))
}

/** Every examples/*.yml file, by file name, sorted. */
export function readExamples(dir = EXAMPLES_DIR): Record<string, string> {
  const examples: Record<string, string> = {}
  for (const file of readdirSync(dir).sort()) {
    if (/\.ya?ml$/.test(file)) examples[file] = readFileSync(path.join(dir, file), 'utf8')
  }
  return examples
}

async function formatMarkdown(text: string, file: string): Promise<string> {
  const prettier = await import('prettier')
  const options = (await prettier.resolveConfig(file)) ?? {}
  return prettier.format(text, { ...options, filepath: file })
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check')
  const readme = readFileSync(README, 'utf8')
  const spec = parseActionYaml(readFileSync(ACTION_YML, 'utf8'))
  const next = await formatMarkdown(renderReadme(readme, spec, readExamples()), README)
  if (next === readme) {
    console.log('README.md is up to date with action.yml and examples/.')
    return
  }
  if (check) {
    console.error('README.md differs from action.yml or examples/: run `npm run docs`.')
    process.exitCode = 1
    return
  }
  writeFileSync(README, next)
  console.log('README.md updated from action.yml and examples/.')
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
