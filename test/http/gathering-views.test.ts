import assert from 'node:assert/strict'
import type { Readable } from 'node:stream'
import { describe, it } from 'node:test'

import type { Phase } from '../../src/gatherings/phase.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { GatheringViews, type LiveRuns } from '../../src/http/gathering-views.js'
import { ResponseCache } from '../../src/http/response-cache.js'
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
  const views = new GatheringViews({ store, runs, cache, entries, execOutputLimit: 1000, listOutputLimit: 5, now: () => new Date(now) })
  const tick = (ms: number) => { now += ms }
  return { store, live, views, cache, entries, tick }
}

function parse (body: Buffer | Readable): Array<Record<string, any>> {
  assert.ok(Buffer.isBuffer(body))
  return JSON.parse(body.toString()) as Array<Record<string, any>>
}

describe('GatheringViews', () => {
  it('builds a list again after a change from the unchanged entries, and the changed ones anew', () => {
    const { store, views, entries } = setup()
    for (let i = 1; i <= 3; i++) {
      const g = store.insert({ customName: `g${i}`, options, createdAt: at(i), createdBy: '' })
      store.markStarted(g.id, at(i))
      store.finish(g.id, { ...done, outputTail: `out ${i}`, outputSize: 5 }, at(i + 1))
    }
    const first = parse(views.list({}, {}))
    assert.deepEqual(first.map((g) => [g.id, g['exec-output'], g.expired]), [[3, 'out 3', false], [2, 'out 2', false], [1, 'out 1', false]])
    store.expireArchive(2, at(50), 'gone')
    const hitsBefore = entries.stats().hits
    const second = parse(views.list({}, {}))
    assert.deepEqual(second.map((g) => [g.id, g.expired, g['archive-name']]), [[3, false, 'a.tar.gz'], [2, true, ''], [1, false, 'a.tar.gz']])
    assert.equal(entries.stats().hits - hitsBefore, 2, 'the two unchanged entries came from the entry cache')
    assert.deepEqual(second[0], first[0])
  })

  it('shows running executions live, never from a cache, and their elapsed time as it passes', () => {
    const { store, live, views, tick } = setup()
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    store.markStarted(g.id, at(90))
    live.set(g.id, { output: 'first line\n', phase: 'gathering' })
    const running = store.get(g.id)
    assert.ok(running !== undefined)
    const before = { version: views.version(running), list: views.listVersion({}, {}), one: JSON.parse(views.one(running).toString()) }
    assert.equal(before.one['exec-output'], 'first line\n')
    assert.equal(before.one.progress['elapsed-seconds'], 10)
    assert.equal(before.one.phase, 'gathering')
    assert.equal(parse(views.list({}, {}))[0]?.['exec-output'], 'line\n')

    tick(1000)
    assert.notEqual(views.version(running), before.version, 'a second later, a new version')
    assert.notEqual(views.listVersion({}, {}), before.list)
    assert.equal(JSON.parse(views.one(running).toString()).progress['elapsed-seconds'], 11)

    live.set(g.id, { output: 'first line\nsecond\n', phase: 'downloading' })
    const later = parse(views.list({}, {}))[0]
    assert.deepEqual([later?.['exec-output'], later?.phase, later?.progress['output-bytes']], ['cond\n', 'downloading', 18])
  })

  it('gives one body per version: elapsed time in whole seconds of the clock', () => {
    const { store, live, views, tick } = setup()
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    // Started at .300 of a second; asked at .200 and .900 of a later one.
    store.markStarted(g.id, new Date(Date.parse(at(90)) + 300).toISOString())
    live.set(g.id, { output: 'quiet\n', phase: 'gathering' })
    const running = store.get(g.id)
    assert.ok(running !== undefined)
    tick(200)
    const early = { version: views.version(running), body: views.one(running).toString() }
    tick(700)
    assert.equal(views.version(running), early.version)
    assert.equal(views.one(running).toString(), early.body, 'the same version, the same bytes')
  })

  it('answers a finished execution from the cache until its revision changes', () => {
    const { store, views, cache } = setup()
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    store.finish(g.id, { ...done, outputTail: 'the end' }, at(2))
    const finished = store.get(g.id)
    assert.ok(finished !== undefined)
    const first = views.one(finished)
    assert.equal(views.one(finished), first, 'the very same Buffer')
    assert.equal(cache.stats().hits, 1)
    store.expireArchive(g.id, at(3), 'gone')
    const expired = store.get(g.id)
    assert.ok(expired !== undefined)
    assert.notEqual(views.version(expired), views.version(finished))
    assert.equal(JSON.parse(views.one(expired).toString()).expired, true)
  })
})
