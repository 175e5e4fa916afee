// Redacting text: the rules in order (each sees the previous one's output,
// as in must-gather-clean), over bounded chunks of a stream cut at line ends.
import type { CompiledRule, Counts, MappingView } from './rules.js'

/** What redacting text needs: the compiled rules, this thread's view of the run's mapping, where counts go. */
export interface Redactor {
  rules: CompiledRule[]
  mapping: MappingView
  /** Makes the keys known to `mapping` (a round trip to the thread that owns the mapping, or nothing). */
  resolve: (keys: string[]) => Promise<void> | void
  counts: Counts
  /** Per rule: match text → its replacement and count key, for this thread (see redactText). */
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
    // Most names and many chunks match nothing: find that out without allocating.
    rule.regex.lastIndex = 0
    if (!rule.regex.test(current)) continue
    // A match's replacement depends on its text only, and a mapping never changes:
    // remember each distinct match (log lines repeat the same few addresses).
    let memo = redactor.memo.get(rule.index)
    if (memo === undefined || memo.size > MEMO_LIMIT) {
      memo = new Map()
      redactor.memo.set(rule.index, memo)
    }
    const known = memo
    for (;;) {
      const pending: string[] = []
      const missing = new Set<string>()
      rule.regex.lastIndex = 0
      const output = current.replace(rule.regex, (match: string, ...rest: unknown[]) => {
        const remembered = known.get(match)
        if (remembered !== undefined) {
          if (remembered.countKey !== undefined) pending.push(remembered.countKey)
          return remembered.output
        }
        let end = rest.length
        if (typeof rest[end - 1] === 'object') end-- // named groups
        const groups = rest.slice(0, end - 2) as string[]
        let countKey: string | undefined
        const replacement = rule.replace(match, groups, redactor.mapping, (key, original) => { countKey = `${rule.index}\u0000${key}\u0000${original}` }, (key) => { missing.add(key) })
        if (replacement === null) return match
        known.set(match, { output: replacement, countKey })
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
