import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gunzipSync, gzip } from 'node:zlib'

import { PRIVATE_FILE } from '../gatherings/file-modes.js'
import { ArchiveIndexError } from './errors.js'
import { type EntryColumns, entriesOf, EntryTable } from './entry-table.js'
import type { IndexEntry } from './tar-headers.js'

// The sidecar index of a blocked archive, `<archive>.idx` beside it: on the
// shared volume with the archive, so any replica can read it, and removed with
// it. Format: the line "MGSIDX <version>\n", then gzip-compressed JSON whose
// entries are stored column by column, each path as the length it shares with
// the previous one and the rest (version 2; version 1 files, with whole paths,
// are still read).

export const INDEX_VERSION = 2
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

/** An index as it is written: the entries as the packer holds them (EntryTable), or any list of them. */
export interface IndexToWrite extends Omit<ArchiveIndex, 'entries'> {
  entries: EntryTable | readonly IndexEntry[]
}

/** The file's JSON: version 1 stored whole paths (`path`); version 2 front-codes them (`shared`, `tail`). */
interface StoredColumns extends Omit<EntryColumns, 'shared' | 'tail'> {
  version: number
  archive: ArchiveIndex['archive']
  blockSize: number
  blocks: BlockTable
  shared?: number[]
  tail?: string[]
  path?: string[]
}

const gzipAsync = promisify(gzip)

/**
 * gzip level 1 on the thread pool: the index is written as the archive is
 * completed, on the way to `completed`. For the bench's 46,827 entries,
 * front-coded: level 1 ~4 ms; whole paths (version 1, 11.8 MB of JSON) took
 * 63 ms at level 6.
 */
export async function encodeIndex (index: IndexToWrite): Promise<Buffer> {
  const { offset, ...columns } = (index.entries instanceof EntryTable ? index.entries : EntryTable.from(index.entries)).columns()
  const stored: StoredColumns = {
    version: INDEX_VERSION,
    archive: index.archive,
    blockSize: index.blockSize,
    blocks: index.blocks,
    ...columns,
    // Deltas: small numbers make a smaller file.
    offset: offset.map((value, i) => value - (i > 0 ? offset[i - 1] as number : 0))
  }
  return Buffer.concat([Buffer.from(`${MAGIC} ${INDEX_VERSION}\n`), await gzipAsync(JSON.stringify(stored), { level: 1 })])
}

export function decodeIndex (data: Buffer, where: string): ArchiveIndex {
  const newline = data.indexOf(10)
  const head = data.toString('latin1', 0, newline === -1 ? 0 : newline)
  const version = head.startsWith(`${MAGIC} `) ? Number(head.slice(MAGIC.length + 1)) : NaN
  if (version !== 1 && version !== 2) throw new ArchiveIndexError(where, `not a version 1 or ${INDEX_VERSION} index (starts "${head.slice(0, 20)}")`)
  let stored: StoredColumns
  try {
    stored = JSON.parse(gunzipSync(data.subarray(newline + 1)).toString('utf8')) as StoredColumns
  } catch (error) {
    throw new ArchiveIndexError(where, `unreadable: ${(error as Error).message}`)
  }
  let offset = 0
  const offsets = stored.offset.map((delta) => (offset += delta))
  const paths = stored.path
  const columns: EntryColumns = paths !== undefined
    ? { ...stored, offset: offsets, shared: paths.map(() => 0), tail: paths }
    : { ...stored, offset: offsets, shared: stored.shared ?? [], tail: stored.tail ?? [] }
  return { version: stored.version, archive: stored.archive, blockSize: stored.blockSize, blocks: stored.blocks, entries: [...entriesOf(columns)] }
}

/** Writes the index atomically (a temporary file renamed into place): readers see the old one or the new one. */
export async function writeIndexFile (path: string, index: IndexToWrite): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, await encodeIndex(index), { mode: PRIVATE_FILE })
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
