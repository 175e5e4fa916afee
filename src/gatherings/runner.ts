import { mkdir } from 'node:fs/promises'

import { formatGoDuration, parseGoDuration } from '../config/go-duration.js'
import type { Logger } from '../logger.js'
import type { GatheringMetrics } from '../observability/metrics.js'
import type { GatheringStore } from '../storage/types.js'
import { adoptArchive, type ArchiveFile, findFile, hasAnyFile, packDirectory } from './archive.js'
import { coerceError, QueueFullError, ShuttingDownError } from './errors.js'
import { removeTree } from './fs-tools.js'
import { Housekeeping } from './housekeeping.js'
import { buildOcArgs } from './oc-args.js'
import { type OcRunOutcome, runOc } from './oc-process.js'
import { OutputLog } from './output-log.js'
import { archiveFileName, type GatheringPaths } from './paths.js'
import { type Phase, PhaseTracker } from './phase.js'
import { processStartTicks } from './process-group.js'
import { failure } from './result.js'
import type { PreparedCredentials, RunCredentials } from './run-credentials.js'
import type { StorageQuota } from './storage-quota.js'
import type { Gathering, GatheringResult } from './types.js'
import type { ValidatedRequest } from './validate-request.js'

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
  /** Gatherings waiting before `submit` refuses (default: 100). */
  maxQueued: number
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

interface ActiveRun {
  controller: AbortController
  phase: PhaseTracker
  output?: OutputLog
  /** Set when DELETE removed the gathering: its record must not be written again. */
  removed: boolean
  /** Output size last written to the store. */
  flushedSize?: number
  done: Promise<void>
}

const OUTPUT_FLUSH_MS = 1000
const CREDENTIALS_LOST = 'the service restarted before this execution could start; callers\' credentials are kept in memory only, ' +
  'so the request must be repeated'
const CLEANUP_INTERVAL_MS = 60_000

/**
 * The queue and the runs. Invariant, and the reason for the try/finally
 * shapes below: every gathering that starts reaches a terminal state in the
 * store (`completed` or `error`), unless it was deleted, whatever throws.
 */
export class GatheringRunner {
  readonly #o: RunnerOptions
  readonly #log: Logger
  readonly #queue: number[] = []
  readonly #active = new Map<number, ActiveRun>()
  readonly #background = new Set<Promise<unknown>>()
  /** Callers' tokens for queued and running gatherings: memory only, by design. */
  readonly #tokens = new Map<number, string>()
  #accepting = true
  #processing = false
  #cleanupTimer: NodeJS.Timeout | undefined
  readonly #shutdownSignal = new AbortController()
  #stopping: Promise<void> | undefined

  readonly #housekeeping: Housekeeping

