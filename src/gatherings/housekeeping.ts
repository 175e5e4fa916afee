import { existsSync } from 'node:fs'
import { access, readdir, rm } from 'node:fs/promises'

import type { Logger } from '../logger.js'
import type { GatheringStore, RunProcess } from '../storage/types.js'
import { type ArchiveFile, hashFile, hasAnyFile } from './archive.js'
import { indexPathOf } from '../archive/index-file.js'
import type { ArchiveInsight } from './archive-insight.js'
import type { BackgroundTasks } from './background-tasks.js'
import { redactGathered, type RedactionSettings } from './redaction-step.js'
import { removeTree } from './fs-tools.js'
import { readFileTail } from './output-log.js'
import { archiveFileName, type GatheringPaths } from './paths.js'
import { packDestination } from './packing.js'
import { isStillRunning, processesWorkingIn, signalGroup, stopGroup } from './process-group.js'
import { credentialsLostWith, interruptedBy } from './run-failure.js'
import { failure } from './result.js'
import type { GatheringResult } from './types.js'

export interface HousekeepingOptions {
  store: GatheringStore
  /** REPLICA_NAME: whose runs, processes and leftovers are this process's to recover. */
  replica: string
  paths: GatheringPaths
  logger: Logger
  /** Between SIGTERM and SIGKILL for an orphaned oc. */
  cancelGraceMs: number
  /** KEEP_GATHERED_FILES: unpacked files stay next to the archive. */
  keepGatheredFiles: boolean
  outputTailLimit: number
  /** Aborts packing when the service shuts down. */
  signal: AbortSignal
  /** Where work that outlives a call goes; shutdown waits for it. */
  background: BackgroundTasks
  /** Indexes and summarizes archives made before this release (in the background, after start-up). */
  insight: ArchiveInsight
  /** Leftovers of an execution that asked for redaction are redacted before they are packed. */
  redaction: RedactionSettings
  /** OC_CREDENTIALS=caller: a gone replica's queue cannot run anywhere else (the tokens were in its memory). */
  callerCredentials: boolean
  now: () => string
}

/** Archive files checked at once at start-up. */
const CHECKS_IN_FLIGHT = 256

/**
 * What keeps records and files true to each other across crashes and time:
 * recovery at start-up (interrupted runs, orphan processes, orphan or
 * unpacked directories) and retention (CLEANUP_MAX_AGE).
 */
export class Housekeeping {
  readonly #o: HousekeepingOptions
  readonly #packingLeftovers = new Set<number>()

  constructor (options: HousekeepingOptions) {
    this.#o = options
  }

  /** Everything this replica's previous process left behind; runs nothing new. */
  async recover (): Promise<void> {
    await this.#stopOwnOrphans()
    // Its own runs, and runs from before replicas had names (a single process, upgraded).
    await this.#interruptRunsOf(this.#o.replica)
    await this.#interruptRunsOf('')
    await this.#reconcileDirectories()
    // One stat per archive: in the background, so that start-up stays fast with many records.
    // Then archives without an index or summary (made before this release) get them, one at a time.
    this.#o.background.track(this.#markVanishedArchives().then(() => this.#indexOlderArchives()))
  }

  /**
   * A replica whose lease lapsed (killed, its node lost): its runs end as
   * `error` "interrupted: replica <name> stopped" with what they gathered
   * packed (DATA_DIR is shared); its queue is any replica's to run, unless
   * callers' tokens were needed, which died with it.
   */
  async takeOverFrom (gone: string): Promise<void> {
    await this.#interruptRunsOf(gone)
    if (!this.#o.callerCredentials) return
    const failed = await this.#o.store.failQueued(gone, credentialsLostWith(gone), this.#o.now())
    if (failed.length > 0) this.#o.logger.warn({ gone, ids: failed }, 'Queued gatherings of a gone replica cannot run without their callers\' tokens; ended.')
  }

  /**
   * oc processes this replica started and did not see end (the service was
   * killed): stopped, whatever their records say now (another replica may
   * have taken the run over meanwhile; it cannot reach this replica's processes).
   */
  async #stopOwnOrphans (): Promise<void> {
    for (const recorded of await this.#o.store.processesOf(this.#o.replica)) {
      if (await isStillRunning(recorded)) this.#stopOrphan(recorded.id, recorded)
      await this.#o.store.recordProcess(recorded.id, null)
    }
  }

