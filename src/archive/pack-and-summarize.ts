import { join } from 'node:path'

import { DirectoryTreeSource, type Summary, summarizeLocated } from '../insight/index.js'
import { packDirectory, type PackedArchive } from './pack.js'
import { TappedTreeSource } from './tapped-tree-source.js'

export interface PackAndSummarizeRequest {
  /** Directory holding `dirName` (tar's -C). */
  parent: string
  /** The directory packed: the archive's top folder. */
  dirName: string
  /** The archive's path (see packDirectory). */
  target: string
}

/** A directory packed (see packDirectory), and the summary made from the packer's stream, or why there is none. */
export interface PackedWithSummary {
  archive: PackedArchive
  summary?: Summary
  summaryError?: string
}

/**
 * Packs a run's directory with its index, and summarizes it from the packer's
 * stream (TappedTreeSource): the tree is walked and read once. A summary that
 * fails does not fail the pack: it says why instead. Runs on a packing thread
 * (pack-worker.ts), or on the event loop when no thread could be started.
 */
export async function packAndSummarize ({ parent, dirName, target }: PackAndSummarizeRequest, signal: AbortSignal): Promise<PackedWithSummary> {
  // Also stopped when packing fails (below).
  const tapping = new AbortController()
  const tap = new TappedTreeSource({ directory: new DirectoryTreeSource(join(parent, dirName), { prefix: dirName }), signal: AbortSignal.any([signal, tapping.signal]) })
  let archive: PackedArchive
  try {
    archive = await packDirectory({ parent, dirName, target, signal, tap })
  } catch (error) {
    // The files kept from the stream are dropped, and the one being read finished, before the failure is
    // told: the thread is then idle, and may be kept for the next run (pack-threads.ts).
    tapping.abort()
    await tap.prepared()
    throw error
  }
  try {
    return { archive, summary: await summarizeLocated(tap.located(), tap, { signal, prepared: await tap.prepared() }) }
  } catch (error) {
    return { archive, summaryError: error instanceof Error ? error.message : String(error) }
  }
}
