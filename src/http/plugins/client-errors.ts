import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

import type { FastifyBaseLogger, FastifyInstance } from 'fastify'

/** What Node's parser (or its request timeout) reports on 'clientError'. */
interface ClientError extends Error {
  code?: string
  /** The chunk being parsed when the parser failed (absent for timeouts). */
  rawPacket?: unknown
}

const ANSWERS: Record<string, { status: number, reason: string, error: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', error: 'the request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', error: 'the request headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, reason: 'Content Too Large', error: 'the chunk extensions are too large' }
}
const MALFORMED = { status: 400, reason: 'Bad Request', error: 'the request could not be parsed as HTTP' }

/** Methods a request line can start with; a packet that starts otherwise is the middle of a request. */
const REQUEST_START = /^(?:GET|POST|PUT|DELETE|PATCH|OPTIONS|TRACE|CONNECT|HEAD) /
const HEAD_LINE = /(?:^|\n)HEAD /

/** Per connection: the responses Fastify has begun on it and not yet closed (several when requests are pipelined). */
const responsesOn = new WeakMap<Socket, Set<ServerResponse>>()

/**
 * Answers a request Node's HTTP parser refused (malformed request line or
 * header, headers too large, request timeout), replacing Fastify's default
 * handler, which writes a JSON body whatever the method and no
 * `Connection: close`: after `HEAD /<raw byte 0xD5>` a keep-alive client took
 * that body for the start of its next response. Like Node's own handler:
 * - the connection is closed, and the answer says so;
 * - nothing is written while a response on the same connection is part-way
 *   out (a pipelined malformed request must not land inside a download);
 * - the body (JSON `{"error"}`, as for every refusal) is sent only when the
 *   refused request is known not to be a HEAD: the packet the parser failed
 *   in begins with a request line that is not HEAD's and holds no other.
 *   When that cannot be told (a timeout, a request split over packets,
 *   pipelined requests), the answer has no body: an empty 4xx harms no
 *   client, a body after HEAD breaks the next response.
 */
export function answerClientError (this: { log: FastifyBaseLogger }, error: ClientError, socket: Socket): void {
  // A reset connection, or one already gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  this.log.debug({ err: error }, 'Client error.')
  if (socket.writable && !responding(socket)) {
    const { status, reason, error: message } = (error.code !== undefined ? ANSWERS[error.code] : undefined) ?? MALFORMED
    const body = knownNotHead(error) ? JSON.stringify({ error: message }) : ''
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n` +
      (body === '' ? 'Content-Length: 0\r\n\r\n' : `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`))
  }
  socket.destroy(error)
}

/** Keeps track of the responses in progress on each connection, for answerClientError. */
export function trackResponses (app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const socket = request.raw.socket
    let responses = responsesOn.get(socket)
    if (responses === undefined) {
      responses = new Set()
      responsesOn.set(socket, responses)
    }
    responses.add(reply.raw)
    const set = responses
    reply.raw.once('close', () => set.delete(reply.raw))
  })
}

/** Whether a response has sent its head but not all of its body: anything written now would land inside it. */
function responding (socket: Socket): boolean {
  for (const response of responsesOn.get(socket) ?? []) {
    if (response.headersSent && !response.writableEnded) return true
  }
  return false
}

function knownNotHead (error: ClientError): boolean {
  const packet = error.rawPacket
  if (!Buffer.isBuffer(packet)) return false
  const text = packet.toString('latin1')
  if (!REQUEST_START.test(text) || HEAD_LINE.test(text)) return false
  // A second request line in the packet: pipelined requests, and which one failed is not known.
  return !/\n(?:GET|POST|PUT|DELETE|PATCH|OPTIONS|TRACE|CONNECT) /.test(text)
}
