import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import {
  removeDir,
  type RunningService,
  runProcesses,
  SIM_IMAGE,
  startService,
  stopAndClean,
  waitFor,
  waitForFinish
} from '../helpers/service.js'
import { checkDatabase, count, download, editDatabase, isWholeGzip, poll, report, runSeed, seededRandom, sleep } from './helpers.js'

/**
 * Reliability, scenario 1: SIGKILL the service while executions are queued,
 * running and packing, restart it on the same files, and check that nothing
 * is lost or stuck: running ones end `error` ("interrupted by service
 * restart"), queued ones run again, the dead service's `oc` processes are
 * stopped, no half-written archive is ever served, no directory is orphaned.
 */
const KILLS = count(5, 20)
const ENV = { MAX_CONCURRENT: '2', MAX_QUEUED: '100', CANCEL_GRACE: '1s', POST_RATE_LIMIT: '0' }
/** What each round queues: a run that packs ~5 MiB, a slow one, a quick one. */
const ROUND = ['size-5m', 'slow-2_lines-2000', 'v1']
/**
 * Where a round's kill lands: after a run entered this phase (plus a random
 * delay), or (`any`) after a random delay alone. Cycling through them makes
 * sure every count of kills hits packing, gathering and the queue.
 */
const AIMS = ['packing', 'gathering', 'any'] as const

const FINAL = new Set(['completed', 'error'])

const cleanups: Array<() => Promise<void>> = []
after(async () => {
  const errors: unknown[] = []
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => errors.push(error))
  if (errors.length > 0) throw errors[0]
})

/** Every gathering, via the API. */
async function all (service: RunningService): Promise<any[]> {
  return (await service.json<any[]>('/must-gather')).body
}

/** Files the records do not explain: orphan directories, partial archives, unpacked trees of finished runs. */
function strayFiles (service: RunningService, records: any[]): string[] {
  const byId = new Map(records.map((g) => [g.id as number, g]))
  const stray: string[] = []
  for (const name of readdirSync(service.dataDir)) {
    const g = byId.get(Number(name))
    if (!/^\d+$/.test(name) || g === undefined) {
      stray.push(`${name}/ (no record)`)
      continue
    }
    for (const entry of readdirSync(join(service.dataDir, name))) {
      if (entry === 'output.log') continue
      // An archive, its index (and nested copies) and its summary, only with an archive on record.
      if (['archive.tar.gz', 'archive.tar.gz.idx', 'archive.tar.gz.idx.nested', 'summary.json'].includes(entry) && g['archive-name'] !== '') continue
      const destination = `must-gather.local.${name}`
      if (entry === destination && (!FINAL.has(g.status) || readdirSync(join(service.dataDir, name, entry)).length === 0)) continue
      stray.push(`${name}/${entry} (${g.status}${g['archive-name'] !== '' ? ', archived' : ''})`)
    }
  }
  return stray
}

