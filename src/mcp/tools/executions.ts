import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

import { type ApiCaller, query, text } from '../api-caller.js'
import { executionId, idPath } from './ids.js'

const images = z.union([z.string(), z.array(z.string())])

/** start, status, list, cancel: the executions themselves (POST, GET, GET list, DELETE /must-gather). */
export function registerExecutionTools (server: McpServer, api: () => ApiCaller): void {
  server.registerTool('start', {
    title: 'Start a must-gather',
    description: 'Starts `oc adm must-gather` against the cluster (POST /must-gather) and returns the new execution, with its `id` and `status` "new". ' +
      'Gathering takes minutes: call `status` with the id until `status` is "completed" (or "error", whose `error-message` says why), ' +
      'then call `summary` to see what is wrong in the cluster (degraded operators, unready nodes, failing pods, warning events), ' +
      'and `files`, `read` and `search` to look at the evidence. With no arguments the default image gathers the usual cluster data.',
    inputSchema: {
      image: images.optional().describe('Must-gather image(s); default: the service\'s default image'),
      'image-stream': images.optional().describe('Image stream(s) namespace/name:tag'),
      'all-images': z.boolean().optional().describe('The default image plus every operator\'s must-gather image'),
      'custom-name': z.string().max(256).optional().describe('A name to find this execution by later'),
      timeout: z.string().optional().describe('Go duration, e.g. 15m'),
      since: z.string().optional().describe('Only logs newer than this Go duration, e.g. 2h'),
      'since-time': z.string().optional().describe('Only logs after this RFC 3339 time'),
      'node-name': z.string().optional().describe('Node to run the gather pod on'),
      'node-selector': z.string().optional().describe('Label selector: one gather pod per matching node'),
      command: images.optional().describe('Gather command run in the pod (an image-specific script)')
    },
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true }
  }, async (args) => api().json('POST', '/must-gather', args))

  server.registerTool('status', {
    title: 'Execution status',
    description: 'One execution (GET /must-gather/:id): `status` (new, inprogress, completed, error), `phase` and `progress` while it runs, ' +
      '`error-message` when it failed, the archive\'s name and size, and the tail of oc\'s output. ' +
      'Poll it after `start` until `status` is "completed" or "error"; once completed, call `summary`.',
    inputSchema: { id: executionId },
    annotations: { readOnlyHint: true }
  }, async ({ id }) => api().json('GET', `/must-gather/${idPath(id)}`))

  server.registerTool('list', {
    title: 'List executions',
    description: 'Executions, newest first (GET /must-gather): find an earlier run to reuse or to `compare` with. ' +
      'Filter by status or custom name; 20 at a time unless `limit` says otherwise, `offset` for the next page.',
    inputSchema: {
      status: z.enum(['new', 'inprogress', 'completed', 'error']).optional(),
      'custom-name': z.string().optional(),
      limit: z.number().int().min(1).max(1000).optional().describe('At most this many (default 20)'),
      offset: z.number().int().min(0).optional()
    },
    annotations: { readOnlyHint: true }
  }, async (args) => api().json('GET', `/must-gather${query({ ...args, limit: args.limit ?? 20 })}`))

  server.registerTool('cancel', {
    title: 'Cancel and delete an execution',
    description: 'DELETE /must-gather/:id: stops a queued or running execution (its oc run is terminated) and deletes it with its archive; ' +
      'a finished one is deleted likewise. Irreversible: afterwards `status` answers 404.',
    inputSchema: { id: executionId },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true }
  }, async ({ id }) => {
    const result = await api().json('DELETE', `/must-gather/${idPath(id)}`)
    return result.isError === true ? result : text(`Execution ${String(id)} was cancelled if it was running, and deleted with its files.`)
  })
}
