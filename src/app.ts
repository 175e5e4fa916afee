import { randomUUID } from 'node:crypto'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

import { TokenAuthorizer } from './auth/authorizer.js'
import { type ClusterEndpoint, inClusterConnection, kubeconfigConnection } from './auth/kube-connection.js'
import { KubeAccessReviewer } from './auth/kube-reviewer.js'
import { type Config, ConfigError } from './config/config.js'
import { ocEnvironment } from './gatherings/oc-env.js'
import { GatheringPaths } from './gatherings/paths.js'
import { AmbientCredentials, KubeconfigCredentials, type RunCredentials } from './gatherings/run-credentials.js'
import { GatheringCreator } from './gatherings/create-gathering.js'
import { GatheringRunner } from './gatherings/runner.js'
import { SERVICE_VERSION } from './release.js'
import { StorageQuota } from './gatherings/storage-quota.js'
import { OutputFollowers } from './http/bodies/output-followers.js'
import { limitConnections, tlsHandshakeTimeout } from './http/servers/connections.js'
import { buildOperationsServer } from './http/servers/operations-server.js'
import { installAuth } from './http/plugins/auth.js'
import { answerClientError, trackResponses } from './http/plugins/client-errors.js'
import { installCompression } from './http/plugins/compress.js'
import { installCors } from './http/plugins/cors.js'
import { installErrorHandlers } from './http/plugins/error-handler.js'
import { GatheringViews } from './http/views/gathering-views.js'
import { installSecurityHeaders } from './http/plugins/hardening.js'
import { installJsonBodyParser } from './http/plugins/json-body.js'
import { installOpenApi } from './http/plugins/openapi.js'
import { installRequestMetrics } from './http/plugins/request-metrics.js'
import { ResponseCache } from './http/views/response-cache.js'
import { schemaCompilers } from './http/plugins/schema-compilers.js'
import { readTls, type TlsFiles, watchTls } from './http/plugins/tls.js'
import { consolePlugin } from './http/plugins/console.js'
import { ServiceMetrics } from './observability/metrics.js'
import { ReadinessChecker } from './observability/readiness.js'
import { archiveFilesRoutes } from './routes/archive-files.js'
import { insightRoutes } from './routes/insight.js'
import { redactionReportRoutes } from './routes/redaction-report.js'
import { mcpRoutes } from './mcp/route.js'
import { healthRoutes } from './routes/health.js'
import { mustGatherRoutes } from './routes/must-gather.js'
import type { SchemaTypeProvider } from './schemas/builder.js'
import { openStore } from './storage/open-store.js'
import type { GatheringStore } from './storage/types.js'

export interface RouteEntry {
  method: string
  url: string
  /** Left out of the API description on purpose. */
  hidden: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The queue and runs; server.ts drains it before closing the app. */
    runner: GatheringRunner
    routeTable: RouteEntry[]
    /** The METRICS_PORT server (health, readiness, metrics); server.ts listens on it. Undefined with METRICS_PORT=-1. */
    operations: FastifyInstance | undefined
  }
}

export interface BuildAppOptions {
  config: Config
  logger?: FastifyServerOptions['logger']
  /** The environment `oc` runs with is taken (allow-listed) from here (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** Where records live (default: SQLite at DB_PATH). The app closes it. Tests hand in their own. */
  store?: GatheringStore
  /** The clock for records, elapsed times and retention (default: the system's). */
  now?: () => Date
  /** Internal, for tests: how long an SSE follower waits without an event before a heartbeat (default: 15 s). */
  followHeartbeatMs?: number
}

const BODY_LIMIT = 64 * 1024

/**
 * Builds the whole service: store, runner and routes. The runner starts
 * (recovering what a previous process left) before the app is returned;
 * `app.close()` stops it, then closes the store, in that order.
 */
