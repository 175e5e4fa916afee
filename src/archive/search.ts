import picomatch from 'picomatch'
import safeRegex from 'safe-regex2'

import { SearchPatternError } from './errors.js'
import type { ArchiveReader } from './reader.js'
import { SNIFF_BYTES } from './content-type.js'

export interface SearchOptions {
  /** Literal text, or a regular expression with `regex`. */
  query: string
  regex?: boolean
  ignoreCase?: boolean
  /** Only files whose archive path matches (picomatch; a pattern without `/` matches the file name). */
  glob?: string
  /** Matches returned at most; the search stops (cut short) when reached. */
  maxResults?: number
  /** Milliseconds the search may take; it stops (cut short) when spent. */
  timeBudgetMs?: number
  /** Characters of a line matched and returned; the rest of a longer line is neither. */
  maxLineLength?: number
  /** Stops the search (a client that went away). */
  signal?: AbortSignal
}

export interface SearchMatch {
  file: string
  /** 1-based. */
  line: number
  /** Where the line starts in the file, in bytes: a viewer can read from there (Range) without reading up to it. */
  offset: number
  text: string
}

export interface SearchEnd {
  complete: boolean
  reason: 'complete' | 'max-results' | 'time-budget' | 'aborted'
  message: string
  filesSearched: number
  binaryFilesSkipped: number
  matches: number
}

export const SEARCH_DEFAULTS = { maxResults: 1000, timeBudgetMs: 10_000, maxLineLength: 2000 }
const MAX_QUERY_LENGTH = 1000

interface Matcher { test: (line: Buffer) => boolean }

/**
 * Searches the archive's regular files line by line, in archive order,
 * reading one block at a time (memory stays bounded whatever the file sizes).
 * Yields each match, then one SearchEnd saying whether the search was complete
 * or why it was cut short. The query is checked before anything is read:
 * SearchPatternError for an empty or invalid one, or a regular expression
 * with nested quantifiers (catastrophic backtracking cannot be interrupted;
 * safe-regex2 refuses star height > 1). Binary files (a NUL in the first
 * 8,000 bytes, as grep and git decide) are skipped.
 */
export function search (reader: ArchiveReader, options: SearchOptions): AsyncGenerator<SearchMatch | SearchEnd> {
  const matcher = compileMatcher(options)
  const glob = options.glob !== undefined && options.glob !== '' ? compileGlob(options.glob) : undefined
  return run(reader, matcher, glob, {
    maxResults: options.maxResults ?? SEARCH_DEFAULTS.maxResults,
    timeBudgetMs: options.timeBudgetMs ?? SEARCH_DEFAULTS.timeBudgetMs,
    maxLineLength: options.maxLineLength ?? SEARCH_DEFAULTS.maxLineLength,
    signal: options.signal
  })
}

function compileMatcher ({ query, regex = false, ignoreCase = false, maxLineLength = SEARCH_DEFAULTS.maxLineLength }: SearchOptions): Matcher {
  if (query === '') throw new SearchPatternError('the search text must not be empty')
  if (query.length > MAX_QUERY_LENGTH) throw new SearchPatternError(`the search text must be at most ${MAX_QUERY_LENGTH} characters`)
  if (!regex && !ignoreCase) {
    const needle = Buffer.from(query, 'utf8')
    return { test: (line) => line.indexOf(needle) !== -1 }
  }
  let pattern: RegExp
  try {
    pattern = new RegExp(regex ? query : query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), ignoreCase ? 'i' : '')
  } catch (error) {
    throw new SearchPatternError(`invalid regular expression: ${(error as Error).message}`)
  }
  if (regex && !safeRegex(pattern)) throw new SearchPatternError('regular expression refused: nested or large repetitions can take exponential time')
  return { test: (line) => pattern.test(line.toString('utf8', 0, Math.min(line.length, maxLineLength * 4)).slice(0, maxLineLength)) }
}

