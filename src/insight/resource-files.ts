import { isNormalEventText } from './checks/events.js'
import { healthyPodKey } from './checks/pods.js'
import type { Plural } from './locate.js'
import { readObjects, type ReadObjectsResult } from './yaml-objects.js'

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
  const verdict = options.textFilters ? TEXT_VERDICTS[plural] : undefined
  const skipItem = verdict === undefined
    ? undefined
    : (chunk: string, indent: number): boolean => {
        const key = verdict(chunk, indent)
        if (key === undefined) return false
        visitor.skipped(key)
        return true
      }
  return await readObjects(text, visitor.object, { wholeDocumentLimit: options.wholeDocumentLimit, ...(skipItem !== undefined && { skipItem }) })
}

type Step = { object: unknown } | { skipped: string }

/**
 * A resource file read before the summary asked for it (while the archive was
 * being packed, from the bytes going past): what reading it gave, in order, so
 * that replaying it to the checks is the same as reading it then.
 */
export interface PreparedFile {
  readonly steps: readonly Step[]
  readonly result: ReadObjectsResult
  /** Characters of text it was read from. */
  readonly length: number
}

export async function prepareResourceFile (plural: Plural, text: string, options: ResourceReadOptions = RESOURCE_READ_DEFAULTS): Promise<PreparedFile> {
  const steps: Step[] = []
  const result = await readResourceObjects(plural, text, { object: (object) => steps.push({ object }), skipped: (key) => steps.push({ skipped: key }) }, options)
  return { steps, result, length: text.length }
}

/** Hands a prepared file's objects and skipped items to `visitor`, in the order reading gave them. */
export function replayResourceFile (file: PreparedFile, visitor: ResourceVisitor): ReadObjectsResult {
  for (const step of file.steps) {
    if ('object' in step) visitor.object(step.object)
    else visitor.skipped(step.skipped)
  }
  return file.result
}