describe('reliability: crash mid-run', () => {
  it(`SIGKILL at ${KILLS} random points while executions are queued, running and packing: nothing stuck, lost or half-written`, async (t) => {
    const seed = runSeed()
    const random = seededRandom(seed)
    t.diagnostic(`seed ${seed} (RELIABILITY_SEED=${seed} repeats the kill points)`)
    let service = await startService({ env: ENV })
    const dir = service.dir
    cleanups.push(async () => {
      await service.stop()
      removeDir(dir)
    })
    const figures = { atQueued: 0, atRunning: 0, atPacking: 0, interrupted: 0, orphans: 0, corrupt: 0, downloads: 0 }
    const requeued = new Set<number>()
    const posted: number[] = []

    for (let round = 0; round < KILLS; round++) {
      for (const tag of ROUND) {
        const { status, body } = await service.post({ image: `${SIM_IMAGE}:${tag}`, 'custom-name': `round-${round}-${tag}` })
        assert.equal(status, 201, JSON.stringify(body))
        posted.push(body.id)
      }
      const aim = AIMS[round % AIMS.length] as typeof AIMS[number]
      if (aim === 'any') {
        await sleep(200 + random() * 2300)
      } else {
        await poll(async () => (await all(service)).some((g) => g.status === 'inprogress' && (g.phase === aim || (aim === 'gathering' && g.phase === 'downloading'))),
          `a run to be ${aim}`, 30_000, 25)
        await sleep(random() * (aim === 'packing' ? 100 : 500))
      }
      // Where the kill lands, from the service's own view just before it.
      const before = await all(service)
      const phases = before.filter((g) => g.status === 'inprogress').map((g) => g.phase as string)
      if (phases.includes('packing')) figures.atPacking++
      if (phases.some((p) => p !== 'packing')) figures.atRunning++
      if (before.some((g) => g.status === 'new')) figures.atQueued++
      await service.kill()

      // The database as the crash left it: sound, with every acknowledged execution in it.
      const db = checkDatabase(service.dbPath)
      if (db.integrity !== 'ok') figures.corrupt++
      assert.equal(db.integrity, 'ok')
      for (const id of posted) assert.ok(db.ids.has(id), `execution ${id} was acknowledged (201) but is not in the database`)
      const wasRunning = db.running.map((r) => r.id)
      const wasQueued = [...db.ids].filter(([, status]) => status === 'new').map(([id]) => id)
      const orphans = wasRunning.filter((id) => runProcesses(service, id).length > 0)
      figures.orphans += orphans.length

      service = await startService({ dir, env: ENV })
      // Recovery is done before the service listens: no record is left as the dead process had it.
      for (const id of wasRunning) {
        const g = (await service.json(`/must-gather/${id}`)).body
        assert.equal(g.status, 'error', `execution ${id} was running at the kill`)
        assert.equal(g['error-message'], 'interrupted by service restart')
        assert.ok(g['finished-at'])
        figures.interrupted++
      }
      for (const id of wasQueued) {
        const g = (await service.json(`/must-gather/${id}`)).body
        assert.ok(['new', 'inprogress', 'completed'].includes(g.status), `queued execution ${id} runs again, not ${g.status}: ${g['error-message']}`)
        requeued.add(id)
      }
      await waitFor(() => orphans.every((id) => runProcesses(service, id).length === 0),
        `the dead service's oc processes (executions ${orphans.join(', ')}) to be stopped`, 10_000)
      // Right after a restart, too: no directory without a record, no archive offered that is not whole.
      for (const name of readdirSync(service.dataDir)) assert.ok(db.ids.has(Number(name)), `directory ${name} has no record`)
      for (const g of await all(service)) {
        if (!FINAL.has(g.status) || g['archive-name'] === '') continue
        const file = await download(service, g.id)
        assert.equal(file.sha256, g['archive-sha256'], `archive of ${g.id} after kill ${round + 1}: as recorded`)
        figures.downloads++
      }
    }

    // The last service runs everything that is left; then records and files must agree.
    const records = await waitFor(async () => {
      const list = await all(service)
      return list.every((g) => FINAL.has(g.status)) ? list : undefined
    }, 'every execution to reach a final state', 180_000)
    assert.deepEqual(records.map((g) => g.id).sort((a, b) => a - b), posted, 'every acknowledged execution is there, and nothing else')
    const settled = await waitFor(async () => {
      const list = await all(service)
      return strayFiles(service, list).length === 0 ? list : undefined
    }, 'leftovers to be packed and stray files removed', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${strayFiles(service, records).join(', ')}`)
    })

    let archives = 0
    for (const g of settled) {
      if (g['archive-name'] === '') {
        assert.equal((await service.fetch(`/must-gather/${g.id}/data`)).status, 404)
        continue
      }
      const file = await download(service, g.id)
      assert.equal(file.status, 200)
      assert.equal(file.bytes.length, g['archive-size'], `archive of ${g.id}: size as recorded`)
      assert.equal(file.sha256, g['archive-sha256'], `archive of ${g.id}: sha256 as recorded`)
      assert.ok(isWholeGzip(file.bytes), `archive of ${g.id} is a whole gzip stream`)
      archives++
    }
    const completed = settled.filter((g) => g.status === 'completed').length
    const interrupted = settled.filter((g) => g['error-message'] === 'interrupted by service restart').length
    assert.equal(completed + interrupted, settled.length, 'every execution either completed or was interrupted by a kill')
    await stopAndClean(service)
    report(t, 'crash mid-run', `${KILLS} kills (${figures.atPacking} while packing, ${figures.atRunning} while gathering, ${figures.atQueued} with a queue), ` +
      `${settled.length} executions: ${figures.interrupted} interrupted, ${requeued.size} queued at a kill and run after it, ${completed} completed; ` +
      `${figures.orphans} orphan oc stopped, 0 stuck, ${figures.corrupt} corrupt, ${archives} archives verified whole at the end (and ${figures.downloads} downloads checked between kills), ` +
      '0 stray files')
  })
})

describe('reliability: crash at exact points', () => {
  /**
   * The states two kill points leave, built exactly: a service runs one quick
   * gathering to the end (keeping its unpacked files) and one slow one, is
   * killed, and the database is edited to what a kill a moment earlier would
   * have left; then one restart recovers both.
   */
  let second: RunningService
  let renamed: { id: number, sha256: string, destination: string }
  let unrecorded: number
  before(async () => {
    const first = await startService({ env: { ...ENV, KEEP_GATHERED_FILES: 'true' } })
    cleanups.push(async () => stopAndClean(first))
    const quick = (await first.post({ image: `${SIM_IMAGE}:lines-10_size-100k` })).body.id as number
    unrecorded = (await first.post({ image: `${SIM_IMAGE}:slow-30` })).body.id as number
    const done = await waitForFinish(first, quick)
    assert.equal(done.status, 'completed')
    const [oc] = await waitFor(() => {
      const pids = runProcesses(first, unrecorded)
      return pids.length > 0 && pids
    }, 'oc to run')
    cleanups.push(async () => {
      // Whatever the outcome, the orphan must not outlive the test.
      try { process.kill(-(oc as number), 'SIGKILL') } catch {}
    })
    await sleep(300)
    await first.kill()
    // A kill between rename(archive.tar.gz.partial → archive.tar.gz) and the final write (and the removal of the unpacked files).
    editDatabase(first.dbPath, `UPDATE gatherings SET status = 'inprogress', archive_name = '', archive_size = 0, archive_sha256 = '',
      finished_at = NULL WHERE id = ?`, quick)
    renamed = { id: quick, sha256: done['archive-sha256'], destination: join(first.dataDir, String(quick), `must-gather.local.${quick}`) }
    assert.ok(existsSync(renamed.destination))
    // A kill between spawning oc and writing its pid to the database.
    editDatabase(first.dbPath, 'UPDATE gatherings SET pid = NULL, pid_start = NULL WHERE id = ?', unrecorded)
    second = await startService({ dir: first.dir, env: ENV })
    cleanups.push(async () => { await second.stop() })
  })

  it('killed after the archive was renamed into place but before the final state was written: archive served, unpacked files removed', async () => {
    const g = (await second.json(`/must-gather/${renamed.id}`)).body
    assert.equal(g.status, 'error')
    assert.equal(g['error-message'], 'interrupted by service restart')
    const file = await download(second, renamed.id)
    assert.equal(file.sha256, renamed.sha256, 'the whole archive is served')
    await waitFor(() => !existsSync(renamed.destination), 'the unpacked files to be removed')
  })

  it('killed between starting oc and recording its pid: the orphan oc is still found and stopped', async () => {
    assert.equal((await second.json(`/must-gather/${unrecorded}`)).body.status, 'error')
    await waitFor(() => runProcesses(second, unrecorded).length === 0, 'the orphan oc to be stopped')
  })
})
