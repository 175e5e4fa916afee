import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { type ClientRequest, request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type RunningService, startService, stopAndClean, waitFor } from '../helpers/service.js'
import { count, fdTargets, openFds, plainRequest, report, rssBytes, sleep, writeExecutable } from './helpers.js'

/**
 * Reliability, scenario 7: slow and broken clients. Downloads that stop
 * being read, followers that disconnect, slowloris header trickles, a POST
 * cut off mid-body: the service keeps serving others, holds no memory for
 * them, and once they are gone its open file descriptors are back to the
 * baseline. Every request of the test itself uses its own connection
 * (`Connection: close`), so the count is the service's own.
 */
const MIB = 1024 * 1024
const ARCHIVE_MIB = 48
const STALLED = count(10, 50)
const FOLLOWERS = count(20, 100)
const SLOWLORIS = count(100, 500)

/** Stand-in oc: `big-archive` writes an incompressible archive the service serves as is; `talk-N` prints for N seconds; `quiet-N` prints nothing for N seconds. */
const STAND_IN = `#!/bin/bash
[ "$1" = version ] && { echo "Client Version: 4.17.0"; exit 0; }
for arg in "$@"; do
  case "$arg" in
    --dest-dir=*) dest="\${arg#--dest-dir=}";;
    --image=*) mode="\${arg##*:}";;
  esac
done
mkdir -p "$dest/image"
case "$mode" in
  big-archive) head -c ${ARCHIVE_MIB}M /dev/urandom > "$dest/image/must-gather.tar.gz" ;;
  talk-*) end=$((SECONDS + \${mode#talk-})); while [ $SECONDS -lt $end ]; do echo "[must-gather-x] POD line at $SECONDS"; sleep 0.05; done ;;
  quiet-*) sleep "\${mode#quiet-}" ;;
esac
echo gathered > "$dest/image/data.txt"
`

let service: RunningService
let pid: number
/** Descriptors after warm-up, counting the idle connections below. */
let warm: number
let archiveId: number
const figures: string[] = []
/**
 * Connections that never finish their headers, opened before the baseline is
 * taken and left alone until the last test, which checks that the service
 * closed them after headersTimeout. Meanwhile the baseline drops by one for
 * each that the service has closed.
 */
let idle: Socket[] = []
let idleSince = 0
const baseline = (): number => warm - idle.filter((s) => s.destroyed).length

const api = (path: string, init: { method?: string, body?: string } = {}): Promise<{ status: number, body: any }> =>
  plainRequest(`${service.url}${path}`, { ...init, headers: { 'Content-Type': 'application/json' } }).then((r) => ({
    status: r.status,
    body: r.body.length === 0 ? undefined : JSON.parse(r.body.toString('utf8'))
  }))

async function runToEnd (tag: string): Promise<any> {
  const { status, body } = await api('/must-gather', { method: 'POST', body: JSON.stringify({ image: `quay.io/stand-in/oc:${tag}` }) })
  assert.equal(status, 201)
  return finished(body.id)
}

function finished (id: number): Promise<any> {
  return waitFor(async () => {
    const { body } = await api(`/must-gather/${id}`)
    return body.status === 'completed' || body.status === 'error' ? body : undefined
  }, `execution ${id} to finish`, 30_000)
}

/** Open descriptors, waiting for them to settle back to at most the baseline. */
async function backToBaseline (what: string): Promise<number> {
  return waitFor(() => {
    const fds = openFds(pid)
    return fds <= baseline() && fds
  }, `descriptors back to the baseline of ${baseline()} after ${what} (now ${openFds(pid)}: ${fdTargets(pid).filter((t) => !t.startsWith('/')).join(' ')})`, 15_000)
}

const pathsOpen = (suffix: string): number => fdTargets(pid).filter((t) => t.endsWith(suffix)).length

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
  writeExecutable(join(dir, 'bin', 'oc'), STAND_IN)
  // Every follower here comes from 127.0.0.1, one caller with AUTH_MODE=none: room for all of them.
  service = await startService({ dir, env: { OC_PATH: join(dir, 'bin', 'oc'), MAX_CONCURRENT: '4', MAX_FOLLOWERS_PER_USER: String(FOLLOWERS) } })
  pid = service.process.pid as number
  const big = await runToEnd('big-archive')
  assert.equal(big.status, 'completed', big['error-message'])
  assert.equal(big['archive-size'], ARCHIVE_MIB * MIB)
  archiveId = big.id
  // Warm up every route used below, then let the descriptors settle.
  await api('/must-gather')
  await plainRequest(`${service.url}/must-gather/${archiveId}/data`, { headers: { Range: 'bytes=0-0' } })
  await plainRequest(`${service.url}/must-gather/${archiveId}/output?follow=true`)
  idle = trickle(Number(new URL(service.url).port), 20)
  idleSince = Date.now()
  await sleep(500)
  warm = openFds(pid)
})
after(async () => stopAndClean(service))

