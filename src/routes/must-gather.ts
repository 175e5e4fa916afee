import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

import { ArchiveNotFoundError, GatheringNotFoundError, ValidationError } from '../gatherings/errors.js'
import type { GatheringPaths } from '../gatherings/paths.js'
import type { GatheringRunner } from '../gatherings/runner.js'
import { GATHERING_STATUSES, type Gathering, type GatheringStatus } from '../gatherings/types.js'
import { type RequestDefaults, validateRequest } from '../gatherings/validate-request.js'
import { presentGathering } from '../http/present.js'
import {
  CreateGatheringBodySchema,
  ErrorResponseSchema,
  GatheringParamsSchema,
  GatheringResponseSchema,
  ListGatheringsQuerySchema
} from '../schemas/gathering.js'
import type { GatheringStore } from '../storage/types.js'

export interface MustGatherRoutesOptions {
  store: GatheringStore
  runner: GatheringRunner
  paths: GatheringPaths
  defaults: RequestDefaults
  /** Bytes of output in `exec-output` of one execution. */
  execOutputLimit: number
  /** Bytes of output in `exec-output` of list entries. */
  listOutputLimit: number
}

const FILE_CHUNK = 1024 * 1024

/** POST/GET/DELETE /must-gather… — the predecessor's API, plus `/output`. */
export const mustGatherRoutes: FastifyPluginAsyncTypebox<MustGatherRoutesOptions> = async (app, opts) => {
  const { store, runner, paths } = opts

  /** `:id` is a numeric id or, failing that, a custom name (the newest with it). */
  const resolve = (key: string): Gathering => {
    const byId = /^\d{1,15}$/.test(key) ? store.get(Number(key)) : undefined
    const gathering = byId ?? store.findByCustomName(key)
    if (gathering === undefined) throw new GatheringNotFoundError(key)
    return gathering
  }
  const present = (g: Gathering, limit: number) => {
    const live = g.status === 'inprogress' ? runner.liveOutput(g.id, limit) : undefined
    return presentGathering(g, live?.tail ?? tailOf(g.outputTail, limit))
  }

  app.post('/must-gather', {
    schema: {
      body: CreateGatheringBodySchema,
      response: { 201: GatheringResponseSchema, 400: ErrorResponseSchema, 429: ErrorResponseSchema, 503: ErrorResponseSchema }
    },
    // An empty body means "run with the server's defaults".
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {}
    }
  }, async (request, reply) => {
    const validated = validateRequest(request.body, opts.defaults)
    const gathering = runner.submit(validated)
    return reply.code(201).send(present(gathering, opts.execOutputLimit))
  })

  app.get('/must-gather', {
    schema: { querystring: ListGatheringsQuerySchema, response: { 200: { type: 'array', items: GatheringResponseSchema }, 400: ErrorResponseSchema } }
  }, async (request) => {
    const q = request.query
    if (q.status !== undefined && !GATHERING_STATUSES.includes(q.status as GatheringStatus)) {
      throw new ValidationError('status', `status must be one of ${GATHERING_STATUSES.join(', ')}`)
    }
    const list = store.list({
      ...(q.status !== undefined && { status: q.status as GatheringStatus }),
      ...(q['custom-name'] !== undefined && { customName: q['custom-name'] }),
      ...(q.limit !== undefined && { limit: wholeNumber('limit', q.limit) }),
      ...(q.offset !== undefined && { offset: wholeNumber('offset', q.offset) }),
      outputLimit: opts.listOutputLimit
    })
    return list.map((g) => present(g, opts.listOutputLimit))
  })

  app.get('/must-gather/:id', {
    schema: { params: GatheringParamsSchema, response: { 200: GatheringResponseSchema, 404: ErrorResponseSchema } }
  }, async (request) => present(resolve(request.params.id), opts.execOutputLimit))

  app.get('/must-gather/:id/data', {
    schema: { params: GatheringParamsSchema }
  }, async (request, reply) => {
    const gathering = resolve(request.params.id)
    if (gathering.archiveName === '') throw new ArchiveNotFoundError(gathering.id, reasonForNoArchive(gathering))
    // Open before answering: the file may be removed (retention, delete) at any moment after.
    const handle = await open(paths.archive(gathering.id), 'r').catch(() => {
      throw new ArchiveNotFoundError(gathering.id, 'its file is gone')
    })
    const { size } = await handle.stat()
    return reply
      .header('Content-Type', 'application/gzip')
      .header('Content-Disposition', `attachment; filename="${gathering.archiveName}"`)
      .header('Content-Length', size)
      .send(createReadStream('', { fd: handle, highWaterMark: FILE_CHUNK }))
  })

  app.get('/must-gather/:id/output', {
    schema: { params: GatheringParamsSchema }
  }, async (request, reply) => {
    const gathering = resolve(request.params.id)
    reply.header('Content-Type', 'text/plain; charset=utf-8')
    const handle = await open(paths.output(gathering.id), 'r').catch(() => undefined)
    if (handle === undefined) return reply.send('')
    return reply.send(createReadStream('', { fd: handle, highWaterMark: FILE_CHUNK }))
  })

  app.delete('/must-gather/:id', {
    schema: { params: GatheringParamsSchema }
  }, async (request, reply) => {
    const gathering = resolve(request.params.id)
    if (!await runner.remove(gathering.id)) throw new GatheringNotFoundError(request.params.id)
    return reply.code(204).send()
  })
}

function wholeNumber (field: string, value: string): number {
  const n = Number(value)
  if (!/^\d{1,9}$/.test(value) || !Number.isSafeInteger(n)) throw new ValidationError(field, `${field} must be a whole number`)
  return n
}

/** The last `limit` characters of a stored tail. */
function tailOf (text: string, limit: number): string {
  return text.length > limit ? text.slice(text.length - limit) : text
}

function reasonForNoArchive (g: Gathering): string {
  switch (g.status) {
    case 'new': return 'it is still queued'
    case 'inprogress': return 'it is still running'
    default: return g.errorMessage !== '' ? `it failed before anything was gathered (${g.errorMessage})` : 'nothing was gathered'
  }
}
