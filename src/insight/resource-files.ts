import { isNormalEventText } from './checks/events.js'
import { healthyPodKey } from './checks/pods.js'
import type { Plural } from './locate.js'
import { cutPieces, type Piece, PieceParser, readObjects, type ReadObjectsResult } from './yaml-objects.js'

export interface ResourceReadOptions {
  /** Largest YAML document parsed whole; lists cut into items are not limited. */
  wholeDocumentLimit: number
  /** Skip list items whose text alone shows they need no parsing (see TEXT_VERDICTS). */
  textFilters: boolean
}

export const RESOURCE_READ_DEFAULTS: ResourceReadOptions = { wholeDocumentLimit: 8 * 1024 * 1024, textFilters: true }

/**
 * List items that need no parsing, told from their text: Normal events, and
 * Running pods with nothing to report. The verdict is undefined to parse the
 * item, else the key its check records for it ('' when it records nothing).
 */
const TEXT_VERDICTS: Partial<Record<Plural, (chunk: string, indent: number) => string | undefined>> = {
  events: (chunk, indent) => isNormalEventText(chunk, indent) ? '' : undefined,
  pods: healthyPodKey
}

export interface ResourceVisitor {
  object: (object: unknown) => void
  /** A list item skipped by its text, with its verdict's key. */
  skipped: (key: string) => void
}

/** Reads one resource file's objects in order: each object, or the key of an item skipped unparsed. */
export async function readResourceObjects (plural: Plural, text: string, visitor: ResourceVisitor, options: ResourceReadOptions): Promise<ReadObjectsResult> {
  const skipItem = skipperOf(plural, visitor, options)
  return await readObjects(text, visitor.object, { wholeDocumentLimit: options.wholeDocumentLimit, ...(skipItem !== undefined && { skipItem }) })
}

/** The text filter of this kind of resource, telling `visitor` of each item it skips. */
function skipperOf (plural: Plural, visitor: Pick<ResourceVisitor, 'skipped'>, options: ResourceReadOptions): ((chunk: string, indent: number) => boolean) | undefined {
  const verdict = options.textFilters ? TEXT_VERDICTS[plural] : undefined
  if (verdict === undefined) return undefined
  return (chunk, indent) => {
    const key = verdict(chunk, indent)
    if (key === undefined) return false
    visitor.skipped(key)
    return true
  }
}

type Step = { piece: Piece } | { skipped: string }

/**
 * A resource file cut up before the summary asked for it (while the archive
 * was being packed, from the bytes going past): its items already sorted into
 * those to parse and those the text filters skip, in order. Replaying it
 * parses what is left, as reading it then would have. The parsed objects are
 * not kept in between: held through the packing, they brought on full garbage
 * collections (8-11 on the bench's tree, against 1 without).
 */
export interface PreparedFile {
  readonly steps: readonly Step[]
}

export async function prepareResourceFile (plural: Plural, text: string, options: ResourceReadOptions = RESOURCE_READ_DEFAULTS): Promise<PreparedFile> {
  const steps: Step[] = []
  const skipItem = skipperOf(plural, { skipped: (key) => steps.push({ skipped: key }) }, options)
  await cutPieces(text, skipItem !== undefined ? { skipItem } : {}, (piece) => steps.push({ piece }))
  return { steps }
}

/** Hands a prepared file's objects and skipped items to `visitor`, in the order reading gave them. */
export function replayResourceFile (file: PreparedFile, visitor: ResourceVisitor, options: ResourceReadOptions = RESOURCE_READ_DEFAULTS): ReadObjectsResult {
  const result: ReadObjectsResult = { objects: 0, skipped: 0, errors: [] }
  const parser = new PieceParser(result, visitor.object, options)
  for (const step of file.steps) {
    if ('piece' in step) {
      parser.parse(step.piece)
    } else {
      result.skipped++
      visitor.skipped(step.skipped)
    }
  }
  return result
}
