import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import { hashToken, type TokenAuthorizer } from '../../auth/authorizer.js'
import type { Caller } from '../../auth/types.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every API route. */
    caller: Caller
  }
  interface FastifyContextConfig {
    /**
     * Answers without a token: the console's page and its files (the API calls it makes carry the
     * token); as a function, only the requests it picks.
     */
    public?: boolean | ((request: FastifyRequest) => boolean)
  }
}

export interface AuthOptions {
  /** A header (lower-case) a proxy in the same pod puts the caller's token in; read only on loopback connections. */
  forwardedTokenHeader?: string | undefined
}

/** Routes that answer without a token (health and metrics, when present). */
export const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/

/**
 * Every API route needs `Authorization: Bearer <token>`, checked against the
 * cluster. 401 (with `WWW-Authenticate: Bearer`) when the token is missing or
 * rejected, 403 when the user may not run must-gather (a 401 would log the
 * console user out), 503 when the API server cannot be asked.
 * With AUTH_MODE=none every caller is trusted (and the service binds to
 * loopback unless HOST says otherwise).
 */
export function installAuth (app: FastifyInstance, authorizer: TokenAuthorizer | undefined, options: AuthOptions = {}): void {
  app.decorateRequest('caller', null as unknown as Caller)
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'OPTIONS' || PUBLIC_PATHS.has(request.routeOptions.url ?? '') || isPublic(request)) return
    if (authorizer === undefined) {
      request.caller = { username: '', isAdmin: true, token: undefined, key: hashToken(request.ip) }
      return
    }
    const header = request.headers.authorization ?? forwardedToken(request, options.forwardedTokenHeader)
    const match = header === undefined ? null : BEARER.exec(header.trim())
    if (match === null) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer').send({
        error: header === undefined ? 'missing Authorization header: send "Authorization: Bearer <token>"' : 'malformed Authorization header: expected "Bearer <token>"'
      })
    }
    const decision = await authorizer.authorize(match[1] as string, request.ip)
    switch (decision.outcome) {
      case 'allowed':
        request.caller = decision.caller
        return
      case 'unauthenticated':
        return reply.code(401).header('WWW-Authenticate', 'Bearer error="invalid_token"').send({ error: decision.reason })
      case 'forbidden':
        request.log.info({ user: decision.username, method: request.method, url: request.url }, 'Access denied.')
        return reply.code(403).send({ error: decision.reason })
      case 'unavailable':
        return reply.code(503).header('Retry-After', '5').send({ error: decision.reason })
      case 'throttled':
        return reply.code(429).header('Retry-After', String(decision.retryAfterSeconds)).send({ error: decision.reason })
    }
  })
}

/**
 * The token a proxy in the same pod (oauth-proxy) forwards, as an
 * Authorization value. Only from a loopback peer: anyone else could set the
 * header too. The token is still reviewed like any other, so the header
 * grants nothing a token would not.
 */
function isPublic (request: FastifyRequest): boolean {
  const open = request.routeOptions.config?.public
  return typeof open === 'function' ? open(request) : open === true
}

function forwardedToken (request: FastifyRequest, headerName: string | undefined): string | undefined {
  if (headerName === undefined || !isLoopback(request.socket.remoteAddress)) return undefined
  const value = request.headers[headerName]
  return typeof value === 'string' && value.trim() !== '' ? `Bearer ${value.trim()}` : undefined
}

/** 127.0.0.0/8, ::1, and IPv4 loopback seen through an IPv6 socket. */
export function isLoopback (address: string | undefined): boolean {
  if (address === undefined) return false
  return address === '::1' || address.startsWith('127.') || address.toLowerCase().startsWith('::ffff:127.')
}