export async function buildApp ({ config, logger = false, env = process.env, store: givenStore, now = () => new Date(), followHeartbeatMs }: BuildAppOptions): Promise<FastifyInstance> {
  const tls = config.tls === undefined ? undefined : loadTls(config.tls)
  const app = Fastify({
    // Only tells Fastify the protocol (for its logs and listen address); the server itself comes from serverFactory.
    ...(tls !== undefined && { https: tls }) as object,
    logger,
    // HTTPS when API_TLS_* are set; then plain HTTP is not served at all.
    serverFactory: (handler) => {
      // Node enforces headersTimeout only when it checks connections (every 30 s by default):
      // check every second, or a slowloris client keeps its connection for up to 40 s.
      const checking = { connectionsCheckingInterval: 1000 }
      const limits = { idleTimeoutMs: config.idleTimeoutMs, maxConnections: config.maxConnections }
      const server = (tls !== undefined
        ? createHttpsServer({ ...tls, ...checking, ...tlsHandshakeTimeout(limits) }, handler)
        : createHttpServer(checking, handler)) as HttpServer
      // IDLE_TIMEOUT and MAX_CONNECTIONS (see the module).
      limitConnections(server, limits)
      // Fastify does not apply its timeout options to a factory's server: set them here.
      // Slow or stalled clients (slowloris) lose their connection; downloads may take as long as they need.
      server.headersTimeout = 10_000
      server.requestTimeout = 30_000
      server.keepAliveTimeout = 10_000
      return server
    },
    bodyLimit: BODY_LIMIT,
    // Custom names travel in the path (percent-encoded): allow long ones.
    routerOptions: { maxParamLength: 2048 },
    // A caller's X-Request-Id is used (and echoed); otherwise one is made.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Unknown fields and wrong types are errors, never silently dropped or converted (see the module).
    schemaController: { compilersFactory: schemaCompilers },
    // Requests Node's parser refuses: no body after HEAD, Connection: close (see the module).
    clientErrorHandler: answerClientError
  }).withTypeProvider<SchemaTypeProvider>()
  trackResponses(app)

  installJsonBodyParser(app)
  // Every route, as registered: the OpenAPI test checks the document against it.
  const routeTable: RouteEntry[] = []
  app.decorate('routeTable', routeTable)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) routeTable.push({ method, url: route.url, hidden: route.schema?.hide === true })
  })
  if (config.tls !== undefined) {
    const stopWatching = watchTls(app.server as unknown as HttpsServer, config.tls, app.log)
    app.addHook('onClose', async () => stopWatching())
  }

  installErrorHandlers(app)
  // On request, not on send: archives are sent through reply.hijack(), which skips onSend hooks.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id)
  })
  await installSecurityHeaders(app, { https: config.tls !== undefined })
  await installCors(app, config.corsAllowedOrigins)
  const reviewer = config.authMode === 'kubernetes' ? await connectToCluster(config.useKubeconfig, env) : undefined
  const authorizer = reviewer && new TokenAuthorizer({
    reviewer,
    accessRule: config.accessRule,
    checkAdmin: config.visibility === 'own',
    cacheTtlMs: config.authCacheTtlMs,
    cacheSize: config.authCacheSize,
    timeoutMs: config.authTimeoutMs,
    failuresPerMinute: config.authFailureLimit,
    logger: app.log
  })
  installAuth(app, authorizer, { forwardedTokenHeader: config.forwardedTokenHeader })

  const credentials = runCredentials(config, reviewer?.endpoint)
  const store = givenStore ?? await openStore(config)
  const isoNow = (): string => now().toISOString()
  const paths = new GatheringPaths(config.dataDir)
  // Three quarters for whole answers, a quarter for list entries (about 1 kB each).
  const responseCache = new ResponseCache(Math.floor(config.responseCacheBytes * 0.75))
  const listEntries = new ResponseCache(Math.floor(config.responseCacheBytes * 0.25))
  // The runner is created just below; the gauges read it only when scraped.
  const metrics: ServiceMetrics = new ServiceMetrics({
    queued: () => runner.queuedCount,
    running: () => runner.runningCount,
    storageBytes: () => store.archiveBytes(),
    responseCache: () => responseCache.stats(),
    ...(config.maxStorageBytes !== undefined && { storageLimitBytes: config.maxStorageBytes })
  })
  installRequestMetrics(app, metrics)
  const quota = new StorageQuota({
    store,
    paths,
    maxBytes: config.maxStorageBytes,
    minFreeBytes: config.minFreeSpaceBytes,
    logger: app.log,
    now: isoNow
  })
  const runner: GatheringRunner = new GatheringRunner({
    metrics,
    quota,
    store,
    replica: config.replicaName,
    leaseMs: config.replicaLeaseMs,
    paths,
    logger: app.log,
    ocPath: config.ocPath,
    ocEnv: ocEnvironment(env),
    credentials,
    maxConcurrent: config.maxConcurrent,
    maxQueued: config.maxQueued,
    maxQueuedPerUser: config.authMode === 'kubernetes' ? config.maxQueuedPerUser : undefined,
    archiveFilename: config.archiveFilename,
    timeoutGraceMs: config.timeoutGraceMs,
    cancelGraceMs: config.cancelGraceMs,
    outputTailLimit: config.execOutputLimit,
    keepGatheredFiles: config.keepGatheredFiles,
    redaction: { plan: config.redactionPlan, binaryFiles: config.redactionBinaryFiles },
    now,
    ...(config.cleanupMaxAgeMs !== undefined && { cleanupMaxAgeMs: config.cleanupMaxAgeMs })
  })
  app.decorate('runner', runner)
  // Close order matters: the runner writes final states, then the store closes.
  app.addHook('onClose', async () => {
    await runner.stop(config.shutdownGraceMs)
    await store.close()
  })
  try {
    await runner.recover()
  } catch (error) {
    await store.close()
    throw error
  }
  // Runs start only once the service listens: if listening fails, nothing was started.
  app.addHook('onListen', async () => runner.startProcessing())
  const readiness = new ReadinessChecker({
    pingDatabase: () => store.ping(),
    dataDir: paths.root,
    ocPath: config.ocPath,
    ocEnv: ocEnvironment(env),
    accepting: () => runner.accepting
  })
  // Not awaited: start-up stays fast; readiness says "checking" until it is known.
  readiness.checkOc().then(() => {
    const oc = readiness.ocAvailable
    if (!oc.ok) app.log.error({ oc: oc.message }, 'oc is not usable: executions will fail until it is fixed (readiness reports it).')
  })

  installCompression(app)
  installOpenApi(app)
  // With METRICS_PORT, health, readiness and metrics are served there only, never through the API port's Route.
  const operations = config.metricsPort === undefined ? undefined : await buildOperationsServer({ readiness, metrics, logger: app.log })
  app.decorate('operations', operations)
  if (operations === undefined) await app.register(healthRoutes, { readiness, metrics })
  else app.addHook('onClose', async () => await operations.close())

  const followers = new OutputFollowers({
    maxFollowers: config.maxFollowers,
    maxFollowersPerCaller: config.maxFollowersPerUser,
    ...(followHeartbeatMs !== undefined && { heartbeatMs: followHeartbeatMs })
  })
  // Followers end when the app closes (after SIGTERM's drain, their runs have ended anyway).
  app.addHook('preClose', async () => followers.close())

  const creator = new GatheringCreator({
    store,
    queue: runner,
    quota,
    defaults: { defaultImage: config.defaultImage, defaultTimeout: config.defaultTimeout, maxTimeoutMs: config.maxTimeoutMs },
    imagePolicy: { allowedImages: config.allowedImages, allowedImageStreams: config.allowedImageStreams },
    argumentPolicy: {
      enforced: config.ocCredentials === 'service',
      allowedCommands: config.allowedCommands,
      allowSourceDir: config.allowedFields.sourceDir,
      allowKeep: config.allowedFields.keep,
      allowHostNetwork: config.allowedFields.hostNetwork,
      allowNodeName: config.allowedFields.nodeName,
      allowRunNamespace: config.allowedFields.runNamespace
    },
    serverRefusal: (server) => credentials.serverRefusal(server),
    redactionMode: config.redactionMode,
    now: isoNow
  })
  await app.register(mustGatherRoutes, {
    store,
    runner,
    paths,
    creator,
    views: new GatheringViews({
      store,
      databaseId: await store.databaseId(),
      release: SERVICE_VERSION,
      runs: runner,
      cache: responseCache,
      entries: listEntries,
      execOutputLimit: config.execOutputLimit,
      listOutputLimit: config.listOutputLimit,
      now
    }),
    visibility: config.visibility,
    postRateLimit: config.postRateLimit,
    followers
  })
  await app.register(archiveFilesRoutes, { store, paths, visibility: config.visibility })
  await app.register(insightRoutes, { store, visibility: config.visibility, insight: runner.insight })
  await app.register(redactionReportRoutes, {
    store,
    paths,
    visibility: config.visibility,
    served: config.redactionReportServed,
    // Without authentication every caller is trusted; otherwise the report's own access review.
    mayRead: async (request) => authorizer === undefined || (request.caller.identity !== undefined && await authorizer.allows(request.caller.identity, config.redactionReportRule))
  })
  // MCP tools for assistants; each calls the routes above as the caller (README "MCP").
  await app.register(mcpRoutes, { forwardedTokenHeader: config.forwardedTokenHeader })
  // The web console: its page at / and its client routes, its files under /assets/ (no token needed for those).
  await app.register(consolePlugin)
  return app
}

