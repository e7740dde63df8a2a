// Safe text: a server value can never become a workflow command in the log, or markup, a link or
// a heading in the job summary. Each escaper is checked against the parser it protects from.
import fc from 'fast-check'
import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import { clip, logSafe, mdCell, mdCode, mdText, plural } from '../src/text.js'

/** Names a hostile or careless uploader could give a bundle or a channel. */
export const HOSTILE = [
  'x\n::error title=Capgo::Release blocked',
  '\r# Heading <img src=x onerror=alert(1)>',
  'a|b',
  'a`b``c',
  '`x`',
  '[link](https://evil.example)',
  '![img](https://evil.example/x.png)',
  '<script>alert(1)</script>',
  'https://evil.example',
  'www.evil.example',
  'me@evil.example',
  'a\\|b',
  '*em* _em_ ~~s~~ $x$',
  '- item',
  '1. one',
  '> quote',
  '&lt;img&gt;',
  '  ::warning::x',
  'foo ##[error]bar',
  '\u001b[31mred\u001b[0m',
  'a\u2028::error::b',
  '\u202eevil'
]

/** Text as the browser shows it: tags removed, entities decoded. */
function shown(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The printable ASCII and a few others: the characters that make markdown. */
const markdownish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'\\`*_~[]()!|<>&#:@$-+=.{}"\' \t\n\r'.split('')),
      fc.constantFrom('www.', 'http://', '::', '##[', '1.', 'a', 'b', 'é', '😀', '\u0000')
    ),
    { maxLength: 30 }
  )
  .map(parts => parts.join(''))

const visible = (s: string): string =>
  s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\0/g, '\\u0000')

describe('logSafe: a server value in the log, an annotation or an error message', () => {
  it('shows line breaks and control characters instead of writing them', () => {
    expect(logSafe('x\n::error title=Capgo::Release blocked')).toBe(
      'x\\n::error title=Capgo::Release blocked'
    )
    expect(logSafe('a\r\nb\tc\u001bd\u2028e\u202ef')).toBe('a\\r\\nb\\tc\\u001bd\\u2028e\\u202ef')
  })

  it('never lets a line start with "::" (the runner skips leading spaces)', () => {
    expect(logSafe('::error::x')).toBe('\\::error::x')
    expect(logSafe('  ::warning::x')).toBe('  \\::warning::x')
    expect(logSafe('a::b')).toBe('a::b')
  })

  it('breaks up the legacy "##[command]" form, which the runner finds anywhere in a line', () => {
    expect(logSafe('foo ##[error]bar')).not.toContain('##[')
  })

  it('keeps ordinary text as it is (a version, a message with % and quotes)', () => {
    expect(logSafe('1.0.0-beta.1+build')).toBe('1.0.0-beta.1+build')
    expect(logSafe('50% of "x" at [::1]')).toBe('50% of "x" at [::1]')
  })

  it('for any text: one line, no control character, no command at the start or after a prefix', () => {
    fc.assert(
      fc.property(markdownish, fc.string(), (value, prefix) => {
        const safe = logSafe(value)
        // eslint-disable-next-line no-control-regex -- looking for control characters
        expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
        expect(safe.trimStart().startsWith('::')).toBe(false)
        expect(safe).not.toContain('##[')
        // A line that begins with a safe value (after any indentation) is not a command.
        for (const line of `${' '.repeat(prefix.length % 4)}${safe}`.split(/\r?\n/)) {
          expect(line.trimStart().startsWith('::')).toBe(false)
        }
      })
    )
  })
})

