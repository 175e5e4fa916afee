import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import type { GatheringResult } from '../../src/gatherings/types.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import type { GatheringStore } from '../../src/storage/types.js'
import { type InProcessApp, inProcessApp } from '../helpers/in-process.js'

/**
 * Route behaviour that needs no real process, in process through `app.inject`:
 * validation and its wire names, error mapping, versions and ETags with a
 * clock the test moves, the 500 path. Runs, restarts and downloads are tested
 * against the real process elsewhere (must-gather.*.test.ts).
 */

const finished: GatheringResult = { status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 3, archiveSha256: 'ab', outputTail: 'done\n', outputSize: 5 }

describe('POST /must-gather in process: every refusal names the field as sent, and records nothing', () => {
  let t: InProcessApp
  before(async () => { t = await inProcessApp() })
  after(async () => await t.close())

  const post = async (payload: string): Promise<{ status: number, body: Record<string, unknown> }> => {
    const response = await t.app.inject({ method: 'POST', url: '/must-gather', payload, headers: { 'content-type': 'application/json' } })
    return { status: response.statusCode, body: response.json() }
  }

  for (const [what, payload, field, message] of [
    ['a control character in custom-name', '{"custom-name": "a\\u0007b"}', 'custom-name', 'custom-name must not contain control characters'],
    ['a lone surrogate in source-dir', '{"source-dir": "\\udc00"}', 'source-dir', 'source-dir must be valid Unicode text (it holds a lone surrogate)'],
    ['an image stream without namespace', '{"image-stream": "mg:latest"}', 'image-stream', /unable to resolve image stream 'mg:latest'/],
    ['all-images with node-name', '{"all-images": true, "node-name": "n1"}', 'node-name', '--node-name and --all-images are mutually exclusive: please specify one or the other'],
    ['node-name with node-selector', '{"node-name": "n1", "node-selector": "a=b"}', 'node-name', /mutually exclusive/],
    ['a bad node-selector', '{"node-selector": "a in (b"}', 'node-selector', /is not a label selector/],
    ['a bad run-namespace', '{"run-namespace": "My_NS"}', 'run-namespace', /not a valid namespace name/],
    ['since-time not RFC 3339', '{"since-time": "yesterday"}', 'since-time', /RFC3339/],
    ['volume-percentage 0', '{"volume-percentage": 0}', 'volume-percentage', /between 0 and 100/],
    ['a zero timeout', '{"timeout": "0s"}', 'timeout', 'timeout must be greater than zero, got "0s"'],
    ['an unknown field', '{"dest-dir": "/tmp"}', 'dest-dir', 'unknown field "dest-dir"'],
    ['a wrong type', '{"keep": "yes"}', 'keep', 'keep must be a boolean (true or false)'],
    ['not JSON', '{"image": ', 'body', /request body is not valid JSON/],
    ['a __proto__ key', '{"__proto__": {"isAdmin": true}}', 'body', 'request body is not valid JSON: it holds a "__proto__" or "constructor.prototype" key'],
    ['a constructor.prototype key', '{"image": "quay.io/a/b", "constructor": {"prototype": {"x": 1}}}', 'body', /constructor\.prototype/]
  ] as Array<[string, string, string, string | RegExp]>) {
    it(`${what} → 400, field "${field}"`, async () => {
      const versionBefore = await t.store.listVersion()
      const { status, body } = await post(payload)
      assert.equal(status, 400)
      assert.equal(body.field, field)
      if (typeof message === 'string') assert.equal(body.error, message)
      else assert.match(String(body.error), message)
      assert.equal(await t.store.listVersion(), versionBefore, 'nothing was written')
    })
  }

  it('an empty body is accepted with the defaults', async () => {
    const { status, body } = await post('')
    assert.equal(status, 201)
    assert.equal(body.status, 'new')
    assert.equal(body.timeout, '20m')
  })
})

