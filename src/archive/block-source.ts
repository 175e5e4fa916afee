import type { FileHandle } from 'node:fs/promises'
import { promisify } from 'node:util'
import { gunzip as gunzipCallback } from 'node:zlib'

import type { BlockTable } from './index-file.js'

const gunzip = promisify(gunzipCallback)

/** Decompressed blocks kept per open archive: a file's neighbours usually share its block. */
const CACHED_BLOCKS = 8

/**
 * The uncompressed tar stream of a blocked archive, read at any offset by
 * inflating only the blocks that cover the range (each a gzip member of its own).
 */
export class BlockSource {
  readonly #file: FileHandle
  readonly #blocks: BlockTable
  /** Most recently used last. */
  readonly #cache = new Map<number, Promise<Buffer>>()

  constructor (file: FileHandle, blocks: BlockTable) {
    this.#file = file
    this.#blocks = blocks
  }

  /** Length of the uncompressed stream. */
  get length (): number {
    return this.#blocks.uncompressed.at(-1) ?? 0
  }

  /** The bytes [from, to) of the uncompressed stream, block by block; the next block is read while one is handed out. */
  async * bytes (from: number, to: number): AsyncGenerator<Buffer> {
    const starts = this.#blocks.uncompressed
    let i = this.#blockAt(from)
    while (i < starts.length - 1 && (starts[i] as number) < to) {
      if (i + 1 < starts.length - 1 && (starts[i + 1] as number) < to) this.#block(i + 1).catch(() => {})
      const block = await this.#block(i)
      const base = starts[i] as number
      yield block.subarray(Math.max(0, from - base), Math.min(block.length, to - base))
      i++
    }
  }

  /** The bytes [from, to) in one buffer. */
  async read (from: number, to: number): Promise<Buffer> {
    const parts: Buffer[] = []
    for await (const part of this.bytes(from, to)) parts.push(part)
    return parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts)
  }

  /** Index of the block holding uncompressed offset `offset` (binary search). */
  #blockAt (offset: number): number {
    const starts = this.#blocks.uncompressed
    let lo = 0
    let hi = starts.length - 2
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return Math.max(0, lo)
  }

  #block (i: number): Promise<Buffer> {
    const cached = this.#cache.get(i)
    if (cached !== undefined) {
      this.#cache.delete(i)
      this.#cache.set(i, cached)
      return cached
    }
    const loading = this.#load(i)
    loading.catch(() => this.#cache.delete(i))
    this.#cache.set(i, loading)
    if (this.#cache.size > CACHED_BLOCKS) this.#cache.delete(this.#cache.keys().next().value as number)
    return loading
  }

  async #load (i: number): Promise<Buffer> {
    const start = this.#blocks.compressed[i] as number
    const length = (this.#blocks.compressed[i + 1] as number) - start
    const member = Buffer.allocUnsafe(length)
    const { bytesRead } = await this.#file.read(member, 0, length, start)
    if (bytesRead !== length) throw new Error(`archive truncated: block ${i} at ${start} is ${bytesRead} of ${length} bytes`)
    const block = await gunzip(member)
    const expected = (this.#blocks.uncompressed[i + 1] as number) - (this.#blocks.uncompressed[i] as number)
    if (block.length !== expected) throw new Error(`block ${i} inflates to ${block.length} bytes, the index says ${expected}`)
    return block
  }
}
