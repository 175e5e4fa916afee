import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { gunzipSync, gzipSync } from 'node:zlib'

import { PRIVATE_FILE } from '../gatherings/file-modes.js'
import { ArchiveIndexError } from './errors.js'
import type { EntryType, IndexEntry } from './tar-headers.js'

// The sidecar index of a blocked archive, `<archive>.idx` beside it: on the
// shared volume with the archive, so any replica can read it, and removed with
// it. Format: the line "MGSIDX <version>\n", then gzip-compressed JSON whose
// entries are stored column by column (paths share long prefixes, which gzip
// folds away: about 15 bytes an entry).

export const INDEX_VERSION = 1
const MAGIC = 'MGSIDX'

export interface BlockTable {
  /** Offset of each block in the uncompressed tar stream, then the stream's length. */
  uncompressed: number[]
  /** Offset of each block's gzip member in the archive, then the archive's length. */
  compressed: number[]
}

export interface ArchiveIndex {
  version: number
  /** What the index was built from: an index whose archive is another size is stale. */
  archive: { size: number, sha256?: string }
  blockSize: number
  blocks: BlockTable
  entries: IndexEntry[]
}

const TYPE_CODES: Record<EntryType, string> = { file: 'f', directory: 'd', symlink: 'l', hardlink: 'h', other: 'o' }
const CODE_TYPES = Object.fromEntries(Object.entries(TYPE_CODES).map(([type, code]) => [code, type])) as Record<string, EntryType>

interface Columns {
  version: number
  archive: ArchiveIndex['archive']
  blockSize: number
  blocks: BlockTable
  path: string[]
  type: string
  size: number[]
  mode: number[]
  mtime: number[]
  offset: number[]
  link: Record<string, string>
}

export function encodeIndex (index: ArchiveIndex): Buffer {
  const { entries } = index
  const columns: Columns = {
    version: index.version,
    archive: index.archive,
    blockSize: index.blockSize,
    blocks: index.blocks,
    path: entries.map((e) => e.path),
    type: entries.map((e) => TYPE_CODES[e.type]).join(''),
    size: entries.map((e) => e.size),
    mode: entries.map((e) => e.mode),
    mtime: entries.map((e) => e.mtime),
    // Deltas: small numbers make a smaller file.
    offset: entries.map((e, i) => e.offset - (i > 0 ? (entries[i - 1] as IndexEntry).offset : 0)),
    link: Object.fromEntries(entries.flatMap((e, i) => e.link !== undefined ? [[String(i), e.link]] : []))
  }
  return Buffer.concat([Buffer.from(`${MAGIC} ${INDEX_VERSION}\n`), gzipSync(JSON.stringify(columns))])
}

export function decodeIndex (data: Buffer, where: string): ArchiveIndex {
  const newline = data.indexOf(10)
  const head = data.toString('latin1', 0, newline === -1 ? 0 : newline)
  if (head !== `${MAGIC} ${INDEX_VERSION}`) throw new ArchiveIndexError(where, `not a version ${INDEX_VERSION} index (starts "${head.slice(0, 20)}")`)
  let columns: Columns
  try {
    columns = JSON.parse(gunzipSync(data.subarray(newline + 1)).toString('utf8')) as Columns
  } catch (error) {
    throw new ArchiveIndexError(where, `unreadable: ${(error as Error).message}`)
  }
  const entries: IndexEntry[] = new Array(columns.path.length)
  let offset = 0
  for (let i = 0; i < columns.path.length; i++) {
    offset += columns.offset[i] as number
    const entry: IndexEntry = {
      path: columns.path[i] as string,
      type: CODE_TYPES[columns.type[i] as string] ?? 'other',
      size: columns.size[i] as number,
      mode: columns.mode[i] as number,
      mtime: columns.mtime[i] as number,
      offset
    }
    const link = columns.link[String(i)]
    if (link !== undefined) entry.link = link
    entries[i] = entry
  }
  return { version: columns.version, archive: columns.archive, blockSize: columns.blockSize, blocks: columns.blocks, entries }
}

/** Writes the index atomically (a temporary file renamed into place): readers see the old one or the new one. */
export async function writeIndexFile (path: string, index: ArchiveIndex): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, encodeIndex(index), { mode: PRIVATE_FILE })
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/** The index at `path`, or undefined when there is none. */
export async function readIndexFile (path: string): Promise<ArchiveIndex | undefined> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return decodeIndex(data, path)
}

/** Where an archive's index lives. */
export function indexPathOf (archivePath: string): string {
  return `${archivePath}.idx`
}
