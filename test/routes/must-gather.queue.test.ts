import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import {
  runProcesses,
  removeDir,
  type RunningService,
  SIM_IMAGE,
  startService,
  waitFor,
  waitForFinish,
  stopAndClean
} from '../helpers/service.js'

/** The queue: concurrency, the MAX_QUEUED limit, cancelling queued and running work. */
let service: RunningService
before(async () => {
  service = await startService({ env: { MAX_CONCURRENT: '1', MAX_QUEUED: '2', CANCEL_GRACE: '1s' } })
})
after(async () => stopAndClean(service))

const status = async (id: number): Promise<string> => (await service.json(`/must-gather/${id}`)).body.status

describe('queue', () => {
  let running: number
  let queued: number[]

  it('runs MAX_CONCURRENT at once, keeps the rest new, and answers 429 beyond MAX_QUEUED', async () => {
    running = (await service.post({ image: `${SIM_IMAGE}:slow-30` })).body.id
    await waitFor(async () => (await status(running)) === 'inprogress', 'the first to start')
    const second = await service.post({ image: `${SIM_IMAGE}:slow-30` })
    const third = await service.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal(second.status, 201)
    assert.equal(third.status, 201)
    queued = [second.body.id, third.body.id]
    const refused = await service.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal(refused.status, 429)
    assert.match(refused.body.error, /MAX_QUEUED=2/)
    assert.ok(refused.headers.get('retry-after'))
    assert.equal(await status(queued[0] as number), 'new')
    assert.equal(await status(queued[1] as number), 'new')
    const list = await service.json<Array<{ status: string }>>('/must-gather?status=new')
    assert.equal(list.body.length, 2)
  })

  it('DELETE of a queued execution removes it without running it', async () => {
    const id = queued[0] as number
    const response = await service.fetch(`/must-gather/${id}`, { method: 'DELETE' })
    assert.equal(response.status, 204)
    assert.equal((await service.json(`/must-gather/${id}`)).status, 404)
    assert.equal(existsSync(join(service.dataDir, String(id))), false)
  })

  it('DELETE of a running execution stops oc and everything it started, then removes it', async () => {
    await waitFor(() => runProcesses(service, running).length > 0, 'oc to run')
    const response = await service.fetch(`/must-gather/${running}`, { method: 'DELETE' })
    assert.equal(response.status, 204)
    assert.deepEqual(runProcesses(service, running), [])
    assert.equal((await service.json(`/must-gather/${running}`)).status, 404)
    assert.equal(existsSync(join(service.dataDir, String(running))), false)
  })

  it('the next queued one then runs to the end', async () => {
    const done = await waitForFinish(service, queued[1] as number)
    assert.equal(done.status, 'completed', done['error-message'])
  })

  it('DELETE of a finished execution removes record and archive; unknown → 404', async () => {
    const id = queued[1] as number
    assert.equal((await service.fetch(`/must-gather/${id}`, { method: 'DELETE' })).status, 204)
    assert.equal((await service.json(`/must-gather/${id}/data`)).status, 404)
    const again = await service.json(`/must-gather/${id}`, { method: 'DELETE' })
    assert.equal(again.status, 404)
    assert.equal(typeof again.body.error, 'string')
  })

  it('a run that ignores SIGTERM is killed after CANCEL_GRACE', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:hang_ignore-sigterm` })
    // Once oc has printed its pod line it has set up its signal handling.
    await waitFor(async () => /pod for plug-in image/.test((await service.json(`/must-gather/${body.id}`)).body['exec-output']), 'oc to run')
    const started = Date.now()
    assert.equal((await service.fetch(`/must-gather/${body.id}`, { method: 'DELETE' })).status, 204)
    assert.ok(Date.now() - started >= 900, 'it waited for the grace period')
    assert.deepEqual(runProcesses(service, body.id), [])
  })
})

describe('MAX_QUEUED=0', () => {
  let strict: RunningService
  before(async () => { strict = await startService({ env: { MAX_CONCURRENT: '1', MAX_QUEUED: '0' } }) })
  after(async () => {
    await strict.stop()
    removeDir(strict.dir)
  })

  it('runs a request when a slot is free and refuses one that would have to wait', async () => {
    const first = await strict.post({ image: `${SIM_IMAGE}:slow-5` })
    assert.equal(first.status, 201)
    await waitFor(async () => (await strict.json(`/must-gather/${first.body.id}`)).body.status === 'inprogress', 'the first to start')
    assert.equal((await strict.post({ image: `${SIM_IMAGE}:v1` })).status, 429)
    assert.equal((await strict.fetch(`/must-gather/${first.body.id}`, { method: 'DELETE' })).status, 204)
  })
})
