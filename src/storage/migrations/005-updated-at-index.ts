import type { Migration } from './types.js'

/** The list's ETag read max(updated_at) on every poll: without an index that scanned the table. */
export const updatedAtIndex: Migration = {
  version: 5,
  name: 'updated-at-index',
  sqlite: 'CREATE INDEX gatherings_updated_at ON gatherings (updated_at)',
  postgres: 'CREATE INDEX gatherings_updated_at ON gatherings (updated_at)'
}
