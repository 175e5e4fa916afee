import type { FastifyInstance } from 'fastify'

import type { ServiceMetrics } from '../../observability/metrics.js'

/** Request durations by route template (not raw URL: custom names would explode the label set), and download bytes. */
export function installRequestMetrics (app: FastifyInstance, metrics: ServiceMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    if (route === '/must-gather/:id/data' && request.method === 'GET' && reply.statusCode < 300) {
      const length = Number(reply.getHeader('content-length'))
      // Count what was sent, not what was promised: a client may have gone away.
      if (Number.isFinite(length)) metrics.downloaded(reply.raw.writableFinished ? length : Math.min(length, request.raw.socket?.bytesWritten ?? 0))
    }
  })
}
