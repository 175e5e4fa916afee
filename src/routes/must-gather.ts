import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'

import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TypedPlugin } from '../schemas/builder.js'

import type { GatheringCreator } from '../gatherings/create-gathering.js'
import { ArchiveNotFoundError, GatheringNotFoundError, ValidationError } from '../gatherings/errors.js'
import type { GatheringPaths } from '../gatherings/paths.js'
import type { GatheringRunner } from '../gatherings/runner.js'
import { GATHERING_STATUSES, type Gathering, type GatheringStatus } from '../gatherings/types.js'
import { notModified } from '../http/views/conditional.js'
import { type OutputFollowers, TooManyFollowersError } from '../http/bodies/output-followers.js'
import { followOutput } from '../http/bodies/output-stream.js'
import { rateLimiter } from '../http/plugins/rate-limit.js'
import { sendArchive } from '../http/bodies/send-archive.js'
import type { GatheringViews } from '../http/views/gathering-views.js'
import {
  CreateGatheringBodySchema,
  ErrorResponseSchema,
  GatheringParamsSchema,
  GatheringResponseSchema,
  ListGatheringsQuerySchema,
  OutputQuerySchema
} from '../schemas/gathering.js'
import type { GatheringStore } from '../storage/types.js'
import { gatheringRequestFrom, inWireTerms } from './gathering-request.js'
import { resolveGathering, visibleOwner } from './resolve-gathering.js'

export interface MustGatherRoutesOptions {
  store: GatheringStore
  /** `own`: callers see only their executions (cluster-admins see all). */
  visibility: 'all' | 'own'
  /** POST /must-gather per caller per minute; 0 disables. */
  postRateLimit: number
  creator: GatheringCreator
  runner: GatheringRunner
  paths: GatheringPaths
  /** The executions' JSON and ETags. */
  views: GatheringViews
  /** `?follow=true` bodies: one reader per execution, MAX_FOLLOWERS / MAX_FOLLOWERS_PER_USER. */
  followers: OutputFollowers
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The execution a request acted on, for the audit line. */
    auditId: number | undefined
  }
}

