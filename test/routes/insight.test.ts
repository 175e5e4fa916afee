import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { indexPathOf } from '../../src/archive/index-file.js'
import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

/**
 * Insight at completion, against the real service and simulator: every
 * archive is indexed (an image's own one re-packed into the blocked form,
 * its record taking the new size and sha256) and summarized.
 */
describe('insight at completion', () => {
  let service: RunningService
  const scratch = mkdtempSync(join(tmpdir(), 'mgs-insight-'))
  before(async () => { service = await startService() })
  after(async () => {
    await stopAndClean(service)
    rmSync(scratch, { recursive: true, force: true })
  })

  const download = async (id: number): Promise<{ path: string, sha256: string }> => {
    const bytes = Buffer.from(await (await service.fetch(`/must-gather/${id}/data`)).arrayBuffer())
    const path = join(scratch, `${id}.tar.gz`)
    writeFileSync(path, bytes)
    return { path, sha256: createHash('sha256').update(bytes).digest('hex') }
  }

  it('packs a blocked archive that tar reads, with its index, and serves a summary whose sources /files accepts', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    const { path, sha256 } = await download(body.id)
    assert.equal(sha256, done['archive-sha256'])
    const listed = execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).trim().split('\n')
    assert.ok(listed.every((entry) => entry.startsWith(`must-gather.local.${body.id}/`)))
    assert.ok(existsSync(indexPathOf(join(service.dataDir, String(body.id), 'archive.tar.gz'))), 'the index is beside the archive')

    const summary = await service.json(`/must-gather/${body.id}/summary`)
    assert.equal(summary.status, 200)
    assert.equal(typeof summary.body.cluster, 'object')
    const sources = JSON.stringify(summary.body).match(/"(?:[a-z-]+-)?source":"([^"]+)"/g) ?? []
    assert.ok(sources.length > 0, 'findings name their files')
    for (const match of sources.slice(0, 5)) {
      const source = (/:"([^"]+)"$/.exec(match) as RegExpExecArray)[1] as string
      const file = await service.fetch(`/must-gather/${body.id}/files/${source.split('/').map(encodeURIComponent).join('/')}`)
      assert.equal(file.status, 200, `${source} is readable through /files`)
      await file.arrayBuffer()
    }
    const top = await service.json(`/must-gather/${body.id}/files?path=`)
    assert.deepEqual(top.body.entries.map((e: { path: string }) => e.path), [`must-gather.local.${body.id}`])
  })

  it('re-packs an archive the image wrote itself: the record takes its new sha256, and its files can be browsed', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:archive` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    const { path, sha256 } = await download(body.id)
    assert.equal(sha256, done['archive-sha256'], 'the record names the archive served')
    assert.ok(execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).trim().split('\n').length > 3)
    const top = await service.json(`/must-gather/${body.id}/files?path=`)
    assert.equal(top.status, 200)
    assert.ok(top.body.entries.length > 0)
    assert.equal((await service.json(`/must-gather/${body.id}/summary`)).status, 200)
  })

  it('compares two runs, and says why there is no summary for one still queued', async () => {
    const first = (await service.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': 'cmp' })).body.id
    await waitForFinish(service, first)
    const second = (await service.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': 'cmp' })).body.id
    await waitForFinish(service, second)
    const comparison = await service.json(`/must-gather/${second}/compare/${first}`)
    assert.equal(comparison.status, 200)
    assert.equal(typeof comparison.body, 'object')
    const slow = (await service.post({ image: `${SIM_IMAGE}:slow-30` })).body.id
    const none = await service.json(`/must-gather/${slow}/summary`)
    assert.equal(none.status, 404)
    assert.match(none.body.error, /has no summary: it has not finished yet/)
    assert.equal((await service.fetch(`/must-gather/${slow}`, { method: 'DELETE' })).status, 204)
  })
})
