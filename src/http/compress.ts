import type { FastifyInstance } from 'fastify'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'

const gzipAsync = promisify(gzip)
/** Below this, gzip's header and the CPU cost more than the bytes saved. */
const MIN_BYTES = 1024

/**
 * Gzips whole replies (JSON lists compress about tenfold) for clients that
 * accept it. Streamed replies are left alone: archives are gzip already and
 * served by range, and followed output must reach the client as it is written.
 */
export function installCompression (app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload
    if (Buffer.byteLength(payload) < MIN_BYTES || reply.hasHeader('content-encoding')) return payload
    // Caches must keep the gzip and plain forms apart (added to CORS's Vary: Origin, not replacing it).
    reply.header('Vary', withVary(reply.getHeader('vary'), 'Accept-Encoding'))
    if (!acceptsGzip(request.headers['accept-encoding'])) return payload
    reply.header('Content-Encoding', 'gzip')
    reply.removeHeader('content-length')
    return gzipAsync(payload)
  })
}

/** Whether Accept-Encoding allows gzip: a `gzip` (or `x-gzip`) entry decides by its q; otherwise `*` does. */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined) return false
  let wildcard: boolean | undefined
  for (const entry of header.split(',')) {
    const [coding = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q='))
    const allowed = q === undefined || Number(q.slice(2)) > 0
    if (coding === 'gzip' || coding === 'x-gzip') return allowed
    if (coding === '*') wildcard = allowed
  }
  return wildcard ?? false
}

/** A Vary value with `field` added once. */
function withVary (current: unknown, field: string): string {
  const fields = typeof current === 'string' ? current.split(',').map((f) => f.trim()).filter((f) => f !== '') : []
  if (!fields.some((f) => f.toLowerCase() === field.toLowerCase() || f === '*')) fields.push(field)
  return fields.join(', ')
}
