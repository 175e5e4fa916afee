import assert from 'node:assert/strict'
import { request } from 'node:http'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { FakeKubeApi } from '../helpers/kube-api.js'
import { removeDir, type RunningService, startService, stopAndClean } from '../helpers/service.js'

/**
 * FORWARDED_TOKEN_HEADER: oauth-proxy, in the same pod, forwards the signed-in
 * user's token in a header. The service reads it only when configured and only
 * from a loopback peer; the token is reviewed like any other.
 */
const api = new FakeKubeApi()
const ADMIN = 'sha256~ForwardedAdminTokenForwardedAdm0001'
const HEADER = 'X-Forwarded-Access-Token'
const services: RunningService[] = []

/** This machine's own non-loopback IPv4 address: a connection to it does not come from loopback. */
const outsideAddress = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address

before(async () => {
  await api.start()
  api.users.set(ADMIN, { username: 'kube:admin', uid: 'u-admin', groups: ['system:cluster-admins'], admin: true })
})
after(async () => {
  for (const service of services) await stopAndClean(service)
  await api.stop()
})

async function start (env: Record<string, string>): Promise<RunningService> {
  const probe = await startService()
  const kubeconfig = api.writeKubeconfig(probe.dir)
  await probe.stop()
  removeDir(join(probe.dir, 'gatherings'))
  removeDir(join(probe.dir, 'gatherings.db'))
  const service = await startService({ dir: probe.dir, env: { AUTH_MODE: 'kubernetes', KUBECONFIG: kubeconfig, CREDENTIALS_DIR: join(probe.dir, 'credentials'), ...env } })
  services.push(service)
  return service
}

/** GET /must-gather at host:port with the forwarded header, over a real socket. */
function getList (host: string, port: number, headers: Record<string, string>): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/must-gather', headers }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('FORWARDED_TOKEN_HEADER', () => {
  let configured: RunningService
  let port: number
  before(async () => {
    // Listening on every address, so that the same service can be reached from loopback and from outside it.
    configured = await start({ FORWARDED_TOKEN_HEADER: HEADER, HOST: '0.0.0.0' })
    port = Number(new URL(configured.url).port)
  })

  it('is honoured from loopback: the forwarded token is reviewed and lets the user in', async () => {
    const { status } = await getList('127.0.0.1', port, { [HEADER]: ADMIN })
    assert.equal(status, 200)
    const reviewed = api.requests.filter((r) => r.path.startsWith('/apis/authentication.k8s.io') && r.body?.spec?.token === ADMIN)
    assert.ok(reviewed.length > 0, 'the token went through a TokenReview')
  })

  it('a forwarded token that the cluster rejects is a 401 like any other', async () => {
    const { status } = await getList('127.0.0.1', port, { [HEADER]: 'sha256~NotATokenTheClusterKnows000000000' })
    assert.equal(status, 401)
  })

  it('is ignored when it does not come from loopback', { skip: outsideAddress === undefined && 'this machine has no non-loopback IPv4 address' }, async () => {
    const { status, body } = await getList(outsideAddress as string, port, { [HEADER]: ADMIN })
    assert.equal(status, 401)
    assert.match(body, /missing Authorization header/)
  })

  it('is ignored when FORWARDED_TOKEN_HEADER is not set', async () => {
    const unset = await start({})
    const { status, body } = await getList('127.0.0.1', Number(new URL(unset.url).port), { [HEADER]: ADMIN })
    assert.equal(status, 401)
    assert.match(body, /missing Authorization header/)
    // The same token as a bearer token works: only the header was ignored.
    assert.equal((await getList('127.0.0.1', Number(new URL(unset.url).port), { Authorization: `Bearer ${ADMIN}` })).status, 200)
  })

  it('never reaches the log', async () => {
    assert.ok(!configured.logs().includes(ADMIN), 'the token is not in the service\'s output')
  })
})
