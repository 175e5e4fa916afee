import assert from 'node:assert/strict'
import type { Readable } from 'node:stream'
import { describe, it } from 'node:test'

import type { Phase } from '../../src/gatherings/phase.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { GatheringViews, type LiveRuns } from '../../src/http/views/gathering-views.js'
import { ResponseCache } from '../../src/http/views/response-cache.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'

const { options } = validateRequest({}, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
const done = { status: 'completed' as const, errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 1, archiveSha256: 'ab', outputSize: 3 }

/** A real store (in memory), runs whose live state the test sets, and a clock it moves. */
function setup () {
  const store = new SqliteGatheringStore(':memory:')
  const live = new Map<number, { output: string, phase: Phase }>()
  const runs: LiveRuns = {
    liveOutput: (id) => {
      const run = live.get(id)
      return run && { size: run.output.length, tail: (limit) => run.output.slice(-limit) }
    },
    livePhase: (id) => live.get(id)?.phase,
    liveVersion: () => [...live].map(([id, run]) => `${id}:${run.output.length}:${run.phase}`).join(',')
  }
  let now = Date.parse(at(100))
  const cache = new ResponseCache(1e6)
  const entries = new ResponseCache(1e6)
  const views = new GatheringViews({ store, databaseId: 'test-db', release: 'test', runs, cache, entries, execOutputLimit: 1000, listOutputLimit: 5, now: () => new Date(now) })
  const tick = (ms: number) => { now += ms }
  return { store, live, views, cache, entries, tick }
}

function parse (body: Buffer | Readable): Array<Record<string, any>> {
  assert.ok(Buffer.isBuffer(body))
  return JSON.parse(body.toString()) as Array<Record<string, any>>
}

describe('GatheringViews', () => {
  it('builds a list again after a change from the unchanged entries, and the changed ones anew', async () => {
    const { store, views, entries } = setup()
    for (let i = 1; i <= 3; i++) {
      const g = await store.insert({ customName: `g${i}`, options, createdAt: at(i), createdBy: '' })
      await store.markStarted(g.id, at(i))
      await store.finish(g.id, { ...done, outputTail: `out ${i}`, outputSize: 5 }, at(i + 1))
    }
    const first = parse(await views.list({}, {}))
    assert.deepEqual(first.map((g) => [g.id, g['exec-output'], g.expired]), [[3, 'out 3', false], [2, 'out 2', false], [1, 'out 1', false]])
    await store.expireArchive(2, at(50), 'gone')
    const hitsBefore = entries.stats().hits
    const second = parse(await views.list({}, {}))
    assert.deepEqual(second.map((g) => [g.id, g.expired, g['archive-name']]), [[3, false, 'a.tar.gz'], [2, true, ''], [1, false, 'a.tar.gz']])
    assert.equal(entries.stats().hits - hitsBefore, 2, 'the two unchanged entries came from the entry cache')
    assert.deepEqual(second[0], first[0])
  })

  it('shows running executions live, never from a cache, and their elapsed time as it passes', async () => {
    const { store, live, views, tick } = setup()
    const g = await store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    await store.markStarted(g.id, at(90))
    live.set(g.id, { output: 'first line\n', phase: 'gathering' })
    const running = await store.get(g.id)
    assert.ok(running !== undefined)
    const before = { version: views.version(running), list: await views.listVersion({}, {}), one: JSON.parse((await views.one(running)).toString()) }
    assert.equal(before.one['exec-output'], 'first line\n')
    assert.equal(before.one.progress['elapsed-seconds'], 10)
    assert.equal(before.one.phase, 'gathering')
    assert.equal(parse(await views.list({}, {}))[0]?.['exec-output'], 'line\n')

    tick(1000)
    assert.notEqual(views.version(running), before.version, 'a second later, a new version')
    assert.notEqual(await views.listVersion({}, {}), before.list)
    assert.equal(JSON.parse((await views.one(running)).toString()).progress['elapsed-seconds'], 11)

    live.set(g.id, { output: 'first line\nsecond\n', phase: 'downloading' })
    const later = parse(await views.list({}, {}))[0]
    assert.deepEqual([later?.['exec-output'], later?.phase, later?.progress['output-bytes']], ['cond\n', 'downloading', 18])
  })

  it('gives one body per version: elapsed time in whole seconds of the clock', async () => {
    const { store, live, views, tick } = setup()
    const g = await store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    // Started at .300 of a second; asked at .200 and .900 of a later one.
    await store.markStarted(g.id, new Date(Date.parse(at(90)) + 300).toISOString())
    live.set(g.id, { output: 'quiet\n', phase: 'gathering' })
    const running = await store.get(g.id)
    assert.ok(running !== undefined)
    tick(200)
    const early = { version: views.version(running), body: (await views.one(running)).toString() }
    tick(700)
    assert.equal(views.version(running), early.version)
    assert.equal((await views.one(running)).toString(), early.body, 'the same version, the same bytes')
  })

  it('answers a finished execution from the cache until its revision changes', async () => {
    const { store, views, cache } = setup()
    const g = await store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    await store.finish(g.id, { ...done, outputTail: 'the end' }, at(2))
    const finished = await store.get(g.id)
    assert.ok(finished !== undefined)
    const first = await views.one(finished)
    assert.equal(await views.one(finished), first, 'the very same Buffer')
    assert.equal(cache.stats().hits, 1)
    await store.expireArchive(g.id, at(3), 'gone')
    const expired = await store.get(g.id)
    assert.ok(expired !== undefined)
    assert.notEqual(views.version(expired), views.version(finished))
    assert.equal(JSON.parse((await views.one(expired)).toString()).expired, true)
  })
})
