import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'

import Fastify, { type FastifyInstance } from 'fastify'

import { FileBody, type FileBodyOptions } from '../../src/http/bodies/file-body.js'
import { descriptorsOn } from '../helpers/open-files.js'
import { removeDir, waitFor } from '../helpers/service.js'

const MIB = 1024 * 1024
/** Larger than anything loopback socket buffers absorb (tcp_rmem allows up to 32 MiB), and sparse: no disk used. */
const SPARSE_SIZE = 256 * MIB

const released = (path: string): Promise<true> => waitFor(() => descriptorsOn(process.pid, path) === 0, `the handle on ${path} to be closed`, 5000)

/**
 * Requests the file at `path` over a raw connection and never reads: the
 * server must give up after its 1 s stall timeout (not within 0.5 s), close
 * the handle and cut the connection, which the client sees once it reads
 * again: less than the whole body, then the end.
 */
async function stallDownload (port: number, path: string): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  let error: Error | undefined
  socket.on('error', (e) => { error = e })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.write('GET /file HTTP/1.1\r\nHost: test\r\n\r\n')
  socket.pause()
  await waitFor(() => descriptorsOn(process.pid, path) === 1, 'the download to start', 5000)
  const started = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(descriptorsOn(process.pid, path), 1, 'still open well within the stall timeout')
  await released(path)
  const cutAfter = Date.now() - started
  assert.ok(cutAfter >= 500 && cutAfter < 4000, `cut off after ${cutAfter} ms`)
  let received = 0
  socket.on('data', (chunk: Buffer) => { received += chunk.length })
  socket.resume()
  await closed
  assert.ok(received < SPARSE_SIZE, `the client got ${received} bytes, ${error?.message ?? 'then the connection closed'}`)
}

/**
 * FileBody behind a real Fastify server on a loopback port, with real files:
 * what Fastify calls on it (pipe, destroy), what a client receives, and that
 * the file handle is closed however the download ends.
 */
