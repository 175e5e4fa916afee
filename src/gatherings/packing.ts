import type { Logger } from '../logger.js'
import { packDirectory } from '../archive/pack.js'
import { packAndSummarize } from '../archive/pack-and-summarize.js'
import type { PackThread } from '../archive/pack-thread.js'
import type { PackThreads } from '../archive/pack-threads.js'
import { adoptArchive, type ArchiveFile, findFile, hasAnyFile } from './archive.js'
import type { ArchiveInsight } from './archive-insight.js'
import type { BackgroundTasks } from './background-tasks.js'
import { coerceError } from './errors.js'
import { removeTree } from './fs-tools.js'
import { archiveFileName, type GatheringPaths } from './paths.js'
import { failure } from './result.js'
import { joinFailures } from './run-failure.js'
import type { GatheringResult } from './types.js'

export interface PackingOptions {
  paths: GatheringPaths
  /** The file an image may write itself (ARCHIVE_FILENAME): served as it is. */
  archiveFilename: string
  /** KEEP_GATHERED_FILES: unpacked files stay next to the archive. */
  keepGatheredFiles: boolean
  background: BackgroundTasks
  logger: Logger
  /** Indexes and summarizes each new archive. */
  insight: ArchiveInsight
  /** Where packing threads come from (one is kept between runs). */
  packThreads: PackThreads
}

/**
 * Packs a gathering's destination as `<destination name>/` in its archive
 * file: blocked (independently compressed gzip members, a valid .tar.gz for
 * every tool), with its index beside it (src/archive).
 */
export async function packDestination (paths: GatheringPaths, id: number, signal: AbortSignal): Promise<ArchiveFile> {
  return await packDirectory({ parent: paths.dir(id), dirName: paths.destinationName(id), target: paths.archive(id), signal })
}

/**
 * The packing decision: after oc ended (`runError` says how it failed, if it
 * did), serve the image's own archive, else pack what was gathered, else say
 * that nothing was. Never throws: every outcome is a result.
 */
export async function collectArchive (
  gathering: { id: number, customName: string },
  runError: string | undefined,
  signal: AbortSignal,
  o: PackingOptions,
  /** The run's packing thread, taken when its oc started (the caller gives it back); else one is taken here if needed. */
  packThread?: PackThread
): Promise<GatheringResult> {
  const { id } = gathering
  const destination = o.paths.destination(id)
  let archive: ArchiveFile | undefined
  let ownThread: PackThread | undefined
  try {
    const imageArchive = await findFile(destination, o.archiveFilename)
    if (imageArchive !== undefined) {
      // Re-packed into the blocked form when it is one gzip stream, so its files can be read one at a time.
      archive = await o.insight.index(id, await adoptArchive(imageArchive, o.paths.archive(id)), signal)
      await o.insight.summarizeArchive(id, signal)
    } else if (await hasAnyFile(destination)) {
      // Packed and summarized on a thread of its own, the summary's listing and most of its reading from the packer's stream.
      const request = { parent: o.paths.dir(id), dirName: o.paths.destinationName(id), target: o.paths.archive(id) }
      const thread = packThread !== undefined && !packThread.stopped ? packThread : (ownThread = o.packThreads.take())
      // Without a thread (none could be started: the process's thread limit), on the event loop.
      const packed = thread !== undefined ? await thread.pack(request, signal) : await packAndSummarize(request, signal)
      archive = packed.archive
      await o.insight.keepSummary(id, packed, signal)
    }
  } catch (error) {
    // No archive: a summary made beside it would name files nobody can read.
    await o.insight.forget(id)
    if (signal.aborted) return failure(joinFailures(runError, 'packing the archive failed: the service was shutting down'))
    // Unpacked files are never served: after a failed pack (a full disk, typically) they would only
    // hold the space, and keep the final state from being written to a database on the same disk.
    // (A shutdown keeps them instead: the next start packs them.)
    const removed = o.keepGatheredFiles ? '' : '; the gathered files were removed to free their space'
    if (removed !== '') await removeGathered(id, o)
    return failure(joinFailures(runError, `packing the archive failed: ${coerceError(error).message}${removed}`))
  } finally {
    if (ownThread !== undefined) await o.packThreads.giveBack(ownThread).catch(() => {})
  }
  if (archive !== undefined && !o.keepGatheredFiles) {
    // The archive is complete: say so now. Removing 20,000 files can take seconds on a busy
    // disk; it goes on in the background (a restart meanwhile finishes it at start-up).
    o.background.track(removeGathered(id, o))
  }
  const archiveFields = archive === undefined
    ? { archiveName: '', archiveSize: 0, archiveSha256: '' }
    : { archiveName: archiveFileName(id, gathering.customName), archiveSize: archive.size, archiveSha256: archive.sha256 }
  if (runError !== undefined) return { ...failure(runError), ...archiveFields }
  if (archive === undefined) return failure('oc adm must-gather finished but wrote no files to its destination directory')
  return { ...failure(''), status: 'completed', ...archiveFields }
}

/** Removes a run's unpacked files; a failure is logged (start-up retries what is left). */
async function removeGathered (id: number, o: PackingOptions): Promise<void> {
  await removeTree(o.paths.destination(id)).catch((e: unknown) => o.logger.error({ id, err: e }, 'Removing the gathered files failed.'))
}
