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

/**
 * A part of a file that is parsed on its own: the file as JSON (YAML if it is
 * not), a YAML stream with directives, one YAML document, or one list item.
 * `line` is where it starts in the file (1-based).
 */
export interface Piece { form: 'json' | 'yaml-stream' | 'yaml' | 'item', text: string, line: number }

export async function readObjects (input: string, visit: (object: unknown) => void, options: ReadObjectsOptions): Promise<ReadObjectsResult> {
  const result: ReadObjectsResult = { objects: 0, skipped: 0, errors: [] }
  const parsing = new PieceParser(result, visit, options)
  result.skipped = await cutPieces(input, options, (piece) => parsing.parse(piece))
  return result
}

/**
 * Cuts a file into the pieces readObjects parses, in order, without parsing
 * them (list items `skipItem` takes are left out, and counted: the count is
 * returned). What is done with a piece is up to `onPiece`: parse it now, or
 * keep it to parse later (src/insight/resource-files.ts).
 */
export async function cutPieces (input: string, options: Pick<ReadObjectsOptions, 'skipItem'>, onPiece: (piece: Piece) => void): Promise<number> {
  // files written on Windows: the line-based cutting below looks for bare \n
  const text = input.includes('\r\n') ? input.replaceAll('\r\n', '\n') : input
  let skipped = 0
  let sliceStart = performance.now()
  const maybeYield = async () => {
    if (performance.now() - sliceStart < SLICE_MS) return
    await nextTurn()
    sliceStart = performance.now()
  }
  for (const piece of pieces(text)) {
    if (piece.form === 'item' && options.skipItem?.(piece.text, piece.indent) === true) skipped++
    else onPiece({ form: piece.form, text: piece.text, line: piece.line })
    await maybeYield()
  }
  return skipped
}

/** Parses pieces, handing each object to `visit` and each failure to the result. */
export class PieceParser {
  constructor (private readonly result: ReadObjectsResult, private readonly visit: (object: unknown) => void, private readonly options: Pick<ReadObjectsOptions, 'wholeDocumentLimit'>) {}

  parse (piece: Piece): void {
    switch (piece.form) {
      case 'json':
        try {
          this.#emit(JSON.parse(piece.text))
        } catch {
          // not JSON after all: YAML is a superset
          for (const part of pieces(piece.text, false)) this.parse({ form: part.form, text: part.text, line: part.line })
        }
        break
      case 'item':
        try {
          const value = parseYaml(piece.text)
          if (value !== null && value !== undefined) {
            this.result.objects++
            this.visit(value)
          }
        } catch (error) {
          this.#fail(`line ${piece.line}: ${reasonOf(error)}`)
        }
        break
      default:
        parseWhole(piece.text, piece.line, (value) => this.#emit(value), (message) => this.#fail(message), this.options, piece.form === 'yaml-stream')
    }
  }

  #emit (value: unknown): void {
    if (value === null || value === undefined) return
    if (isRecord(value) && Array.isArray(value.items) && (typeof value.kind !== 'string' || value.kind.endsWith('List'))) {
      for (const item of value.items) {
        this.result.objects++
        this.visit(item)
      }
    } else {
      this.result.objects++
      this.visit(value)
    }
  }

  #fail (message: string): void {
    if (this.result.errors.length < MAX_ERRORS) this.result.errors.push(message)
  }
}

/** The pieces of a file's text, items with their indentation. `json` false: the text is known not to be JSON. */
function * pieces (text: string, json = true): Generator<Piece & { indent: number }> {
  const start = text.search(/\S/)
  if (start === -1) return
  if (json && (text[start] === '{' || text[start] === '[')) {
    yield { form: 'json', text, line: 1, indent: 0 }
    return
  }
  if (/^%/m.test(text)) {
    // YAML directives: rare enough to parse the stream whole
    yield { form: 'yaml-stream', text, line: 1, indent: 0 }
    return
  }
  for (const document of splitDocuments(text)) {
    const items = findItems(document.text)
    if (items === null) {
      yield { form: 'yaml', text: document.text, line: document.line, indent: 0 }
    } else {
      for (const item of items) yield { form: 'item', text: item.text, line: document.line + item.line - 1, indent: item.indent }
    }
  }
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

interface Part { text: string; line: number }
interface Item extends Part { indent: number }

/**
 * YAML documents of a stream, split at `---` lines, with their first line
 * number (1-based). Pieces are slices of the text, not copies.
 */
function * splitDocuments (text: string): Generator<Part> {
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
