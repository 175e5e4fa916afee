import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { recordFinalState } from '../../src/gatherings/final-state.js'
import { GatheringPaths } from '../../src/gatherings/paths.js'
import { AmbientCredentials } from '../../src/gatherings/run-credentials.js'
import { GatheringRunner } from '../../src/gatherings/runner.js'
import type { GatheringResult } from '../../src/gatherings/types.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { defaultRedactionPlan } from '../../src/redaction/index.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import { RecordingLogger } from '../helpers/quiet-logger.js'

/** A real store whose `finish` fails while `failing` says so, as a locked or full database would. */
class FlakyStore extends SqliteGatheringStore {
  failures = 0
  failing = (): boolean => false
  override async finish (...args: Parameters<SqliteGatheringStore['finish']>): Promise<boolean> {
    if (this.failing()) {
      this.failures++
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    }
    return await super.finish(...args)
  }
}

const root = mkdtempSync(join(tmpdir(), 'mgs-final-'))
after(() => rmSync(root, { recursive: true, force: true }))
const { options } = validateRequest({}, { defaultImage: 'quay.io/a/b', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
/** What markStarted gives a first run by replica 'test'. */
const claim = { replica: 'test', attempt: 1 }
const result: GatheringResult = { status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 1, archiveSha256: 'ab', outputTail: 'end', outputSize: 3 }

async function runningGathering (store: SqliteGatheringStore): Promise<number> {
  const g = await store.insert({ customName: '', options, createdAt: new Date().toISOString(), createdBy: '' })
  await store.markStarted(g.id, new Date().toISOString(), 'test')
  return g.id
}

describe('recordFinalState', () => {
  it('retries a failing final write until it is written', async () => {
    const store = new FlakyStore(join(root, 'retry.db'))
    const id = await runningGathering(store)
    store.failing = () => store.failures < 2
    const logger = new RecordingLogger()
    const written = await recordFinalState(id, result, new Date().toISOString(), { store, claim, logger, signal: new AbortController().signal })
    assert.equal(written, true)
    assert.equal(store.failures, 2)
    assert.equal((await store.get(id))?.status, 'completed')
    assert.equal(logger.lines.filter((l) => l.level === 'error').length, 2, 'each failure is logged')
    assert.ok(logger.lines.some((l) => l.message === 'Recorded the final state after retrying.'))
    await store.close()
  })

  it('gives up when shutdown comes; the next start ends the record "interrupted by service restart"', async () => {
    const path = join(root, 'never.db')
    const store = new FlakyStore(path)
    const id = await runningGathering(store)
    let failingAgain = (): void => {}
    const failedTwice = new Promise<void>((resolve) => { failingAgain = resolve })
    store.failing = () => {
      if (store.failures === 1) failingAgain()
      return true
    }
    const shutdown = new AbortController()
    const logger = new RecordingLogger()
    const writing = recordFinalState(id, result, new Date().toISOString(), { store, claim, logger, signal: shutdown.signal })
    // Shut down while it retries.
    await failedTwice
    shutdown.abort()
    assert.equal(await writing, false)
    assert.equal((await store.get(id))?.status, 'inprogress', 'the record was left as it was')
    assert.ok(logger.lines.some((l) => l.message === 'Recording the final state failed; the next start marks it interrupted.'))
    await store.close()

    // The next start: recovery ends it.
    const again = new SqliteGatheringStore(path)
    const paths = new GatheringPaths(join(root, 'never-data'))
    mkdirSync(paths.root, { recursive: true })
    const runner = new GatheringRunner({
      store: again,
      replica: 'test',
      leaseMs: 30_000,
      paths,
      logger: new RecordingLogger(),
      ocPath: '/nonexistent/oc',
      ocEnv: {},
      credentials: new AmbientCredentials(true),
      maxConcurrent: 1,
      maxQueued: 1,
      archiveFilename: 'must-gather.tar.gz',
      timeoutGraceMs: 1000,
      cancelGraceMs: 100,
      outputTailLimit: 1024,
      keepGatheredFiles: false,
      redaction: { plan: defaultRedactionPlan(), binaryFiles: 'omit' }
    })
    await runner.recover()
    const recovered = await again.get(id)
    assert.deepEqual([recovered?.status, recovered?.errorMessage], ['error', 'interrupted by service restart'])
    await runner.stop(0)
    await again.close()
  })
})
