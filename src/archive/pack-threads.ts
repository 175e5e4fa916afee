import { type PackThread, startPackThread } from './pack-thread.js'

/**
 * The service's packing threads (pack-thread.ts): one is kept between runs,
 * so that a run finds a thread whose code V8 has compiled already. A new
 * thread compiles the packer, the index and the summary again while it packs
 * (~150-200 ms of CPU, on V8's compiling threads, against the compressing
 * ones): on the bench's 315 MB tree a kept thread packed in 1.98 s where a new
 * one took 2.12 s (median of 5, the packer alone 1.80 s).
 *
 * The kept thread is started with the service, before it listens, so that
 * what the process holds at rest (threads, descriptors) is the same before
 * and after any number of runs. Runs at once beyond the first get a thread
 * of their own; as they end, one thread is kept and the others are ended.
 * (After close, a run still gets a new thread, ended when it is given back.)
 */
export class PackThreads {
  #kept: PackThread | undefined
  #closed = false

  /** Starts the thread kept for the next run; resolves once its modules are loaded (see PackThread.ready). */
  async start (): Promise<void> {
    if (this.#closed) return
    this.#kept ??= startPackThread()
    await this.#kept?.ready()
  }

  /**
   * A thread for one run: the kept one, else a new one (its modules load while oc runs). Undefined when none can be
   * started (the process's thread limit): the run then packs on the event loop.
   */
  take (): PackThread | undefined {
    const kept = this.#kept
    this.#kept = undefined
    if (kept !== undefined && !kept.stopped) return kept
    return startPackThread()
  }

  /** A run's thread back, once nothing is packing on it: kept for the next run when none is, else ended. */
  async giveBack (thread: PackThread): Promise<void> {
    if (!this.#closed && this.#kept === undefined && !thread.stopped) {
      this.#kept = thread
      return
    }
    await thread.close()
  }

  /** Ends the kept thread; threads given back from now on are ended. */
  async close (): Promise<void> {
    this.#closed = true
    const kept = this.#kept
    this.#kept = undefined
    await kept?.close()
  }
}
