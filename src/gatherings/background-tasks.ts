import type { Logger } from '../logger.js'

/**
 * Work that goes on after the call that started it returned (removing a
 * run's files, packing leftovers, stopping an orphaned oc): each failure is
 * logged, and shutdown waits for whatever is still going.
 */
export class BackgroundTasks {
  readonly #running = new Set<Promise<unknown>>()
  readonly #log: Logger

  constructor (logger: Logger) {
    this.#log = logger
  }

  track (work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#log.error({ err: error }, 'Background task failed.'))
      .finally(() => this.#running.delete(tracked))
    this.#running.add(tracked)
  }

  /** Resolves once every task tracked so far has ended. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.#running])
  }
}
