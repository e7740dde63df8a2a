// The job summary's markdown helpers: each value from the server or the inputs goes through the
// escaper of its context (src/text.ts), clipped to a length a reader can take in.

import { clip, mdCell, mdCode, mdText } from '../text.js'

/** A cell's or a message's text, at most (characters). */
export const TEXT_CHARS = 500

export const code = (value: string): string => mdCode(clip(value, TEXT_CHARS))
export const cellCode = (value: string): string =>
  mdCode(clip(value, TEXT_CHARS), { inTable: true })
export const cell = (value: string): string => mdCell(clip(value, TEXT_CHARS))
export const text = (value: string): string => mdText(clip(value, TEXT_CHARS * 4))
export const bytes = (value: string): number => Buffer.byteLength(value, 'utf8')

/**
 * A message (an error or a warning) as a paragraph or list item: its `code spans` (the action
 * writes inputs and permissions that way, e.g. `deployments: write`) stay code spans, through
 * mdCode; every other character goes through mdText. A backtick without its pair is plain text.
 * Whatever the server put in a message, it can only become text or a code span.
 */
export function messageMarkdown(message: string): string {
  const clipped = clip(message, TEXT_CHARS * 4)
  const parts: string[] = []
  let last = 0
  for (const match of clipped.matchAll(/`([^`\r\n]+)`/g)) {
    parts.push(mdText(clipped.slice(last, match.index)), mdCode(match[1]!))
    last = match.index + match[0].length
  }
  parts.push(mdText(clipped.slice(last)))
  return parts.join('')
}
