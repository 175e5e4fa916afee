import assert from 'node:assert/strict'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { descriptorsOn } from '../helpers/open-files.js'
import { type RunningService, SIM_IMAGE, startService, waitFor, waitForFinish, stopAndClean } from '../helpers/service.js'

/** Live output: plain chunked text and Server-Sent Events, several followers, late joiners, disconnects. */
let service: RunningService
before(async () => { service = await startService() })
after(async () => stopAndClean(service))

describe('GET /must-gather/:id/output?follow=true', () => {
  it('streams while oc runs and ends when the execution ends, for every follower, with the whole output', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:slow-3_lines-300` })
    const followers = await Promise.all([0, 1, 2].map(async () => {
      const response = await service.fetch(`/must-gather/${body.id}/output?follow=true`)
      assert.equal(response.status, 200)
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      let text = ''
      let stateAtFirstChunk: Promise<string> | undefined
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        // Asked as soon as the first bytes arrive: oc (slow-3) still has seconds of output ahead.
        if (stateAtFirstChunk === undefined && value.length > 0) {
          stateAtFirstChunk = service.json(`/must-gather/${body.id}`).then((r) => `${r.body.status}/${r.body.phase}`, (error: unknown) => `failed: ${String(error)}`)
        }
        text += Buffer.from(value).toString('utf8')
      }
      return { text, stateAtFirstChunk: await stateAtFirstChunk }
    }))
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed')
    assert.equal(done.phase, 'done')
    assert.ok(done.progress['elapsed-seconds'] >= 2)
    assert.equal(done.progress['timeout-seconds'], 20 * 60)
    const whole = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
    assert.equal(done.progress['output-bytes'], Buffer.byteLength(whole))
    for (const { text, stateAtFirstChunk } of followers) {
      assert.equal(text, whole)
      // Output held back until oc exited would first arrive in cleaning-up or later.
      assert.match(stateAtFirstChunk ?? '', /^inprogress\/(starting|namespace-created|pod-created|gathering|downloading)$/, 'output arrived while oc was still running')
    }
    assert.match(whole, /Reprinting Cluster State:/)
  })

  it('reports the phase read off oc\'s output while it runs', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:slow-3` })
    assert.equal(body.phase, 'queued')
    const phases = new Set<string>()
    for (;;) {
      const g = (await service.json(`/must-gather/${body.id}`)).body
      phases.add(g.phase)
      if (g.status === 'completed' || g.status === 'error') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(phases.has('gathering'), [...phases].join(','))
    assert.ok(phases.has('done'))
  })

  it('a late joiner gets everything from the start, or from ?offset=', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    await waitForFinish(service, body.id)
    const whole = await (await service.fetch(`/must-gather/${body.id}/output?follow=true`)).text()
    assert.match(whole, /Using must-gather plug-in image/)
    const fromOffset = await (await service.fetch(`/must-gather/${body.id}/output?follow=true&offset=100`)).text()
    assert.equal(fromOffset, Buffer.from(whole).subarray(100).toString('utf8'))
  })

  it('speaks Server-Sent Events when asked, with byte offsets as ids and an end event', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:slow-1` })
    const response = await service.fetch(`/must-gather/${body.id}/output?follow=true`, { headers: { Accept: 'text/event-stream' } })
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/)
    const events = (await response.text()).split('\n\n').filter((e) => e !== '')
    const last = events[events.length - 1] ?? ''
    assert.match(last, /^id: \d+\nevent: end\n/)
    const outputs = events.filter((e) => e.includes('event: output'))
    assert.ok(outputs.length > 0)
    const text = outputs.map((e) => e.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')).join('')
    const whole = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
    assert.equal(text, whole)
    assert.equal(Number(/^id: (\d+)/.exec(last)?.[1]), Buffer.byteLength(whole))
  })

  it('a follower that disconnects releases its file handle; the run goes on', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:slow-3` })
    const outputPath = join(service.dataDir, String(body.id), 'output.log')
    const handles = (): number => descriptorsOn(service.process.pid as number, outputPath)
    const writerHandles = await waitFor(() => handles() > 0 && handles(), 'the run to open its output')
    await new Promise<void>((resolve) => {
      const req = request(`${service.url}/must-gather/${body.id}/output?follow=true`, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end()
    })
    await waitFor(() => handles() <= writerHandles, 'the follower\'s handle to close', 5000)
    assert.equal((await waitForFinish(service, body.id)).status, 'completed')
  })
})
