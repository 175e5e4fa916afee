import { rm } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import type { Worker } from 'node:worker_threads'

import { startModuleWorker } from '../module-worker.js'
import { inheritedFlags } from './compress-pool.js'
import type { PackAndSummarizeRequest, PackedWithSummary } from './pack-and-summarize.js'

export type PackRequest =
  | ({ type: 'pack' } & PackAndSummarizeRequest)
  | { type: 'abort' }

export type PackReply =
  | { type: 'ready' }
  | ({ type: 'packed' } & PackedWithSummary)
  | { type: 'failed', message: string, code?: string }

/**
 * A new heap's first full collection comes at ~8 MB, and V8 then sets the
 * limit from what is live: a packing thread's heap (~8 MB) got one full
 * collection every ~100 ms of packing, 10-12 per run of the bench's tree.
 * Started at 64 MB, it gets none while packing that tree (the bench's service
 * rounds 2.29-2.36 s against 2.44-2.53 s). Node's Worker options cannot size a
 * heap's start (resourceLimits sets maximums only), so the V8 flag is set while
 * a packing thread starts, and unset once it runs (its heap is made on its own
 * thread, in between): other threads (redaction's, with small maximums; the
 * compressing ones) keep V8's sizing, unless one starts in that moment. The
 * event loop's heap exists already.
 */
const PACK_HEAP_START_MB = 64
let threadsStarting = 0

/** Starts `start()`'s thread with its heap started at PACK_HEAP_START_MB. */
function withPackHeap (start: () => Worker): Worker {
  if (threadsStarting++ === 0) setFlagsFromString(`--initial-old-space-size=${PACK_HEAP_START_MB}`)
  let started = false
  const done = (): void => {
    if (started) return
    started = true
    if (--threadsStarting === 0) setFlagsFromString('--initial-old-space-size=0')
  }
  try {
    const worker = start()
    worker.once('online', done)
    worker.once('exit', done)
    return worker
  } catch (error) {
    done()
    throw error
  }
}

/**
 * A thread that packs a run's directory and summarizes it (pack-worker.ts),
 * one run at a time.
 *
 * Why a thread: the packer streams hundreds of MB through buffers, and V8
 * counts buffer memory allocated since the last full collection against the
 * old generation's limit. In the service's heap (~20 MB of modules and state,
 * grown little while oc ran, so V8 set the limit at 1.1 times it) that brought
 * on a full collection every ~100 ms of packing: 20-30 for the bench's 315 MB
 * tree, each pausing the event loop (`--trace-gc`). On a thread of its own the
 * packer has a small heap of its own, and the event loop only waits for the
 * answer.
 */
export class PackThread {
  readonly #worker: Worker
  /** Why the thread can no longer answer, once it cannot. */
  #stopped: Error | undefined
  readonly #stoppedListeners = new Set<(error: Error) => void>()
  /** Once its modules are loaded (or it stopped before). */
  readonly #ready: Promise<void>

  /** Throws when no thread can be started (ERR_WORKER_INIT_FAILED: the process's thread limit). */
  constructor () {
    this.#worker = withPackHeap(() => startModuleWorker(import.meta.url, 'pack-worker', inheritedFlags()))
    // Waiting for work does not keep the process alive; packing does (see pack).
    this.#worker.unref()
    let markReady = (): void => {}
    this.#ready = new Promise<void>((resolve) => { markReady = resolve })
    this.#worker.on('message', (message: PackReply) => { if (message.type === 'ready') markReady() })
    const stop = (error: Error): void => {
      markReady()
      this.#stopped ??= error
      for (const listener of this.#stoppedListeners) listener(this.#stopped)
    }
    this.#worker.on('error', (error) => stop(new Error(`the packing thread failed: ${error.message}`)))
    this.#worker.on('exit', (code) => stop(new Error(`the packing thread stopped (exit code ${code})`)))
  }

  get stopped (): boolean {
    return this.#stopped !== undefined
  }

  /** Packs `parent/dirName` into `target` (see packDirectory) and summarizes it. */
  async pack (request: PackAndSummarizeRequest, signal: AbortSignal): Promise<PackedWithSummary> {
    return await new Promise<PackedWithSummary>((resolve, reject) => {
      if (this.#stopped !== undefined) {
        reject(this.#stopped)
        return
      }
      const onAbort = (): void => this.#worker.postMessage({ type: 'abort' } satisfies PackRequest)
      const settle = (): void => {
        this.#worker.unref()
        signal.removeEventListener('abort', onAbort)
        this.#worker.off('message', onReply)
        this.#stoppedListeners.delete(onStopped)
      }
      const onStopped = (error: Error): void => {
        settle()
        // The thread's own clean-up did not run: the unfinished archive is removed here.
        rm(`${request.target}.partial`, { force: true }).then(() => reject(error), () => reject(error))
      }
      const onReply = (reply: PackReply): void => {
        if (reply.type === 'ready') return
        settle()
        if (reply.type === 'packed') {
          const { type: _, ...packed } = reply
          resolve(packed)
        } else {
          reject(Object.assign(new Error(reply.message), reply.code !== undefined ? { code: reply.code } : {}))
        }
      }
      this.#stoppedListeners.add(onStopped)
      this.#worker.on('message', onReply)
      this.#worker.ref()
      this.#worker.postMessage({ type: 'pack', ...request } satisfies PackRequest)
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Resolves once the thread has loaded its modules, or stopped, or after `timeoutMs`. */
  async ready (timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#ready, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs).unref() })])
    clearTimeout(timer)
  }

  /**
   * Ends the thread, once it has loaded its modules: ended while loading them through tsx (tests, `npm run dev`), it
   * left the loader's open files behind (a run whose oc failed at once: +3-7 descriptors until a collection).
   */
  async close (): Promise<void> {
    await this.ready()
    await this.#worker.terminate()
  }
}

/**
 * A packing thread, or undefined when none can be started (ERR_WORKER_INIT_FAILED:
 * the process's thread limit); the caller then packs on the event loop
 * (packAndSummarize).
 */
export function startPackThread (): PackThread | undefined {
  try {
    return new PackThread()
  } catch {
    return undefined
  }
}
