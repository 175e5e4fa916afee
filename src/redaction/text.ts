// Redacting text: the rules in order (each sees the previous one's output,
// as in must-gather-clean), over bounded chunks of a stream cut at line ends.
import type { CompiledRule, Counts, MappingView, ReplaceMatch } from './rules.js'

/** What redacting text needs: the compiled rules, this thread's view of the run's mapping, where counts go. */
export interface Redactor {
  rules: CompiledRule[]
  mapping: MappingView
  /** Makes the keys known to `mapping` (a round trip to the thread that owns the mapping, or nothing). */
  resolve: (keys: string[]) => Promise<void> | void
  counts: Counts
  /** Per rule: match text (and the two characters after it, for a rule that reads them) → its replacement and count key, for this thread (see redactText). */
  memo: Map<number, Map<string, { output: string, countKey: string | undefined }>>
}

const MEMO_LIMIT = 50_000

/** Chunks handed to the rules are about this long: bounded memory, few regex calls. */
export const CHUNK_BYTES = 1024 * 1024
/**
 * A line longer than this is cut: at the last character that no built-in
 * pattern includes (whitespace, quotes, brackets, commas...), so an address
 * or domain is never split. Only a user Regex spanning such a cut could miss.
 */
export const MAX_LINE_BYTES = 4 * CHUNK_BYTES

/** Applies the rules for `where` to `text` (a Latin-1 view of bytes). */
export async function redactText (text: string, redactor: Redactor, where: 'path' | 'contents'): Promise<string> {
  let current = text
  for (const rule of redactor.rules) {
    if (where === 'path' ? !rule.onPath : !rule.onContents) continue
    if (rule.matchesNothing === true) continue
    // Most names and many chunks match nothing: find that out without allocating. (A rule with a
    // narrow form scans faster in its replace, which returns the text itself when nothing matched.)
    if (rule.narrow === undefined) {
      rule.regex.lastIndex = 0
      if (!rule.regex.test(current)) continue
    }
    // A match's replacement depends on its text (and, for a rule that reads them, the characters
    // after it) only, and a mapping never changes: remember each distinct match (log lines repeat
    // the same few addresses).
    let memo = redactor.memo.get(rule.index)
    if (memo === undefined || memo.size > MEMO_LIMIT) {
      memo = new Map()
      redactor.memo.set(rule.index, memo)
    }
    const known = memo
    for (;;) {
      const pending: string[] = []
      const missing = new Set<string>()
      const output = replaceMatches(current, rule, (replace, match, rest) => {
        let end = rest.length
        if (typeof rest[end - 1] === 'object') end-- // named groups
        const after = (rest[end - 2] as number) + match.length
        const following = rule.readsFollowing === true ? (rest[end - 1] as string).slice(after, after + 2) : ''
        const memoKey = rule.readsFollowing === true ? `${match}\u0000${following}` : match
        const remembered = known.get(memoKey)
        if (remembered !== undefined) {
          if (remembered.countKey !== undefined) pending.push(remembered.countKey)
          return remembered.output
        }
        const groups = rest.slice(0, end - 2) as string[]
        let countKey: string | undefined
        const replacement = replace(match, groups, redactor.mapping, (key, original) => { countKey = `${rule.index}\u0000${key}\u0000${original}` }, (key) => { missing.add(key) }, following)
        if (replacement === null) return match
        known.set(memoKey, { output: replacement, countKey })
        if (countKey !== undefined) pending.push(countKey)
        return replacement
      })
      if (missing.size > 0) {
        // Unknown originals: learn their replacements, then redo this rule on this chunk.
        await redactor.resolve([...missing])
        continue
      }
      for (const countKey of pending) redactor.counts.set(countKey, (redactor.counts.get(countKey) ?? 0) + 1)
      current = output
      break
    }
  }
  return current
}

type OnMatch = (replace: ReplaceMatch, match: string, rest: unknown[]) => string

/**
 * `text.replace(rule.regex, …)`; for a rule with a narrow form, the lines
 * where its `unless` finds something get the whole regex, the others the
 * narrow one. The same matches (a match's text is also what the memo knows it
 * by: both forms replace a text alike). Lines end at `\n`, which no pattern's
 * lookarounds tell apart from the start or end of the text.
 */
function replaceMatches (text: string, rule: CompiledRule, onMatch: OnMatch): string {
  const whole = (match: string, ...rest: unknown[]): string => onMatch(rule.replace, match, rest)
  const { narrow } = rule
  if (narrow === undefined) {
    rule.regex.lastIndex = 0
    return text.replace(rule.regex, whole)
  }
  const cheap = (match: string, ...rest: unknown[]): string => onMatch(narrow.replace, match, rest)
  let output = ''
  let done = 0
  narrow.unless.lastIndex = 0
  for (let found = narrow.unless.exec(text); found !== null; found = narrow.unless.exec(text)) {
    const lineStart = text.lastIndexOf('\n', found.index) + 1
    const newline = text.indexOf('\n', found.index)
    const lineEnd = newline === -1 ? text.length : newline + 1
    narrow.regex.lastIndex = 0
    output += text.slice(done, lineStart).replace(narrow.regex, cheap)
    rule.regex.lastIndex = 0
    output += text.slice(lineStart, lineEnd).replace(rule.regex, whole)
    done = lineEnd
    narrow.unless.lastIndex = lineEnd
  }
  if (done === 0) {
    narrow.regex.lastIndex = 0
    return text.replace(narrow.regex, cheap)
  }
  narrow.regex.lastIndex = 0
  return output + text.slice(done).replace(narrow.regex, cheap)
}

const SAFE_CUT = /[\s"'`,;<>(){}|\\]/g

/**
 * Redacts a byte stream chunk by chunk, each chunk ending at a line end
 * (the tail of a chunk waits for the next one), so a match never spans two
 * chunks and memory stays at a few chunks whatever the file's size.
 */
export async function * redactStream (source: AsyncIterable<Buffer>, redactor: Redactor): AsyncGenerator<Buffer> {
  let carry = ''
  for await (const chunk of source) {
    let text = carry + chunk.toString('latin1')
    let cut = text.lastIndexOf('\n') + 1
    if (cut === 0 && text.length >= MAX_LINE_BYTES) cut = safeCut(text)
    if (cut === 0) {
      carry = text
      continue
    }
    carry = text.slice(cut)
    text = text.slice(0, cut)
    yield Buffer.from(await redactText(text, redactor, 'contents'), 'latin1')
  }
  if (carry !== '') yield Buffer.from(await redactText(carry, redactor, 'contents'), 'latin1')
}

function safeCut (text: string): number {
  let last = 0
  SAFE_CUT.lastIndex = Math.max(0, text.length - CHUNK_BYTES)
  for (let m = SAFE_CUT.exec(text); m !== null; m = SAFE_CUT.exec(text)) last = m.index + 1
  return last === 0 ? text.length : last
}

/** Re-chunks a stream to CHUNK_BYTES pieces (zlib and tar entries give 16 KiB ones: too many regex calls). */
export async function * rechunk (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let size = 0
  for await (const chunk of source) {
    parts.push(chunk)
    size += chunk.length
    if (size >= CHUNK_BYTES) {
      yield parts.length === 1 ? chunk : Buffer.concat(parts, size)
      parts = []
      size = 0
    }
  }
  if (size > 0) yield Buffer.concat(parts, size)
}
