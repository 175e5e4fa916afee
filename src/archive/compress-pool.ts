import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

// Blocks are compressed on worker threads rather than with zlib's async calls:
// those run on libuv's threadpool (4 threads by default), which the service's
// file reads and writes share, and at the event loop's priority. A worker
// thread can lower its own priority (Linux's setpriority acts on the calling
// thread: checked in /proc/<pid>/task/<tid>/stat), so a pack that takes every core leaves the event loop its CPU,
// as `nice tar | pigz` did.
// CommonJS, eval'd. (A data: URL ES module would not depend on --input-type, but tried under tsx, as
// the tests run the service, the service then took 28 s instead of 12 s to close idle connections and
// test/reliability/slow-clients' descriptor counts no longer settled; cause not found.)
const WORKER_SOURCE = `
const { setPriority } = require('node:os')
const { parentPort, workerData } = require('node:worker_threads')
const { gzipSync } = require('node:zlib')
// Linux only: elsewhere (macOS) pid 0 would renice the whole process, event loop included.
if (process.platform === 'linux') try { setPriority(0, workerData.nice) } catch {}
const options = { level: workerData.level, memLevel: workerData.memLevel }
parentPort.on('message', ({ id, buffer, length }) => {
  try {
    const gzipped = gzipSync(Buffer.from(buffer, 0, length), options)
    // The block goes back to be filled again; the result moves rather than being copied when it owns its memory.
    const owned = gzipped.byteOffset === 0 && gzipped.byteLength === gzipped.buffer.byteLength
    parentPort.postMessage({ id, buffer, gzipped }, owned ? [buffer, gzipped.buffer] : [buffer])
  } catch (error) {
    parentPort.postMessage({ id, buffer, error: String(error && error.message || error) }, [buffer])
  }
})
`

/**
 * The parent's flags for a thread: all of them (Node's default), unless the parent was started with
 * --input-type=module (node -e), which would make the eval'd CommonJS source an ES module.
 */
export function inheritedFlags (): { execArgv?: string[] } {
  if (!process.execArgv.some((arg) => arg.startsWith('--input-type'))) return {}
  return { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')) }
}

/** zlib's level: 5 (see block-writer.ts for the measurements). */
export const DEFAULT_LEVEL = 5
/** zlib's memLevel: 9, its largest hash table (see block-writer.ts). */
export const DEFAULT_MEM_LEVEL = 9

export interface CompressorOptions {
  /** Threads; default: the available cores, at most 8. */
  workers?: number
  /** zlib level; see DEFAULT_LEVEL. */
  level?: number
  /** zlib memLevel (1–9); see DEFAULT_MEM_LEVEL. */
  memLevel?: number
  /** Niceness of the threads (0–19); default 10, as the packer's `nice -n 10`. */
  nice?: number
}

/** A compressed block, and the block's memory given back to be filled again. */
export interface Compressed { gzipped: Buffer, buffer: ArrayBuffer }

interface Job { id: number, buffer: ArrayBuffer, length: number, resolve: (compressed: Compressed) => void, reject: (error: Error) => void }
interface Reply { id: number, buffer: ArrayBuffer, gzipped?: Uint8Array, error?: string }

/**
 * A fixed pool of threads that gzip whole blocks. `compress` takes ownership
 * of the block's ArrayBuffer (it is transferred, not copied) and gives it
 * back with the result, so a writer can fill the same few blocks again
 * rather than allocate (and collect) one per 512 KiB.
 */
export class BlockCompressor {
  readonly size: number
  readonly #idle: Worker[] = []
  readonly #queue: Job[] = []
  readonly #running = new Map<Worker, Job>()
  #nextId = 0
  #closed = false

  constructor ({ workers, level = DEFAULT_LEVEL, memLevel = DEFAULT_MEM_LEVEL, nice = 10 }: CompressorOptions = {}) {
    this.size = Math.max(1, workers ?? Math.min(8, availableParallelism()))
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { level, memLevel, nice }, ...inheritedFlags() })
      worker.on('message', (message: Reply) => this.#done(worker, message))
      worker.on('error', (error) => this.#failed(worker, error))
      this.#idle.push(worker)
    }
  }

  compress (buffer: ArrayBuffer, length: number): Promise<Compressed> {
    if (this.#closed) return Promise.reject(new Error('compressor closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, buffer, length, resolve, reject })
      this.#dispatch()
    })
  }

  async close (): Promise<void> {
    this.#closed = true
    const workers = [...this.#idle, ...this.#running.keys()]
    for (const job of [...this.#queue.splice(0), ...this.#running.values()]) job.reject(new Error('compressor closed'))
    this.#running.clear()
    await Promise.all(workers.map((worker) => worker.terminate()))
  }

  #dispatch (): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop() as Worker
      const job = this.#queue.shift() as Job
      this.#running.set(worker, job)
      worker.postMessage({ id: job.id, buffer: job.buffer, length: job.length }, [job.buffer])
    }
  }

  #done (worker: Worker, message: Reply): void {
    const job = this.#running.get(worker)
    this.#running.delete(worker)
    this.#idle.push(worker)
    if (job !== undefined) {
      const { gzipped, buffer } = message
      if (gzipped !== undefined) job.resolve({ gzipped: Buffer.from(gzipped.buffer, gzipped.byteOffset, gzipped.byteLength), buffer })
      else job.reject(new Error(`compression failed: ${message.error ?? 'unknown'}`))
    }
    this.#dispatch()
  }

  /** A thread that died (out of memory): fail everything rather than wait forever for it. */
  #failed (worker: Worker, error: Error): void {
    this.#running.get(worker)?.reject(error)
    this.#running.delete(worker)
    this.close().catch(() => {})
  }
}
