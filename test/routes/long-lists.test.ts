import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'

import Database from 'better-sqlite3'

import { validateRequest } from '../../src/gatherings/validate-request.js'
import { type RunningService, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

const RECORDS = 2500

/** A GET over a raw socket: the headers as sent (chunked or not) and the body as received. */
function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

async function cacheHits (service: RunningService): Promise<number> {
  const text = await (await service.fetch('/metrics')).text()
  return Number(/^must_gather_response_cache_hits_total (\d+)/m.exec(text)?.[1])
}

describe('long lists', () => {
  let service: RunningService
  before(async () => {
    // A migrated database, then RECORDS finished records written straight into it while the service is stopped.
    const first = await startService()
    await first.stop()
    const { options } = validateRequest({}, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
    const db = new Database(first.dbPath)
    db.transaction(() => {
      const insert = db.prepare(`INSERT INTO gatherings (id, created_at, updated_at, status, options, error_message, output_brief, output_size)
        VALUES (?, ?, ?, 'error', ?, 'seeded', ?, ?)`)
      const tail = db.prepare('INSERT INTO gathering_output_tails (gathering_id, tail) VALUES (?, ?)')
      for (let id = 1; id <= RECORDS; id++) {
        const at = new Date(Date.UTC(2026, 0, 1) + id * 60_000).toISOString()
        const output = `output of record ${id}\n`.repeat(100)
        insert.run(id, at, at, JSON.stringify(options), output.slice(-1024), output.length)
        tail.run(id, output)
      }
    })()
    db.close()
    service = await startService({ dir: first.dir })
  })
  after(async () => stopAndClean(service))

  it('answers every record, newest first, streamed as valid JSON, then the same bytes from the cache', async () => {
    const streamed = await get(`${service.url}/must-gather`)
    assert.equal(streamed.status, 200)
    assert.equal(streamed.headers['transfer-encoding'], 'chunked', 'a long list is written as it is read')
    const list = JSON.parse(streamed.body.toString()) as Array<{ id: number, 'exec-output': string, status: string }>
    assert.deepEqual(list.map((g) => g.id), Array.from({ length: RECORDS }, (_, i) => RECORDS - i))
    assert.ok(list.every((g) => g['exec-output'].length === 200 && g['exec-output'].endsWith(`output of record ${g.id}\n`)), 'a 200-character tail each')

    const hits = await cacheHits(service)
    const cached = await get(`${service.url}/must-gather`)
    assert.equal(Number(cached.headers['content-length']), cached.body.length, 'from the cache: one Buffer, with its length')
    assert.ok(cached.body.equals(streamed.body))
    assert.equal(cached.headers.etag, streamed.headers.etag)
    assert.equal(await cacheHits(service), hits + 1)
  })

  it('gzips a streamed list for clients that accept it', async () => {
    const plain = await get(`${service.url}/must-gather?status=error`)
    const zipped = await get(`${service.url}/must-gather?status=error`, { 'Accept-Encoding': 'gzip' })
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.ok(zipped.body.length < plain.body.length / 5)
    assert.ok(gunzipSync(zipped.body).equals(plain.body))
  })

  it('pages across slices by limit and offset', async () => {
    const { body } = await service.json<Array<{ id: number }>>('/must-gather?limit=1200&offset=100')
    assert.deepEqual(body.map((g) => g.id), Array.from({ length: 1200 }, (_, i) => RECORDS - 100 - i))
    const end = await service.json<Array<{ id: number }>>(`/must-gather?offset=${RECORDS - 3}`)
    assert.deepEqual(end.body.map((g) => g.id), [3, 2, 1])
  })

  it('a finished execution is answered from the cache, and never after it changed', async () => {
    const first = await get(`${service.url}/must-gather/7`)
    const again = await get(`${service.url}/must-gather/7`)
    assert.ok(again.body.equals(first.body))
    assert.equal(JSON.parse(first.body.toString())['exec-output'], 'output of record 7\n'.repeat(100))
    assert.equal((await service.fetch('/must-gather/7', { method: 'DELETE' })).status, 204)
    assert.equal((await get(`${service.url}/must-gather/7`)).status, 404)
    const ids = (await service.json<Array<{ id: number }>>('/must-gather')).body.map((g) => g.id)
    assert.ok(!ids.includes(7), 'the cached list is not served after a delete')
    assert.equal(ids.length, RECORDS - 1)
  })

  it('a new execution shows at the top of a list cached a moment before', async () => {
    await get(`${service.url}/must-gather?limit=5`)
    const { body: created } = await service.post({ 'custom-name': 'newest' })
    const top = (await service.json<Array<{ id: number, 'custom-name': string }>>('/must-gather?limit=5')).body[0]
    assert.deepEqual([top?.id, top?.['custom-name']], [created.id, 'newest'])
    await waitForFinish(service, created.id)
  })
})
