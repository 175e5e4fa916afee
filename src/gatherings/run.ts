import { mkdir } from 'node:fs/promises'

import type { PackThread } from '../archive/pack-thread.js'
import type { PackThreads } from '../archive/pack-threads.js'
import type { Logger } from '../logger.js'
import type { GatheringMetrics } from '../observability/metrics.js'
import type { Claim, GatheringStore } from '../storage/types.js'
import type { ArchiveInsight } from './archive-insight.js'
import type { BackgroundTasks } from './background-tasks.js'
import { redactGathered, type RedactionSettings } from './redaction-step.js'
import { coerceError } from './errors.js'
import { recordFinalState } from './final-state.js'
import { buildOcArgs } from './oc-args.js'
import { runOc } from './oc-process.js'
import { OutputFlusher } from './output-flusher.js'
import { OutputLog } from './output-log.js'
import { collectArchive } from './packing.js'
import type { GatheringPaths } from './paths.js'
import { PRIVATE_DIRECTORY } from './file-modes.js'
import { PhaseTracker } from './phase.js'
import { processStartTicks } from './process-group.js'
import { failure } from './result.js'
import { CREDENTIALS_LOST, describeRunFailure, joinFailures, SHUTDOWN_CANCELLED } from './run-failure.js'
import { runTimeoutMs } from './run-timeout.js'
import type { PreparedCredentials, RunCredentials } from './run-credentials.js'
import type { StorageQuota } from './storage-quota.js'
import type { GatheringResult } from './types.js'

/** What every run needs from the service. */
export interface RunContext {
  store: GatheringStore
  paths: GatheringPaths
  logger: Logger
  ocPath: string
  /** The child's whole environment (credentials add KUBECONFIG per run). */
  ocEnv: NodeJS.ProcessEnv
  credentials: RunCredentials
  archiveFilename: string
  /** How long past its `--timeout` a run may go on before it is killed. */
  timeoutGraceMs: number
  /** Between SIGTERM and SIGKILL. */
  cancelGraceMs: number
  /** Bytes of output tail kept in memory and in the record. */
  outputTailLimit: number
  keepGatheredFiles: boolean
  background: BackgroundTasks
  /** Indexes and summarizes each new archive. */
  insight: ArchiveInsight
  /** Where a run's packing thread comes from, and goes back to. */
  packThreads: PackThreads
  /** How gathered files are redacted, for executions that ask (or when REDACTION=required). */
  redaction: RedactionSettings
  /** Aborts every run: the service is shutting down. */
  shutdown: AbortSignal
  metrics?: GatheringMetrics
  /** Keeps archives within MAX_STORAGE after each new one. */
  quota?: StorageQuota
  now: () => string
}

/**
 * One gathering's run, from `new` to its terminal state: start, credentials,
 * oc, the archive, the final write. Invariant, and the reason for the
 * try/finally shape of `execute`: every gathering whose run starts reaches
 * `completed` or `error` in the store unless it is deleted, whatever throws
 * (see recordFinalState for a final write that fails).
 */
export class GatheringRun {
  readonly phase = new PhaseTracker()
  #output: OutputLog | undefined
  readonly #cancel = new AbortController()
  /** Set when DELETE removes the gathering, or another replica took it over: its record must not be written again. */
  #removed = false
  #finishing = false

  /** `claim`: this replica's hold on the run, already marked started in the store (see GatheringStore.claimNext). */
  constructor (readonly id: number, private readonly token: string | undefined, private readonly claim: Claim, private readonly o: RunContext) {}

  /**
   * Stopping (deleted, or its claim lost), or writing its final state: either
   * way the record may no longer show the run as held, and that is no news.
   */
  get ending (): boolean {
    return this.#removed || this.#finishing
  }

  /** Output so far (fresher than the record), once oc's output is open. */
  get output (): OutputLog | undefined {
    return this.#output
  }

  /** remove() was called: the run wrote no final state, and whoever removed it decides about its files. */
  get removed (): boolean {
    return this.#removed
  }

  /** DELETE, or the claim lost: stop oc (SIGTERM, SIGKILL after the grace period) and write nothing more. */
  remove (): void {
    this.#removed = true
    this.#cancel.abort()
  }

