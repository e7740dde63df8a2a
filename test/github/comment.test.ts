// The preview comment (src/github/comment.ts): its marker, and the pure renderer's text, escaping
// and size limit.
import { describe, expect, it } from 'vitest'
import {
  MAX_COMMENT_LENGTH,
  commentMarker,
  renderPreviewComment
} from '../../src/github/comment.js'
import type { PreviewCommentInput } from '../../src/github/comment.js'

const APP = 'com.example.app'
const base: PreviewCommentInput = {
  appId: APP,
  channel: 'pr-42',
  version: '1.4.0-pr42.3',
  devices: ['DEVICE-A', 'device-b'],
  runUrl: 'https://github.com/octo-org/octo-app/actions/runs/123',
  sha: '5f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
  deleted: false
}

/** The text between code-span fences, in source order (a code span is literal in markdown). */
function codeSpans(markdown: string): string[] {
  const out: string[] = []
  const re = /(`+)([\s\S]*?[^`])\1(?!`)/g
  for (const m of markdown.matchAll(re)) {
    let content = m[2]!
    if (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '')
      content = content.slice(1, -1)
    out.push(content)
  }
  return out
}

describe('commentMarker', () => {
  it('is a hidden HTML comment naming the app and the channel', () => {
    expect(commentMarker(APP, 'pr-42')).toBe('<!-- capgo-release:com.example.app:pr-42 -->')
  })

  it('is unique per app and channel, even when a name holds the separator', () => {
    const markers = [
      commentMarker('a', 'b:c'),
      commentMarker('a:b', 'c'),
      commentMarker(APP, 'pr-4'),
      commentMarker(APP, 'pr-42'),
      commentMarker('com.example.other', 'pr-42'),
      commentMarker(APP, 'PR-42')
    ]
    expect(new Set(markers).size).toBe(markers.length)
    // No marker is found inside another one's comment.
    for (const a of markers)
      for (const b of markers) if (a !== b) expect(b.includes(a), `${a} in ${b}`).toBe(false)
  })

  it('cannot be closed early by a name holding --> or --!>', () => {
    for (const channel of ['x-->y', 'x--!>y', 'a -- > b', '<!-- c -->', 'é\n-->']) {
      const marker = commentMarker(APP, channel)
      expect(marker.startsWith('<!-- ')).toBe(true)
      expect(marker.indexOf('-->')).toBe(marker.length - 3)
      expect(marker).not.toContain('--!>')
      expect(marker).toMatch(/^<!-- capgo-release:[A-Za-z0-9._%-]+:[A-Za-z0-9._%-]+ -->$/)
    }
  })

  it('stays short for a very long name, and still unique', () => {
    const long = 'c'.repeat(5000)
    const a = commentMarker(APP, long)
    const b = commentMarker(APP, long + 'd')
    expect(a.length).toBeLessThan(300)
    expect(a).not.toBe(b)
    expect(a.indexOf('-->')).toBe(a.length - 3)
  })
})

describe('renderPreviewComment', () => {
  it('starts with the marker and shows the channel, its bundle, the devices, the commit and the run', () => {
    const body = renderPreviewComment(base)
    expect(body.startsWith(commentMarker(APP, 'pr-42'))).toBe(true)
    expect(body).toContain('`pr-42`')
    expect(body).toContain('`1.4.0-pr42.3`')
    expect(body).toContain('Linked devices (2)')
    expect(body).toContain('  - `DEVICE-A`')
    expect(body).toContain('  - `device-b`')
    expect(body).toContain('`5f3c2a1`')
    expect(body).toContain('(https://github.com/octo-org/octo-app/actions/runs/123)')
  })

  it('tells how a tester joins: linking the device id, or setChannel when self-set is allowed', () => {
    const body = renderPreviewComment(base)
    expect(body).toContain('device id')
    expect(body).toContain('allow_device_self_set')
    expect(codeSpans(body)).toContain('CapacitorUpdater.setChannel({ channel: "pr-42" })')
  })

  it('uses the given join hint instead, as plain text', () => {
    const body = renderPreviewComment({
      ...base,
      joinHint: 'Open Settings > Beta and pick *pr-42*'
    })
    expect(body).not.toContain('setChannel')
    expect(body).toContain('Open Settings \\> Beta and pick \\*pr\\-42\\*')
  })

  it('says when there is no bundle and no device', () => {
    const body = renderPreviewComment({ ...base, version: null, devices: [] })
    expect(body).toContain('**Bundle:** _none yet_')
    expect(body).toContain('**Linked devices:** _none_')
  })

  it('when deleted, says the preview is gone (and lists no devices)', () => {
    const body = renderPreviewComment({ ...base, deleted: true })
    expect(body.startsWith(commentMarker(APP, 'pr-42'))).toBe(true)
    expect(body).toMatch(/preview `pr-42` is gone/)
    expect(body).toContain('was deleted')
    expect(body).not.toContain('DEVICE-A')
    expect(body).not.toContain('How a tester joins')
    expect(renderPreviewComment(base)).not.toContain('is gone')
  })

  it('escapes every value: no HTML, no breaking out of code spans, no --> but the marker', () => {
    const evil = {
      appId: 'com.evil.app`<img src=x onerror=alert(1)>',
      channel: 'pr-1 --> <script>alert(1)</script> `` ` ',
      version: '1.0.0```\n# Heading\n[x](javascript:alert(1))',
      devices: ['<b>bold</b>', '`', '@octocat', 'a|b', 'x-->y<!--z'],
      runUrl: 'https://example.com/run?a=1)<script>[x](y)',
      sha: '`inject`',
      deleted: false,
      joinHint: '<img src=x> **bold** [link](https://evil.example) `code` --> @octocat'
    }
    const body = renderPreviewComment(evil)
    // Only the marker's own comment delimiters.
    expect(body.match(/-->/g)).toHaveLength(1)
    expect(body.match(/<!--/g)).toHaveLength(1)
    // Every '<' outside the marker sits inside a code span or is backslash-escaped.
    const outsideCode = body
      .slice(commentMarker(evil.appId, evil.channel).length)
      .replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, '')
    expect(outsideCode).not.toMatch(/(^|[^\\])</)
    expect(outsideCode).not.toMatch(/(^|[^\\])\[link\]/)
    expect(outsideCode).not.toContain('# Heading')
    // The values survive literally inside their code spans (line breaks become spaces).
    const spans = codeSpans(body)
    expect(spans).toContain('<b>bold</b>')
    expect(spans).toContain('`')
    expect(spans).toContain('@octocat')
    expect(spans.some(s => s.startsWith('com.evil.app`<img'))).toBe(true)
    expect(spans.some(s => s.startsWith('1.0.0``` # Heading'))).toBe(true)
    // The link target cannot be closed early.
    expect(body).toContain('(https://example.com/run?a=1%29%3Cscript%3E%5Bx%5D%28y%29)')
    // One line per list item: no value injects a new line.
    expect(body.split('\n').filter(l => l.startsWith('# '))).toEqual([])
  })

  it('links only an http(s) run URL', () => {
    expect(renderPreviewComment({ ...base, runUrl: 'javascript:alert(1)' })).not.toContain(
      'javascript'
    )
    expect(renderPreviewComment({ ...base, runUrl: 'not a url' })).not.toContain('workflow run')
  })

  it(`stays under GitHub's ${MAX_COMMENT_LENGTH} characters, cutting the device list with a count`, () => {
    const devices = Array.from(
      { length: 5000 },
      (_, i) => `device-${String(i).padStart(5, '0')}-${'x'.repeat(40)}`
    )
    const body = renderPreviewComment({ ...base, devices })
    expect(body.length).toBeLessThan(MAX_COMMENT_LENGTH)
    expect(body).toContain('Linked devices (5000)')
    const listed = body.split('\n').filter(l => l.startsWith('  - `device-')).length
    expect(listed).toBeGreaterThan(100)
    expect(listed).toBeLessThan(5000)
    expect(body).toContain(`… and ${5000 - listed} more`)
    // The run link and the join hint still come after the cut list.
    expect(body).toContain('How a tester joins')
    expect(body).toContain('actions/runs/123')
  })

  it('cuts huge values too', () => {
    const huge = 'v'.repeat(100_000)
    const body = renderPreviewComment({
      ...base,
      appId: huge,
      channel: huge,
      version: huge,
      joinHint: huge,
      devices: [huge, huge + '2']
    })
    expect(body.length).toBeLessThan(MAX_COMMENT_LENGTH)
  })

  it('lists each device once', () => {
    const body = renderPreviewComment({ ...base, devices: ['a1', 'a1', ' ', 'b2'] })
    expect(body).toContain('Linked devices (2)')
    expect(body.match(/`a1`/g)).toHaveLength(1)
  })
})
