import type { FastifyReply, FastifyRequest } from 'fastify'
import { LRUCache } from 'lru-cache'

/**
 * A fixed-window limit per caller (token hash, or client address when
 * AUTH_MODE=none), generous enough that a UI or a script never meets it.
 * Returns a preHandler for the routes it guards.
 */
export function rateLimiter (perMinute: number, windowMs = 60_000): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  // Callers seen in the last window; past 100,000 the least recently seen is forgotten (not everyone's window).
  const windows = new LRUCache<string, { start: number, count: number }>({ max: 100_000, ttl: windowMs })
  return async (request, reply) => {
    if (perMinute <= 0) return undefined
    const now = Date.now()
    const key = request.caller.key
    let window = windows.get(key)
    if (window === undefined || now - window.start >= windowMs) {
      window = { start: now, count: 0 }
      windows.set(key, window)
    }
    window.count++
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000))
      return reply.code(429).header('Retry-After', String(retryAfter)).send({
        error: `too many new executions from this caller: at most ${perMinute} a minute (POST_RATE_LIMIT); retry in ${retryAfter} s`
      })
    }
    return undefined
  }
}
