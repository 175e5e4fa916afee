import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/**
 * CORS for the exact origins in CORS_ALLOWED_ORIGINS (none by default), by
 * @fastify/cors. A preflight from a listed origin gets 204 with the API's
 * methods and headers; any other origin gets no CORS headers at all, so the
 * browser refuses.
 */
export async function installCors (app: FastifyInstance, allowedOrigins: string[]): Promise<void> {
  await app.register(cors, {
    // An exact list (never a RegExp built from config). Empty, it matches no origin, and answers
    // still carry Vary: Origin, as they did before this plugin.
    origin: allowedOrigins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Range', 'If-None-Match', 'If-Range'],
    exposedHeaders: ['Content-Disposition', 'Content-Length', 'ETag', 'X-Request-Id', 'Retry-After'],
    maxAge: 600,
    optionsSuccessStatus: 204,
    // Answered in onRequest, before authentication: a preflight carries no token.
    hook: 'onRequest'
  })
}
