import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readdirSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { after, before, describe, it } from 'node:test'

import { removeDir, type RunningService, SIM_IMAGE, startService, waitFor, waitForFinish } from '../helpers/service.js'
import { makeCertificate } from '../helpers/tls.js'

/** TLS, CORS, limits, headers and path handling, over real sockets. */
const services: RunningService[] = []
after(async () => {
  for (const s of services) {
    await s.stop()
    removeDir(s.dir)
  }
})
async function start (env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startService({ env })
  services.push(service)
  return service
}

/** GET over HTTPS trusting `ca`; resolves with the status and the certificate the server presented. */
function httpsGet (url: string, ca: string): Promise<{ status: number, certificate: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate()
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, certificate: peer.fingerprint256 }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('TLS (API_TLS_CERTIFICATE + API_TLS_KEY)', () => {
  let service: RunningService
  let dir: string
  let first: { cert: string, key: string }

  before(async () => {
    first = await makeCertificate('first')
    const probe = await start()
    dir = probe.dir
    writeFileSync(join(dir, 'tls.crt'), first.cert)
    writeFileSync(join(dir, 'tls.key'), first.key)
    service = await start({ API_TLS_CERTIFICATE: join(dir, 'tls.crt'), API_TLS_KEY: join(dir, 'tls.key') })
  })

  it('serves HTTPS with the given certificate and refuses plain HTTP', async () => {
    assert.match(service.url, /^https:/)
    const { status, certificate } = await httpsGet(`${service.url}/must-gather`, first.cert)
    assert.equal(status, 200)
    assert.equal(certificate, new X509Certificate(first.cert).fingerprint256)
    const plain = service.url.replace('https:', 'http:')
    await assert.rejects(new Promise((resolve, reject) => {
      const req = httpRequest(`${plain}/must-gather`, (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`HTTP ${res.statusCode}`))))
      })
      req.on('error', reject)
      req.end()
    }))
  })

  it('picks up a rotated certificate without a restart', async () => {
    const second = await makeCertificate('second')
    writeFileSync(join(dir, 'tls.key'), second.key)
    writeFileSync(join(dir, 'tls.crt'), second.cert)
    const expected = new X509Certificate(second.cert).fingerprint256
    await waitFor(async () => {
      const result = await httpsGet(`${service.url}/must-gather`, second.cert).catch(() => undefined)
      return result?.certificate === expected
    }, 'the new certificate to be served', 15_000)
  })

  it('start-up fails clearly when only one of the pair is set, or a file is unreadable', async () => {
    await assert.rejects(startService({ env: { API_TLS_CERTIFICATE: join(dir, 'tls.crt') } }), /API_TLS_KEY: HTTPS needs both/)
    await assert.rejects(startService({ env: { API_TLS_CERTIFICATE: join(dir, 'nope.crt'), API_TLS_KEY: join(dir, 'tls.key') } }), /API_TLS_CERTIFICATE: cannot read/)
  })
})

describe('AUTH_MODE=none', () => {
  it('binds to 127.0.0.1 unless HOST is set, and warns that every caller is trusted', async () => {
    const service = await start({ HOST: '' })
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:/)
    assert.match(service.logs(), /AUTH_MODE=none: every caller is trusted/)
  })
})

