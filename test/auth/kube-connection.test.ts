import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { inClusterConnection } from '../../src/auth/kube-connection.js'
import { KubeAccessReviewer } from '../../src/auth/kube-reviewer.js'
import { FakeKubeApi, SERVICE_TOKEN } from '../helpers/kube-api.js'
import { removeDir } from '../helpers/service.js'

const RULE = { verb: 'create', group: 'forklift.konveyor.io', resource: 'mustgathers', subresource: '', name: '', namespace: '' }

/**
 * The production path: inside a pod the service finds the API server from
 * KUBERNETES_SERVICE_HOST/PORT and authenticates with the mounted
 * service-account token and CA (a directory of those files here).
 */
describe('the in-cluster connection (service account)', () => {
  const api = new FakeKubeApi()
  const dir = mkdtempSync(join(tmpdir(), 'mgs-sa-'))
  let env: NodeJS.ProcessEnv
  before(async () => {
    await api.start()
    api.users.set('sha256~alice', { username: 'alice', uid: 'u-1', groups: ['system:authenticated'], admin: false, grants: ['create forklift.konveyor.io/mustgathers'] })
    writeFileSync(join(dir, 'token'), `${SERVICE_TOKEN}\n`)
    writeFileSync(join(dir, 'ca.crt'), api.pem?.cert ?? '')
    env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(api.url).port }
  })
  after(async () => {
    await api.stop()
    removeDir(dir)
  })

  it('reviews tokens and access with the mounted token, trusting only the mounted CA', async () => {
    const connection = inClusterConnection(env, { dir })
    assert.deepEqual(connection.endpoint, { server: api.url, caData: api.pem?.cert, skipTlsVerify: false })
    const reviewer = new KubeAccessReviewer(connection)
    const signal = AbortSignal.timeout(5000)
    const alice = await reviewer.reviewToken('sha256~alice', signal)
    assert.equal(alice?.username, 'alice')
    assert.deepEqual(alice?.groups, ['system:authenticated'])
    assert.equal(await reviewer.reviewToken('sha256~nobody', signal), undefined)
    assert.deepEqual(await reviewer.mayAccess(alice!, RULE, signal), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' })
    assert.equal((await reviewer.mayAccess(alice!, { ...RULE, verb: 'delete' }, signal)).allowed, false)
    const sar = api.requests.findLast((r) => r.path.includes('subjectaccessreviews'))
    assert.deepEqual(sar?.body.spec.resourceAttributes, { verb: 'delete', group: 'forklift.konveyor.io', resource: 'mustgathers' })
  })

  it('re-reads a rotated token; an API server error is an error naming the status, never the token', async () => {
    const reviewer = new KubeAccessReviewer(inClusterConnection(env, { dir, tokenRereadMs: 0 }))
    writeFileSync(join(dir, 'token'), 'sha256~expired-service-token')
    await assert.rejects(reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)), (error: Error) => {
      assert.match(error.message, /HTTP 401/)
      assert.equal((error as Error & { code?: unknown }).code, 401, 'the status, for the log')
      assert.doesNotMatch(error.message, /alice|expired-service-token/)
      return true
    })
    writeFileSync(join(dir, 'token'), SERVICE_TOKEN)
    assert.equal((await reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)))?.username, 'alice')
  })

  it('re-reads a rotated CA bundle, and keeps the last one while the file is being replaced', async () => {
    const rotating = mkdtempSync(join(tmpdir(), 'mgs-sa-rotate-'))
    try {
      const { makeCertificate } = await import('../helpers/tls.js')
      writeFileSync(join(rotating, 'token'), SERVICE_TOKEN)
      writeFileSync(join(rotating, 'ca.crt'), (await makeCertificate()).cert)
      const connection = inClusterConnection(env, { dir: rotating, tokenRereadMs: 0 })
      const reviewer = new KubeAccessReviewer(connection)
      await assert.rejects(reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)), /certificate|self.signed/i)
      writeFileSync(join(rotating, 'ca.crt'), api.pem?.cert ?? '')
      assert.equal((await reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)))?.username, 'alice')
      assert.equal(connection.endpoint.caData, api.pem?.cert, 'oc\'s kubeconfigs get the new CA too')
      writeFileSync(join(rotating, 'ca.crt'), '')
      writeFileSync(join(rotating, 'token'), '')
      assert.equal((await reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)))?.username, 'alice')
    } finally {
      removeDir(rotating)
    }
  })

  it('does not trust another CA', async () => {
    const other = mkdtempSync(join(tmpdir(), 'mgs-sa-other-'))
    try {
      const { makeCertificate } = await import('../helpers/tls.js')
      writeFileSync(join(other, 'token'), SERVICE_TOKEN)
      writeFileSync(join(other, 'ca.crt'), (await makeCertificate()).cert)
      const reviewer = new KubeAccessReviewer(inClusterConnection(env, { dir: other }))
      await assert.rejects(reviewer.reviewToken('sha256~alice', AbortSignal.timeout(5000)), /certificate|self.signed/i)
    } finally {
      removeDir(other)
    }
  })

  it('gives up when the signal aborts (a stalled API server)', async () => {
    api.mode = 'slow'
    try {
      const reviewer = new KubeAccessReviewer(inClusterConnection(env, { dir }))
      await assert.rejects(reviewer.reviewToken('sha256~alice', AbortSignal.timeout(300)), /abort|timeout/i)
    } finally {
      api.mode = 'ok'
    }
  })

  it('outside a pod, says what is missing', () => {
    assert.throws(() => inClusterConnection({}, { dir }), /KUBERNETES_SERVICE_HOST/)
    assert.equal(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, { dir }).endpoint.server, 'https://[fd00::1]:443')
  })
})
