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
    // Caches must keep the gzip and plain forms apart.
    reply.header('Vary', 'Accept-Encoding')
    if (!acceptsGzip(request.headers['accept-encoding'])) return payload
    reply.header('Content-Encoding', 'gzip')
    reply.removeHeader('content-length')
    return gzipAsync(payload)
  })
}

/** `gzip`, `x-gzip` or `*` in Accept-Encoding, unless given `q=0`. */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined) return false
  return header.split(',').some((entry) => {
    const [coding = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase())
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') return false
    const q = params.find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}
