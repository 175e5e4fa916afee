import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { type RunningService, startService, stopAndClean } from '../helpers/service.js'
import { checkDatabase, count, report, runSeed, seededRandom, sleep, writeExecutable } from './helpers.js'

/**
 * Reliability, scenario 2: SIGKILL the service at random moments while it
 * writes to SQLite as fast as it can (inserts from a POST storm, deletes,
 * and the runner's start/pid/output/finish updates of quick runs). After each
 * kill, the files exactly as the crash left them must pass `PRAGMA
 * integrity_check` and hold every write the service had acknowledged; and the
 * service must start on them again.
 */
const KILLS = count(6, 50)
const WORKERS = 8

/** A stand-in oc that prints a line and ends at once: many runs, so many runner writes (start, pid, output, finish). */
const QUICK_OC = `#!/bin/bash
[ "$1" = version ] && { echo "Client Version: 4.17.0"; exit 0; }
echo "[must-gather      ] OUT nothing to gather"
`

let service: RunningService | undefined
after(async () => { if (service !== undefined) await stopAndClean(service) })

describe('reliability: crash during database writes', () => {
  it(`SIGKILL at ${KILLS} random moments of a write storm: integrity_check ok, no acknowledged write lost`, async (t) => {
    const seed = runSeed()
    const random = seededRandom(seed)
    t.diagnostic(`seed ${seed} (RELIABILITY_SEED=${seed} repeats the kill points)`)
    const dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
    const oc = join(dir, 'bin', 'oc')
    writeExecutable(oc, QUICK_OC)
    const env = { OC_PATH: oc, MAX_CONCURRENT: '4', MAX_QUEUED: '100000', POST_RATE_LIMIT: '0' }

    /** Ids whose POST was answered 201, and whose DELETE was answered 204. */
    const created = new Set<number>()
    const deleted = new Set<number>()
    let writes = 0
    let rows = 0

    for (let round = 0; round < KILLS; round++) {
      service = await startService({ dir, env })
      const current = service
      const roundState = { stopped: false }
      const deleting = new Set<number>()
      const worker = async (): Promise<void> => {
        while (!roundState.stopped) {
          try {
            const candidates = [...created].filter((id) => !deleted.has(id) && !deleting.has(id))
            if (random() < 0.25 && candidates.length > 0) {
              const id = candidates[Math.floor(random() * candidates.length)] as number
              deleting.add(id)
              const response = await current.fetch(`/must-gather/${id}`, { method: 'DELETE' })
              if (response.status === 204) {
                deleted.add(id)
                writes++
              }
              deleting.delete(id)
            } else {
              const { status, body } = await current.post({ 'custom-name': `round-${round}`, command: ['x'.repeat(Math.floor(random() * 1000))] })
              if (status === 201) {
                created.add(body.id)
                writes++
              }
            }
          } catch {
            return // the service is gone: this round is over
          }
        }
      }
      // The first request loads the validators: only then does the storm run at full speed.
      const warm = await current.post({ 'custom-name': `round-${round}` })
      assert.equal(warm.status, 201)
      created.add(warm.body.id)
      writes++
      const workers = Array.from({ length: WORKERS }, worker)
      await sleep(100 + random() * 900)
      await current.kill()
      roundState.stopped = true
      await Promise.all(workers)

      const db = checkDatabase(current.dbPath)
      assert.equal(db.integrity, 'ok', `integrity_check after kill ${round + 1}`)
      for (const id of created) {
        if (deleted.has(id)) assert.equal(db.ids.has(id), false, `execution ${id} was deleted (204) but is back after kill ${round + 1}`)
        else if (!deleting.has(id)) assert.ok(db.ids.has(id), `execution ${id} was acknowledged (201) but is lost after kill ${round + 1}`)
      }
      // A DELETE cut short by the kill may have happened or not; either way it is settled now.
      for (const id of deleting) if (!db.ids.has(id)) deleted.add(id)
      rows = db.ids.size
    }

    // The service starts on what the last kill left, and shuts down cleanly.
    service = await startService({ dir, env })
    assert.equal((await service.json('/readyz')).body.checks.database.ok, true)
    assert.equal(await service.stop(), 0)
    assert.equal(checkDatabase(service.dbPath).integrity, 'ok')
    report(t, 'crash during a database write', `${KILLS} kills during ${writes} acknowledged writes (${created.size} inserts, ${deleted.size} deletes, ` +
      `plus the runs' updates; ${rows} rows at the end): ${KILLS} × integrity_check ok, 0 acknowledged writes lost`)
  })
})
