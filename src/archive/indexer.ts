import { createHash } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gunzip as gunzipCallback } from 'node:zlib'

import { hashFile, type ArchiveFile } from '../gatherings/archive.js'
import { DEFAULT_BLOCK_SIZE, writeBlockedArchive, type BlockedWriteOptions } from './block-writer.js'
import { inflateFile } from './gzip-child.js'
import { isGzip, MEMBER_HEADER_LENGTH, memberLength } from './gzip-member.js'
import { INDEX_VERSION, indexPathOf, readIndexFile, writeIndexFile, type IndexToWrite } from './index-file.js'
import { TarHeaderParser } from './tar-headers.js'

const gunzip = promisify(gunzipCallback)

export type IndexOutcome =
  | { status: 'present', entries: number }
  /** A blocked archive whose index was missing or stale: rebuilt by reading it, the archive unchanged. */
  | { status: 'scanned', entries: number }
  /**
   * A single-stream archive (one an image wrote itself) replaced by its blocked
   * form: the same tar stream, so the same files, but other compressed bytes,
   * hence another sha256 and size: callers must record `after`.
   */
  | { status: 'repacked', entries: number, before: ArchiveFile, after: ArchiveFile }
  /** A single-stream archive left as it is (`repack: false`): it has no index. */
  | { status: 'single-stream' }

export interface EnsureIndexOptions extends BlockedWriteOptions {
  indexPath?: string
  /** Re-pack a single-stream archive in place (default); with false it is left alone. */
  repack?: boolean
}

/**
 * Makes sure an archive has a matching index beside it: keeps a valid one,
 * rebuilds it from a blocked archive by scanning, or re-packs a single-stream
 * archive in place into the blocked form (written beside it and renamed over it).
 */
export async function ensureIndex (archive: string, options: EnsureIndexOptions = {}): Promise<IndexOutcome> {
  const indexPath = options.indexPath ?? indexPathOf(archive)
  const existing = await readIndexFile(indexPath).catch(() => undefined)
  const file = await open(archive, 'r')
  let blocked: boolean
  let size: number
  try {
    size = (await file.stat()).size
    const head = Buffer.alloc(MEMBER_HEADER_LENGTH)
    await file.read(head, 0, head.length, 0)
    if (!isGzip(head)) throw new Error(`${archive} is not a gzip file`)
    blocked = memberLength(head) !== undefined
  } finally {
    await file.close()
  }
  if (existing !== undefined && existing.archive.size === size && blocked) return { status: 'present', entries: existing.entries.length }
  if (blocked) {
    const index = await scanBlockedArchive(archive, options.signal)
    await writeIndexFile(indexPath, index)
    return { status: 'scanned', entries: index.entries.length }
  }
  if (options.repack === false) return { status: 'single-stream' }
  return repack(archive, indexPath, options)
}

/** The index of a blocked archive, from its bytes: member by member (their headers give their lengths), each inflated once. */
export async function scanBlockedArchive (archive: string, signal?: AbortSignal): Promise<IndexToWrite> {
  const file = await open(archive, 'r')
  try {
    const { size } = await file.stat()
    const hash = createHash('sha256')
    const parser = new TarHeaderParser()
    const blocks = { uncompressed: [] as number[], compressed: [] as number[] }
    let blockSize = 0
    let uncompressed = 0
    const readMember = async (position: number): Promise<Buffer> => {
      const head = Buffer.alloc(MEMBER_HEADER_LENGTH)
      await file.read(head, 0, head.length, position)
      const length = memberLength(head)
      if (length === undefined || position + length > size) throw new Error(`${archive}: no blocked-archive member at ${position}`)
      const member = Buffer.allocUnsafe(length)
      await file.read(member, 0, length, position)
      return member
    }
    let position = 0
    let next = size > 0 ? readMember(0) : undefined
    while (next !== undefined) {
      signal?.throwIfAborted()
      const member = await next
      const inflating = gunzip(member)
      const following = position + member.length
      // The next member is read from disk while this one inflates.
      next = following < size ? readMember(following) : undefined
      next?.catch(() => {})
      const block = await inflating
      hash.update(member)
      blocks.uncompressed.push(uncompressed)
      blocks.compressed.push(position)
      parser.push(block)
      blockSize = Math.max(blockSize, block.length)
      uncompressed += block.length
      position = following
    }
    blocks.uncompressed.push(uncompressed)
    blocks.compressed.push(position)
    return { version: INDEX_VERSION, archive: { size, sha256: hash.digest('hex') }, blockSize: blockSize || DEFAULT_BLOCK_SIZE, blocks, entries: parser.entries }
  } finally {
    await file.close()
  }
}

async function repack (archive: string, indexPath: string, options: EnsureIndexOptions): Promise<IndexOutcome> {
  const partial = `${archive}.repack.partial`
  try {
    const hashing = hashFile(archive)
    hashing.catch(() => {})
    const inflating = inflateFile(archive, options.signal)
    const { file, index } = await writeBlockedArchive(inflating.stream, partial, options)
    await inflating.done
    const before = await hashing
    await writeIndexFile(indexPath, index)
    await rename(partial, archive)
    // Nested copies were made from the old bytes' offsets.
    await rm(`${indexPath}.nested`, { recursive: true, force: true })
    return { status: 'repacked', entries: index.entries.length, before, after: file }
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}

/** Removes what indexing put beside an archive (its index, nested archives' copies): call when the archive goes. */
export async function removeIndex (archive: string, indexPath = indexPathOf(archive)): Promise<void> {
  await rm(indexPath, { force: true })
  await rm(`${indexPath}.nested`, { recursive: true, force: true })
}
