import { setFlagsFromString } from 'node:v8'
import { Worker } from 'node:worker_threads'

import type { Summary } from '../insight/index.js'
import { inheritedFlags } from './compress-pool.js'
import type { PackedArchive } from './pack.js'

export type PackRequest =
  | { type: 'pack', parent: string, dirName: string, target: string }
  | { type: 'abort' }

export type PackReply =
  | { type: 'packed', archive: PackedArchive, summary?: Summary, summaryError?: string }
  | { type: 'failed', message: string, code?: string }

/** A directory packed (see packDirectory), and the summary made from the packer's stream, or why there is none. */
export type PackedWithSummary = Omit<Extract<PackReply, { type: 'packed' }>, 'type'>

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
/**
 * A new heap's first full collections come at ~8 MB, and V8 then sets the
 * limit from what is live: a packing thread's heap (~8 MB) got one full
 * collection every ~100 ms of packing, 10-12 per run of the bench's tree.
 * Started at 64 MB, it gets none while packing that tree, like a packer with
 * no index and no summary (the bench's service rounds 2.29-2.36 s against
 * 2.44-2.53 s). Node's Worker options cannot size a heap's start
 * (resourceLimits sets maximums only), so the V8 flag is set before the first
 * thread starts; it applies to heaps created afterwards (threads), not to the
 * event loop's, which exists already.
 */
const PACK_HEAP_START_MB = 64
let newHeapsSized = false
function sizeNewHeaps (): void {
  if (newHeapsSized) return
  newHeapsSized = true
  setFlagsFromString(`--initial-old-space-size=${PACK_HEAP_START_MB}`)
}

/** The thread running pack-worker: the built .js, or the .ts source through tsx (tests, `npm run dev`). */
function startWorker (): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pack-worker.js', import.meta.url), inheritedFlags())
  // On Node 20, tsx (`--import tsx`) loads TypeScript in the main thread only: register it in this one first.
  const source = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./pack-worker.ts', import.meta.url).href)}) })`
  return new Worker(source, { eval: true, ...inheritedFlags() })
}

export class PackThread {
  readonly #worker: Worker
  /** Why the thread can no longer answer, once it cannot. */
  #stopped: Error | undefined
  readonly #stoppedListeners = new Set<(error: Error) => void>()

  constructor () {
    sizeNewHeaps()
    this.#worker = startWorker()
    // Waiting for work does not keep the process alive; packing does (see pack).
    this.#worker.unref()
    const stop = (error: Error): void => {
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
  async pack (request: Omit<Extract<PackRequest, { type: 'pack' }>, 'type'>, signal: AbortSignal): Promise<PackedWithSummary> {
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
        reject(error)
      }
      const onReply = (reply: PackReply): void => {
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

  async close (): Promise<void> {
    await this.#worker.terminate()
  }
}

/**
 * Packing threads kept between runs. A thread started for one run loads its
 * modules (~50 ms) and runs its first pack's code unoptimized; kept, the next
 * run's packing starts at once with code V8 has optimized: on the bench's
 * 315 MB tree 2.14-2.22 s against 2.32 s for a new thread. A thread idle for
 * `idleMs` ends.
 */
export class PackThreads {
  readonly #idle = new Map<PackThread, NodeJS.Timeout>()

  constructor (private readonly idleMs = 5 * 60_000) {}

  /** Makes sure a thread is waiting (its modules loaded) for the next `take`: call it when a run starts. */
  warm (): void {
    if (this.#idle.size === 0) this.give(new PackThread(), true)
  }

  /** An idle thread, or a new one (it loads while the caller does other work). */
  take (): PackThread {
    for (const [thread, timer] of this.#idle) {
      clearTimeout(timer)
      this.#idle.delete(thread)
      if (!thread.stopped) return thread
    }
    return new PackThread()
  }

  /** Gives a thread back once its pack answered: kept when it packed (`reusable`), else ended. */
  give (thread: PackThread, reusable: boolean): void {
    if (!reusable || thread.stopped) {
      thread.close().catch(() => {})
      return
    }
    const timer = setTimeout(() => {
      this.#idle.delete(thread)
      thread.close().catch(() => {})
    }, this.idleMs)
    timer.unref()
    this.#idle.set(thread, timer)
  }
}