describe('FileBody', () => {
  let dir: string
  let app: FastifyInstance
  let url: string
  /** The body the next request gets; each test opens its own handle. */
  let serving: FileBodyOptions | undefined
  let logs: Array<{ level: number, msg: string, err?: { type: string, message: string } }> = []
  let responses: number[] = []
  /** Several buffers long, and not a whole number of them. */
  const content = randomBytes(5 * MIB + 12_345)

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mgs-file-body-'))
    writeFileSync(join(dir, 'content.bin'), content)
    writeFileSync(join(dir, 'sparse.bin'), '')
    truncateSync(join(dir, 'sparse.bin'), SPARSE_SIZE)
    app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
    // The service's security headers and request ids are set on request, its metrics, audit and request log on response.
    app.addHook('onRequest', async (_request, reply) => { reply.header('X-On-Request', 'ran') })
    app.addHook('onResponse', async (_request, reply) => { responses.push(reply.statusCode) })
    app.get('/file', async (_request, reply) => {
      assert.ok(serving !== undefined, 'the test sets what to serve')
      await new FileBody(serving).send(reply.header('Content-Length', serving.end - serving.start + 1))
      return reply
    })
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/file`
  })
  after(async () => {
    await app.close()
    removeDir(dir)
  })
  beforeEach(() => {
    logs = []
    responses = []
  })

  /** Opens `name` for the next request to send bytes start..end (inclusive); returns its path. */
  async function serve (name: string, start: number, end: number, stallTimeoutMs?: number): Promise<string> {
    const path = join(dir, name)
    serving = { handle: await open(path, 'r'), start, end, stallTimeoutMs }
    return path
  }

  it('sends a multi-MiB file byte for byte, with the headers set on request, through the onResponse hook', async () => {
    const path = await serve('content.bin', 0, content.length - 1)
    const response = await fetch(url)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('x-on-request'), 'ran')
    assert.equal(Number(response.headers.get('content-length')), content.length)
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(content))
    await released(path)
    await waitFor(() => responses.length === 1, 'the onResponse hook')
    assert.deepEqual(responses, [200])
  })

  it('sends ranges that start and end inside a buffer, and tiny ones', async () => {
    for (const [start, end] of [[MIB - 3, 4 * MIB + 7], [2 * MIB, 2 * MIB], [content.length - 10, content.length - 1], [0, 99]] as const) {
      const path = await serve('content.bin', start, end)
      const body = Buffer.from(await (await fetch(url)).arrayBuffer())
      assert.ok(body.equals(content.subarray(start, end + 1)), `bytes ${start}-${end}: got ${body.length} bytes`)
      await released(path)
    }
  })

  it('reuses a buffer only once its write has called back: a sink that completes writes late still gets every byte right', async () => {
    const path = join(dir, 'content.bin')
    const received: Buffer[] = []
    let overwritten = 0
    const total = 3 * MIB + 1 - 7
    let written = 0
    let pending: Array<() => void> = []
    // Completes a write only once two more are waiting (or all bytes are in), checking then that the bytes
    // it was handed are still the same: a buffer read into again too early would have changed under it.
    const sink = Object.assign(new EventEmitter(), {
      write: (chunk: Uint8Array, callback: () => void) => {
        const copy = Buffer.from(chunk)
        received.push(copy)
        written += chunk.length
        pending.push(() => {
          if (!copy.equals(chunk)) overwritten++
          callback()
        })
        const due = written === total ? pending : pending.slice(0, Math.max(0, pending.length - 2))
        pending = pending.slice(due.length)
        for (const done of due) setImmediate(done)
        return false
      },
      end: () => { sink.emit('close') },
      destroy: () => { throw new Error('not destroyed') }
    })
    await new FileBody({ handle: await open(path, 'r'), start: 7, end: 3 * MIB }).writeTo(sink)
    assert.ok(received.length > 3, `more chunks (${received.length}) than pool buffers`)
    assert.equal(overwritten, 0, 'no chunk changed before its write completed')
    assert.ok(Buffer.concat(received).equals(content.subarray(7, 3 * MIB + 1)))
    await released(path)
  })

  it('closes the handle when the client goes away mid-download', async () => {
    const path = await serve('content.bin', 0, content.length - 1)
    await new Promise<void>((resolve, reject) => {
      const req = request(url, (res) => {
        res.once('data', () => {
          assert.equal(descriptorsOn(process.pid, path), 1, 'open while sending')
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.on('close', () => reject(new Error('closed before any data')))
      req.end()
    })
    await released(path)
  })

  it('cuts off a client that stops reading after the stall timeout, logs it, and closes the handle', { timeout: 15_000 }, async () => {
    const path = await serve('sparse.bin', 0, SPARSE_SIZE - 1, 1000)
    await stallDownload(Number(new URL(url).port), path)
    const warning = logs.find((line) => line.err?.type === 'DownloadStalledError')
    assert.equal(warning?.level, 40, `a warning in ${JSON.stringify(logs)}`)
  })

  it('cuts off a stalled client by itself when piped into a bare http server', { timeout: 15_000 }, async (t) => {
    const path = join(dir, 'sparse.bin')
    const errors: Error[] = []
    const server = createServer(async (_request, response) => {
      const body = new FileBody({ handle: await open(path, 'r'), start: 0, end: SPARSE_SIZE - 1, stallTimeoutMs: 1000 })
      body.writeTo(response).catch((error: Error) => errors.push(error))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      server.closeAllConnections()
      server.close()
    })
    await stallDownload((server.address() as AddressInfo).port, path)
    assert.deepEqual(errors.map((error) => error.name), ['DownloadStalledError'])
  })

  // A body ended short would leave the client waiting for the rest until keep-alive gives up (72 s in Fastify): the timeout catches that.
  it('cuts the response off when the file turns out shorter than promised, instead of ending it short', { timeout: 10_000 }, async () => {
    const path = join(dir, 'shrinking.bin')
    writeFileSync(path, content.subarray(0, 4 * MIB))
    await serve('shrinking.bin', 0, 4 * MIB - 1)
    truncateSync(path, 3 * MIB - 5) // after the size was decided, as a concurrent rewrite would
    const response = await fetch(url)
    assert.equal(response.status, 200)
    assert.equal(Number(response.headers.get('content-length')), 4 * MIB)
    await assert.rejects(response.arrayBuffer(), 'the client must see an incomplete body')
    await released(path)
    const warning = logs.find((line) => line.err?.type === 'FileTruncatedError')
    assert.equal(warning?.level, 40, `a warning in ${JSON.stringify(logs)}`)
  })

  it('leaves the response to Fastify when the file fails before a byte is sent: an error status, not a cut connection', async () => {
    const path = join(dir, 'emptied.bin')
    writeFileSync(path, content.subarray(0, MIB))
    await serve('emptied.bin', 0, MIB - 1)
    truncateSync(path, 0)
    const response = await fetch(url)
    assert.equal(response.status, 500)
    assert.match(await response.text(), /FileTruncatedError|file ended/)
    await released(path)
  })
})
