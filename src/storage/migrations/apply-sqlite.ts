import type Database from 'better-sqlite3'

import type { Migration } from './types.js'

/** How long a process waits for another one that is migrating the same file (a big step takes minutes). */
const WAIT_FOR_OTHER_MIGRATOR_MS = 10 * 60_000

/**
 * Brings a SQLite database up to `migrations`, each step once, recorded in
 * `schema_migrations` (and `PRAGMA user_version`, which is how far the file
 * is for services older than that table: they refuse a newer file).
 *
 * Safe when several processes start at once on one file: the steps run in
 * one `BEGIN IMMEDIATE` transaction, which takes the write lock before
 * reading what is applied, so a second process waits for the first and then
 * finds nothing left to do. Returns the versions this call applied.
 */
export function applySqliteMigrations (db: Database.Database, migrations: readonly Migration[]): number[] {
  const latest = migrations.at(-1)?.version ?? 0
  if (isUpToDate(db, latest)) return []
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number
  db.pragma(`busy_timeout = ${WAIT_FOR_OTHER_MIGRATOR_MS}`)
  try {
    const applied = db.transaction(() => migrate(db, migrations, latest)).immediate()
    // A step can write as much as the database holds; its write-ahead log need not stay that large.
    if (applied.length > 0) db.pragma('wal_checkpoint(TRUNCATE)')
    return applied
  } finally {
    db.pragma(`busy_timeout = ${busyTimeout}`)
  }
}

/** The usual start: nothing to do, decided without taking the write lock. */
function isUpToDate (db: Database.Database, latest: number): boolean {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > latest) throw newerSchemaError(version, latest)
  return version === latest && hasMigrationsTable(db)
}

function migrate (db: Database.Database, migrations: readonly Migration[], latest: number): number[] {
  if (!hasMigrationsTable(db)) {
    db.exec(`CREATE TABLE schema_migrations (
               version    INTEGER PRIMARY KEY,
               name       TEXT NOT NULL,
               applied_at TEXT NOT NULL
             )`)
    // A file from before this table: user_version said how far it was.
    const version = db.pragma('user_version', { simple: true }) as number
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    for (const step of migrations) {
      if (step.version <= version) record.run(step.version, step.name, 'before schema_migrations')
    }
  }
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const newest = Math.max(0, ...done)
  if (newest > latest) throw newerSchemaError(newest, latest)
  const applied: number[] = []
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const step of migrations) {
    if (done.has(step.version)) continue
    if (typeof step.sqlite === 'string') db.exec(step.sqlite)
    else step.sqlite(db)
    record.run(step.version, step.name, new Date().toISOString())
    applied.push(step.version)
  }
  db.pragma(`user_version = ${latest}`)
  return applied
}

function hasMigrationsTable (db: Database.Database): boolean {
  return db.prepare('SELECT 1 FROM sqlite_master WHERE type = \'table\' AND name = \'schema_migrations\'').get() !== undefined
}

function newerSchemaError (version: number, latest: number): Error {
  return new Error(`database schema version ${version} is newer than this service knows (${latest}); refusing to touch it`)
}
