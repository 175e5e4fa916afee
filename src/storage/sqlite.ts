import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

import Database from 'better-sqlite3'

import type { Phase } from '../gatherings/phase.js'
import type { Gathering, GatheringResult, GatheringStatus, ListedGathering } from '../gatherings/types.js'
import { BRIEF_CHARS, GATHERING_COLUMNS, type GatheringRow, redactionColumn, toGathering } from './rows.js'
import { MIGRATIONS } from './migrations/index.js'
import { applySqliteMigrations } from './migrations/apply-sqlite.js'
import { queueRefusal } from '../gatherings/queue-limits.js'
import type { Claim, GatheringStore, ListFilter, ListKey, ListScope, NewGathering, QueueLimits, RecordedProcess, RunProcess } from './types.js'

/** The database's clock in ms: leases are compared on one clock, whatever the replicas' say. */
const NOW_MS = 'CAST(unixepoch(\'subsec\') * 1000 AS INTEGER)'

export class SqliteGatheringStore implements GatheringStore {
  readonly #db: Database.Database
  readonly #statements = new Map<string, Database.Statement>()

  constructor (path: string) {
    if (path !== ':memory:') createPrivately(path)
    this.#db = new Database(path)
    // WAL keeps the file consistent across a SIGKILL at any moment and lets
    // readers run while a run's state is written.
    // busy_timeout first: another process may hold the file while it switches to WAL or migrates.
    this.#db.pragma('busy_timeout = 5000')
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    applySqliteMigrations(this.#db, MIGRATIONS)
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

  async insert ({ customName, options, createdAt, createdBy, acceptedBy = '' }: NewGathering, limits?: QueueLimits): Promise<Gathering> {
    // IMMEDIATE: the count and the insert hold the write lock together, also against other processes on the file.
    const id = this.#db.transaction(() => {
      if (limits !== undefined) {
        const refusal = queueRefusal(this.#queuedCounts(createdBy), limits)
        if (refusal !== undefined) throw refusal
      }
      return Number(this.#prepare(
        `INSERT INTO gatherings (created_at, updated_at, custom_name, status, options, created_by, accepted_by)
         VALUES (?, ?, ?, 'new', ?, ?, ?)`
      ).run(createdAt, createdAt, customName, JSON.stringify(options), createdBy, acceptedBy).lastInsertRowid)
    }).immediate()
    return await this.get(id) as Gathering
  }

  async queuedCounts (user: string): Promise<{ total: number, ofUser: number }> {
    return this.#queuedCounts(user)
  }

