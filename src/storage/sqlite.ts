import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

import Database from 'better-sqlite3'

import type { Gathering, GatheringOptions, GatheringResult, GatheringStatus, ListedGathering } from '../gatherings/types.js'
import type { GatheringStore, ListFilter, ListKey, ListScope, NewGathering, RunProcess } from './types.js'

/**
 * Characters of output tail each record keeps inline for lists (LIST_OUTPUT_LIMIT, 200 by default,
 * is served from it; a larger limit reads the whole tail). Small enough that a row stays on its page.
 */
const BRIEF_CHARS = 1024

/** Each entry moves the schema one version forward; `PRAGMA user_version` says how far a file is. */
const MIGRATIONS: Array<string | ((db: Database.Database) => void)> = [
  `CREATE TABLE gatherings (
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
   CREATE INDEX gatherings_status ON gatherings (status, id);`,
  // Who asked (the TokenReview username), for VISIBILITY=own and audit. Never a token.
  `ALTER TABLE gatherings ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
   CREATE INDEX gatherings_created_by ON gatherings (created_by, id);`,
  // When the archive was deleted to stay within MAX_STORAGE (the record stays).
  'ALTER TABLE gatherings ADD COLUMN expired_at TEXT',
  // Why the archive is gone: deleted for room, or found missing at start-up.
  'ALTER TABLE gatherings ADD COLUMN expired_reason TEXT NOT NULL DEFAULT \'\'',
  // The list's ETag reads max(updated_at) on every poll: without an index that scans the table.
  'CREATE INDEX gatherings_updated_at ON gatherings (updated_at)',
  // The output tail (up to EXEC_OUTPUT_LIMIT, 64 KiB) moves to a table of its own: kept inline, it
  // filled every row's overflow pages, and each list read them all to cut a 200-character tail off
  // (a 1,000-record list read 24 MB). Rows keep a brief tail, enough for lists; a revision says
  // when a record changed, even twice in one millisecond.
  (db) => {
    db.exec('CREATE TABLE gathering_output_tails (gathering_id INTEGER PRIMARY KEY, tail TEXT NOT NULL)')
    // A row at a time, moved then cut: the pages one row's cut frees hold the next one's tail,
    // so the file does not grow by the size of every tail (measured: 126 MiB of tails, the
    // file 129 MiB after instead of 252 MiB).
    const ids = db.prepare('SELECT id FROM gatherings WHERE output_tail != \'\' ORDER BY id').pluck().all() as number[]
    const move = db.prepare('INSERT INTO gathering_output_tails (gathering_id, tail) SELECT id, output_tail FROM gatherings WHERE id = ?')
    const cut = db.prepare(`UPDATE gatherings SET output_tail = substr(output_tail, -${BRIEF_CHARS}) WHERE id = ? AND length(output_tail) > ${BRIEF_CHARS}`)
    for (const id of ids) {
      move.run(id)
      cut.run(id)
    }
    db.exec(`ALTER TABLE gatherings RENAME COLUMN output_tail TO output_brief;
             ALTER TABLE gatherings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;`)
  }
]

interface Row {
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
}

const COLUMNS = `id, created_at, updated_at, custom_name, status, options, archive_name, archive_size,
  archive_sha256, output_size, error_message, started_at, finished_at, created_by, expired_at, expired_reason, revision`

export class SqliteGatheringStore implements GatheringStore {
  readonly #db: Database.Database
  readonly #statements = new Map<string, Database.Statement>()
  /** This process is the database's only writer (one replica, Recreate): every write counts here. */
  #changes = 0
  readonly #process = randomBytes(6).toString('base64url')

  constructor (path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.#db = new Database(path)
    // WAL keeps the file consistent across a SIGKILL at any moment and lets
    // readers run while a run's state is written.
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    this.#db.pragma('busy_timeout = 5000')
    this.#migrate()
  }

