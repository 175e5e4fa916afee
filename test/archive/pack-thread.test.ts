import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { PackThread } from '../../src/archive/pack-thread.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { ArchiveTreeSource } from '../../src/archive/tree-source.js'
import { summarize, type Summary } from '../../src/insight/index.js'
import { indexForm, makeTree, regularFiles, removeDir, tarList, tempDir } from './helpers.js'

async function summaryOfArchive (path: string): Promise<Summary> {
  const reader = await ArchiveReader.open(path)
  try {
    return await summarize(new ArchiveTreeSource(reader))
  } finally {
    await reader.close()
  }
}

describe('PackThread: packing and the summary on a thread of its own', { timeout: 120_000 }, () => {
  let dir: string
  const threads: PackThread[] = []
  before(async () => {
    dir = tempDir('mgs-pack-thread-')
    await makeTree(dir, 'one', { sizeBytes: 2 * 1024 * 1024, files: 200 })
    await makeTree(dir, 'two', { sizeBytes: 1024 * 1024, files: 120 })
    await makeTree(dir, 'big', { sizeBytes: 64 * 1024 * 1024, files: 400 })
  })
  after(async () => {
    await Promise.all(threads.map(async (thread) => await thread.close()))
    removeDir(dir)
  })
  const newThread = (): PackThread => {
    const thread = new PackThread()
    threads.push(thread)
    return thread
  }

  it('answers with the archive (its size, sha256 and index) and the summary of that archive, pack after pack', async () => {
    const thread = newThread()
    for (const name of ['one', 'two']) {
      const target = join(dir, `${name}.tar.gz`)
      const packed = await thread.pack({ parent: dir, dirName: name, target }, new AbortController().signal)
      const bytes = readFileSync(target)
      assert.equal(packed.archive.size, bytes.length)
      assert.equal(packed.archive.sha256, createHash('sha256').update(bytes).digest('hex'))
      assert.ok(existsSync(packed.archive.indexPath), 'the index is beside the archive')
      const listed = new Set(tarList(target).map(indexForm))
      assert.deepEqual(regularFiles(dir, name).filter((path) => !listed.has(path)), [], `${name}: tar lists every file`)
      assert.equal(packed.summaryError, undefined)
      assert.deepEqual(packed.summary, await summaryOfArchive(target), `${name}: the summary is the archive's`)
      assert.ok((packed.summary?.pods.total ?? 0) > 0, `${name}: pods were read`)
    }
  })

  it('stops packing when its signal is aborted: an error, and no archive, whole or partial', async () => {
    const thread = newThread()
    const target = join(dir, 'aborted.tar.gz')
    const controller = new AbortController()
    controller.abort(new Error('shutting down'))
    await assert.rejects(thread.pack({ parent: dir, dirName: 'big', target }, controller.signal))
    assert.ok(!existsSync(target) && !existsSync(`${target}.partial`), 'nothing left behind')
    // The thread still answers: the next pack (the caller may also end it) succeeds.
    const packed = await thread.pack({ parent: dir, dirName: 'two', target: join(dir, 'after-abort.tar.gz') }, new AbortController().signal)
    assert.ok(packed.archive.entries > 0)
  })

  it('fails a pack it can no longer answer (the thread ended mid-pack) instead of leaving it waiting, and removes the unfinished archive', async () => {
    const thread = newThread()
    const target = join(dir, 'ended.tar.gz')
    const packing = thread.pack({ parent: dir, dirName: 'big', target }, new AbortController().signal)
    packing.catch(() => {}) // awaited below
    while (!existsSync(`${target}.partial`)) await new Promise((resolve) => setTimeout(resolve, 5))
    await thread.close()
    await assert.rejects(packing, /the packing thread stopped/)
    assert.ok(!existsSync(`${target}.partial`), 'the unfinished archive is gone')
    assert.ok(thread.stopped)
    await assert.rejects(thread.pack({ parent: dir, dirName: 'two', target: join(dir, 'ended-2.tar.gz') }, new AbortController().signal), /the packing thread stopped/)
  })
})
