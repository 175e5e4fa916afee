import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

// Blocks are compressed on worker threads rather than with zlib's async calls:
// those run on libuv's threadpool (4 threads by default), which the service's
// file reads and writes share, and at the event loop's priority. A worker
// thread can lower its own priority (Linux's setpriority acts on the calling
// thread: checked in /proc/<pid>/task/<tid>/stat), so a pack that takes every core leaves the event loop its CPU,
// as `nice tar | pigz` did.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { gzipSync } = require('node:zlib')
// Linux only: elsewhere (macOS) pid 0 would renice the whole process, event loop included.
if (process.platform === 'linux') try { require('node:os').setPriority(0, workerData.nice) } catch {}
parentPort.on('message', ({ id, buffer, length }) => {
  try {
    parentPort.postMessage({ id, gzipped: gzipSync(Buffer.from(buffer, 0, length), { level: workerData.level }) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) })
  }
})
`

export interface CompressorOptions {
  /** Threads; default: the available cores, at most 8. */
  workers?: number
  /** zlib level; 6 is gzip's (and `tar -czf`'s) default. */
  level?: number
  /** Niceness of the threads (0–19); default 10, as the packer's `nice -n 10`. */
  nice?: number
}

interface Job { id: number, buffer: ArrayBuffer, length: number, resolve: (gzipped: Buffer) => void, reject: (error: Error) => void }

/**
 * A fixed pool of threads that gzip whole blocks. `compress` takes ownership
 * of the block's ArrayBuffer (it is transferred, not copied).
 */
export class BlockCompressor {
  readonly size: number
  readonly #idle: Worker[] = []
  readonly #queue: Job[] = []
  readonly #running = new Map<Worker, Job>()
  #nextId = 0
  #closed = false

  constructor ({ workers, level = 6, nice = 10 }: CompressorOptions = {}) {
    this.size = Math.max(1, workers ?? Math.min(8, availableParallelism()))
    for (let i = 0; i < this.size; i++) {
      // The source is CommonJS: a parent started with --input-type=module (node -e) would make it ESM.
      const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'))
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv, workerData: { level, nice } })
      worker.on('message', (message: { id: number, gzipped?: Uint8Array, error?: string }) => this.#done(worker, message))
      worker.on('error', (error) => this.#failed(worker, error))
      this.#idle.push(worker)
    }
  }

  compress (buffer: ArrayBuffer, length: number): Promise<Buffer> {
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

  #done (worker: Worker, message: { id: number, gzipped?: Uint8Array, error?: string }): void {
    const job = this.#running.get(worker)
    this.#running.delete(worker)
    this.#idle.push(worker)
    if (job !== undefined) {
      if (message.gzipped !== undefined) job.resolve(Buffer.from(message.gzipped.buffer, message.gzipped.byteOffset, message.gzipped.byteLength))
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
