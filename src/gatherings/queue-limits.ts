import type { QueueLimits } from '../storage/types.js'
import { QueueFullError, UserQueueFullError } from './errors.js'

/**
 * The admission rule, the same wherever it is checked (a replica before it
 * makes room, the store in the inserting transaction): only what will wait
 * counts against MAX_QUEUED, since a free slot takes the new one at once.
 * Undefined: admitted.
 */
export function queueRefusal (queued: { total: number, ofUser: number }, limits: QueueLimits): QueueFullError | UserQueueFullError | undefined {
  const waitingAfter = queued.total + 1 - limits.freeSlots
  if (waitingAfter > limits.maxQueued) return new QueueFullError(limits.maxQueued)
  const perUser = limits.maxQueuedPerUser
  if (perUser !== undefined && waitingAfter > 0 && queued.ofUser + 1 > perUser) return new UserQueueFullError(perUser)
  return undefined
}
