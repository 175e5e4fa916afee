import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import pg from 'pg'

import { FakeKubeApi } from '../helpers/kube-api.js'
import { testPostgres } from '../helpers/postgres-server.js'
import {
  assertNoProcessesLeft,
  runProcesses,
  removeDir,
  type RunningService,
  SIM_IMAGE,
  startService,
  waitFor,
  waitForFinish
} from '../helpers/service.js'

/**
 * AUTH_MODE=kubernetes against a stand-in API server reached through
 * @kubernetes/client-node with a kubeconfig, as outside a cluster.
 */
const api = new FakeKubeApi()
const ADMIN = 'sha256~AdminTokenAdminTokenAdminToken0001'
const ALICE = 'sha256~AliceCanLogInButIsNoAdmin00000002'
const CAROL = 'sha256~CarolHasTheDedicatedRbacRule0003'
const DAVE = 'sha256~DaveHasTheDedicatedRbacRuleToo04'
const services: RunningService[] = []

before(async () => {
  await api.start()
  api.users.set(ADMIN, { username: 'kube:admin', uid: 'u-admin', groups: ['system:cluster-admins'], admin: true })
  api.users.set(ALICE, { username: 'alice', uid: 'u-alice', groups: ['system:authenticated'], admin: false })
  api.users.set(CAROL, { username: 'carol', uid: 'u-carol', groups: ['system:authenticated'], admin: false, grants: ['create forklift.konveyor.io/mustgathers'] })
  api.users.set(DAVE, { username: 'dave', uid: 'u-dave', groups: ['system:authenticated'], admin: false, grants: ['create forklift.konveyor.io/mustgathers'] })
})
after(async () => {
  for (const s of services) await s.stop()
  for (const s of services) {
    await assertNoProcessesLeft(s.dir)
    removeDir(s.dir)
  }
  await api.stop()
})

async function start (env: Record<string, string> = {}, dir?: string): Promise<RunningService> {
  const probe = await startService({ env: { AUTH_MODE: 'none' } })
  const kubeconfig = api.writeKubeconfig(probe.dir)
  await probe.stop()
  removeDir(join(probe.dir, 'gatherings'))
  removeDir(join(probe.dir, 'gatherings.db'))
  const service = await startService({
    dir: dir ?? probe.dir,
    env: { AUTH_MODE: 'kubernetes', KUBECONFIG: kubeconfig, AUTH_TIMEOUT: '1s', CREDENTIALS_DIR: join(probe.dir, 'credentials'), ...env }
  })
  services.push(service)
  return service
}

const bearer = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } })
const postAs = (service: RunningService, token: string, body: unknown) => service.json('/must-gather', {
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify(body)
})

