// Secret redaction: every text a server sent back (an error message, a page of HTML) and every
// settings problem passes through `redact` before it is stored or shown, so no key or token
// reaches the log, an annotation or the job summary, in any form a server may echo it.

const MAX_SERVER_TEXT = 300
/** Longer texts are cut before they are searched, so a huge error page costs little. */
const SEARCHED_CHARS = 64 * 1024
/** Encoded forms are searched only for secrets this long: shorter ones would match by chance. */
const MIN_ENCODED_SECRET = 6

/** One case-insensitive pattern per secret, built once (the same key is redacted many times). */
const patterns = new Map<string, { pattern: RegExp; longest: number }>()

/**
 * Replace every occurrence of each secret in `text` with `***`, and shorten the result to `max`
 * characters. Besides the secret itself, in any letter case, it finds the forms a server may echo:
 * URL-encoded, JSON-escaped, hex, and base64 (standard and URL-safe, padded or not, and inside a
 * longer base64 text such as a Basic authorization header).
 */
export function redact(text: string, secrets: readonly string[], max = MAX_SERVER_TEXT): string {
  const cut = text.length > SEARCHED_CHARS
  let out = cut ? text.slice(0, SEARCHED_CHARS) : text
  let longest = 0
  for (const secret of secrets) {
    if (secret.length === 0) continue
    const entry = patternFor(secret)
    longest = Math.max(longest, entry.longest)
    out = out.replace(entry.pattern, '***')
  }
  // A secret that straddled the cut left its beginning at the end: drop that tail.
  if (cut) out = `${out.slice(0, Math.max(0, out.length - longest))}…`
  return out.length > max ? `${out.slice(0, max)}…` : out
}

function patternFor(secret: string): { pattern: RegExp; longest: number } {
  let entry = patterns.get(secret)
  if (!entry) {
    const forms = [...new Set(secretForms(secret))].filter(form => form.length > 0)
    forms.sort((a, b) => b.length - a.length)
    entry = {
      pattern: new RegExp(forms.map(escapeRegExp).join('|'), 'gi'),
      longest: forms[0]?.length ?? 0
    }
    patterns.set(secret, entry)
  }
  return entry
}

/** The secret and the forms a server may send it back in. */
function secretForms(secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]
  if (secret.length < MIN_ENCODED_SECRET) return forms
  const bytes = Buffer.from(secret, 'utf8')
  forms.push(bytes.toString('hex'))
  for (const base64 of base64Forms(bytes)) {
    forms.push(base64, base64.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return forms
}

/**
 * The base64 characters that depend only on the secret's bytes, for each of the 3 positions the
 * secret may start at inside a longer encoded text. The padded form is covered: it starts with the
 * unpadded one.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = []
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '')
    // Characters that mix bits of the prefix, or of whatever follows the secret, are left out.
    const first = [0, 2, 3][offset] ?? 0
    const total = offset + bytes.length
    const last = Math.floor(total / 3) * 4 + (total % 3)
    forms.push(encoded.slice(first, last))
  }
  return forms
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
