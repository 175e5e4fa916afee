import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { connect as tcpConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { after, before, describe, it } from 'node:test'

import { heldImage, release, writeHeldOc } from '../helpers/held-oc.js'
import { type RunningService, startService, stopAndClean } from '../helpers/service.js'
import { makeCertificate, type Pem } from '../helpers/tls.js'

/**
 * Issue 12, item 2: connections idle with no request in progress are closed
 * after IDLE_TIMEOUT (2s here), on HTTPS from before the handshake; followers
 * are never idle; MAX_CONNECTIONS caps open connections. Each test waits for
 * the close event (or its absence, proved by another connection's close).
 */
const IDLE = { IDLE_TIMEOUT: '2s' }

/** Resolves when the socket closes; fails after `ms` (a bound far above IDLE_TIMEOUT, not a measurement). */
function closed (socket: Socket, what: string, ms = 30_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} was not closed by the service within ${ms / 1000} s`)), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

const portOf = (service: RunningService): number => Number(new URL(service.url).port)

describe('HTTPS: idle connections (IDLE_TIMEOUT)', { timeout: 120_000 }, () => {
  let service: RunningService
  let pem: Pem
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
    pem = await makeCertificate()
    writeFileSync(join(dir, 'tls.crt'), pem.cert)
    writeFileSync(join(dir, 'tls.key'), pem.key)
    service = await startService({
      dir,
      env: { ...IDLE, OC_PATH: writeHeldOc(dir), API_TLS_CERTIFICATE: join(dir, 'tls.crt'), API_TLS_KEY: join(dir, 'tls.key') }
    })
  })
  after(async () => stopAndClean(service))

  it('closes a connection that never starts its TLS handshake', async () => {
    const socket = tcpConnect(portOf(service), '127.0.0.1')
    socket.on('error', () => {})
    await closed(socket, 'a TCP connection without a handshake')
  })

  it('closes a connection that completes its handshake and sends nothing', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: portOf(service), ca: pem.cert })
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    await closed(socket, 'a TLS connection without a request')
  })

  it('keeps a follower of a quiet run open past IDLE_TIMEOUT; it ends with the run', async () => {
    const created = await httpsJson(service, pem, 'POST', '/must-gather', { image: heldImage('held-quiet') })
    assert.equal(created.status, 201)
    const id = created.body.id as number
    for (const accept of ['text/plain', 'text/event-stream']) {
      const follower = await openFollower(service, pem, id, accept)
      // Opened after the follower: once the service has closed it, the follower has been silent longer than IDLE_TIMEOUT.
      const idle = tlsConnect({ host: '127.0.0.1', port: portOf(service), ca: pem.cert })
      idle.on('error', () => {})
      await closed(idle, 'the idle connection next to the follower')
      assert.equal(follower.socket.destroyed, false, `the ${accept} follower was closed while its request was in progress`)
      follower.socket.destroy()
    }
    release(dir, 'quiet')
    const last = await openFollower(service, pem, id, 'text/plain')
    assert.equal(await last.text, '', 'a quiet run printed nothing; the follower ends when it ends')
    assert.equal((await waitForFinishHttps(service, pem, id)).status, 'completed')
  })
})

describe('HTTP: idle connections and MAX_CONNECTIONS', { timeout: 120_000 }, () => {
  let service: RunningService
  before(async () => { service = await startService({ env: { ...IDLE, MAX_CONNECTIONS: '4' } }) })
  after(async () => stopAndClean(service))

  it('closes a connection that sends nothing', async () => {
    const socket = tcpConnect(portOf(service), '127.0.0.1')
    socket.on('error', () => {})
    await closed(socket, 'a connection without a request')
  })

  it('closes connections beyond MAX_CONNECTIONS at once, and serves again when one goes', async () => {
    const open: Socket[] = []
    try {
      // Each connection is accepted and answered before the next is made, so the count is exact.
      for (let i = 0; i < 4; i++) open.push(await keptAlive(service))
      const beyond = tcpConnect(portOf(service), '127.0.0.1')
      beyond.on('error', () => {})
      let answered = false
      beyond.on('data', () => { answered = true })
      beyond.write('GET /must-gather HTTP/1.1\r\nHost: x\r\n\r\n')
      await closed(beyond, 'the fifth connection')
      assert.equal(answered, false, 'the connection beyond the cap got no answer')
      const gone = open.pop() as Socket
      gone.destroy()
      await closed(gone, 'the connection the test closed')
      open.push(await waitForKeptAlive(service))
    } finally {
      for (const socket of open) socket.destroy()
    }
  })
})

/** A raw connection that made one request, got its answer, and stays open (keep-alive). */
function keptAlive (service: RunningService): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(portOf(service), '127.0.0.1')
    socket.on('error', reject)
    socket.once('close', () => reject(new Error('closed before an answer')))
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 200')) resolve(socket)
      else reject(new Error(chunk.toString('latin1').split('\r\n')[0]))
    })
    socket.write('GET /must-gather HTTP/1.1\r\nHost: x\r\n\r\n')
  })
}

/** The server notices a closed connection asynchronously: retry until a new one is served. */
async function waitForKeptAlive (service: RunningService): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await keptAlive(service)
    } catch (error) {
      if (attempt >= 50) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

async function httpsJson (service: RunningService, pem: Pem, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${service.url}${path}`, { method, ca: pem.cert, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

async function waitForFinishHttps (service: RunningService, pem: Pem, id: number): Promise<any> {
  for (;;) {
    const { body } = await httpsJson(service, pem, 'GET', `/must-gather/${id}`)
    if (body.status === 'completed' || body.status === 'error') return body
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A follower with its headers received; `text` resolves with the whole body when the service ends it. */
function openFollower (service: RunningService, pem: Pem, id: number, accept: string): Promise<{ socket: Socket, text: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${service.url}/must-gather/${id}/output?follow=true`, { ca: pem.cert, agent: false, headers: { Accept: accept } }, (res) => {
      assert.equal(res.statusCode, 200)
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      const ended = new Promise<string>((resolve, reject) => {
        res.on('end', () => resolve(text))
        res.on('error', reject)
      })
      ended.catch(() => {})
      resolve({ socket: res.socket, text: ended })
    })
    req.on('error', reject)
    req.end()
  })
}