/**
 * picomatch turns a pattern it cannot parse (`[`, `{a`, `[z-a]`) into one
 * that matches nothing, and the search would end "complete" having searched
 * no file. strictBrackets and debug make it throw instead: the pattern is
 * refused (field `path`) with picomatch's words, which say how to escape.
 */
function compileGlob (glob: string): (path: string) => boolean {
  try {
    return picomatch(glob, { dot: true, basename: !glob.includes('/'), strictBrackets: true, debug: true })
  } catch (error) {
    throw new SearchPatternError(`invalid glob "${glob}": ${(error as Error).message}`, 'path')
  }
}

async function * run (
  reader: ArchiveReader,
  matcher: Matcher,
  glob: ((path: string) => boolean) | undefined,
  options: { maxResults: number, timeBudgetMs: number, maxLineLength: number, signal: AbortSignal | undefined }
): AsyncGenerator<SearchMatch | SearchEnd> {
  const deadline = performance.now() + options.timeBudgetMs
  const maxLineBytes = options.maxLineLength * 4
  let matches = 0
  let filesSearched = 0
  let binaryFilesSkipped = 0
  const end = (reason: SearchEnd['reason'], message: string): SearchEnd =>
    ({ complete: reason === 'complete', reason, message, filesSearched, binaryFilesSkipped, matches })
  const cutShort = (): SearchEnd | undefined => {
    if (options.signal?.aborted === true) return end('aborted', 'the search was stopped')
    if (performance.now() > deadline) return end('time-budget', `cut short: the time budget of ${options.timeBudgetMs} ms was spent; narrow the search with a path glob`)
    return undefined
  }

  for (const entry of reader.entries()) {
    if (entry.type !== 'file' || entry.size === 0 || (glob !== undefined && !glob(entry.path))) continue
    const stop = cutShort()
    if (stop !== undefined) return yield stop
    let lineNumber = 1
    let lineOffset = 0
    let chunkOffset = 0
    // The current line's first bytes (at most maxLineBytes), across chunk boundaries.
    let head: Buffer[] = []
    let headLength = 0
    let first = true
    let binary = false
    const finishLine = function * (): Generator<SearchMatch> {
      const line = head.length === 1 ? head[0] as Buffer : Buffer.concat(head, headLength)
      if (matcher.test(line)) {
        matches++
        yield { file: entry.path, line: lineNumber, offset: lineOffset, text: lineText(line, options.maxLineLength) }
      }
      head = []
      headLength = 0
      lineNumber++
    }
    const keep = (part: Buffer): void => {
      const room = maxLineBytes - headLength
      if (room <= 0) return
      const taken = part.length > room ? part.subarray(0, room) : part
      head.push(taken)
      headLength += taken.length
    }
    for await (const chunk of reader.chunks(entry)) {
      if (first) {
        first = false
        if (chunk.subarray(0, SNIFF_BYTES).includes(0)) {
          binary = true
          break
        }
      }
      let start = 0
      for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
        keep(chunk.subarray(start, newline))
        start = newline + 1
        for (const match of finishLine()) {
          yield match
          if (matches >= options.maxResults) return yield end('max-results', `cut short: ${options.maxResults} matches, the most one search returns`)
        }
        lineOffset = chunkOffset + start
        if ((lineNumber & 4095) === 0) {
          const stopped = cutShort()
          if (stopped !== undefined) return yield stopped
        }
      }
      keep(chunk.subarray(start))
      chunkOffset += chunk.length
      const stopped = cutShort()
      if (stopped !== undefined) return yield stopped
    }
    if (binary) {
      binaryFilesSkipped++
      continue
    }
    filesSearched++
    // A last line without a newline.
    if (headLength > 0) {
      for (const match of finishLine()) {
        yield match
        if (matches >= options.maxResults) return yield end('max-results', `cut short: ${options.maxResults} matches, the most one search returns`)
      }
    }
  }
  yield end('complete', 'every file was searched')
}

function lineText (line: Buffer, maxLength: number): string {
  const text = line.toString('utf8').replace(/\r$/, '')
  return text.length > maxLength ? text.slice(0, maxLength) : text
}
