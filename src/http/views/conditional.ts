import { createHash } from 'node:crypto'

import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * Revalidation for polled JSON: sets a weak ETag made from `version` (a cheap
 * summary of what the response shows, not the serialized body) and
 * `Cache-Control: no-cache`; returns true when the client already has it, and
 * the caller should answer 304 without building the body.
 */
export function notModified (request: FastifyRequest, reply: FastifyReply, version: string): boolean {
  const etag = `W/"${createHash('sha1').update(version).digest('base64url')}"`
  reply.header('ETag', etag).header('Cache-Control', 'no-cache')
  const header = request.headers['if-none-match']
  if (header === undefined) return false
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag.slice(2))
}
