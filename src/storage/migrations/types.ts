import type Database from 'better-sqlite3'

/**
 * One step of the schema, applied once per database, in version order. A
 * step is history: once released it never changes (a later step corrects
 * it), since databases out there have applied it as written.
 */
export interface Migration {
  version: number
  /** Recorded with the version, for people reading the database. */
  name: string
  /** SQL run as one script, or code for a step SQL cannot say. */
  sqlite: string | ((db: Database.Database) => void)
  /**
   * The same step for PostgreSQL, as one SQL script (run in the migrating
   * transaction: PostgreSQL's DDL is transactional). Same version and name,
   * so both backends report the same schema version.
   */
  postgres: string
}
