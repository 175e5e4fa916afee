import type { Server as HttpServer } from 'node:http'
import { Server as HttpsServer } from 'node:https'
import type { Socket } from 'node:net'

export interface ConnectionLimits {
  /** A connection with no request in progress is closed after this long. */
  idleTimeoutMs: number
  /** Open connections at most; Node closes any beyond as it arrives. */
  maxConnections: number
}

/**
 * Closes connections that sit idle, with no request in progress, for
 * `idleTimeoutMs`: from the moment they are accepted (a TLS handshake that
 * never completes, or a connection that never sends a request) and from the
 * end of each response. A request in progress is never idle: a follower of
 * a quiet run keeps its connection however long no byte flows (SSE followers
 * get heartbeats anyway, for proxies), and a download that stops being read
 * has its own limit (bodies/file-body.ts).
 *
 * Node's own timers do not cover this: `headersTimeout` starts with the
 * first byte of a request, `keepAliveTimeout` after a response, and a TLS
 * server's `handshakeTimeout` is 120 s; `server.timeout` counts silence,
 * which would cut quiet followers.
 */
/** The `handshakeTimeout` option for an HTTPS server under these limits. */
export function tlsHandshakeTimeout (limits: ConnectionLimits): { handshakeTimeout: number } {
  return { handshakeTimeout: limits.idleTimeoutMs }
}

export function limitConnections (server: HttpServer | HttpsServer, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections
  const tls = server instanceof HttpsServer
  // Before its handshake a TLS connection is a TCP socket only the TLS layer sees:
  // the server's `handshakeTimeout` (see tlsHandshakeTimeout) closes it.
  const active = new WeakMap<Socket, { requests: number, timer: NodeJS.Timeout | undefined }>()
  const arm = (socket: Socket): void => {
    const state = active.get(socket)
    if (state === undefined || state.requests > 0 || socket.destroyed) return
    clearTimeout(state.timer)
    state.timer = setTimeout(() => socket.destroy(), limits.idleTimeoutMs)
    state.timer.unref()
  }
  // The socket HTTP is spoken on: the TLS socket once the handshake is done, else the TCP one.
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    active.set(socket, { requests: 0, timer: undefined })
    socket.once('close', () => clearTimeout(active.get(socket)?.timer))
    arm(socket)
  })
  server.on('request', (request, response) => {
    const state = active.get(request.socket)
    if (state === undefined) return
    state.requests++
    clearTimeout(state.timer)
    response.once('close', () => {
      state.requests--
      arm(request.socket)
    })
  })
}
