import type { FastifyInstance } from 'fastify'

const ALLOW_METHODS = 'GET, HEAD, POST, DELETE, OPTIONS'
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id, Range, If-None-Match, If-Range'
const EXPOSE_HEADERS = 'Content-Disposition, Content-Length, ETag, X-Request-Id, Retry-After'

/**
 * CORS for the exact origins in CORS_ALLOWED_ORIGINS (none by default). A
 * preflight from a listed origin gets 204 with the API's methods and headers;
 * any other origin gets no CORS headers at all, so the browser refuses.
 */
export function installCors (app: FastifyInstance, allowedOrigins: string[]): void {
  const allowed = new Set(allowedOrigins)
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    reply.header('Vary', 'Origin')
    if (origin === undefined || !allowed.has(origin)) return
    reply.header('Access-Control-Allow-Origin', origin)
    reply.header('Access-Control-Expose-Headers', EXPOSE_HEADERS)
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply.code(204)
        .header('Access-Control-Allow-Methods', ALLOW_METHODS)
        .header('Access-Control-Allow-Headers', ALLOW_HEADERS)
        .header('Access-Control-Max-Age', '600')
        .send()
    }
  })
}
