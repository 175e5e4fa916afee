import { randomUUID } from 'node:crypto'

import pg from 'pg'

import type { Phase } from '../gatherings/phase.js'
import type { Gathering, GatheringResult, GatheringStatus, ListedGathering } from '../gatherings/types.js'
import { BRIEF_CHARS, GATHERING_COLUMNS, type GatheringRow, redactionColumn, toGathering } from './rows.js'
import { MIGRATIONS } from './migrations/index.js'
import { applyPostgresMigrations } from './migrations/apply-postgres.js'
import { isConnectionLost, StoreUnavailableError } from './postgres-errors.js'
import { queueRefusal } from '../gatherings/queue-limits.js'
import type { Claim, GatheringStore, ListFilter, ListKey, ListScope, NewGathering, QueueLimits, RecordedProcess, RunProcess } from './types.js'

/** The database's clock in ms: leases are compared on one clock, whatever the replicas' say. */
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::int8'

/** The advisory lock admission holds while it counts the queue and inserts (any number: this database's own). */
const ADMISSION_LOCK = 0x6d6773

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (DATABASE_URL). */
  connectionString: string
  /** Connections in the pool (DATABASE_POOL_SIZE). */
  poolSize?: number
  /** Longest a statement may run on the server before it is cancelled (DATABASE_STATEMENT_TIMEOUT), ms. */
  statementTimeoutMs?: number
  /** How long a call keeps retrying while the database is unreachable (restarting), ms. */
  retryForMs?: number
}

/** int8 (ids, sizes, counts) as numbers: every one of them stays far below 2^53. */
const INT8_OID = 20
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser
}

/**
 * Is a call's write safe to send again when its first try's outcome is
 * unknown (the connection dropped after the statement was sent)?
 * - `read`: always.
 * - `idempotent`: yes; `retried` tells the write it may be the second one,
 *   so that it reports what the first one did.
 * - `once`: only if the statement never left (no connection could be had);
 *   otherwise the call fails loudly with StoreUnavailableError.
 */
type RetryKind = 'read' | 'idempotent' | 'once'

type Work<T> = (client: pg.PoolClient, retried: boolean) => Promise<T>

/**
 * The store on PostgreSQL, for several service processes on one database.
 * Same answers as SqliteGatheringStore in every method (one contract suite):
 * timestamps are kept as the ISO text the domain gives (collation "C", so
 * they order as times), tails are cut by characters (the database must be
 * UTF-8), and the list version is a row the database's triggers move.
 *
 * A restart of the database: the pool drops dead connections and opens new
 * ones; a call waits up to `retryForMs` for the database to come back. Reads
 * and idempotent writes are sent again; an insert whose outcome is unknown is
 * not (it could queue a gathering twice) and fails loudly instead.
 */
export class PostgresGatheringStore implements GatheringStore {
  readonly #pool: pg.Pool
  readonly #retryForMs: number
  /** Statement text → name: named statements are parsed and planned once per connection. */
  readonly #names = new Map<string, string>()
  #closed = false

  private constructor (pool: pg.Pool, retryForMs: number) {
    this.#pool = pool
    this.#retryForMs = retryForMs
  }

