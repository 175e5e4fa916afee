import type { Logger } from '../logger.js'
import type { Claim, GatheringStore } from '../storage/types.js'
import type { OutputLog } from './output-log.js'
import type { Phase } from './phase.js'

const FLUSH_INTERVAL_MS = 1000

/**
 * Copies a running gathering's output tail and size into its record once a
 * second while it grows, so that lists and other readers see progress (on
 * every replica). Each write checks the run's claim: the lease. One
 * write at a time: a slow database skips beats instead of piling them up.
 */
export class OutputFlusher {
  readonly #timer: NodeJS.Timeout
  #flushedSize = -1
  #flushedPhase: Phase | undefined
  #writing: Promise<void> | undefined
  #stopped = false

  constructor (
    private readonly id: number,
    private readonly output: OutputLog,
    private readonly claim: Claim,
    /** The run's phase now: written with the output, and on its own when it moves (packing prints nothing). */
    private readonly phase: () => Phase,
    private readonly o: { store: GatheringStore, logger: Logger, now: () => string },
    /** The write changed nothing: the record is gone or another replica holds it. Called once. */
    private readonly onLost: () => void
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
    const phase = this.phase()
    if (this.#stopped || this.#writing !== undefined || (size === this.#flushedSize && phase === this.#flushedPhase)) return
    this.#writing = this.o.store.updateOutput(this.id, this.output.tail(), size, this.o.now(), this.claim, phase).then((held) => {
      this.#flushedSize = size
      this.#flushedPhase = phase
      if (held || this.#stopped) return
      this.#stopped = true
      clearInterval(this.#timer)
      this.onLost()
    }, (error: unknown) => {
      // A busy or full database must not take the process down; the final state is written at the end.
      this.o.logger.warn({ id: this.id, err: error }, 'Saving the output tail failed; will retry.')
    }).finally(() => {
      this.#writing = undefined
    })
  }
}
