import type { Config } from '../config/config.js'
import { PostgresGatheringStore } from './postgres.js'
import { SqliteGatheringStore } from './sqlite.js'
import type { GatheringStore } from './types.js'

type StoreConfig = Pick<Config, 'dbPath' | 'databaseUrl' | 'databasePoolSize' | 'databaseStatementTimeoutMs'>

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite file at DB_PATH. */
export async function openStore (config: StoreConfig): Promise<GatheringStore> {
  if (config.databaseUrl === undefined) return new SqliteGatheringStore(config.dbPath)
  return await PostgresGatheringStore.open({
    connectionString: config.databaseUrl,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs
  })
}

/** Which database, for logs: the PostgreSQL URL without its user and password. */
export function describeDatabase (config: StoreConfig): string {
  if (config.databaseUrl === undefined) return config.dbPath
  const url = new URL(config.databaseUrl)
  return `postgresql://${url.host}${url.pathname}`
}
