import { createHash } from 'node:crypto'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'

import { PRIVATE_DIRECTORY } from '../gatherings/file-modes.js'
import { BlockSource } from './block-source.js'
import { writeBlockedArchive } from './block-writer.js'
import { gunzipStream } from './gunzip-stream.js'
import { contentDisposition, SNIFF_BYTES, type ContentDisposition } from './content-type.js'
import { ArchiveEntryNotFoundError, ArchiveIndexError, NestedArchiveError, NotADirectoryError, NotAFileError } from './errors.js'
import { indexPathOf, readIndexFile, writeIndexFile, type ArchiveIndex } from './index-file.js'
import { archivePath, baseName, isNestedArchiveName, parentOf } from './paths.js'
import type { EntryType, IndexEntry } from './tar-headers.js'

/** One entry of a directory listing, ready for JSON. */
export interface ListedEntry {
  name: string
  path: string
  type: EntryType
  size: number
  /** Permission bits in octal, e.g. "0644". */
  mode: string
  mtime: string
  /** A symlink's target (never followed) or a hardlink's. */
  target?: string
  /** A .tar.gz / .tgz whose files can be listed by using its path as a directory. */
  archive?: true
}

export interface DirectoryPage {
  path: string
  total: number
  offset: number
  limit: number
  entries: ListedEntry[]
}

export interface ByteRange {
  /** First byte, default 0. */
  start?: number
  /** One past the last byte (as Buffer.subarray), default the file's size. */
  end?: number
}

export interface OpenFile extends ContentDisposition {
  entry: IndexEntry
  start: number
  end: number
  body: Readable
}

export interface ReaderOptions {
  indexPath?: string
  /** Where nested archives are unpacked into blocked copies with their indexes; default `<index>.nested`. */
  nestedDir?: string
}

const DEFAULT_PAGE = 1000

/**
 * Random access to a blocked archive through its index: directory listings
 * from the index alone, a file's bytes by inflating only the blocks it
 * spans. Paths are those `tar -tzf` prints (see paths.ts); symlinks are
 * listed, never followed; a hardlink reads as the file it links to. A
 * `.tar.gz` inside the archive is browsed as a directory: the first time, it
 * is re-packed into a blocked copy beside the index (cost: that one entry).
 */
export class ArchiveReader {
  readonly archivePath: string
  readonly index: ArchiveIndex
  readonly #file: FileHandle
  readonly #source: BlockSource
  readonly #nestedDir: string
  readonly #byPath = new Map<string, IndexEntry>()
  readonly #children = new Map<string, IndexEntry[]>()
  readonly #sorted = new Set<string>()
  readonly #nested = new Map<string, Promise<ArchiveReader>>()

  private constructor (archivePath: string, index: ArchiveIndex, file: FileHandle, nestedDir: string) {
    this.archivePath = archivePath
    this.index = index
    this.#file = file
    this.#source = new BlockSource(file, index.blocks)
    this.#nestedDir = nestedDir
    this.#buildTree()
  }

  /** Opens an archive with its index; ArchiveIndexError when the index is missing or does not match (see indexer.ts). */
  static async open (archivePath: string, options: ReaderOptions = {}): Promise<ArchiveReader> {
    const indexPath = options.indexPath ?? indexPathOf(archivePath)
    const index = await readIndexFile(indexPath)
    if (index === undefined) throw new ArchiveIndexError(indexPath, 'missing')
    const file = await open(archivePath, 'r')
    try {
      const { size } = await file.stat()
      if (size !== index.archive.size) throw new ArchiveIndexError(indexPath, `made for an archive of ${index.archive.size} bytes, this one has ${size}`)
      return new ArchiveReader(archivePath, index, file, options.nestedDir ?? `${indexPath}.nested`)
    } catch (error) {
      await file.close()
      throw error
    }
  }

