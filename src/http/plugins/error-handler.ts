import type { FastifyError, FastifyInstance } from 'fastify'
import type { TSchema } from '../../schemas/builder.js'

import { GatheringError } from '../../gatherings/errors.js'
import { CreateGatheringBodySchema } from '../../schemas/gathering.js'
import { StoreUnavailableError } from '../../storage/postgres-errors.js'

/** Status of each domain error code; anything else is a 500. */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  GATHERING_NOT_FOUND: 404,
  ARCHIVE_NOT_FOUND: 404,
  QUEUE_FULL: 429,
  REQUEST_NOT_ALLOWED: 403,
  SHUTTING_DOWN: 503,
  STORAGE_FULL: 507
}

interface ErrorBody {
  error: string
  field?: string
}

/**
 * The one place errors become HTTP responses: always JSON `{error, field?}`;
 * a message is shown only for client errors, never for a 500.
 */
export function installErrorHandlers (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof GatheringError) {
      const status = STATUS_BY_CODE[error.code] ?? 500
      const body: ErrorBody = { error: error.message }
      if ('field' in error && typeof error.field === 'string') body.field = error.field
      if (error.code === 'QUEUE_FULL') reply.header('Retry-After', '10')
      return reply.code(status).send(body)
    }
    if (error.validation !== undefined) {
      return reply.code(400).send(describeSchemaError(error))
    }
    if (error instanceof StoreUnavailableError) {
      // The database is away (restarting): worth trying again soon. The message says whether a write may have been made.
      request.log.error({ err: error, method: request.method, url: request.url }, 'Database unavailable.')
      return reply.code(503).header('Retry-After', '5').send({ error: error.message })
    }
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error, method: request.method, url: request.url }, 'Unhandled error.')
      return reply.code(500).send({ error: 'internal server error' })
    }
    return reply.code(status).send(describeClientError(error))
  })

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` })
  })
}

function describeClientError (error: FastifyError): ErrorBody {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: error.message, field: 'body' }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: 'request body is too large', field: 'body' }
    default:
      return { error: error.message }
  }
}

/** Turns the first schema (ajv) error into a sentence naming the field. */
function describeSchemaError (error: FastifyError): ErrorBody {
  const first = error.validation?.[0]
  const where = error.validationContext ?? 'body'
  if (first === undefined) return { error: error.message }
  if (first.keyword === 'additionalProperties') {
    const field = String((first.params as { additionalProperty?: string }).additionalProperty)
    return { error: `unknown field "${field}"`, field }
  }
  const path = first.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const field = path[0]
  if (field === undefined) {
    return where === 'body'
      ? { error: 'request body must be a JSON object', field: 'body' }
      : { error: `${where} ${first.message ?? 'is invalid'}`, field: where }
  }
  if (where === 'body') {
    const schema = (CreateGatheringBodySchema.properties as Record<string, TSchema>)[field]
    if (first.keyword === 'maxLength' || first.keyword === 'maxItems') {
      return { error: `${path.join('.')} ${first.message ?? 'is too long'}`, field }
    }
    if (schema !== undefined) return { error: `${field} must be ${describeType(schema)}`, field }
  }
  return { error: `${field} ${first.message ?? 'is invalid'}`, field }
}

/** "a string", "a string or an array of strings", … read off the schema itself. */
export function describeType (schema: TSchema): string {
  const s = schema as { type?: string, anyOf?: TSchema[], items?: TSchema }
  if (s.anyOf !== undefined) {
    return s.anyOf.filter((t) => (t as { type?: string }).type !== 'null').map(describeType).join(' or ')
  }
  switch (s.type) {
    case 'string': return 'a string'
    case 'boolean': return 'a boolean (true or false)'
    case 'integer': return 'an integer'
    case 'number': return 'a number'
    case 'array': return s.items !== undefined ? `an array of ${describeType(s.items).replace(/^an? /, '')}s` : 'an array'
    case 'object': return 'an object'
    default: return 'valid'
  }
}