  #stopOrphan (id: number, orphan: RunProcess): void {
    this.#o.logger.warn({ id, pid: orphan.pid }, 'Stopping oc left running by a previous service process.')
    this.#o.background.track(stopGroup(orphan.pid, this.#o.cancelGraceMs, () => isStillRunning(orphan))
      .then(() => signalGroup(orphan.pid, 'SIGKILL')))
  }

  /**
   * Runs `from` held end as `error`, keeping an archive renamed into place
   * before the end; what they gathered is packed. Each is taken over first
   * (a compare-and-set), so with several replicas at it each run is ended
   * once, and a `from` that is still alive writes nothing more to it.
   */
  async #interruptRunsOf (from: string): Promise<void> {
    const own = from === this.#o.replica || from === ''
    const message = interruptedBy(own ? undefined : from)
    for (const { id } of await this.#o.store.runsOf(from)) {
      const claim = await this.#o.store.takeOver(id, from, this.#o.replica)
      if (claim === undefined) continue // another replica took it, or it ended meanwhile
      // Killed between spawning oc and recording its pid: its working directory (each run's own) finds it.
      if (own) for (const orphan of await processesWorkingIn(this.#o.paths.dir(id))) this.#stopOrphan(id, orphan)
      await rm(this.#o.paths.partialArchive(id), { force: true })
      const archive = await existingArchive(this.#o.paths.archive(id))
      const { tail, size } = await readFileTail(this.#o.paths.output(id), this.#o.outputTailLimit)
      const gathering = await this.#o.store.get(id)
      if (gathering === undefined) continue // deleted by another request meanwhile
      const interrupted: GatheringResult = {
        ...failure(message),
        ...(archive !== undefined && { archiveName: archiveFileName(id, gathering.customName), archiveSize: archive.size, archiveSha256: archive.sha256 }),
        outputTail: tail,
        outputSize: size
      }
      if (!await this.#o.store.finish(id, interrupted, this.#o.now(), claim)) continue
      this.#o.logger.warn({ id, replica: from === '' ? undefined : from }, `Gathering ${message}.`)
      if (archive === undefined) this.#o.background.track(this.#packLeftovers(id))
    }
  }

  /**
   * Packs gathered files a finished gathering still has unpacked (its run was
   * interrupted or cancelled by a shutdown), so they can be downloaded and no
   * unpacked tree lingers. The record keeps its status and message.
   */
  async #packLeftovers (id: number): Promise<void> {
    if (this.#packingLeftovers.has(id)) return
    this.#packingLeftovers.add(id)
    try {
      await this.#packLeftoversOnce(id)
    } finally {
      this.#packingLeftovers.delete(id)
    }
  }

  async #packLeftoversOnce (id: number): Promise<void> {
    const destination = this.#o.paths.destination(id)
    if (await hasAnyFile(destination)) {
      let redactionCounts: Record<string, number> | undefined
      if ((await this.#o.store.get(id))?.options.redact === true) {
        const redaction = await redactGathered(id, this.#o.paths, this.#o.redaction, this.#o.signal)
        if (!redaction.redacted) {
          this.#o.logger.warn({ id }, 'Redacting the files an interrupted gathering had gathered failed; they were removed.')
          return
        }
        redactionCounts = redaction.counts
      }
      const archive = await packDestination(this.#o.paths, id, this.#o.signal)
      const g = await this.#o.store.get(id)
      if (g === undefined) return // deleted meanwhile
      // The record keeps its terminal state and gains the archive. A failure here is logged by the
      // background tasks; the files stay, and the next start packs them again.
      await this.#o.store.finish(id, {
        status: g.status === 'completed' ? 'completed' : 'error',
        errorMessage: g.errorMessage,
        archiveName: archiveFileName(id, g.customName),
        archiveSize: archive.size,
        archiveSha256: archive.sha256,
        outputTail: await this.#o.store.outputTail(id, this.#o.outputTailLimit),
        outputSize: g.outputSize,
        ...(redactionCounts !== undefined && { redactionCounts })
      }, g.finishedAt ?? this.#o.now())
      this.#o.logger.info({ id, archiveSize: archive.size }, 'Packed the files an interrupted gathering had gathered.')
      // The tree goes before the summary is made: the summary reads the archive, and may take a while.
      await removeTree(destination)
      await this.#o.insight.summarizeArchive(id, this.#o.signal)
      return
    }
    await removeTree(destination)
  }

  /**
   * Files and records must not drift: directories no record owns (a delete
   * cut short by a crash) go; finished gatherings that still hold unpacked
   * files (a shutdown cancelled them mid-run) get them packed.
   */
  async #reconcileDirectories (): Promise<void> {
    // Directories first: a run makes its directory after its record exists, so a directory seen
    // here without a record is one whose record was deleted (another replica's new run is not).
    const names = await readdir(this.#o.paths.root)
    const records = await this.#o.store.fileStates()
    for (const name of names) {
      const id = this.#o.paths.idOf(name)
      if (id === undefined) continue
      const g = records.get(id)
      if (g === undefined) {
        this.#o.logger.info({ id }, 'Removing files of a gathering that has no record.')
        await removeTree(this.#o.paths.dir(id))
        continue
      }
      if (g.status === 'new' || g.status === 'inprogress') continue
      // Synchronous on purpose: this runs before listening, and one stat each is ~10x
      // quicker than an awaited readdir (100,000 records: about a second less).
      if (!existsSync(this.#o.paths.destination(id))) continue
      // Leftovers are packed by the replica that owns the run (another's may be packing them now).
      if (g.archiveName === '') {
        if (g.owner === this.#o.replica || g.owner === '') this.#o.background.track(this.#packLeftovers(id))
      // Files beside a finished archive are never served, whoever's run it was: killed after the
      // archive was in place, or written by an oc that outlived its replica after a takeover.
      } else if (!this.#o.keepGatheredFiles) this.#o.background.track(removeTree(this.#o.paths.destination(id)))
    }
  }

  /**
   * Records whose archive file is gone (deleted by hand, a restored backup of
   * the database, a lost volume) are marked expired, saying so, instead of
   * offering a download that cannot be served.
   */
  async #markVanishedArchives (): Promise<void> {
    const ids = await this.#o.store.idsWithArchive()
    if (ids.length === 0) return
    // Archives on record and not one gathering directory: a volume not mounted or a wrong
    // DATA_DIR, not lost files. Marking would erase every record's archive for good.
    const directories = (await readdir(this.#o.paths.root)).filter((name) => this.#o.paths.idOf(name) !== undefined)
    if (directories.length === 0) {
      this.#o.logger.error({ archives: ids.length, dataDir: this.#o.paths.root },
        'The data directory holds none of the archives on record; is the volume mounted? Records are left as they are.')
      return
    }
    const isMissing = (id: number): Promise<boolean> => access(this.#o.paths.archive(id)).then(() => false, (error: NodeJS.ErrnoException) => {
      // Only "no such file" is an answer; EACCES or EIO on a sick volume is not.
      if (error.code !== 'ENOENT') this.#o.logger.warn({ id, code: error.code }, 'Cannot check the archive file of a gathering.')
      return error.code === 'ENOENT'
    })
    // Many checks in flight: one at a time, each waits its turn in the thread pool
    // (100,000 records: 17 s and 11 s of CPU, against about 1 s).
    for (let start = 0; start < ids.length; start += CHECKS_IN_FLIGHT) {
      if (this.#o.signal.aborted) return
      const batch = ids.slice(start, start + CHECKS_IN_FLIGHT)
      const missing = await Promise.all(batch.map(isMissing))
      for (const [index, id] of batch.entries()) {
        if (missing[index] !== true) continue
        // Only if the record still names it: retention or a delete may have got there first.
        if (await this.#o.store.expireArchive(id, this.#o.now(), 'found missing at start-up (its file was removed outside the service)')) {
          this.#o.logger.warn({ id }, 'The archive file of this gathering is missing; marked expired.')
        }
      }
    }
  }

  /**
   * Archives made before archives were indexed: each is indexed (one an
   * image wrote itself is re-packed into the blocked form, and its record
   * takes the new size and sha256) and summarized, one at a time, after
   * start-up. Archives that have both are skipped with two stats.
   */
  async #indexOlderArchives (): Promise<void> {
    for (const id of await this.#o.store.idsWithArchive()) {
      if (this.#o.signal.aborted) return
      const archivePath = this.#o.paths.archive(id)
      if (existsSync(indexPathOf(archivePath)) && existsSync(this.#o.paths.summary(id))) continue
      const g = await this.#o.store.get(id)
      if (g === undefined || g.archiveName === '' || !existsSync(archivePath)) continue
      // Several replicas start at once after an upgrade: each archive is re-packed by one of them.
      if (!await this.#o.store.adopt(id, this.#o.replica)) continue
      const before = { size: g.archiveSize, sha256: g.archiveSha256 }
      const after = await this.#o.insight.index(id, before, this.#o.signal)
      if (after.sha256 !== before.sha256) {
        const current = await this.#o.store.get(id)
        if (current === undefined || current.archiveName === '') continue // deleted or expired meanwhile
        await this.#o.store.finish(id, {
          status: current.status === 'completed' ? 'completed' : 'error',
          errorMessage: current.errorMessage,
          archiveName: current.archiveName,
          archiveSize: after.size,
          archiveSha256: after.sha256,
          outputTail: await this.#o.store.outputTail(id, this.#o.outputTailLimit),
          outputSize: current.outputSize
        }, current.finishedAt ?? this.#o.now())
        this.#o.logger.info({ id, archiveSize: after.size }, 'Re-packed an archive into the blocked form, so that its files can be browsed.')
      }
      if (!existsSync(this.#o.paths.summary(id))) await this.#o.insight.summarizeArchive(id, this.#o.signal)
    }
  }

  /** Retention (CLEANUP_MAX_AGE): finished gatherings last updated longer ago than `maxAgeMs` go, with their files. */
  async deleteExpired (maxAgeMs: number): Promise<void> {
    const cutoff = new Date(Date.parse(this.#o.now()) - maxAgeMs).toISOString()
    // Only finished gatherings: none of them is running.
    for (const id of await this.#o.store.finishedBefore(cutoff)) {
      await this.#o.store.delete(id)
      await removeTree(this.#o.paths.dir(id))
      this.#o.logger.info({ id }, 'Gathering deleted by retention (CLEANUP_MAX_AGE).')
    }
  }
}

/** An archive renamed into place before a crash is whole: keep serving it. */
async function existingArchive (path: string): Promise<ArchiveFile | undefined> {
  try {
    return await hashFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
