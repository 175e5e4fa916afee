import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { QueueFullError, UserQueueFullError } from '../../src/gatherings/errors.js'
import { RunQueue } from '../../src/gatherings/run-queue.js'

describe('RunQueue', () => {
  it('admits MAX_CONCURRENT that start at once plus MAX_QUEUED that wait, counting places being recorded', () => {
    const queue = new RunQueue({ maxConcurrent: 2, maxQueued: 1 })
    const places = [queue.reserve('a'), queue.reserve('a'), queue.reserve('a')]
    assert.throws(() => queue.reserve('b'), QueueFullError, 'three places are held while their inserts are awaited')
    places[2]?.cancel()
    const again = queue.reserve('b')
    places.forEach((place, i) => place.fill(i + 1))
    again.fill(4)
    assert.deepEqual([queue.next(), queue.next(), queue.next()], [1, 2, undefined], 'two run, the rest wait')
    assert.equal(queue.waitingCount, 1)
  })

  it('keeps one user from filling the queue: MAX_QUEUED_PER_USER, while others still get in', () => {
    const queue = new RunQueue({ maxConcurrent: 1, maxQueued: 8, maxQueuedPerUser: 2 })
    let id = 0
    queue.reserve('alice').fill(++id) // takes the free slot: it will not wait
    assert.equal(queue.next(), 1)
    queue.reserve('alice').fill(++id)
    queue.reserve('alice').fill(++id)
    assert.throws(() => queue.reserve('alice'), (error: unknown) => error instanceof UserQueueFullError && /MAX_QUEUED_PER_USER=2/.test(error.message))
    queue.reserve('bob').fill(++id)
    assert.equal(queue.withdraw(2), true, 'a deleted one gives its place back')
    queue.reserve('alice').fill(++id)
  })

  it('counts gatherings restored at start-up toward their owner\'s share', () => {
    const queue = new RunQueue({ maxConcurrent: 1, maxQueued: 8, maxQueuedPerUser: 2 })
    queue.restore([{ id: 1, createdBy: 'alice' }, { id: 2, createdBy: 'alice' }, { id: 3, createdBy: 'alice' }])
    assert.equal(queue.next(), 1)
    assert.throws(() => queue.reserve('alice'), UserQueueFullError)
    queue.reserve('bob').cancel()
  })
})
