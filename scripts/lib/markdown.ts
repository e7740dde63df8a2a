// The job summary (GitHub-flavoured Markdown) as terminal text: tables become aligned columns,
// emphasis and code marks go, links show their address. Simple on purpose: anything it does not
// know is printed as it is.

import { alignColumns, visibleLength } from './common.js'

/** `maxTableRows` cuts long tables (the bundle table holds up to 50 rows). */
export function markdownToText(markdown: string, maxTableRows = Infinity): string[] {
  const out: string[] = []
  const lines = markdown.replace(/\r\n/g, '\n').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (isTableRow(line)) {
      const rows: string[][] = []
      while (i < lines.length && isTableRow(lines[i]!)) {
        const cells = splitRow(lines[i]!)
        if (!cells.every(cell => /^:?-{3,}:?$/.test(cell))) rows.push(cells.map(inline))
        i++
      }
      i--
      const [header, ...body] = alignColumns(rows)
      if (header !== undefined) {
        const rule = '-'.repeat(Math.max(...[header, ...body].map(r => visibleLength(r))))
        out.push(header, rule, ...body.slice(0, maxTableRows))
        if (body.length > maxTableRows)
          out.push(`… ${body.length - maxTableRows} more rows of this table`)
      }
      continue
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line)
    if (heading) {
      const text = inline(heading[2]!)
      out.push(text, (heading[1]!.length <= 2 ? '=' : '-').repeat(Math.min(text.length, 100)))
      continue
    }
    const alert = /^>\s*\[!(\w+)\]\s*$/.exec(line)
    if (alert) {
      out.push(`[${alert[1]}]`)
      continue
    }
    out.push(inline(line.replace(/^>\s?/, '  ')))
  }
  // No runs of blank lines, none at the ends.
  return out
    .filter((l, i, all) => l.trim() !== '' || (i > 0 && all[i - 1]!.trim() !== ''))
    .join('\n')
    .trim()
    .split('\n')
}

function isTableRow(line: string): boolean {
  return /^\s*\|.*\|\s*$/.test(line)
}

/** Cells of `| a | b \| c |`: an escaped pipe stays in its cell. */
function splitRow(line: string): string[] {
  const inner = line.trim().slice(1, -1)
  const cells: string[] = []
  let cell = ''
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!
    if (ch === '\\' && inner[i + 1] === '|') {
      cell += '|'
      i++
    } else if (ch === '|') {
      cells.push(cell.trim())
      cell = ''
    } else cell += ch
  }
  cells.push(cell.trim())
  return cells
}

function inline(text: string): string {
  return text
    .replace(/<\/?sub>/g, '')
    .replace(/\[([^\]]*)\]\(([^)]*)\)/g, '$1 <$2>')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
}
