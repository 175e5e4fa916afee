import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, resolve, sep } from 'node:path'

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Where `npm run build` puts the console (web/vite.config.ts); the same from src/ (tsx) and dist/. */
export const CONSOLE_DIR = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'console')

/** The console's own addresses (web/src/router.ts): a reload or a bookmark gets the page. None is an API path. */
export const CONSOLE_PAGES = ['/', '/new', '/executions/:id']

/**
 * Only the console's page needs more than the API's `default-src 'none'`:
 * its own scripts, styles, fonts and images, and its calls to the API.
 * Still no inline script or style (`'unsafe-inline'`), no eval, no other origin.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8'
}

interface ConsoleFile {
  body: Buffer
  type: string
  etag: string
}

export interface ConsoleOptions {
  /** The built console (default: dist/console). */
  dir?: string
}

/**
 * Serves the web console from the same origin as the API, from memory (a
 * few files, read once at start-up). Hashed files under /assets/ are cached
 * by browsers for a year; the page itself is revalidated (ETag) so a new
 * build is picked up on the next load. Everything is gzipped by the
 * compression hook, once per file (it keeps the gzip of a Buffer it has seen).
 * Not wrapped in fastify-plugin: its CSP hook applies to its own routes only.
 */
export async function consolePlugin (app: FastifyInstance, { dir = CONSOLE_DIR }: ConsoleOptions = {}): Promise<void> {
  const files = existsSync(join(dir, 'index.html')) ? readConsole(dir) : undefined
  if (files === undefined) app.log.warn({ dir }, 'The web console is not built (npm run build): / answers 503.')

  // After the service's own header hook (registered before): the console's page gets its wider policy.
  app.addHook('onSend', async (request, reply, payload) => {
    // The catch-all's API answers (401, JSON 404) keep the API's policy. A 304 keeps the page's: a
    // browser updates its cached page's headers from it.
    const apiAnswer = request.routeOptions.url === '/*' && reply.statusCode !== 304 && !String(reply.getHeader('content-type') ?? '').startsWith('text/html')
    if (!apiAnswer) reply.header('Content-Security-Policy', PAGE_CSP)
    return payload
  })

  const send = (request: FastifyRequest, reply: FastifyReply, file: ConsoleFile, cacheControl: string): FastifyReply => {
    reply.header('ETag', file.etag).header('Cache-Control', cacheControl)
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send(null)
    return reply.type(file.type).send(file.body)
  }
  const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const index = files?.get('index.html')
    if (index === undefined) {
      return reply.code(503).send({ error: `the web console is not built: run npm run build (looked in ${dir})` })
    }
    return send(request, reply, index, 'no-cache')
  }
  const routeOptions = { schema: { hide: true }, config: { public: true } }

  for (const url of CONSOLE_PAGES) app.get(url, routeOptions, page)
  // A browser opening an address no route has (a mistyped or outdated console link) gets the console,
  // which says "Page not found" and links home; every other client gets the API's answer: 401
  // without a token, else the JSON 404.
  app.get('/*', { schema: { hide: true }, config: { public: opensAPage } }, async (request, reply) => {
    if (files === undefined || !opensAPage(request)) return reply.callNotFound()
    return await page(request, reply.code(404))
  })
  app.get('/assets/*', routeOptions, async (request, reply) => {
    const file = files?.get(`assets/${(request.params as { '*': string })['*']}`)
    if (file === undefined) return reply.callNotFound()
    // File names carry their content's hash: they never change.
    return send(request, reply, file, 'public, max-age=31536000, immutable')
  })
  // Files of web/public (the icon): fixed names, so revalidated.
  for (const [name, file] of files ?? []) {
    if (name === 'index.html' || name.includes('/')) continue
    app.get(`/${name}`, routeOptions, async (request, reply) => send(request, reply, file, 'no-cache'))
  }
}

/** A browser navigating to a page (asks for HTML), not a script calling the API. */
function opensAPage (request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '')
}

function readConsole (dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>()
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry)
      if (statSync(path).isDirectory()) {
        walk(path)
        continue
      }
      const body = readFileSync(path)
      const name = relative(dir, path).split(sep).join('/')
      files.set(name, {
        body,
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
      })
    }
  }
  walk(dir)
  return files
}
