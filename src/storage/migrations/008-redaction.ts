import type { Migration } from './types.js'

/**
 * Whether an execution's archive was redacted, and the replacements per rule:
 * JSON `{"counts": {...}}`, or empty when it was not redacted. (The report
 * itself, original → replacement, never enters the database: it is kept
 * beside the archive, readable by the service only.)
 */
export const redaction: Migration = {
  version: 8,
  name: 'redaction',
  sqlite: 'ALTER TABLE gatherings ADD COLUMN redaction TEXT NOT NULL DEFAULT \'\'',
  postgres: 'ALTER TABLE gatherings ADD COLUMN redaction text NOT NULL DEFAULT \'\''
}
