import { Type, type TypedPlugin } from '../schemas/builder.js'

import type { ServiceMetrics } from '../observability/metrics.js'
import { nonJson } from './must-gather.js'
import type { ReadinessChecker } from '../observability/readiness.js'

export interface HealthRoutesOptions {
  readiness: ReadinessChecker
  metrics: ServiceMetrics
}

const Check = Type.Object({ ok: Type.Boolean(), message: Type.String() })
const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Record(Check),
  error: Type.Optional(Type.String())
}, {
  examples: [{
    status: 'not ready',
    checks: {
      database: { ok: true, message: 'reachable' },
      dataDir: { ok: true, message: '/var/lib/must-gather-service/gatherings is writable' },
      oc: { ok: false, message: 'OC_PATH "oc" was not found' },
      accepting: { ok: true, message: 'accepting executions' }
    },
    error: 'oc: OC_PATH "oc" was not found'
  }]
})

/** Unauthenticated: probes and scrapes come from the platform, not from users. */
export const healthRoutes: TypedPlugin<HealthRoutesOptions> = async (app, { readiness, metrics }) => {
  app.get('/healthz', {
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process is up',
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: database, data directory, oc, not shutting down',
      response: { 200: ReadinessSchema, 503: ReadinessSchema }
    }
  }, async (_request, reply) => {
    const { ready, checks } = await readiness.check()
    if (ready) return reply.send({ status: 'ready', checks })
    const error = Object.entries(checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.message}`).join('; ')
    return reply.code(503).send({ status: 'not ready', checks, error })
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics',
      response: { 200: nonJson('Prometheus text exposition format', 'text/plain', { type: 'string' }) }
    }
  }, async (_request, reply) => {
    return reply.header('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
