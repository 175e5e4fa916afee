import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { loadConfig } from '../../src/config/config.js'
import { type RunningService, startService, stopAndClean, waitFor } from '../helpers/service.js'

/**
 * Issue 12, item 10: /healthz, /readyz and /metrics on METRICS_PORT (plain
 * HTTP, the kubelet's and Prometheus's), not on the API port the Route exposes.
 */
describe('METRICS_PORT', () => {
  let service: RunningService
  let operations: string
  before(async () => {
    service = await startService({ env: { METRICS_PORT: '0' } })
    operations = /served at (http:\/\/[^\s"]+)/.exec(service.logs())?.[1] ?? ''
    assert.match(operations, /^http:\/\/127\.0\.0\.1:\d+$/, service.logs())
  })
  after(async () => stopAndClean(service))

  it('serves health, readiness and metrics without a token on its own port, and nothing else', async () => {
    assert.notEqual(new URL(operations).port, new URL(service.url).port)
    assert.deepEqual(await (await fetch(`${operations}/healthz`)).json(), { status: 'ok' })
    // Ready once its start-up check of `oc` (a process of its own, slow on a busy machine) has answered.
    const ready = await waitFor(async () => {
      const response = await fetch(`${operations}/readyz`)
      const body = await response.json() as { status: string }
      return response.status === 200 ? body : undefined
    }, 'readiness on the operations port', 30_000)
    assert.equal(ready.status, 'ready')
    const metrics = await fetch(`${operations}/metrics`)
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /^must_gather_/m)
    for (const path of ['/must-gather', '/openapi.json', '/docs']) {
      const response = await fetch(`${operations}${path}`)
      assert.equal(response.status, 404, path)
      await response.arrayBuffer()
    }
  })

  it('the API port (behind the Route) serves none of them', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await service.fetch(path)
      assert.equal(response.status, 404, path)
      await response.arrayBuffer()
    }
    assert.equal((await service.fetch('/must-gather')).status, 200)
    const doc = await (await service.fetch('/openapi.json')).json() as { paths: Record<string, unknown> }
    assert.deepEqual(Object.keys(doc.paths).filter((p) => ['/healthz', '/readyz', '/metrics'].includes(p)), [])
  })

  it('defaults to 9090; -1 keeps them on the API port; the same port as PORT is refused', () => {
    const base = { AUTH_MODE: 'none' }
    assert.equal(loadConfig(base).metricsPort, 9090)
    assert.equal(loadConfig({ ...base, METRICS_PORT: '-1' }).metricsPort, undefined)
    assert.throws(() => loadConfig({ ...base, PORT: '8443', METRICS_PORT: '8443' }), /METRICS_PORT: 8443 is PORT too/)
    assert.throws(() => loadConfig({ ...base, METRICS_PORT: 'x' }), /METRICS_PORT/)
  })
})

describe('connection and follower settings', () => {
  it('IDLE_TIMEOUT is a Go duration (60s), MAX_CONNECTIONS 1024, MAX_FOLLOWERS 256, MAX_FOLLOWERS_PER_USER 16', () => {
    const config = loadConfig({ AUTH_MODE: 'none' })
    assert.deepEqual([config.idleTimeoutMs, config.maxConnections, config.maxFollowers, config.maxFollowersPerUser], [60_000, 1024, 256, 16])
    assert.equal(loadConfig({ AUTH_MODE: 'none', IDLE_TIMEOUT: '1m30s' }).idleTimeoutMs, 90_000)
    assert.throws(() => loadConfig({ AUTH_MODE: 'none', IDLE_TIMEOUT: '0s' }), /IDLE_TIMEOUT/)
    assert.throws(() => loadConfig({ AUTH_MODE: 'none', MAX_FOLLOWERS_PER_USER: '0' }), /MAX_FOLLOWERS_PER_USER/)
    assert.throws(() => loadConfig({ AUTH_MODE: 'none', MAX_CONNECTIONS: 'lots' }), /MAX_CONNECTIONS/)
  })
})
