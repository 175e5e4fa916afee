import type { Phase } from '../gatherings/phase.js'
import type { Gathering, GatheringOptions, GatheringStatus } from '../gatherings/types.js'

/**
 * Characters of output tail each record keeps inline for lists (LIST_OUTPUT_LIMIT, 200 by default,
 * is served from it; a larger limit reads the whole tail). Small enough that a row stays on its page;
 * the same in every backend, so that they give the same answers.
 */
export const BRIEF_CHARS = 1024

/** A `gatherings` row as both backends read it (int8 already a number). */
export interface GatheringRow {
  id: number
  created_at: string
  updated_at: string
  custom_name: string
  status: GatheringStatus
  options: string
  archive_name: string
  archive_size: number
  archive_sha256: string
  output_size: number
  error_message: string
  started_at: string | null
  finished_at: string | null
  created_by: string
  expired_at: string | null
  expired_reason: string
  revision: number
  redaction: string
  phase: string
}

/** The columns a GatheringRow is read from. */
export const GATHERING_COLUMNS = `id, created_at, updated_at, custom_name, status, options, archive_name, archive_size,
  archive_sha256, output_size, error_message, started_at, finished_at, created_by, expired_at, expired_reason, revision, redaction, phase`

export function toGathering (row: GatheringRow): Gathering {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    customName: row.custom_name,
    status: row.status,
    options: JSON.parse(row.options) as GatheringOptions,
    archiveName: row.archive_name,
    archiveSize: row.archive_size,
    archiveSha256: row.archive_sha256,
    outputSize: row.output_size,
    errorMessage: row.error_message,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdBy: row.created_by,
    expiredAt: row.expired_at,
    expiredReason: row.expired_reason,
    revision: row.revision,
    redactionCounts: row.redaction === '' ? null : (JSON.parse(row.redaction) as { counts: Record<string, number> }).counts,
    phase: row.phase === '' ? null : row.phase as Phase
  }
}

/** The `redaction` column for a result: null keeps what the record has (`redactionCounts` undefined). */
export function redactionColumn (counts: Record<string, number> | null | undefined): string | null {
  return counts === undefined ? null : counts === null ? '' : JSON.stringify({ counts })
}
