import { LRUCache } from 'lru-cache'

/**
 * Serialized JSON, kept under a key that changes whenever what it shows
 * changes (a record's revision, the store's list version). Every open UI tab
 * polls the list every 10 s and a detail view polls its execution: while
 * nothing changed they all get the same bytes, with no database read and no
 * serialization. Bounded by bytes, each entry's key and bookkeeping counted
 * too; the least recently used go first.
 */
export class ResponseCache {
  readonly #entries: LRUCache<string, Buffer> | undefined
  readonly #maxBytes: number
  #hits = 0
  #misses = 0

  /** `maxBytes` 0 keeps nothing (every answer is built anew). */
  constructor (maxBytes: number) {
    this.#maxBytes = maxBytes
    if (this.entryLimit > 0) {
      this.#entries = new LRUCache({ maxSize: maxBytes, maxEntrySize: maxBytes, sizeCalculation: (body, key) => cost(key, body) })
    }
  }

  /** The largest answer worth keeping: a quarter of the room, so that one list cannot push out everything else. */
  get entryLimit (): number {
    return Math.floor(this.#maxBytes / 4)
  }

  get (key: string): Buffer | undefined {
    const body = this.#entries?.get(key)
    if (body === undefined) this.#misses++
    else this.#hits++
    return body
  }

  /** Keeps `body` (unless too large); returns what to send: the kept copy, or `body` itself. */
  set (key: string, body: Buffer): Buffer {
    if (this.#entries === undefined || body.length > this.entryLimit) return body
    // A small Buffer is a slice of Node's shared 8 KiB pool: kept, it would keep the whole
    // slab alive. Kept answers get memory of their own.
    const kept = body.buffer.byteLength > body.length ? copyOfItsOwn(body) : body
    this.#entries.set(key, kept)
    return kept
  }

  /** For the metrics: bytes held (with each entry's bookkeeping), and lookups that found an answer or did not. */
  stats (): { bytes: number, entries: number, hits: number, misses: number } {
    return { bytes: this.#entries?.calculatedSize ?? 0, entries: this.#entries?.size ?? 0, hits: this.#hits, misses: this.#misses }
  }
}

/** Bookkeeping per entry (cache slot, key string, Buffer object): many tiny answers must not hide under the limit. */
const ENTRY_OVERHEAD = 256

/** What an entry holds in memory: its bytes, its key (two bytes a character at most) and the overhead. */
function cost (key: string, body: Buffer): number {
  return body.length + 2 * key.length + ENTRY_OVERHEAD
}

/** A copy outside Node's pool (Buffer.from would pool a small one again). */
function copyOfItsOwn (body: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(body.length)
  body.copy(copy)
  return copy
}
