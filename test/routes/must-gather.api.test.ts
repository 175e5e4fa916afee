import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { removeDir, type RunningService, SIM_IMAGE, startService, waitForFinish } from '../helpers/service.js'

/**
 * The design document's four curl calls and the Forklift UI's call sequence,
 * against the real service process and the oc simulator.
 */
let service: RunningService
before(async () => {
  service = await startService({ env: { MUST_GATHER_IMAGE: `${SIM_IMAGE}:quick` } })
})
after(async () => {
  assert.equal(await service.stop(), 0, 'the service exits 0 on SIGTERM')
  removeDir(service.dir)
})

const EXECUTION_FIELDS = [
  'id', 'created-at', 'updated-at', 'custom-name', 'status', 'image', 'image-stream', 'node-name', 'command',
  'source-dir', 'timeout', 'server', 'archive-name', 'archive-size', 'exec-output', 'node-selector', 'host-network',
  'all-images', 'since', 'since-time', 'run-namespace', 'volume-percentage', 'keep', 'error-message', 'started-at', 'finished-at'
]
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('the design document\'s curl calls', () => {
  let id: number

  it('POST /must-gather answers 201 with the execution, queued', async () => {
    const { status, body } = await service.post({ image: `${SIM_IMAGE}:v1`, timeout: '15m' })
    assert.equal(status, 201)
    for (const field of EXECUTION_FIELDS) assert.ok(field in body, `field ${field}`)
    assert.equal(typeof body.id, 'number')
    assert.match(body['created-at'], ISO_UTC)
    assert.equal(body.status, 'new')
    assert.equal(body.image, `${SIM_IMAGE}:v1`)
    assert.equal(body.timeout, '15m')
    assert.equal(body.command, '')
    id = body.id
  })

  it('GET /must-gather/:id follows it to completed', async () => {
    const done = await waitForFinish(service, id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.equal(done['error-message'], '')
    assert.match(done['started-at'], ISO_UTC)
    assert.match(done['finished-at'], ISO_UTC)
    assert.ok(done['updated-at'] >= done['created-at'])
    assert.match(done['exec-output'], /\[must-gather {6}\] OUT .*Using must-gather plug-in image: quay.io\/must-gather-service\/simulator:v1/)
    assert.equal(done['archive-name'], `must-gather-${id}.tar.gz`)
    assert.ok(done['archive-size'] > 0)
  })

  it('GET /must-gather/:id/data downloads a real tar.gz whose top folder is must-gather.local.<id>/', async () => {
    const response = await service.fetch(`/must-gather/${id}/data`)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/gzip')
    assert.equal(response.headers.get('content-disposition'), `attachment; filename="must-gather-${id}.tar.gz"`)
    const bytes = Buffer.from(await response.arrayBuffer())
    assert.equal(Number(response.headers.get('content-length')), bytes.length)
    const { body } = await service.json(`/must-gather/${id}`)
    assert.equal(body['archive-size'], bytes.length)
    const file = join(service.dir, 'download.tar.gz')
    writeFileSync(file, bytes)
    const entries = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n')
    assert.ok(entries.every((e) => e.startsWith(`must-gather.local.${id}/`)), entries.slice(0, 5).join('\n'))
    assert.ok(entries.includes(`must-gather.local.${id}/must-gather.logs`))
    assert.ok(entries.includes(`must-gather.local.${id}/timestamp`))
    assert.ok(entries.some((e) => e.endsWith('/gather.logs')), 'the image directory with gather.logs')
    const sha = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]
    assert.equal(body['archive-sha256'], sha)
  })

  it('GET /must-gather lists it', async () => {
    const { status, body } = await service.json('/must-gather')
    assert.equal(status, 200)
    assert.ok(Array.isArray(body))
    assert.ok(body.some((g: { id: number }) => g.id === id))
  })

  it('GET /must-gather/:id/output has the whole output as text', async () => {
    const response = await service.fetch(`/must-gather/${id}/output`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await response.text()
    assert.match(text, /Using must-gather plug-in image/)
    assert.match(text, /Reprinting Cluster State:/)
  })
})

describe('the Forklift UI\'s calls', () => {
  const customName = 'vm:My VM (prod) 1:0b1e8e4c-4b5e-4f2d-9f7a-1234567890ab'
  let firstId: number
  let secondId: number

  it('creates with only custom-name and command, twice under one name', async () => {
    const first = await service.post({ 'custom-name': customName, command: 'PLAN=plan1 /usr/bin/targeted' })
    assert.equal(first.status, 201)
    assert.equal(first.body.command, 'PLAN=plan1 /usr/bin/targeted')
    assert.equal(first.body.image, `${SIM_IMAGE}:quick`, 'the configured default image')
    assert.equal(first.body.timeout, '20m', 'the default TIMEOUT')
    firstId = first.body.id
    await waitForFinish(service, firstId)
    const second = await service.post({ 'custom-name': customName, command: ['/usr/bin/targeted', '--vm', 'x'] })
    secondId = second.body.id
    assert.equal(second.body.command, '/usr/bin/targeted --vm x', 'an array command is joined with spaces')
    await waitForFinish(service, secondId)
  })

  it('GET /must-gather/<custom-name>, colons unencoded and the rest percent-encoded, finds the newest', async () => {
    const path = `/must-gather/${encodeURIComponent(customName).replace(/%3A/g, ':')}`
    const { status, body } = await service.json(path)
    assert.equal(status, 200)
    assert.equal(body.id, secondId)
    assert.equal(body['custom-name'], customName)
    assert.equal(body['archive-name'], 'must-gather-vm-My-VM-prod-1-0b1e8e4c-4b5e-4f2d-9f7a-1234567890ab.tar.gz')
    const data = await service.fetch(`${path}/data`)
    assert.equal(data.status, 200)
    await data.arrayBuffer()
  })

  it('the list: created-at compares as text in time order, command is always a string, entries stay small', async () => {
    const { body } = await service.json<Array<Record<string, unknown>>>('/must-gather')
    for (const g of body) {
      assert.equal(typeof g.command, 'string')
      assert.match(String(g['created-at']), ISO_UTC)
      assert.ok(Buffer.byteLength(String(g['exec-output'])) <= 200 * 3, 'a short output tail')
    }
    const mine = body.filter((g) => g['custom-name'] === customName)
    const newest = mine.reduce((a, b) => (String(a['created-at']) >= String(b['created-at']) ? a : b))
    assert.equal(newest.id, secondId)
    assert.deepEqual(body.map((g) => g.id), [...body.map((g) => g.id as number)].sort((a, b) => b - a), 'newest first')
  })

  it('filters and pages the list', async () => {
    const byName = await service.json<Array<{ id: number }>>(`/must-gather?custom-name=${encodeURIComponent(customName)}`)
    assert.deepEqual(byName.body.map((g) => g.id), [secondId, firstId])
    const page = await service.json<Array<{ id: number }>>('/must-gather?limit=1&offset=1')
    assert.equal(page.body.length, 1)
    const all = await service.json<Array<{ id: number }>>('/must-gather')
    assert.equal(page.body[0]?.id, all.body[1]?.id)
    const completed = await service.json<Array<{ status: string }>>('/must-gather?status=completed')
    assert.ok(completed.body.length >= 2 && completed.body.every((g) => g.status === 'completed'))
    const bad = await service.json('/must-gather?status=done')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.field, 'status')
    const badLimit = await service.json('/must-gather?limit=-1')
    assert.equal(badLimit.status, 400)
    assert.equal(badLimit.body.field, 'limit')
  })
})

