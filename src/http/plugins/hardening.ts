import type { FastifyInstance } from 'fastify'

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
