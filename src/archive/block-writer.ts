import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'

import { PRIVATE_FILE } from '../gatherings/file-modes.js'
import type { ArchiveFile } from '../gatherings/archive.js'
import { BlockCompressor, type Compressed, type CompressorOptions } from './compress-pool.js'
import { memberBody, memberHeader } from './gzip-member.js'
import { INDEX_VERSION, type ArchiveIndex } from './index-file.js'
import { TarHeaderParser } from './tar-headers.js'

/**
 * Uncompressed bytes per block. Measured on the bench's 315 MB simulator tree,
 * archive size against `tar -czf`'s (zlib level 6 compresses these a little
 * better than gzip -6) and pack time ratio, 2 threads: 128 KiB 1.032 / 0.62,
 * 256 KiB 1.005 / 0.56, 512 KiB 0.991 / 0.47, 1 MiB 0.984 / 0.47, 4 MiB
 * 0.978 / 0.49. 512 KiB: as small and fast as larger blocks, and a 10 KB read
 * inflates at most 1 MiB (two blocks, ~2 ms).
 *
 * The level (compress-pool.ts): deflate's CPU for the whole tree (391 MB of
 * tar stream, one thread, Node 20's zlib) and the size against `tar -czf`'s,
 * 512 KiB blocks: level 6 3.9 s / 0.991, level 5 3.0 s / 1.025, level 4
 * 2.4 s / 1.085, level 1 1.6 s / 1.21; memLevel 9 takes ~3 % off level 5's
 * time (2.95 s / 1.024). Level 5 with memLevel 9: a quarter less CPU, well
 * inside the 1.05.
 */
export const DEFAULT_BLOCK_SIZE = 512 * 1024

export interface BlockedWriteOptions extends CompressorOptions {
  blockSize?: number
  signal?: AbortSignal
}

export interface BlockedArchive {
  file: ArchiveFile
  index: ArchiveIndex
}

/**
 * Writes a tar stream to `path` as a blocked .tar.gz: the stream is cut into
 * blocks, each compressed on its own as one gzip member by a pool of threads,
 * and written in order as soon as it and every block before it are done.
 * At most two blocks per thread are in flight, so memory stays bounded
 * whatever the archive's size. The tar headers are read as they go past, and
 * the sha256 computed as the archive is written.
 */
export async function writeBlockedArchive (source: AsyncIterable<Buffer>, path: string, options: BlockedWriteOptions = {}): Promise<BlockedArchive> {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
  const { signal } = options
  const compressor = new BlockCompressor(options)
  const maxInFlight = compressor.size * 2
  // Readable by the service's user only, whatever the umask (src/gatherings/file-modes.ts).
  const file = await open(path, 'w', PRIVATE_FILE)
  const hash = createHash('sha256')
  const parser = new TarHeaderParser()
  const blocks = { uncompressed: [] as number[], compressed: [] as number[] }
  const pending: Array<{ compressed: Promise<Compressed>, length: number }> = []
  // Blocks given back by the compressor, filled again: a handful in all, whatever the archive's size.
  const spare: ArrayBuffer[] = []
  let written = 0
  let consumed = 0

  const writeOldest = async (): Promise<void> => {
    const { compressed, length } = pending.shift() as { compressed: Promise<Compressed>, length: number }
    const { gzipped, buffer } = await compressed
    spare.push(buffer)
    const body = memberBody(gzipped)
    const header = memberHeader(body.length)
    blocks.uncompressed.push(consumed)
    blocks.compressed.push(written)
    await file.writev([header, body])
    hash.update(header).update(body)
    written += header.length + body.length
    consumed += length
  }
  const submit = async (block: ArrayBuffer, length: number): Promise<void> => {
    const compressed = compressor.compress(block, length)
    compressed.catch(() => {}) // awaited in order by writeOldest; a failure must not be unhandled meanwhile
    pending.push({ compressed, length })
    if (pending.length >= maxInFlight) await writeOldest()
  }
  // Not zero-filled: every byte handed to the compressor is written first.
  const nextBlock = (): ArrayBuffer => spare.pop() ?? Buffer.allocUnsafeSlow(blockSize).buffer

  try {
    let block = nextBlock()
    let view = Buffer.from(block, 0, blockSize)
    let fill = 0
    let total = 0
    for await (const chunk of source) {
      signal?.throwIfAborted()
      parser.push(chunk)
      total += chunk.length
      for (let i = 0; i < chunk.length;) {
        const n = Math.min(blockSize - fill, chunk.length - i)
        chunk.copy(view, fill, i, i + n)
        fill += n
        i += n
        if (fill === blockSize) {
          await submit(block, fill)
          block = nextBlock()
          view = Buffer.from(block, 0, blockSize)
          fill = 0
        }
      }
    }
    // The last, partial block; an empty stream still makes one (empty) member, a valid gzip file.
    if (fill > 0 || total === 0) await submit(block, fill)
    while (pending.length > 0) await writeOldest()
    signal?.throwIfAborted()
    blocks.uncompressed.push(consumed)
    blocks.compressed.push(written)
  } finally {
    await file.close()
    await compressor.close()
  }
  const sha256 = hash.digest('hex')
  return {
    file: { size: written, sha256 },
    index: { version: INDEX_VERSION, archive: { size: written, sha256 }, blockSize, blocks, entries: parser.entries }
  }
}
