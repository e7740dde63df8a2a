// Safe text: every string the server gave (bundle and channel names, dates, messages) passes
// through one of these before it reaches the log or the job summary. One helper per context:
//   logSafe  a log line, an annotation, an error message
//   mdText   a paragraph, a list item or a heading of the job summary
//   mdCell   a table cell of the job summary
//   mdCode   a code span of the job summary (in a table cell or not)
// A name can hold anything Capgo accepted: a newline followed by `::error::`, HTML, a markdown
// link. None of it may become a workflow command, markup or a link.

/**
 * Characters that end a line or hide text: C0/C1 controls, DEL, the Unicode line and paragraph
 * separators, and the bidirectional overrides that can make text read differently than it is.
 */
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** Renders line breaks and other hidden characters visibly (`\n`, `\r`, `\t`, `\u001b`). */
function showHidden(text: string): string {
  return text.replace(
    HIDDEN,
    c => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
}

/**
 * For a log line, an annotation or an error message: one line, which the runner cannot read as a
 * workflow command. Line breaks and control characters are shown as `\n`, `\r`, `\u001b`..., so
 * no `::command::` can start a line of its own; a value that begins (after spaces, which the
 * runner skips) with `::` gets a backslash in front; the legacy `##[command]` form, which the
 * runner finds anywhere in a line, is broken up the same way.
 *
 * `%` is left as it is: it only means something inside a command, and @actions/core escapes `%`,
 * CR and LF itself (escapeData) when the text becomes an annotation's message.
 */
export function logSafe(value: string): string {
  return showHidden(String(value))
    .replace(/^(\s*)::/u, '$1\\::')
    .replace(/##\[/g, '#\\#[')
}

/** `&`, `<`, `>` as entities: no HTML tag or entity from data reaches the page. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Backslash-escapes the markdown punctuation that can make markup: code spans, emphasis and
 * strikethrough, links and images, math, table pipes, and the `:`, `@` and `www.` that GitHub
 * turns into links by themselves (autolinks). `_` between two letters or digits cannot make
 * emphasis and stays as it is (so `max_delete` reads as written in the markdown source too).
 */
function escapeInline(text: string): string {
  return escapeHtml(text)
    .replace(/[\\`*~[\]!|$:@{}()]/g, '\\$&')
    .replace(/_/g, (underscore, offset: number, whole: string) =>
      /[\p{L}\p{N}]/u.test(whole[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(whole[offset + 1] ?? '')
        ? underscore
        : '\\_'
    )
    .replace(/(www)\./gi, '$1\\.')
}

/** What can start a block at the beginning of a line: heading, quote, list, rule, setext line. */
function escapeBlockStart(text: string): string {
  return text.replace(/^(\s*)(?:([#>+=-])|(\d+)([.)]))/u, (_m, space: string, mark, digits, dot) =>
    mark !== undefined ? `${space}\\${mark}` : `${space}${digits}\\${dot}`
  )
}

/** For a paragraph, a list item or a heading of the job summary: plain text on one line. */
export function mdText(value: string): string {
  return escapeBlockStart(escapeInline(showHidden(String(value))))
}

/** For a table cell of the job summary: plain text that cannot end the cell or the row. */
export function mdCell(value: string): string {
  return escapeBlockStart(escapeInline(showHidden(String(value))))
}

/**
 * A code span holding `value` exactly (hidden characters shown as `\n`...): the fence is one
 * backtick longer than the longest run of backticks inside, and a space pads both ends when the
 * text begins or ends with a backtick or a space (CommonMark strips one such space on each side).
 * In a table cell (`inTable`) a `|` is written `\|`, which GitHub's table parser turns back into
 * `|` inside the code span. A backslash right before a `|` cannot be written in a code span
 * without markdown parsers disagreeing on the cell's end; such a value is written as `<code>`
 * with escaped text instead.
 */
export function mdCode(value: string, options: { inTable?: boolean } = {}): string {
  const text = showHidden(String(value))
  if (text === '') return '` `'
  if (options.inTable && /\\\|/.test(text)) return `<code>${escapeInline(text)}</code>`
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longestRun + 1)
  const pad = /^[` ]|[` ]$/.test(text) && !/^ +$/.test(text) ? ' ' : ''
  const body = options.inTable ? text.replace(/\|/g, '\\|') : text
  return `${fence}${pad}${body}${pad}${fence}`
}

/** Cuts `text` to at most `max` characters, ending with "…" when it was cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  // Do not split a surrogate pair.
  let end = max - 1
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}

/** "1 bundle", "3 bundles". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`
}
