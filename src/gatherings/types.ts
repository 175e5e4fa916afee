import type { Phase } from './phase.js'
/**
 * Terminology
 * - gathering: one requested must-gather execution and its record. The API
 *   calls it an "execution" and keeps the predecessor's JSON field names.
 * - run: the one `oc adm must-gather` process a gathering starts.
 * - output: everything that run printed, stdout and stderr interleaved as it
 *   arrived, kept whole in a file; records hold only its tail.
 * - archive: the `.tar.gz` served for a gathering, either written by the
 *   must-gather image itself or packed by the service from the destination.
 * - destination: the directory `oc` writes into (`--dest-dir`).
 */

/** `new` = queued, `inprogress` = running (or packing), then `completed` or `error`. */
export type GatheringStatus = 'new' | 'inprogress' | 'completed' | 'error'
export const GATHERING_STATUSES: readonly GatheringStatus[] = ['new', 'inprogress', 'completed', 'error']
export const FINISHED_STATUSES: readonly GatheringStatus[] = ['completed', 'error']

/**
 * What a caller asks for, before it is checked: every field optional, and
 * `null` (or an empty string) means "not given". Lists may come as one
 * comma-separated string. `validateRequest` turns it into GatheringOptions.
 */
export interface GatheringRequest {
  customName?: string | null
  image?: string | string[] | null
  imageStream?: string | string[] | null
  allImages?: boolean | null
  nodeName?: string | null
  nodeSelector?: string | null
  hostNetwork?: boolean | null
  sourceDir?: string | null
  timeout?: string | null
  since?: string | null
  sinceTime?: string | null
  runNamespace?: string | null
  volumePercentage?: number | null
  keep?: boolean | null
  server?: string | null
  /** A string is one argument; a list, several. */
  command?: string | string[] | null
  /** Redact the archive (REDACTION=optional); REDACTION=required redacts every archive. */
  redact?: boolean | null
}

/** The validated `oc adm must-gather` options of one gathering. Empty string / empty list = not given. */
export interface GatheringOptions {
  images: string[]
  imageStreams: string[]
  allImages: boolean
  nodeName: string
  nodeSelector: string
  hostNetwork: boolean
  sourceDir: string
  /** Always set: the request's or the configured default. */
  timeout: string
  since: string
  sinceTime: string
  runNamespace: string
  volumePercentage: number | null
  keep: boolean
  server: string
  /** Arguments after `--`; a request's string command is one argument. */
  command: string[]
  /** Redact the gathered files before packing (not an oc option). Absent in records from before redaction. */
  redact?: boolean
}

export interface Gathering {
  id: number
  createdAt: string
  updatedAt: string
  customName: string
  status: GatheringStatus
  options: GatheringOptions
  /** Download file name; empty while there is no archive. */
  archiveName: string
  archiveSize: number
  archiveSha256: string
  /** Bytes of output written so far. (The output's tail is read apart: `GatheringStore.outputTail`.) */
  outputSize: number
  errorMessage: string
  startedAt: string | null
  finishedAt: string | null
  /** Who created it (the TokenReview username; empty when AUTH_MODE=none). */
  createdBy: string
  /** When its archive was deleted (MAX_STORAGE, MIN_FREE_SPACE) or found missing. */
  expiredAt: string | null
  /** Why, e.g. "deleted to make room (MAX_STORAGE)"; empty on records from before it was kept. */
  expiredReason: string
  /** Goes up with every change to the record: what a client saw is current while it is the same. */
  revision: number
  /** Replacements per redaction rule when the archive was redacted; null when it was not. */
  redactionCounts: Record<string, number> | null
  /** Where a run is, as the replica running it last recorded with its output; null before. */
  phase: Phase | null
}

/** A gathering as a list shows it: with the end of its output tail. */
export interface ListedGathering extends Gathering {
  outputTail: string
}

/** What a finished run leaves behind, written to the store in one step. */
export interface GatheringResult {
  status: 'completed' | 'error'
  errorMessage: string
  archiveName: string
  archiveSize: number
  archiveSha256: string
  outputTail: string
  outputSize: number
  /** Replacements per redaction rule, when the gathered files were redacted. */
  redactionCounts?: Record<string, number> | null
}
