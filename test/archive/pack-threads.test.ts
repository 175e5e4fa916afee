// The packing threads a service's runs take and give back: one is kept between
// runs (its code compiled), started before the service listens.
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { PackThread } from '../../src/archive/pack-thread.js'
import { PackThreads } from '../../src/archive/pack-threads.js'
import { makeTree, removeDir, tempDir } from './helpers.js'

/** What the process holds: its threads and its open descriptors. */
function held (): { threads: number, descriptors: number } {
  return { threads: readdirSync('/proc/self/task').length, descriptors: readdirSync('/proc/self/fd').length }
}

describe('PackThreads: one packing thread kept between runs', { timeout: 120_000 }, () => {
  let dir: string
  let n = 0
  before(async () => {
    dir = tempDir('mgs-pack-threads-')
    await makeTree(dir, 'tree', { sizeBytes: 1024 * 1024, files: 100 })
  })
  after(() => removeDir(dir))
  const pack = async (thread: PackThread | undefined): Promise<void> => {
    assert.ok(thread !== undefined, 'a thread was had')
    const packed = await thread.pack({ parent: dir, dirName: 'tree', target: join(dir, `out-${n++}.tar.gz`) }, new AbortController().signal)
    assert.ok(packed.archive.entries > 0 && packed.summary !== undefined)
  }

  it('hands out the kept thread, a new one while it is out, and keeps one of them when both come back', async () => {
    const threads = new PackThreads()
    try {
      await threads.start()
      const kept = threads.take()
      const extra = threads.take()
      assert.ok(kept !== undefined && extra !== undefined && kept !== extra)
      await Promise.all([pack(kept), pack(extra)])
      await threads.giveBack(kept)
      await threads.giveBack(extra)
      assert.ok(!kept.stopped, 'the first back is kept')
      assert.ok(extra.stopped, 'the second is ended: one is kept, not more')
      assert.equal(threads.take(), kept, 'the next run gets the kept thread')
      await pack(kept)
      await threads.giveBack(kept)
    } finally {
      await threads.close()
    }
  })

  it('never hands out or keeps a thread that stopped', async () => {
    const threads = new PackThreads()
    try {
      await threads.start()
      const dead = threads.take() as PackThread
      await dead.close()
      await threads.giveBack(dead)
      const next = threads.take()
      assert.ok(next !== undefined && next !== dead && !next.stopped)
      await pack(next)
      await threads.giveBack(next)
    } finally {
      await threads.close()
    }
  })

  it('holds as many threads and descriptors at rest after runs as before them, and none once closed', async () => {
    const before = held()
    const threads = new PackThreads()
    await threads.start()
    const atRest = held()
    assert.ok(atRest.threads > before.threads, 'the kept thread is started before any run')
    for (let run = 0; run < 3; run++) {
      const thread = threads.take()
      await pack(thread)
      await threads.giveBack(thread as PackThread)
    }
    // (Descriptors: at most as many. One the module loader had open while the kept thread started may be closed since.)
    const after = held()
    assert.equal(after.threads, atRest.threads, 'as many threads at rest after three runs')
    assert.ok(after.descriptors <= atRest.descriptors, `${after.descriptors} descriptors at rest after three runs, ${atRest.descriptors} before`)
    const last = threads.take() as PackThread
    await threads.close()
    await threads.giveBack(last)
    assert.ok(last.stopped, 'a thread given back after close is ended')
    assert.equal(held().threads, before.threads, 'no thread left once closed')
  })
})
