import { createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'

import { DOCS_CSP } from './hardening.js'

/**
 * The OpenAPI document is generated from the route schemas, which are the
 * same schemas Fastify validates requests with: it cannot drift. It is
 * OpenAPI 3.1, whose schema objects are JSON Schema, so the route schemas go
 * in as they are. Served at /openapi.json (built on first request), browsable
 * at /docs (Swagger UI from swagger-ui-dist). Must be installed before the
 * routes are registered.
 */
export function installOpenApi (app: FastifyInstance): void {
  const operations: Array<{ url: string, method: string, schema: FastifySchema }> = []
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as FastifySchema | undefined
    // A bare HEAD route is the one Fastify adds to every GET: not part of the description.
    if (schema === undefined || schema.hide === true || route.method === 'HEAD') return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) operations.push({ url: route.url, method, schema })
  })

  let document: object | undefined
  app.get('/openapi.json', { schema: { hide: true } }, async () => {
    document ??= buildDocument(operations)
    return document
  })
  installSwaggerUi(app)
}

declare module 'fastify' {
  interface FastifySchema {
    /** Left out of the API description. */
    hide?: boolean
    tags?: string[]
    summary?: string
    description?: string
  }
}

type JsonSchema = Record<string, unknown>

function buildDocument (operations: Array<{ url: string, method: string, schema: FastifySchema }>): object {
  const paths: Record<string, Record<string, object>> = {}
  for (const { url, method, schema } of operations) {
    const path = url.replace(/:(\w+)/g, '{$1}')
    const isOperations = schema.tags?.includes('operations') === true
    paths[path] ??= {}
    paths[path][method.toLowerCase()] = {
      ...(schema.tags !== undefined && { tags: schema.tags }),
      ...(schema.summary !== undefined && { summary: schema.summary }),
      ...(schema.description !== undefined && { description: schema.description }),
      // Probes and metrics answer without a token.
      ...(isOperations && { security: [] }),
      parameters: [
        ...parameters('path', schema.params as JsonSchema | undefined),
        ...parameters('query', schema.querystring as JsonSchema | undefined)
      ],
      ...(schema.body !== undefined && {
        requestBody: { required: false, content: { 'application/json': { schema: schema.body } } }
      }),
      responses: Object.fromEntries(Object.entries((schema.response ?? {}) as Record<string, JsonSchema>)
        .map(([status, response]) => [status, describeResponse(response)]))
    }
  }
  return {
    openapi: '3.1.0',
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
    ],
    paths
  }
}

/** Path or query parameters from an object schema's properties. */
function parameters (location: 'path' | 'query', schema: JsonSchema | undefined): object[] {
  if (schema === undefined) return []
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description !== undefined && { description }),
      schema: rest
    }
  })
}

/** A response schema: JSON by default; `{ description, content }` as given (files, text); `null` means no body. */
function describeResponse (response: JsonSchema): object {
  if (response.content !== undefined) return response
  const description = typeof response.description === 'string' ? response.description : 'Default Response'
  if (response.type === 'null') return { description }
  return { description, content: { 'application/json': { schema: response } } }
}

/** The files /docs needs from swagger-ui-dist, and their types. */
const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png'
}

const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>must-gather-service API (Swagger UI)</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
`

// A file rather than an inline script: the page's Content-Security-Policy allows scripts from 'self' only.
const UI_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
})
`

function installSwaggerUi (app: FastifyInstance): void {
  const hidden = { schema: { hide: true }, helmet: { contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } } }
  app.get('/docs', hidden, async (_request, reply) => reply.type('text/html; charset=utf-8').send(UI_PAGE))
  app.get('/docs/static/init.js', hidden, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(UI_INIT))
  app.get<{ Params: { file: string } }>('/docs/static/:file', hidden, async (request, reply) => {
    const type = Object.hasOwn(UI_FILES, request.params.file) ? UI_FILES[request.params.file] : undefined
    if (type === undefined) return reply.code(404).send({ error: `no such file: ${request.params.file}` })
    const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist'))
    return reply.type(type).header('Cache-Control', 'public, max-age=86400')
      .send(createReadStream(join(dist, request.params.file)))
  })
}