describe('authentication and authorization (default rule: cluster-admin)', () => {
  let service: RunningService
  before(async () => { service = await start() })

  it('no token, a malformed header or a rejected token → 401 with WWW-Authenticate: Bearer', async () => {
    for (const init of [{}, { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }, bearer('sha256~not-a-known-token')]) {
      const { status, body, headers } = await service.json('/must-gather', init)
      assert.equal(status, 401)
      assert.match(headers.get('www-authenticate') ?? '', /^Bearer/)
      assert.equal(typeof body.error, 'string')
    }
  })

  it('health, readiness and metrics need no token; the API description does', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await service.fetch(path)
      assert.ok([200, 503].includes(response.status), `${path}: ${response.status}`)
      await response.arrayBuffer()
    }
    assert.equal((await service.fetch('/openapi.json')).status, 401)
  })

  it('a valid user who is not allowed → 403, also on a download (a 401 would log the UI user out)', async () => {
    for (const path of ['/must-gather', '/must-gather/1/data']) {
      const { status, body } = await service.json(path, bearer(ALICE))
      assert.equal(status, 403, path)
      assert.match(body.error, /alice/)
    }
    assert.equal((await postAs(service, ALICE, {})).status, 403)
  })

  it('a cluster-admin may do everything; created-by records the username', async () => {
    const { status, body } = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1` })
    assert.equal(status, 201)
    assert.equal(body['created-by'], 'kube:admin')
    const done = await waitForFinish({ ...service, json: (p: string) => service.json(p, bearer(ADMIN)) } as RunningService, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
  })

  it('caches an allowed decision briefly, keyed by a hash of the token', async () => {
    const before = api.requests.filter((r) => r.path.includes('tokenreviews')).length
    for (let i = 0; i < 5; i++) assert.equal((await service.json('/must-gather', bearer(ADMIN))).status, 200)
    const after = api.requests.filter((r) => r.path.includes('tokenreviews')).length
    assert.ok(after - before <= 1, `${after - before} TokenReviews for 5 requests`)
  })

  it('a failing or stalled API server → 503 after the timeout, never allowed', async () => {
    const fresh = 'sha256~NeverSeenBeforeSoNotCached000005'
    api.users.set(fresh, { username: 'fresh-admin', uid: 'u-f', groups: [], admin: true })
    try {
      api.mode = 'error'
      const failed = await service.json('/must-gather', bearer(fresh))
      assert.equal(failed.status, 503)
      assert.match(failed.body.error, /Kubernetes API server/)
      api.mode = 'slow'
      const started = Date.now()
      const stalled = await service.json('/must-gather', bearer(fresh))
      assert.equal(stalled.status, 503)
      assert.ok(Date.now() - started < 5000, 'bounded by AUTH_TIMEOUT')
      assert.match(stalled.body.error, /did not answer within 1000 ms/)
    } finally {
      api.mode = 'ok'
    }
    assert.equal((await service.json('/must-gather', bearer(fresh))).status, 200, 'recovers once the API server answers')
  })

  it('an API server that cannot be reached at all → 503', async () => {
    const down = await startService({ env: { AUTH_MODE: 'none' } })
    const kubeconfig = join(down.dir, 'unreachable.kubeconfig')
    writeFileSync(kubeconfig, readFileSync(join(service.dir, 'service.kubeconfig'), 'utf8').replace(api.url, 'https://127.0.0.1:1'))
    await down.stop()
    const unreachable = await startService({ dir: down.dir, env: { AUTH_MODE: 'kubernetes', KUBECONFIG: kubeconfig, AUTH_TIMEOUT: '1s', CREDENTIALS_DIR: join(down.dir, 'credentials') } })
    services.push(unreachable)
    const { status, body } = await unreachable.json('/must-gather', bearer(ADMIN))
    assert.equal(status, 503)
    assert.match(body.error, /Kubernetes API server/)
  })

  it('writes an audit line for create, download and delete with the user', async () => {
    const { body } = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1` })
    await waitFor(async () => ['completed', 'error'].includes((await service.json(`/must-gather/${body.id}`, bearer(ADMIN))).body.status), 'finish')
    await (await service.fetch(`/must-gather/${body.id}/data`, bearer(ADMIN))).arrayBuffer()
    assert.equal((await service.fetch(`/must-gather/${body.id}`, { method: 'DELETE', ...bearer(ADMIN) })).status, 204)
    await waitFor(() => service.logs().includes('"audit":"delete"'), 'the delete audit line')
    const lines = service.logs().split('\n').filter((l) => l.includes('"audit"')).map((l) => JSON.parse(l))
    for (const action of ['create', 'download', 'delete']) {
      assert.ok(lines.some((l) => l.audit === action && l.user === 'kube:admin' && l.id === body.id && l.outcome === 'success'), action)
    }
  })
})

