import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** Entries read and serialized at a time: about 1 MB of JSON, a few milliseconds of work. */
export const SLICE_ENTRIES = 1000

export interface JsonListOptions<T extends { id: number }> {
  /**
   * Up to `count` entries, newest first: the first of the page when
   * `beforeId` is undefined, else those older than `beforeId`.
   */
  read: (count: number, beforeId: number | undefined) => Promise<T[]>
  /** One entry as JSON (UTF-8). */
  render: (entry: T) => Buffer
  /** Entries in all (the page's limit); undefined: as many as there are. */
  limit: number | undefined
  /** A whole answer of at most this many bytes is handed to `keep` once complete (for the response cache). */
  keepBytes: number
  keep: (body: Buffer) => void
}

/**
 * A JSON array of list entries, read and serialized a slice at a time. An
 * answer that fits in one slice (a page, a usual list) is a Buffer; a longer
 * one is a stream that yields to the event loop between slices. Built at once,
 * a 100,000-record list (about 100 MB of JSON) held some 600 MiB and stopped
 * every other request, health checks included, for seconds.
 *
 * Later slices are read by id (keyset), so each costs the same however deep
 * into the list it is. The answer is a snapshot per slice, not of the whole
 * list: a record deleted meanwhile may be missing from a later slice.
 */
export async function jsonList<T extends { id: number }> (options: JsonListOptions<T>): Promise<Buffer | Readable> {
  const { read, render, limit } = options
  const wanted = Math.min(SLICE_ENTRIES, limit ?? SLICE_ENTRIES)
  const first = await read(wanted, undefined)
  const last = first.at(-1)
  if (first.length < wanted || limit === first.length || last === undefined) {
    const body = joined(OPEN, first, render, CLOSE)
    if (body.length <= options.keepBytes) options.keep(body)
    return body
  }
  const head = joined(OPEN, first, render)
  return Readable.from(slices(options, head, last.id, limit === undefined ? undefined : limit - first.length), { objectMode: false })
}

async function * slices<T extends { id: number }> (options: JsonListOptions<T>, head: Buffer, lastId: number, remaining: number | undefined): AsyncGenerator<Buffer> {
  const kept = new KeptBody(options.keepBytes)
  yield kept.add(head)
  for (let beforeId = lastId; remaining === undefined || remaining > 0;) {
    // Let other requests in between slices.
    await nextTurn()
    const wanted = Math.min(SLICE_ENTRIES, remaining ?? SLICE_ENTRIES)
    const slice = await options.read(wanted, beforeId)
    if (slice.length > 0) yield kept.add(joined(COMMA, slice, options.render))
    const last = slice.at(-1)
    if (slice.length < wanted || last === undefined) break
    beforeId = last.id
    if (remaining !== undefined) remaining -= slice.length
  }
  yield kept.add(CLOSE)
  const whole = kept.whole()
  if (whole !== undefined) options.keep(whole)
}

const OPEN = Buffer.from('[')
const COMMA = Buffer.from(',')
const CLOSE = Buffer.from(']')

/**
 * `before`, the entries separated by commas, then `after`, in one Buffer:
 * copied once, with no megabyte-long string on the JavaScript heap on the way.
 */
function joined<T> (before: Buffer, entries: T[], render: (entry: T) => Buffer, after?: Buffer): Buffer {
  const pieces: Buffer[] = [before]
  for (const [index, entry] of entries.entries()) {
    if (index > 0) pieces.push(COMMA)
    pieces.push(render(entry))
  }
  if (after !== undefined) pieces.push(after)
  return Buffer.concat(pieces)
}

/** The pieces of an answer while it stays small enough to keep. */
class KeptBody {
  #pieces: Buffer[] | undefined = []
  #bytes = 0
  readonly #maxBytes: number

  constructor (maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  add (piece: Buffer): Buffer {
    this.#bytes += piece.length
    if (this.#bytes > this.#maxBytes) this.#pieces = undefined
    this.#pieces?.push(piece)
    return piece
  }

  whole (): Buffer | undefined {
    return this.#pieces && Buffer.concat(this.#pieces)
  }
}
