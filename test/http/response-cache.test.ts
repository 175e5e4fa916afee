import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ResponseCache } from '../../src/http/response-cache.js'

const bytes = (n: number) => Buffer.alloc(n, 'x')

describe('ResponseCache', () => {
  it('hands back what it keeps, and counts hits and misses', () => {
    const cache = new ResponseCache(1000)
    const body = bytes(100)
    cache.set('a', body)
    assert.equal(cache.get('a'), body)
    assert.equal(cache.get('b'), undefined)
    assert.deepEqual(cache.stats(), { bytes: 100, entries: 1, hits: 1, misses: 1 })
  })

  it('stays within its bytes, dropping the least recently used first', () => {
    const cache = new ResponseCache(1000)
    cache.set('a', bytes(250))
    cache.set('b', bytes(250))
    cache.set('c', bytes(250))
    cache.get('a')
    cache.set('d', bytes(250))
    cache.set('e', bytes(250))
    assert.equal(cache.get('b'), undefined, 'b was the least recently used')
    assert.ok(cache.get('a') !== undefined && cache.get('e') !== undefined)
    assert.ok(cache.stats().bytes <= 1000)
  })

  it('replaces an entry under the same key without counting it twice', () => {
    const cache = new ResponseCache(1000)
    cache.set('a', bytes(200))
    cache.set('a', bytes(100))
    assert.equal(cache.stats().bytes, 100)
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