describe('token hygiene: oc runs with the caller\'s token, which is found nowhere else', () => {
  let service: RunningService
  let restarted: RunningService | undefined
  // A real secret of the service's: its PostgreSQL URL, password included (the database being where a token must not go either).
  let database: { url: string, drop: () => Promise<void> }
  let SERVICE_SECRET: string
  before(async () => {
    database = await (await testPostgres()).createDatabase()
    SERVICE_SECRET = database.url
    service = await start({ MAX_CONCURRENT: '1', DATABASE_URL: SERVICE_SECRET })
  })
  after(async () => {
    // Before the test server stops (its own hook, at the end of the file).
    await restarted?.stop()
    await service.stop()
    await database.drop()
  })

  /** Every text the database holds about executions. */
  async function databaseText (): Promise<string> {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      const { rows } = await client.query('SELECT (SELECT coalesce(string_agg(g::text, \'\'), \'\') FROM gatherings g) || (SELECT coalesce(string_agg(t::text, \'\'), \'\') FROM gathering_output_tails t) AS text')
      return rows[0].text as string
    } finally {
      await client.end()
    }
  }

  it('the token is only in a 0600 kubeconfig while oc runs, then gone; not in argv, environ, database, logs or files', async () => {
    const { body } = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:slow-3` })
    const pid = await waitFor(() => runProcesses(service, body.id)[0], 'oc to run')
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
    assert.ok(!cmdline.includes(ADMIN) && !cmdline.includes('--token'), 'not in the argument list')
    assert.ok(!environ.includes(ADMIN), 'not in the environment')
    assert.ok(!environ.includes(SERVICE_SECRET), 'the service\'s own secrets are not passed on either')
    const kubeconfig = /(?:^|\0)KUBECONFIG=([^\0]+)/.exec(environ)?.[1]
    assert.ok(kubeconfig !== undefined, 'oc gets a KUBECONFIG')
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600)
    assert.equal(statSync(join(kubeconfig, '..')).mode & 0o777, 0o700)
    const config = JSON.parse(readFileSync(kubeconfig, 'utf8'))
    assert.equal(config.users[0].user.token, ADMIN, 'the caller\'s own token')
    assert.equal(config.clusters[0].cluster.server, api.url)
    assert.ok(config.clusters[0].cluster['certificate-authority-data'], 'verified with the cluster CA')

    const done = await waitForFinish({ ...service, json: (p: string) => service.json(p, bearer(ADMIN)) } as RunningService, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.throws(() => statSync(kubeconfig), 'the kubeconfig is deleted when the run ends')

    // The record may say completed while the unpacked files are still being removed (after packing): walk once they are gone.
    await waitFor(() => !existsSync(join(service.dataDir, String(body.id), `must-gather.local.${body.id}`)), 'the unpacked files to go')
    for (const file of walk(service.dir)) {
      if (file.startsWith(join(service.dir, 'credentials'))) continue
      assert.ok(!readFileSync(file).includes(ADMIN), `token found in ${file}`)
    }
    assert.ok(!service.logs().includes(ADMIN), 'not in the logs')
    assert.ok(!service.logs().includes(ADMIN.slice(7, 20)), 'not even a fragment in the logs')
    const stored = await databaseText()
    assert.ok(stored.includes(`${body.id}`) && !stored.includes(ADMIN), 'not in the database')
    assert.ok(!service.logs().includes(new URL(SERVICE_SECRET).password), 'nor the database password in the logs')
  })

  it('a queued execution whose token died with the service ends error asking to repeat the request', async () => {
    const running = (await postAs(service, ADMIN, { image: `${SIM_IMAGE}:slow-30` })).body.id
    const queued = (await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1` })).body.id
    await waitFor(() => runProcesses(service, running).length > 0, 'oc to run')
    await service.kill()
    const again = await startService({ dir: service.dir, env: { AUTH_MODE: 'kubernetes', KUBECONFIG: join(service.dir, 'service.kubeconfig'), CREDENTIALS_DIR: join(service.dir, 'credentials'), DATABASE_URL: SERVICE_SECRET } })
    restarted = again
    services.push(again)
    const record = await waitForFinish({ ...again, json: (p: string) => again.json(p, bearer(ADMIN)) } as RunningService, queued)
    assert.equal(record.status, 'error')
    assert.match(record['error-message'], /must be repeated/)
    const credentials = join(service.dir, 'credentials')
    assert.deepEqual(existsSync(credentials) ? readdirSync(credentials) : [], [], 'no kubeconfig left behind')
  })
})

