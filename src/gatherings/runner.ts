import { chmod, mkdir } from 'node:fs/promises'

import type { Logger } from '../logger.js'
import type { GatheringMetrics } from '../observability/metrics.js'
import type { GatheringStore } from '../storage/types.js'
import { ArchiveInsight } from './archive-insight.js'
import { BackgroundTasks } from './background-tasks.js'
import { ShuttingDownError } from './errors.js'
import { PRIVATE_DIRECTORY } from './file-modes.js'
import { removeTree } from './fs-tools.js'
import { Housekeeping } from './housekeeping.js'
import type { GatheringPaths } from './paths.js'
import type { Phase } from './phase.js'
import { GatheringRun, type RunContext } from './run.js'
import { RunQueue } from './run-queue.js'
import type { RunCredentials } from './run-credentials.js'
import type { StorageQuota } from './storage-quota.js'
import type { Gathering } from './types.js'

export interface RunnerOptions {
  store: GatheringStore
  paths: GatheringPaths
  logger: Logger
  ocPath: string
  /** The child's whole environment (credentials add KUBECONFIG per run). */
  ocEnv: NodeJS.ProcessEnv
  /** How oc authenticates for each run. */
  credentials: RunCredentials
  /** Gatherings running at once (default: 4). */
  maxConcurrent: number
  /** Gatherings waiting before admission refuses (default: 100). */
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
  now?: () => Date
}

/** A place in the queue for a gathering about to be recorded (see GatheringCreator). */
export interface Admission {
  /** The recorded gathering joins the queue; `token` (the caller's) is kept in memory until its run ends. */
  enqueue (gathering: Gathering, token: string | undefined): void
  /** Nothing was recorded: the place is given back. */
  cancel (): void
}

const CLEANUP_INTERVAL_MS = 60_000

/**
 * The queue and the runs of this process: admits, starts as slots free up,
 * cancels, and shuts down. One run's life is GatheringRun's; what a previous
 * process left behind, and retention, are Housekeeping's.
 */
export class GatheringRunner {
  readonly #o: RunnerOptions
  readonly #log: Logger
  readonly #queue: RunQueue
  readonly #active = new Map<number, { run: GatheringRun, done: Promise<void> }>()
  readonly #background: BackgroundTasks
  /** Callers' tokens for queued gatherings: memory only, by design. */
  readonly #tokens = new Map<number, string>()
  readonly #shutdown = new AbortController()
  readonly #housekeeping: Housekeeping
  readonly #context: RunContext
  /** The archives' indexes and summaries, which routes read too. */
  readonly insight: ArchiveInsight
  #accepting = true
  #processing = false
  #cleanupTimer: NodeJS.Timeout | undefined
  #stopping: Promise<void> | undefined

