import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/** The API answers JSON and files: nothing in them may load, run or frame anything. */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }

/** The one HTML page of the API, its reference at /docs (Swagger UI): its own scripts, styles and images. */
export const DOCS_CSP = { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], frameAncestors: ["'none'"] }

/**
 * Security headers on every response, by @fastify/helmet: this is a JSON and
 * file API, never a page to render, frame or sniff. Helmet sets them on
 * request, so archives (sent through reply.hijack(), which skips onSend
 * hooks) carry them too. Pages with other needs (/docs, the console) give
 * their own Content-Security-Policy.
 */
export async function installSecurityHeaders (app: FastifyInstance, { https }: { https: boolean }): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-site' },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false
  })
}
