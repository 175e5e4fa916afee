import { setImmediate as nextTurn } from 'node:timers/promises'

import { CORE_SCHEMA, load, loadAll, YAMLException } from 'js-yaml'

/**
 * Reads the Kubernetes objects a gathered file holds: one object, several YAML
 * documents, a `List` (or `PodList`, ...) whose items are visited one by one,
 * or the same in JSON. Never throws for bad content: it reports what failed.
 *
 * A mapping with a key twice is an error, as it is for kubectl's decoder: which
 * of the two values is meant cannot be known.
 *
 * Lists as `oc` writes them (`items:` at column 0, each item a `- ` line at
 * column 0) are cut into items and each item is parsed alone, so memory is
 * bounded by one item rather than the whole tree of a tens-of-MB pods.yaml,
 * and an item the caller does not need can be skipped before it is parsed.
 */

export interface ReadObjectsOptions {
  /**
   * Called with an item's text before it is parsed; true skips it. `indent` is
   * the column of the item's own keys, so a test can look for one of them
   * (e.g. `type: Normal` on an Event) without matching nested keys.
   */
  skipItem?: (chunk: string, indent: number) => boolean
  /** Largest document parsed whole, in characters (lists cut into items are not limited). */
  wholeDocumentLimit: number
}

export interface ReadObjectsResult {
  /** Objects visited. */
  objects: number
  /** List items skipped by `skipItem`. */
  skipped: number
  /** What could not be parsed (empty when everything was read). */
  errors: string[]
}

/** Longest run of synchronous parsing before the event loop gets a turn, in ms. */
const SLICE_MS = 20
const MAX_ERRORS = 5

export async function readObjects (input: string, visit: (object: unknown) => void, options: ReadObjectsOptions): Promise<ReadObjectsResult> {
  // files written on Windows: the line-based cutting below looks for bare \n
  const text = input.includes('\r\n') ? input.replaceAll('\r\n', '\n') : input
  const result: ReadObjectsResult = { objects: 0, skipped: 0, errors: [] }
  const fail = (message: string) => { if (result.errors.length < MAX_ERRORS) result.errors.push(message) }
  const emit = (value: unknown) => {
    if (value === null || value === undefined) return
    if (isRecord(value) && Array.isArray(value.items) && (typeof value.kind !== 'string' || value.kind.endsWith('List'))) {
      for (const item of value.items) {
        result.objects++
        visit(item)
      }
    } else {
      result.objects++
      visit(value)
    }
  }
  let sliceStart = performance.now()
  const maybeYield = async () => {
    if (performance.now() - sliceStart < SLICE_MS) return
    await nextTurn()
    sliceStart = performance.now()
  }

  const start = text.search(/\S/)
  if (start === -1) return result
  if (text[start] === '{' || text[start] === '[') {
    try {
      emit(JSON.parse(text))
      return result
    } catch {
      // not JSON after all: YAML is a superset, try it below
    }
  }
  if (/^%/m.test(text)) {
    // YAML directives: rare enough to parse the stream whole
    parseWhole(text, 1, emit, fail, options, true)
    return result
  }

  for (const document of splitDocuments(text)) {
    const items = findItems(document.text)
    if (items === null) {
      parseWhole(document.text, document.line, emit, fail, options)
    } else {
      for (const item of items) {
        await maybeYield()
        const chunk = item.text
        if (options.skipItem?.(chunk, item.indent) === true) {
          result.skipped++
          continue
        }
        try {
          const value = parseYaml(chunk)
          if (value !== null && value !== undefined) {
            result.objects++
            visit(value)
          }
        } catch (error) {
          fail(`line ${document.line + item.line - 1}: ${reasonOf(error)}`)
        }
      }
    }
    await maybeYield()
  }
  return result
}

/**
 * One YAML document with js-yaml, in the YAML 1.2 core schema (what `yaml`
 * and Go's decoders read: no timestamps, no merge keys). A key given twice is
 * an error. An alias is a reference to one value, never a copy, so an alias
 * bomb costs nothing here. js-yaml rather than `yaml` (which the redaction
 * keeps, for its comment-preserving round trip): on 1,066 items of the
 * simulator's pods.yaml and events.yaml, 1.3 MB, 31 ms against 273 ms.
 */
