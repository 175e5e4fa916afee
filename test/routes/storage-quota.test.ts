import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitFor, waitForFinish } from '../helpers/service.js'

/** MAX_STORAGE and MIN_FREE_SPACE: old archives make room, records stay and say why. */
const services: RunningService[] = []
after(async () => { for (const s of services) await stopAndClean(s) })

describe('MAX_STORAGE', () => {
  it('expires the oldest archives to stay within the limit; the record stays, marked expired', async () => {
    const service = await startService({ env: { MAX_STORAGE: '350k', MAX_CONCURRENT: '1' } })
    services.push(service)
    const ids: number[] = []
    for (let i = 0; i < 3; i++) {
      const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
      const done = await waitForFinish(service, body.id)
      assert.equal(done.status, 'completed')
      assert.ok(done['archive-size'] > 100_000 && done['archive-size'] < 175_000, `archive of ${done['archive-size']} bytes: the limit assumes 100–175 kB`)
      ids.push(body.id)
    }
    const records = await Promise.all(ids.map(async (id) => (await service.json(`/must-gather/${id}`)).body))
    const [oldest, ...newer] = records
    assert.equal(oldest.status, 'completed', 'the status is kept')
    assert.equal(oldest.expired, true)
    assert.equal(oldest['archive-name'], '')
    // The record is marked first, then its file is deleted.
    await waitFor(() => !existsSync(join(service.dataDir, String(ids[0]), 'archive.tar.gz')), 'its file to go')
    const data = await service.json(`/must-gather/${ids[0]}/data`)
    assert.equal(data.status, 404)
    assert.match(data.body.error, /deleted to make room \(MAX_STORAGE\) at \d{4}-/)
    for (const g of newer) {
      assert.equal(g.expired, false)
      assert.notEqual(g['archive-name'], '')
    }
    const total = newer.reduce((sum, g) => sum + g['archive-size'], 0)
    assert.ok(total <= 350_000, `${total} bytes kept`)
  })
})

describe('MIN_FREE_SPACE', () => {
  it('refuses new executions with 507 and a clear message when even expiring cannot free room', async () => {
    const service = await startService({ env: { MIN_FREE_SPACE: '1000Ti' } })
    services.push(service)
    const { status, body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal(status, 507)
    assert.match(body.error, /not enough disk space for new executions/)
    assert.deepEqual((await service.json('/must-gather')).body, [], 'nothing was queued')
  })
})
