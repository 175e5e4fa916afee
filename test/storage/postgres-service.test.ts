import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'
import { type TestPostgres, testPostgres } from '../helpers/postgres-server.js'

/** The real service process with DATABASE_URL: a run end to end, two processes on one database, and a database restart under it. */
describe('the service on PostgreSQL', () => {
  let server: TestPostgres
  let database: { url: string, drop: () => Promise<void> }
  let service: RunningService
  before(async () => {
    server = await testPostgres()
    database = await server.createDatabase()
    service = await startService({ env: { DATABASE_URL: database.url } })
  })
  after(async () => {
    await server.start()
    await stopAndClean(service)
    await database.drop()
  })

  async function runToCompletion (on: RunningService): Promise<number> {
    const { status, body } = await on.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:pg' })
    assert.equal(status, 201)
    const done = await waitForFinish(on, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    const response = await on.fetch(`/must-gather/${body.id}/data`)
    assert.equal(response.status, 200)
    const file = join(on.dir, `dl-${body.id}.tar.gz`)
    writeFileSync(file, Buffer.from(await response.arrayBuffer()))
    assert.ok(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().length > 0, 'a whole archive')
    return body.id
  }

  it('runs an execution end to end and does not log the database password', async () => {
    await runToCompletion(service)
    assert.match(service.logs(), /database: postgresql:\/\/127\.0\.0\.1:\d+\/mgs_test_/)
    assert.ok(!service.logs().includes('test-only'), 'no password in the logs')
  })

  // (Their ETags still differ: each process salts its versions, src/http/views/gathering-views.ts; replicas are the next step.)
  it('lets a second process on the same database see the same records, and the first see the second\'s', async () => {
    // The same data directory too, as replicas share one volume (else its start-up would expire the first's archives).
    const second = await startService({ dir: service.dir, env: { DATABASE_URL: database.url } })
    try {
      const [a, b] = [await service.json('/must-gather'), await second.json('/must-gather')]
      assert.equal(a.body.length, 1)
      assert.deepEqual(b.body, a.body)
      const id = await runToCompletion(second)
      assert.equal((await service.json(`/must-gather/${id}`)).body.status, 'completed')
      assert.equal((await service.json('/must-gather')).body.length, 2)
    } finally {
      await second.stop()
    }
  })

  it('keeps serving across a restart of the database: reads and a new run work after it', async () => {
    const before = (await service.json('/must-gather')).body
    await server.stop()
    await server.start()
    const afterRestart = await service.json('/must-gather')
    assert.equal(afterRestart.status, 200)
    assert.deepEqual(afterRestart.body, before)
    assert.equal((await service.json('/readyz')).status, 200)
    await runToCompletion(service)
  })
})
