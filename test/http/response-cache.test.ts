import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ResponseCache } from '../../src/http/views/response-cache.js'

/** Bodies of their own memory (not pooled), so the cache keeps them as they are. */
const bytes = (n: number) => Buffer.alloc(n, 'x')
/** What an entry with a one-character key costs: its bytes, the key, the bookkeeping. */
const cost = (n: number) => n + 2 + 256

describe('ResponseCache', () => {
  it('hands back what it keeps, and counts hits and misses', () => {
    const cache = new ResponseCache(10_000)
    const body = bytes(100)
    assert.equal(cache.set('a', body), body)
    assert.equal(cache.get('a'), body)
    assert.equal(cache.get('b'), undefined)
    assert.deepEqual(cache.stats(), { bytes: cost(100), entries: 1, hits: 1, misses: 1 })
  })

  it('stays within its bytes, dropping the least recently used first', () => {
    const cache = new ResponseCache(4 * cost(500))
    for (const key of ['a', 'b', 'c']) cache.set(key, bytes(500))
    cache.get('a')
    cache.set('d', bytes(500))
    cache.set('e', bytes(500))
    assert.equal(cache.get('b'), undefined, 'b was the least recently used')
    assert.ok(cache.get('a') !== undefined && cache.get('e') !== undefined)
    assert.ok(cache.stats().bytes <= 4 * cost(500))
  })

  it('counts each entry\'s bookkeeping: many tiny answers cannot hide under the limit', () => {
    const cache = new ResponseCache(100_000)
    for (let i = 0; i < 10_000; i++) cache.set(`list:${i}`, Buffer.from('[]'))
    assert.ok(cache.stats().entries < 400, `${cache.stats().entries} entries of 2 bytes in 100 kB`)
    assert.ok(cache.stats().bytes <= 100_000)
  })

  it('keeps a pooled small Buffer as a copy of its own, not the 8 KiB slab behind it', () => {
    const cache = new ResponseCache(100_000)
    const pooled = Buffer.from('{"id":1}')
    assert.ok(pooled.buffer.byteLength > pooled.length, 'Node pools small Buffers')
    const kept = cache.set('a', pooled)
    assert.ok(kept.equals(pooled))
    assert.equal(kept.buffer.byteLength, kept.length)
    assert.equal(cache.get('a'), kept)
  })

  it('replaces an entry under the same key without counting it twice', () => {
    const cache = new ResponseCache(10_000)
    cache.set('a', bytes(200))
    cache.set('a', bytes(100))
    assert.equal(cache.stats().bytes, cost(100))
  })

  it('keeps no answer larger than a quarter of its room; size 0 keeps nothing', () => {
    const cache = new ResponseCache(1000)
    cache.set('big', bytes(251))
    assert.equal(cache.get('big'), undefined)
    const off = new ResponseCache(0)
    off.set('a', bytes(1))
    assert.equal(off.get('a'), undefined)
  })
})
