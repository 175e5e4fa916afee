import { hostname } from 'node:os'

import { imageReferenceError } from '../gatherings/references.js'
import { formatGoDuration } from './go-duration.js'
import { type ConnectionConfig, loadConnectionConfig } from './connections.js'
import { loadRedactionSettings, type RedactionConfig } from './redaction.js'
import { boolean, bytes, ConfigError, duration, type Env, integer, reader } from './parse.js'
import { loadSecurityConfig, type SecurityConfig } from './security.js'

export { ConfigError } from './parse.js'

/** Everything the service can be configured with; each field says its variable and default. */
export interface Config extends SecurityConfig, ConnectionConfig, RedactionConfig {
  /** `PORT`: TCP port to listen on (default: 8080). */
  port: number
  /** `HOST`: address to bind (default: 0.0.0.0; 127.0.0.1 when AUTH_MODE=none). */
  host: string
  /** `DB_PATH`: SQLite database file, or `:memory:` (default: ./data/gatherings.db). */
  dbPath: string
  /** `DATABASE_URL`: `postgres://...` selects PostgreSQL (several replicas on one database); unset, SQLite at DB_PATH. Holds a password: never logged. */
  databaseUrl: string | undefined
  /** `DATABASE_POOL_SIZE`: connections to PostgreSQL per process (default: 10). */
  databasePoolSize: number
  /** `DATABASE_STATEMENT_TIMEOUT`: longest a PostgreSQL statement may run (default: 10s). */
  databaseStatementTimeoutMs: number
  /** `REPLICA_NAME`: this replica's name in the database: its lease, its runs (default: the host name, the pod's name in Kubernetes). */
  replicaName: string
  /** `REPLICA_LEASE`: a replica whose lease is older is gone, and another takes over its work (default: 30s; renewed every third of it). */
  replicaLeaseMs: number
  /** `DATA_DIR`: where each gathering's output, files and archive live (default: ./data/gatherings). */
  dataDir: string
  /** `OC_PATH`: the `oc` executable, a path or a name looked up on PATH (default: oc). */
  ocPath: string
  /** `MUST_GATHER_IMAGE` (alias `DEFAULT_IMAGE`): image used when a request names none; empty means oc's default (default: empty). */
  defaultImage: string
  /** `TIMEOUT`: `--timeout` when a request gives none, Go duration (default: 20m). */
  defaultTimeout: string
  /** `MAX_TIMEOUT`: the largest `timeout` a request may ask for (default: 6h). */
  maxTimeoutMs: number
  /** `TIMEOUT_GRACE`: how long past its timeout `oc` may run before the service kills it (default: 5m). */
  timeoutGraceMs: number
  /** `CANCEL_GRACE`: between SIGTERM and SIGKILL when a run is stopped (default: 30s). */
  cancelGraceMs: number
  /** `SHUTDOWN_GRACE`: on SIGTERM, how long running gatherings may finish before they are cancelled (default: 60s). */
  shutdownGraceMs: number
  /** `ARCHIVE_FILENAME`: archive a must-gather image may write itself, served as is (default: must-gather.tar.gz). */
  archiveFilename: string
  /** `CLEANUP_MAX_AGE`: finished gatherings older than this are deleted; -1 disables (default: -1). */
  cleanupMaxAgeMs: number | undefined
  /** `MAX_CONCURRENT`: gatherings running at once (default: 4). */
  maxConcurrent: number
  /** `MAX_QUEUED`: gatherings waiting to run before POST answers 429 (default: 100). */
  maxQueued: number
  /** `MAX_QUEUED_PER_USER`: of those, one user's at most (default: a quarter of MAX_QUEUED); only with AUTH_MODE=kubernetes, where callers are told apart. */
  maxQueuedPerUser: number
  /** `EXEC_OUTPUT_LIMIT`: bytes of output shown in `exec-output` of one gathering (default: 65536). */
  execOutputLimit: number
  /** `LIST_OUTPUT_LIMIT`: bytes of output shown in `exec-output` of list entries (default: 200). */
  listOutputLimit: number
  /** `MAX_STORAGE`: archives kept on disk at most (e.g. 20Gi); the oldest are expired to make room (default: no limit). */
  maxStorageBytes: number | undefined
  /** `MIN_FREE_SPACE`: free space the data directory must keep; below it new executions get 507 (default: 256Mi). */
  minFreeSpaceBytes: number
  /** `RESPONSE_CACHE_SIZE`: memory for answers kept while unchanged (polled lists, finished executions); 0 disables (default: 32Mi). */
  responseCacheBytes: number
  /** `KEEP_GATHERED_FILES`: keep the unpacked files next to the archive (default: false). */
  keepGatheredFiles: boolean
  /** `LOG_LEVEL` (or `DEBUG` set to anything: debug) (default: info). */
  logLevel: string
}

