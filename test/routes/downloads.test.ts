import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { parseRange } from '../../src/http/bodies/send-archive.js'
import { descriptorsOn } from '../helpers/open-files.js'
import { type RunningService, SIM_IMAGE, startService, waitFor, waitForFinish, stopAndClean } from '../helpers/service.js'

describe('parseRange', () => {
  it('reads one bytes= range, clamps the end, and says when it cannot be satisfied', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 })
    assert.deepEqual(parseRange('bytes=900-', 1000), { start: 900, end: 999 })
    assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 })
    assert.deepEqual(parseRange('bytes=990-5000', 1000), { start: 990, end: 999 })
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable')
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable')
    assert.equal(parseRange('bytes=0-1,5-6', 1000), undefined, 'several ranges: the whole file')
    assert.equal(parseRange('items=0-1', 1000), undefined)
    assert.equal(parseRange('bytes=5-1', 1000), undefined)
  })
})

describe('downloads', () => {
  let service: RunningService
  let id: number
  let archive: Buffer
  before(async () => {
    service = await startService()
    id = (await service.post({ image: `${SIM_IMAGE}:size-40m` })).body.id
    const done = await waitForFinish(service, id, 60_000)
    assert.equal(done.status, 'completed', done['error-message'])
    archive = Buffer.from(await (await service.fetch(`/must-gather/${id}/data`)).arrayBuffer())
  })
  after(async () => stopAndClean(service))

  it('sends Content-Length, a strong ETag from the sha256, Last-Modified and Accept-Ranges', async () => {
    assert.ok(archive.equals(readFileSync(join(service.dataDir, String(id), 'archive.tar.gz'))), 'the download is the file, byte for byte')
    const response = await service.fetch(`/must-gather/${id}/data`)
    const sha = createHash('sha256').update(archive).digest('hex')
    assert.equal(response.headers.get('etag'), `"${sha}"`)
    assert.equal(Number(response.headers.get('content-length')), archive.length)
    assert.equal(response.headers.get('accept-ranges'), 'bytes')
    assert.ok(!Number.isNaN(Date.parse(response.headers.get('last-modified') ?? '')))
    await response.arrayBuffer()
  })

  it('a download carries the headers every response does: request id, security headers', async () => {
    for (const headers of [{}, { Range: 'bytes=10-20' }] as Array<Record<string, string>>) {
      const response = await service.fetch(`/must-gather/${id}/data`, { headers: { ...headers, 'X-Request-Id': 'download-42' } })
      assert.equal(response.headers.get('x-request-id'), 'download-42')
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
      assert.deepEqual((response.headers.get('content-security-policy') ?? '').split(/;\s*/), ["default-src 'none'", "frame-ancestors 'none'"])
      assert.equal(response.headers.get('content-type'), 'application/gzip')
      await response.arrayBuffer()
    }
  })

  it('HEAD gives the headers without a body', async () => {
    const response = await service.fetch(`/must-gather/${id}/data`, { method: 'HEAD' })
    assert.equal(response.status, 200)
    assert.equal(Number(response.headers.get('content-length')), archive.length)
    assert.equal((await response.arrayBuffer()).byteLength, 0)
  })

  it('If-None-Match with the ETag gives 304', async () => {
    const etag = (await service.fetch(`/must-gather/${id}/data`, { method: 'HEAD' })).headers.get('etag') ?? ''
    const response = await service.fetch(`/must-gather/${id}/data`, { headers: { 'If-None-Match': etag } })
    assert.equal(response.status, 304)
  })

  it('a single Range gives 206 with exactly those bytes; outside the file gives 416', async () => {
    const part = await service.fetch(`/must-gather/${id}/data`, { headers: { Range: 'bytes=100-1123' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), `bytes 100-1123/${archive.length}`)
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), archive.subarray(100, 1124))
    const tail = await service.fetch(`/must-gather/${id}/data`, { headers: { Range: 'bytes=-10' } })
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), archive.subarray(archive.length - 10))
    const outside = await service.fetch(`/must-gather/${id}/data`, { headers: { Range: `bytes=${archive.length}-` } })
    assert.equal(outside.status, 416)
    assert.equal(outside.headers.get('content-range'), `bytes */${archive.length}`)
    await outside.arrayBuffer()
  })

  it('curl -C - resumes an interrupted download to a byte-identical file', async () => {
    const file = join(service.dir, 'resumed.tar.gz')
    writeFileSync(file, archive.subarray(0, Math.floor(archive.length / 3)))
    execFileSync('curl', ['-sS', '-f', '-C', '-', '-o', file, `${service.url}/must-gather/${id}/data`])
    assert.ok(readFileSync(file).equals(archive))
  })

  it('a client that goes away mid-download releases the file handle', async () => {
    const archivePath = join(service.dataDir, String(id), 'archive.tar.gz')
    const openHandles = (): number => descriptorsOn(service.process.pid as number, archivePath)
    await new Promise<void>((resolve, reject) => {
      const req = request(`${service.url}/must-gather/${id}/data`, (res) => {
        res.once('data', () => {
          assert.ok(openHandles() >= 1, 'the file is open while sending')
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end()
    }).catch((error: unknown) => { throw error })
    await waitFor(() => openHandles() === 0, 'the handle to be closed', 5000)
  })
})
