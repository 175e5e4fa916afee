import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { it } from 'node:test'
import { gunzipSync } from 'node:zlib'

import { BlockCompressor } from '../../src/archive/compress-pool.js'

/** Niceness of each thread of this process, from /proc (Linux). */
function threadNiceness (): number[] {
  return readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]))
}

it('compresses blocks on threads of lower priority, leaving the event loop\'s thread as it was', { skip: process.platform !== 'linux' }, async () => {
  const before = threadNiceness().filter((n) => n === 7).length
  const compressor = new BlockCompressor({ workers: 2, nice: 7 })
  try {
    const blocks = Array.from({ length: 6 }, (_, i) => Buffer.from(`block ${i} `.repeat(10_000)))
    const gzipped = await Promise.all(blocks.map((block) => {
      const owned = new ArrayBuffer(block.length)
      block.copy(Buffer.from(owned))
      return compressor.compress(owned, block.length)
    }))
    gzipped.forEach(({ gzipped: member, buffer }, i) => {
      assert.ok(gunzipSync(member).equals(blocks[i] as Buffer))
      // The block's memory comes back whole, to be filled again.
      assert.equal(buffer.byteLength, (blocks[i] as Buffer).length)
    })
    assert.equal(threadNiceness().filter((n) => n === 7).length - before, 2)
    assert.equal(getPriority(0), 0)
  } finally {
    await compressor.close()
  }
  await assert.rejects(compressor.compress(new ArrayBuffer(1), 1), /closed/)
})
