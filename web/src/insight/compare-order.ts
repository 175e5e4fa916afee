/**
 * Which of two runs is the earlier, for a comparison: the service compares
 * `compare/{later}/{earlier}`, and "From #a to #b" must read forwards in time
 * whichever of the two the person opened.
 */
export interface Run { id: number, 'created-at': string, 'finished-at': string | null }

/** When the run's archive was made: its end, else its creation (as the compare form's options show it). */
const madeAt = (run: Run): number => Date.parse(run['finished-at'] ?? run['created-at'])

/** a came before b; the id (given in creation order) breaks a tie. */
export function isEarlier (a: Run, b: Run): boolean {
  const difference = madeAt(a) - madeAt(b)
  return difference !== 0 ? difference < 0 : a.id < b.id
}

export function inTimeOrder<T extends Run> (a: T, b: T): { earlier: T, later: T } {
  return isEarlier(a, b) ? { earlier: a, later: b } : { earlier: b, later: a }
}

/**
 * What people usually compare a run with: the latest one before it. Only
 * when there is none, the first one after it.
 */
export function defaultOther<T extends Run> (run: Run, candidates: T[]): T | undefined {
  let before: T | undefined
  let after: T | undefined
  for (const other of candidates) {
    if (other.id === run.id) continue
    if (isEarlier(other, run)) {
      if (before === undefined || isEarlier(before, other)) before = other
    } else if (after === undefined || isEarlier(other, after)) {
      after = other
    }
  }
  return before ?? after
}
