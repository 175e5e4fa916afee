import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { Client } from '@modelcontextprotocol/sdk/client/index.js'

import { FakeKubeApi } from '../helpers/kube-api.js'
import { assertNoProcessesLeft, removeDir, type RunningService, SIM_IMAGE, startService } from '../helpers/service.js'
import { call, callJson, connect } from './client.js'

/**
 * /mcp in AUTH_MODE=kubernetes against the stand-in API server, with a
 * dedicated RBAC rule and VISIBILITY=own: the endpoint needs a token, and
 * every tool sees exactly what the caller sees through the API.
 */
const api = new FakeKubeApi()
const ADMIN = 'sha256~McpAdminTokenMcpAdminToken000001'
const ALICE = 'sha256~McpAliceCanLogInButIsNoAdmin0002'
const CAROL = 'sha256~McpCarolHasTheDedicatedRule00003'
const DAVE = 'sha256~McpDaveHasTheDedicatedRuleToo004'
const TOKENS = [ADMIN, ALICE, CAROL, DAVE]

describe('MCP: the API\'s authentication and visibility', () => {
  let service: RunningService
  const clients: Client[] = []
  const as = async (token: string): Promise<Client> => {
    const client = await connect(service.url, { Authorization: `Bearer ${token}` })
    clients.push(client)
    return client
  }

  before(async () => {
    await api.start()
    api.users.set(ADMIN, { username: 'kube:admin', uid: 'u-admin', groups: ['system:cluster-admins'], admin: true })
    api.users.set(ALICE, { username: 'alice', uid: 'u-alice', groups: ['system:authenticated'], admin: false })
    api.users.set(CAROL, { username: 'carol', uid: 'u-carol', groups: ['system:authenticated'], admin: false, grants: ['create forklift.konveyor.io/mustgathers'] })
    api.users.set(DAVE, { username: 'dave', uid: 'u-dave', groups: ['system:authenticated'], admin: false, grants: ['create forklift.konveyor.io/mustgathers'] })
    // As test/routes/security.auth.test.ts: a first start gives the directory the kubeconfig goes in.
    const probe = await startService({ env: { AUTH_MODE: 'none' } })
    const kubeconfig = api.writeKubeconfig(probe.dir)
    await probe.stop()
    removeDir(join(probe.dir, 'gatherings'))
    removeDir(join(probe.dir, 'gatherings.db'))
    service = await startService({
      dir: probe.dir,
      env: {
        AUTH_MODE: 'kubernetes',
        KUBECONFIG: kubeconfig,
        AUTH_TIMEOUT: '1s',
        CREDENTIALS_DIR: join(probe.dir, 'credentials'),
        AUTHZ_VERB: 'create',
        AUTHZ_GROUP: 'forklift.konveyor.io',
        AUTHZ_RESOURCE: 'mustgathers',
        VISIBILITY: 'own',
        FORWARDED_TOKEN_HEADER: 'X-Forwarded-Access-Token'
      }
    })
  })
  after(async () => {
    for (const client of clients) await client.close()
    if (service !== undefined) {
      await service.stop()
      await assertNoProcessesLeft(service.dir)
      removeDir(service.dir)
    }
    await api.stop()
  })

  it('no token or a rejected one → 401 on /mcp itself; the SDK client cannot connect', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }
    for (const headers of [{}, { Authorization: 'Bearer sha256~not-a-known-token' }] as Array<Record<string, string>>) {
      const response = await service.fetch('/mcp', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify(initialize)
      })
      assert.equal(response.status, 401)
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/)
      assert.equal(typeof ((await response.json()) as { error: unknown }).error, 'string')
    }
    await assert.rejects(connect(service.url), /missing Authorization header/)
  })

  it('a user the rule does not allow → 403 on /mcp', async () => {
    const response = await service.fetch('/mcp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${ALICE}` },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
    })
    assert.equal(response.status, 403)
    assert.match(((await response.json()) as { error: string }).error, /alice/)
  })

  it('another user\'s execution is invisible through every tool; an admin sees it', async () => {
    const carol = await as(CAROL)
    const dave = await as(DAVE)
    const started = await callJson(carol, 'start', { image: `${SIM_IMAGE}:v1`, 'custom-name': 'mcp:carol' })
    assert.equal(started['created-by'], 'carol', 'the run is the caller\'s, not the service\'s')
    assert.equal((await callJson(carol, 'status', { id: started.id })).id, started.id)

    for (const [tool, args] of [
      ['status', { id: started.id }],
      ['status', { id: 'mcp:carol' }],
      ['files', { id: started.id }],
      ['read', { id: started.id, path: 'must-gather.local.1/version' }],
      ['search', { id: started.id, q: 'x' }],
      ['summary', { id: started.id }],
      ['cancel', { id: started.id }]
    ] as const) {
      const answer = await call(dave, tool, args)
      assert.equal(answer.isError, true, `${tool} as dave`)
      assert.match(answer.texts[0] ?? '', /^HTTP 404: /, `${tool} as dave: ${answer.texts[0]}`)
      for (const token of TOKENS) assert.ok(!answer.texts.join('\n').includes(token.slice('sha256~'.length)), 'no token in a tool error')
    }
    assert.deepEqual(await callJson(dave, 'list'), [])
    const listedByAdmin = await callJson<Array<{ id: number }>>(await as(ADMIN), 'list')
    assert.deepEqual(listedByAdmin.map((e) => e.id), [started.id])
    assert.equal((await callJson(carol, 'status', { id: started.id })).id, started.id, 'dave\'s cancel did nothing')
  })

  it('the forwarded-token header (from loopback, as oauth-proxy sends it) identifies the caller through the tools too', async () => {
    const viaProxy = await connect(service.url, { 'X-Forwarded-Access-Token': CAROL })
    clients.push(viaProxy)
    const listed = await callJson<Array<{ 'created-by': string }>>(viaProxy, 'list')
    assert.ok(listed.length > 0)
    assert.deepEqual([...new Set(listed.map((e) => e['created-by']))], ['carol'])
  })

  it('no token appears in the service\'s logs', () => {
    const logs = service.logs()
    assert.ok(logs.includes('/mcp'), 'the MCP requests were logged')
    for (const token of TOKENS) assert.ok(!logs.includes(token), 'a token in the logs')
    for (const token of TOKENS) assert.ok(!logs.includes(token.slice('sha256~'.length)), 'part of a token in the logs')
  })
})
