import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import Database from 'better-sqlite3'

import { validateRequest } from '../../src/gatherings/validate-request.js'
import { MIGRATIONS } from '../../src/storage/migrations/index.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'

/** What only the SQLite backend does: its file, its schema history. The rest is the contract suite's. */

const dir = mkdtempSync(join(tmpdir(), 'mgs-sqlite-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const { options } = validateRequest({ image: 'quay.io/a/b' }, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
const LATEST = MIGRATIONS.at(-1)?.version as number

/** Opens a store on `path` in a separate process, as a service replica starting up would. */
function openInAnotherProcess (path: string): Promise<{ code: number | null, stderr: string }> {
  const script = `import { SqliteGatheringStore } from ${JSON.stringify(new URL('../../src/storage/sqlite.ts', import.meta.url).href)}
    const store = new SqliteGatheringStore(${JSON.stringify(path)})
    await store.insert({ customName: 'from ' + process.pid, options: ${JSON.stringify(options)}, createdAt: new Date().toISOString(), createdBy: '' })
    await store.close()`
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

describe('SqliteGatheringStore', () => {
  it('persists to a real file in WAL mode and reopens it', async () => {
    const path = join(dir, 'reopen.db')
    const store = new SqliteGatheringStore(path)
    const created = await store.insert({ customName: 'x', options, createdAt: at(1), createdBy: 'alice' })
    await store.close()
    const again = new SqliteGatheringStore(path)
    assert.deepEqual(await again.get(created.id), created)
    await again.close()
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
    raw.close()
  })

  it('records each migration once, in order, and refuses a file newer than it knows', async () => {
    const path = join(dir, 'history.db')
    await new SqliteGatheringStore(path).close()
    await new SqliteGatheringStore(path).close()
    const raw = new Database(path)
    const rows = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as Array<{ version: number, name: string }>
    assert.deepEqual(rows, MIGRATIONS.map(({ version, name }) => ({ version, name })))
    assert.equal(raw.pragma('user_version', { simple: true }), LATEST, 'older services read how far the file is here')
    raw.pragma(`user_version = ${LATEST + 1}`)
    raw.close()
    assert.throws(() => new SqliteGatheringStore(path), /newer than this service knows/)
  })

  it('migrates once when three processes start together on one new file', async () => {
    const path = join(dir, 'together.db')
    const results = await Promise.all([1, 2, 3].map(() => openInAnotherProcess(path)))
    for (const { code, stderr } of results) assert.equal(code, 0, stderr)
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), MIGRATIONS.length)
    assert.equal(raw.prepare('SELECT count(*) FROM gatherings').pluck().get(), 3, 'every process wrote its record')
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
    raw.close()
  })

  it('moves the output tail of records written by schema 5 to its own table, and records the history it had', async () => {
    const path = join(dir, 'schema5.db')
    const old = new Database(path)
    // Schema version 5, as the release before schema_migrations left it, with finished records.
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
    const g = await store.get(1)
    assert.deepEqual([g?.status, g?.archiveName, g?.createdBy, g?.outputSize, g?.revision], ['completed', 'must-gather-1.tar.gz', 'alice', tail.length, 0])
    assert.equal(await store.outputTail(1, 65536), tail, 'the whole tail is kept')
    assert.equal((await store.getMany([1], 200))[0]?.outputTail, tail.slice(-200))
    await store.close()
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok')
    const brief = raw.prepare('SELECT length(output_brief) FROM gatherings').pluck().get() as number
    assert.ok(brief <= 1024, `the record keeps only a brief tail (${brief} characters)`)
    const history = raw.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ version: number, applied_at: string }>
    assert.deepEqual(history.map((h) => h.version), MIGRATIONS.map((m) => m.version))
    assert.ok(history.slice(0, 5).every((h) => h.applied_at === 'before schema_migrations'), 'steps 1-5 were there already')
    raw.close()
  })
})
