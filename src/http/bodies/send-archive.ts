import type { FileHandle } from 'node:fs/promises'

import type { FastifyReply, FastifyRequest } from 'fastify'

import { FileBody } from './file-body.js'

export interface ArchiveResponse {
  /** An open handle: opened before answering, so a concurrent delete cannot pull the file away. */
  handle: FileHandle
  fileName: string
  sha256: string
}

/**
 * Sends an archive the way download tools expect: Content-Length, a strong
 * ETag from its sha256, Last-Modified, Accept-Ranges; a single `Range` → 206
 * (or 416 when it cannot be satisfied); `If-None-Match` → 304; HEAD without
 * a body. Several ranges at once are answered with the whole file (allowed
 * by RFC 9110). The handle is closed whatever happens, also when the client
 * goes away mid-download.
 */
export async function sendArchive (request: FastifyRequest, reply: FastifyReply, { handle, fileName, sha256 }: ArchiveResponse): Promise<FastifyReply> {
  let streaming = false
  try {
    const { size, mtime } = await handle.stat()
    const etag = sha256 !== '' ? `"${sha256}"` : `W/"${size}-${mtime.getTime()}"`
    reply
      .header('Accept-Ranges', 'bytes')
      .header('ETag', etag)
      .header('Last-Modified', mtime.toUTCString())
      .header('Cache-Control', 'private, no-cache')

    if (matchesEtag(request.headers['if-none-match'], etag)) return await reply.code(304).send()

    let start = 0
    let end = size - 1
    const rangeHeader = request.headers.range
    const ifRange = request.headers['if-range']
    if (rangeHeader !== undefined && (ifRange === undefined || ifRange === etag)) {
      const range = parseRange(rangeHeader, size)
      if (range === 'unsatisfiable') {
        return await reply.code(416).header('Content-Range', `bytes */${size}`).send({ error: `range "${rangeHeader}" is outside the archive (${size} bytes)` })
      }
      if (range !== undefined) {
        ;({ start, end } = range)
        reply.code(206).header('Content-Range', `bytes ${start}-${end}/${size}`)
      }
    }
    reply
      .header('Content-Type', 'application/gzip')
      .header('Content-Disposition', `attachment; filename="${fileName}"`)
      .header('Content-Length', end - start + 1)
    // HEAD: Fastify keeps our Content-Length when there is no payload.
    if (request.method === 'HEAD' || size === 0) return await reply.send()
    streaming = true
    // The body owns the handle from here: it closes it on end, error, stall or client gone. It answers
    // through reply.hijack(), so no onSend hook runs for it (see FileBody).
    await new FileBody({ handle, start, end }).send(reply)
    return reply
  } finally {
    if (!streaming) await handle.close()
  }
}

function matchesEtag (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter.
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare)
}

/**
 * One `bytes=` range; undefined when the header is not one we honour (then the
 * whole file is sent), 'unsatisfiable' when it lies outside the file.
 */
export function parseRange (header: string, size: number): { start: number, end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size) return 'unsatisfiable'
  if (end < start) return undefined
  return { start, end }
}