describe('cheap polling', () => {
  it('the list and an execution carry an ETag with Cache-Control: no-cache, and revalidate to 304', async () => {
    for (const path of ['/must-gather', '/must-gather?status=completed&limit=5', '/must-gather/1']) {
      const first = await service.fetch(path)
      const etag = first.headers.get('etag')
      assert.ok(etag, path)
      assert.equal(first.headers.get('cache-control'), 'no-cache')
      await first.arrayBuffer()
      const again = await service.fetch(path, { headers: { 'If-None-Match': etag } })
      assert.equal(again.status, 304, path)
      assert.equal((await again.arrayBuffer()).byteLength, 0)
    }
  })

  it('a change gives the list a new ETag', async () => {
    const before = (await service.fetch('/must-gather')).headers.get('etag') ?? ''
    const { body } = await service.post({ 'custom-name': 'poll' })
    const after = await service.fetch('/must-gather', { headers: { 'If-None-Match': before } })
    assert.equal(after.status, 200)
    assert.notEqual(after.headers.get('etag'), before)
    await after.arrayBuffer()
    await waitForFinish(service, body.id)
  })

  // A running execution's answer changing with its elapsed time (while oc prints nothing) is tested
  // in process with a clock the test moves: api.inject.test.ts and test/http/gathering-views.test.ts.

  it('compresses JSON for clients that accept gzip, and only for them', async () => {
    const { request } = await import('node:http')
    const { gunzipSync } = await import('node:zlib')
    const get = (acceptEncoding: string | undefined) => new Promise<{ headers: Record<string, unknown>, body: Buffer }>((resolve, reject) => {
      request(`${service.url}/must-gather`, { headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
      }).on('error', reject).end()
    })
    // Enough records that the list is over the 1 KiB threshold.
    for (let i = 0; i < 3; i++) await waitForFinish(service, (await service.post({ 'custom-name': `gzip-${i}` })).body.id)
    const plain = await get(undefined)
    const gzipped = await get('br;q=1.0, gzip;q=0.8')
    assert.equal(plain.headers['content-encoding'], undefined)
    for (const refusal of ['gzip;q=0, identity', 'gzip;q=0, *', 'br, deflate']) {
      assert.equal((await get(refusal)).headers['content-encoding'], undefined, refusal)
    }
    assert.equal((await get('*')).headers['content-encoding'], 'gzip')
    assert.equal(gzipped.headers['content-encoding'], 'gzip')
    // Added to CORS's Vary: Origin, which a shared cache needs as much.
    assert.equal(gzipped.headers.vary, 'Origin, Accept-Encoding')
    assert.ok(gzipped.body.length < plain.body.length / 2, `${gzipped.body.length} gzip bytes vs ${plain.body.length} plain`)
    assert.deepEqual(JSON.parse(gunzipSync(gzipped.body).toString()), JSON.parse(plain.body.toString()))
  })
})

