import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, beforeEach, describe, it } from 'node:test'

import { GatheringCreator } from '../../src/gatherings/create-gathering.js'
import { QueueFullError, ShuttingDownError, StorageFullError, ValidationError } from '../../src/gatherings/errors.js'
import { GatheringPaths } from '../../src/gatherings/paths.js'
import { AmbientCredentials } from '../../src/gatherings/run-credentials.js'
import { GatheringRunner } from '../../src/gatherings/runner.js'
import { StorageQuota } from '../../src/gatherings/storage-quota.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { defaultRedactionPlan } from '../../src/redaction/index.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import { RecordingLogger } from '../helpers/quiet-logger.js'

/**
 * The domain's one way in: a request that will be refused changes nothing,
 * least of all another execution's archive. A real store, real files, the
 * real queue and quota; nothing runs (the runner is never started).
 */

const root = mkdtempSync(join(tmpdir(), 'mgs-create-'))
after(() => rmSync(root, { recursive: true, force: true }))
const defaults = { defaultImage: 'quay.io/a/b', defaultTimeout: '20m', maxTimeoutMs: 3600_000 }
const now = (): string => new Date().toISOString()

let n = 0
let store: SqliteGatheringStore
let paths: GatheringPaths
let runner: GatheringRunner
/** An older execution whose archive MIN_FREE_SPACE could expire. */
let archived: number

function setUp (limits: { maxConcurrent: number, maxQueued: number }, minFreeBytes: number): GatheringCreator {
  const dir = join(root, String(++n))
  store = new SqliteGatheringStore(join(dir, 'gatherings.db'))
  paths = new GatheringPaths(join(dir, 'data'))
  mkdirSync(paths.root, { recursive: true })
  const logger = new RecordingLogger()
  runner = new GatheringRunner({
    store,
    replica: 'test',
    leaseMs: 30_000,
    paths,
    logger,
    ocPath: '/nonexistent/oc',
    ocEnv: {},
    credentials: new AmbientCredentials(true),
    ...limits,
    archiveFilename: 'must-gather.tar.gz',
    timeoutGraceMs: 1000,
    cancelGraceMs: 1000,
    outputTailLimit: 1024,
    keepGatheredFiles: false,
    redaction: { plan: defaultRedactionPlan(), binaryFiles: 'omit' }
  })
  // A real disk never has this much free: room can only be made by expiring archives.
  const quota = new StorageQuota({ store, paths, maxBytes: undefined, minFreeBytes, logger, now })
  return new GatheringCreator({ store, queue: runner, quota, defaults, imagePolicy: { allowedImages: [], allowedImageStreams: [] }, serverRefusal: () => undefined, now })
}

async function addArchived (): Promise<void> {
  const { options } = validateRequest({}, defaults)
  const g = await store.insert({ customName: 'old', options, createdAt: now(), createdBy: 'alice' })
  mkdirSync(paths.dir(g.id), { recursive: true })
  writeFileSync(paths.archive(g.id), 'archive bytes')
  await store.finish(g.id, { status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 13, archiveSha256: 'ab', outputTail: '', outputSize: 0 }, now())
  archived = g.id
}

async function assertArchiveKept (): Promise<void> {
  const g = await store.get(archived)
  assert.equal(g?.expiredAt, null, 'the other execution\'s archive was not expired')
  assert.ok(existsSync(paths.archive(archived)), 'its file is still there')
}

describe('GatheringCreator', () => {
  afterEach(async () => {
    await runner.stop(0)
    await store.close()
  })

  describe('with a full queue and a disk that wants room', () => {
    let creator: GatheringCreator
    beforeEach(async () => {
      creator = setUp({ maxConcurrent: 1, maxQueued: 0 }, Number.MAX_SAFE_INTEGER)
      await addArchived()
      // The one place (a free slot) is taken.
      const { options } = validateRequest({}, defaults)
      await store.insert({ customName: 'waiting', options, createdAt: now(), createdBy: '' })
    })

    it('refuses with QueueFullError before making room: no archive expires', async () => {
      const versionBefore = await store.listVersion()
      await assert.rejects(creator.create({}, { username: 'bob', token: undefined }), QueueFullError)
      await assertArchiveKept()
      assert.equal(await store.listVersion(), versionBefore, 'nothing at all was written')
    })

    it('refuses a request that fails validation or policy before anything else', async () => {
      await assert.rejects(creator.create({ nodeName: 'Bad_Name' }, { username: 'bob', token: undefined }), (error: unknown) =>
        error instanceof ValidationError && error.field === 'nodeName')
      await assertArchiveKept()
    })
  })

  it('refuses with ShuttingDownError once shutdown began: no archive expires', async () => {
    const creator = setUp({ maxConcurrent: 1, maxQueued: 10 }, Number.MAX_SAFE_INTEGER)
    await addArchived()
    await runner.stop(0)
    await assert.rejects(creator.create({}, { username: 'bob', token: undefined }), ShuttingDownError)
    await assertArchiveKept()
  })

  it('gives the queue place back when there is no room: the next request is admitted', async () => {
    const creator = setUp({ maxConcurrent: 1, maxQueued: 0 }, Number.MAX_SAFE_INTEGER)
    await assert.rejects(creator.create({}, { username: 'bob', token: undefined }), StorageFullError)
    assert.deepEqual(await store.listKeys({}), [], 'nothing recorded')
    // The one place is free again (it would throw QueueFullError otherwise).
    ;(await runner.admit('')).cancel()
  })

  it('records and queues an admitted request with the caller\'s name', async () => {
    const creator = setUp({ maxConcurrent: 1, maxQueued: 0 }, 0)
    const g = await creator.create({ customName: 'mine', timeout: '90' }, { username: 'carol', token: 'secret-token' })
    assert.deepEqual([g.status, g.customName, g.createdBy, g.options.timeout], ['new', 'mine', 'carol', '90s'])
    assert.equal(runner.queuedCount, 1)
    await assert.rejects(runner.admit(''), QueueFullError, 'its place is taken')
  })
})
