import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import Database from 'better-sqlite3'
import pg from 'pg'

import { validateRequest } from '../../src/gatherings/validate-request.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { applyPostgresMigrations } from '../../src/storage/migrations/apply-postgres.js'
import { PostgresGatheringStore } from '../../src/storage/postgres.js'
import { StoreUnavailableError } from '../../src/storage/postgres-errors.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { NewGathering } from '../../src/storage/types.js'
import { testPostgres } from '../helpers/postgres-server.js'

/** What only PostgreSQL has to show: several migrators at once, and a database that restarts under the store. */

const { options } = validateRequest({ image: 'quay.io/a/b' }, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
const gathering = (n: number): NewGathering => ({ customName: `g${n}`, options, createdAt: at(n), createdBy: 'alice' })

const cleanups: Array<() => Promise<void>> = []
/** Each suite's stores, clients and databases go at its end, while the server (stopped by its own root hook) still runs. */
async function cleanUp (): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

async function newDatabase (): Promise<string> {
  const database = await (await testPostgres()).createDatabase()
  cleanups.push(database.drop)
  return database.url
}

async function openStore (url: string, retryForMs?: number, statementTimeoutMs?: number): Promise<PostgresGatheringStore> {
  const store = await PostgresGatheringStore.open({ connectionString: url, poolSize: 2, retryForMs, statementTimeoutMs })
  cleanups.push(async () => await store.close())
  return store
}

async function connect (url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  cleanups.push(async () => await client.end().catch(() => {}))
  return client
}

/** Polls the server's own view until `sql` returns a row: waits for a state, not for a time. */
async function waitFor (client: pg.Client, sql: string, values: unknown[] = []): Promise<void> {
  while ((await client.query(sql, values)).rowCount === 0) await new Promise((resolve) => setImmediate(resolve))
}

describe('PostgreSQL migrations', () => {
  after(cleanUp)

  it('applies each step once when three migrators start on one new database at once', async () => {
    const url = await newDatabase()
    // Three sessions, as three service processes would have: each is connected before any starts.
    const clients = await Promise.all([1, 2, 3].map(async () => await connect(url)))
    const applied = await Promise.all(clients.map(async (client) => await applyPostgresMigrations(client, MIGRATIONS)))
    const all = applied.flat().sort((a, b) => a - b)
    assert.deepEqual(all, MIGRATIONS.map((m) => m.version), `each step applied by exactly one: ${JSON.stringify(applied)}`)
    const { rows } = await clients[0]!.query('SELECT version, name FROM schema_migrations ORDER BY version')
    assert.deepEqual(rows, MIGRATIONS.map(({ version, name }) => ({ version, name })))
    assert.deepEqual(await applyPostgresMigrations(clients[1]!, MIGRATIONS), [], 'nothing left on a later start')
  })

  it('records the same versions and names as SQLite, so both report one schema version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgs-schema-'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
    await new SqliteGatheringStore(join(dir, 'g.db')).close()
    const sqlite = new Database(join(dir, 'g.db'), { readonly: true })
    const sqliteSteps = sqlite.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()
    sqlite.close()
    const url = await newDatabase()
    await openStore(url)
    const { rows } = await (await connect(url)).query('SELECT version, name FROM schema_migrations ORDER BY version')
    assert.deepEqual(rows, sqliteSteps)
  })

  it('refuses a database whose schema is newer than it knows', async () => {
    const url = await newDatabase()
    await openStore(url)
    await (await connect(url)).query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, \'future\', \'x\')')
    await assert.rejects(PostgresGatheringStore.open({ connectionString: url }), /schema version 999 is newer/)
  })
})

