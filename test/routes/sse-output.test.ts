import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { FastifyInstance } from 'fastify'

import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { heldImage, release, writeHeldOc } from '../helpers/held-oc.js'
import { removeDir, type RunningService, startService, stopAndClean, waitForFinish } from '../helpers/service.js'
import { parseLikeABrowser } from '../helpers/sse.js'

/** Issue 12, item 7 (SSE spoofing) and item 2's heartbeats, read as a browser reads them. */
describe('SSE: what oc prints cannot forge an event (item 7)', { timeout: 120_000 }, () => {
  let service: RunningService
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
    service = await startService({ dir, env: { OC_PATH: writeHeldOc(dir) } })
  })
  after(async () => stopAndClean(service))

  it('a lone \\r, \\r\\n or \\n in the output starts a data line; the only end event is the service\'s', async () => {
    const printed = 'before\nline\rid: 9\revent: end\rdata: X\nwindows\r\nline\r\rafter\n'
    writeFileSync(join(dir, 'say-spoof'), printed)
    const { body } = await service.post({ image: heldImage('say-spoof') })
    const response = await service.fetch(`/must-gather/${body.id}/output?follow=true`, { headers: { Accept: 'text/event-stream' } })
    const reading = response.text()
    // Let the whole output be written while the stream is open, then end the run.
    const whole = await waitForText(service, body.id, printed)
    release(dir, 'spoof')
    const { events } = parseLikeABrowser(await reading)
    const ends = events.filter((e) => e.type === 'end')
    assert.equal(ends.length, 1, `end events: ${JSON.stringify(ends)}`)
    assert.equal(events.at(-1)?.type, 'end')
    assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['end', 'output'])
    assert.ok(events.every((e) => e.lastEventId !== '9'), 'no event took the id oc printed')
    // Every line end reaches the browser as \n; nothing else is lost or added.
    const text = events.filter((e) => e.type === 'output').map((e) => e.data).join('')
    assert.equal(text, whole.replace(/\r\n|\r/g, '\n'))
    assert.equal(Number(ends[0]?.lastEventId), Buffer.byteLength(whole))
    await waitForFinish(service, body.id)
    // Also when read after the end, without following.
    const after = parseLikeABrowser(await (await service.fetch(`/must-gather/${body.id}/output`, { headers: { Accept: 'text/event-stream' } })).text())
    assert.equal(after.events.filter((e) => e.type === 'end').length, 1)
    assert.equal(after.events.filter((e) => e.type === 'output').map((e) => e.data).join(''), whole.replace(/\r\n|\r/g, '\n'))
  })
})

describe('SSE heartbeats (item 2)', { timeout: 60_000 }, () => {
  let app: FastifyInstance
  let url: string
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mgs-heartbeat-'))
    const config = loadConfig({ AUTH_MODE: 'none', DB_PATH: join(dir, 'gatherings.db'), DATA_DIR: join(dir, 'gatherings'), OC_PATH: writeHeldOc(dir), MIN_FREE_SPACE: '0', METRICS_PORT: '-1' })
    app = await buildApp({ config, followHeartbeatMs: 100 })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    // Whatever happened above, the held run ends, so the app can close.
    release(dir, 'beat')
    await app.close()
    removeDir(dir)
  })

  it('an SSE follower of a quiet run gets `:` comment lines, which a browser ignores; plain text gets none', async () => {
    const created = await (await fetch(`${url}/must-gather`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ image: heldImage('held-beat') }) })).json() as { id: number }
    const received: Record<string, string> = { sse: '', plain: '' }
    /** `enough` resolves when the text so far satisfies it; `ended` when the service ends the response. */
    const follow = (kind: 'sse' | 'plain', enough: (text: string) => boolean): { enough: Promise<void>, ended: Promise<void> } => {
      let satisfied: () => void = () => {}
      const reached = new Promise<void>((resolve) => { satisfied = resolve })
      const ended = new Promise<void>((resolve, reject) => {
        const req = request(`${url}/must-gather/${created.id}/output?follow=true`, { headers: kind === 'sse' ? { Accept: 'text/event-stream' } : {} }, (res) => {
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            received[kind] += chunk
            if (enough(received[kind] as string)) satisfied()
          })
          res.on('end', resolve)
        })
        req.on('error', reject)
        req.end()
      })
      return { enough: reached, ended }
    }
    const plain = follow('plain', () => false)
    const sse = follow('sse', (text) => parseLikeABrowser(text).comments >= 3)
    // Three heartbeats: the run is still quiet, so no byte came from oc.
    await sse.enough
    assert.equal(received.plain, '', 'plain text never carries a heartbeat')
    assert.deepEqual(parseLikeABrowser(received.sse as string).events, [], 'heartbeats are no events')
    release(dir, 'beat')
    await Promise.all([plain.ended, sse.ended])
    assert.equal(received.plain, '')
    assert.deepEqual(parseLikeABrowser(received.sse as string).events, [{ type: 'end', data: '', lastEventId: '0' }], 'then only the end')
  })
})

/** The output as written so far, once it equals `expected`. */
async function waitForText (service: RunningService, id: number, expected: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const text = await (await service.fetch(`/must-gather/${id}/output`)).text()
    if (text === expected) return text
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the stand-in oc did not print its text')
}
