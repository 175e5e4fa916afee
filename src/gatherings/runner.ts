import { chmod, mkdir } from 'node:fs/promises'

import { PackThreads } from '../archive/pack-threads.js'
import type { Logger } from '../logger.js'
import type { GatheringMetrics } from '../observability/metrics.js'
import type { Claim, GatheringStore, QueueLimits } from '../storage/types.js'
import { ArchiveInsight } from './archive-insight.js'
import { BackgroundTasks } from './background-tasks.js'
import { ShuttingDownError } from './errors.js'
import { failure } from './result.js'
import { STRAY_CLAIM } from './run-failure.js'
import { PRIVATE_DIRECTORY } from './file-modes.js'
import { removeTree } from './fs-tools.js'
import { Housekeeping } from './housekeeping.js'
import type { GatheringPaths } from './paths.js'
import type { Phase } from './phase.js'
import { GatheringRun, type RunContext } from './run.js'
import type { RedactionSettings } from './redaction-step.js'
import { PendingAdmissions } from './pending-admissions.js'
import { queueRefusal } from './queue-limits.js'
import { ReplicaLease } from './replica-lease.js'
import type { RunCredentials } from './run-credentials.js'
import type { StorageQuota } from './storage-quota.js'
import type { Gathering } from './types.js'

export interface RunnerOptions {
  store: GatheringStore
  /** REPLICA_NAME: this replica's name in the database (its lease, its claims). */
  replica: string
  /** REPLICA_LEASE: a replica whose lease is older is gone, and its work is taken over. */
  leaseMs: number
  paths: GatheringPaths
  logger: Logger
  ocPath: string
  /** The child's whole environment (credentials add KUBECONFIG per run). */
  ocEnv: NodeJS.ProcessEnv
  /** How oc authenticates for each run. */
  credentials: RunCredentials
  /** Gatherings running at once on this replica (default: 4). */
  maxConcurrent: number
  /** Gatherings waiting, every replica's, before admission refuses (default: 100). */
  maxQueued: number
  /** Of those, one user's at most; undefined when callers are not told apart (AUTH_MODE=none). */
  maxQueuedPerUser?: number | undefined
  archiveFilename: string
  /** How long past its `--timeout` a run may go on before it is killed. */
  timeoutGraceMs: number
  /** Between SIGTERM and SIGKILL. */
  cancelGraceMs: number
  /** Bytes of output tail kept in memory and in the record. */
  outputTailLimit: number
  keepGatheredFiles: boolean
  /** Finished gatherings older than this are deleted; undefined keeps them. */
  cleanupMaxAgeMs?: number
  metrics?: GatheringMetrics
  /** Keeps archives within MAX_STORAGE after each new one. */
  quota?: StorageQuota
  /** How gathered files are redacted (the default rules unless REDACTION_CONFIG names others). */
  redaction: RedactionSettings
  now?: () => Date
}

/** A place in the queue for a gathering about to be recorded (see GatheringCreator). */
export interface Admission {
  /** The replica admitting it, recorded with it. */
  acceptedBy: string
  /** What the store's insert checks again, across replicas, in one transaction with the insert. */
  limits: () => QueueLimits
  /** The recorded gathering joins the queue; `token` (the caller's) is kept in memory until its run ends. */
  enqueue (gathering: Gathering, token: string | undefined): void
  /** Nothing was recorded: the place is given back. */
  cancel (): void
}

const CLEANUP_INTERVAL_MS = 60_000
/**
 * How often a replica with free slots looks for queued gatherings (others
 * admitted), and a replica with runs checks that it still holds them (a
 * delete or a takeover elsewhere): within this plus the kill grace, oc stops.
 */
const WATCH_INTERVAL_MS = 1000

interface ActiveRun {
  run: GatheringRun
  claim: Claim
  done: Promise<void>
}

/**
 * This replica's runs and its part of the queue. The queue is the store's:
 * queued gatherings are records, and each replica claims the oldest one
 * whenever it has a free slot (at once for what it admitted itself, within
 * a second for what others did). Every write a run makes names its claim,
 * and a run whose claim is gone (deleted, or taken over after this replica's
 * lease lapsed) is stopped at once. One run's life is GatheringRun's; what a
 * previous process or a gone replica left behind, and retention, are
 * Housekeeping's.
 */
