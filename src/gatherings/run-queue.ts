import { QueueFullError } from './errors.js'

/** A place in the queue, held while a new gathering is being recorded. */
export interface Reservation {
  /** The recorded gathering takes the place. */
  fill (id: number): void
  /** The place is given back (the gathering was not recorded). */
  cancel (): void
}

/**
 * Which gatherings wait and how many run, in this process: the one place
 * that decides admission (MAX_QUEUED) and start (MAX_CONCURRENT).
 *
 * Admission is race-free without a lock: `reserve` counts and takes a place
 * in one synchronous step, so two requests can never both take the last
 * place, even though recording the gathering (awaited) comes after. This is
 * enough because this process is the only one that queues on its database.
 */
export class RunQueue {
  readonly #waiting: number[] = []
  #reserved = 0
  #running = 0

  constructor (private readonly limits: { maxConcurrent: number, maxQueued: number }) {}

  get waitingCount (): number {
    return this.#waiting.length
  }

  get runningCount (): number {
    return this.#running
  }

  /** Takes a place for a new gathering or throws QueueFullError. */
  reserve (): Reservation {
    // Only what will wait counts against MAX_QUEUED: a free slot takes the new one at once.
    const freeSlots = Math.max(0, this.limits.maxConcurrent - this.#running)
    if (this.#waiting.length + this.#reserved + 1 - freeSlots > this.limits.maxQueued) throw new QueueFullError(this.limits.maxQueued)
    this.#reserved++
    let held = true
    const release = (): void => {
      if (!held) return
      held = false
      this.#reserved--
    }
    return {
      fill: (id) => {
        if (!held) return
        release()
        this.#waiting.push(id)
      },
      cancel: release
    }
  }

  /** Queues gatherings recorded before (at start-up), whatever the limit. */
  restore (ids: number[]): void {
    this.#waiting.push(...ids)
  }

  /** Takes a queued gathering out; false if it was not waiting. */
  withdraw (id: number): boolean {
    const index = this.#waiting.indexOf(id)
    if (index < 0) return false
    this.#waiting.splice(index, 1)
    return true
  }

  /** The next gathering to run, if a slot is free; the slot is taken until `finished`. */
  next (): number | undefined {
    if (this.#running >= this.limits.maxConcurrent || this.#waiting.length === 0) return undefined
    this.#running++
    return this.#waiting.shift()
  }

  /** A run ended: its slot is free. */
  finished (): void {
    this.#running--
  }

  /** Forget every waiting gathering (shutdown: they stay queued in the store for the next start). */
  clear (): void {
    this.#waiting.length = 0
  }
}
