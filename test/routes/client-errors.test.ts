import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

interface ParsedResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * Reads `bytes` as the answers to requests made with `methods`, in order, the
 * way a keep-alive client does: a head, then as many body bytes as
 * Content-Length says, except after HEAD (RFC 9110 §9.3.2) or for 204/304.
 * Returns the responses and whatever was left after the last one.
 */
function parseResponses (bytes: Buffer, methods: string[]): { responses: ParsedResponse[], rest: Buffer } {
  const responses: ParsedResponse[] = []
  let offset = 0
  for (const method of methods) {
    const end = bytes.indexOf('\r\n\r\n', offset)
    if (end < 0) break
    const [statusLine = '', ...lines] = bytes.subarray(offset, end).toString('latin1').split('\r\n')
    const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)
    assert.ok(match !== null, `response ${responses.length + 1} (to ${method}) starts with ${JSON.stringify(statusLine.slice(0, 80))}, not a status line`)
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const status = Number(match[1])
    const length = method === 'HEAD' || status === 204 || status === 304 ? 0 : Number(headers['content-length'] ?? 0)
    const body = bytes.subarray(end + 4, end + 4 + length)
    assert.equal(body.length, length, `the whole body of response ${responses.length + 1}`)
    responses.push({ status, headers, body })
    offset = end + 4 + length
  }
  return { responses, rest: bytes.subarray(offset) }
}

/** Sends each of `writes` on one connection (the next once the answers so far have arrived), then reads until the server closes it. */
async function exchange (port: number, writes: Buffer[], waitBetween: (received: Buffer) => boolean = () => true): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let onData = (): void => {}
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    onData()
  })
  const closed = new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve())
    socket.once('error', reject)
  })
  for (const [i, write] of writes.entries()) {
    if (i > 0) {
      await new Promise<void>((resolve) => {
        onData = () => { if (waitBetween(Buffer.concat(chunks))) resolve() }
        onData()
      })
    }
    socket.write(write)
  }
  await closed
  return Buffer.concat(chunks)
}

const request = (line: string, headers = ''): Buffer => Buffer.from(`${line}\r\nHost: 127.0.0.1\r\n${headers}\r\n`, 'latin1')
/** `HEAD /must-gather/<0xD5>/data`: a byte Node's parser refuses in a request line. */
const rawByteInPath = (method: string): Buffer => Buffer.concat([Buffer.from(`${method} /must-gather/`), Buffer.from([0xd5]), Buffer.from('/data HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')])
const READY = request('GET /readyz HTTP/1.1', 'Connection: close\r\n')

/**
 * Error answers to HEAD carry no body, whichever path answers them (Node's
 * parser, Fastify's routing, the service's error handler), so that the next
 * response on a kept-alive connection parses; and a refused request never
 * writes its answer into a response already under way. Real sockets, raw bytes.
 */
describe('requests answered with an error, over raw sockets', () => {
  let service: RunningService
  let port: number
  let id: number

  before(async () => {
    service = await startService()
    port = Number(new URL(service.url).port)
    id = (await service.post({ image: `${SIM_IMAGE}:size-16m` })).body.id
    const done = await waitForFinish(service, id, 60_000)
    assert.equal(done.status, 'completed', done['error-message'])
  })
  after(async () => stopAndClean(service))

  it('a request line the parser refuses: 400 with Connection: close and no body, after a kept-alive answer that parses', async () => {
    // First a HEAD that keeps the connection, then the malformed one once its answer is in.
    const headEnd = (received: Buffer): boolean => received.includes('\r\n\r\n')
    const bytes = await exchange(port, [request('HEAD /readyz HTTP/1.1'), rawByteInPath('HEAD')], headEnd)
    const { responses, rest } = parseResponses(bytes, ['HEAD', 'HEAD'])
    assert.deepEqual(responses.map((r) => r.status), [200, 400])
    assert.equal(rest.toString('latin1'), '', 'nothing after the answer to HEAD')
    assert.equal(responses[1]?.headers.connection, 'close', 'the client is told not to reuse the connection')
  })

  it('the same request line with GET: 400 with a JSON error body, and the connection closed', async () => {
    const { responses, rest } = parseResponses(await exchange(port, [rawByteInPath('GET')]), ['GET'])
    assert.equal(responses[0]?.status, 400)
    assert.equal(responses[0]?.headers.connection, 'close')
    assert.equal(typeof JSON.parse(responses[0]?.body.toString() ?? '').error, 'string')
    assert.equal(rest.length, 0)
  })

  it('pipelined HEADs refused by routing, the error handler and the archive route: no bodies, and the GET after them parses', async () => {
    const heads = [
      request('HEAD /no/such/route HTTP/1.1'), // 404 from the not-found handler
      request('HEAD /must-gather/987654/data HTTP/1.1'), // 404 from the error handler (GatheringNotFoundError)
      request('HEAD /must-gather/%E0%A4%A/data HTTP/1.1'), // 400 from Fastify's URL decoding
      request('HEAD /must-gather?limit=-1 HTTP/1.1'), // 400 from schema validation
      request(`HEAD /must-gather/${id}/data HTTP/1.1`, 'Range: bytes=999999999-\r\n') // 416 from sendArchive
    ]
    const bytes = await exchange(port, [Buffer.concat([...heads, READY])])
    const { responses, rest } = parseResponses(bytes, [...heads.map(() => 'HEAD'), 'GET'])
    assert.deepEqual(responses.map((r) => r.status), [404, 404, 400, 400, 416, 200])
    assert.equal(JSON.parse(responses[5]?.body.toString() ?? '').status, 'ready')
    assert.equal(rest.length, 0)
  })

  it('a malformed request that arrives while a download is being sent does not land inside it: the download is cut off, or its answer follows the whole download', async () => {
    const archive = readFileSync(join(service.dataDir, String(id), 'archive.tar.gz'))
    // The second write once the first body bytes are in, so that the download's head has been sent.
    const bodyStarted = (received: Buffer): boolean => received.length > received.indexOf('\r\n\r\n') + 4 && received.includes('\r\n\r\n')
    const bytes = await exchange(port, [request(`GET /must-gather/${id}/data HTTP/1.1`), rawByteInPath('GET')], bodyStarted)
    const headEnd = bytes.indexOf('\r\n\r\n')
    assert.match(bytes.subarray(0, headEnd).toString('latin1'), /^HTTP\/1\.1 200 /)
    const body = bytes.subarray(headEnd + 4)
    const received = body.subarray(0, archive.length)
    assert.ok(received.equals(archive.subarray(0, received.length)), `the ${received.length} bytes received are the archive's first bytes${received.includes('HTTP/1.1 400') ? ', but a 400 answer is among them' : ''}`)
    if (body.length > archive.length) {
      // Loopback buffers can take the whole download before the bad line is
      // read (a fast machine); its answer must then come after the last byte.
      const { responses, rest } = parseResponses(body.subarray(archive.length), ['GET'])
      assert.equal(responses[0]?.status, 400, 'what follows the whole download is the answer to the bad request')
      assert.equal(rest.length, 0)
    }
  })
})
