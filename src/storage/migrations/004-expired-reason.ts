import type { Migration } from './types.js'

/** Why the archive is gone: deleted for room, or found missing at start-up. */
export const expiredReason: Migration = {
  version: 4,
  name: 'expired-reason',
  sqlite: 'ALTER TABLE gatherings ADD COLUMN expired_reason TEXT NOT NULL DEFAULT \'\'',
  postgres: 'ALTER TABLE gatherings ADD COLUMN expired_reason text NOT NULL DEFAULT \'\''
}
