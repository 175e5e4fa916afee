import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { type ClientRequest, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { heldImage, release, writeHeldOc } from '../helpers/held-oc.js'
import { descriptorsOn } from '../helpers/open-files.js'
import { type RunningService, startService, stopAndClean, waitFor, waitForFinish } from '../helpers/service.js'

/**
 * Issue 12, item 4: followers are capped per caller and in total (429 naming
 * the setting), and one reader per execution serves all its followers. With
 * AUTH_MODE=none the caller is the client address: 127.0.0.1 and 127.0.0.2
 * are two callers.
 */
let service: RunningService
let dir: string
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mgs-test-'))
  service = await startService({ dir, env: { OC_PATH: writeHeldOc(dir), MAX_FOLLOWERS: '3', MAX_FOLLOWERS_PER_USER: '2' } })
})
after(async () => stopAndClean(service))

interface Follower { status: number, body: Promise<string>, req: ClientRequest }

/** A follower from `from` (a local address); resolves with its status once the headers arrive. */
function follow (id: number, from: string, path = `/must-gather/${id}/output?follow=true`): Promise<Follower> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}${path}`, { agent: false, localAddress: from }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      const body = new Promise<string>((resolve) => {
        res.on('end', () => resolve(text))
        res.on('close', () => resolve(text))
      })
      resolve({ status: res.statusCode ?? 0, body, req })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('followers (item 4)', { timeout: 120_000 }, () => {
  it('429 beyond MAX_FOLLOWERS_PER_USER for one caller and beyond MAX_FOLLOWERS for all; a place freed is taken again', async () => {
    writeFileSync(join(dir, 'say-caps'), 'gathering\n')
    const { body } = await service.post({ image: heldImage('say-caps') })
    const open: Follower[] = []
    try {
      for (let i = 0; i < 2; i++) open.push(await follow(body.id, '127.0.0.1'))
      assert.deepEqual(open.map((f) => f.status), [200, 200])
      const third = await follow(body.id, '127.0.0.1')
      assert.equal(third.status, 429)
      assert.match(JSON.parse(await third.body).error, /MAX_FOLLOWERS_PER_USER/)
      open.push(await follow(body.id, '127.0.0.2'))
      assert.equal(open[2]?.status, 200, 'another caller has places of its own')
      const beyond = await follow(body.id, '127.0.0.2')
      assert.equal(beyond.status, 429)
      assert.match(JSON.parse(await beyond.body).error, /MAX_FOLLOWERS\)/)
      // Not following is not capped.
      assert.equal((await service.fetch(`/must-gather/${body.id}/output`)).status, 200)
      open.shift()?.req.destroy()
      const again = await waitFor(async () => {
        const f = await follow(body.id, '127.0.0.2')
        if (f.status === 200) return f
        await f.body
        return undefined
      }, 'the freed place to be given back')
      open.push(again)
    } finally {
      release(dir, 'caps')
      for (const f of open) f.req.destroy()
    }
    await waitForFinish(service, body.id)
  })

  it('one reader per execution: one descriptor on the output however many follow; each follower gets everything from its offset', async () => {
    const printed = Array.from({ length: 2000 }, (_, i) => `[must-gather-x] POD line ${i} ✓\n`).join('')
    writeFileSync(join(dir, 'say-shared'), printed)
    const { body } = await service.post({ image: heldImage('say-shared') })
    const outputPath = join(service.dataDir, String(body.id), 'output.log')
    const whole = await waitFor(async () => {
      const text = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
      return text === printed && text
    }, 'the stand-in to print')
    const writer = descriptorsOn(service.process.pid as number, outputPath)
    const followers = [
      await follow(body.id, '127.0.0.1'),
      await follow(body.id, '127.0.0.2'),
      await follow(body.id, '127.0.0.3', `/must-gather/${body.id}/output?follow=true&offset=1000`)
    ]
    assert.deepEqual(followers.map((f) => f.status), [200, 200, 200])
    // All three are at the end of the output and waiting: one shared descriptor (before: one each).
    await waitFor(() => descriptorsOn(service.process.pid as number, outputPath) === writer + 1, `one reader's descriptor (now ${descriptorsOn(service.process.pid as number, outputPath) - writer})`, 10_000)
    release(dir, 'shared')
    assert.equal((await waitForFinish(service, body.id)).status, 'completed')
    const texts = await Promise.all(followers.map((f) => f.body))
    const final = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
    assert.ok(final.startsWith(whole))
    assert.equal(texts[0], final)
    assert.equal(texts[1], final)
    assert.equal(texts[2], Buffer.from(final).subarray(1000).toString('utf8'))
    await waitFor(() => descriptorsOn(service.process.pid as number, outputPath) === 0, 'every descriptor on the output to close')
  })

  it('a follower that stops reading holds up no other, and catches up from the file when it reads again', async () => {
    // 16 MiB, far more than a connection buffers: the paused follower cannot have been sent it all.
    const line = `[must-gather-x] ${'x'.repeat(100)}\n`
    writeFileSync(join(dir, 'say-big'), line.repeat(Math.ceil(16 * 2 ** 20 / line.length)))
    const { body } = await service.post({ image: heldImage('say-big') })
    const slow = await new Promise<{ resume: () => Promise<string>, first: number }>((resolve, reject) => {
      const req = request(`${service.url}/must-gather/${body.id}/output?follow=true`, { agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.once('data', (chunk: Buffer) => {
          chunks.push(chunk)
          res.pause()
          resolve({
            first: chunk.length,
            resume: () => new Promise((resolve) => {
              res.on('data', (more: Buffer) => chunks.push(more))
              res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
              res.resume()
            })
          })
        })
      })
      req.on('error', reject)
      req.end()
    })
    const fast = await follow(body.id, '127.0.0.2')
    release(dir, 'big')
    const fastText = await fast.body
    assert.equal((await waitForFinish(service, body.id)).status, 'completed')
    const final = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
    assert.equal(fastText, final, 'the follower that reads got everything while the other stood still')
    assert.ok(slow.first < final.length)
    assert.equal(await slow.resume(), final, 'the paused follower caught up from the file')
  })
})
