import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { loadConfig } from '../../src/config/config.js'
import { describeDatabase, openStore } from '../../src/storage/open-store.js'
import { PostgresGatheringStore } from '../../src/storage/postgres.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import { testPostgres } from '../helpers/postgres-server.js'

describe('openStore: the configuration picks the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-open-store-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('opens SQLite at DB_PATH without DATABASE_URL', async () => {
    const store = await openStore(loadConfig({ DB_PATH: join(dir, 'g.db') }))
    assert.ok(store instanceof SqliteGatheringStore)
    await store.close()
  })

  it('opens PostgreSQL with DATABASE_URL, and logs it without user or password', async () => {
    const database = await (await testPostgres()).createDatabase()
    try {
      const config = loadConfig({ DB_PATH: join(dir, 'unused.db'), DATABASE_URL: database.url })
      const store = await openStore(config)
      assert.ok(store instanceof PostgresGatheringStore)
      await store.ping()
      await store.close()
      const described = describeDatabase(config)
      assert.match(described, /^postgresql:\/\/127\.0\.0\.1:\d+\/mgs_test_/)
      assert.ok(!described.includes('test-only') && !described.includes('postgres:'), described)
    } finally {
      await database.drop()
    }
  })
})
