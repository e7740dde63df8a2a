// The pull request comment of a preview channel: its hidden marker and its text. Pure: no I/O.
import { createHash } from 'node:crypto'

/** GitHub refuses a comment body longer than this. */
export const MAX_COMMENT_LENGTH = 65_536
/** The body stays this far below GitHub's limit (GitHub counts characters; we count UTF-16 units). */
const BODY_BUDGET = MAX_COMMENT_LENGTH - 1_024
/** Longest app id, channel, version or device id shown; longer ones are cut with "…". */
const MAX_VALUE = 200
const MAX_HINT = 2_000
/** A longer (encoded) name is shortened in the marker and made unique again by a hash. */
const MAX_MARKER_PART = 120

export interface PreviewCommentInput {
  appId: string
  channel: string
  /** The channel's bundle, or null when it has none. */
  version: string | null
  /** Device ids linked to the channel. */
  devices: string[]
  /** What each device runs now (`runs 1.11.9`, `still on 1.9.4`, `not seen by Capgo yet`). */
  deviceStates?: Record<string, string>
  /** The workflow run (http or https); anything else is not linked. */
  runUrl?: string
  /** The commit of the run. */
  sha?: string
  /** True when this run deleted the channel: the comment says the preview is gone. */
  deleted: boolean
  /** How a tester joins the channel (plain text); a default explains both ways when absent. */
  joinHint?: string
}

/**
 * The hidden marker by which the action finds its own comment again: one per app and channel.
 * Every character outside `[A-Za-z0-9._-]` is percent-encoded, so a name can neither end the HTML
 * comment (`-->`, `--!>`) nor make two app/channel pairs share a marker (`:` is encoded). A very
 * long name keeps its start and gains a hash of the whole (`~` never appears otherwise).
 */
export function commentMarker(appId: string, channel: string): string {
  return `<!-- capgo-release:${markerPart(appId)}:${markerPart(channel)} -->`
}

/** The comment's markdown: the channel, its bundle, the linked devices, how to join, the run. */
export function renderPreviewComment(input: PreviewCommentInput): string {
  const channel = code(input.channel)
  const head = [commentMarker(input.appId, input.channel)]
  const tail: string[] = []
  const app = `- **App:** ${code(input.appId)}`
  const sha = input.sha?.trim() ?? ''
  const commit =
    sha === ''
      ? []
      : [`- **Commit:** ${code(/^[0-9a-f]{7,64}$/i.test(sha) ? sha.slice(0, 7) : sha)}`]
  const run = runLink(input.runUrl)

  if (input.deleted) {
    head.push(
      `### Capgo preview ${channel} is gone`,
      '',
      `This preview was removed: the channel ${channel} was deleted` +
        (input.version ? `, and its last bundle was ${code(input.version)}.` : '.') +
        ' Devices that were linked to it no longer get its updates.',
      '',
      app,
      ...commit
    )
    if (run) tail.push('', `Deleted by ${run}.`)
    return head.concat(tail).join('\n') + '\n'
  }

  head.push(
    `### Capgo preview ${channel}`,
    '',
    app,
    `- **Channel:** ${channel}`,
    `- **Bundle:** ${input.version ? code(input.version) : '_none yet_'}`,
    ...commit
  )
  tail.push(
    '',
    `**How a tester joins:** ${input.joinHint ? text(input.joinHint) : defaultJoinHint(input.channel)}`
  )
  if (run) tail.push('', `Updated by ${run}.`)

  const devices = [...new Set(input.devices.filter(d => d.trim() !== ''))]
  if (devices.length === 0) {
    head.push('- **Linked devices:** _none_')
    return head.concat(tail).join('\n') + '\n'
  }
  head.push(`- **Linked devices (${devices.length}):**`)
  // Devices are listed while the body stays under GitHub's limit; the rest are counted.
  let length = head.concat(tail).join('\n').length + 100
  const shown: string[] = []
  for (const device of devices) {
    const state = input.deviceStates?.[device]
    const line = `  - ${code(device)}${state ? ` — ${stateText(state)}` : ''}`
    if (length + line.length + 1 > BODY_BUDGET) break
    shown.push(line)
    length += line.length + 1
  }
  const hidden = devices.length - shown.length
  if (hidden > 0) shown.push(`  - _… and ${hidden} more, not listed here_`)
  return head.concat(shown, tail).join('\n') + '\n'
}

function defaultJoinHint(channel: string): string {
  const call = `CapacitorUpdater.setChannel({ channel: ${JSON.stringify(shorten(clean(channel)))} })`
  return (
    'the team links the tester’s device to this channel by its device id (the `devices` input of ' +
    'this workflow, or Capgo’s dashboard); or, when the channel allows device self-assignment ' +
    `(\`allow_device_self_set\`), the app joins it with ${code(call)}.`
  )
}

// ---- escaping --------------------------------------------------------------------------------

function markerPart(value: string): string {
  const encoded = Array.from(new TextEncoder().encode(value), byte => {
    const char = String.fromCharCode(byte)
    return /[A-Za-z0-9._-]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
  if (encoded.length <= MAX_MARKER_PART) return encoded
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 16)
  return `${encoded.slice(0, MAX_MARKER_PART - 17)}~${hash}`
}

/** Control characters and line breaks become spaces; HTML comment delimiters are broken apart. */
function clean(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
      // A zero-width space keeps `<!--`, `-->` and `--!>` out of the body (only our marker has one).
      .replace(/<!--/g, '<!\u200b--')
      .replace(/--(!?)>/g, '--$1\u200b>')
  )
}

function shorten(value: string, max = MAX_VALUE): string {
  const chars = [...value]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : value
}

/**
 * A value as an inline code span: rendered literally by GitHub (no HTML, no links, no mentions),
 * fenced with more backticks than the value holds so that it cannot close the span early.
 */
function code(value: string): string {
  const content = shorten(clean(value))
  if (content.trim() === '') return '_(empty)_'
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longestRun + 1)
  const pad = /^[` ]|[` ]$/.test(content) ? ' ' : ''
  return `${fence}${pad}${content}${pad}${fence}`
}

/** Plain text in markdown: every ASCII punctuation mark that markdown or HTML reads is escaped. */
function text(value: string): string {
  return shorten(clean(value), MAX_HINT)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_{}[\]()<>#+\-.!|~&"'=$:;/?%^@]/g, char => `\\${char}`)
}

/** `[workflow run](url)` for an http(s) URL, with every character that could end the link encoded. */
function runLink(url: string | undefined): string | undefined {
  if (url === undefined || url.trim() === '') return undefined
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
  const href = parsed.href.replace(
    /[()<>\s"'`\\[\]]/g,
    char => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
  )
  return `[the workflow run](${href})`
}

/** `runs 1.0.9` with the version as code (a version is data, not prose). */
function stateText(state: string): string {
  const match = /^(runs|still on) (.+)$/.exec(state)
  return match ? `${match[1]} ${code(match[2]!)}` : text(state)
}
