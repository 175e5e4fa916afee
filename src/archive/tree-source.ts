import type { TreeEntry, TreeSource } from '../insight/tree-source.js'
import type { ArchiveReader } from './reader.js'

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
      switch (entry.type) {
        case 'file':
          yield { path: entry.path, type: 'file', size: entry.size }
          break
        case 'hardlink': {
          const target = await this.#reader.stat(entry.link ?? '').catch(() => undefined)
          yield { path: entry.path, type: target?.type === 'file' ? 'file' : 'other', size: target?.size ?? 0 }
          break
        }
        case 'directory':
        case 'symlink':
          yield { path: entry.path, type: entry.type, size: 0 }
          break
        default:
          yield { path: entry.path, type: 'other', size: 0 }
      }
    }
  }

  read (path: string): Promise<Buffer> {
    return this.#reader.read(path)
  }
}
