import type { FastifyInstance } from 'fastify'

/**
 * Clients of the predecessor post JSON with or without a JSON content type
 * (plain `curl -d` sends form encoding): every body is read as JSON, and an
 * empty one as "no options".
 */
export function installJsonBodyParser (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body)
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      const invalid = new Error(`request body is not valid JSON: ${(error as Error).message}`) as Error & { statusCode: number, code: string }
      invalid.statusCode = 400
      invalid.code = 'FST_ERR_CTP_INVALID_JSON_BODY'
      done(invalid, undefined)
    }
  })
}