describe('CORS, headers and limits', () => {
  let service: RunningService
  before(async () => {
    service = await start({ CORS_ALLOWED_ORIGINS: 'https://console.example.com', POST_RATE_LIMIT: '3' })
  })

  it('answers a preflight from a listed origin for the API\'s methods and the Authorization header', async () => {
    const response = await service.fetch('/must-gather', {
      method: 'OPTIONS',
      headers: { Origin: 'https://console.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' }
    })
    assert.equal(response.status, 204)
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://console.example.com')
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/)
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /DELETE/)
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /Authorization/)
    const simple = await service.fetch('/must-gather', { headers: { Origin: 'https://console.example.com' } })
    assert.equal(simple.headers.get('access-control-allow-origin'), 'https://console.example.com')
  })

  it('gives an unlisted origin no CORS headers', async () => {
    for (const method of ['OPTIONS', 'GET']) {
      const response = await service.fetch('/must-gather', { method, headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'POST' } })
      assert.equal(response.headers.get('access-control-allow-origin'), null)
      await response.arrayBuffer()
    }
  })

  it('sets security headers on every response', async () => {
    for (const path of ['/must-gather', '/must-gather/nope']) {
      const response = await service.fetch(path)
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(response.headers.get('x-frame-options'), 'DENY')
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/)
      await response.arrayBuffer()
    }
  })

  it('refuses a large body with 413 in JSON', async () => {
    const { status, body } = await service.json('/must-gather', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ 'custom-name': 'x'.repeat(200_000) }) })
    assert.equal(status, 413)
    assert.equal(typeof body.error, 'string')
  })

  it('rate-limits POST per caller with 429 and Retry-After', async () => {
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 5; i++) {
      const response = await service.post({ image: `${SIM_IMAGE}:v1` })
      statuses.push(response.status)
      if (response.status === 429) retryAfter = response.headers.get('retry-after')
    }
    assert.deepEqual(statuses, [201, 201, 201, 429, 429])
    assert.ok(Number(retryAfter) >= 1)
    assert.equal((await service.json('/must-gather')).status, 200, 'GETs are not limited')
  })
})

describe('path handling: no request value becomes a path', () => {
  let service: RunningService
  before(async () => { service = await start() })

  const hostile = ['../../etc/passwd', '/etc/passwd', '..', 'a/../../b', 'x'.repeat(256), 'ünïcødé ✓ 名前', 'con:aux|nul?*<>"\\', '%2e%2e%2f']

  it('path parameters with traversal, NUL bytes or absolute paths are looked up, never opened', async () => {
    for (const raw of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', 'a%00b', '..', '%2e%2e', encodeURIComponent('x'.repeat(2000))]) {
      for (const suffix of ['', '/data', '/output']) {
        const response = await service.fetch(`/must-gather/${raw}${suffix}`)
        // A client resolves a bare `..` before sending (/must-gather/.. is /, the web console's page): not this route's to answer.
        const sent = new URL(`${service.url}/must-gather/${raw}${suffix}`).pathname
        if (!sent.startsWith('/must-gather/')) assert.ok(response.status < 500, `${raw}${suffix} (sent as ${sent}): ${response.status}`)
        else assert.ok([400, 404].includes(response.status), `${raw}${suffix}: ${response.status}`)
        const text = await response.text()
        assert.ok(!text.includes('root:'), 'no file content leaks')
      }
    }
  })

  it('custom names of any shape are only labels: stored as given, archive names made safe', async () => {
    const before = readdirSync(service.dir).sort()
    for (const name of hostile) {
      const { status, body } = await service.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': name })
      assert.equal(status, 201, name)
      assert.equal(body['custom-name'], name)
      const done = await waitForFinish(service, body.id)
      assert.match(done['archive-name'], /^must-gather-[A-Za-z0-9._-]+\.tar\.gz$/, name)
      assert.ok(!done['archive-name'].includes('..'))
      assert.ok(done['archive-name'].length < 160)
    }
    assert.deepEqual(readdirSync(service.dir).sort(), before, 'nothing new next to the data dir')
    const named = await service.fetch(`/must-gather/${encodeURIComponent('../../etc/passwd')}`)
    assert.equal(named.status, 200, 'a custom name that looks like a path is just a name')
    assert.equal(((await named.json()) as Record<string, unknown>)['custom-name'], '../../etc/passwd')
    const ids = readdirSync(service.dataDir)
    assert.ok(ids.every((name) => /^\d+$/.test(name)), ids.join(','))
  })
})
