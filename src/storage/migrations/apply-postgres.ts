import type { ClientBase } from 'pg'

import type { Migration } from './types.js'

/** How long a process waits for another one that is migrating the same database (a big step takes minutes). */
const WAIT_FOR_OTHER_MIGRATOR_MS = 10 * 60_000

/**
 * The advisory lock every service process takes to migrate one database: a
 * fixed key, so that processes of any release agree on it.
 */
const MIGRATION_LOCK_KEY = 'must-gather-service:schema_migrations'

/**
 * Brings a PostgreSQL database up to `migrations`, each step once, recorded
 * in `schema_migrations` (the same table, versions and names as SQLite's).
 *
 * Safe when several processes start at once on one database: the steps run
 * in one transaction that first takes a transaction-scoped advisory lock, so
 * a second process waits for the first to commit, then reads what is applied
 * and finds nothing left to do. A failed step rolls the whole transaction
 * back (DDL included), so a database is never left half a step on.
 * Returns the versions this call applied.
 */
export async function applyPostgresMigrations (client: ClientBase, migrations: readonly Migration[]): Promise<number[]> {
  const latest = migrations.at(-1)?.version ?? 0
  if (await appliedUpTo(client, latest) === latest) return []
  await client.query('BEGIN')
  try {
    // Waiting for another migrator is expected; the per-connection statement timeout is not meant for it.
    await client.query(`SET LOCAL statement_timeout = ${WAIT_FOR_OTHER_MIGRATOR_MS}`)
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK_KEY])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
                          version    integer PRIMARY KEY,
                          name       text NOT NULL,
                          applied_at text NOT NULL
                        )`)
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map((r) => r.version))
    const newest = Math.max(0, ...done)
    if (newest > latest) throw newerSchemaError(newest, latest)
    const applied: number[] = []
    for (const step of migrations) {
      if (done.has(step.version)) continue
      await client.query(step.postgres)
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [step.version, step.name, new Date().toISOString()])
      applied.push(step.version)
    }
    await client.query('COMMIT')
    return applied
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

/** The usual start: how far the database is, read without taking the lock (0 when it has no schema yet). */
async function appliedUpTo (client: ClientBase, latest: number): Promise<number> {
  const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass(\'schema_migrations\') IS NOT NULL AS exists')
  if (rows[0]?.exists !== true) return 0
  const { rows: [row] } = await client.query<{ newest: number | null }>('SELECT max(version) AS newest FROM schema_migrations')
  const newest = row?.newest ?? 0
  if (newest > latest) throw newerSchemaError(newest, latest)
  return newest
}

function newerSchemaError (version: number, latest: number): Error {
  return new Error(`database schema version ${version} is newer than this service knows (${latest}); refusing to touch it`)
}
