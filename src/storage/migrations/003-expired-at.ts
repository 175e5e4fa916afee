import type { Migration } from './types.js'

/** When the archive was deleted to stay within MAX_STORAGE (the record stays). */
export const expiredAt: Migration = {
  version: 3,
  name: 'expired-at',
  sqlite: 'ALTER TABLE gatherings ADD COLUMN expired_at TEXT',
  postgres: 'ALTER TABLE gatherings ADD COLUMN expired_at text COLLATE "C"'
}