describe('PostgreSQL store when the database goes away', () => {
  after(cleanUp)

  it('retries an idempotent write whose connection was cut mid-statement, and it lands once', async () => {
    const url = await newDatabase()
    const store = await openStore(url)
    const admin = await connect(url)
    const g = await store.insert(gathering(1))
    // Another session holds the record's row: the store's write waits on it, sent and unanswered.
    await admin.query('BEGIN')
    await admin.query('SELECT 1 FROM gatherings WHERE id = $1 FOR UPDATE', [g.id])
    const started = store.markStarted(g.id, at(2))
    await waitFor(admin, 'SELECT 1 FROM pg_stat_activity WHERE application_name = \'must-gather-service\' AND wait_event_type = \'Lock\'')
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \'must-gather-service\' AND wait_event_type = \'Lock\'')
    await admin.query('ROLLBACK')
    assert.equal(await started, true)
    const after = await store.get(g.id)
    assert.deepEqual([after?.status, after?.startedAt, after?.revision], ['inprogress', at(2), 1], 'started once')
  })

  it('cancels a statement that runs past the statement timeout, and rejects the call (not a connection failure: no retry)', async () => {
    const url = await newDatabase()
    const store = await openStore(url, 30_000, 50)
    const admin = await connect(url)
    const g = await store.insert(gathering(1))
    await admin.query('BEGIN')
    await admin.query('SELECT 1 FROM gatherings WHERE id = $1 FOR UPDATE', [g.id])
    try {
      await assert.rejects(store.markStarted(g.id, at(2)), (error: Error & { code?: string }) => error.code === '57014' && /statement timeout/.test(error.message))
    } finally {
      await admin.query('ROLLBACK')
    }
    assert.equal((await store.get(g.id))?.status, 'new', 'nothing written')
  })

  it('fails an insert loudly when its outcome is unknown, rather than queue it twice', async () => {
    const url = await newDatabase()
    const store = await openStore(url)
    const admin = await connect(url)
    // Every insert moves the list version's row; holding it makes the insert wait, sent and unanswered.
    await admin.query('BEGIN')
    await admin.query('SELECT 1 FROM store_state FOR UPDATE')
    const inserted = store.insert(gathering(1)).then(() => undefined, (error: Error) => error)
    await waitFor(admin, 'SELECT 1 FROM pg_stat_activity WHERE application_name = \'must-gather-service\' AND wait_event_type = \'Lock\'')
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \'must-gather-service\' AND wait_event_type = \'Lock\'')
    await admin.query('ROLLBACK')
    const error = await inserted
    assert.ok(error instanceof StoreUnavailableError, `fails loudly: ${String(error)}`)
    assert.match(error.message, /may or may not have been made/)
    assert.deepEqual(await store.listKeys({}), [], 'not repeated behind the caller\'s back')
    assert.equal((await store.insert(gathering(2))).customName, 'g2', 'the next insert works')
  })

  it('survives a restart of the server: calls made while it is down complete once it is back, reads work after', async () => {
    const server = await testPostgres()
    const url = await newDatabase()
    const store = await openStore(url)
    const impatient = await openStore(url, 0)
    const g = await store.insert(gathering(1))
    await store.markStarted(g.id, at(1))
    await server.stop()
    try {
      // No connection can be had: nothing was sent, so even an insert is safe to send once the server is back.
      const inserted = store.insert(gathering(2))
      const output = store.updateOutput(g.id, 'after the restart', 17, at(3))
      const read = store.get(g.id)
      await assert.rejects(impatient.get(g.id), StoreUnavailableError, 'a store that may not wait says so at once')
      await assert.rejects(impatient.insert(gathering(3)), /nothing was written/)
      await server.start()
      assert.equal((await inserted).customName, 'g2')
      assert.equal(await output, true)
      assert.equal((await read)?.id, g.id)
    } finally {
      await server.start()
    }
    // The pool's connections from before the restart are dead; new ones serve every call.
    assert.deepEqual((await store.listKeys({})).map((k) => k.id).length, 2, 'both records, the one queued during the outage once')
    assert.equal(await store.outputTail(g.id, 100), 'after the restart')
    await store.ping()
    await impatient.ping()
  })
})
