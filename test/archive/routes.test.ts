import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { FastifyInstance } from 'fastify'

import { packDirectory } from '../../src/archive/pack.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { validateRequest } from '../../src/gatherings/validate-request.js'
import { SqliteGatheringStore } from '../../src/storage/sqlite.js'
import { SIM_IMAGE, SIMULATOR } from '../helpers/service.js'
import { makeTree, removeDir, tempDir } from './helpers.js'

describe('archive routes: /files, /files/<path>, /search', () => {
  let dir: string
  let app: FastifyInstance
  let id: number
  const top = 'must-gather.local.11'
  const image = `${top}/quay-io-must-gather-service-simulator-sha256-test`

  before(async () => {
    dir = tempDir('mgs-archive-routes-')
    const dbPath = join(dir, 'db.sqlite')
    const dataDir = join(dir, 'data')
    // A completed execution in the database, its blocked archive where the service keeps it.
    const store = new SqliteGatheringStore(dbPath)
    const { options } = validateRequest({}, { defaultImage: `${SIM_IMAGE}:v1`, defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
    const at = new Date().toISOString()
    id = (await store.insert({ customName: 'plan:routes', options, createdAt: at, createdBy: '' })).id
    await store.markStarted(id, at)
    await makeTree(join(dir, 'tree'), top, { sizeBytes: 1024 * 1024, files: 120, nested: true })
    mkdirSync(join(dataDir, String(id)), { recursive: true })
    const packed = await packDirectory({ parent: join(dir, 'tree'), dirName: top, target: join(dataDir, String(id), 'archive.tar.gz'), signal: new AbortController().signal })
    await store.finish(id, { status: 'completed', errorMessage: '', archiveName: 'must-gather.tar.gz', archiveSize: packed.size, archiveSha256: packed.sha256, outputTail: '', outputSize: 0 }, at)
    await store.close()
    const config = loadConfig({ AUTH_MODE: 'none', DB_PATH: dbPath, DATA_DIR: dataDir, OC_PATH: SIMULATOR, MUST_GATHER_IMAGE: `${SIM_IMAGE}:v1` })
    app = await buildApp({ config })
  })
  after(async () => {
    await app?.close()
    removeDir(dir)
  })

  it('lists a directory as JSON, paged; by id or custom name; empty path is the top', async () => {
    const top1 = await app.inject(`/must-gather/${id}/files`)
    assert.equal(top1.statusCode, 200, top1.body)
    assert.deepEqual(top1.json().entries.map((e: { name: string }) => e.name), [top])
    const page = await app.inject(`/must-gather/plan:routes/files?path=${encodeURIComponent(top)}&limit=2&offset=1`)
    assert.equal(page.statusCode, 200)
    const body = page.json()
    assert.equal(body.entries.length, 2)
    assert.ok(body.total > 5)
    const links = (await app.inject(`/must-gather/${id}/files?path=${top}/links`)).json()
    assert.deepEqual(links.entries.find((e: { name: string }) => e.name === 'outside'), { ...links.entries.find((e: { name: string }) => e.name === 'outside'), type: 'symlink', target: '/etc/passwd' })
  })

  it('serves a file as text/plain with Range, and active content only as a sandboxed attachment', async () => {
    const path = `${image}/cluster-scoped-resources/config.openshift.io/clusterversions.yaml`
    const disk = readFileSync(join(dir, 'tree', path))
    const whole = await app.inject(`/must-gather/${id}/files/${path}`)
    assert.equal(whole.statusCode, 200)
    assert.equal(whole.headers['content-type'], 'text/plain; charset=utf-8')
    assert.equal(whole.headers['x-content-type-options'], 'nosniff')
    assert.ok(whole.rawPayload.equals(disk))
    const part = await app.inject({ url: `/must-gather/${id}/files/${path}`, headers: { range: 'bytes=10-19' } })
    assert.equal(part.statusCode, 206)
    assert.equal(part.headers['content-range'], `bytes 10-19/${disk.length}`)
    assert.ok(part.rawPayload.equals(disk.subarray(10, 20)))
    assert.equal((await app.inject({ url: `/must-gather/${id}/files/${path}`, headers: { range: `bytes=${disk.length}-` } })).statusCode, 416)
    // A directory is no file, asked with a range or without.
    for (const headers of [{}, { range: 'bytes=0-99' }]) {
      const folder = await app.inject({ url: `/must-gather/${id}/files/${image}/cluster-scoped-resources`, headers })
      assert.equal(folder.statusCode, 400, JSON.stringify(headers))
      assert.match(folder.json().error, /is a directory, not a regular file/)
    }
    const html = await app.inject(`/must-gather/${id}/files/${top}/event-filter.html`)
    assert.equal(html.headers['content-type'], 'text/plain; charset=utf-8')
    assert.match(String(html.headers['content-disposition']), /^attachment; filename\*=UTF-8''event-filter\.html$/)
    assert.match(String(html.headers['content-security-policy']), /sandbox/)
    const binary = await app.inject(`/must-gather/${id}/files/${top}/random.bin`)
    assert.equal(binary.headers['content-type'], 'application/octet-stream')
    assert.ok(binary.rawPayload.equals(readFileSync(join(dir, 'tree', top, 'random.bin'))))
    const nested = await app.inject(`/must-gather/${id}/files/${image}/must-gather.tar.gz/must-gather/version`)
    assert.equal(nested.statusCode, 200)
    assert.equal(nested.body, readFileSync(join(dir, 'tree', image, 'version'), 'utf8'))
  })

  it('answers 400 for .., absolute paths and NUL, 404 for what is not there', async () => {
    for (const url of [`/files?path=${encodeURIComponent('../x')}`, `/files?path=${encodeURIComponent('/etc')}`, `/files?path=${encodeURIComponent(`${top}\0`)}`, '/files/..%2F..%2Fetc%2Fpasswd', `/files/${top}%00`]) {
      const response = await app.inject(`/must-gather/${id}${url}`)
      assert.equal(response.statusCode, 400, url)
      assert.equal(response.json().field, 'path', url)
    }
    assert.equal((await app.inject(`/must-gather/${id}/files/${top}/nothing`)).statusCode, 404)
    assert.equal((await app.inject(`/must-gather/${id}/files/${top}`)).statusCode, 400)
    assert.equal((await app.inject(`/must-gather/${id}/files/${top}/links/outside`)).statusCode, 400)
    assert.equal((await app.inject('/must-gather/9999/files')).statusCode, 404)
  })

  it('streams search matches as JSON lines, the last saying how it ended', async () => {
    const response = await app.inject(`/must-gather/${id}/search?q=Degraded&path=${encodeURIComponent('**/clusteroperators/*.yaml')}`)
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^application\/x-ndjson/)
    const lines = response.body.trim().split('\n').map((line) => JSON.parse(line))
    const last = lines.at(-1)
    assert.equal(last.complete, true)
    assert.ok(lines.length > 1)
    for (const match of lines.slice(0, -1)) {
      assert.match(match.file, /\/clusteroperators\//)
      assert.equal(readFileSync(join(dir, 'tree', match.file), 'utf8').split('\n')[match.line - 1], match.text)
    }
    const cut = (await app.inject(`/must-gather/${id}/search?q=e&limit=3`)).body.trim().split('\n').map((line) => JSON.parse(line))
    assert.equal(cut.length, 4)
    assert.deepEqual([cut[3].complete, cut[3].reason], [false, 'max-results'])
    const refused = await app.inject(`/must-gather/${id}/search?q=${encodeURIComponent('(a+)+')}&regex=true`)
    assert.equal(refused.statusCode, 400)
    assert.equal(refused.json().field, 'q')
    // A glob picomatch cannot parse is bad input, not a search of no file that says it was complete.
    const badGlob = await app.inject(`/must-gather/${id}/search?q=kind&path=${encodeURIComponent('[')}`)
    assert.equal(badGlob.statusCode, 400)
    assert.match(String(badGlob.headers['content-type']), /^application\/json/)
    assert.equal(badGlob.json().field, 'path')
    assert.match(badGlob.json().error, /invalid glob "\[": Missing closing/)
  })
})
