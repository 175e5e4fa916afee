import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ConfigError, loadConfig } from '../../src/config/config.js'
import { formatGoDuration, parseGoDuration } from '../../src/config/go-duration.js'

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    assert.equal(config.port, 8080)
    assert.equal(config.host, '0.0.0.0')
    assert.equal(config.dbPath, './data/gatherings.db')
    assert.equal(config.dataDir, './data/gatherings')
    assert.equal(config.ocPath, 'oc')
    assert.equal(config.defaultImage, '')
    assert.equal(config.defaultTimeout, '20m')
    assert.equal(config.archiveFilename, 'must-gather.tar.gz')
    assert.equal(config.cleanupMaxAgeMs, undefined)
    assert.equal(config.execOutputLimit, 65536)
    assert.equal(config.listOutputLimit, 200)
    assert.equal(config.logLevel, 'info')
  })

  it('accepts DEFAULT_IMAGE as an alias of MUST_GATHER_IMAGE, the latter winning', () => {
    assert.equal(loadConfig({ DEFAULT_IMAGE: 'quay.io/a/b' }).defaultImage, 'quay.io/a/b')
    assert.equal(loadConfig({ DEFAULT_IMAGE: 'quay.io/a/b', MUST_GATHER_IMAGE: 'quay.io/c/d' }).defaultImage, 'quay.io/c/d')
  })

  it('reads sizes in Kubernetes quantity style', () => {
    assert.equal(loadConfig({ MAX_STORAGE: '20Gi' }).maxStorageBytes, 20 * 2 ** 30)
    assert.equal(loadConfig({ MAX_STORAGE: '1.5G' }).maxStorageBytes, 1.5e9)
    assert.equal(loadConfig({ MAX_STORAGE: '1048576' }).maxStorageBytes, 1048576)
    assert.equal(loadConfig({}).maxStorageBytes, undefined)
    assert.equal(loadConfig({}).minFreeSpaceBytes, 256 * 2 ** 20)
    assert.equal(loadConfig({}).responseCacheBytes, 32 * 2 ** 20)
    assert.equal(loadConfig({ RESPONSE_CACHE_SIZE: '0' }).responseCacheBytes, 0)
  })

  it('reads Go durations and DEBUG', () => {
    const config = loadConfig({ CLEANUP_MAX_AGE: '24h', MAX_TIMEOUT: '2h', TIMEOUT: '90m', DEBUG: 'true' })
    assert.equal(config.cleanupMaxAgeMs, 24 * 3600_000)
    assert.equal(config.maxTimeoutMs, 2 * 3600_000)
    assert.equal(config.logLevel, 'debug')
  })

  it('makes visibility own when the access rule is narrowed, and refuses VISIBILITY=all with it, naming both', () => {
    const narrowed = { AUTHZ_VERB: 'create', AUTHZ_GROUP: 'forklift.konveyor.io', AUTHZ_RESOURCE: 'mustgathers' }
    assert.equal(loadConfig({}).visibility, 'all', 'full access: every caller is a cluster-admin')
    assert.equal(loadConfig(narrowed).visibility, 'own')
    assert.equal(loadConfig({ AUTHZ_NAMESPACE: 'openshift-mtv' }).visibility, 'own', 'a namespace narrows too')
    assert.equal(loadConfig({ ...narrowed, AUTH_MODE: 'none' }).visibility, 'all', 'no rule applies without authentication')
    assert.throws(() => loadConfig({ ...narrowed, VISIBILITY: 'all' }), (error: unknown) =>
      error instanceof ConfigError && error.variable === 'VISIBILITY' && /VISIBILITY=all/.test(error.message) &&
      error.message.includes('AUTHZ_VERB=create') && error.message.includes('AUTHZ_RESOURCE=mustgathers'))
  })

  it('shares the queue a quarter per user by default', () => {
    assert.equal(loadConfig({}).maxQueuedPerUser, 25)
    assert.equal(loadConfig({ MAX_QUEUED: '2' }).maxQueuedPerUser, 1)
    assert.equal(loadConfig({ MAX_QUEUED_PER_USER: '7' }).maxQueuedPerUser, 7)
  })

  it('selects PostgreSQL with DATABASE_URL, and never repeats its password in an error', () => {
    assert.equal(loadConfig({}).databaseUrl, undefined, 'SQLite by default')
    const config = loadConfig({ DATABASE_URL: 'postgresql://svc:s3cret@db:5432/gatherings', DATABASE_POOL_SIZE: '20', DATABASE_STATEMENT_TIMEOUT: '2s' })
    assert.deepEqual([config.databaseUrl, config.databasePoolSize, config.databaseStatementTimeoutMs], ['postgresql://svc:s3cret@db:5432/gatherings', 20, 2000])
    assert.deepEqual([loadConfig({}).databasePoolSize, loadConfig({}).databaseStatementTimeoutMs], [10, 10_000])
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://svc:s3cret@db/x' }), (error: Error) => !error.message.includes('s3cret'))
  })

  const bad: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['TIMEOUT', { TIMEOUT: '20 minutes' }],
    ['TIMEOUT', { TIMEOUT: '8h' }],
    ['MAX_TIMEOUT', { MAX_TIMEOUT: '0' }],
    ['MAX_TIMEOUT', { MAX_TIMEOUT: '1000h' }],
    ['AUTH_MODE', { AUTH_MODE: 'maybe' }],
    ['OC_CREDENTIALS', { OC_CREDENTIALS: 'root' }],
    ['CORS_ALLOWED_ORIGINS', { CORS_ALLOWED_ORIGINS: 'https://console.example.com/path' }],
    ['ALLOWED_IMAGES', { ALLOWED_IMAGES: 'Not An Image' }],
    ['API_TLS_KEY', { API_TLS_CERTIFICATE: '/etc/hostname' }],
    ['CLEANUP_MAX_AGE', { CLEANUP_MAX_AGE: 'never' }],
    ['MAX_CONCURRENT', { MAX_CONCURRENT: '0' }],
    ['MAX_QUEUED', { MAX_QUEUED: '-1' }],
    ['MUST_GATHER_IMAGE', { MUST_GATHER_IMAGE: 'Not An Image' }],
    ['ARCHIVE_FILENAME', { ARCHIVE_FILENAME: '../x.tar.gz' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['KEEP_GATHERED_FILES', { KEEP_GATHERED_FILES: 'maybe' }],
    ['MAX_STORAGE', { MAX_STORAGE: 'lots' }],
    ['RESPONSE_CACHE_SIZE', { RESPONSE_CACHE_SIZE: '-1' }],
    ['MIN_FREE_SPACE', { MIN_FREE_SPACE: '-5Gi' }],
    ['MAX_QUEUED_PER_USER', { MAX_QUEUED_PER_USER: '0' }],
    ['ALLOW_KEEP', { ALLOW_KEEP: 'sure' }],
    ['AUTH_FAILURE_LIMIT', { AUTH_FAILURE_LIMIT: 'many' }],
    ['ALLOW_HTTP_SERVER', { ALLOW_HTTP_SERVER: 'perhaps' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://u:p@db/x' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_STATEMENT_TIMEOUT', { DATABASE_STATEMENT_TIMEOUT: '0s' }]
  ]
  for (const [variable, env] of bad) {
    it(`names ${variable} when ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(`${variable}: `))
    })
  }
})

describe('Go durations', () => {
  it('parses what time.ParseDuration parses', () => {
    assert.equal(parseGoDuration('0'), 0)
    assert.equal(parseGoDuration('15m'), 900_000)
    assert.equal(parseGoDuration('1h30m'), 5_400_000)
    assert.equal(parseGoDuration('1.5h'), 5_400_000)
    assert.equal(parseGoDuration('300ms'), 300)
    assert.equal(parseGoDuration('-2s'), -2000)
    assert.equal(parseGoDuration('2µs'), 0.002)
  })

  it('refuses what it refuses', () => {
    for (const text of ['', '15', 'm', '1x', '1h 30m', '.s', 'h1', '1.2.3s']) assert.equal(parseGoDuration(text), undefined, text)
  })

  it('formats milliseconds the Go way', () => {
    assert.equal(formatGoDuration(90_000), '1m30s')
    assert.equal(formatGoDuration(6 * 3600_000), '6h')
    assert.equal(formatGoDuration(1500), '1.5s')
  })
})