describe('GET in process: versions follow the database and the clock', () => {
  let t: InProcessApp
  before(async () => { t = await inProcessApp() })
  after(async () => await t.close())

  it('a list cached by one process is not served stale after another process on the same database writes', async () => {
    const other = await t.another()
    const first = await t.app.inject({ url: '/must-gather' })
    const again = await t.app.inject({ url: '/must-gather', headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(again.statusCode, 304)
    const created = await other.inject({ method: 'POST', url: '/must-gather', payload: {} })
    assert.equal(created.statusCode, 201)
    const after = await t.app.inject({ url: '/must-gather', headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(after.statusCode, 200, 'the other process\'s insert changes this process\'s list version')
    assert.ok((after.json() as Array<{ id: number }>).some((g) => g.id === created.json().id))
    assert.notEqual(after.headers.etag, first.headers.etag)
  })

  it('a running execution\'s elapsed time moves with the clock, and its ETag with it, not within a second', async () => {
    const { options } = validateRequest({ timeout: '1h' }, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 6 * 3600_000 })
    const g = await t.store.insert({ customName: 'clocked', options, createdAt: t.clock.now().toISOString(), createdBy: '' })
    await t.store.markStarted(g.id, t.clock.now().toISOString())
    t.clock.advance(10_000)
    const first = await t.app.inject({ url: `/must-gather/${g.id}` })
    assert.equal(first.json().progress['elapsed-seconds'], 10)
    assert.equal(first.json().phase, 'starting', 'a record running in no process here says only that it started')
    t.clock.advance(400)
    const same = await t.app.inject({ url: `/must-gather/${g.id}`, headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(same.statusCode, 304, 'within the same second, the same answer')
    t.clock.advance(1000)
    const later = await t.app.inject({ url: `/must-gather/${g.id}`, headers: { 'if-none-match': String(first.headers.etag) } })
    assert.equal(later.statusCode, 200)
    assert.equal(later.json().progress['elapsed-seconds'], 11)
    await t.store.finish(g.id, finished, t.clock.now().toISOString())
    const done = await t.app.inject({ url: `/must-gather/${g.id}` })
    assert.deepEqual([done.json().status, done.json().phase, done.json()['exec-output']], ['completed', 'done', 'done\n'])
    t.clock.advance(60_000)
    const stillDone = await t.app.inject({ url: `/must-gather/${g.id}`, headers: { 'if-none-match': String(done.headers.etag) } })
    assert.equal(stillDone.statusCode, 304, 'a finished execution does not change with time')
  })

  it('unknown executions and routes are 404 in JSON', async () => {
    const missing = await t.app.inject({ url: '/must-gather/999999' })
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), { error: 'must-gather execution "999999" not found' })
    const route = await t.app.inject({ url: '/nowhere' })
    assert.deepEqual([route.statusCode, route.json()], [404, { error: 'no route GET /nowhere' }])
  })
})

describe('the 500 path in process', () => {
  let t: InProcessApp
  /** A real store whose reads of one record fail, as a broken database would. */
  class FailingStore extends SqliteGatheringStore {
    override async get (id: number): ReturnType<GatheringStore['get']> {
      if (id === 4242) throw new Error('disk I/O error at /secret/path/gatherings.db')
      return await super.get(id)
    }
  }
  before(async () => { t = await inProcessApp({ store: (path) => new FailingStore(path) }) })
  after(async () => await t.close())

  it('answers 500 with a generic JSON body that leaks nothing, and keeps serving', async () => {
    const broken = await t.app.inject({ url: '/must-gather/4242' })
    assert.equal(broken.statusCode, 500)
    assert.deepEqual(broken.json(), { error: 'internal server error' })
    assert.ok(!broken.body.includes('secret'))
    assert.equal((await t.app.inject({ url: '/must-gather' })).statusCode, 200)
  })
})

describe('queue limits in process', () => {
  let t: InProcessApp
  before(async () => { t = await inProcessApp({ env: { MAX_CONCURRENT: '1', MAX_QUEUED: '1' } }) })
  after(async () => await t.close())

  it('answers 429 with Retry-After once MAX_CONCURRENT + MAX_QUEUED wait, recording nothing', async () => {
    // Nothing runs in process: one execution takes the free slot's place, one the queue's.
    for (let i = 0; i < 2; i++) assert.equal((await t.app.inject({ method: 'POST', url: '/must-gather', payload: {} })).statusCode, 201)
    const versionBefore = await t.store.listVersion()
    const full = await t.app.inject({ method: 'POST', url: '/must-gather', payload: {} })
    assert.equal(full.statusCode, 429)
    assert.equal(full.headers['retry-after'], '10')
    assert.match(full.json().error, /MAX_QUEUED=1/)
    assert.equal(await t.store.listVersion(), versionBefore)
  })
})
