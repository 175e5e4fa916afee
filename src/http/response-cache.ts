/**
 * Serialized JSON, kept under a key that changes whenever what it shows
 * changes (a record's revision, the store's list version). Every open UI tab
 * polls the list every 10 s and a detail view polls its execution: while
 * nothing changed they all get the same bytes, with no database read and no
 * serialization. Bounded by bytes; the least recently used go first.
 */
export class ResponseCache {
  readonly #entries = new Map<string, Buffer>()
  readonly #maxBytes: number
  #bytes = 0
  #hits = 0
  #misses = 0

  /** `maxBytes` 0 keeps nothing (every answer is built anew). */
  constructor (maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  /** The largest answer worth keeping: a quarter of the room, so that one list cannot push out everything else. */
  get entryLimit (): number {
    return Math.floor(this.#maxBytes / 4)
  }

  get (key: string): Buffer | undefined {
    const body = this.#entries.get(key)
    if (body === undefined) {
      this.#misses++
      return undefined
    }
    this.#hits++
    // Map order is insertion order: re-inserting marks it most recently used.
    this.#entries.delete(key)
    this.#entries.set(key, body)
    return body
  }

  set (key: string, body: Buffer): void {
    if (body.length > this.entryLimit) return
    this.#forget(key)
    this.#entries.set(key, body)
    this.#bytes += body.length
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break
      this.#forget(oldest)
    }
  }

  /** For the metrics: bytes held, and lookups that found an answer or did not. */
  stats (): { bytes: number, entries: number, hits: number, misses: number } {
    return { bytes: this.#bytes, entries: this.#entries.size, hits: this.#hits, misses: this.#misses }
  }

  #forget (key: string): void {
    const body = this.#entries.get(key)
    if (body === undefined) return
    this.#entries.delete(key)
    this.#bytes -= body.length
  }
}