const MAX_TIMER_MS = 480 * 3_600_000 // 20 days

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads and checks the whole configuration; throws a `ConfigError` on the first bad variable. */
export function loadConfig (env: Env): Config {
  const read = reader(env)
  const defaultTimeout = read('TIMEOUT') ?? '20m'
  const defaultTimeoutMs = duration('TIMEOUT', defaultTimeout, { positive: true })
  const maxTimeoutMs = duration('MAX_TIMEOUT', read('MAX_TIMEOUT') ?? '6h', { positive: true })
  if (defaultTimeoutMs > maxTimeoutMs) {
    throw new ConfigError('TIMEOUT', `${defaultTimeout} is longer than MAX_TIMEOUT (${formatGoDuration(maxTimeoutMs)})`)
  }
  const timeoutGraceMs = duration('TIMEOUT_GRACE', read('TIMEOUT_GRACE') ?? '5m', {})
  // Node timers hold at most 2^31-1 ms (24.8 days); a longer deadline would fire at once.
  if (maxTimeoutMs + timeoutGraceMs > MAX_TIMER_MS) {
    throw new ConfigError('MAX_TIMEOUT', `MAX_TIMEOUT plus TIMEOUT_GRACE must stay under ${formatGoDuration(MAX_TIMER_MS)}`)
  }
  const defaultImage = read('MUST_GATHER_IMAGE') ?? read('DEFAULT_IMAGE') ?? ''
  const imageVariable = read('MUST_GATHER_IMAGE') !== undefined ? 'MUST_GATHER_IMAGE' : 'DEFAULT_IMAGE'
  for (const image of defaultImage.split(',').filter((i) => i !== '')) {
    const error = imageReferenceError(image)
    if (error !== undefined) throw new ConfigError(imageVariable, `"${image}" is not an image reference: ${error}`)
  }
  const cleanup = read('CLEANUP_MAX_AGE') ?? '-1'
  const archiveFilename = read('ARCHIVE_FILENAME') ?? 'must-gather.tar.gz'
  if (archiveFilename.includes('/') || archiveFilename === '.' || archiveFilename === '..' || archiveFilename.includes('\0')) {
    throw new ConfigError('ARCHIVE_FILENAME', `"${archiveFilename}" must be a plain file name`)
  }
  const logLevel = read('LOG_LEVEL') ?? (read('DEBUG') !== undefined && read('DEBUG') !== 'false' ? 'debug' : 'info')
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `"${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`)

  const security = loadSecurityConfig(read)
  const maxQueued = integer('MAX_QUEUED', read('MAX_QUEUED') ?? '100', 0, 1_000_000)
  const connections = loadConnectionConfig(read)
  const port = integer('PORT', read('PORT') ?? '8080', 0, 65535)
  if (connections.metricsPort !== undefined && connections.metricsPort !== 0 && connections.metricsPort === port) {
    throw new ConfigError('METRICS_PORT', `${port} is PORT too: choose another port, or -1 to serve /healthz, /readyz and /metrics on PORT`)
  }
  return {
    ...security,
    ...connections,
    ...loadRedactionSettings(read),
    port,
    // Trusting every caller is only safe on loopback, unless the operator says otherwise.
    host: read('HOST') ?? (security.authMode === 'none' ? '127.0.0.1' : '0.0.0.0'),
    dbPath: read('DB_PATH') ?? './data/gatherings.db',
    databaseUrl: databaseUrl(read('DATABASE_URL')),
    databasePoolSize: integer('DATABASE_POOL_SIZE', read('DATABASE_POOL_SIZE') ?? '10', 1, 1000),
    databaseStatementTimeoutMs: duration('DATABASE_STATEMENT_TIMEOUT', read('DATABASE_STATEMENT_TIMEOUT') ?? '10s', { positive: true }),
    replicaName: replicaName(read('REPLICA_NAME') ?? hostname()),
    replicaLeaseMs: duration('REPLICA_LEASE', read('REPLICA_LEASE') ?? '30s', { positive: true }),
    dataDir: read('DATA_DIR') ?? './data/gatherings',
    ocPath: read('OC_PATH') ?? 'oc',
    defaultImage,
    defaultTimeout,
    maxTimeoutMs,
    timeoutGraceMs,
    cancelGraceMs: duration('CANCEL_GRACE', read('CANCEL_GRACE') ?? '30s', {}),
    shutdownGraceMs: duration('SHUTDOWN_GRACE', read('SHUTDOWN_GRACE') ?? '60s', {}),
    archiveFilename,
    cleanupMaxAgeMs: cleanup === '-1' ? undefined : duration('CLEANUP_MAX_AGE', cleanup, { positive: true }),
    maxConcurrent: integer('MAX_CONCURRENT', read('MAX_CONCURRENT') ?? '4', 1, 1000),
    maxQueued,
    maxQueuedPerUser: integer('MAX_QUEUED_PER_USER', read('MAX_QUEUED_PER_USER') ?? String(Math.max(1, Math.floor(maxQueued / 4))), 1, 1_000_000),
    execOutputLimit: integer('EXEC_OUTPUT_LIMIT', read('EXEC_OUTPUT_LIMIT') ?? '65536', 0, 64 * 1024 * 1024),
    listOutputLimit: integer('LIST_OUTPUT_LIMIT', read('LIST_OUTPUT_LIMIT') ?? '200', 0, 1024 * 1024),
    responseCacheBytes: bytes('RESPONSE_CACHE_SIZE', read('RESPONSE_CACHE_SIZE') ?? '32Mi'),
    keepGatheredFiles: boolean('KEEP_GATHERED_FILES', read('KEEP_GATHERED_FILES') ?? 'false'),
    maxStorageBytes: read('MAX_STORAGE') === undefined ? undefined : bytes('MAX_STORAGE', read('MAX_STORAGE') as string),
    minFreeSpaceBytes: bytes('MIN_FREE_SPACE', read('MIN_FREE_SPACE') ?? '256Mi'),
    logLevel
  }
}

/** A PostgreSQL URL, or nothing. The error never repeats the value: it may hold a password. */
/** A name others read in logs and error messages ("interrupted: replica <name> stopped"). */
function replicaName (value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(value)) {
    throw new ConfigError('REPLICA_NAME', `"${value.slice(0, 64)}" is not a name: letters, digits, '.', '_' and '-', at most 253, starting with a letter or digit`)
  }
  return value
}

function databaseUrl (value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL')
  }
  return value
}
