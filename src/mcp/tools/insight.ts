import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'

import type { ApiCaller } from '../api-caller.js'
import { executionId, idPath } from './ids.js'

/** summary, compare: what the service read off the gathered files (the /summary and /compare routes). */
export function registerInsightTools (server: McpServer, api: () => ApiCaller): void {
  server.registerTool('summary', {
    title: 'What is wrong in the cluster',
    description: 'The cluster health summary of a completed execution (GET /must-gather/:id/summary): cluster id, version and platform; ' +
      'ClusterOperators not Available, Degraded or Progressing with their messages; nodes not Ready or under pressure; failing, ' +
      'crash-looping, unready or restarting pods with reason, restarts and last exit code; top Warning events by reason and object; ' +
      'pending PVCs; gather steps that failed; and which sections could be read. Every finding names its file: `read` it for the evidence. ' +
      'This is the first thing to look at to answer "what is wrong in this cluster?".',
    inputSchema: { id: executionId },
    annotations: { readOnlyHint: true }
  }, async ({ id }) => api().json('GET', `/must-gather/${idPath(id)}/summary`))

  server.registerTool('compare', {
    title: 'Compare two executions',
    description: 'What changed from an earlier execution (`other`) to a later one (`id`) (GET /must-gather/:id/compare/:other): ' +
      'operators that became degraded or recovered, pods that started crash-looping, new warning reasons. ' +
      'Use `list` to find the earlier run of the same cluster.',
    inputSchema: {
      id: executionId.describe('The later execution (id or custom name)'),
      other: executionId.describe('The earlier execution to compare against (id or custom name)')
    },
    annotations: { readOnlyHint: true }
  }, async ({ id, other }) => api().json('GET', `/must-gather/${idPath(id)}/compare/${idPath(other)}`))
}
