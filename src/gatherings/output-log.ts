import { createWriteStream, type WriteStream } from 'node:fs'

import { PRIVATE_FILE } from './file-modes.js'
import { open } from 'node:fs/promises'

/**
 * The output of one run: every byte goes to a file as it arrives, and only the
 * last `tailLimit` bytes stay in memory, so capture costs O(size) whatever the
 * line rate and memory stays bounded whatever the size.
 */
export class OutputLog {
  readonly #file: WriteStream
  readonly #tailLimit: number
  #chunks: Buffer[] = []
  #chunkBytes = 0
  #size = 0
  #closed: Promise<void> | undefined

  constructor (path: string, tailLimit: number) {
    this.#file = createWriteStream(path, { flags: 'a', highWaterMark: 1024 * 1024, mode: PRIVATE_FILE })
    this.#tailLimit = tailLimit
    // Errors surface in close(); a failing disk must not crash the service.
    this.#file.on('error', () => {})
  }

  get size (): number {
    return this.#size
  }

  /** Appends a chunk; returns false when the caller should wait for `drain`. */
  write (chunk: Buffer): boolean {
    this.#size += chunk.length
    this.#chunks.push(chunk)
    this.#chunkBytes += chunk.length
    // Trim lazily: only once twice the limit is held, so trimming stays O(1) amortised.
    if (this.#chunkBytes > 2 * this.#tailLimit + 65536) this.#compact()
    // After a write error (disk full) the file is lost anyway: keep the tail,
    // never ask the producer to wait for a drain that will not come.
    if (this.#file.errored !== null || this.#file.destroyed) return true
    return this.#file.write(chunk)
  }

  onDrain (listener: () => void): void {
    const once = (): void => {
      this.#file.off('drain', once)
      this.#file.off('close', once)
      listener()
    }
    this.#file.on('drain', once)
    this.#file.on('close', once)
  }

  /** The last `limit` bytes as text (at most the tail limit). */
  tail (limit = this.#tailLimit): string {
    return decodeTail(Buffer.concat(this.#chunks), Math.min(limit, this.#tailLimit))
  }

  /** Flushes and closes the file; rejects if any write failed. */
  close (): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      if (this.#file.errored !== null) {
        reject(this.#file.errored)
        return
      }
      this.#file.end((error?: Error | null) => (error ? reject(error) : resolve()))
    })
    return this.#closed
  }

  #compact (): void {
    const all = Buffer.concat(this.#chunks)
    const kept = all.subarray(Math.max(0, all.length - this.#tailLimit))
    this.#chunks = [Buffer.from(kept)]
    this.#chunkBytes = kept.length
  }
}

/**
 * The last `limit` bytes of `bytes` as UTF-8 text. A cut that lands inside a
 * multi-byte character skips to the next character start; invalid UTF-8 the
 * process printed becomes U+FFFD.
 */
export function decodeTail (bytes: Buffer, limit: number): string {
  if (limit <= 0) return ''
  let start = Math.max(0, bytes.length - limit)
  let skipped = 0
  while (start < bytes.length && skipped < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) {
    start++
    skipped++
  }
  return bytes.subarray(start).toString('utf8')
}

/** The last `limit` bytes of a file as text; empty if the file does not exist. */
export async function readFileTail (path: string, limit: number): Promise<{ tail: string, size: number }> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tail: '', size: 0 }
    throw error
  }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, limit)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    return { tail: decodeTail(buffer, limit), size }
  } finally {
    await handle.close()
  }
}