describe('a dedicated RBAC rule and VISIBILITY=own', () => {
  let service: RunningService
  before(async () => {
    service = await start({ AUTHZ_VERB: 'create', AUTHZ_GROUP: 'forklift.konveyor.io', AUTHZ_RESOURCE: 'mustgathers', VISIBILITY: 'own' })
  })

  it('the configured rule decides who may use the service', async () => {
    assert.equal((await service.json('/must-gather', bearer(CAROL))).status, 200)
    assert.equal((await service.json('/must-gather', bearer(ALICE))).status, 403)
  })

  it('callers see only their own executions; cluster-admins see all', async () => {
    const carols = (await postAs(service, CAROL, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:shared' })).body.id
    const daves = (await postAs(service, DAVE, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:shared' })).body.id
    assert.equal((await service.json(`/must-gather/${carols}`, bearer(DAVE))).status, 404)
    assert.equal((await service.json(`/must-gather/${carols}/data`, bearer(DAVE))).status, 404)
    assert.equal((await service.json(`/must-gather/${carols}`, { method: 'DELETE', ...bearer(DAVE) })).status, 404)
    assert.equal((await service.json('/must-gather/plan:shared', bearer(CAROL))).body.id, carols, 'a custom name resolves among the caller\'s own')
    const carolList = (await service.json<Array<{ id: number }>>('/must-gather', bearer(CAROL))).body.map((g) => g.id)
    assert.deepEqual(carolList, [carols])
    const adminList = (await service.json<Array<{ id: number }>>('/must-gather', bearer(ADMIN))).body.map((g) => g.id)
    assert.ok(adminList.includes(carols) && adminList.includes(daves))
  })
})

describe('ALLOWED_IMAGES', () => {
  let service: RunningService
  before(async () => { service = await start({ ALLOWED_IMAGES: `${SIM_IMAGE}:v1,quay.io/kubev2v/*` }) })

  it('another image → 403 with a clear message, nothing queued', async () => {
    const refused = await postAs(service, ADMIN, { image: 'quay.io/evil/cluster-dumper:latest' })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.field, 'image')
    assert.match(refused.body.error, /not allowed on this service/)
    assert.equal((await postAs(service, ADMIN, { 'all-images': true })).status, 403)
    assert.equal((await service.json<unknown[]>('/must-gather', bearer(ADMIN))).body.length, 0)
    const stream = await postAs(service, ADMIN, { 'image-stream': 'openshift/must-gather:latest' })
    assert.equal(stream.status, 403, 'a stream could point anywhere')
    assert.equal(stream.body.field, 'image-stream')
    assert.equal((await postAs(service, ADMIN, { image: 'quay.io/kubev2v/forklift-must-gather:latest' })).status, 201, 'a prefix pattern')
    assert.equal((await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1` })).status, 201, 'an exact reference')
  })
})

function walk (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    return e.isDirectory() ? walk(path) : e.isFile() ? [path] : []
  })
}

describe('OC_CREDENTIALS=service', () => {
  let service: RunningService
  before(async () => { service = await start({ OC_CREDENTIALS: 'service' }) })

  it('refuses to send the service\'s credentials to another API server', async () => {
    const refused = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, server: 'https://api.elsewhere.example.com:6443' })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.field, 'server')
    assert.match(refused.body.error, /service's own credentials/)
    const { status, body } = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1` })
    assert.equal(status, 201)
    const done = await waitForFinish({ ...service, json: (p: string) => service.json(p, bearer(ADMIN)) } as RunningService, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
  })
})

describe('a narrowed rule without VISIBILITY (security review, item 1)', () => {
  let service: RunningService
  before(async () => {
    service = await start({ AUTHZ_VERB: 'create', AUTHZ_GROUP: 'forklift.konveyor.io', AUTHZ_RESOURCE: 'mustgathers' })
  })

  it('keeps a narrowed user away from a cluster-admin\'s executions', async () => {
    const admins = (await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:plan1' })).body.id
    assert.equal((await service.json(`/must-gather/${admins}`, bearer(CAROL))).status, 404)
    assert.equal((await service.json(`/must-gather/${admins}/data`, bearer(CAROL))).status, 404)
    assert.equal((await service.json(`/must-gather/${admins}/output`, bearer(CAROL))).status, 404)
    assert.equal((await service.json(`/must-gather/${admins}`, { method: 'DELETE', ...bearer(CAROL) })).status, 404)
    assert.equal((await service.json(`/must-gather/${admins}`, bearer(ADMIN))).status, 200, 'still there')
  })

  it('resolves a custom name to the caller\'s own first, so nobody can squat a name an admin\'s UI polls', async () => {
    const admins = (await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:squat' })).body.id
    const carols = (await postAs(service, CAROL, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:squat' })).body.id
    assert.ok(carols > admins, 'hers is the newer')
    assert.equal((await service.json('/must-gather/plan:squat', bearer(ADMIN))).body.id, admins, 'the admin gets the admin\'s own')
    assert.equal((await service.json('/must-gather/plan:squat', bearer(CAROL))).body.id, carols)
    const daves = await service.json('/must-gather/plan:squat', bearer(DAVE))
    assert.equal(daves.status, 404, 'a user with none of their own gets nobody else\'s')
    const only = (await postAs(service, CAROL, { image: `${SIM_IMAGE}:v1`, 'custom-name': 'plan:carol-only' })).body.id
    assert.equal((await service.json('/must-gather/plan:carol-only', bearer(ADMIN))).body.id, only, 'an admin with none of their own gets the newest of anyone\'s')
  })
})

describe('rejected tokens (security review, item 6)', () => {
  let service: RunningService
  before(async () => { service = await start({ AUTH_FAILURE_LIMIT: '5' }) })

  const tokenReviews = (): number => api.requests.filter((r) => r.path.startsWith('/apis/authentication.k8s.io/v1/tokenreviews')).length

  it('asks the cluster once about a bad token presented 100 times', async () => {
    const before = tokenReviews()
    for (let i = 0; i < 100; i++) assert.equal((await service.json('/must-gather', bearer('sha256~the-same-bad-token'))).status, 401)
    assert.equal(tokenReviews() - before, 1)
  })

  it('throttles an address that keeps presenting new bad tokens (429), while good tokens it had still work', async () => {
    assert.equal((await service.json('/must-gather', bearer(ADMIN))).status, 200)
    const before = tokenReviews()
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await service.json('/must-gather', bearer(`sha256~bad-token-number-${i}`))).status)
    // One bad token was counted by the test before; four more are reviewed, then no more.
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429, 429, 429, 429, 429])
    assert.equal(tokenReviews() - before, 4)
    const throttled = await service.json('/must-gather', bearer('sha256~yet-another'))
    assert.match(throttled.body.error, /AUTH_FAILURE_LIMIT=5/)
    assert.ok(Number(throttled.headers.get('retry-after')) > 0)
    assert.equal((await service.json('/must-gather', bearer(ADMIN))).status, 200, 'a cached good token is not throttled')
  })
})

describe('an http:// server in caller mode (security review, item 9)', () => {
  it('is refused: the caller\'s token would travel in clear', async () => {
    const service = await start()
    const refused = await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, server: 'http://api.cluster.example.com:6443' })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.field, 'server')
    assert.match(refused.body.error, /https:\/\/.*ALLOW_HTTP_SERVER/)
    assert.equal((await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, server: 'https://api.cluster.example.com:6443' })).status, 201)
    assert.equal((await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, server: 'api.cluster.example.com:6443' })).status, 201, 'host:port means https')
  })

  it('is allowed when the operator opts in with ALLOW_HTTP_SERVER=true', async () => {
    const service = await start({ ALLOW_HTTP_SERVER: 'true' })
    assert.equal((await postAs(service, ADMIN, { image: `${SIM_IMAGE}:v1`, server: 'http://api.cluster.example.com:6443' })).status, 201)
  })
})

describe('the redaction report (issue: redaction)', () => {
  it('is served only to callers its own rule allows: cluster-admins by default, not the user who gathered', async () => {
    const service = await start({ AUTHZ_VERB: 'create', AUTHZ_GROUP: 'forklift.konveyor.io', AUTHZ_RESOURCE: 'mustgathers' })
    const { body } = await postAs(service, CAROL, { image: `${SIM_IMAGE}:v1`, redact: true })
    const done = await waitForFinish({ ...service, json: (p: string) => service.json(p, bearer(CAROL)) } as RunningService, body.id)
    assert.equal(done.redacted, true, done['error-message'])
    const carols = await service.json(`/must-gather/${body.id}/redaction-report`, bearer(CAROL))
    assert.equal(carols.status, 403)
    assert.match(carols.body.error, /REDACTION_REPORT_AUTHZ/)
    const admins = await service.json(`/must-gather/${body.id}/redaction-report`, bearer(ADMIN))
    assert.equal(admins.status, 200)
    assert.ok(Array.isArray(admins.body.rules))
  })
})
