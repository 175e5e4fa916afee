import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Headers for every response: this is a JSON and file API, never a page to
 * render, frame or sniff. Set on request, not on send: archives are sent
 * through reply.hijack(), which skips onSend hooks (@fastify/helmet sets its
 * headers on request too).
 */
export function installSecurityHeaders (app: FastifyInstance, { https }: { https: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff')
    reply.header('X-Frame-Options', 'DENY')
    // The API reference at /docs is the one page: it needs its own scripts, styles and images.
    const page = request.url.startsWith('/docs')
    reply.header('Content-Security-Policy', page
      ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
      : "default-src 'none'; frame-ancestors 'none'")
    reply.header('Referrer-Policy', 'no-referrer')
    reply.header('Cross-Origin-Resource-Policy', 'same-site')
    if (https) reply.header('Strict-Transport-Security', 'max-age=31536000')
  })
}

/**
 * A fixed-window limit per caller (token hash, or client address when
 * AUTH_MODE=none), generous enough that a UI or a script never meets it.
 * Returns a preHandler for the routes it guards.
 */
export function rateLimiter (perMinute: number, windowMs = 60_000): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const windows = new Map<string, { start: number, count: number }>()
  const MAX_KEYS = 100_000
  return async (request, reply) => {
    if (perMinute <= 0) return undefined
    const now = Date.now()
    const key = request.caller.key
    let window = windows.get(key)
    if (window === undefined || now - window.start >= windowMs) {
      if (windows.size >= MAX_KEYS) {
        for (const [k, w] of windows) if (now - w.start >= windowMs) windows.delete(k)
        if (windows.size >= MAX_KEYS) windows.clear()
      }
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