  /** Statements are compiled once and reused: preparing costs as much as a primary-key read. */
  #prepare (sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  #migrate (): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this service knows (${MIGRATIONS.length}); refusing to touch it`)
    }
    if (version === MIGRATIONS.length) return
    this.#db.transaction(() => {
      for (const [index, step] of MIGRATIONS.entries()) {
        if (index < version) continue
        if (typeof step === 'string') this.#db.exec(step)
        else step(this.#db)
      }
      this.#db.pragma(`user_version = ${MIGRATIONS.length}`)
    })()
    // A migration can write as much as the database holds; its write-ahead log need not stay that large.
    this.#db.pragma('wal_checkpoint(TRUNCATE)')
  }

  insert ({ customName, options, createdAt, createdBy }: NewGathering): Gathering {
    this.#changes++
    const { lastInsertRowid } = this.#prepare(
      `INSERT INTO gatherings (created_at, updated_at, custom_name, status, options, created_by)
       VALUES (?, ?, ?, 'new', ?, ?)`
    ).run(createdAt, createdAt, customName, JSON.stringify(options), createdBy)
    return this.get(Number(lastInsertRowid)) as Gathering
  }

  get (id: number): Gathering | undefined {
    const row = this.#prepare(`SELECT ${COLUMNS} FROM gatherings WHERE id = ?`).get(id) as Row | undefined
    return row && toGathering(row)
  }

  outputTail (id: number, limit: number): string {
    if (limit <= 0) return ''
    const tail = this.#prepare('SELECT substr(tail, -?) FROM gathering_output_tails WHERE gathering_id = ?').pluck().get(limit, id) as string | undefined
    return tail ?? ''
  }

  findByCustomName (customName: string, createdBy?: string): Gathering | undefined {
    const row = (createdBy === undefined
      ? this.#prepare(`SELECT ${COLUMNS} FROM gatherings WHERE custom_name = ? ORDER BY id DESC LIMIT 1`).get(customName)
      : this.#prepare(`SELECT ${COLUMNS} FROM gatherings WHERE custom_name = ? AND created_by = ? ORDER BY id DESC LIMIT 1`).get(customName, createdBy)
    ) as Row | undefined
    return row && toGathering(row)
  }

  listKeys ({ limit, offset, beforeId, ...scope }: ListFilter): ListKey[] {
    const { where, params } = whereClause(scope, beforeId)
    // One JSON text instead of a row object each: 2.5 times quicker for a list of 1,000. The
    // aggregate's order is not defined, so the keys are sorted here.
    const keys = JSON.parse(this.#prepare(
      `SELECT json_group_array(json_array(id, revision, status)) FROM (
         SELECT id, revision, status FROM gatherings ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset)`
    ).pluck().get({ ...params, limit: limit ?? -1, offset: offset ?? 0 }) as string) as Array<[number, number, GatheringStatus]>
    return keys.sort((a, b) => b[0] - a[0]).map(([id, revision, status]) => ({ id, revision, status }))
  }

  getMany (ids: number[], outputLimit: number): ListedGathering[] {
    if (ids.length === 0) return []
    // The brief tail each row keeps serves the usual short limit without reading the whole tail.
    const [tail, join] = outputLimit <= 0
      ? ['\'\'', '']
      : outputLimit <= BRIEF_CHARS
        ? ['substr(output_brief, -@outputLimit)', '']
        : ['coalesce(substr(t.tail, -@outputLimit), \'\')', 'LEFT JOIN gathering_output_tails t ON t.gathering_id = gatherings.id']
    // One statement for any number of ids: they travel as one JSON array.
    const rows = this.#prepare(
      `SELECT ${COLUMNS}, ${tail} AS output_tail FROM gatherings ${join}
       WHERE id IN (SELECT value FROM json_each(@ids)) ORDER BY id DESC`
    ).all({ ids: JSON.stringify(ids), outputLimit }) as Array<Row & { output_tail: string }>
    return rows.map((row) => ({ ...toGathering(row), outputTail: row.output_tail }))
  }

  listVersion (): string {
    return `${this.#process}.${this.#changes}`
  }

  countByStatus (status: GatheringStatus): number {
    return (this.#prepare('SELECT count(*) AS n FROM gatherings WHERE status = ?').get(status) as { n: number }).n
  }

  idsByStatus (status: GatheringStatus): number[] {
    return this.#prepare('SELECT id FROM gatherings WHERE status = ? ORDER BY id').pluck().all(status) as number[]
  }

  fileStates (): Map<number, { status: GatheringStatus, archiveName: string }> {
    const rows = this.#prepare('SELECT id, status, archive_name FROM gatherings').all() as Array<{ id: number, status: GatheringStatus, archive_name: string }>
    return new Map(rows.map((r) => [r.id, { status: r.status, archiveName: r.archive_name }]))
  }

  finishedBefore (cutoff: string): number[] {
    return this.#prepare(
      'SELECT id FROM gatherings WHERE status IN (\'completed\', \'error\') AND updated_at < ? ORDER BY id'
    ).pluck().all(cutoff) as number[]
  }

  markStarted (id: number, at: string): boolean {
    this.#changes++
    const { changes } = this.#prepare(
      'UPDATE gatherings SET status = \'inprogress\', started_at = ?, updated_at = ?, revision = revision + 1 WHERE id = ? AND status = \'new\''
    ).run(at, at, id)
    return changes === 1
  }

  recordProcess (id: number, process: RunProcess | null): void {
    this.#prepare('UPDATE gatherings SET pid = ?, pid_start = ? WHERE id = ?')
      .run(process?.pid ?? null, process?.startTicks ?? null, id)
  }

  runProcess (id: number): RunProcess | null {
    const row = this.#prepare('SELECT pid, pid_start FROM gatherings WHERE id = ?').get(id) as
      { pid: number | null, pid_start: string | null } | undefined
    return row?.pid != null && row.pid_start != null ? { pid: row.pid, startTicks: row.pid_start } : null
  }

  updateOutput (id: number, tail: string, size: number, at: string): void {
    this.#changes++
    this.#db.transaction(() => {
      const { changes } = this.#prepare(
        `UPDATE gatherings SET output_brief = substr(@tail, -${BRIEF_CHARS}), output_size = @size, updated_at = @at, revision = revision + 1
         WHERE id = @id`
      ).run({ tail, size, at, id })
      if (changes === 1) this.#saveTail(id, tail)
    })()
  }

  finish (id: number, result: GatheringResult, at: string): void {
    this.#changes++
    this.#db.transaction(() => {
      const { changes } = this.#prepare(
        `UPDATE gatherings SET status = @status, error_message = @errorMessage, archive_name = @archiveName,
           archive_size = @archiveSize, archive_sha256 = @archiveSha256,
           output_brief = substr(@outputTail, -${BRIEF_CHARS}), output_size = @outputSize,
           finished_at = @at, updated_at = @at, pid = NULL, pid_start = NULL, revision = revision + 1,
           -- A new archive (leftovers packed after the old one vanished) ends an earlier expiry.
           expired_at = CASE WHEN @archiveName != '' THEN NULL ELSE expired_at END,
           expired_reason = CASE WHEN @archiveName != '' THEN '' ELSE expired_reason END
         WHERE id = @id`
      ).run({
        status: result.status,
        errorMessage: result.errorMessage,
        archiveName: result.archiveName,
        archiveSize: result.archiveSize,
        archiveSha256: result.archiveSha256,
        outputTail: result.outputTail,
        outputSize: result.outputSize,
        at,
        id
      })
      if (changes === 1) this.#saveTail(id, result.outputTail)
    })()
  }

  #saveTail (id: number, tail: string): void {
    this.#prepare(
      `INSERT INTO gathering_output_tails (gathering_id, tail) VALUES (?, ?)
       ON CONFLICT (gathering_id) DO UPDATE SET tail = excluded.tail`
    ).run(id, tail)
  }

  delete (id: number): boolean {
    this.#changes++
    return this.#db.transaction(() => {
      this.#prepare('DELETE FROM gathering_output_tails WHERE gathering_id = ?').run(id)
      return this.#prepare('DELETE FROM gatherings WHERE id = ?').run(id).changes === 1
    })()
  }

  oldestArchived (exclude: number[]): number | undefined {
    const placeholders = exclude.map(() => '?').join(',')
    return this.#prepare(
      `SELECT id FROM gatherings WHERE archive_name != '' AND status IN ('completed', 'error')
       ${exclude.length > 0 ? `AND id NOT IN (${placeholders})` : ''} ORDER BY coalesce(finished_at, updated_at), id LIMIT 1`
    ).pluck().get(...exclude) as number | undefined
  }

  expireArchive (id: number, at: string, reason: string): boolean {
    this.#changes++
    return this.#prepare(
      `UPDATE gatherings SET archive_name = '', archive_size = 0, archive_sha256 = '', expired_at = ?, expired_reason = ?, updated_at = ?,
         revision = revision + 1
       WHERE id = ? AND archive_name != ''`
    ).run(at, reason, at, id).changes > 0
  }

  idsWithArchive (): number[] {
    return this.#prepare('SELECT id FROM gatherings WHERE archive_name != \'\' ORDER BY id').pluck().all() as number[]
  }

  ping (): void {
    this.#prepare('SELECT 1').get()
  }

  archiveBytes (): number {
    return (this.#prepare('SELECT coalesce(sum(archive_size), 0) AS n FROM gatherings').get() as { n: number }).n
  }

  close (): void {
    if (this.#db.open) this.#db.close()
  }
}

function whereClause ({ status, customName, createdBy }: ListScope, beforeId: number | undefined): { where: string, params: Record<string, string | number> } {
  const conditions: string[] = []
  const params: Record<string, string | number> = {}
  if (status !== undefined) {
    conditions.push('status = @status')
    params.status = status
  }
  if (customName !== undefined) {
    conditions.push('custom_name = @customName')
    params.customName = customName
  }
  if (createdBy !== undefined) {
    conditions.push('created_by = @createdBy')
    params.createdBy = createdBy
  }
  if (beforeId !== undefined) {
    conditions.push('id < @beforeId')
    params.beforeId = beforeId
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params }
}

function toGathering (row: Row): Gathering {
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
    revision: row.revision
  }
}
