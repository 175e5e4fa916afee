import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { defaultOther, inTimeOrder, isEarlier, type Run } from '../../web/src/insight/compare-order.js'

/** The console's choice of which run is the earlier in a comparison, and which run it offers first. */
describe('console: ordering two runs for a comparison', () => {
  const run = (id: number, created: string, finished: string | null): Run => ({ id, 'created-at': `2026-12-06T${created}Z`, 'finished-at': finished === null ? null : `2026-12-06T${finished}Z` })

  it('orders by when the archive was made (finished, else created), the id breaking a tie', () => {
    const a = run(1, '10:00:00', '10:30:00')
    const b = run(2, '10:05:00', '10:10:00') // created later, finished first
    assert.equal(isEarlier(b, a), true)
    assert.equal(isEarlier(a, b), false)
    assert.equal(isEarlier(run(3, '09:00:00', null), a), true)
    assert.equal(isEarlier(run(4, '10:00:00', '10:30:00'), run(5, '10:00:00', '10:30:00')), true)
    assert.equal(isEarlier(run(5, '10:00:00', '10:30:00'), run(4, '10:00:00', '10:30:00')), false)
  })

  it('puts the earlier first whichever order the two come in', () => {
    const earlier = run(1, '10:00:00', '10:01:00')
    const later = run(2, '11:00:00', '11:01:00')
    assert.deepEqual(inTimeOrder(later, earlier), { earlier, later })
    assert.deepEqual(inTimeOrder(earlier, later), { earlier, later })
  })

  it('offers the latest run before this one, and only without one the first after it', () => {
    const first = run(1, '08:00:00', '08:01:00')
    const second = run(2, '09:00:00', '09:01:00')
    const self = run(3, '10:00:00', '10:01:00')
    const fourth = run(4, '11:00:00', '11:01:00')
    const fifth = run(5, '12:00:00', '12:01:00')
    // Newest first, as the list API gives them.
    assert.equal(defaultOther(self, [fifth, fourth, self, second, first]), second)
    assert.equal(defaultOther(first, [fifth, fourth, self, second, first]), second)
    assert.equal(defaultOther(first, [fifth, fourth, first]), fourth)
    assert.equal(defaultOther(self, [self]), undefined)
  })
})