  constructor (options: RunnerOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'runner' })
    this.#queue = new RunQueue({ maxConcurrent: options.maxConcurrent, maxQueued: options.maxQueued, maxQueuedPerUser: options.maxQueuedPerUser })
    this.#background = new BackgroundTasks(this.#log)
    this.insight = new ArchiveInsight({ paths: options.paths, logger: this.#log })
    const now = (): string => (options.now?.() ?? new Date()).toISOString()
    const insight = this.insight
    this.#context = { ...options, logger: this.#log, background: this.#background, insight, shutdown: this.#shutdown.signal, now }
    this.#housekeeping = new Housekeeping({
      store: options.store,
      paths: options.paths,
      logger: this.#log,
      cancelGraceMs: options.cancelGraceMs,
      keepGatheredFiles: options.keepGatheredFiles,
      outputTailLimit: options.outputTailLimit,
      signal: this.#shutdown.signal,
      background: this.#background,
      insight,
      now
    })
  }

  get queuedCount (): number {
    return this.#queue.waitingCount
  }

  get runningCount (): number {
    return this.#active.size
  }

  /** False once shutdown has begun. */
  get accepting (): boolean {
    return this.#accepting
  }

  /**
   * Recovers what a previous process left behind, so the records are right
   * before anyone reads them. Runs nothing: `startProcessing` does.
   */
  async recover (): Promise<void> {
    await mkdir(this.#o.paths.root, { recursive: true, mode: PRIVATE_DIRECTORY })
    // Also a data directory an older release made world-readable.
    await chmod(this.#o.paths.root, PRIVATE_DIRECTORY)
    await this.#o.credentials.clear()
    await this.#housekeeping.recover()
    const queued = await this.#o.store.idsByStatus('new')
    // Oldest first, as they were queued (getMany answers newest first).
    this.#queue.restore((await this.#o.store.getMany(queued, 0)).reverse())
  }

  /** Starts running the queue and the retention sweep (once the service is listening). */
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
    this.#pump()
  }

  /**
   * Takes a place in the queue for `user`'s gathering about to be recorded,
   * or throws ShuttingDownError / QueueFullError / UserQueueFullError. Changes nothing else, so a
   * request refused later (no disk space) leaves no trace: cancel the admission.
   */
  admit (user: string): Admission {
    if (!this.#accepting) throw new ShuttingDownError()
    const reservation = this.#queue.reserve(user)
    return {
      enqueue: (gathering, token) => {
        if (token !== undefined) this.#tokens.set(gathering.id, token)
        reservation.fill(gathering.id)
        this.#log.info({ id: gathering.id, customName: gathering.customName, createdBy: gathering.createdBy, queued: this.#queue.waitingCount }, 'Gathering queued.')
        if (this.#processing) queueMicrotask(() => this.#pump())
      },
      cancel: () => reservation.cancel()
    }
  }

  /** The live output tail of a running gathering (fresher than its record). */
  liveOutput (id: number): { size: number, tail: (limit: number) => string } | undefined {
    const output = this.#active.get(id)?.run.output
    return output && { size: output.size, tail: (limit) => output.tail(limit) }
  }

  /** The phase of a running gathering, read off oc's output. */
  livePhase (id: number): Phase | undefined {
    return this.#active.get(id)?.run.phase.phase
  }

  /** Changes whenever a running gathering prints: part of the lists' ETag, as lists show live output. */
  liveVersion (): string {
    return [...this.#active.entries()].map(([id, { run }]) => `${id}:${run.output?.size ?? 0}:${run.phase.phase}`).join(',')
  }

  /**
   * Deletes a gathering: a queued one leaves the queue, a running one is
   * stopped (SIGTERM to its process group, SIGKILL after the grace period) and
   * waited for; then its record and files go. Returns false if it did not exist.
   */
  async remove (id: number): Promise<boolean> {
    this.#queue.withdraw(id)
    this.#tokens.delete(id)
    const active = this.#active.get(id)
    if (active !== undefined) {
      active.run.remove()
      await active.done
    }
    const existed = await this.#o.store.delete(id)
    await removeTree(this.#o.paths.dir(id))
    if (existed) this.#log.info({ id, wasRunning: active !== undefined }, 'Gathering deleted.')
    return existed
  }

  /**
   * Stops taking work; lets running gatherings finish for up to `graceMs`,
   * then cancels the rest (recorded as `error`). Queued ones stay `new` for
   * the next start. Calling it again returns the same promise.
   */
  stop (graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs)
    return this.#stopping
  }

  async #stop (graceMs: number): Promise<void> {
    this.#accepting = false
    clearInterval(this.#cleanupTimer)
    this.#queue.clear()
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
    await this.#background.settled()
  }

  #pump (): void {
    while (this.#accepting) {
      const id = this.#queue.next()
      if (id === undefined) return
      const run = new GatheringRun(id, this.#tokens.get(id), this.#context)
      this.#tokens.delete(id)
      const done = run.execute()
        .catch((error: unknown) => this.#log.error({ id, err: error }, 'Gathering bookkeeping failed.'))
        .finally(() => {
          this.#active.delete(id)
          this.#queue.finished()
          this.#pump()
        })
      this.#active.set(id, { run, done })
    }
  }
}
