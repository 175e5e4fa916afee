import { readFile } from 'node:fs/promises'

import type { FastifyRequest } from 'fastify'

import { GatheringError, GatheringNotFoundError, RequestNotAllowedError } from '../gatherings/errors.js'
import type { GatheringPaths } from '../gatherings/paths.js'
import { Type, type TypedPlugin } from '../schemas/builder.js'
import { ErrorResponseSchema, GatheringParamsSchema } from '../schemas/gathering.js'
import { resolveGathering, type Visibility } from './resolve-gathering.js'

export interface RedactionReportRoutesOptions extends Visibility {
  paths: GatheringPaths
  /** REDACTION_REPORT=off: never served. */
  served: boolean
  /** Whether the caller passes the report's own rule (REDACTION_REPORT_AUTHZ_*; cluster-admins by default). */
  mayRead: (request: FastifyRequest) => Promise<boolean>
}

class NotRedactedError extends GatheringError {
  constructor (id: number) {
    super(`must-gather execution ${id} was not redacted: it has no redaction report`, 'GATHERING_NOT_FOUND')
  }
}

const errors = Object.fromEntries([401, 403, 404, 503].map((status) => [status, ErrorResponseSchema]))

/**
 * GET /must-gather/:id/redaction-report: what redaction replaced (original →
 * replacement, per rule), omitted and found binary. As sensitive as the raw
 * archive, so kept on the server, never in the archive, and served only to
 * callers the report's own rule allows.
 */
export const redactionReportRoutes: TypedPlugin<RedactionReportRoutesOptions> = async (app, opts) => {
  app.get('/must-gather/:id/redaction-report', {
    schema: {
      tags: ['redaction'],
      summary: 'What redaction replaced and omitted (original → replacement): for callers the report rule allows',
      description: 'Cluster-admins by default (REDACTION_REPORT_AUTHZ_*); never served with REDACTION_REPORT=off.',
      params: GatheringParamsSchema,
      response: { 200: Type.Object({}, { additionalProperties: true, description: 'The redaction report (docs/redaction.md)' }), ...errors }
    }
  }, async (request, reply) => {
    const gathering = await resolveGathering(request, request.params.id, opts)
    if (!opts.served) throw new RequestNotAllowedError('id', 'redaction reports are not served by this service (REDACTION_REPORT=off)')
    if (!await opts.mayRead(request)) {
      throw new RequestNotAllowedError('id', 'the redaction report is readable only by callers the report rule allows (REDACTION_REPORT_AUTHZ_*; cluster-admins by default)')
    }
    if (gathering.redactionCounts === null) throw new NotRedactedError(gathering.id)
    const report = await readFile(opts.paths.redactionReport(gathering.id)).catch(() => {
      throw new GatheringNotFoundError(`${gathering.id}/redaction-report`)
    })
    return reply.header('Cache-Control', 'private, no-store').type('application/json; charset=utf-8').send(report)
  })
}
