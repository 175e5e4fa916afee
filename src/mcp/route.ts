import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'

import type * as StreamableHttp from '@modelcontextprotocol/sdk/server/streamableHttp.js'

import { SERVICE_VERSION } from '../release.js'
import { ApiCaller } from './api-caller.js'
import type * as McpServerModule from './server.js'

export interface McpRouteOptions {
  /** FORWARDED_TOKEN_HEADER (lower-case), forwarded to the API exactly as the caller sent it. */
  forwardedTokenHeader?: string | undefined
}

/**
 * The SDK (with zod and its HTTP adapters) takes about 0.6 s to import:
 * loaded on the first MCP request, so start-up does not pay for it.
 */
let loading: Promise<[typeof McpServerModule, typeof StreamableHttp]> | undefined
const loadSdk = async () => {
  loading ??= Promise.all([import('./server.js'), import('@modelcontextprotocol/sdk/server/streamableHttp.js')])
  return loading
}

/**
 * `/mcp`: the Model Context Protocol over Streamable HTTP, stateless (no
 * session id: every POST carries one JSON-RPC message and gets its answer as
 * JSON), so any replica can answer and nothing outlives the request. The auth
 * hook has already checked the caller when the handler runs; each tool then
 * calls the real route with the caller's credentials (see ApiCaller).
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteOptions> = async (app: FastifyInstance, opts) => {
  app.post('/mcp', {
    schema: { hide: true }
  }, async (request, reply) => {
    const [{ createMcpServer }, { StreamableHTTPServerTransport }] = await loadSdk()
    const api = new ApiCaller(app, request, opts.forwardedTokenHeader)
    const server = createMcpServer(() => api, SERVICE_VERSION)
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    await server.connect(transport)
    // The transport writes the response itself: the headers set so far (security headers, request id) go with it.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value)
    reply.hijack()
    reply.raw.once('close', () => {
      transport.close().catch(() => {})
      server.close().catch(() => {})
    })
    await transport.handleRequest(request.raw, reply.raw, request.body)
  })

  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
  const notAllowed = async (_request: unknown, reply: FastifyReply): Promise<void> => {
    await reply.code(405).header('Allow', 'POST').send({ error: 'this MCP endpoint is stateless: send JSON-RPC messages with POST' })
  }
  app.get('/mcp', { schema: { hide: true } }, notAllowed)
  app.delete('/mcp', { schema: { hide: true } }, notAllowed)
}
