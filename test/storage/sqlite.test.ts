import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
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
    assert.equal(store.outputTail(g.id, 100), 'tail!')
    assert.equal(store.outputTail(g.id, 2), 'l!')
    assert.equal(store.runProcess(g.id), null, 'the pid is forgotten once finished')
    assert.equal(store.delete(g.id), true)
    assert.equal(store.delete(g.id), false)
    assert.equal(store.outputTail(g.id, 100), '', 'the tail goes with the record')
    store.close()
  })

  it('lists newest first with filters, pages and a short output tail; finds the newest by custom name', () => {
    const store = new SqliteGatheringStore(':memory:')
    for (let i = 1; i <= 5; i++) {
      const g = store.insert({ customName: i % 2 === 0 ? 'even' : 'odd', options, createdAt: at(i), createdBy: i <= 2 ? 'alice' : 'bob' })
      store.updateOutput(g.id, `output of ${i} `.repeat(20), 300, at(i))
    }
    const ids = (filter: Parameters<typeof store.listKeys>[0]) => store.listKeys(filter).map((k) => k.id)
    assert.deepEqual(ids({}), [5, 4, 3, 2, 1])
    assert.deepEqual(store.listKeys({ limit: 1 }), [{ id: 5, revision: 1, status: 'new' }])
    assert.deepEqual(ids({ customName: 'even' }), [4, 2])
    assert.deepEqual(ids({ limit: 2, offset: 1 }), [4, 3])
    assert.deepEqual(ids({ status: 'completed' }), [])
    assert.deepEqual(store.getMany([2, 4, 99], 10).map((g) => g.id), [4, 2], 'newest first, only those that exist')
    assert.deepEqual(store.getMany([], 10), [])
    assert.ok(store.getMany([1, 2, 3], 10).every((g) => g.outputTail.length === 10))
    assert.ok(store.getMany([1, 2, 3], 0).every((g) => g.outputTail === ''))
    assert.equal(store.findByCustomName('odd')?.id, 5)
    assert.equal(store.findByCustomName('odd', 'alice')?.id, 1, 'the newest of that user\'s')
    assert.deepEqual(ids({ createdBy: 'alice' }), [2, 1])
    assert.equal(store.findByCustomName('none'), undefined)
    assert.equal(store.countByStatus('new'), 5)
    store.close()
  })

  it('pages a long list by id (keyset) with the same filters', () => {
    const store = new SqliteGatheringStore(':memory:')
    for (let i = 1; i <= 7; i++) store.insert({ customName: i % 2 === 0 ? 'even' : 'odd', options, createdAt: at(i), createdBy: '' })
    assert.deepEqual(store.listKeys({ beforeId: 5, limit: 2 }).map((k) => k.id), [4, 3])
    assert.deepEqual(store.listKeys({ customName: 'odd', beforeId: 5 }).map((k) => k.id), [3, 1])
    store.close()
  })

  it('serves a list\'s short tail from the record and a long one from the whole tail, counting characters', () => {
    const store = new SqliteGatheringStore(':memory:')
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    // 3,000 characters, some outside the BMP and some of two or three bytes in UTF-8.
    const tail = 'é€😀abc\n'.repeat(500)
    store.updateOutput(g.id, tail, Buffer.byteLength(tail), at(2))
    for (const limit of [1, 7, 200, 1024, 1025, 2999, 3000, 5000]) {
      const expected = [...tail].slice(-limit).join('')
      assert.equal(store.getMany([g.id], limit)[0]?.outputTail, expected, `limit ${limit}`)
      assert.equal(store.outputTail(g.id, limit), expected, `whole tail, limit ${limit}`)
    }
    store.close()
  })

  it('counts a revision per change of a record, and a list version per change of any', () => {
    const store = new SqliteGatheringStore(':memory:')
    const versions = new Set<string>([store.listVersion()])
    const changed = (what: string) => {
      assert.ok(!versions.has(store.listVersion()), `the list version changes when ${what}`)
      versions.add(store.listVersion())
    }
    const g = store.insert({ customName: '', options, createdAt: at(1), createdBy: '' })
    changed('a gathering is queued')
    const revisions = [store.get(g.id)?.revision]
    store.markStarted(g.id, at(1))
    changed('it starts')
    revisions.push(store.get(g.id)?.revision)
    // The same millisecond twice: the revision still tells the writes apart.
    store.updateOutput(g.id, 'a', 1, at(1))
    changed('it prints')
    revisions.push(store.get(g.id)?.revision)
    store.updateOutput(g.id, 'ab', 2, at(1))
    revisions.push(store.get(g.id)?.revision)
    store.finish(g.id, { status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 1, archiveSha256: 'ab', outputTail: 'ab', outputSize: 2 }, at(1))
    changed('it finishes')
    revisions.push(store.get(g.id)?.revision)
    store.expireArchive(g.id, at(1), 'gone')
    changed('its archive expires')
    revisions.push(store.get(g.id)?.revision)
    assert.deepEqual(revisions, [0, 1, 2, 3, 4, 5])
    store.delete(g.id)
    changed('it is deleted')
    const other = new SqliteGatheringStore(':memory:')
    assert.notEqual(other.listVersion(), new SqliteGatheringStore(':memory:').listVersion(), 'another process, another version')
    other.close()
    store.close()
  })

  it('moves the output tail of records written by the previous schema to its own table', () => {
    const path = join(dir, 'schema5.db')
    const old = new Database(path)
    // Schema version 5, as the previous release left it, with one finished record.
    old.exec(`CREATE TABLE gatherings (
      id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, custom_name TEXT NOT NULL DEFAULT '',
      status TEXT NOT NULL, options TEXT NOT NULL, archive_name TEXT NOT NULL DEFAULT '', archive_size INTEGER NOT NULL DEFAULT 0,
      archive_sha256 TEXT NOT NULL DEFAULT '', output_tail TEXT NOT NULL DEFAULT '', output_size INTEGER NOT NULL DEFAULT 0,
      error_message TEXT NOT NULL DEFAULT '', started_at TEXT, finished_at TEXT, pid INTEGER, pid_start TEXT,
      created_by TEXT NOT NULL DEFAULT '', expired_at TEXT, expired_reason TEXT NOT NULL DEFAULT '');
      CREATE INDEX gatherings_custom_name ON gatherings (custom_name, id);
      CREATE INDEX gatherings_status ON gatherings (status, id);
      CREATE INDEX gatherings_created_by ON gatherings (created_by, id);
      CREATE INDEX gatherings_updated_at ON gatherings (updated_at);
      PRAGMA user_version = 5;`)
    const tail = 'line of output\n'.repeat(2000)
    const insert = old.prepare(`INSERT INTO gatherings (created_at, updated_at, status, options, archive_name, output_tail, output_size, created_by)
      VALUES (?, ?, 'completed', ?, 'must-gather-1.tar.gz', ?, ?, 'alice')`)
    // Record 1, and 199 more so that the file's growth can be told.
    for (let i = 0; i < 200; i++) insert.run(at(1), at(2), JSON.stringify(options), tail, tail.length)
    old.close()
    const sizeBefore = statSync(path).size

    const store = new SqliteGatheringStore(path)
    const sizeAfter = statSync(path).size
    assert.ok(sizeAfter < sizeBefore * 1.25, `moving the tails reuses the pages they leave (${sizeBefore} → ${sizeAfter} bytes)`)
    assert.equal(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0, 0, 'the write-ahead log is emptied after the migration')
    const g = store.get(1)
    assert.deepEqual([g?.status, g?.archiveName, g?.createdBy, g?.outputSize, g?.revision], ['completed', 'must-gather-1.tar.gz', 'alice', tail.length, 0])
    assert.equal(store.outputTail(1, 65536), tail, 'the whole tail is kept')
    assert.equal(store.getMany([1], 200)[0]?.outputTail, tail.slice(-200))
    store.close()
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
    const brief = raw.prepare('SELECT length(output_brief) FROM gatherings').pluck().get() as number
    assert.ok(brief <= 1024, `the record keeps only a brief tail (${brief} characters)`)
    raw.close()
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
