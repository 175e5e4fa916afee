import type { FastifyInstance } from 'fastify'
import { pipeline, Readable } from 'node:stream'
import { promisify } from 'node:util'
import { createGzip, gzip } from 'node:zlib'

const gzipAsync = promisify(gzip)
/** Below this, gzip's header and the CPU cost more than the bytes saved. */
const MIN_BYTES = 1024

/**
 * Gzips JSON replies (lists compress about tenfold) for clients that accept
 * it: whole ones in zlib's thread pool, long streamed lists as they are
 * written. A Buffer answer is compressed once: the response cache hands out
 * the same Buffer while nothing changed, and its gzip form is kept beside it
 * for as long as the Buffer lives. Other streams are left alone: archives are
 * gzip already and served by range, and followed output must reach the client
 * as it is written.
 */
export function installCompression (app: FastifyInstance): void {
  const gzipped = new WeakMap<Buffer, Promise<Buffer>>()
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.hasHeader('content-encoding')) return payload
    const whole = typeof payload === 'string' || Buffer.isBuffer(payload)
    const jsonStream = payload instanceof Readable && String(reply.getHeader('content-type') ?? '').startsWith('application/json')
    if (!jsonStream && (!whole || Buffer.byteLength(payload) < MIN_BYTES)) return payload
    // Caches must keep the gzip and plain forms apart (added to CORS's Vary: Origin, not replacing it).
    reply.header('Vary', withVary(reply.getHeader('vary'), 'Accept-Encoding'))
    if (!acceptsGzip(request.headers['accept-encoding'])) return payload
    reply.header('Content-Encoding', 'gzip')
    reply.removeHeader('content-length')
    // pipeline: when the client goes away (Fastify destroys the gzip stream) the list stops too.
    if (payload instanceof Readable) return pipeline(payload, createGzip(), () => {})
    if (typeof payload === 'string') return gzipAsync(payload)
    let compressed = gzipped.get(payload)
    if (compressed === undefined) {
      compressed = gzipAsync(payload)
      gzipped.set(payload, compressed)
      // A failed compression is not remembered.
      compressed.catch(() => gzipped.delete(payload))
    }
    return compressed
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