  async close (): Promise<void> {
    for (const nested of this.#nested.values()) await nested.then((reader) => reader.close(), () => {})
    await this.#file.close()
  }

  /** Every entry in archive order (directories the archive only implies are not in it). */
  entries (): readonly IndexEntry[] {
    return this.index.entries
  }

  /** The entry at a path (a directory the archive only implies has offset -1); nested archives are entered. */
  async stat (path: string): Promise<IndexEntry> {
    const { reader, inner } = await this.#locate(archivePath(path))
    if (inner === '') return { path: '', type: 'directory', size: 0, mode: 0o755, mtime: 0, offset: -1 }
    return reader.#entry(inner)
  }

  /** One page of a directory, sorted by name. A nested archive's path lists its top. */
  async list (path: string, { offset = 0, limit = DEFAULT_PAGE }: { offset?: number, limit?: number } = {}): Promise<DirectoryPage> {
    const requested = archivePath(path)
    let { reader, inner, prefix } = await this.#locate(requested)
    const own = inner === '' ? undefined : reader.#entry(inner)
    if (own !== undefined && own.type === 'file' && isNestedArchiveName(inner)) {
      reader = await reader.#openNested(own)
      prefix = requested
      inner = ''
    } else if (own !== undefined && own.type !== 'directory') {
      throw new NotADirectoryError(requested, own.type)
    }
    const children = reader.#sortedChildren(inner)
    const page = children.slice(offset, offset + limit)
    return {
      path: requested,
      total: children.length,
      offset,
      limit,
      entries: page.map((entry) => listed(entry, prefix === '' ? entry.path : `${prefix}/${entry.path}`))
    }
  }

  /** A regular file's bytes, or a range of them, in one buffer. */
  async read (path: string, range: ByteRange = {}): Promise<Buffer> {
    const { reader, entry, start, end } = await this.#fileRange(path, range)
    return reader.#source.read(entry.offset + start, entry.offset + end)
  }

  /** A regular file's bytes as a stream, with how it may be sent. */
  async openFile (path: string, range: ByteRange = {}): Promise<OpenFile> {
    const { reader, entry, start, end } = await this.#fileRange(path, range)
    const sample = await reader.#source.read(entry.offset, entry.offset + Math.min(entry.size, SNIFF_BYTES))
    return {
      entry,
      start,
      end,
      ...contentDisposition(entry.path, sample),
      body: Readable.from(reader.#source.bytes(entry.offset + start, entry.offset + end), { objectMode: false })
    }
  }

  /** The bytes of a regular file of this archive (not nested), chunk by chunk; for search. */
  chunks (entry: IndexEntry): AsyncGenerator<Buffer> {
    return this.#source.bytes(entry.offset, entry.offset + entry.size)
  }

  async #fileRange (path: string, range: ByteRange): Promise<{ reader: ArchiveReader, entry: IndexEntry, start: number, end: number }> {
    const requested = archivePath(path)
    const { reader, inner } = await this.#locate(requested)
    if (inner === '') throw new NotAFileError(requested, 'directory')
    let entry = reader.#entry(inner)
    if (entry.type === 'hardlink') entry = reader.#byPath.get(entry.link ?? '') ?? entry
    if (entry.type !== 'file') throw new NotAFileError(requested, entry.type)
    const start = Math.min(Math.max(0, range.start ?? 0), entry.size)
    const end = Math.min(Math.max(start, range.end ?? entry.size), entry.size)
    return { reader, entry, start, end }
  }

  #entry (path: string): IndexEntry {
    const entry = this.#byPath.get(path)
    if (entry === undefined) throw new ArchiveEntryNotFoundError(path)
    return entry
  }

