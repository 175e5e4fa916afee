import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { StoreUnavailableError } from '../../src/storage/postgres-errors.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { GatheringStore, NewGathering } from '../../src/storage/types.js'
import { type InProcessApp, inProcessApp } from '../helpers/in-process.js'

describe('a database that stays away past the store\'s retries', () => {
  let t: InProcessApp
  /** A store whose database is restarting: what PostgresGatheringStore rejects with once it gives up waiting. */
  class AwayStore extends SqliteGatheringStore {
    override async insert (gathering: NewGathering): ReturnType<GatheringStore['insert']> {
      if (gathering.customName === 'away') {
        throw new StoreUnavailableError('the database connection was lost: the write may or may not have been made', { cause: new Error('postgres://u:secret@db') })
      }
      return await super.insert(gathering)
    }
  }
  before(async () => { t = await inProcessApp({ store: (path) => new AwayStore(path) }) })
  after(async () => await t.close())

  it('answers 503 with Retry-After, saying whether the execution may have been recorded, and nothing of the cause', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/must-gather', payload: { 'custom-name': 'away' } })
    assert.equal(response.statusCode, 503)
    assert.equal(response.headers['retry-after'], '5')
    assert.deepEqual(response.json(), { error: 'the database connection was lost: the write may or may not have been made' })
    assert.ok(!response.body.includes('secret'))
    assert.equal((await t.app.inject({ method: 'POST', url: '/must-gather', payload: {} })).statusCode, 201, 'and keeps serving')
  })
})
