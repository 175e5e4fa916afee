import { rm, writeFile } from 'node:fs/promises'

import { redactTree, type RedactionPlan } from '../redaction/index.js'
import { hasAnyFile } from './archive.js'
import { coerceError } from './errors.js'
import { PRIVATE_FILE } from './file-modes.js'
import { removeTree } from './fs-tools.js'
import type { GatheringPaths } from './paths.js'

export interface RedactionSettings {
  plan: RedactionPlan
  binaryFiles: 'omit' | 'keep'
}

export type RedactionOutcome =
  | { redacted: true, counts: Record<string, number> }
  /** The tree was partly redacted at most: its files were removed, so nothing unredacted is ever packed. */
  | { redacted: false, failure: string }

/**
 * Redacts what a run gathered, in place, before it is packed: the raw files
 * are never packed, so the raw archive never exists. The report (original →
 * replacement) is written beside the archive, outside the destination, so
 * it never enters the archive; it is readable by the service only.
 */
export async function redactGathered (id: number, paths: GatheringPaths, settings: RedactionSettings, signal: AbortSignal): Promise<RedactionOutcome> {
  const destination = paths.destination(id)
  try {
    if (!await hasAnyFile(destination)) return { redacted: true, counts: {} }
    const report = await redactTree(destination, settings.plan, { binaryFiles: settings.binaryFiles, signal })
    await writeFile(paths.redactionReport(id), JSON.stringify(report), { mode: PRIVATE_FILE })
    return { redacted: true, counts: report.counts }
  } catch (error) {
    await removeTree(destination).catch(() => {})
    await rm(paths.redactionReport(id), { force: true })
    const why = signal.aborted ? 'the service was shutting down or the execution was cancelled' : coerceError(error).message
    return { redacted: false, failure: `redaction failed (${why}); the gathered files were removed, so nothing unredacted is served` }
  }
}
