import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'

import type { ServiceMetrics } from '../../observability/metrics.js'
import type { ReadinessChecker } from '../../observability/readiness.js'
import { healthRoutes } from '../../routes/health.js'
import { schemaCompilers } from '../plugins/schema-compilers.js'

export interface OperationsServerOptions {
  readiness: ReadinessChecker
  metrics: ServiceMetrics
  logger: FastifyBaseLogger
}

/**
 * The METRICS_PORT server: plain HTTP, /healthz, /readyz and /metrics and
 * nothing else, for the kubelet's probes and Prometheus. The Service exposes
 * it inside the cluster but the Route does not, so none of it is public.
 * No token: nothing here is a caller's. server.ts makes it listen on HOST.
 */
export async function buildOperationsServer ({ readiness, metrics, logger }: OperationsServerOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: logger,
    // A probe every few seconds is not worth a log line.
    logController: new LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: schemaCompilers }
  })
  server.setNotFoundHandler((request, reply) => reply.code(404).send({
    error: `no route ${request.method} ${request.url.split('?')[0]} on the metrics port: it serves /healthz, /readyz and /metrics only`
  }))
  await server.register(healthRoutes, { readiness, metrics })
  return server
}
