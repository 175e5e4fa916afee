import type { Migration } from './types.js'

export const gatherings: Migration = {
  version: 1,
  name: 'gatherings',
  sqlite: `CREATE TABLE gatherings (
     id             INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at     TEXT NOT NULL,
     updated_at     TEXT NOT NULL,
     custom_name    TEXT NOT NULL DEFAULT '',
     status         TEXT NOT NULL,
     options        TEXT NOT NULL,
     archive_name   TEXT NOT NULL DEFAULT '',
     archive_size   INTEGER NOT NULL DEFAULT 0,
     archive_sha256 TEXT NOT NULL DEFAULT '',
     output_tail    TEXT NOT NULL DEFAULT '',
     output_size    INTEGER NOT NULL DEFAULT 0,
     error_message  TEXT NOT NULL DEFAULT '',
     started_at     TEXT,
     finished_at    TEXT,
     pid            INTEGER,
     pid_start      TEXT
   );
   CREATE INDEX gatherings_custom_name ON gatherings (custom_name, id);
   CREATE INDEX gatherings_status ON gatherings (status, id);`
}
