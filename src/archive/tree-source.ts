import type { TreeEntry, TreeSource } from '../insight/tree-source.js'
import type { ArchiveReader } from './reader.js'
import type { IndexEntry } from './tar-headers.js'

/**
 * The summary's view of an indexed archive (src/insight/): entries from the
 * index, contents read block by block. A hardlink reads as the file it links
 * to, so it is a file here; paths are the archive's (`tar -tzf`'s, as /files takes them).
 */
export class ArchiveTreeSource implements TreeSource {
  readonly #reader: ArchiveReader

  constructor (reader: ArchiveReader) {
    this.#reader = reader
  }

  async * entries (): AsyncIterable<TreeEntry> {
    for (const entry of this.#reader.entries()) {
      const target = entry.type === 'hardlink' ? await this.#reader.stat(entry.link ?? '').catch(() => undefined) : undefined
      yield treeEntryOf(entry, target)
    }
  }

  read (path: string): Promise<Buffer> {
    return this.#reader.read(path)
  }
}

/**
 * An archive entry as the summary sees it: a hardlink reads as the file it
 * links to (`target`, when known), so it is a file; a directory's path has no
 * trailing `/` (the index's form, which the summary accepts).
 */
export function treeEntryOf (entry: IndexEntry, target: IndexEntry | undefined): TreeEntry {
  switch (entry.type) {
    case 'file':
      return { path: entry.path, type: 'file', size: entry.size }
    case 'hardlink':
      return { path: entry.path, type: target?.type === 'file' ? 'file' : 'other', size: target?.size ?? 0 }
    case 'directory':
    case 'symlink':
      return { path: entry.path, type: entry.type, size: 0 }
    default:
      return { path: entry.path, type: 'other', size: 0 }
  }
}
