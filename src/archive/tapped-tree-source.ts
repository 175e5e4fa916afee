import { mayBeRead, roleOf } from '../insight/locate.js'
import { type PreparedFile, prepareResourceFile } from '../insight/resource-files.js'
import type { TreeEntry, TreeSource } from '../insight/tree-source.js'
import { EntryTable } from './entry-table.js'
import type { IndexEntry, TarTap } from './tar-headers.js'
import { treeEntryOf } from './tree-source.js'

export interface TappedTreeSourceOptions {
  /** Where a file that was not kept is read from afterwards (the packed directory, still on disk). */
  fallback: TreeSource
  signal: AbortSignal
  /** Largest file kept from the stream. (Default: 8 MiB) */
  maxFileBytes?: number
  /** Bytes kept at once, waiting to be read or parsed: past it, files are read afterwards. (Default: 64 MiB) */
  maxHeldBytes?: number
}

const MiB = 1024 * 1024

/**
 * The summary's view of a tree while the packer streams it (a TarTap): the
 * listing is the archive's own, from the tar headers the index is made of,
 * and the files the summary reads most (collections of resources, gather
 * logs) are kept as their bytes go past, resource files parsed at once. The
 * tree is then neither walked nor read a second time, and the parsing is done
 * while the packer waits on its compressing threads rather than after it.
 *
 * Measured on the bench's 315 MB, 20,000-file tree (26,823 directories):
 * walking it cost the summary ~0.35 s of CPU (readdir and lstat), reading and
 * parsing it ~0.4 s, against a packing of ~1.9 s on two cores.
 */
export class TappedTreeSource implements TarTap, TreeSource {
  /** The listing, held compactly (see EntryTable). */
  readonly #entries = new EntryTable()
  #hardlinks = false
  /** Gather logs and timestamps, whole. */
  readonly #kept = new Map<string, Buffer>()
  readonly #prepared = new Map<string, PreparedFile>()
  readonly #o: Required<TappedTreeSourceOptions>
  #held = 0
  #parsing: Promise<void> = Promise.resolve()

  constructor (options: TappedTreeSourceOptions) {
    this.#o = { maxFileBytes: 8 * MiB, maxHeldBytes: 64 * MiB, ...options }
  }

  onEntry (entry: IndexEntry): boolean {
    this.#entries.push(entry)
    if (entry.type === 'hardlink') this.#hardlinks = true
    if (entry.type !== 'file' || !mayBeRead(entry.path)) return false
    if (entry.size > this.#o.maxFileBytes || this.#held + entry.size > this.#o.maxHeldBytes || this.#o.signal.aborted) return false
    const file = roleOf(entry.path.split('/'))
    const wanted = file.role === 'gather-log' || file.role === 'timestamp' || (file.role === 'resource' && file.collection)
    if (wanted) this.#held += entry.size
    return wanted
  }

  onData (entry: IndexEntry, data: Buffer): void {
    const file = roleOf(entry.path.split('/'))
    if (file.role !== 'resource') {
      this.#kept.set(entry.path, data)
      return
    }
    // One at a time, in the stream's order; each gives the event loop a turn every 20 ms (readObjects).
    this.#parsing = this.#parsing.then(async () => {
      try {
        if (!this.#o.signal.aborted) this.#prepared.set(entry.path, await prepareResourceFile(file.plural, data.toString('utf8')))
      } catch {
        // not prepared: the summary reads it itself, and says what failed
      } finally {
        this.#held -= entry.size
      }
    })
  }

  /** The resource files read from the stream, once every one of them is. */
  async prepared (): Promise<ReadonlyMap<string, PreparedFile>> {
    await this.#parsing
    return this.#prepared
  }

  async * entries (): AsyncIterable<TreeEntry> {
    const files = this.#hardlinks ? new Map([...this.#entries].filter((e) => e.type === 'file').map((e) => [e.path, e])) : undefined
    for (const entry of this.#entries) yield treeEntryOf(entry, entry.type === 'hardlink' ? files?.get(entry.link ?? '') : undefined)
  }

  async read (path: string): Promise<Buffer> {
    return this.#kept.get(path) ?? await this.#o.fallback.read(path)
  }
}
