import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { gzipSync } from 'node:zlib'

import { EntryTable } from '../../src/archive/entry-table.js'
import { decodeIndex, encodeIndex, INDEX_VERSION } from '../../src/archive/index-file.js'
import type { IndexEntry } from '../../src/archive/tar-headers.js'

const entry = (path: string, more: Partial<IndexEntry> = {}): IndexEntry => ({ path, type: 'file', size: 3, mode: 0o644, mtime: 1_700_000_000, offset: 512, ...more })

const ENTRIES: IndexEntry[] = [
  entry('top', { type: 'directory', size: 0 }),
  entry('top/namespaces/openshift-etcd/core/pods.yaml', { offset: 1024 }),
  entry('top/namespaces/openshift-etcd/core/events.yaml', { offset: 3_000_000_000, size: 2 ** 33 }),
  entry('top/namespaces/openshift-etcd/core', { type: 'directory', size: 0, offset: 3_000_000_512 }),
  entry('top/emoji-😀/a', { offset: 3_000_001_024 }),
  entry('top/emoji-😁/b', { offset: 3_000_001_536 }), // shares the first half of the surrogate pair only
  entry('top/links/version', { type: 'symlink', size: 0, link: '../top/namespaces', offset: 3_000_002_048 }),
  entry('top/links/hard', { type: 'hardlink', size: 0, link: 'top/emoji-😀/a', offset: 3_000_002_560 }),
  entry('', { type: 'directory', size: 0, offset: 3_000_003_072 }),
  entry('other/ünïcode name.txt', { offset: 3_000_003_584, mtime: 0 })
]

describe('EntryTable and the index file', () => {
  it('gives back every entry as it was pushed, paths whole', () => {
    assert.deepEqual([...EntryTable.from(ENTRIES)], ENTRIES)
    assert.equal(EntryTable.from(ENTRIES).length, ENTRIES.length)
  })

  it('stores each path as what it shares with the one before and the rest, never half a surrogate pair', () => {
    const { shared, tail } = EntryTable.from(ENTRIES).columns()
    assert.equal(tail[2], 'events.yaml')
    assert.equal(shared[2], 'top/namespaces/openshift-etcd/core/'.length)
    assert.equal(tail[5], '😁/b', 'the tail starts at the pair, not inside it')
    for (const t of tail) assert.ok(!/^[\uDC00-\uDFFF]/.test(t), `${JSON.stringify(t)} starts with a whole character`)
  })

  it('writes a version 2 index that reads back the same, from an EntryTable or a list', async () => {
    const index = { version: INDEX_VERSION, archive: { size: 10, sha256: 'ab' }, blockSize: 512, blocks: { uncompressed: [0, 9], compressed: [0, 10] } }
    const fromTable = await encodeIndex({ ...index, entries: EntryTable.from(ENTRIES) })
    assert.match(fromTable.toString('latin1', 0, 9), /^MGSIDX 2\n/)
    assert.deepEqual(decodeIndex(fromTable, 'test').entries, ENTRIES)
    assert.deepEqual(await encodeIndex({ ...index, entries: ENTRIES }), fromTable)
  })

  it('still reads a version 1 index (whole paths), as the service wrote them before', () => {
    const offsets = ENTRIES.map((e, i) => e.offset - (i > 0 ? (ENTRIES[i - 1] as IndexEntry).offset : 0))
    const columns = {
      version: 1,
      archive: { size: 10 },
      blockSize: 512,
      blocks: { uncompressed: [0, 9], compressed: [0, 10] },
      path: ENTRIES.map((e) => e.path),
      type: ENTRIES.map((e) => ({ file: 'f', directory: 'd', symlink: 'l', hardlink: 'h', other: 'o' })[e.type]).join(''),
      size: ENTRIES.map((e) => e.size),
      mode: ENTRIES.map((e) => e.mode),
      mtime: ENTRIES.map((e) => e.mtime),
      offset: offsets,
      link: { 6: '../top/namespaces', 7: 'top/emoji-😀/a' }
    }
    const v1 = Buffer.concat([Buffer.from('MGSIDX 1\n'), gzipSync(JSON.stringify(columns))])
    const decoded = decodeIndex(v1, 'old.idx')
    assert.equal(decoded.version, 1)
    assert.deepEqual(decoded.entries, ENTRIES)
  })

  it('refuses a file of another version, naming the file', () => {
    assert.throws(() => decodeIndex(Buffer.from('MGSIDX 3\nxx'), 'future.idx'), /future\.idx.*not a version 1 or 2 index/)
  })
})