function loadTls (files: TlsFiles): ReturnType<typeof readTls> {
  try {
    return readTls(files)
  } catch (error) {
    throw new ConfigError('API_TLS_CERTIFICATE', `cannot load the TLS certificate and key: ${(error as Error).message}`)
  }
}

/**
 * The service's own connection to the API server; a clear start-up error when
 * there is none. In a pod it is read from the service account (fast); a
 * kubeconfig goes through @kubernetes/client-node, which is loaded only then.
 */
async function connectToCluster (useKubeconfig: boolean, env: NodeJS.ProcessEnv): Promise<KubeAccessReviewer> {
  try {
    const connection = useKubeconfig ? await kubeconfigConnection() : inClusterConnection(env)
    return new KubeAccessReviewer(connection)
  } catch (error) {
    const how = useKubeconfig ? 'the kubeconfig (KUBECONFIG / USE_KUBECONFIG)' : 'the in-cluster service account (set USE_KUBECONFIG=true or KUBECONFIG outside a cluster)'
    throw new ConfigError('AUTH_MODE', `AUTH_MODE=kubernetes needs the Kubernetes API server, but ${how} could not be loaded: ` +
      `${(error as Error).message}; for local use without a cluster set AUTH_MODE=none`)
  }
}

/** How oc authenticates: see docs in README "Security". */
function runCredentials (config: Config, cluster: ClusterEndpoint | undefined): RunCredentials {
  if (config.authMode === 'none' || cluster === undefined) return new AmbientCredentials(true)
  if (config.ocCredentials === 'caller') return new KubeconfigCredentials(config.credentialsDir, cluster, { kind: 'caller', allowHttpServer: config.allowHttpServer })
  // service: the operator's kubeconfig as is, or a kubeconfig pointing at the service's token file.
  if (config.ocTokenFile === undefined) return new AmbientCredentials(false)
  return new KubeconfigCredentials(config.credentialsDir, cluster, { kind: 'token-file', path: config.ocTokenFile })
}
