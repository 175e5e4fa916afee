import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import {
  runProcesses,
  removeDir,
  type RunningService,
  SIM_IMAGE,
  startService,
  waitFor,
  waitForFinish,
  stopAndClean
} from '../helpers/service.js'

/** How runs end: archive found vs packed, failures, timeouts, a missing oc. */
let service: RunningService
before(async () => {
  service = await startService({ env: { TIMEOUT_GRACE: '2s', CANCEL_GRACE: '1s', MAX_CONCURRENT: '4' } })
})
after(async () => stopAndClean(service))

async function download (id: number): Promise<string[]> {
  const response = await service.fetch(`/must-gather/${id}/data`)
  assert.equal(response.status, 200)
  const file = join(service.dir, `dl-${id}.tar.gz`)
  writeFileSync(file, Buffer.from(await response.arrayBuffer()))
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n')
}

describe('archives', () => {
  it('serves the archive the image wrote itself (ARCHIVE_FILENAME), as is', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:archive`, 'custom-name': 'plan:forklift' })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.equal(done['archive-name'], 'must-gather-plan-forklift.tar.gz')
    const entries = await download(body.id)
    assert.ok(!entries.some((e) => e.startsWith(`must-gather.local.${body.id}/`)), 'not the packed destination')
    assert.ok(entries.length > 0)
  })

  it('packs the destination when the image writes no archive, and removes the unpacked files', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:files-50_size-2m` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    const entries = await download(body.id)
    assert.ok(entries.every((e) => e.startsWith(`must-gather.local.${body.id}/`)))
    assert.ok(entries.filter((e) => !e.endsWith('/')).length >= 50)
    assert.equal(existsSync(join(service.dataDir, String(body.id), 'archive.tar.gz.partial')), false)
    // The unpacked tree is removed in the background once the archive is in place.
    await waitFor(() => !existsSync(join(service.dataDir, String(body.id), `must-gather.local.${body.id}`)), 'the unpacked files to go')
  })
})

describe('failures', () => {
  it('oc failing after gathering something: error, with the partial archive still served', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:fail` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /exit status 1/)
    assert.notEqual(done['archive-name'], '')
    assert.ok(done['archive-size'] > 0)
    const entries = await download(body.id)
    assert.ok(entries.some((e) => /inspect\.local\.\d+\//.test(e)), 'oc\'s fall-back inspect data is in it')
  })

  it('oc failing before gathering anything: error with oc\'s message, and /data is 404', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:crash` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /exit status 1: error: /)
    assert.equal(done['archive-name'], '')
    const data = await service.json(`/must-gather/${body.id}/data`)
    assert.equal(data.status, 404)
    assert.match(data.body.error, /no archive/)
  })

  it('oc timing out by itself (--timeout): error naming the timeout, partial data kept', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:timeout`, timeout: '1s' })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'error')
    assert.match(done['exec-output'], /gather never finished: timed out waiting for the condition/)
    assert.match(done['error-message'], /exit status 1/)
  })

  it('a hung oc that ignores its timeout is killed by the service after timeout + grace', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:hang_ignore-sigterm`, timeout: '1s' })
    await waitFor(() => runProcesses(service, body.id).length > 0, 'oc to start')
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /did not finish within its timeout \(1s\) plus TIMEOUT_GRACE \(2s\) and was killed/)
    assert.deepEqual(runProcesses(service, body.id), [])
  })

  it('exec-output is the tail of what oc printed; the whole output is at /output', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:lines-20000` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.ok(Buffer.byteLength(done['exec-output']) <= 65536)
    assert.match(done['exec-output'], /Reprinting Cluster State:/)
    const whole = await (await service.fetch(`/must-gather/${body.id}/output`)).text()
    assert.ok(whole.split('\n').filter((l) => l.includes(' POD ')).length >= 20000)
    assert.ok(whole.endsWith(done['exec-output']))
  })
})

describe('a missing oc', () => {
  let broken: RunningService
  before(async () => {
    broken = await startService({ env: { OC_PATH: '/nonexistent/oc' } })
  })
  after(async () => {
    await broken.stop()
    removeDir(broken.dir)
  })

  it('does not stop start-up; a run ends error naming OC_PATH', async () => {
    const { status, body } = await broken.post({})
    assert.equal(status, 201)
    const done = await waitForFinish(broken, body.id)
    assert.equal(done.status, 'error')
    assert.match(done['error-message'], /OC_PATH "\/nonexistent\/oc" was not found/)
  })
})

describe('configuration', () => {
  it('an invalid variable stops start-up with one line naming it', async () => {
    await assert.rejects(startService({ env: { MAX_CONCURRENT: 'many' } }), (error: Error) => {
      assert.match(error.message, /exited with 1/)
      assert.match(error.message, /invalid configuration: MAX_CONCURRENT: "many" must be a whole number/)
      return true
    })
  })
})

describe('retention (CLEANUP_MAX_AGE)', () => {
  let short: RunningService
  before(async () => { short = await startService({ env: { CLEANUP_MAX_AGE: '2s' } }) })
  after(async () => stopAndClean(short))

  it('deletes finished executions older than the maximum age, with their files; running ones stay', async () => {
    const running = (await short.post({ image: `${SIM_IMAGE}:slow-6` })).body.id
    const { body } = await short.post({ image: `${SIM_IMAGE}:v1` })
    assert.equal((await waitForFinish(short, body.id)).status, 'completed')
    await waitFor(async () => (await short.json(`/must-gather/${body.id}`)).status === 404, 'retention to delete it', 15_000)
    // The record goes first, then its directory.
    await waitFor(() => !existsSync(join(short.dataDir, String(body.id))), 'its directory to go')
    assert.equal((await short.json(`/must-gather/${running}`)).status, 200, 'a running execution is never swept')
    await short.fetch(`/must-gather/${running}`, { method: 'DELETE' })
  })
})
