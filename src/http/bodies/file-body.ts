import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'

/** A client that has not taken a single write for this long is cut off (it holds a file handle meanwhile). */
export const STALL_TIMEOUT_MS = 60_000
/**
 * Buffers per download, allocated as needed and dropped with the download. Three, so that two
 * writes can be queued on the socket while the next read runs; 512 KiB, because on loopback this
 * took the least CPU per GiB of 2 × 256 KiB, 4 × 256 KiB, 2 × 512 KiB, 2 × 1 MiB and 4 × 1 MiB
 * (1 MiB buffers cost 30–50% more, likely cache misses between the read and the write).
 */
const BUFFER_COUNT = 3
const BUFFER_SIZE = 512 * 1024

export interface FileBodyOptions {
  /** An open handle; the body closes it when it ends, fails or is destroyed. */
  handle: FileHandle
  /** First byte to send. */
  start: number
  /** Last byte to send, inclusive as in Content-Range. */
  end: number
  /** Give up on a client whose pending write has not completed for this long (default: STALL_TIMEOUT_MS). */
  stallTimeoutMs?: number
}

/** The client stopped reading: no write completed within the stall timeout. */
export class DownloadStalledError extends Error {
  readonly code = 'DOWNLOAD_STALLED'
  constructor (readonly timeoutMs: number) {
    super(`the client has not read anything for ${timeoutMs / 1000} s; closing the connection`)
    this.name = new.target.name
  }
}

/** The file ended before the promised range did (truncated after the response headers were decided). */
export class FileTruncatedError extends Error {
  readonly code = 'FILE_TRUNCATED'
  constructor (readonly position: number, readonly end: number) {
    super(`the file ended at byte ${position}, before byte ${end} of the response body`)
    this.name = new.target.name
  }
}

/** What the body is piped into: an http.ServerResponse in practice. */
interface Sink {
  write: (chunk: Buffer, callback: (error?: Error | null) => void) => boolean
  end: () => void
  destroy: () => void
}

/**
 * A byte range of a file as a response body, sent the way a static file server
 * would: through a few buffers reused for the whole download, instead of a new
 * buffer per chunk (GC churn, and RSS that grows with concurrent downloads).
 *
 * Fastify sends a stream body by calling `pipe(res)` (reply.js `sendStream`),
 * so `pipe` is where the work happens: it reads into a free buffer while the
 * previous one is being written, and reuses a buffer only once its write
 * callback has fired, since the socket reads from it until then. When the
 * range is sent it ends `res` and then itself, so Fastify sees a normal end
 * and its hooks run as for any reply; Fastify destroys the body when `res`
 * closes first (client gone). Reading the body as a plain Readable works too,
 * one new buffer per chunk.
 *
 * Failures destroy the body; once part of the body is written, they destroy
 * the response as well, so the client sees a cut connection rather than a
 * silently short file. The handle is closed in every case.
 */
export class FileBody extends Readable {
  readonly #handle: FileHandle
  #position: number
  /** Exclusive. */
  readonly #end: number
  readonly #stallTimeoutMs: number
  #piped = false
  #wroteAny = false
  #writesInFlight = 0
  /** Set while the pump waits for a write to complete; called by the write callback and by destroy. */
  #wake: (() => void) | undefined

  constructor ({ handle, start, end, stallTimeoutMs = STALL_TIMEOUT_MS }: FileBodyOptions) {
    super()
    this.#handle = handle
    this.#position = start
    this.#end = end + 1
    this.#stallTimeoutMs = stallTimeoutMs
  }

  override pipe<T extends NodeJS.WritableStream> (destination: T, options?: { end?: boolean }): T {
    if (this.#piped) throw new Error('a FileBody can be piped only once')
    this.#piped = true
    const sink = destination as unknown as Sink
    this.#pump(sink).then(() => {
      if (this.destroyed) return
      if (options?.end !== false) this.once('end', () => sink.end())
      // Nothing was pushed, so resuming emits 'end' at once (and autoDestroy closes the handle).
      this.push(null)
      this.resume()
    }, (error: unknown) => {
      // Before the first write the owner can still answer with an error status; after it, only a cut
      // connection is honest. Cut it once the body is destroyed, so that Fastify sees (and logs) the
      // body's error before it sees the response close.
      if (this.#wroteAny) this.once('close', () => sink.destroy())
      this.destroy(error as Error)
    })
    return destination
  }

  /** Only for consumers that read instead of piping: a new buffer per chunk, as fs.createReadStream does. */
  override _read (): void {
    if (this.#piped) return
    if (this.#position >= this.#end) {
      this.push(null)
      return
    }
    const buffer = Buffer.allocUnsafe(Math.min(BUFFER_SIZE, this.#end - this.#position))
    this.#readNext(buffer).then((chunk) => this.push(chunk), (error: unknown) => this.destroy(error as Error))
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    this.#wake?.()
    // FileHandle.close waits for a read still in flight.
    this.#handle.close().then(() => callback(error), (closeError: unknown) => callback(error ?? closeError as Error))
  }

  async #pump (sink: Sink): Promise<void> {
    const free: Buffer[] = []
    let allocated = 0
    while (this.#position < this.#end && !this.destroyed) {
      let buffer = free.pop()
      if (buffer === undefined && allocated < BUFFER_COUNT) {
        // A small range needs no full-size buffers.
        buffer = Buffer.allocUnsafe(Math.min(BUFFER_SIZE, this.#end - this.#position))
        allocated++
      }
      if (buffer === undefined) {
        await this.#writeCompleted()
        continue
      }
      const chunk = await this.#readNext(buffer)
      if (this.destroyed) return
      const reusable = buffer
      this.#writesInFlight++
      this.#wroteAny = true
      sink.write(chunk, (error) => {
        this.#writesInFlight--
        // A failed write means the connection is gone; Fastify destroys the body then, a bare server may not.
        if (error != null) this.destroy()
        else free.push(reusable)
        this.#wake?.()
      })
    }
    while (this.#writesInFlight > 0 && !this.destroyed) await this.#writeCompleted()
  }

  /** Reads the next bytes of the range into `buffer`; the part of it that holds them. */
  async #readNext (buffer: Buffer): Promise<Buffer> {
    const length = Math.min(buffer.length, this.#end - this.#position)
    const { bytesRead } = await this.#handle.read(buffer, 0, length, this.#position)
    if (bytesRead === 0) throw new FileTruncatedError(this.#position, this.#end - 1)
    this.#position += bytesRead
    return buffer.subarray(0, bytesRead)
  }

  /** Resolves when a write completes or the body is destroyed; rejects when none completes within the stall timeout. */
  async #writeCompleted (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined
        reject(new DownloadStalledError(this.#stallTimeoutMs))
      }, this.#stallTimeoutMs)
      this.#wake = () => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
    })
  }
}