describe('mdCode: a code span holds the value exactly', () => {
  it('chooses a fence longer than any run of backticks, padded when the text touches it', () => {
    expect(mdCode('a`b``c')).toBe('```a`b``c```')
    expect(mdCode('`x`')).toBe('`` `x` ``')
    expect(mdCode('1.0.0')).toBe('`1.0.0`')
  })

  it('escapes | inside a table cell only', () => {
    expect(mdCode('a|b', { inTable: true })).toBe('`a\\|b`')
    expect(mdCode('a|b')).toBe('`a|b`')
  })

  it('for any text: marked shows exactly the text (line breaks shown as \\n), in a paragraph and in a table', () => {
    fc.assert(
      fc.property(markdownish, value => {
        fc.pre(!/^[ ]*$/.test(visible(value)))
        const paragraph = marked.parse(mdCode(value), { async: false })
        expect(paragraph).toMatch(/^<p><code>[^<]*<\/code><\/p>\n$/)
        expect(shown(paragraph).slice(0, -1)).toBe(visible(value))
        const table = marked.parse(
          `| a | b |\n| --- | --- |\n| ${mdCode(value, { inTable: true })} | end |\n`,
          { async: false }
        )
        const cells = [...table.matchAll(/<td>([\s\S]*?)<\/td>/g)].map(m => m[1]!)
        expect(cells).toHaveLength(2)
        expect(cells[0]).toMatch(/^<code>[^<]*<\/code>$/)
        expect(shown(cells[0]!)).toBe(visible(value))
        expect(cells[1]).toBe('end')
      }),
      { numRuns: 500 }
    )
  })
})

describe('mdText and mdCell: plain text in a paragraph, a list item or a table cell', () => {
  it('escapes HTML, links, images, emphasis and a leading heading mark', () => {
    expect(mdText('<b>&')).toBe('&lt;b&gt;&amp;')
    expect(mdText('# x')).toBe('\\# x')
    expect(mdCell('[a](b)')).toBe('\\[a\\]\\(b\\)')
    expect(mdCell('a|b')).toBe('a\\|b')
    expect(mdText('max_delete')).toBe('max_delete')
    expect(mdText('_x_')).toBe('\\_x\\_')
  })

  it('for any text: marked makes no tag and no link from it, and shows the text (trimmed)', () => {
    fc.assert(
      fc.property(markdownish, value => {
        for (const html of [
          marked.parse(`- ${mdText(value)}\n`, { async: false }),
          marked.parse(`${mdText(value)}\n`, { async: false })
        ]) {
          const inner = html.replace(/^<(ul|p)>\n?(<li>)?|(<\/li>\n)?<\/(ul|p)>\n$/g, '')
          expect(inner, html).not.toMatch(/<(?!br>)/)
          if (inner.trim()) expect(shown(inner).trim()).toBe(visible(value).trim())
        }
        const table = marked.parse(`| a | b |\n| --- | --- |\n| ${mdCell(value)} | end |\n`, {
          async: false
        })
        const cells = [...table.matchAll(/<td>([\s\S]*?)<\/td>/g)].map(m => m[1]!)
        expect(cells).toHaveLength(2)
        expect(cells[0]).not.toMatch(/</)
        expect(shown(cells[0]!)).toBe(visible(value).trim())
      }),
      { numRuns: 500 }
    )
  })

  it('the hostile names make no tag, heading, link or image in any context', () => {
    for (const name of HOSTILE) {
      const md = [
        '| a | b | c |',
        '| --- | --- | --- |',
        `| ${mdCode(name, { inTable: true })} | ${mdCell(name)} | z |`,
        '',
        `- ${mdText(name)}`,
        '',
        mdText(name),
        '',
        `### Channel ${mdCode(name)}`
      ].join('\n')
      const html = marked.parse(md, { async: false })
      expect(html, name).not.toMatch(/<(img|script|a[\s>]|h[12456])/)
      expect(html.match(/<h3>/g), name).toHaveLength(1)
      expect(html.match(/<tr>/g), name).toHaveLength(2)
      expect(html.match(/<td>/g), name).toHaveLength(3)
    }
  })
})

describe('small helpers', () => {
  it('clip cuts with an ellipsis and never splits a surrogate pair', () => {
    expect(clip('abcdef', 4)).toBe('abc…')
    expect(clip('abc', 4)).toBe('abc')
    expect(clip('ab😀cd', 4)).toBe('ab…')
  })

  it('plural says "1 bundle" and "3 bundles"', () => {
    expect(plural(1, 'bundle')).toBe('1 bundle')
    expect(plural(3, 'bundle')).toBe('3 bundles')
    expect(plural(0, 'bundle')).toBe('0 bundles')
  })
})
