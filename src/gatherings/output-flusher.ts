import type { Logger } from '../logger.js'
import type { GatheringStore } from '../storage/types.js'
import type { OutputLog } from './output-log.js'

const FLUSH_INTERVAL_MS = 1000

/**
 * Copies a running gathering's output tail and size into its record once a
 * second while it grows, so that lists and other readers see progress. One
 * write at a time: a slow database skips beats instead of piling them up.
 */
export class OutputFlusher {
  readonly #timer: NodeJS.Timeout
  #flushedSize = -1
  #writing: Promise<void> | undefined
  #stopped = false

  constructor (
    private readonly id: number,
    private readonly output: OutputLog,
    private readonly o: { store: GatheringStore, logger: Logger, now: () => string }
  ) {
    this.#timer = setInterval(() => this.#flush(), FLUSH_INTERVAL_MS)
  }

  /** No more writes (the final state carries the whole tail); resolves once none is in flight. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#writing
  }

  #flush (): void {
    const size = this.output.size
    if (this.#stopped || this.#writing !== undefined || size === this.#flushedSize) return
    this.#writing = this.o.store.updateOutput(this.id, this.output.tail(), size, this.o.now()).then(() => {
      this.#flushedSize = size
    }, (error: unknown) => {
      // A busy or full database must not take the process down; the final state is written at the end.
      this.o.logger.warn({ id: this.id, err: error }, 'Saving the output tail failed; will retry.')
    }).finally(() => {
      this.#writing = undefined
    })
  }
}
