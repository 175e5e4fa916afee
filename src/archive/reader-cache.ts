import { stat } from 'node:fs/promises'

import { ArchiveIndexError } from './errors.js'
import { ensureIndex } from './indexer.js'
import { ArchiveReader } from './reader.js'

export interface Lease {
  reader: ArchiveReader
  /** Call when done (a response streamed to the end, or gone): the reader may then be closed. */
  release: () => void
}

interface Held {
  opening: Promise<ArchiveReader>
  /** Which file it was opened on: an archive replaced in place (re-packed) is another one. */
  identity: string
  users: number
  evicted: boolean
}

/**
 * Open readers of the most recently browsed archives, so that listing a
 * directory or reading a file does not load the index each time. Readers are
 * lent out: one evicted while a response still streams from it is closed when
 * that response is done. A blocked archive without an index (lost, or written
 * by another replica not yet done) is indexed by scanning it; a single-stream
 * archive is not re-packed here (that changes its sha256, which its record
 * holds): ArchiveIndexError.
 */
export class ArchiveReaderCache {
  readonly #held = new Map<string, Held>()
  readonly #capacity: number

  constructor (capacity = 8) {
    this.#capacity = capacity
  }

  async acquire (archivePath: string): Promise<Lease> {
    const info = await stat(archivePath)
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`
    let held = this.#held.get(archivePath)
    if (held !== undefined && held.identity !== identity) {
      this.#evict(archivePath, held)
      held = undefined
    }
    if (held === undefined) {
      held = { opening: openIndexed(archivePath), identity, users: 0, evicted: false }
      held.opening.catch(() => {})
      this.#held.set(archivePath, held)
      while (this.#held.size > this.#capacity) {
        const [oldest, entry] = this.#held.entries().next().value as [string, Held]
        this.#evict(oldest, entry)
      }
    } else {
      // Most recently used last.
      this.#held.delete(archivePath)
      this.#held.set(archivePath, held)
    }
    const entry = held
    entry.users++
    let reader: ArchiveReader
    try {
      reader = await entry.opening
    } catch (error) {
      entry.users--
      if (this.#held.get(archivePath) === entry) this.#held.delete(archivePath)
      throw error
    }
    let released = false
    return {
      reader,
      release: () => {
        if (released) return
        released = true
        entry.users--
        if (entry.evicted && entry.users === 0) reader.close().catch(() => {})
      }
    }
  }

  /** Forgets an archive (deleted, or about to be replaced). */
  forget (archivePath: string): void {
    const held = this.#held.get(archivePath)
    if (held !== undefined) this.#evict(archivePath, held)
  }

  async close (): Promise<void> {
    const all = [...this.#held.entries()]
    for (const [path, held] of all) this.#evict(path, held)
  }

  #evict (path: string, held: Held): void {
    if (this.#held.get(path) === held) this.#held.delete(path)
    held.evicted = true
    if (held.users === 0) held.opening.then((reader) => reader.close(), () => {}).catch(() => {})
  }
}

async function openIndexed (archivePath: string): Promise<ArchiveReader> {
  try {
    return await ArchiveReader.open(archivePath)
  } catch (error) {
    if (!(error instanceof ArchiveIndexError)) throw error
    const outcome = await ensureIndex(archivePath, { repack: false })
    if (outcome.status === 'single-stream') throw new ArchiveIndexError(error.indexPath, 'the archive is one gzip stream: it is browsable once re-packed (ensureIndex)')
    return ArchiveReader.open(archivePath)
  }
}