describe('bad requests: 400 with error and field, nothing queued', () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    ['not JSON', '{"image": ', 'application/json', 'body'],
    ['not an object', '["quay.io/a/b"]', 'application/json', 'body'],
    ['a field of the wrong type', '{"timeout": 15}', 'application/json', 'timeout'],
    ['a boolean as a string', '{"keep": "true"}', 'application/json', 'keep'],
    ['an unknown field', '{"dest-dir": "/etc"}', 'application/json', 'dest-dir'],
    ['a value oc would refuse', '{"node-name": "a/b"}', 'application/json', 'node-name'],
    ['an over-long custom name', JSON.stringify({ 'custom-name': 'x'.repeat(300) }), 'application/json', 'custom-name']
  ]
  for (const [name, body, contentType, field] of cases) {
    it(name, async () => {
      const before = await service.json<unknown[]>('/must-gather')
      const { status, body: error } = await service.json('/must-gather', {
        method: 'POST',
        body,
        headers: contentType === undefined ? {} : { 'Content-Type': contentType }
      })
      assert.equal(status, 400)
      assert.equal(typeof error.error, 'string')
      assert.equal(error.field, field, JSON.stringify(error))
      const afterwards = await service.json<unknown[]>('/must-gather')
      assert.equal(afterwards.body.length, before.body.length)
    })
  }

  it('an empty body or none at all runs with defaults', async () => {
    for (const init of [{ method: 'POST' }, { method: 'POST', body: '', headers: { 'Content-Type': 'application/json' } }]) {
      const { status, body } = await service.json('/must-gather', init)
      assert.equal(status, 201)
      assert.equal(body.image, `${SIM_IMAGE}:quick`)
      await waitForFinish(service, body.id)
    }
  })

  it('a JSON body without a JSON content type still works (plain curl -d)', async () => {
    const { status, body } = await service.json('/must-gather', { method: 'POST', body: '{"custom-name": "plain"}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    assert.equal(status, 201)
    assert.equal(body['custom-name'], 'plain')
    await waitForFinish(service, body.id)
  })

  it('unknown executions and routes answer 404 in JSON', async () => {
    for (const path of ['/must-gather/999999', '/must-gather/no-such-name', '/must-gather/999999/data', '/nothing-here']) {
      const { status, body } = await service.json(path)
      assert.equal(status, 404, path)
      assert.equal(typeof body.error, 'string')
    }
  })
})