/** POST/GET/DELETE /must-gather… — the predecessor's API, plus `/output`. */
export const mustGatherRoutes: TypedPlugin<MustGatherRoutesOptions> = async (app, opts) => {
  const { store, runner, paths, views } = opts
  app.decorateRequest('auditId', undefined)

  const scopeOf = (request: FastifyRequest): string | undefined => visibleOwner(request, opts.visibility)
  const resolve = async (request: FastifyRequest, key: string): Promise<Gathering> => {
    const gathering = await resolveGathering(request, key, opts)
    request.auditId = gathering.id
    return gathering
  }

  // One audit line per create, download and delete: who, which, and how it ended.
  app.addHook('onResponse', async (request, reply) => {
    const action = auditedAction(request.method, request.routeOptions.url)
    if (action === undefined) return
    request.log.info({
      audit: action,
      user: request.caller?.username,
      id: request.auditId,
      statusCode: reply.statusCode,
      outcome: reply.statusCode < 400 ? 'success' : 'refused'
    }, `Audit: ${action}.`)
  })

  app.post('/must-gather', {
    schema: {
      tags: ['must-gather'],
      summary: 'Queue an execution of oc adm must-gather',
      description: 'All fields are optional: an empty body runs with the server defaults. Nothing is queued when the request is refused.',
      body: CreateGatheringBodySchema,
      response: { 201: GatheringResponseSchema, ...errors(400, 401, 403, 413, 429, 503, 507) }
    },
    // An empty body means "run with the server's defaults".
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {}
    },
    preHandler: rateLimiter(opts.postRateLimit)
  }, async (request, reply) => {
    const gathering = await opts.creator.create(gatheringRequestFrom(request.body ?? {}), request.caller).catch((error: unknown) => {
      throw inWireTerms(error)
    })
    request.auditId = gathering.id
    return sendJson(reply.code(201), await views.one(gathering))
  })

  app.get('/must-gather', {
    schema: {
      tags: ['must-gather'],
      summary: 'List executions, newest first',
      description: '`exec-output` holds only a short tail (LIST_OUTPUT_LIMIT characters) so that polling the list stays cheap. ' +
        'A list of 1,000 entries or more is sent as it is read (chunked), 1,000 at a time.',
      querystring: ListGatheringsQuerySchema,
      response: { 200: Type.Array(GatheringResponseSchema), 304: notModifiedResponse, ...errors(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const q = request.query
    if (q.status !== undefined && !GATHERING_STATUSES.includes(q.status as GatheringStatus)) {
      throw new ValidationError('status', `status must be one of ${GATHERING_STATUSES.join(', ')}`)
    }
    const scope = {
      ...(q.status !== undefined && { status: q.status as GatheringStatus }),
      ...(q['custom-name'] !== undefined && { customName: q['custom-name'] }),
      ...(scopeOf(request) !== undefined && { createdBy: scopeOf(request) })
    }
    const page = {
      ...(q.limit !== undefined && { limit: wholeNumber('limit', q.limit) }),
      ...(q.offset !== undefined && { offset: wholeNumber('offset', q.offset) })
    }
    // Every open UI tab polls this every 10 s: answer 304 when nothing changed, without reading the rows.
    const version = await views.listVersion(scope, page)
    if (notModified(request, reply, version)) return reply.code(304).send(null)
    return sendJson(reply, await views.list(scope, page, version))
  })

  app.get('/must-gather/:id', {
    schema: {
      tags: ['must-gather'],
      summary: 'One execution, by numeric id or custom name (the newest with it)',
      params: GatheringParamsSchema,
      response: { 200: GatheringResponseSchema, 304: notModifiedResponse, ...errors(401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const gathering = await resolve(request, request.params.id)
    const version = views.version(gathering)
    if (notModified(request, reply, version)) return reply.code(304).send(null)
    return sendJson(reply, await views.one(gathering, version))
  })

  // GET and HEAD in one route: Fastify's automatic HEAD route would read the whole file to count it.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/must-gather/:id/data',
    schema: {
      tags: ['must-gather'],
      summary: 'Download the archive (.tar.gz)',
      description: 'Available once the execution has an archive: always when `completed`, and when `error` if oc gathered something before failing. ' +
        'Resumable: a single `Range` gives 206 (416 outside the file); `If-None-Match` with the ETag (the sha256) gives 304; HEAD is supported.',
      params: GatheringParamsSchema,
      response: {
        200: nonJson('The archive, as an attachment', 'application/gzip', { type: 'string', format: 'binary' }),
        206: nonJson('Part of the archive (Range)', 'application/gzip', { type: 'string', format: 'binary' }),
        304: notModifiedResponse,
        ...errors(401, 403, 404, 416, 503)
      }
    },
    handler: async (request, reply) => {
      const gathering = await resolve(request, request.params.id)
      if (gathering.archiveName === '') throw new ArchiveNotFoundError(gathering.id, reasonForNoArchive(gathering))
      // Open before answering: the file may be removed (retention, delete) at any moment after.
      const handle = await open(paths.archive(gathering.id), 'r').catch(() => {
        throw new ArchiveNotFoundError(gathering.id, 'its file is gone')
      })
      return sendArchive(request, reply, { handle, fileName: gathering.archiveName, sha256: gathering.archiveSha256 })
    }
  })

  app.get('/must-gather/:id/output', {
    schema: {
      tags: ['must-gather'],
      summary: 'Everything oc printed (stdout and stderr, in order)',
      description: 'Plain text by default. `?follow=true` keeps the response open and streams the output as it is written, ' +
        'ending when the execution ends; with `Accept: text/event-stream` as Server-Sent Events (`output` events whose id is the byte offset, ' +
        'then an `end` event; every line end oc printed, `\\r\\n`, `\\r` or `\\n`, starts a new `data:` line; a `:` comment every 15 s while nothing is printed). ' +
        '`?offset=` (or `Last-Event-ID`) starts from that byte. Followers are capped (MAX_FOLLOWERS_PER_USER per caller, MAX_FOLLOWERS in all): 429 beyond.',
      params: GatheringParamsSchema,
      querystring: OutputQuerySchema,
      response: { 200: nonJson('The output', 'text/plain', { type: 'string' }), ...errors(400, 401, 403, 404, 429, 503) }
    }
  }, async (request, reply) => {
    const gathering = await resolve(request, request.params.id)
    const follow = request.query.follow === 'true' || request.query.follow === '1'
    const sse = (request.headers.accept ?? '').includes('text/event-stream')
    const lastEventId = request.headers['last-event-id']
    const offset = request.query.offset !== undefined
      ? wholeNumber('offset', request.query.offset)
      // A reconnecting browser's own id; one past any real file just reads nothing (fs refuses positions past 2^63).
      : typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Math.min(Number(lastEventId), Number.MAX_SAFE_INTEGER) : 0
    const id = gathering.id
    const path = paths.output(id)
    let body: Readable
    if (follow) {
      try {
        body = opts.followers.follow({
          id,
          path,
          offset,
          sse,
          callerKey: request.caller.key,
          isFinished: async () => {
            const current = await store.get(id)
            return current === undefined || current.status === 'completed' || current.status === 'error'
          },
          // A follower learns at once that it is following (EventSource's `open`), even when nothing is printed yet.
          onStart: () => { if (!reply.raw.destroyed) reply.raw.flushHeaders() }
        })
      } catch (error) {
        if (!(error instanceof TooManyFollowersError)) throw error
        return (reply as FastifyReply).code(429).header('Retry-After', '10').send({ error: error.message })
      }
    } else {
      const abort = new AbortController()
      body = followOutput({ path, offset, isFinished: async () => true, sse, signal: abort.signal })
      body.once('close', () => abort.abort())
    }
    // A client gone, whenever: the body goes too (a follower gives back its place).
    reply.raw.once('close', () => body.destroy())
    reply
      .header('Content-Type', sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('X-Accel-Buffering', 'no')
    return reply.send(body)
  })

  app.delete('/must-gather/:id', {
    schema: {
      tags: ['must-gather'],
      summary: 'Cancel (if queued or running) and delete an execution with its files',
      description: 'A running oc gets SIGTERM (and its children), SIGKILL after CANCEL_GRACE; the answer comes once it has stopped.',
      params: GatheringParamsSchema,
      response: { 204: Type.Null({ description: 'Deleted' }), ...errors(401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const gathering = await resolve(request, request.params.id)
    if (!await runner.remove(gathering.id)) throw new GatheringNotFoundError(request.params.id)
    return reply.code(204).send(null)
  })
}

/** JSON serialized already (by GatheringViews, in the shapes the schemas describe), sent as it is. */
function sendJson (reply: FastifyReply, body: Buffer | Readable): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body)
}

const notModifiedResponse = Type.Null({ description: 'Not modified: the If-None-Match ETag is current' })

/** A documented response that is not JSON (files, text): @fastify/swagger's `content` form. */
export function nonJson (description: string, mediaType: string, schema: object): { description: string, content: Record<string, { schema: object }> } {
  return { description, content: { [mediaType]: { schema } } }
}

/** The JSON error body under each of these statuses, for the API description. */
function errors (...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]))
}

function auditedAction (method: string, url: string | undefined): string | undefined {
  if (method === 'POST' && url === '/must-gather') return 'create'
  if (method === 'GET' && url === '/must-gather/:id/data') return 'download'
  if (method === 'DELETE' && url === '/must-gather/:id') return 'delete'
  return undefined
}

function wholeNumber (field: string, value: string): number {
  const n = Number(value)
  if (!/^\d{1,9}$/.test(value) || !Number.isSafeInteger(n)) throw new ValidationError(field, `${field} must be a whole number`)
  return n
}

function reasonForNoArchive (g: Gathering): string {
  if (g.expiredAt !== null) return `its archive was ${g.expiredReason !== '' ? g.expiredReason : 'deleted to make room (MAX_STORAGE / MIN_FREE_SPACE)'} at ${g.expiredAt}`
  switch (g.status) {
    case 'new': return 'it is still queued'
    case 'inprogress': return 'it is still running'
    default: return g.errorMessage !== '' ? `it failed before anything was gathered (${g.errorMessage})` : 'nothing was gathered'
  }
}
