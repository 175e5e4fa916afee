import type { Logger } from '../logger.js'
import type { Claim, GatheringStore } from '../storage/types.js'
import type { GatheringResult } from './types.js'

/** Waits between attempts: a locked database frees up in moments, a full disk may take minutes. */
const RETRY_DELAYS_MS = [250, 1000, 5000, 15_000, 30_000]

export interface FinalStateWrite {
  store: GatheringStore
  /** The run's hold on the gathering: a record another replica took over (or deleted) is not written. */
  claim: Claim
  logger: Logger
  /** Ends the retries (service shutdown, or the gathering deleted). */
  signal: AbortSignal
}

/**
 * Writes a gathering's terminal state, retrying with growing waits (30 s
 * apart at most) until it is written, the run's claim is gone, or `signal`
 * ends the retries: a locked database frees up, and a full disk gets room
 * when housekeeping or a person frees it. Meanwhile the record stays
 * `inprogress` and the run keeps its slot.
 *
 * If the retries end unwritten (shutdown), the record is left `inprogress`
 * and the next start ends it `error` "interrupted by service restart",
 * keeping the archive if one was made. Resolves whether it was written.
 */
export async function recordFinalState (id: number, result: GatheringResult, at: string, o: FinalStateWrite): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (!await o.store.finish(id, result, at, o.claim)) {
        o.logger.warn({ id }, 'The final state was not written: the gathering was deleted, or another replica took it over.')
        return false
      }
      if (attempt > 0) o.logger.info({ id, attempts: attempt + 1 }, 'Recorded the final state after retrying.')
      return true
    } catch (error) {
      if (o.signal.aborted) {
        o.logger.error({ id, err: error }, 'Recording the final state failed; the next start marks it interrupted.')
        return false
      }
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number
      o.logger.error({ id, err: error, attempt: attempt + 1, retryInMs: delay }, 'Recording the final state failed; retrying.')
      await wait(delay, o.signal)
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function wait (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
