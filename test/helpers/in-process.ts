import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { FastifyInstance } from 'fastify'

import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { GatheringStore } from '../../src/storage/types.js'
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
 */
export async function inProcessApp (options: { env?: Record<string, string>, store?: (dbPath: string) => GatheringStore } = {}): Promise<InProcessApp> {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-inject-'))
  const dbPath = join(dir, 'gatherings.db')
  const clock = new TestClock()
  const apps: FastifyInstance[] = []
  const build = async (env: Record<string, string> = {}, store?: GatheringStore): Promise<FastifyInstance> => {
    const config = loadConfig({
      AUTH_MODE: 'none',
      DB_PATH: dbPath,
      DATA_DIR: join(dir, 'gatherings'),
      OC_PATH: SIMULATOR,
      MIN_FREE_SPACE: '0',
      ...options.env,
      ...env
    })
    const app = await buildApp({ config, now: clock.now, ...(store !== undefined && { store }) })
    apps.push(app)
    return app
  }
  const store = options.store?.(dbPath) ?? new SqliteGatheringStore(dbPath)
  const app = await build({}, store)
  return {
    app,
    store,
    clock,
    dir,
    another: async (env) => await build(env),
    close: async () => {
      for (const a of apps) await a.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