function parseYaml (text: string): unknown {
  return load(text, { schema: CORE_SCHEMA })
}

/** A parse error's message without the excerpt js-yaml appends. */
function reasonOf (error: unknown): string {
  if (error instanceof YAMLException) return error.reason
  return firstLine((error as Error).message)
}

function parseWhole (text: string, line: number, emit: (value: unknown) => void, fail: (message: string) => void, options: ReadObjectsOptions, stream = false): void {
  if (text.length > options.wholeDocumentLimit) {
    fail(`line ${line}: a document of ${text.length} characters that is not a list of items is larger than the limit (${options.wholeDocumentLimit}) for parsing whole`)
    return
  }
  try {
    if (stream) loadAll(text, emit, { schema: CORE_SCHEMA })
    else emit(parseYaml(text))
  } catch (error) {
    const at = error instanceof YAMLException ? error.mark.line : 0
    fail(`line ${line + at}: ${reasonOf(error)}`)
  }
}

interface Piece { text: string; line: number }
interface Item extends Piece { indent: number }

/**
 * YAML documents of a stream, split at `---` lines, with their first line
 * number (1-based). Pieces are slices of the text, not copies.
 */
function * splitDocuments (text: string): Generator<Piece> {
  const marker = /^---(?:[ \t][^\n]*)?$/gm
  let start = 0
  let line = 1
  const hasContent = (piece: string) => /\S/.test(piece.startsWith('---') ? piece.slice(3) : piece)
  let match: RegExpExecArray | null
  while ((match = marker.exec(text)) !== null) {
    if (match.index === start) continue // the marker opening the current document (it may carry content)
    const piece = text.slice(start, match.index)
    if (hasContent(piece)) yield { text: piece, line }
    line += countLines(piece)
    start = match.index
  }
  const rest = text.slice(start)
  if (hasContent(rest)) yield { text: rest, line }
}

/**
 * A document's list items when it is a block list written at column 0 (as
 * oc, kubectl and Go's YAML encoder write them), or null to parse it whole.
 * Items are cut one at a time, as they are consumed.
 */
function findItems (document: string): Iterable<Item> | null {
  const itemsKey = /^items:[ \t]*(?:#.*)?$/m.exec(document)
  if (itemsKey === null) return null
  const bodyStart = itemsKey.index + itemsKey[0].length + 1
  // Items indented under `items:` are not oc's form: parse the document whole.
  for (let at = bodyStart; at < document.length;) {
    let end = document.indexOf('\n', at)
    if (end === -1) end = document.length
    const line = document.slice(at, end)
    const trimmed = line.trim()
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      if (line.startsWith(' ') || line.startsWith('\t')) return null
      break
    }
    at = end + 1
  }
  return scanItems(document, bodyStart, countLines(document.slice(0, itemsKey.index)) + 2)
}

function * scanItems (document: string, from: number, firstLine: number): Generator<Item> {
  let itemStart = -1
  let itemLine = 0
  let at = from
  let line = firstLine
  while (at < document.length) {
    let end = document.indexOf('\n', at)
    if (end === -1) end = document.length
    const c = document[at]
    const next = document[at + 1]
    if (c === '-' && (at + 1 === end || next === ' ' || next === '\t' || next === '\r')) {
      if (itemStart >= 0) yield cutItem(document, itemStart, at, itemLine)
      itemStart = at
      itemLine = line
    } else if (!(at === end || c === ' ' || c === '\t' || c === '#' || c === '\r')) {
      break // the next top-level key (kind:, metadata:): the list is over
    }
    at = end + 1
    line++
  }
  if (itemStart >= 0) yield cutItem(document, itemStart, Math.min(at, document.length), itemLine)
}

/** `- key: value` becomes `  key: value`: the item's mapping, at its own indentation. */
function cutItem (document: string, start: number, end: number, line: number): Item {
  const text = ' ' + document.slice(start + 1, end)
  const firstContent = text.search(/\S/)
  const indent = firstContent === -1 ? 2 : firstContent - (text.lastIndexOf('\n', firstContent) + 1)
  return { text, line, indent }
}

function countLines (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

function firstLine (message: string | undefined): string {
  return (message ?? 'unparseable').split('\n')[0] ?? 'unparseable'
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