export class GatheringRunner {
  readonly #o: RunnerOptions
  readonly #log: Logger
  readonly #pending = new PendingAdmissions()
  readonly #active = new Map<number, ActiveRun>()
  readonly #background: BackgroundTasks
  /** Callers' tokens for gatherings this replica admitted: memory only, by design. */
  readonly #tokens = new Map<number, string>()
  readonly #shutdown = new AbortController()
  readonly #housekeeping: Housekeeping
  readonly #lease: ReplicaLease
  readonly #context: RunContext
  /** The archives' indexes and summaries, which routes read too. */
  readonly insight: ArchiveInsight
  readonly #packThreads = new PackThreads()
  #accepting = true
  #processing = false
  #cleanupTimer: NodeJS.Timeout | undefined
  #watchTimer: NodeJS.Timeout | undefined
  #stopping: Promise<void> | undefined
  /** The claim loop running, if one is; `#claimAgain`: something was queued meanwhile. */
  #claiming: Promise<void> | undefined
  #claimAgain = false
  #watching: Promise<void> | undefined
  #queuedCount = 0
  /** Claims seen on the last watch that no run here holds (see #endStrayClaims). */
  #strayClaims = new Map<number, number>()

  constructor (options: RunnerOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'runner' })
    this.#background = new BackgroundTasks(this.#log)
    this.insight = new ArchiveInsight({ paths: options.paths, logger: this.#log })
    const now = (): string => (options.now?.() ?? new Date()).toISOString()
    const insight = this.insight
    this.#context = { ...options, logger: this.#log, background: this.#background, insight, packThreads: this.#packThreads, shutdown: this.#shutdown.signal, now }
    this.#housekeeping = new Housekeeping({
      store: options.store,
      replica: options.replica,
      paths: options.paths,
      logger: this.#log,
      cancelGraceMs: options.cancelGraceMs,
      keepGatheredFiles: options.keepGatheredFiles,
      outputTailLimit: options.outputTailLimit,
      signal: this.#shutdown.signal,
      background: this.#background,
      insight,
      redaction: options.redaction,
      callerCredentials: options.credentials.needsCallerToken,
      now
    })
    this.#lease = new ReplicaLease({
      store: options.store,
      replica: options.replica,
      leaseMs: options.leaseMs,
      logger: this.#log,
      takeOver: (gone) => this.#housekeeping.takeOverFrom(gone),
      now
    })
  }

  /** Gatherings waiting, every replica's (as last counted: at most a second old while processing). */
  get queuedCount (): number {
    return this.#queuedCount
  }

  get runningCount (): number {
    return this.#active.size
  }

  /** False once shutdown has begun. */
  get accepting (): boolean {
    return this.#accepting
  }

  /** REPLICA_NAME. */
  get replica (): string {
    return this.#o.replica
  }

  /**
   * Joins the replicas and recovers what this replica's previous process
   * left behind, so the records are right before anyone reads them. Runs
   * nothing: `startProcessing` does. Starts the packing thread kept between runs (pack-threads.ts).
   */
  async recover (): Promise<void> {
    // Ready before listening, so that what the process holds at rest includes it from the start; its
    // modules (~0.1 s) load meanwhile.
    const packThreadStarting = this.#packThreads.start()
    try {
      await mkdir(this.#o.paths.root, { recursive: true, mode: PRIVATE_DIRECTORY })
      // Also a data directory an older release made world-readable.
      await chmod(this.#o.paths.root, PRIVATE_DIRECTORY)
      await this.#o.credentials.clear()
      await this.#lease.join()
      await this.#housekeeping.recover()
      this.#queuedCount = (await this.#o.store.queuedCounts('')).total
    } catch (error) {
      await this.#packThreads.close()
      throw error
    }
    await packThreadStarting
  }

  /** Starts claiming queued gatherings, the lease's beat and the retention sweep (once the service is listening). */
  startProcessing (): void {
    if (!this.#accepting || this.#processing) return
    this.#processing = true
    const maxAgeMs = this.#o.cleanupMaxAgeMs
    if (maxAgeMs !== undefined) {
      const sweep = (): void => this.#background.track(this.#housekeeping.deleteExpired(maxAgeMs))
      this.#cleanupTimer = setInterval(sweep, Math.min(CLEANUP_INTERVAL_MS, maxAgeMs))
      this.#cleanupTimer.unref()
      sweep()
    }
    this.#lease.start()
    this.#watchTimer = setInterval(() => this.#watch(), WATCH_INTERVAL_MS)
    this.#watchTimer.unref()
    this.#claim()
  }

  /** What admission allows now, seen from this replica. */
  #limits (): QueueLimits {
    return {
      maxQueued: this.#o.maxQueued,
      maxQueuedPerUser: this.#o.maxQueuedPerUser,
      freeSlots: Math.max(0, this.#o.maxConcurrent - this.#active.size)
    }
  }

  /**
   * Takes a place in the queue for `user`'s gathering about to be recorded,
   * or throws ShuttingDownError / QueueFullError / UserQueueFullError. Changes nothing else, so a
   * request refused later (no disk space) leaves no trace: cancel the admission.
   */
  async admit (user: string): Promise<Admission> {
    if (!this.#accepting) throw new ShuttingDownError()
    const place = this.#pending.hold(user)
    try {
      const queued = await this.#o.store.queuedCounts(user)
      // Places held here by requests still being recorded count too (each sees the others').
      const refusal = queueRefusal({ total: queued.total + this.#pending.total - 1, ofUser: queued.ofUser + this.#pending.ofUser(user) - 1 }, this.#limits())
      if (refusal !== undefined) throw refusal
    } catch (error) {
      place.release()
      throw error
    }
    return {
      acceptedBy: this.#o.replica,
      limits: () => this.#limits(),
      enqueue: (gathering, token) => {
        place.release()
        if (token !== undefined) this.#tokens.set(gathering.id, token)
        this.#queuedCount++
        this.#log.info({ id: gathering.id, customName: gathering.customName, createdBy: gathering.createdBy }, 'Gathering queued.')
        if (this.#processing) queueMicrotask(() => this.#claim())
      },
      cancel: () => place.release()
    }
  }

  /** The live output tail of a gathering running here (fresher than its record). */
  liveOutput (id: number): { size: number, tail: (limit: number) => string } | undefined {
    const output = this.#active.get(id)?.run.output
    return output && { size: output.size, tail: (limit) => output.tail(limit) }
  }

  /** The phase of a gathering running here, read off oc's output. */
  livePhase (id: number): Phase | undefined {
    return this.#active.get(id)?.run.phase.phase
  }

  /** Changes whenever a gathering running here prints: part of the lists' ETag, as lists show live output. */
  liveVersion (): string {
    return [...this.#active.entries()].map(([id, { run }]) => `${id}:${run.output?.size ?? 0}:${run.phase.phase}`).join(',')
  }

  /**
   * Deletes a gathering: a running one here is stopped (SIGTERM to its
   * process group, SIGKILL after the grace period) and waited for; then its
   * record and files go. One running on another replica is stopped by that
   * replica, which sees its claim gone within a second. Returns false if it
   * did not exist.
   */
  async remove (id: number): Promise<boolean> {
    this.#tokens.delete(id)
    const active = this.#active.get(id)
    if (active !== undefined) {
      active.run.remove()
      await active.done
    }
    const existed = await this.#o.store.delete(id)
    await removeTree(this.#o.paths.dir(id))
    if (existed) this.#log.info({ id, wasRunningHere: active !== undefined }, 'Gathering deleted.')
    return existed
  }

  /**
   * Stops taking work; lets running gatherings finish for up to `graceMs`,
   * then cancels the rest (recorded as `error`). Queued ones stay `new`, for
   * another replica or the next start. Calling it again returns the same promise.
   */
  stop (graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs)
    return this.#stopping
  }

  async #stop (graceMs: number): Promise<void> {
    this.#accepting = false
    clearInterval(this.#cleanupTimer)
    clearInterval(this.#watchTimer)
    // A claim in flight may still start a run: it is waited for like the others.
    await this.#claiming
    const running = [...this.#active.values()].map(({ done }) => done)
    if (running.length > 0) {
      this.#log.info({ running: running.length, graceMs }, 'Waiting for running gatherings before shutdown.')
      const timer = setTimeout(() => {
        this.#log.warn({ running: this.#active.size }, 'Cancelling running gatherings for shutdown.')
        this.#shutdown.abort()
      }, graceMs)
      await Promise.all(running)
      clearTimeout(timer)
    }
    this.#shutdown.abort()
    try {
      await this.#lease.stop()
      await this.#watching
      await this.#background.settled()
    } finally {
      await this.#packThreads.close()
    }
  }

  /** Claims queued gatherings while slots are free; one loop at a time (a call meanwhile makes it look again). */
  #claim (): void {
    if (!this.#processing) return
    if (this.#claiming !== undefined) {
      this.#claimAgain = true
      return
    }
    this.#claiming = this.#claimWhileFree().catch((error: unknown) => {
      // The database may be away: the watch tries again within a second.
      this.#log.warn({ err: error }, 'Claiming a queued gathering failed; will retry.')
    }).finally(() => {
      this.#claiming = undefined
      if (this.#claimAgain) {
        this.#claimAgain = false
        this.#claim()
      }
    })
  }

  async #claimWhileFree (): Promise<void> {
    const { store, replica, credentials } = this.#o
    while (this.#accepting && this.#active.size < this.#o.maxConcurrent) {
      this.#claimAgain = false
      // A caller's token lives only in the replica that admitted the request: only it can run it.
      const claim = await store.claimNext(replica, this.#context.now(), credentials.needsCallerToken ? replica : undefined)
      if (claim === undefined) return
      this.#queuedCount = Math.max(0, this.#queuedCount - 1)
      this.#start(claim.id, { replica: claim.replica, attempt: claim.attempt })
    }
  }

  #start (id: number, claim: Claim): void {
    const run = new GatheringRun(id, this.#tokens.get(id), claim, this.#context)
    this.#tokens.delete(id)
    const done = run.execute()
      .catch((error: unknown) => this.#log.error({ id, err: error }, 'Gathering bookkeeping failed.'))
      .then(async () => {
        // Stopped because its record was deleted through another replica (noticed by the watch or by
        // its output flush, whichever came first): that replica removed the directory while this
        // oc could still write into it, so it goes again now that oc has stopped. (A delete here
        // removes it itself after this: the record still exists at this point.)
        if (run.removed && await this.#o.store.get(id) === undefined) await removeTree(this.#o.paths.dir(id))
      })
      .catch((error: unknown) => this.#log.warn({ id, err: error }, 'Removing the files of a gathering deleted through another replica failed.'))
      .finally(() => {
        this.#active.delete(id)
        this.#claim()
      })
    this.#active.set(id, { run, claim, done })
  }

  /** Once a second: claim what others queued, and check that this replica still holds its runs. */
  #watch (): void {
    if (this.#watching !== undefined || !this.#accepting) return
    this.#claim()
    this.#watching = this.#checkClaims().catch((error: unknown) => {
      this.#log.warn({ err: error }, 'Checking this replica\'s runs in the store failed; will retry.')
    }).finally(() => {
      this.#watching = undefined
    })
  }

  async #checkClaims (): Promise<void> {
    const { store, replica } = this.#o
    this.#queuedCount = (await store.queuedCounts('')).total
    // Only runs that were here before the store was read: one claimed meanwhile is not in its answer
    // and is not lost. (Checking it too stopped a run just claimed and left its record `inprogress`
    // for ever under a live replica: found by the replica drill.)
    const running = [...this.#active]
    const claimingBefore = this.#claiming !== undefined
    const held = new Map((await store.runsOf(replica)).map(({ id, attempt }) => [id, attempt]))
    await this.#endStrayClaims(held, claimingBefore || this.#claiming !== undefined)
    for (const [id, { run, claim }] of running) {
      // A run writing its final state (or already stopping) no longer shows as held: it is not lost.
      if (held.get(id) === claim.attempt || run.ending) continue
      const deleted = await store.get(id) === undefined
      this.#log.warn({ id, deleted }, deleted
        ? 'Gathering deleted through another replica; stopping its oc.'
        : 'This replica no longer holds this gathering (another took it over); stopping its oc, writing nothing.')
      run.remove()
    }
    // Tokens of gatherings deleted through another replica while queued here.
    if (this.#tokens.size > 0) {
      const queued = new Set((await store.getMany([...this.#tokens.keys()], 0)).filter((g) => g.status === 'new').map((g) => g.id))
      for (const id of this.#tokens.keys()) if (!queued.has(id) && !this.#active.has(id)) this.#tokens.delete(id)
    }
  }

  /**
   * A gathering the store shows as this replica's, running, that no run here
   * holds: a claim whose answer never came back (the database away longer
   * than the store retries). Nothing else would ever end it while this
   * replica lives. Seen on two watches in a row with no claim in flight
   * around either read (a claim being made is not yet a run), it ends as
   * `error`; it never ran.
   */
  async #endStrayClaims (held: Map<number, number>, claiming: boolean): Promise<void> {
    const strays = new Map([...held].filter(([id]) => !this.#active.has(id)))
    if (claiming) {
      this.#strayClaims.clear()
      return
    }
    for (const [id, attempt] of strays) {
      if (this.#strayClaims.get(id) !== attempt) continue
      const ended = await this.#o.store.finish(id, { ...failure(STRAY_CLAIM), outputTail: '', outputSize: 0 }, this.#context.now(), { replica: this.#o.replica, attempt })
      if (ended) this.#log.warn({ id }, 'A gathering this replica claimed without hearing back never ran; ended.')
      strays.delete(id)
    }
    this.#strayClaims = strays
  }
}
