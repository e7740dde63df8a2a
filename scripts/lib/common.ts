// Shared bits of scripts/demo.ts and scripts/bench.ts: the dist check, request counts and plain
// text tables. Tools for people, not part of the action.

import { existsSync } from 'node:fs'
import { DIST } from '../../test/helpers/action-runner.js'
import type { LoggedRequest } from '../../test/emulator/index.js'

/** The scripts run the committed build: without it there is nothing to show. */
export function requireDist(): void {
  if (!existsSync(DIST)) {
    console.error('dist/index.js is missing: run npm run build first')
    process.exit(1)
  }
}

/** Requests by "METHOD /path", in order of first appearance. */
export function countByRoute(requests: readonly LoggedRequest[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of requests) {
    const route = `${r.method} ${r.path}`
    counts.set(route, (counts.get(route) ?? 0) + 1)
  }
  return counts
}

export function formatCounts(counts: Map<string, number>, separator = ', '): string {
  return [...counts].map(([route, n]) => `${route} ${n}`).join(separator)
}

/** Left-aligned columns, two spaces apart; `right` lists the columns to align right. */
export function alignColumns(rows: string[][], right: readonly number[] = []): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))))
  }
  return rows.map(row =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - visibleLength(cell))
        return right.includes(i) ? pad + cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  )
}

/** A Markdown table (header row, then rows), columns padded so it also reads well as text. */
export function markdownTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(3, ...all.map(r => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c + ' '.repeat(widths[i]! - visibleLength(c))).join(' | ')} |`
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)]
}

/**
 * The length a terminal shows: code points, with emoji counted as two columns and variation
 * selectors as none (good enough for the summaries' 🗑️ and 🛡️).
 */
export function visibleLength(text: string): number {
  let n = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp === 0xfe0f || cp === 0x200d) continue
    n += cp >= 0x1f000 || (cp >= 0x2600 && cp <= 0x27bf) ? 2 : 1
  }
  return n
}

export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`
}
