import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'

import type { ApiCaller } from './api-caller.js'
import { registerArchiveTools } from './tools/archive.js'
import { registerExecutionTools } from './tools/executions.js'
import { registerInsightTools } from './tools/insight.js'

const INSTRUCTIONS = 'Runs `oc adm must-gather` against an OpenShift cluster and reads the result without downloading it. ' +
  'To find out what is wrong in a cluster: `list` completed executions (or `start` one and poll `status` until it is completed), ' +
  'then `summary`; follow the files its findings name with `read`, look for more with `search` and `files`, ' +
  'and `compare` with an earlier execution to see what changed.'

/**
 * The MCP server: one per HTTP request (stateless Streamable HTTP), whose
 * tools act as the caller `api` speaks for.
 */
export function createMcpServer (api: () => ApiCaller, version: string): McpServer {
  const server = new McpServer({ name: 'must-gather-service', version }, { instructions: INSTRUCTIONS })
  registerExecutionTools(server, api)
  registerArchiveTools(server, api)
  registerInsightTools(server, api)
  return server
}
