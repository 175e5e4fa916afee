import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import type { FastifyReply, FastifyRequest } from 'fastify'

import { rateLimiter } from '../../src/http/plugins/rate-limit.js'

/** Calls the preHandler as Fastify would, and says whether it refused (429). */
function attempt (limit: ReturnType<typeof rateLimiter>, caller: string): Promise<boolean> {
  let refused = false
  const reply = {
    code: () => reply,
    header: () => reply,
    send: () => { refused = true; return reply }
  }
  return limit({ caller: { key: caller } } as unknown as FastifyRequest, reply as unknown as FastifyReply).then(() => refused)
}

describe('rateLimiter', () => {
  it('refuses a caller past the limit within the window, and no one else', async () => {
    const limit = rateLimiter(2)
    assert.deepEqual([await attempt(limit, 'a'), await attempt(limit, 'a'), await attempt(limit, 'a')], [false, false, true])
    assert.equal(await attempt(limit, 'b'), false)
  })

  it('keeps a caller\'s window when 100,000 others come: only the least recently seen are forgotten', async () => {
    const limit = rateLimiter(1)
    await attempt(limit, 'busy')
    for (let i = 0; i < 99_998; i++) await attempt(limit, `other-${i}`)
    assert.equal(await attempt(limit, 'busy'), true, 'still limited, and now the most recently seen')
    // The table is full: newcomers push out the oldest others, not everyone.
    for (let i = 0; i < 10; i++) await attempt(limit, `newcomer-${i}`)
    assert.equal(await attempt(limit, 'busy'), true, 'a full table did not clear this caller\'s window')
  })
})
