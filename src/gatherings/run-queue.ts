import { QueueFullError, UserQueueFullError } from './errors.js'

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
  /** Who queued each waiting gathering, for MAX_QUEUED_PER_USER. */
  readonly #owners = new Map<number, string>()
  #reserved = 0
  readonly #reservedBy = new Map<string, number>()
  #running = 0

  /** `maxQueuedPerUser` undefined: no share per user (callers are not told apart). */
  constructor (private readonly limits: { maxConcurrent: number, maxQueued: number, maxQueuedPerUser?: number | undefined }) {}

  get waitingCount (): number {
    return this.#waiting.length
  }

  get runningCount (): number {
    return this.#running
  }

  /** Takes a place for `user`'s new gathering, or throws QueueFullError / UserQueueFullError. */
  reserve (user: string): Reservation {
    // Only what will wait counts against MAX_QUEUED: a free slot takes the new one at once.
    const freeSlots = Math.max(0, this.limits.maxConcurrent - this.#running)
    const waitingAfter = this.#waiting.length + this.#reserved + 1 - freeSlots
    if (waitingAfter > this.limits.maxQueued) throw new QueueFullError(this.limits.maxQueued)
    const perUser = this.limits.maxQueuedPerUser
    if (perUser !== undefined && waitingAfter > 0 && this.#waitingOf(user) + 1 > perUser) throw new UserQueueFullError(perUser)
    this.#reserved++
    this.#reservedBy.set(user, (this.#reservedBy.get(user) ?? 0) + 1)
    let held = true
    const release = (): void => {
      if (!held) return
      held = false
      this.#reserved--
      const left = (this.#reservedBy.get(user) ?? 1) - 1
      if (left > 0) this.#reservedBy.set(user, left)
      else this.#reservedBy.delete(user)
    }
    return {
      fill: (id) => {
        if (!held) return
        release()
        this.#waiting.push(id)
        this.#owners.set(id, user)
      },
      cancel: release
    }
  }

  /** Queues gatherings recorded before (at start-up), whatever the limit. */
  restore (gatherings: Array<{ id: number, createdBy: string }>): void {
    for (const { id, createdBy } of gatherings) {
      this.#waiting.push(id)
      this.#owners.set(id, createdBy)
    }
  }

  /** Gatherings of `user` waiting or about to. */
  #waitingOf (user: string): number {
    let count = this.#reservedBy.get(user) ?? 0
    for (const owner of this.#owners.values()) if (owner === user) count++
    return count
  }

  /** Takes a queued gathering out; false if it was not waiting. */
  withdraw (id: number): boolean {
    const index = this.#waiting.indexOf(id)
    if (index < 0) return false
    this.#waiting.splice(index, 1)
    this.#owners.delete(id)
    return true
  }

  /** The next gathering to run, if a slot is free; the slot is taken until `finished`. */
  next (): number | undefined {
    const id = this.#running < this.limits.maxConcurrent ? this.#waiting.shift() : undefined
    if (id === undefined) return undefined
    this.#running++
    this.#owners.delete(id)
    return id
  }

  /** A run ended: its slot is free. */
  finished (): void {
    this.#running--
  }

  /** Forget every waiting gathering (shutdown: they stay queued in the store for the next start). */
  clear (): void {
    this.#waiting.length = 0
    this.#owners.clear()
  }
}
