import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { removeDir, type RunningService, SIM_IMAGE, SIMULATOR, startService, waitFor, waitForFinish } from '../helpers/service.js'

/** Health, readiness, metrics, request ids and the API description. */
describe('the API description (/openapi.json)', () => {
  let app: FastifyInstance
  let url: string
  const dir = mkdtempSync(join(tmpdir(), 'mgs-openapi-'))
  before(async () => {
    // METRICS_PORT=-1: health, readiness and metrics on the API port, described with it (metrics-port.test.ts: the split).
    const config = loadConfig({ AUTH_MODE: 'none', DB_PATH: ':memory:', DATA_DIR: join(dir, 'data'), OC_PATH: SIMULATOR, MUST_GATHER_IMAGE: `${SIM_IMAGE}:v1`, METRICS_PORT: '-1' })
    app = await buildApp({ config })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    await app.close()
    removeDir(dir)
  })

  const getDoc = async (): Promise<any> => (await fetch(`${url}/openapi.json`)).json()

  it('documents every route the service serves, and nothing else', async () => {
    const doc = await getDoc()
    assert.match(doc.openapi, /^3\./)
    const all = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    assert.ok(all.includes('HEAD /must-gather/{id}/data'), 'the download documents HEAD')
    // Fastify adds a HEAD route to every GET by itself; those are not part of the description.
    const documented = all.filter((r) => !r.startsWith('HEAD ')).sort()
    const served = app.routeTable
      .filter((r) => !r.hidden && r.method !== 'HEAD' && !r.url.startsWith('/docs'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort()
    assert.deepEqual(documented, served)
    for (const route of ['POST /must-gather', 'GET /must-gather', 'GET /must-gather/{id}', 'GET /must-gather/{id}/data', 'GET /must-gather/{id}/output', 'DELETE /must-gather/{id}', 'GET /healthz', 'GET /readyz', 'GET /metrics']) {
      assert.ok(documented.includes(route), route)
    }
  })

  it('carries examples, including the design document\'s sample object', async () => {
    const doc = await getDoc()
    const text = JSON.stringify(doc)
    assert.ok(text.includes('quay.io/maufart/forklift-must-gather'))
    assert.ok(text.includes('PLAN=plan1 /usr/bin/targeted'))
  })

  it('every documented response shape matches what the route returns', async () => {
    const doc = await getDoc()
    const ajv = new Ajv({ strict: false, allErrors: true })
    addFormats.default(ajv)
    const check = async (method: string, path: string, template: string, init: RequestInit = {}): Promise<void> => {
      const response = await fetch(`${url}${path}`, { method, ...init })
      const status = String(response.status)
      const documented = doc.paths[template]?.[method.toLowerCase()]?.responses?.[status]
      assert.ok(documented !== undefined, `${method} ${template} does not document status ${status}`)
      const schema = documented.content?.['application/json']?.schema
      if (schema === undefined) return
      const body = await response.json()
      const valid = ajv.validate(schema, body)
      assert.ok(valid, `${method} ${path} → ${status}: ${ajv.errorsText()}`)
    }
    const created = await (await fetch(`${url}/must-gather`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"custom-name":"doc"}' })).json() as { id: number }
    await waitFor(async () => ['completed', 'error'].includes(((await (await fetch(`${url}/must-gather/${created.id}`)).json()) as { status: string }).status), 'the run')
    const json = { headers: { 'Content-Type': 'application/json' } }
    await check('POST', '/must-gather', '/must-gather', { ...json, body: '{}' })
    await check('POST', '/must-gather', '/must-gather', { ...json, body: '{"timeout": 5}' })
    await check('GET', '/must-gather', '/must-gather')
    await check('GET', '/must-gather?status=bogus', '/must-gather')
    await check('GET', `/must-gather/${created.id}`, '/must-gather/{id}')
    await check('GET', '/must-gather/doc', '/must-gather/{id}')
    await check('GET', '/must-gather/404404', '/must-gather/{id}')
    await check('GET', `/must-gather/${created.id}/data`, '/must-gather/{id}/data')
    await check('GET', '/must-gather/404404/data', '/must-gather/{id}/data')
    await check('GET', `/must-gather/${created.id}/output`, '/must-gather/{id}/output')
    await check('DELETE', '/must-gather/404404', '/must-gather/{id}')
    await check('DELETE', `/must-gather/${created.id}`, '/must-gather/{id}')
    await check('GET', '/healthz', '/healthz')
    await check('GET', '/readyz', '/readyz')
    await check('GET', '/metrics', '/metrics')
  })

  it('serves a browsable reference at /docs, with every file the page loads', async () => {
    const response = await fetch(`${url}/docs`)
    assert.equal(response.status, 200)
    const page = await response.text()
    assert.match(page, /swagger/i)
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '')
    assert.ok(assets.length >= 4, assets.join(', '))
    for (const asset of assets) {
      const file = await fetch(`${url}${asset}`)
      assert.equal(file.status, 200, asset)
      assert.match(file.headers.get('content-type') ?? '', /^(text\/(css|javascript)|image\/png)/, asset)
      assert.ok((await file.arrayBuffer()).byteLength > 0, asset)
    }
    // The init script points the UI at the document.
    assert.match(await (await fetch(`${url}/docs/static/init.js`)).text(), /\/openapi\.json/)
    for (const bad of ['__proto__', 'constructor', 'index.js', '..%2Fpackage.json', 'swagger-ui.css.map']) {
      assert.equal((await fetch(`${url}/docs/static/${bad}`)).status, 404, bad)
    }
  })
})

describe('health, readiness, metrics and request ids (real process)', () => {
  const services: RunningService[] = []
  after(async () => {
    for (const s of services) {
      await s.stop()
      removeDir(s.dir)
    }
  })

  it('/healthz and /readyz report each check', async () => {
    const service = await startService({ env: { AUTH_MODE: 'none' } })
    services.push(service)
    assert.deepEqual((await service.json('/healthz')).body, { status: 'ok' })
    const ready = await waitFor(async () => {
      const r = await service.json('/readyz')
      return r.status === 200 ? r.body : undefined
    }, 'readiness')
    assert.equal(ready.status, 'ready')
    for (const name of ['database', 'dataDir', 'oc', 'accepting']) assert.equal(ready.checks[name].ok, true, name)
    assert.match(ready.checks.oc.message, /Client Version/)
  })

  it('readiness fails, naming OC_PATH, when oc is missing; a run then ends error naming OC_PATH', async () => {
    const service = await startService({ env: { OC_PATH: '/nonexistent/oc' } })
    services.push(service)
    const notReady = await waitFor(async () => {
      const r = await service.json('/readyz')
      return r.status === 503 && r.body.checks.oc.ok === false ? r.body : undefined
    }, 'readiness to report oc')
    assert.equal(notReady.status, 'not ready')
    assert.match(notReady.error, /oc: OC_PATH "\/nonexistent\/oc" was not found/)
  })

  it('readiness fails when the data directory is read-only', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to mount a read-only filesystem')
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'mgs-ro-'))
    const mountPoint = join(dir, 'gatherings')
    mkdirSync(mountPoint)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint])
    try {
      const service = await startService({ dir })
      services.push(service)
      await waitFor(async () => (await service.json('/readyz')).status === 200, 'ready while writable')
      execFileSync('mount', ['-o', 'remount,ro', mountPoint])
      const { status, body } = await service.json('/readyz')
      assert.equal(status, 503)
      assert.equal(body.checks.dataDir.ok, false)
      assert.match(body.error, /not writable: EROFS/)
      await service.stop()
    } finally {
      execFileSync('umount', [mountPoint])
    }
  })

  it('/metrics is Prometheus text with the service\'s metrics, and counts executions and requests', async () => {
    const service = await startService()
    services.push(service)
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    await waitForFinish(service, body.id)
    await (await service.fetch(`/must-gather/${body.id}/data`)).arrayBuffer()
    const response = await service.fetch('/metrics')
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    const samples = parsePrometheus(await response.text())
    assert.equal(samples.get('must_gather_executions_total{status="completed"}'), 1)
    assert.equal(samples.get('must_gather_queue_length'), 0)
    assert.equal(samples.get('must_gather_running'), 0)
    assert.ok((samples.get('must_gather_storage_bytes') ?? 0) > 0)
    assert.equal(samples.get('must_gather_execution_duration_seconds_count'), 1)
    assert.equal(samples.get('must_gather_archive_size_bytes_count'), 1)
    assert.ok((samples.get('must_gather_download_bytes_total') ?? 0) > 0)
    assert.ok((samples.get('http_request_duration_seconds_count{method="POST",route="/must-gather",status_code="201"}') ?? 0) >= 1)
    assert.ok(samples.has('process_cpu_seconds_total'))
    assert.ok(samples.has('nodejs_heap_size_used_bytes'))
  })

  it('echoes X-Request-Id (or makes one) and logs it on every request line', async () => {
    const service = services[services.length - 1] as RunningService
    const given = await service.fetch('/must-gather', { headers: { 'X-Request-Id': 'trace-abc-123' } })
    assert.equal(given.headers.get('x-request-id'), 'trace-abc-123')
    const made = await service.fetch('/must-gather')
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    await waitFor(() => service.logs().includes('"reqId":"trace-abc-123"'), 'the request id in the log')
  })
})

/** `name{labels} value` lines → map; comments and HELP/TYPE skipped. */
function parsePrometheus (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}