  /** Connects, checks the database and brings its schema up to date (once, whatever other processes do at the same time). */
  static async open ({ connectionString, poolSize = 10, statementTimeoutMs = 10_000, retryForMs = 30_000 }: PostgresStoreOptions): Promise<PostgresGatheringStore> {
    const pool = new pg.Pool({
      connectionString,
      max: poolSize,
      types,
      statement_timeout: statementTimeoutMs,
      // A transaction left open by a stuck caller must not hold row locks for ever.
      idle_in_transaction_session_timeout: Math.max(statementTimeoutMs, 1000) * 2,
      connectionTimeoutMillis: Math.max(statementTimeoutMs, 1000),
      application_name: 'must-gather-service'
    })
    // An idle connection the server closed (a restart) is dropped by the pool; without a listener the error would end the process.
    pool.on('error', () => {})
    // The pool listens only while a connection is idle. One checked out between two statements (a
    // transaction's JavaScript in between) that the server ends (a restart: 57P01 with no query
    // active) emits 'error' with nobody listening, which ended the process (found by the replica
    // drill). Its next statement then fails "not queryable", which #call waits out like any lost connection.
    pool.on('connect', (client) => { client.on('error', () => {}) })
    const store = new PostgresGatheringStore(pool, retryForMs)
    try {
      await store.#call('read', async (client) => {
        const { rows: [row] } = await client.query<{ server_encoding: string }>('SHOW server_encoding')
        // Tails are cut by characters; in another encoding the database would count something else.
        if (row?.server_encoding !== 'UTF8') throw new Error(`the PostgreSQL database must use UTF8 encoding, not ${row?.server_encoding}`)
        await applyPostgresMigrations(client, MIGRATIONS)
      })
    } catch (error) {
      await pool.end()
      throw error
    }
    return store
  }

  async insert ({ customName, options, createdAt, createdBy, acceptedBy = '' }: NewGathering, limits?: QueueLimits): Promise<Gathering> {
    const insert = `INSERT INTO gatherings (created_at, updated_at, custom_name, status, options, created_by, accepted_by)
       VALUES ($1, $1, $2, 'new', $3, $4, $5) RETURNING ${GATHERING_COLUMNS}`
    const values = [createdAt, customName, JSON.stringify(options), createdBy, acceptedBy]
    if (limits === undefined) return toGathering((await this.#query<GatheringRow>('once', insert, values))[0] as GatheringRow)
    return await this.#call('once', async (client) => {
      // Counting and inserting under one lock: two replicas never both take the last place.
      await client.query('BEGIN')
      try {
        await this.#run(client, 'SELECT pg_advisory_xact_lock($1)', [ADMISSION_LOCK])
        const refusal = queueRefusal(await this.#queuedCountsOn(client, createdBy), limits)
        if (refusal !== undefined) throw refusal
        const { rows: [row] } = await this.#run(client, insert, values)
        await client.query('COMMIT')
        return toGathering(row as GatheringRow)
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      }
    })
  }

  async queuedCounts (user: string): Promise<{ total: number, ofUser: number }> {
    return await this.#call('read', async (client) => await this.#queuedCountsOn(client, user))
  }

  async #queuedCountsOn (client: pg.PoolClient, user: string): Promise<{ total: number, ofUser: number }> {
    const { rows: [row] } = await this.#run(client,
      'SELECT count(*) AS total, count(*) FILTER (WHERE created_by = $1) AS "ofUser" FROM gatherings WHERE status = \'new\'', [user])
    return row as { total: number, ofUser: number }
  }

  async get (id: number): Promise<Gathering | undefined> {
    const [row] = await this.#query<GatheringRow>('read', `SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE id = $1`, [id])
    return row && toGathering(row)
  }

  async outputTail (id: number, limit: number): Promise<string> {
    if (limit <= 0) return ''
    const [row] = await this.#query<{ tail: string }>('read', 'SELECT right(tail, $1) AS tail FROM gathering_output_tails WHERE gathering_id = $2', [limit, id])
    return row?.tail ?? ''
  }

  async findByCustomName (customName: string, createdBy?: string): Promise<Gathering | undefined> {
    const [row] = createdBy === undefined
      ? await this.#query<GatheringRow>('read', `SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE custom_name = $1 ORDER BY id DESC LIMIT 1`, [customName])
      : await this.#query<GatheringRow>('read', `SELECT ${GATHERING_COLUMNS} FROM gatherings WHERE custom_name = $1 AND created_by = $2 ORDER BY id DESC LIMIT 1`, [customName, createdBy])
    return row && toGathering(row)
  }

  async listKeys ({ limit, offset, beforeId, ...scope }: ListFilter): Promise<ListKey[]> {
    const { where, params } = whereClause(scope, beforeId)
    // LIMIT NULL is no limit. Rows as arrays: no object per row to build (pg's rowMode).
    const n = params.length
    const rows = await this.#query<[number, number, GatheringStatus]>('read',
      `SELECT id, revision, status FROM gatherings ${where} ORDER BY id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, limit ?? null, offset ?? 0], 'array')
    return rows.map(([id, revision, status]) => ({ id, revision, status }))
  }

  async getMany (ids: number[], outputLimit: number): Promise<ListedGathering[]> {
    if (ids.length === 0) return []
    // The brief tail each row keeps serves the usual short limit without reading the whole tail.
    const [tail, join] = outputLimit <= 0
      ? ['\'\'', '']
      : outputLimit <= BRIEF_CHARS
        ? ['right(output_brief, $2)', '']
        : ['coalesce(right(t.tail, $2), \'\')', 'LEFT JOIN gathering_output_tails t ON t.gathering_id = gatherings.id']
    // One statement for any number of ids: they travel as one array.
    const rows = await this.#query<GatheringRow & { output_tail: string }>('read',
      `SELECT ${GATHERING_COLUMNS}, ${tail} AS output_tail FROM gatherings ${join}
       WHERE id = ANY($1::bigint[]) ORDER BY id DESC`,
      outputLimit <= 0 ? [ids] : [ids, outputLimit])
    return rows.map((row) => ({ ...toGathering(row), outputTail: row.output_tail }))
  }

  async listVersion (): Promise<string> {
    // One row, moved by triggers on every write from any process (migration 7).
    const [row] = await this.#query<{ version: string }>('read', 'SELECT database_id || \'.\' || changes AS version FROM store_state')
    return (row as { version: string }).version
  }

  async databaseId (): Promise<string> {
    const [row] = await this.#query<{ database_id: string }>('read', 'SELECT database_id FROM store_state')
    return (row as { database_id: string }).database_id
  }

  async countByStatus (status: GatheringStatus): Promise<number> {
    const [row] = await this.#query<{ n: number }>('read', 'SELECT count(*) AS n FROM gatherings WHERE status = $1', [status])
    return row?.n ?? 0
  }

  async idsByStatus (status: GatheringStatus): Promise<number[]> {
    return await this.#ids('SELECT id FROM gatherings WHERE status = $1 ORDER BY id', [status])
  }

  async fileStates (): Promise<Map<number, { status: GatheringStatus, archiveName: string, owner: string }>> {
    const rows = await this.#query<{ id: number, status: GatheringStatus, archive_name: string, owner: string }>('read', 'SELECT id, status, archive_name, owner FROM gatherings')
    return new Map(rows.map((r) => [r.id, { status: r.status, archiveName: r.archive_name, owner: r.owner }]))
  }

  async finishedBefore (cutoff: string): Promise<number[]> {
    return await this.#ids('SELECT id FROM gatherings WHERE status IN (\'completed\', \'error\') AND updated_at < $1 ORDER BY id', [cutoff])
  }

  async markStarted (id: number, at: string, replica = ''): Promise<boolean> {
    return await this.#call('idempotent', async (client, retried) => {
      // Sent again after a lost answer: the first try may have started it, which shows as this very start.
      const already = retried ? 'OR (status = \'inprogress\' AND started_at = $1 AND owner = $3)' : ''
      const { rowCount } = await this.#run(client,
        `UPDATE gatherings SET status = 'inprogress', started_at = $1, updated_at = $1, owner = $3, attempt = attempt + 1, revision = revision + 1
         WHERE id = $2 AND (status = 'new' ${already})`, [at, id, replica])
      return rowCount === 1
    })
  }

  async claimNext (replica: string, at: string, acceptedBy?: string): Promise<Claim & { id: number } | undefined> {
    // Each call names its claim: sent again after a lost answer, it first looks for the claim the
    // first try may have made, instead of claiming a second gathering and leaving the first held.
    const token = randomUUID()
    return await this.#call('idempotent', async (client, retried) => {
      if (retried) {
        const { rows: [made] } = await this.#run(client, 'SELECT id, attempt FROM gatherings WHERE claim_token = $1', [token])
        if (made !== undefined) return { id: (made as { id: number }).id, replica, attempt: (made as { attempt: number }).attempt }
      }
      // SKIP LOCKED: replicas claiming at once each get another row, none waits.
      const { rows: [row] } = await this.#run(client,
        `UPDATE gatherings SET status = 'inprogress', started_at = $2, updated_at = $2, owner = $1, attempt = attempt + 1,
           claim_token = $4, revision = revision + 1
         WHERE id = (SELECT id FROM gatherings WHERE status = 'new' AND ($3::text IS NULL OR accepted_by = $3)
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id, attempt`, [replica, at, acceptedBy ?? null, token])
      return row === undefined ? undefined : { id: (row as { id: number }).id, replica, attempt: (row as { attempt: number }).attempt }
    })
  }

  async runsOf (replica: string): Promise<Array<Claim & { id: number }>> {
    const rows = await this.#query<[number, number]>('read',
      'SELECT id, attempt FROM gatherings WHERE status = \'inprogress\' AND owner = $1 ORDER BY id', [replica], 'array')
    return rows.map(([id, attempt]) => ({ id, replica, attempt }))
  }

  async takeOver (id: number, from: string, to: string): Promise<Claim | undefined> {
    return await this.#call('idempotent', async (client, retried) => {
      // Sent again after a lost answer: the first try may have taken it, which shows as `to` holding it.
      const { rows: [row] } = await this.#run(client,
        'UPDATE gatherings SET owner = $3, attempt = attempt + 1 WHERE id = $1 AND status = \'inprogress\' AND owner = $2 RETURNING attempt',
        [id, from, to])
      if (row !== undefined) return { replica: to, attempt: (row as { attempt: number }).attempt }
      if (!retried) return undefined
      const { rows: [held] } = await this.#run(client, 'SELECT attempt FROM gatherings WHERE id = $1 AND status = \'inprogress\' AND owner = $2', [id, to])
      return held === undefined ? undefined : { replica: to, attempt: (held as { attempt: number }).attempt }
    })
  }

  async adopt (id: number, replica: string): Promise<boolean> {
    // Safe to send again: a second try finds it adopted by `replica`, which is the same answer.
    const [row] = await this.#query<{ owner: string }>('idempotent',
      `WITH adopted AS (UPDATE gatherings SET owner = $2 WHERE id = $1 AND owner = '' RETURNING owner)
       SELECT owner FROM adopted UNION ALL SELECT owner FROM gatherings WHERE id = $1 LIMIT 1`, [id, replica])
    return row?.owner === replica
  }

  async failQueued (acceptedBy: string, message: string, at: string): Promise<number[]> {
    return await this.#ids(
      `UPDATE gatherings SET status = 'error', error_message = $2, finished_at = $3, updated_at = $3, revision = revision + 1
       WHERE status = 'new' AND accepted_by = $1 RETURNING id`, [acceptedBy, message, at], 'idempotent')
  }

  async recordProcess (id: number, process: RunProcess | null, claim?: Claim): Promise<void> {
    const held = claim === undefined ? '' : 'AND status = \'inprogress\' AND owner = $4 AND attempt = $5'
    await this.#query('idempotent', `UPDATE gatherings SET pid = $1, pid_start = $2, pid_replica = $4 WHERE id = $3 ${held}`,
      [process?.pid ?? null, process?.startTicks ?? null, id, claim?.replica ?? '', ...(claim === undefined ? [] : [claim.attempt])])
  }

  async processesOf (replica: string): Promise<RecordedProcess[]> {
    return await this.#query<RecordedProcess>('read',
      `SELECT id, pid, pid_start AS "startTicks" FROM gatherings
       WHERE pid IS NOT NULL AND pid_start IS NOT NULL AND pid_replica IN ($1, '') ORDER BY id`, [replica])
  }

  async runProcess (id: number): Promise<RunProcess | null> {
    const [row] = await this.#query<{ pid: number | null, pid_start: string | null }>('read', 'SELECT pid, pid_start FROM gatherings WHERE id = $1', [id])
    return row?.pid != null && row.pid_start != null ? { pid: row.pid, startTicks: row.pid_start } : null
  }

  async updateOutput (id: number, tail: string, size: number, at: string, claim?: Claim, phase?: Phase): Promise<boolean> {
    const text = storable(tail)
    // One statement: the row and its tail change together, or neither (no transaction to hold open across round trips).
    return await this.#call('idempotent', async (client) => {
      const { rowCount } = await this.#run(client,
        `WITH changed AS (
           UPDATE gatherings SET output_brief = right($1, ${BRIEF_CHARS}), output_size = $2, updated_at = $3, revision = revision + 1,
             phase = coalesce($5, phase)
           WHERE id = $4 AND status = 'inprogress' ${claim === undefined ? '' : 'AND owner = $6 AND attempt = $7'} RETURNING id
         )
         INSERT INTO gathering_output_tails (gathering_id, tail) SELECT id, $1 FROM changed
         ON CONFLICT (gathering_id) DO UPDATE SET tail = excluded.tail`, [text, size, at, id, phase ?? null, ...(claim === undefined ? [] : [claim.replica, claim.attempt])])
      return rowCount === 1
    })
  }

  async finish (id: number, result: GatheringResult, at: string, claim?: Claim): Promise<boolean> {
    const text = storable(result.outputTail)
    return await this.#call('idempotent', async (client, retried) => {
      if (retried && claim !== undefined) {
        // Sent again after a lost answer: the first try may have written it, which shows as this claim's final state.
        const { rows: [row] } = await this.#run(client,
          'SELECT 1 FROM gatherings WHERE id = $1 AND owner = $2 AND attempt = $3 AND status = $4 AND finished_at = $5', [id, claim.replica, claim.attempt, result.status, at])
        if (row !== undefined) return true
      }
      const { rowCount } = await this.#run(client,
        `WITH changed AS (
           UPDATE gatherings SET status = $1, error_message = $2, archive_name = $3,
             archive_size = $4, archive_sha256 = $5,
             output_brief = right($6, ${BRIEF_CHARS}), output_size = $7,
             finished_at = $8, updated_at = $8, revision = revision + 1,
             -- A new archive (leftovers packed after the old one vanished) ends an earlier expiry.
             expired_at = CASE WHEN $3 != '' THEN NULL ELSE expired_at END,
             expired_reason = CASE WHEN $3 != '' THEN '' ELSE expired_reason END,
             -- Undefined in the result keeps what the record has (housekeeping re-writing a finished record).
             redaction = coalesce($10, redaction)
           WHERE id = $9 ${claim === undefined ? '' : 'AND status = \'inprogress\' AND owner = $11 AND attempt = $12'} RETURNING id
         )
         INSERT INTO gathering_output_tails (gathering_id, tail) SELECT id, $6 FROM changed
         ON CONFLICT (gathering_id) DO UPDATE SET tail = excluded.tail`,
        [result.status, result.errorMessage, result.archiveName, result.archiveSize, result.archiveSha256, text, result.outputSize, at, id,
          redactionColumn(result.redactionCounts), ...(claim === undefined ? [] : [claim.replica, claim.attempt])])
      return rowCount === 1
    })
  }

  async delete (id: number): Promise<boolean> {
    return await this.#call('idempotent', async (client, retried) => {
      const { rowCount } = await this.#run(client,
        `WITH tail AS (DELETE FROM gathering_output_tails WHERE gathering_id = $1)
         DELETE FROM gatherings WHERE id = $1`, [id])
      // Sent again after a lost answer: gone now is what this call asked for.
      return rowCount === 1 || retried
    })
  }

  async oldestArchived (exclude: number[]): Promise<number | undefined> {
    const [row] = await this.#query<{ id: number }>('read',
      `SELECT id FROM gatherings WHERE archive_name != '' AND status IN ('completed', 'error')
       AND NOT (id = ANY($1::bigint[])) ORDER BY coalesce(finished_at, updated_at), id LIMIT 1`, [exclude])
    return row?.id
  }

  async expireArchive (id: number, at: string, reason: string): Promise<boolean> {
    return await this.#call('idempotent', async (client, retried) => {
      // Sent again after a lost answer: the first try may have expired it, which shows as this very expiry.
      const already = retried ? 'OR (expired_at = $1 AND expired_reason = $2)' : ''
      const { rowCount } = await this.#run(client,
        `UPDATE gatherings SET archive_name = '', archive_size = 0, archive_sha256 = '', expired_at = $1, expired_reason = $2, updated_at = $1,
           revision = revision + 1
         WHERE id = $3 AND (archive_name != '' ${already})`, [at, reason, id])
      return (rowCount ?? 0) > 0
    })
  }

  async idsWithArchive (): Promise<number[]> {
    return await this.#ids('SELECT id FROM gatherings WHERE archive_name != \'\' ORDER BY id')
  }

  async joinReplicas (replica: string, startedAt: string): Promise<void> {
    await this.#query('idempotent',
      `INSERT INTO replicas (name, heartbeat_ms, started_at) VALUES ($1, ${NOW_MS}, $2)
       ON CONFLICT (name) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms, started_at = excluded.started_at`, [replica, startedAt])
  }

  async renewLease (replica: string): Promise<boolean> {
    return await this.#call('idempotent', async (client) =>
      (await this.#run(client, `UPDATE replicas SET heartbeat_ms = ${NOW_MS} WHERE name = $1`, [replica])).rowCount === 1)
  }

  async replicasGone (leaseMs: number, except: string): Promise<string[]> {
    const rows = await this.#query<[string]>('read',
      `SELECT DISTINCT holder FROM (
         SELECT owner AS holder FROM gatherings WHERE status = 'inprogress'
         UNION SELECT accepted_by FROM gatherings WHERE status = 'new') AS holders
       WHERE holder != $1 AND holder NOT IN (SELECT name FROM replicas WHERE heartbeat_ms >= ${NOW_MS} - $2)
       ORDER BY holder`, [except, leaseMs], 'array')
    return rows.map(([name]) => name)
  }

  async forgetLapsedReplicas (leaseMs: number): Promise<void> {
    await this.#query('idempotent',
      `DELETE FROM replicas WHERE heartbeat_ms < ${NOW_MS} - $1
       AND name NOT IN (SELECT owner FROM gatherings WHERE status = 'inprogress')
       AND name NOT IN (SELECT accepted_by FROM gatherings WHERE status = 'new')`, [leaseMs])
  }

  async ping (): Promise<void> {
    // No retry: readiness should say at once that the database is away.
    const client = await this.#pool.connect()
    let failure: Error | undefined
    try {
      await client.query('SELECT 1')
    } catch (error) {
      failure = error as Error
      throw error
    } finally {
      client.release(failure !== undefined && isConnectionLost(failure) ? failure : undefined)
    }
  }

  async archiveBytes (): Promise<number> {
    const [row] = await this.#query<{ n: number }>('read', 'SELECT coalesce(sum(archive_size), 0)::int8 AS n FROM gatherings')
    return row?.n ?? 0
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }

  async #ids (text: string, values: unknown[] = [], kind: RetryKind = 'read'): Promise<number[]> {
    return (await this.#query<[number]>(kind, text, values, 'array')).map(([id]) => id)
  }

  async #query<R> (kind: RetryKind, text: string, values: unknown[] = [], rowMode?: 'array'): Promise<R[]> {
    return await this.#call(kind, async (client) => (await this.#run(client, text, values, rowMode)).rows as R[])
  }

  /** A named statement: parsed and planned once per connection, then only bound and run. */
  #run (client: pg.PoolClient, text: string, values: unknown[] = [], rowMode?: 'array'): Promise<pg.QueryResult> {
    let name = this.#names.get(text)
    if (name === undefined) {
      name = `mgs_${this.#names.size}`
      this.#names.set(text, name)
    }
    return rowMode === 'array'
      ? client.query({ name, text, values, rowMode })
      : client.query({ name, text, values })
  }

  /**
   * Runs `work` on a pooled connection. While the database is unreachable
   * (restarting), it waits and tries again, for up to `retryForMs`, as far as
   * `kind` allows; then it rejects with StoreUnavailableError. Any other
   * error (a constraint, a timeout, a bug) rejects at once, as it is.
   */
  async #call<T> (kind: RetryKind, work: Work<T>): Promise<T> {
    const deadline = Date.now() + this.#retryForMs
    let sent = false
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient
      try {
        client = await this.#pool.connect()
      } catch (error) {
        if (!isConnectionLost(error) || this.#closed || Date.now() >= deadline) throw unavailable(error, sent)
        await backOff(attempt)
        continue
      }
      try {
        const result = await work(client, sent)
        client.release()
        return result
      } catch (error) {
        const lost = isConnectionLost(error)
        // A connection that failed is closed, not handed to the next caller.
        client.release(lost ? error as Error : undefined)
        if (!lost) throw error
        sent = true
        if (kind === 'once' || this.#closed || Date.now() >= deadline) throw unavailable(error, true, kind === 'once')
        await backOff(attempt)
      }
    }
  }
}

function unavailable (error: unknown, sent: boolean, once = false): Error {
  if (!isConnectionLost(error)) return error as Error
  const outcome = once
    ? 'the write may or may not have been made (it is not repeated, so that it cannot happen twice)'
    : sent ? 'the write was not confirmed' : 'nothing was written'
  return new StoreUnavailableError(`the database connection was lost: ${outcome}`, { cause: error })
}

/** 50 ms, doubling up to 1 s: quick after a short blip, gentle on a database that is starting. */
async function backOff (attempt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)))
}

/** PostgreSQL's text holds no NUL character; SQLite's does. An output tail keeps its length, with U+FFFD in its place. */
function storable (text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text
}

function whereClause ({ status, customName, createdBy }: ListScope, beforeId: number | undefined): { where: string, params: Array<string | number> } {
  const conditions: string[] = []
  const params: Array<string | number> = []
  const add = (condition: string, value: string | number): void => {
    params.push(value)
    conditions.push(`${condition} $${params.length}`)
  }
  if (status !== undefined) add('status =', status)
  if (customName !== undefined) add('custom_name =', customName)
  if (createdBy !== undefined) add('created_by =', createdBy)
  if (beforeId !== undefined) add('id <', beforeId)
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params }
}
