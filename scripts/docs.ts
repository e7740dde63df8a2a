// npm run docs: regenerates the parts of the documentation that action.yml and examples/ already
// say, so that they cannot drift: the inputs and outputs tables of README.md, and each example
// workflow, shown in the guide under docs/ that explains it.
//
//   npm run docs            rewrite README.md and the guides (then formatted with the repo's Prettier
//                           config)
//   npm run docs -- --check exit 1, naming the files, when one differs from what `npm run docs`
//                           would write (a table that drifted from action.yml, an example edited)
//
// A document marks each generated block with a pair of HTML comments:
//   <!-- inputs:start --> ... <!-- inputs:end -->          README.md only
//   <!-- outputs:start --> ... <!-- outputs:end -->        README.md only
//   <!-- example:promote-on-tag.yml:start --> ... <!-- example:promote-on-tag.yml:end -->
// Every examples/*.yml file gets exactly one block, in README.md or in one guide (docs/*.md): a new
// example needs its marker pair somewhere (this script refuses to run without it, and refuses a
// marker whose file is gone, or a block shown twice). Everything else is written by hand.
// test/readme.test.ts and test/docs.test.ts check the same blocks.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parse } from 'yaml'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const README = path.join(ROOT, 'README.md')
export const ACTION_YML = path.join(ROOT, 'action.yml')
export const EXAMPLES_DIR = path.join(ROOT, 'examples')
export const DOCS_DIR = path.join(ROOT, 'docs')
/** README.md's name among the documents (paths relative to the repository root). */
export const README_NAME = 'README.md'
/** Blocks that only README.md may hold: the landing page keeps the interface. */
const README_ONLY = new Set(['inputs', 'outputs'])

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

/** The documents that hold each generated block, by block name. Throws on a block shown twice. */
function placesOf(documents: Record<string, string>): Map<string, string> {
  const places = new Map<string, string>()
  for (const [file, text] of Object.entries(documents)) {
    for (const name of readBlocks(text).keys()) {
      const other = places.get(name)
      if (other !== undefined) {
        throw new Error(`marker "${name}" appears in both ${other} and ${file}`)
      }
      places.set(name, file)
    }
  }
  return places
}

/**
 * The documents with every generated block replaced, by file. Pure. Throws when a marker pair is
 * missing from all of them, so that a block cannot silently disappear; when a block is shown
 * twice; when the inputs or outputs table leaves README.md; and on a marker for an example that no
 * longer exists.
 */
export function renderDocuments(
  documents: Record<string, string>,
  spec: ActionSpec,
  examples: Record<string, string>
): Record<string, string> {
  const expected = expectedBlocks(spec, examples)
  const places = placesOf(documents)
  const missing = [...expected.keys()].filter(name => !places.has(name))
  if (missing.length > 0) {
    throw new Error(
      `no document has the markers for: ${missing.join(', ')} ` +
        `(add <!-- NAME:start --> and <!-- NAME:end --> lines: the tables in ${README_NAME}, ` +
        'an example in README.md or the guide under docs/ that explains it)'
    )
  }
  const stray = [...places.keys()].filter(name => !expected.has(name))
  if (stray.length > 0) {
    throw new Error(
      `markers with nothing to generate: ${stray.map(name => `${name} (${places.get(name)})`).join(', ')}`
    )
  }
  const moved = [...README_ONLY].filter(name => places.get(name) !== README_NAME)
  if (moved.length > 0) {
    throw new Error(`${moved.join(', ')}: these tables belong in ${README_NAME}`)
  }
  const rendered: Record<string, string> = {}
  for (const [file, text] of Object.entries(documents)) {
    rendered[file] = text.replace(
      MARKER,
      (_all, name: string) =>
        `<!-- ${name}:start -->\n\n${expected.get(name)}\n\n<!-- ${name}:end -->`
    )
  }
  return rendered
}

/** One document that holds every generated block (README.md alone, as in the tests). */
export function renderReadme(
  readme: string,
  spec: ActionSpec,
  examples: Record<string, string>
): string {
  return renderDocuments({ [README_NAME]: readme }, spec, examples)[README_NAME] ?? readme
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

/**
 * The documents `npm run docs` manages, by path from the repository root: README.md, and every
 * guide under docs/ that holds a marker (the other notes there are written by hand).
 */
export function readDocuments(root = ROOT): Record<string, string> {
  const documents: Record<string, string> = {
    [README_NAME]: readFileSync(path.join(root, README_NAME), 'utf8')
  }
  const docs = path.join(root, 'docs')
  for (const file of readdirSync(docs).sort()) {
    if (!file.endsWith('.md')) continue
    const text = readFileSync(path.join(docs, file), 'utf8')
    if (readBlocks(text).size > 0) documents[`docs/${file}`] = text
  }
  return documents
}

async function formatMarkdown(text: string, file: string): Promise<string> {
  const prettier = await import('prettier')
  const options = (await prettier.resolveConfig(file)) ?? {}
  return prettier.format(text, { ...options, filepath: file })
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check')
  const documents = readDocuments()
  const spec = parseActionYaml(readFileSync(ACTION_YML, 'utf8'))
  const rendered = renderDocuments(documents, spec, readExamples())
  const stale: string[] = []
  for (const [file, text] of Object.entries(rendered)) {
    const next = await formatMarkdown(text, path.join(ROOT, file))
    if (next === documents[file]) continue
    stale.push(file)
    if (!check) writeFileSync(path.join(ROOT, file), next)
  }
  const files = Object.keys(documents).join(', ')
  if (stale.length === 0) {
    console.log(`Up to date with action.yml and examples/: ${files}.`)
  } else if (check) {
    console.error(
      `${stale.join(', ')} ${stale.length === 1 ? 'differs' : 'differ'} from action.yml or examples/ ` +
        '(or is not formatted as Prettier would): run `npm run docs`.'
    )
    process.exitCode = 1
  } else {
    console.log(`Updated from action.yml and examples/: ${stale.join(', ')}.`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
