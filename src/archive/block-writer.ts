import { createHash } from 'node:crypto'
import { type FileHandle, open } from 'node:fs/promises'
import { type Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { PRIVATE_FILE } from '../gatherings/file-modes.js'
import type { ArchiveFile } from '../gatherings/archive.js'
import { BlockCompressor, type Compressed, type CompressorOptions } from './compress-pool.js'
import { memberBody, memberHeader } from './gzip-member.js'
import { INDEX_VERSION, type IndexToWrite } from './index-file.js'
import { TarHeaderParser, type TarTap } from './tar-headers.js'

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
  /**
   * false: the tar headers are not read (the index has no entries). Only to
   * measure what indexing costs (bench/insight.mjs). (Default: true)
   */
  indexing?: boolean
  /** Shown each entry, and given the files it asks for, as the stream goes past. */
  tap?: TarTap
}

export interface BlockedArchive {
  file: ArchiveFile
  index: IndexToWrite
}

/**
 * Writes a tar stream to `path` as a blocked .tar.gz: the stream is cut into
 * blocks, each compressed on its own as one gzip member by a pool of threads,
 * and written in order as soon as it and every block before it are done.
 * At most two blocks per thread are in flight, so memory stays bounded
 * whatever the archive's size. The tar headers are read as they go past, and
 * the sha256 computed as the archive is written.
 *
 * The source is read from the moment this is called (before anything is
 * awaited): a child's stdout passed at once loses nothing, even when the
 * child exits before the file is open.
 */
export async function writeBlockedArchive (source: Readable | AsyncIterable<Buffer>, path: string, options: BlockedWriteOptions = {}): Promise<BlockedArchive> {
  const sink = new BlockedArchiveSink(path, options)
  await pipeline(source, sink, ...(options.signal !== undefined ? [{ signal: options.signal }] : []))
  return sink.result()
}

type Pending = { compressed: Promise<Compressed>, length: number }

/**
 * The writing end: a Writable, so that a stream's chunks arrive as they were
 * read (no async iterator joining them into new buffers), and backpressure
 * (the compressing threads busy) pauses the source.
 */
class BlockedArchiveSink extends Writable {
  readonly #path: string
  readonly #blockSize: number
  readonly #compressor: BlockCompressor
  readonly #maxInFlight: number
  readonly #hash = createHash('sha256')
  readonly #parser: TarHeaderParser
  readonly #indexing: boolean
  readonly #blocks = { uncompressed: [] as number[], compressed: [] as number[] }
  readonly #pending: Pending[] = []
  /** Blocks given back by the compressor, filled again: a handful in all, whatever the archive's size. */
  readonly #spare: ArrayBuffer[] = []
  #file: FileHandle | undefined
  #block: ArrayBuffer
  #view: Buffer
  #fill = 0
  #total = 0
  #written = 0
  #consumed = 0
  #sha256: string | undefined

  constructor (path: string, options: BlockedWriteOptions) {
    // Chunks wait here (not copied) while every thread is busy: tar goes on reading files meanwhile.
    super({ highWaterMark: 1024 * 1024 })
    this.#path = path
    this.#blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE
    this.#indexing = options.indexing ?? true
    this.#parser = new TarHeaderParser(options.tap)
    this.#compressor = new BlockCompressor(options)
    this.#maxInFlight = this.#compressor.size * 2
    this.#block = this.#nextBlock()
    this.#view = Buffer.from(this.#block, 0, this.#blockSize)
  }

  result (): BlockedArchive {
    const sha256 = this.#sha256 as string
    return {
      file: { size: this.#written, sha256 },
      index: { version: INDEX_VERSION, archive: { size: this.#written, sha256 }, blockSize: this.#blockSize, blocks: this.#blocks, entries: this.#parser.entries }
    }
  }

  override _construct (callback: (error?: Error | null) => void): void {
    // Readable by the service's user only, whatever the umask (src/gatherings/file-modes.ts).
    open(this.#path, 'w', PRIVATE_FILE).then((file) => { this.#file = file; callback() }, callback)
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      if (this.#indexing) this.#parser.push(chunk)
    } catch (error) {
      callback(error as Error)
      return
    }
    this.#total += chunk.length
    this.#take(chunk, 0, callback)
  }

  /** Copies `chunk` from `from` into blocks; waits for the oldest block only when every thread has its share. */
  #take (chunk: Buffer, from: number, callback: (error?: Error | null) => void): void {
    const blockSize = this.#blockSize
    for (let i = from; i < chunk.length;) {
      const n = Math.min(blockSize - this.#fill, chunk.length - i)
      chunk.copy(this.#view, this.#fill, i, i + n)
      this.#fill += n
      i += n
      if (this.#fill === blockSize) {
        this.#submit()
        if (this.#pending.length >= this.#maxInFlight) {
          this.#writeOldest().then(() => this.#take(chunk, i, callback), callback)
          return
        }
      }
    }
    callback()
  }

  override _final (callback: (error?: Error | null) => void): void {
    // The last, partial block; an empty stream still makes one (empty) member, a valid gzip file.
    if (this.#fill > 0 || this.#total === 0) this.#submit()
    const finish = async (): Promise<void> => {
      while (this.#pending.length > 0) await this.#writeOldest()
      this.#blocks.uncompressed.push(this.#consumed)
      this.#blocks.compressed.push(this.#written)
      this.#sha256 = this.#hash.digest('hex')
      await this.#close()
    }
    finish().then(() => callback(), callback)
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(() => callback(error), (closing: Error) => callback(error ?? closing))
  }

  #submit (): void {
    const compressed = this.#compressor.compress(this.#block, this.#fill)
    compressed.catch(() => {}) // awaited in order by #writeOldest; a failure must not be unhandled meanwhile
    this.#pending.push({ compressed, length: this.#fill })
    this.#block = this.#nextBlock()
    this.#view = Buffer.from(this.#block, 0, this.#blockSize)
    this.#fill = 0
  }

  /** Not zero-filled: every byte handed to the compressor is written first. */
  #nextBlock (): ArrayBuffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#blockSize).buffer
  }

  async #writeOldest (): Promise<void> {
    const { compressed, length } = this.#pending.shift() as Pending
    const { gzipped, buffer } = await compressed
    this.#spare.push(buffer)
    const body = memberBody(gzipped)
    const header = memberHeader(body.length)
    this.#blocks.uncompressed.push(this.#consumed)
    this.#blocks.compressed.push(this.#written)
    await (this.#file as FileHandle).writev([header, body])
    this.#hash.update(header).update(body)
    this.#written += header.length + body.length
    this.#consumed += length
  }

  async #close (): Promise<void> {
    const file = this.#file
    this.#file = undefined
    try {
      await file?.close()
    } finally {
      await this.#compressor.close()
    }
  }
}