  async execute (): Promise<void> {
    const { id, o } = this
    const log = o.logger.child({ id })
    let startedAt = o.now()
    const signal = AbortSignal.any([this.#cancel.signal, o.shutdown])
    let result: GatheringResult = failure(`internal error: gathering ${id} ended without a result`)
    let credentials: PreparedCredentials | undefined
    let flusher: OutputFlusher | undefined
    let deletedBeforeStart = false
    /** The run's packing thread (pack-threads.ts), from oc's start to the run's end. */
    let packThread: PackThread | undefined
    try {
      const gathering = await o.store.get(id)
      if (gathering === undefined) {
        deletedBeforeStart = true // deleted just after it was claimed
        return
      }
      startedAt = gathering.startedAt ?? startedAt
      log.info({ customName: gathering.customName, images: gathering.options.images }, 'Gathering started.')
      await mkdir(o.paths.destination(id), { recursive: true, mode: PRIVATE_DIRECTORY })
      this.#output = new OutputLog(o.paths.output(id), o.outputTailLimit)
      flusher = new OutputFlusher(id, this.#output, this.claim, () => this.phase.phase, o, () => {
        log.warn({ claim: this.claim }, 'This replica no longer holds this gathering (deleted, or taken over); stopping its oc.')
        this.remove()
      })
      if (o.credentials.needsCallerToken && this.token === undefined) {
        result = failure(CREDENTIALS_LOST)
        return
      }
      credentials = await o.credentials.prepare(id, this.token, gathering.options.server)
      // Cancelled while preparing: do not start oc (it would create a namespace just to be stopped).
      if (this.#removed) return
      if (signal.aborted) {
        result = failure(SHUTDOWN_CANCELLED)
        return
      }
      const output = this.#output
      let recordingProcess: Promise<void> | undefined
      const outcome = await runOc({
        ocPath: o.ocPath,
        args: buildOcArgs(gathering.options, o.paths.destination(id)),
        cwd: o.paths.dir(id),
        env: { ...o.ocEnv, ...credentials.env },
        output,
        onStdout: (chunk) => this.phase.push(chunk),
        deadlineMs: runTimeoutMs(gathering.options) + o.timeoutGraceMs,
        killGraceMs: o.cancelGraceMs,
        signal,
        onSpawn: (pid) => {
          // The kept thread, or a new one whose modules load while oc runs: ready to pack when oc ends.
          packThread ??= o.packThreads.take()
          // Recorded so that a restarted service can find and stop this process.
          recordingProcess = processStartTicks(pid).then(async (startTicks) => {
            if (startTicks !== undefined) await o.store.recordProcess(id, { pid, startTicks }, this.claim)
          })
          o.background.track(recordingProcess)
        }
      })
      // oc and its group have ended: nothing is left for a restart to stop. (Kept while it ran, also
      // if another replica took the run over meanwhile: this replica stops it when it comes back.)
      await recordingProcess?.catch(() => {})
      await o.store.recordProcess(id, null).catch((error: unknown) => log.warn({ err: error }, 'Clearing the recorded oc process failed; a restart checks it.'))
      await credentials.release()
      if (this.#removed) return
      this.phase.enter('packing')
      const runError = describeRunFailure(outcome, { ocPath: o.ocPath, timeout: gathering.options.timeout, timeoutGraceMs: o.timeoutGraceMs })
      let redactionCounts: Record<string, number> | null = null
      if (gathering.options.redact === true) {
        // Before packing: the raw files are never packed, so no raw archive ever exists.
        const redaction = await redactGathered(id, o.paths, o.redaction, signal)
        if (!redaction.redacted) {
          result = failure(joinFailures(runError, redaction.failure))
          return
        }
        redactionCounts = redaction.counts
      }
      result = { ...await collectArchive(gathering, runError, signal, o, packThread), redactionCounts }
    } catch (error) {
      result = failure(`gathering failed: ${coerceError(error).message}`)
    } finally {
      // Given back before the final state is written: a finished run holds no thread of its own.
      if (packThread !== undefined) await o.packThreads.giveBack(packThread).catch(() => {})
      await credentials?.release().catch((error: unknown) => log.error({ err: error }, 'Removing the run\'s kubeconfig failed.'))
      await flusher?.stop()
      const closed = await this.#output?.close().then(() => undefined, coerceError)
      if (!this.#removed && !deletedBeforeStart) {
        if (closed !== undefined && result.status === 'completed') {
          result = { ...result, status: 'error', errorMessage: `writing the output log failed: ${closed.message}` }
        }
        await this.#finish(result, startedAt, log)
      }
    }
  }

  async #finish (result: GatheringResult, startedAt: string, log: Logger): Promise<void> {
    const { id, o } = this
    const finishedAt = o.now()
    const full = { ...result, outputTail: this.#output?.tail() ?? '', outputSize: this.#output?.size ?? 0 }
    const retriesEnd = AbortSignal.any([this.#cancel.signal, o.shutdown])
    this.#finishing = true
    if (!await recordFinalState(id, full, finishedAt, { store: o.store, claim: this.claim, logger: log, signal: retriesEnd })) return
    if (result.archiveSize > 0) await o.quota?.enforce(id).catch((error: unknown) => log.error({ err: error }, 'Enforcing MAX_STORAGE failed.'))
    const durationMs = Date.parse(finishedAt) - Date.parse(startedAt)
    o.metrics?.finished(result.status, durationMs / 1000, result.archiveSize)
    log.info({
      status: result.status,
      durationMs,
      archiveSize: result.archiveSize,
      ...(result.errorMessage !== '' && { error: result.errorMessage })
    }, 'Gathering finished.')
  }
}
