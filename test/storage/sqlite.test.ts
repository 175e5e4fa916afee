import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import Database from 'better-sqlite3'

import { validateRequest } from '../../src/gatherings/validate-request.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'mgs-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const { options } = validateRequest({ image: 'quay.io/a/b' }, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()

describe('SqliteGatheringStore', () => {
  it('persists to a real file in WAL mode and reopens it', () => {
    const path = join(dir, 'reopen.db')
    const store = new SqliteGatheringStore(path)
    const created = store.insert({ customName: 'x', options, createdAt: at(1), createdBy: 'alice' })
    store.close()
    const again = new SqliteGatheringStore(path)
    assert.deepEqual(again.get(created.id), created)
    again.close()
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
    raw.close()
  })

  it('walks a gathering through its lifecycle', () => {
    const store = new SqliteGatheringStore(join(dir, 'life.db'))
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    assert.equal(g.status, 'new')
    assert.equal(store.markStarted(g.id, at(2)), true)
    assert.equal(store.markStarted(g.id, at(3)), false, 'only a queued gathering can start')
    store.recordProcess(g.id, { pid: 42, startTicks: '1234' })
    assert.deepEqual(store.runProcess(g.id), { pid: 42, startTicks: '1234' })
    store.updateOutput(g.id, 'tail', 4, at(4))
    store.finish(g.id, { status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 10, archiveSha256: 'ab', outputTail: 'tail!', outputSize: 5 }, at(5))
    const done = store.get(g.id)
    assert.equal(done?.status, 'completed')
    assert.equal(done?.startedAt, at(2))
    assert.equal(done?.finishedAt, at(5))
    assert.equal(done?.updatedAt, at(5))
    assert.equal(done?.outputTail, 'tail!')
    assert.equal(store.runProcess(g.id), null, 'the pid is forgotten once finished')
    assert.equal(store.delete(g.id), true)
    assert.equal(store.delete(g.id), false)
    store.close()
  })

  it('lists newest first with filters, pages and a short output tail; finds the newest by custom name', () => {
    const store = new SqliteGatheringStore(':memory:')
    for (let i = 1; i <= 5; i++) {
      const g = store.insert({ customName: i % 2 === 0 ? 'even' : 'odd', options, createdAt: at(i), createdBy: i <= 2 ? 'alice' : 'bob' })
      store.updateOutput(g.id, `output of ${i} `.repeat(20), 300, at(i))
    }
    assert.deepEqual(store.list({ outputLimit: 10 }).map((g) => g.id), [5, 4, 3, 2, 1])
    assert.deepEqual(store.list({ customName: 'even', outputLimit: 10 }).map((g) => g.id), [4, 2])
    assert.deepEqual(store.list({ limit: 2, offset: 1, outputLimit: 10 }).map((g) => g.id), [4, 3])
    assert.deepEqual(store.list({ status: 'completed', outputLimit: 10 }), [])
    assert.ok(store.list({ outputLimit: 10 }).every((g) => g.outputTail.length === 10))
    assert.ok(store.list({ outputLimit: 0 }).every((g) => g.outputTail === ''))
    assert.equal(store.findByCustomName('odd')?.id, 5)
    assert.equal(store.findByCustomName('odd', 'alice')?.id, 1, 'the newest of that user\'s')
    assert.deepEqual(store.list({ createdBy: 'alice', outputLimit: 0 }).map((g) => g.id), [2, 1])
    assert.equal(store.findByCustomName('none'), undefined)
    assert.equal(store.countByStatus('new'), 5)
    store.close()
  })

  it('never reuses the id of a deleted gathering', () => {
    const store = new SqliteGatheringStore(':memory:')
    const first = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    store.delete(first.id)
    assert.ok(store.insert({ customName: '', options, createdAt: at(2), createdBy: '' }).id > first.id)
    store.close()
  })

  it('expires an archive once, with its reason; a new archive ends the expiry', () => {
    const store = new SqliteGatheringStore(':memory:')
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    const archived = { status: 'completed' as const, errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 10, archiveSha256: 'ab', outputTail: '', outputSize: 0 }
    store.finish(g.id, archived, at(2))
    assert.deepEqual(store.idsWithArchive(), [g.id])
    assert.equal(store.expireArchive(g.id, at(3), 'found missing at start-up'), true)
    assert.equal(store.expireArchive(g.id, at(4), 'deleted to make room (MAX_STORAGE)'), false, 'no archive left to expire')
    const expired = store.get(g.id)
    assert.deepEqual([expired?.archiveName, expired?.archiveSize, expired?.expiredAt, expired?.expiredReason], ['', 0, at(3), 'found missing at start-up'])
    assert.equal(expired?.status, 'completed')
    assert.deepEqual(store.idsWithArchive(), [])
    store.finish(g.id, archived, at(5))
    const repacked = store.get(g.id)
    assert.deepEqual([repacked?.archiveName, repacked?.expiredAt, repacked?.expiredReason], ['a.tar.gz', null, ''])
    store.close()
  })
})
