import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { PostgresGatheringStore } from '../../src/storage/postgres.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { GatheringStore } from '../../src/storage/types.js'
import { testPostgres } from '../helpers/postgres-server.js'

/** One empty database of a backend, which several stores (as several service processes would) can open. */
export interface TestDatabase {
  open (): Promise<GatheringStore>
  /** Removes the database. */
  drop (): Promise<void>
}

export interface StoreBackend {
  name: string
  /** A new, empty database. */
  create (): Promise<TestDatabase>
}

/** SQLite: a file in a throwaway directory (a real file, so that two stores share it as two processes would). */
export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  async create () {
    const dir = mkdtempSync(join(tmpdir(), 'mgs-store-'))
    const path = join(dir, 'gatherings.db')
    return {
      open: async () => new SqliteGatheringStore(path),
      drop: async () => rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** PostgreSQL: a new database on the test process's real server (test/helpers/postgres-server.ts). */
export const postgresBackend: StoreBackend = {
  name: 'postgres',
  async create () {
    const database = await (await testPostgres()).createDatabase()
    return {
      // A small pool, as many stores open at once in a test process.
      open: async () => await PostgresGatheringStore.open({ connectionString: database.url, poolSize: 4 }),
      drop: database.drop
    }
  }
}

/** Every backend the contract suite runs against. */
export const STORE_BACKENDS: StoreBackend[] = [sqliteBackend, postgresBackend]
