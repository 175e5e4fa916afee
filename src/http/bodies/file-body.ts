import type { FileHandle } from 'node:fs/promises'
import type { OutgoingHttpHeaders } from 'node:http'

import type { FastifyReply } from 'fastify'

/** A client that has not taken a single write for this long is cut off (it holds a file handle meanwhile). */
export const STALL_TIMEOUT_MS = 60_000
/**
 * Buffers per download, allocated as needed and dropped with the download. Three, so that two
 * writes can be queued on the socket while the next read runs; 512 KiB, because on loopback this
 * took the least CPU per GiB of 2 × 256 KiB, 4 × 256 KiB, 2 × 512 KiB, 2 × 1 MiB and 4 × 1 MiB
 * (1 MiB buffers cost 30–50% more, likely cache misses between the read and the write). A sweep
 * of 64 KiB × 8, 128 KiB × 4, 256 KiB × 3 and 1 MiB × 3 on 2026-12-06 (a loaded machine) found
 * no size better than the others by more than the noise (0.5–0.8 s of CPU per GiB for all).
 */
const BUFFER_COUNT = 3
const BUFFER_SIZE = 512 * 1024

export interface FileBodyOptions {
  /** An open handle; the body closes it whatever happens, once it has been sent or has failed. */
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

/** The connection closed (or a write failed) before the whole range was sent: the client went away. */
export class DownloadAbortedError extends Error {
  readonly code = 'DOWNLOAD_ABORTED'
  constructor (readonly position: number, readonly end: number) {
    super(`the connection closed at byte ${position}, before byte ${end} of the response body`)
    this.name = new.target.name
  }
}

/**
 * Where the bytes go: an http.ServerResponse in the service. Only public,
 * documented Writable behaviour is used: `write(chunk, callback)` calls back
 * once the chunk is flushed (until then the socket may still read from it),
 * `end()`, `destroy()`, and 'close' when the connection goes.
 */
export interface ByteSink {
  write: (chunk: Uint8Array, callback: (error?: Error | null) => void) => boolean
  end: () => unknown
  destroy: () => unknown
  once: (event: 'close', listener: () => void) => unknown
  removeListener: (event: 'close', listener: () => void) => unknown
}

/** A chunk read from the file and the pool buffer it lives in (the buffer goes back to the pool once the chunk is written). */
interface Chunk {
  buffer: Buffer
  bytes: Buffer
}

/**
 * A byte range of a file as a response body, sent the way a static file
 * server would: through a few buffers reused for the whole download (no new
 * buffer per chunk, so no GC churn and no RSS that grows with concurrent
 * downloads), and no copy between the read buffer and the socket. A buffer is
 * read into again only once its write has called back, since the socket reads
 * from it until then.
 *
 * `send(reply)` uses Fastify's public API only (`reply.hijack()`,
 * `reply.getHeaders()`, `reply.statusCode`, `reply.raw`, `reply.log`) and
 * Node's documented ServerResponse API (`writeHead`, `write` with a callback,
 * `end`, `destroy`, 'close'): a stream body handed to `reply.send()` cannot
 * know when the socket is done with a chunk, and overriding what Fastify calls
 * on it tied every download to Fastify's internal reply.js. Hijacking skips
 * the onSend hooks; the service sets its per-response headers in onRequest
 * (X-Request-Id, security headers), and onResponse hooks (metrics, audit,
 * request log) run as for any reply.
 *
 * Failures before the first byte leave the reply to Fastify (an error
 * status); after it, only a cut connection is honest (a body ended short
 * would leave the client waiting for the rest). The handle is closed in every
 * case: end, failure, stall, client gone.
 */
export class FileBody {
  readonly #handle: FileHandle
  #position: number
  /** Exclusive. */
  readonly #end: number
  readonly #stallTimeoutMs: number
  readonly #free: Buffer[] = []
  #allocated = 0
  #used = false

  constructor ({ handle, start, end, stallTimeoutMs = STALL_TIMEOUT_MS }: FileBodyOptions) {
    this.#handle = handle
    this.#position = start
    this.#end = end + 1
    this.#stallTimeoutMs = stallTimeoutMs
  }

