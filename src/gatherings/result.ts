import type { GatheringResult } from './types.js'

/** A terminal `error` result with this message and nothing else yet. */
export function failure (errorMessage: string): GatheringResult {
  return { status: 'error', errorMessage, archiveName: '', archiveSize: 0, archiveSha256: '', outputTail: '', outputSize: 0 }
}
