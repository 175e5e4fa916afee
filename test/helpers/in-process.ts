import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { FastifyInstance } from 'fastify'

import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { PostgresGatheringStore } from '../../src/storage/postgres.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { GatheringStore } from '../../src/storage/types.js'
import { testPostgres } from './postgres-server.js'
import { SIMULATOR } from './service.js'

/** A clock a test moves by hand. */
export class TestClock {
  constructor (private ms = Date.UTC(2026, 0, 1, 12, 0, 0)) {}
  readonly now = (): Date => new Date(this.ms)
  advance (ms: number): void {
    this.ms += ms
  }
}

export interface InProcessApp {
  app: FastifyInstance
  store: GatheringStore
  clock: TestClock
  dir: string
  /** Another app (a second service process) on the same database. */
  another: (env?: Record<string, string>) => Promise<FastifyInstance>
  close: () => Promise<void>
}

/**
 * The whole service in this process, answering `app.inject` without a socket,
 * with a clock the test moves. Nothing runs: the queue is not started, so a
 * created execution stays `new` until the test says otherwise through the store.
 * With MGS_TEST_STORE=postgres in the environment, the default store is a
 * new database on the test PostgreSQL (DATABASE_URL, for `another` too).
 */
export async function inProcessApp (options: { env?: Record<string, string>, store?: (dbPath: string) => GatheringStore } = {}): Promise<InProcessApp> {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-inject-'))
  const dbPath = join(dir, 'gatherings.db')
  const clock = new TestClock()
  const postgres = process.env.MGS_TEST_STORE === 'postgres' ? await (await testPostgres()).createDatabase() : undefined
  const apps: FastifyInstance[] = []
  const build = async (env: Record<string, string> = {}, store?: GatheringStore): Promise<FastifyInstance> => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      DB_PATH: dbPath,
      DATA_DIR: join(dir, 'gatherings'),
      OC_PATH: SIMULATOR,
      MIN_FREE_SPACE: '0',
      ...(postgres !== undefined && { DATABASE_URL: postgres.url }),
      ...options.env,
      ...env
    })
    const app = await buildApp({ config, now: clock.now, ...(store !== undefined && { store }) })
    apps.push(app)
    return app
  }
  const store = options.store?.(dbPath) ??
    (postgres !== undefined ? await PostgresGatheringStore.open({ connectionString: postgres.url, poolSize: 4 }) : new SqliteGatheringStore(dbPath))
  const app = await build({}, store)
  return {
    app,
    store,
    clock,
    dir,
    another: async (env) => await build(env),
    close: async () => {
      for (const a of apps) await a.close()
      await postgres?.drop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
