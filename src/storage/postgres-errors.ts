/**
 * The database is away (restarting, unreachable) and the call gave up
 * waiting for it: a loud failure, never a write silently dropped. The message
 * says whether the write may have been made.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}

/** SQLSTATE classes and codes that mean the connection, not the statement, failed. */
const CONNECTION_STATES = new Set([
  '57P01', // admin_shutdown: the server is stopping (a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting
  '53300' // too_many_connections: others hold them all for now
])

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])

/**
 * Did this error come from losing (or not getting) the connection to the
 * database, rather than from the statement? Only those are worth waiting out.
 */
export function isConnectionLost (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (CONNECTION_STATES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code)) return true
  }
  // node-postgres's own words when the socket closes under a query or a connect.
  return /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|not queryable/i.test(error.message)
}