  constructor (options: RunnerOptions) {
    this.#o = options
    this.#log = options.logger.child({ component: 'runner' })
    this.#housekeeping = new Housekeeping({
      store: options.store,
      paths: options.paths,
      logger: this.#log,
      cancelGraceMs: options.cancelGraceMs,
      keepGatheredFiles: options.keepGatheredFiles,
      outputTailLimit: options.outputTailLimit,
      signal: this.#shutdownSignal.signal,
      isActive: (id) => this.#active.has(id),
      finish: (id, result, at) => this.#finish(id, result, at),
      track: (promise) => this.#track(promise),
      now: () => this.#now()
    })
  }

  get queuedCount (): number {
    return this.#queue.length
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
    await mkdir(this.#o.paths.root, { recursive: true })
    await this.#o.credentials.clear()
    await this.#housekeeping.recover()
    this.#queue.push(...this.#o.store.idsByStatus('new'))
  }

  /** Starts running the queue and the retention sweep (once the service is listening). */
  startProcessing (): void {
    if (!this.#accepting || this.#processing) return
    this.#processing = true
    if (this.#o.cleanupMaxAgeMs !== undefined) {
      const sweep = (): void => this.#track(this.#housekeeping.deleteExpired(this.#o.cleanupMaxAgeMs as number))
      this.#cleanupTimer = setInterval(sweep, Math.min(CLEANUP_INTERVAL_MS, this.#o.cleanupMaxAgeMs))
      this.#cleanupTimer.unref()
      sweep()
    }
    this.#pump()
  }

  /**
   * Records a new gathering and queues it. `token` is the caller's, kept in
   * memory until the run ends. Throws `QueueFullError` / `ShuttingDownError`.
   */
  submit ({ customName, options }: ValidatedRequest, { createdBy, token }: { createdBy: string, token: string | undefined }): Gathering {
    if (!this.#accepting) throw new ShuttingDownError()
    // Only what will wait counts against MAX_QUEUED: a free slot takes the new one at once.
    const freeSlots = Math.max(0, this.#o.maxConcurrent - this.#active.size)
    if (this.#queue.length + 1 - freeSlots > this.#o.maxQueued) throw new QueueFullError(this.#o.maxQueued)
    const gathering = this.#o.store.insert({ customName, options, createdAt: this.#now(), createdBy })
    if (token !== undefined) this.#tokens.set(gathering.id, token)
    this.#queue.push(gathering.id)
    this.#log.info({ id: gathering.id, customName, createdBy, queued: this.#queue.length }, 'Gathering queued.')
    if (this.#processing) queueMicrotask(() => this.#pump())
    return gathering
  }

  /** The live output tail of a running gathering (fresher than its record). */
  liveOutput (id: number): { size: number, tail: (limit: number) => string } | undefined {
    const output = this.#active.get(id)?.output
    return output && { size: output.size, tail: (limit) => output.tail(limit) }
  }

  /** The phase of a running gathering, read off oc's output. */
  livePhase (id: number): Phase | undefined {
    return this.#active.get(id)?.phase.phase
  }

  /** Changes whenever a running gathering prints: part of the lists' ETag, as lists show live output. */
  liveVersion (): string {
    return [...this.#active.entries()].map(([id, run]) => `${id}:${run.output?.size ?? 0}:${run.phase.phase}`).join(',')
  }

  /**
   * Deletes a gathering: a queued one leaves the queue, a running one is
   * stopped (SIGTERM to its process group, SIGKILL after the grace period) and
   * waited for; then its record and files go. Returns false if it did not exist.
   */
  async remove (id: number): Promise<boolean> {
    const queued = this.#queue.indexOf(id)
    if (queued >= 0) this.#queue.splice(queued, 1)
    this.#tokens.delete(id)
    const active = this.#active.get(id)
    if (active !== undefined) {
      active.removed = true
      active.controller.abort()
      await active.done
    }
    const existed = this.#o.store.delete(id)
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
    this.#queue.length = 0
    const running = [...this.#active.values()].map((run) => run.done)
    if (running.length > 0) {
      this.#log.info({ running: running.length, graceMs }, 'Waiting for running gatherings before shutdown.')
      const timer = setTimeout(() => {
        this.#log.warn({ running: this.#active.size }, 'Cancelling running gatherings for shutdown.')
        this.#shutdownSignal.abort()
      }, graceMs)
      await Promise.all(running)
      clearTimeout(timer)
    }
    this.#shutdownSignal.abort()
    await Promise.allSettled([...this.#background])
  }

  #pump (): void {
    while (this.#accepting && this.#active.size < this.#o.maxConcurrent && this.#queue.length > 0) {
      const id = this.#queue.shift() as number
      const run: ActiveRun = { controller: new AbortController(), phase: new PhaseTracker(), removed: false, done: Promise.resolve() }
      this.#active.set(id, run)
      run.done = this.#execute(id, run)
        .catch((error: unknown) => this.#log.error({ id, err: error }, 'Gathering bookkeeping failed.'))
        .finally(() => {
          this.#active.delete(id)
          this.#pump()
        })
    }
  }

  async #execute (id: number, run: ActiveRun): Promise<void> {
    const startedAt = this.#now()
    if (!this.#o.store.markStarted(id, startedAt)) return // deleted while queued
    const gathering = this.#o.store.get(id) as Gathering
    const log = this.#log.child({ id })
    log.info({ customName: gathering.customName, images: gathering.options.images }, 'Gathering started.')
    const signal = AbortSignal.any([run.controller.signal, this.#shutdownSignal.signal])
    let result: GatheringResult = failure(`internal error: gathering ${id} ended without a result`)
    const flushTimer = setInterval(() => this.#flushOutput(id, run), OUTPUT_FLUSH_MS)
    const token = this.#tokens.get(id)
    this.#tokens.delete(id)
    let credentials: PreparedCredentials | undefined
    try {
      await mkdir(this.#o.paths.destination(id), { recursive: true })
      run.output = new OutputLog(this.#o.paths.output(id), this.#o.outputTailLimit)
      if (this.#o.credentials.needsCallerToken && token === undefined) {
        result = failure(CREDENTIALS_LOST)
        return
      }
      credentials = await this.#o.credentials.prepare(id, token, gathering.options.server)
      // Cancelled while preparing: do not start oc (it would create a namespace just to be stopped).
      if (run.removed) return
      if (signal.aborted) {
        result = failure('cancelled: the service was shutting down')
        return
      }
      const outcome = await this.#runOc(gathering, run, { ...this.#o.ocEnv, ...credentials.env }, signal)
      await credentials.release()
      if (run.removed) return
      run.phase.enter('packing')
      result = await this.#collect(gathering, outcome, signal)
    } catch (error) {
      result = failure(`gathering failed: ${coerceError(error).message}`)
    } finally {
      await credentials?.release().catch((error: unknown) => log.error({ err: error }, 'Removing the run\'s kubeconfig failed.'))
      clearInterval(flushTimer)
      const closed = await run.output?.close().then(() => undefined, coerceError)
      if (!run.removed) {
        if (closed !== undefined && result.status === 'completed') {
          result = { ...result, status: 'error', errorMessage: `writing the output log failed: ${closed.message}` }
        }
        const finishedAt = this.#now()
        this.#finish(id, { ...result, outputTail: run.output?.tail() ?? '', outputSize: run.output?.size ?? 0 }, finishedAt)
        if (result.archiveSize > 0) await this.#o.quota?.enforce(id).catch((error: unknown) => log.error({ err: error }, 'Enforcing MAX_STORAGE failed.'))
        const durationMs = Date.parse(finishedAt) - Date.parse(startedAt)
        this.#o.metrics?.finished(result.status, durationMs / 1000, result.archiveSize)
        log.info({
          status: result.status,
          durationMs,
          archiveSize: result.archiveSize,
          ...(result.errorMessage !== '' && { error: result.errorMessage })
        }, 'Gathering finished.')
      }
    }
  }

  /**
   * Writes the terminal state, retrying a few times: SQLite can be busy or the
   * disk briefly full. If it still fails the record stays `inprogress` and the
   * next start marks it interrupted; the process itself keeps serving.
   */
  #finish (id: number, result: GatheringResult, at: string): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.#o.store.finish(id, result, at)
        return
      } catch (error) {
        if (attempt >= 3) {
          this.#log.error({ id, err: error }, 'Recording the final state failed.')
          return
        }
      }
    }
  }

  async #runOc (gathering: Gathering, run: ActiveRun, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<OcRunOutcome> {
    const id = gathering.id
    const timeoutMs = parseGoDuration(gathering.options.timeout) ?? 0
    return runOc({
      ocPath: this.#o.ocPath,
      args: buildOcArgs(gathering.options, this.#o.paths.destination(id)),
      cwd: this.#o.paths.dir(id),
      env,
      output: run.output as OutputLog,
      onStdout: (chunk) => run.phase.push(chunk),
      deadlineMs: timeoutMs + this.#o.timeoutGraceMs,
      killGraceMs: this.#o.cancelGraceMs,
      signal,
      onSpawn: (pid) => {
        // Recorded so that a restarted service can find and stop this process.
        this.#track(processStartTicks(pid).then((startTicks) => {
          if (startTicks !== undefined) this.#o.store.recordProcess(id, { pid, startTicks })
        }))
      }
    })
  }

  /** Turns a finished run into a result: serve the image's archive, else pack what was gathered. */
  async #collect (gathering: Gathering, outcome: OcRunOutcome, signal: AbortSignal): Promise<GatheringResult> {
    const id = gathering.id
    const runError = this.#describeRunFailure(gathering, outcome)
    const destination = this.#o.paths.destination(id)
    const archiveName = archiveFileName(id, gathering.customName)
    let archive: ArchiveFile | undefined
    try {
      const imageArchive = await findFile(destination, this.#o.archiveFilename)
      if (imageArchive !== undefined) {
        archive = await adoptArchive(imageArchive, this.#o.paths.archive(id))
      } else if (await hasAnyFile(destination)) {
        archive = await packDirectory({ parent: this.#o.paths.dir(id), dirName: `must-gather.local.${id}`, target: this.#o.paths.archive(id), signal })
      }
    } catch (error) {
      if (signal.aborted) return failure([runError, 'packing the archive failed: the service was shutting down'].filter(Boolean).join('; '))
      // Unpacked files are never served: after a failed pack (a full disk, typically) they would only
      // hold the space, and keep the final state from being written to a database on the same disk.
      // (A shutdown keeps them instead: the next start packs them.)
      const removed = this.#o.keepGatheredFiles ? '' : '; the gathered files were removed to free their space'
      if (removed !== '') await this.#removeGathered(id, destination)
      return failure([runError, `packing the archive failed: ${coerceError(error).message}${removed}`].filter(Boolean).join('; '))
    }
    if (archive !== undefined && !this.#o.keepGatheredFiles) {
      // The archive is complete: say so now. Removing 20,000 files can take seconds on a busy
      // disk; it goes on in the background (a restart meanwhile finishes it at start-up).
      this.#track(this.#removeGathered(id, destination))
    }
    const archiveFields = archive === undefined
      ? { archiveName: '', archiveSize: 0, archiveSha256: '' }
      : { archiveName, archiveSize: archive.size, archiveSha256: archive.sha256 }
    if (runError !== undefined) return { ...failure(runError), ...archiveFields }
    if (archive === undefined) return failure('oc adm must-gather finished but wrote no files to its destination directory')
    return { ...failure(''), status: 'completed', ...archiveFields }
  }

  /** Removes a run's unpacked files; a failure is logged (start-up retries what is left). */
  async #removeGathered (id: number, destination: string): Promise<void> {
    await removeTree(destination).catch((e: unknown) => this.#log.error({ id, err: e }, 'Removing the gathered files failed.'))
  }

  #describeRunFailure (gathering: Gathering, outcome: OcRunOutcome): string | undefined {
    const detail = outcome.lastErrorLine !== '' ? `: ${outcome.lastErrorLine}` : ''
    if (outcome.spawnError !== undefined) {
      const { code, message } = outcome.spawnError
      const what = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : 'could not be started'
      return `cannot run oc: OC_PATH "${this.#o.ocPath}" ${what} (${message})`
    }
    if (outcome.stoppedBecause === 'aborted') return 'cancelled: the service was shutting down'
    if (outcome.stoppedBecause === 'deadline') {
      return `oc adm must-gather did not finish within its timeout (${gathering.options.timeout}) plus TIMEOUT_GRACE ` +
        `(${formatGoDuration(this.#o.timeoutGraceMs)}) and was killed${detail}`
    }
    if (outcome.signal !== null) return `oc adm must-gather was killed by signal ${outcome.signal}${detail}`
    if (outcome.exitCode !== 0) return `oc adm must-gather failed with exit status ${outcome.exitCode}${detail}`
    return undefined
  }

  #flushOutput (id: number, run: ActiveRun): void {
    const output = run.output
    if (output === undefined || run.removed || output.size === run.flushedSize) return
    try {
      this.#o.store.updateOutput(id, output.tail(), output.size, this.#now())
      run.flushedSize = output.size
    } catch (error) {
      // A busy or full database must not take the process down; the final state is written at the end.
      this.#log.warn({ id, err: error }, 'Saving the output tail failed; will retry.')
    }
  }

  #track (promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.#log.error({ err: error }, 'Background task failed.'))
      .finally(() => this.#background.delete(tracked))
    this.#background.add(tracked)
  }

  #clock (): Date {
    return this.#o.now?.() ?? new Date()
  }

  #now (): string {
    return this.#clock().toISOString()
  }
}
