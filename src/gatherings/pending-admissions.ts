/** A place held while a new gathering is being recorded. */
export interface HeldPlace {
  /** Recorded, or refused: the place is no longer held (a second call does nothing). */
  release (): void
}

/**
 * Places held in this process between admission and the insert, so that two
 * requests admitted at once here never both count on the last place: each
 * sees the other's (holding is synchronous; the store's count is awaited
 * after it). Across replicas the store's insert counts again, in one
 * transaction with the insert.
 */
export class PendingAdmissions {
  #total = 0
  readonly #byUser = new Map<string, number>()

  get total (): number {
    return this.#total
  }

  ofUser (user: string): number {
    return this.#byUser.get(user) ?? 0
  }

  hold (user: string): HeldPlace {
    this.#total++
    this.#byUser.set(user, this.ofUser(user) + 1)
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        this.#total--
        const left = this.ofUser(user) - 1
        if (left > 0) this.#byUser.set(user, left)
        else this.#byUser.delete(user)
      }
    }
  }
}
