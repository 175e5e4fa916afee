import type { Logger } from '../logger.js'
import type { GatheringStore } from '../storage/types.js'

export interface ReplicaLeaseOptions {
  store: GatheringStore
  /** REPLICA_NAME. */
  replica: string
  /** REPLICA_LEASE: a replica whose lease is older is gone. */
  leaseMs: number
  logger: Logger
  /** Takes over the work of a replica found gone (its runs, its queue); one call at a time. */
  takeOver: (gone: string) => Promise<void>
  now: () => string
}

/**
 * This replica's lease in the database: renewed every third of REPLICA_LEASE,
 * so two missed beats still leave it valid. On the same beat it looks for
 * replicas whose lease lapsed while they hold work, and takes that work
 * over, once its own beats have gone through for a whole lease (so a
 * database outage longer than the lease makes nobody look gone). Several
 * replicas may find the same one gone: each execution is taken by exactly
 * one of them (the store's takeOver is a compare-and-set).
 */
export class ReplicaLease {
  readonly #o: ReplicaLeaseOptions
  #timer: NodeJS.Timeout | undefined
  #beating: Promise<void> | undefined
  /** Since when this replica's beats have all gone through (performance.now()); undefined after one failed. */
  #healthySince: number | undefined

  constructor (options: ReplicaLeaseOptions) {
    this.#o = options
  }

  /** Registers the replica (a fresh lease); before anything else runs. */
  async join (): Promise<void> {
    await this.#o.store.joinReplicas(this.#o.replica, this.#o.now())
  }

  /** Starts the beat (once the service is listening). */
  start (): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => this.beat(), Math.max(50, Math.floor(this.#o.leaseMs / 3)))
    this.#timer.unref()
    this.beat()
  }

  /** Stops the beat; resolves once a beat in flight is done. The lease then lapses by itself. */
  async stop (): Promise<void> {
    clearInterval(this.#timer)
    await this.#beating
  }

  /** One beat (also for tests): renew, then take over whoever is gone. A beat still running skips this one. */
  beat (): void {
    if (this.#beating !== undefined) return
    this.#beating = this.#beat().catch((error: unknown) => {
      this.#healthySince = undefined
      // The database may be away (restarting): the next beat tries again, well within the lease.
      this.#o.logger.warn({ err: error }, 'Renewing the replica lease failed; will retry.')
    }).finally(() => {
      this.#beating = undefined
    })
  }

  async #beat (): Promise<void> {
    const { store, replica, leaseMs, logger } = this.#o
    if (!await store.renewLease(replica)) {
      // Another replica found this one gone (a pause longer than the lease) and forgot it; its
      // runs were taken over, and the runner stops them when it sees its claims gone.
      logger.warn({ replica }, 'This replica\'s lease had lapsed and was taken over; joining again.')
      await this.join()
    }
    // Judging others needs a lease's worth of beats of its own first: after the database was away
    // (or at start), the others' leases look lapsed until their next beat, and they are not gone.
    this.#healthySince ??= performance.now()
    if (performance.now() - this.#healthySince < leaseMs) return
    for (const gone of await store.replicasGone(leaseMs, replica)) {
      logger.warn({ gone: gone === '' ? '(before replicas)' : gone, leaseMs }, 'A replica\'s lease lapsed; taking over its work.')
      await this.#o.takeOver(gone)
    }
    await store.forgetLapsedReplicas(leaseMs)
  }
}
