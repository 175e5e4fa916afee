import type { FastifyInstance, FastifyRequest, InjectOptions } from 'fastify'

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'

export interface ApiAnswer {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  /** The body as bytes (files are not always text). */
  bytes: Buffer
}

/**
 * Calls the service's own routes on behalf of the MCP caller, through
 * `app.inject`: authentication, visibility, validation and error wording are
 * exactly the API's, because it is the API that answers. The caller's
 * credentials travel as they came (Authorization, or the forwarded-token
 * header, with the caller's peer address so the loopback rule for that header
 * decides the same way); they are never copied anywhere else.
 */
export class ApiCaller {
  readonly #app: FastifyInstance
  readonly #request: FastifyRequest
  readonly #forwardedTokenHeader: string | undefined

  constructor (app: FastifyInstance, request: FastifyRequest, forwardedTokenHeader: string | undefined) {
    this.#app = app
    this.#request = request
    this.#forwardedTokenHeader = forwardedTokenHeader
  }

  async call (method: 'GET' | 'POST' | 'DELETE', url: string, options: { body?: unknown, headers?: Record<string, string> } = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { 'x-request-id': this.#request.id, ...options.headers }
    const { authorization } = this.#request.headers
    if (authorization !== undefined) headers.authorization = authorization
    const forwarded = this.#forwardedTokenHeader === undefined ? undefined : this.#request.headers[this.#forwardedTokenHeader]
    if (typeof forwarded === 'string' && this.#forwardedTokenHeader !== undefined) headers[this.#forwardedTokenHeader] = forwarded
    const inject: InjectOptions = {
      method,
      url,
      headers,
      // The same peer as the MCP request: per-client limits and the loopback-only forwarded header behave alike.
      remoteAddress: this.#request.socket.remoteAddress ?? '127.0.0.1'
    }
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      inject.payload = JSON.stringify(options.body)
    }
    const response = await this.#app.inject(inject)
    return { status: response.statusCode, headers: response.headers, bytes: response.rawPayload }
  }

  /** A JSON answer as a tool result: the body as text, or the API's error as a tool error. */
  async json (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<CallToolResult> {
    const answer = await this.call(method, url, body === undefined ? {} : { body })
    if (answer.status >= 400) return apiError(answer)
    return text(answer.bytes.length === 0 ? `${method} ${url}: ${answer.status}` : prettyJson(answer.bytes))
  }
}

/** The API's refusal, as the assistant should see it: status, message and the field to blame. */
export function apiError (answer: ApiAnswer): CallToolResult {
  let message = answer.bytes.toString('utf8')
  let field: string | undefined
  try {
    const parsed = JSON.parse(message) as { error?: unknown, field?: unknown }
    if (typeof parsed.error === 'string') message = parsed.error
    if (typeof parsed.field === 'string') field = parsed.field
  } catch {}
  const blame = field === undefined ? '' : ` (field: ${field})`
  return { isError: true, content: [{ type: 'text', text: `HTTP ${answer.status}: ${message}${blame}` }] }
}

export function text (...parts: string[]): CallToolResult {
  return { content: parts.map((part) => ({ type: 'text' as const, text: part })) }
}

function prettyJson (bytes: Buffer): string {
  try {
    return JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2)
  } catch {
    return bytes.toString('utf8')
  }
}

/** One path segment per component, so names with spaces, `#` or `?` reach the route intact. */
export function encodePath (path: string): string {
  return path.split('/').map(encodeSegment).join('/')
}

/**
 * A URL path segment that stays one segment: `.` and `..` are percent-encoded
 * too, or URL normalisation would turn `../x` into another route; the route
 * then sees them as they are and refuses them as the API does.
 */
export function encodeSegment (segment: string): string {
  return segment === '.' || segment === '..' ? segment.replace(/\./g, '%2E') : encodeURIComponent(segment)
}

export function query (params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value))
  const encoded = search.toString()
  return encoded === '' ? '' : `?${encoded}`
}
