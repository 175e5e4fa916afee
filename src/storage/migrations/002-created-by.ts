import type { Migration } from './types.js'

/** Who asked (the TokenReview username), for VISIBILITY=own and audit. Never a token. */
export const createdBy: Migration = {
  version: 2,
  name: 'created-by',
  sqlite: `ALTER TABLE gatherings ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
           CREATE INDEX gatherings_created_by ON gatherings (created_by, id);`,
  postgres: `ALTER TABLE gatherings ADD COLUMN created_by text NOT NULL DEFAULT '';
             CREATE INDEX gatherings_created_by ON gatherings (created_by, id);`
}
