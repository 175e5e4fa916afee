import assert from 'node:assert/strict'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import Database from 'better-sqlite3'
import {
  assertNoProcessesLeft,
  runProcesses,
  removeDir,
  type RunningService,
  SIM_IMAGE,
  startService,
  waitFor,
  waitForFinish
} from '../helpers/service.js'

/** Restarts: a killed service leaves nothing stuck, no orphan oc, no orphan files. */
const services: RunningService[] = []
after(async () => {
  for (const s of services) await s.stop()
  const dir = services[0]?.dir
  if (dir !== undefined) {
    await assertNoProcessesLeft(dir)
    removeDir(dir)
  }
})

describe('restart recovery', () => {
  it('after SIGKILL: running → error "interrupted by service restart", its oc stopped; queued → run', async () => {
    const first = await startService({ env: { MAX_CONCURRENT: '1' } })
    services.push(first)
    const running = (await first.post({ image: `${SIM_IMAGE}:slow-60`, 'custom-name': 'interrupted' })).body.id
    const queued = (await first.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': 'queued' })).body.id
    await waitFor(async () => (await first.json(`/must-gather/${running}`)).body.status === 'inprogress', 'the run to start')
    const oc = await waitFor(() => runProcesses(first, running)[0], 'oc to be running')
    // The service records the pid right after spawning: wait until it has.
    await waitFor(() => recordedPid(first.dbPath, running), 'the pid to be recorded')
    // A directory no record owns, as a crash in the middle of a delete leaves.
    mkdirSync(join(first.dataDir, '999999'))

    await first.kill()
    assert.ok(existsSync(`/proc/${oc}`), 'oc survived the service (own process group)')

    const second = await startService({ dir: first.dir, env: { MAX_CONCURRENT: '1' } })
    services.push(second)
    const interrupted = (await second.json(`/must-gather/${running}`)).body
    assert.equal(interrupted.status, 'error')
    assert.equal(interrupted['error-message'], 'interrupted by service restart')
    assert.ok(interrupted['finished-at'])
    await waitFor(() => runProcesses(second, running).length === 0, 'the orphan oc to be stopped', 10_000)
    assert.equal(existsSync(join(second.dataDir, '999999')), false, 'orphan directory removed')

    const done = await waitForFinish(second, queued)
    assert.equal(done.status, 'completed', done['error-message'])
    // Each test's services share one database and replica name: none outlives its test.
    assert.equal(await second.stop(), 0)
  })

  it('SIGTERM lets a running gathering finish within SHUTDOWN_GRACE and exits 0; queued ones stay new', async () => {
    const dir = services[0]?.dir as string
    const service = await startService({ dir, env: { MAX_CONCURRENT: '1', SHUTDOWN_GRACE: '20s' } })
    services.push(service)
    const running = (await service.post({ image: `${SIM_IMAGE}:slow-2` })).body.id
    const queued = (await service.post({ image: `${SIM_IMAGE}:v1` })).body.id
    await waitFor(async () => (await service.json(`/must-gather/${running}`)).body.status === 'inprogress', 'the run to start')
    service.process.kill('SIGTERM')
    // While it drains: still answering, readiness failing, no new executions.
    await waitFor(async () => (await service.json('/readyz')).status === 503, 'readiness to fail')
    const refused = await service.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal(refused.status, 503)
    assert.match(refused.body.error, /shutting down/)
    assert.equal((await service.json(`/must-gather/${running}`)).status, 200)
    assert.equal(await service.stop(), 0)

    const next = await startService({ dir, env: { MAX_CONCURRENT: '1' } })
    services.push(next)
    const finished = (await next.json(`/must-gather/${running}`)).body
    assert.equal(finished.status, 'completed', finished['error-message'])
    assert.equal((await waitForFinish(next, queued)).status, 'completed')
    assert.equal(await next.stop(), 0)
  })

  it('SIGTERM past SHUTDOWN_GRACE cancels the run and records it as error with finished-at', async () => {
    const dir = services[0]?.dir as string
    const service = await startService({ dir, env: { SHUTDOWN_GRACE: '1s', CANCEL_GRACE: '1s' } })
    services.push(service)
    const running = (await service.post({ image: `${SIM_IMAGE}:slow-60` })).body.id
    await waitFor(() => runProcesses(service, running).length > 0, 'oc to run')
    assert.equal(await service.stop(), 0)
    assert.deepEqual(runProcesses(service, running), [])

    const next = await startService({ dir })
    services.push(next)
    const record = (await next.json(`/must-gather/${running}`)).body
    assert.equal(record.status, 'error')
    assert.match(record['error-message'], /shutting down/)
    assert.ok(record['finished-at'])
    // What it had gathered is packed at the next start, so nothing lingers unpacked. The record
    // gains its archive a moment before the tree is removed, so both are waited for.
    const tree = join(next.dataDir, String(running), `must-gather.local.${running}`)
    const packed = await waitFor(async () => {
      const g = (await next.json(`/must-gather/${running}`)).body
      return g['archive-name'] !== '' && !existsSync(tree) ? g : undefined
    }, 'the leftovers to be packed and their tree removed')
    assert.equal(packed['finished-at'], record['finished-at'])
    assert.equal((await next.fetch(`/must-gather/${running}/data`)).status, 200)
    assert.equal(await next.stop(), 0)
  })

  it('a record whose archive file vanished while the service was down is marked expired, saying so', async () => {
    const dir = services[0]?.dir as string
    const service = await startService({ dir })
    services.push(service)
    const kept = (await service.post({ 'custom-name': 'kept' })).body.id
    const lost = (await service.post({ 'custom-name': 'lost' })).body.id
    for (const id of [kept, lost]) assert.equal((await waitForFinish(service, id)).status, 'completed')
    assert.equal(await service.stop(), 0)
    rmSync(join(service.dataDir, String(lost), 'archive.tar.gz'))
    assert.equal(existsSync(join(service.dataDir, String(lost))), true)

    // A data volume that is not mounted (an empty DATA_DIR) is not taken for lost files.
    renameSync(service.dataDir, `${service.dataDir}.aside`)
    const unmounted = await startService({ dir })
    services.push(unmounted)
    await waitFor(() => /is the volume mounted/.test(unmounted.logs()), 'the warning')
    assert.equal((await unmounted.json(`/must-gather/${kept}`)).body.expired, false)
    assert.equal(await unmounted.stop(), 0)
    rmSync(service.dataDir, { recursive: true, force: true })
    renameSync(`${service.dataDir}.aside`, service.dataDir)

    const next = await startService({ dir })
    services.push(next)
    const marked = await waitFor(async () => {
      const g = (await next.json(`/must-gather/${lost}`)).body
      return g.expired === true ? g : undefined
    }, 'the record to be marked')
    assert.equal(marked.status, 'completed', 'the status stays')
    assert.equal(marked['archive-name'], '')
    const data = await next.json(`/must-gather/${lost}/data`)
    assert.equal(data.status, 404)
    assert.match(data.body.error, /found missing at start-up/)
    const other = (await next.json(`/must-gather/${kept}`)).body
    assert.equal(other.expired, false)
    assert.equal((await next.fetch(`/must-gather/${kept}/data`, { method: 'HEAD' })).status, 200)
    assert.equal(await next.stop(), 0)
  })
})

/** The pid the service recorded for a running gathering (read from its database file, read-only). */
function recordedPid (dbPath: string, id: number): number | undefined {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT pid FROM gatherings WHERE id = ?').pluck().get(id) as number | null) ?? undefined
  } finally {
    db.close()
  }
}