  /** The reader and path inside it that a path names: a file ending in .tar.gz followed by more components is entered. */
  async #locate (path: string, prefix = ''): Promise<{ reader: ArchiveReader, inner: string, prefix: string }> {
    if (path !== '' && !this.#byPath.has(path)) {
      const parts = path.split('/')
      for (let k = 1; k < parts.length; k++) {
        const head = parts.slice(0, k).join('/')
        const entry = this.#byPath.get(head)
        if (entry === undefined) break
        if (entry.type === 'file' && isNestedArchiveName(head)) {
          const nested = await this.#openNested(entry)
          return nested.#locate(parts.slice(k).join('/'), prefix === '' ? head : `${prefix}/${head}`)
        }
      }
    }
    return { reader: this, inner: path, prefix }
  }

  #openNested (entry: IndexEntry): Promise<ArchiveReader> {
    let opening = this.#nested.get(entry.path)
    if (opening === undefined) {
      opening = this.#unpackNested(entry)
      opening.catch(() => this.#nested.delete(entry.path))
      this.#nested.set(entry.path, opening)
    }
    return opening
  }

  /**
   * A nested archive is one gzip stream: inflating it once into a blocked copy
   * (and its index) beside this archive's index gives it random access too.
   * Another replica doing the same at the same time writes the same bytes; the
   * renames make either one win whole.
   */
  async #unpackNested (entry: IndexEntry): Promise<ArchiveReader> {
    const key = createHash('sha256').update(`${entry.path}\0${entry.offset}\0${entry.size}`).digest('hex').slice(0, 24)
    const copy = join(this.#nestedDir, `${key}.tar.gz`)
    try {
      return await ArchiveReader.open(copy)
    } catch (error) {
      if (!(error instanceof ArchiveIndexError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    await mkdir(this.#nestedDir, { recursive: true, mode: PRIVATE_DIRECTORY })
    const partial = `${copy}.${process.pid}.${Date.now()}.partial`
    try {
      const tar = gunzipStream(Readable.from(this.chunks(entry)))
      const { index } = await writeBlockedArchive(tar, partial)
      await writeIndexFile(indexPathOf(copy), index)
      await rename(partial, copy)
    } catch (error) {
      await rm(partial, { force: true })
      throw new NestedArchiveError(entry.path, (error as Error).message)
    }
    return ArchiveReader.open(copy)
  }

  #sortedChildren (dir: string): IndexEntry[] {
    const children = this.#children.get(dir) ?? []
    if (!this.#sorted.has(dir)) {
      children.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      this.#sorted.add(dir)
    }
    return children
  }

  /** Path → entry and directory → children, with the directories an archive only implies (no entry of their own) made up. */
  #buildTree (): void {
    for (const entry of this.index.entries) {
      // A path with `..` in it can never be asked for (paths.ts); a later entry of the same path wins, as when extracting.
      if (entry.path.split('/').includes('..')) continue
      const previous = this.#byPath.get(entry.path)
      this.#byPath.set(entry.path, entry)
      if (previous !== undefined) {
        const siblings = this.#children.get(parentOf(entry.path)) as IndexEntry[]
        siblings[siblings.indexOf(previous)] = entry
        continue
      }
      this.#addChild(entry)
    }
  }

  #addChild (entry: IndexEntry): void {
    const parent = parentOf(entry.path)
    let siblings = this.#children.get(parent)
    if (siblings === undefined) {
      siblings = []
      this.#children.set(parent, siblings)
      if (parent !== '' && !this.#byPath.has(parent)) {
        const implied: IndexEntry = { path: parent, type: 'directory', size: 0, mode: 0o755, mtime: entry.mtime, offset: -1 }
        this.#byPath.set(parent, implied)
        this.#addChild(implied)
      }
    }
    siblings.push(entry)
  }
}

function listed (entry: IndexEntry, path: string): ListedEntry {
  const item: ListedEntry = {
    name: baseName(entry.path),
    path,
    type: entry.type,
    size: entry.size,
    mode: entry.mode.toString(8).padStart(4, '0'),
    mtime: new Date(entry.mtime * 1000).toISOString()
  }
  if (entry.link !== undefined) item.target = entry.link
  if (entry.type === 'file' && isNestedArchiveName(entry.path)) item.archive = true
  return item
}