  /**
   * Sends the range as the body of `reply`, whose status and headers
   * (Content-Length included) are set. Resolves once the head is out, the
   * body following in the background (its failures are logged on the
   * request); rejects, the reply untouched, when the first read fails.
   */
  async send (reply: FastifyReply): Promise<void> {
    this.#claim()
    let first: Chunk | undefined
    try {
      if (this.#position < this.#end) first = await this.#readNext()
    } catch (error) {
      await this.#handle.close()
      throw error
    }
    reply.hijack()
    const response = reply.raw
    try {
      response.writeHead(reply.statusCode, definedHeaders(reply.getHeaders()))
    } catch (error) {
      reply.log.error({ err: error }, 'Download not started: the response head could not be written.')
      response.destroy()
      await this.#handle.close()
      return
    }
    // Logged before the handle is closed, so that whoever sees the handle closed finds the reason in the log.
    const report = (error: unknown): void => {
      if (error instanceof DownloadAbortedError) reply.log.info({ err: error }, 'Download ended early: the client went away.')
      else reply.log.warn({ err: error }, 'Download cut off.')
    }
    this.#stream(response, first, report).catch(() => {})
  }

  /**
   * Writes the range into `sink` and ends it; resolves once the last write
   * has completed. Rejects with DownloadStalledError, FileTruncatedError or
   * DownloadAbortedError; `sink` is destroyed then if part of the body was
   * written to it.
   */
  async writeTo (sink: ByteSink): Promise<void> {
    this.#claim()
    await this.#stream(sink, undefined)
  }

  #claim (): void {
    if (this.#used) throw new Error('a FileBody can be sent only once')
    this.#used = true
  }

  async #stream (sink: ByteSink, first: Chunk | undefined, report?: (error: unknown) => void): Promise<void> {
    let gone = false
    let writesInFlight = 0
    let wroteAny = false
    /** Set while waiting for a write to complete; called by the write callbacks and by 'close'. */
    let wake: (() => void) | undefined
    const onClose = (): void => {
      gone = true
      wake?.()
    }
    sink.once('close', onClose)
    const write = ({ buffer, bytes }: Chunk): void => {
      writesInFlight++
      wroteAny = true
      sink.write(bytes, (error) => {
        writesInFlight--
        // A failed write means the connection is gone: the buffer may still be referenced, so it is not reused.
        if (error != null) gone = true
        else this.#free.push(buffer)
        wake?.()
      })
    }
    const writeCompleted = (): Promise<void> => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = undefined
        reject(new DownloadStalledError(this.#stallTimeoutMs))
      }, this.#stallTimeoutMs)
      wake = () => {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
    })
    try {
      if (first !== undefined) write(first)
      while (this.#position < this.#end) {
        if (gone) throw new DownloadAbortedError(this.#position, this.#end - 1)
        if (this.#free.length === 0 && this.#allocated === BUFFER_COUNT) {
          await writeCompleted()
          continue
        }
        const chunk = await this.#readNext()
        if (gone) throw new DownloadAbortedError(this.#position, this.#end - 1)
        write(chunk)
      }
      // Wait for the last writes too: a client that stops reading now would otherwise hold the connection forever.
      const drained = (): boolean => writesInFlight === 0 || gone
      while (!drained()) await writeCompleted()
      if (gone) throw new DownloadAbortedError(this.#position, this.#end - 1)
      sink.end()
    } catch (error) {
      // Once part of the body is out, cut the connection: the client must not take a short body for the file.
      if (wroteAny && !gone) sink.destroy()
      report?.(error)
      throw error
    } finally {
      sink.removeListener('close', onClose)
      // FileHandle.close waits for a read still in flight.
      await this.#handle.close()
    }
  }

  /** Reads the next bytes of the range into a free pool buffer (one is free: callers check). */
  async #readNext (): Promise<Chunk> {
    let buffer = this.#free.pop()
    if (buffer === undefined) {
      // A small range needs no full-size buffers.
      buffer = Buffer.allocUnsafe(Math.min(BUFFER_SIZE, this.#end - this.#position))
      this.#allocated++
    }
    const length = Math.min(buffer.length, this.#end - this.#position)
    const { bytesRead } = await this.#handle.read(buffer, 0, length, this.#position)
    if (bytesRead === 0) throw new FileTruncatedError(this.#position, this.#end - 1)
    this.#position += bytesRead
    return { buffer, bytes: buffer.subarray(0, bytesRead) }
  }
}

/** The headers Fastify would send, for writeHead (which refuses undefined values). */
function definedHeaders (headers: Record<string, string | number | string[] | undefined>): OutgoingHttpHeaders {
  const defined: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) defined[name] = value
  return defined
}