describe('reliability: slow and broken clients', () => {
  it(`${STALLED} downloads that stop being read hold a descriptor each, not the archive in memory; released when they go`, async () => {
    const rss = rssBytes(pid)
    const requests: ClientRequest[] = []
    await Promise.all(Array.from({ length: STALLED }, () => new Promise<void>((resolve, reject) => {
      const req = request(`${service.url}/must-gather/${archiveId}/data`, { agent: false }, (res) => {
        res.once('data', () => {
          res.pause() // and never read again
          resolve()
        })
      })
      req.on('error', reject)
      req.end()
      requests.push(req)
    })))
    await sleep(1500)
    assert.equal(pathsOpen('/archive.tar.gz'), STALLED, 'one archive handle per stalled download')
    const grown = rssBytes(pid) - rss
    assert.ok(grown < STALLED * 4 * MIB + 32 * MIB, `the service grew by ${(grown / MIB).toFixed(0)} MiB for ${STALLED} stalled downloads of ${ARCHIVE_MIB} MiB`)
    const started = Date.now()
    assert.equal((await api('/must-gather')).status, 200)
    const answeredMs = Date.now() - started
    assert.ok(answeredMs < 2000, `others wait ${answeredMs} ms`)
    for (const req of requests) req.destroy()
    await waitFor(() => pathsOpen('/archive.tar.gz') === 0, 'the archive handles to close', 10_000)
    const fds = await backToBaseline('the stalled downloads')
    figures.push(`${STALLED} stalled ${ARCHIVE_MIB} MiB downloads: +${(grown / MIB).toFixed(0)} MiB RSS, others answered in ${answeredMs} ms, fds ${fds}/${baseline()}`)
  })

  it(`${FOLLOWERS} followers that disconnect (plain and SSE, with and without output) release their handles; the runs go on`, async () => {
    const talking = (await api('/must-gather', { method: 'POST', body: JSON.stringify({ image: 'quay.io/stand-in/oc:talk-3' }) })).body.id as number
    const quiet = (await api('/must-gather', { method: 'POST', body: JSON.stringify({ image: 'quay.io/stand-in/oc:quiet-3' }) })).body.id as number
    await waitFor(async () => (await api(`/must-gather/${talking}`)).body['exec-output'] !== '', 'the talking run to print')
    const writers = pathsOpen('/output.log')
    await Promise.all(Array.from({ length: FOLLOWERS }, (_, i) => new Promise<void>((resolve) => {
      const id = i % 4 === 3 ? quiet : talking
      const headers = i % 2 === 0 ? { Accept: 'text/event-stream' } : {}
      const req = request(`${service.url}/must-gather/${id}/output?follow=true`, { agent: false, headers }, (res) => {
        assert.equal(res.statusCode, 200)
        if (id === quiet) {
          // Nothing to read: leave after a moment without a byte.
          setTimeout(() => { req.destroy(); resolve() }, 300)
        } else {
          res.once('data', () => { req.destroy(); resolve() })
        }
      })
      req.on('error', () => {})
      req.end()
    })))
    await waitFor(() => pathsOpen('/output.log') <= writers, 'the followers\' handles to close', 5000)
    const [talked, waited] = [await finished(talking), await finished(quiet)]
    assert.equal(talked.status, 'completed', talked['error-message'])
    assert.equal(waited.status, 'completed', waited['error-message'])
    const fds = await backToBaseline('the followers')
    figures.push(`${FOLLOWERS} followers gone mid-stream: runs completed, fds ${fds}/${baseline()}`)
  })

  it('a POST cut off mid-body creates nothing and leaves nothing open', async () => {
    const before = (await api('/must-gather')).body.length
    const { port } = new URL(service.url)
    for (let i = 0; i < 10; i++) {
      const socket = connect(Number(port), '127.0.0.1')
      socket.on('error', () => {})
      socket.write('POST /must-gather HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"image": "quay.io/stand-in/oc:talk-1", "custom-name": "')
      await sleep(50)
      socket.destroy()
    }
    await sleep(300)
    assert.equal((await api('/must-gather')).body.length, before)
    await backToBaseline('the cut-off POSTs')
  })

  it(`slowloris: ${SLOWLORIS} connections trickling header lines do not starve others; their descriptors are freed when they go`, async () => {
    const { port } = new URL(service.url)
    const sockets = trickle(Number(port), SLOWLORIS)
    await sleep(1500)
    const held = openFds(pid) - baseline()
    assert.ok(held >= SLOWLORIS * 0.9, `${held} descriptors for ${SLOWLORIS} connections`)
    const started = Date.now()
    assert.equal((await api('/must-gather')).status, 200)
    const answeredMs = Date.now() - started
    assert.ok(answeredMs < 2000, `others wait ${answeredMs} ms`)
    for (const socket of sockets) socket.destroy()
    const fds = await backToBaseline('the slowloris connections')
    figures.push(`${SLOWLORIS} slowloris connections: others answered in ${answeredMs} ms, fds ${fds}/${baseline()} once they went`)
  })

  it('slowloris: connections that never finish their headers are closed by the service within headersTimeout (10 s)', async () => {
    try {
      await waitFor(() => idle.every((s) => s.destroyed), 'the service to close every trickling connection', Math.max(0, idleSince + 15_000 - Date.now()))
      figures.push(`${idle.length} header trickles closed by the service after ${((Date.now() - idleSince) / 1000).toFixed(0)} s`)
    } finally {
      for (const socket of idle) socket.destroy()
      await backToBaseline('the idle connections')
    }
  })

  it('reports', (t) => {
    report(t, 'slow and broken clients', `baseline ${warm} fds; ${figures.join('; ')}`)
  })
})

/** Connections that send a request line, then one more header line a second, forever. */
function trickle (port: number, n: number): Socket[] {
  return Array.from({ length: n }, (_, i) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', () => {})
    socket.write('GET /must-gather HTTP/1.1\r\nHost: x\r\n')
    const timer = setInterval(() => { if (!socket.destroyed) socket.write(`X-Slow-${i}: still here\r\n`) }, 1000)
    socket.on('close', () => clearInterval(timer))
    return socket
  })
}