  #queuedCounts (user: string): { total: number, ofUser: number } {
    return this.#prepare(
      'SELECT count(*) AS total, count(*) FILTER (WHERE created_by = ?) AS ofUser FROM gatherings WHERE status = \'new\''
    ).get(user) as { total: number, ofUser: number }
  }

  async get (id: number): Promise<Gathering | undefined> {
    const row = this.#prepare(`SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE id = ?`).get(id) as GatheringRow | undefined
    return row && toGathering(row)
  }

  async outputTail (id: number, limit: number): Promise<string> {
    if (limit <= 0) return ''
    const tail = this.#prepare('SELECT substr(tail, -?) FROM gathering_output_tails WHERE gathering_id = ?').pluck().get(limit, id) as string | undefined
    return tail ?? ''
  }

  async findByCustomName (customName: string, createdBy?: string): Promise<Gathering | undefined> {
    const row = (createdBy === undefined
      ? this.#prepare(`SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE custom_name = ? ORDER BY id DESC LIMIT 1`).get(customName)
      : this.#prepare(`SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE custom_name = ? AND created_by = ? ORDER BY id DESC LIMIT 1`).get(customName, createdBy)
    ) as GatheringRow | undefined
    return row && toGathering(row)
  }

  async listKeys ({ limit, offset, beforeId, ...scope }: ListFilter): Promise<ListKey[]> {
    const { where, params } = whereClause(scope, beforeId)
    // One JSON text instead of a row object each: 2.5 times quicker for a list of 1,000. The
    // aggregate's order is not defined, so the keys are sorted here.
    const keys = JSON.parse(this.#prepare(
      `SELECT json_group_array(json_array(id, revision, status)) FROM (
         SELECT id, revision, status FROM gatherings ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset)`
    ).pluck().get({ ...params, limit: limit ?? -1, offset: offset ?? 0 }) as string) as Array<[number, number, GatheringStatus]>
    return keys.sort((a, b) => b[0] - a[0]).map(([id, revision, status]) => ({ id, revision, status }))
  }

  async getMany (ids: number[], outputLimit: number): Promise<ListedGathering[]> {
    if (ids.length === 0) return []
    // The brief tail each row keeps serves the usual short limit without reading the whole tail.
    const [tail, join] = outputLimit <= 0
      ? ['\'\'', '']
      : outputLimit <= BRIEF_CHARS
        ? ['substr(output_brief, -@outputLimit)', '']
        : ['coalesce(substr(t.tail, -@outputLimit), \'\')', 'LEFT JOIN gathering_output_tails t ON t.gathering_id = gatherings.id']
    // One statement for any number of ids: they travel as one JSON array.
    const rows = this.#prepare(
      `SELECT ${GATHERING_COLUMNS}, ${tail} AS output_tail FROM gatherings ${join}
       WHERE id IN (SELECT value FROM json_each(@ids)) ORDER BY id DESC`
    ).all({ ids: JSON.stringify(ids), outputLimit }) as Array<GatheringRow & { output_tail: string }>
    return rows.map((row) => ({ ...toGathering(row), outputTail: row.output_tail }))
  }

  async listVersion (): Promise<string> {
    // One row, moved by triggers on every write from any process (migration 7).
    return this.#prepare('SELECT database_id || \'.\' || changes FROM store_state').pluck().get() as string
  }

  async databaseId (): Promise<string> {
    return this.#prepare('SELECT database_id FROM store_state').pluck().get() as string
  }

  async countByStatus (status: GatheringStatus): Promise<number> {
    return (this.#prepare('SELECT count(*) AS n FROM gatherings WHERE status = ?').get(status) as { n: number }).n
  }

  async idsByStatus (status: GatheringStatus): Promise<number[]> {
    return this.#prepare('SELECT id FROM gatherings WHERE status = ? ORDER BY id').pluck().all(status) as number[]
  }

  async fileStates (): Promise<Map<number, { status: GatheringStatus, archiveName: string, owner: string }>> {
    const rows = this.#prepare('SELECT id, status, archive_name, owner FROM gatherings').all() as Array<{ id: number, status: GatheringStatus, archive_name: string, owner: string }>
    return new Map(rows.map((r) => [r.id, { status: r.status, archiveName: r.archive_name, owner: r.owner }]))
  }

  async finishedBefore (cutoff: string): Promise<number[]> {
    return this.#prepare(
      'SELECT id FROM gatherings WHERE status IN (\'completed\', \'error\') AND updated_at < ? ORDER BY id'
    ).pluck().all(cutoff) as number[]
  }

  async markStarted (id: number, at: string, replica = ''): Promise<boolean> {
    return this.#start(id, at, replica) !== undefined
  }

  #start (id: number, at: string, replica: string): (Claim & { id: number }) | undefined {
    const attempt = this.#prepare(
      `UPDATE gatherings SET status = 'inprogress', started_at = ?, updated_at = ?, owner = ?, attempt = attempt + 1, revision = revision + 1
       WHERE id = ? AND status = 'new' RETURNING attempt`
    ).pluck().get(at, at, replica, id) as number | undefined
    return attempt === undefined ? undefined : { id, replica, attempt }
  }

  async claimNext (replica: string, at: string, acceptedBy?: string): Promise<Claim & { id: number } | undefined> {
    // A read first: an idle poll takes no write lock.
    const next = (): number | undefined => (acceptedBy === undefined
      ? this.#prepare('SELECT id FROM gatherings WHERE status = \'new\' ORDER BY id LIMIT 1').pluck().get()
      : this.#prepare('SELECT id FROM gatherings WHERE status = \'new\' AND accepted_by = ? ORDER BY id LIMIT 1').pluck().get(acceptedBy)
    ) as number | undefined
    if (next() === undefined) return undefined
    return this.#db.transaction(() => {
      const id = next()
      return id === undefined ? undefined : this.#start(id, at, replica)
    }).immediate()
  }

  async runsOf (replica: string): Promise<Array<Claim & { id: number }>> {
    return (this.#prepare('SELECT id, attempt FROM gatherings WHERE status = \'inprogress\' AND owner = ? ORDER BY id').all(replica) as Array<{ id: number, attempt: number }>)
      .map(({ id, attempt }) => ({ id, replica, attempt }))
  }

  async takeOver (id: number, from: string, to: string): Promise<Claim | undefined> {
    const attempt = this.#prepare(
      'UPDATE gatherings SET owner = ?, attempt = attempt + 1 WHERE id = ? AND status = \'inprogress\' AND owner = ? RETURNING attempt'
    ).pluck().get(to, id, from) as number | undefined
    return attempt === undefined ? undefined : { replica: to, attempt }
  }

  async adopt (id: number, replica: string): Promise<boolean> {
    this.#prepare('UPDATE gatherings SET owner = ? WHERE id = ? AND owner = \'\'').run(replica, id)
    return this.#prepare('SELECT owner = ? FROM gatherings WHERE id = ?').pluck().get(replica, id) === 1
  }

  async failQueued (acceptedBy: string, message: string, at: string): Promise<number[]> {
    return this.#prepare(
      `UPDATE gatherings SET status = 'error', error_message = ?, finished_at = ?, updated_at = ?, revision = revision + 1
       WHERE status = 'new' AND accepted_by = ? RETURNING id`
    ).pluck().all(message, at, at, acceptedBy) as number[]
  }

  async recordProcess (id: number, process: RunProcess | null, claim?: Claim): Promise<void> {
    const held = claim === undefined ? '' : 'AND status = \'inprogress\' AND owner = @replica AND attempt = @attempt'
    this.#prepare(`UPDATE gatherings SET pid = @pid, pid_start = @start, pid_replica = @pidReplica WHERE id = @id ${held}`).run({
      pid: process?.pid ?? null,
      start: process?.startTicks ?? null,
      pidReplica: claim?.replica ?? '',
      id,
      ...(claim !== undefined && { replica: claim.replica, attempt: claim.attempt })
    })
  }

  async processesOf (replica: string): Promise<RecordedProcess[]> {
    return (this.#prepare(
      'SELECT id, pid, pid_start AS startTicks FROM gatherings WHERE pid IS NOT NULL AND pid_start IS NOT NULL AND pid_replica IN (?, \'\') ORDER BY id'
    ).all(replica) as RecordedProcess[])
  }

  async runProcess (id: number): Promise<RunProcess | null> {
    const row = this.#prepare('SELECT pid, pid_start FROM gatherings WHERE id = ?').get(id) as
      { pid: number | null, pid_start: string | null } | undefined
    return row?.pid != null && row.pid_start != null ? { pid: row.pid, startTicks: row.pid_start } : null
  }

  async updateOutput (id: number, tail: string, size: number, at: string, claim?: Claim, phase?: Phase): Promise<boolean> {
    return this.#db.transaction(() => {
      const { changes } = this.#prepare(
        `UPDATE gatherings SET output_brief = substr(@tail, -${BRIEF_CHARS}), output_size = @size, updated_at = @at, revision = revision + 1,
           phase = coalesce(@phase, phase)
         WHERE id = @id AND status = 'inprogress' ${claim === undefined ? '' : 'AND owner = @replica AND attempt = @attempt'}`
      ).run({ tail, size, at, id, phase: phase ?? null, ...(claim !== undefined && { replica: claim.replica, attempt: claim.attempt }) })
      if (changes === 1) this.#saveTail(id, tail)
      return changes === 1
    })()
  }

  async finish (id: number, result: GatheringResult, at: string, claim?: Claim): Promise<boolean> {
    return this.#db.transaction(() => {
      const { changes } = this.#prepare(
        `UPDATE gatherings SET status = @status, error_message = @errorMessage, archive_name = @archiveName,
           archive_size = @archiveSize, archive_sha256 = @archiveSha256,
           output_brief = substr(@outputTail, -${BRIEF_CHARS}), output_size = @outputSize,
           finished_at = @at, updated_at = @at, revision = revision + 1,
           redaction = CASE WHEN @redaction IS NULL THEN redaction ELSE @redaction END,
           -- A new archive (leftovers packed after the old one vanished) ends an earlier expiry.
           expired_at = CASE WHEN @archiveName != '' THEN NULL ELSE expired_at END,
           expired_reason = CASE WHEN @archiveName != '' THEN '' ELSE expired_reason END
         WHERE id = @id ${claim === undefined ? '' : 'AND status = \'inprogress\' AND owner = @replica AND attempt = @attempt'}`
      ).run({
        ...(claim !== undefined && { replica: claim.replica, attempt: claim.attempt }),
        status: result.status,
        errorMessage: result.errorMessage,
        archiveName: result.archiveName,
        archiveSize: result.archiveSize,
        archiveSha256: result.archiveSha256,
        outputTail: result.outputTail,
        outputSize: result.outputSize,
        // Undefined keeps what the record has (housekeeping re-writing a finished record).
        redaction: redactionColumn(result.redactionCounts),
        at,
        id
      })
      if (changes === 1) this.#saveTail(id, result.outputTail)
      return changes === 1
    })()
  }

  #saveTail (id: number, tail: string): void {
    this.#prepare(
      `INSERT INTO gathering_output_tails (gathering_id, tail) VALUES (?, ?)
       ON CONFLICT (gathering_id) DO UPDATE SET tail = excluded.tail`
    ).run(id, tail)
  }

  async delete (id: number): Promise<boolean> {
    return this.#db.transaction(() => {
      this.#prepare('DELETE FROM gathering_output_tails WHERE gathering_id = ?').run(id)
      return this.#prepare('DELETE FROM gatherings WHERE id = ?').run(id).changes === 1
    })()
  }

  async oldestArchived (exclude: number[]): Promise<number | undefined> {
    const placeholders = exclude.map(() => '?').join(',')
    return this.#prepare(
      `SELECT id FROM gatherings WHERE archive_name != '' AND status IN ('completed', 'error')
       ${exclude.length > 0 ? `AND id NOT IN (${placeholders})` : ''} ORDER BY coalesce(finished_at, updated_at), id LIMIT 1`
    ).pluck().get(...exclude) as number | undefined
  }

  async expireArchive (id: number, at: string, reason: string): Promise<boolean> {
    return this.#prepare(
      `UPDATE gatherings SET archive_name = '', archive_size = 0, archive_sha256 = '', expired_at = ?, expired_reason = ?, updated_at = ?,
         revision = revision + 1
       WHERE id = ? AND archive_name != ''`
    ).run(at, reason, at, id).changes > 0
  }

  async idsWithArchive (): Promise<number[]> {
    return this.#prepare('SELECT id FROM gatherings WHERE archive_name != \'\' ORDER BY id').pluck().all() as number[]
  }

  async joinReplicas (replica: string, startedAt: string): Promise<void> {
    this.#prepare(
      `INSERT INTO replicas (name, heartbeat_ms, started_at) VALUES (?, ${NOW_MS}, ?)
       ON CONFLICT (name) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms, started_at = excluded.started_at`
    ).run(replica, startedAt)
  }

  async renewLease (replica: string): Promise<boolean> {
    return this.#prepare(`UPDATE replicas SET heartbeat_ms = ${NOW_MS} WHERE name = ?`).run(replica).changes === 1
  }

  async replicasGone (leaseMs: number, except: string): Promise<string[]> {
    return this.#prepare(
      `SELECT DISTINCT holder FROM (
         SELECT owner AS holder FROM gatherings WHERE status = 'inprogress'
         UNION SELECT accepted_by FROM gatherings WHERE status = 'new')
       WHERE holder != ? AND holder NOT IN (SELECT name FROM replicas WHERE heartbeat_ms >= ${NOW_MS} - ?)
       ORDER BY holder`
    ).pluck().all(except, leaseMs) as string[]
  }

  async forgetLapsedReplicas (leaseMs: number): Promise<void> {
    this.#prepare(
      `DELETE FROM replicas WHERE heartbeat_ms < ${NOW_MS} - ?
       AND name NOT IN (SELECT owner FROM gatherings WHERE status = 'inprogress')
       AND name NOT IN (SELECT accepted_by FROM gatherings WHERE status = 'new')`
    ).run(leaseMs)
  }

  async ping (): Promise<void> {
    this.#prepare('SELECT 1').get()
  }

  async archiveBytes (): Promise<number> {
    return (this.#prepare('SELECT coalesce(sum(archive_size), 0) AS n FROM gatherings').get() as { n: number }).n
  }

  async close (): Promise<void> {
    if (this.#db.open) this.#db.close()
  }
}

/**
 * The database holds everything about every execution: readable by the
 * service's user only, whatever the umask. SQLite gives its -wal and -shm
 * files the database file's mode; those an older release left are fixed too.
 */
function createPrivately (path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  closeSync(openSync(path, 'a', 0o600))
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600)
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
