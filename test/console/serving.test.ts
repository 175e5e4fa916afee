import assert from 'node:assert/strict'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { FakeKubeApi } from '../helpers/kube-api.js'
import { removeDir, type RunningService, startService, stopAndClean } from '../helpers/service.js'

/**
 * How the service serves the console (src/http/plugins/console.ts), in
 * kubernetes mode: the page and its files need no token, the API still does,
 * and the console's paths never take an API path's place.
 */
const api = new FakeKubeApi()
let service: RunningService

before(async () => {
  await api.start()
  const probe = await startService()
  const kubeconfig = api.writeKubeconfig(probe.dir)
  await probe.stop()
  removeDir(join(probe.dir, 'gatherings'))
  removeDir(join(probe.dir, 'gatherings.db'))
  service = await startService({ dir: probe.dir, env: { AUTH_MODE: 'kubernetes', KUBECONFIG: kubeconfig, CREDENTIALS_DIR: join(probe.dir, 'credentials') } })
})
after(async () => {
  if (service !== undefined) await stopAndClean(service)
  await api.stop()
})

/** The files index.html loads. */
async function pageFiles (): Promise<string[]> {
  const html = await (await service.fetch('/')).text()
  return [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string)
}

describe('serving the console', () => {
  it('answers /, /new and /executions/:id with the page, without a token, revalidated', async () => {
    for (const path of ['/', '/new', '/executions/12', '/executions/plan%3Aplan1']) {
      const response = await service.fetch(path)
      assert.equal(response.status, 200, path)
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/)
      assert.equal(response.headers.get('cache-control'), 'no-cache')
      assert.match(await response.text(), /<div id="root"><\/div>/)
    }
  })

  it('the page\'s policy: its own scripts and styles only, nothing inline, no other origin', async () => {
    const csp = (await service.fetch('/')).headers.get('content-security-policy') ?? ''
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
    assert.deepEqual(directives.get('default-src'), ["'none'"])
    assert.deepEqual(directives.get('script-src'), ["'self'"])
    assert.deepEqual(directives.get('style-src'), ["'self'"])
    assert.deepEqual(directives.get('connect-src'), ["'self'"])
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"])
    assert.ok(!csp.includes('unsafe'), csp)
    const html = await (await service.fetch('/')).text()
    assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), 'no inline script')
    assert.ok(!/<style|\sstyle=/.test(html), 'no inline style')
    // The API keeps its own, stricter one.
    const apiCsp = (await service.fetch('/healthz')).headers.get('content-security-policy')
    assert.deepEqual((apiCsp ?? '').split(/;\s*/), ["default-src 'none'", "frame-ancestors 'none'"])
  })

  it('serves every file the page loads without a token: hashed ones cached for a year, gzipped, revalidated by ETag', async () => {
    const files = await pageFiles()
    assert.ok(files.some((f) => f.endsWith('.js')) && files.some((f) => f.endsWith('.css')), files.join(' '))
    for (const path of files) {
      const response = await service.fetch(path, { headers: { 'Accept-Encoding': 'gzip' } })
      assert.equal(response.status, 200, path)
      const body = Buffer.from(await response.arrayBuffer())
      if (path.startsWith('/assets/')) {
        assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable')
        // fetch() decodes gzip itself: ask again with a raw client to see the encoding.
        assert.ok(body.length > 0)
      }
      const etag = response.headers.get('etag') ?? ''
      assert.notEqual(etag, '')
      assert.equal((await service.fetch(path, { headers: { 'If-None-Match': etag } })).status, 304, path)
    }
    const script = files.find((f) => f.endsWith('.js')) as string
    const raw = await rawGet(script, { 'Accept-Encoding': 'gzip' })
    assert.equal(raw.headers['content-encoding'], 'gzip')
    assert.match(String(raw.headers['content-type']), /^text\/javascript/)
    assert.ok(gunzipSync(raw.body).length > raw.body.length * 2, 'compressed')
  })

  it('leaves every API path to the API: no token, no answer', async () => {
    for (const path of ['/must-gather', '/must-gather/1', '/must-gather/1/output', '/openapi.json', '/docs']) {
      const response = await service.fetch(path)
      assert.equal(response.status, 401, path)
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path)
    }
    assert.equal((await service.json('/healthz')).body.status, 'ok')
    assert.equal((await service.fetch('/metrics')).status, 200)
    // What the console does not have is not found (and, being no console path, needs a token like any other).
    assert.equal((await service.fetch('/assets/no-such-file.js')).status, 404)
    assert.equal((await service.fetch('/executions')).status, 401)
  })

  it('gives a browser opening an address no route has the console (which says "Page not found"), with 404', async () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    for (const path of ['/executions/1/files', '/foo']) {
      const response = await service.fetch(path, { headers: { Accept: accept } })
      assert.equal(response.status, 404, path)
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path)
      assert.match(await response.text(), /<div id="root">/, path)
    }
    // A real route keeps its own answer; a script asking for JSON gets the API's, with the API's policy.
    assert.equal((await service.fetch('/must-gather/1', { headers: { Accept: accept } })).status, 401)
    const api = await service.fetch('/foo', { headers: { Accept: 'application/json' } })
    assert.equal(api.status, 401)
    assert.match(api.headers.get('content-security-policy') ?? '', /^default-src 'none'/)
    // The page revalidated (304) keeps the page's policy: the browser updates its cached page's headers.
    const page = await service.fetch('/foo', { headers: { Accept: accept } })
    const again = await service.fetch('/foo', { headers: { Accept: accept, 'If-None-Match': page.headers.get('etag') ?? '' } })
    assert.equal(again.status, 304)
    assert.equal(again.headers.get('content-security-policy'), page.headers.get('content-security-policy'))
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/)
  })
})

async function rawGet (path: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}
