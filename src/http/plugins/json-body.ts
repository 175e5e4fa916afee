import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'

/**
 * Clients of the predecessor post JSON with or without a JSON content type
 * (plain `curl -d` sends form encoding): every body is read as JSON, and an
 * empty one as "no options". Parsed as Fastify's own JSON parser does
 * (secure-json-parse, its dependency): a `__proto__` or `constructor.prototype`
 * key is refused, so no body can poison an object's prototype.
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
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
    } catch (error) {
      const reason = (error as Error).message.includes('forbidden') || (error as Error).message.includes('prototype')
        ? 'it holds a "__proto__" or "constructor.prototype" key'
        : (error as Error).message
      const invalid = new Error(`request body is not valid JSON: ${reason}`) as Error & { statusCode: number, code: string }
      invalid.statusCode = 400
      invalid.code = 'FST_ERR_CTP_INVALID_JSON_BODY'
      done(invalid, undefined)
    }
  })
}
