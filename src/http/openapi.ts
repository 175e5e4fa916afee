import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/**
 * The OpenAPI 3 document is generated from the route schemas, which are the
 * same TypeBox schemas Fastify validates requests with: it cannot drift.
 * Served at /openapi.json, browsable at /docs. Must be registered before the routes.
 */
export async function registerOpenApi (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'must-gather-service',
        description: 'Runs `oc adm must-gather` on behalf of users, tracks each execution and serves the resulting archive. ' +
          'A drop-in replacement for forklift-must-gather-api.',
        version: '0.1.0'
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An OpenShift bearer token (`oc whoami -t`)' } }
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'must-gather', description: 'Executions of oc adm must-gather' },
        { name: 'operations', description: 'Probes and metrics (no token needed)' }
      ]
    }
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } })
}
