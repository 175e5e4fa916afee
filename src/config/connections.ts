import { ConfigError, duration, integer } from './parse.js'

/** Connections, followers and the operations port (issue 12, items 2, 4 and 10). */
export interface ConnectionConfig {
  /** `IDLE_TIMEOUT`: a connection with no request in progress is closed after this long, TLS handshake included (default: 60s). */
  idleTimeoutMs: number
  /** `MAX_CONNECTIONS`: open connections at most, on the API port; more are closed as they arrive (default: 1024). */
  maxConnections: number
  /** `MAX_FOLLOWERS`: `?follow=true` responses open at once, everyone's together; 429 beyond (default: 256). */
  maxFollowers: number
  /** `MAX_FOLLOWERS_PER_USER`: the same, per caller; 429 beyond (default: 16). */
  maxFollowersPerUser: number
  /**
   * `METRICS_PORT`: plain-HTTP port serving only /healthz, /readyz and /metrics, on HOST;
   * the API port then serves none of them (default: 9090). `0` picks a free port;
   * `-1` serves them on the API port instead, as before (local use).
   */
  metricsPort: number | undefined
}

export function loadConnectionConfig (read: (name: string) => string | undefined): ConnectionConfig {
  const metricsPort = read('METRICS_PORT') ?? '9090'
  const config: ConnectionConfig = {
    idleTimeoutMs: duration('IDLE_TIMEOUT', read('IDLE_TIMEOUT') ?? '60s', { positive: true }),
    maxConnections: integer('MAX_CONNECTIONS', read('MAX_CONNECTIONS') ?? '1024', 1, 1_000_000),
    maxFollowers: integer('MAX_FOLLOWERS', read('MAX_FOLLOWERS') ?? '256', 1, 1_000_000),
    maxFollowersPerUser: integer('MAX_FOLLOWERS_PER_USER', read('MAX_FOLLOWERS_PER_USER') ?? '16', 1, 1_000_000),
    metricsPort: metricsPort === '-1' ? undefined : integer('METRICS_PORT', metricsPort, 0, 65535)
  }
  // Node timers hold at most 2^31-1 ms: a longer timeout would fire at once.
  if (config.idleTimeoutMs > 2 ** 31 - 1) throw new ConfigError('IDLE_TIMEOUT', 'must be under 24 days')
  return config
}
