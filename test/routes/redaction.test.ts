import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

/**
 * Redaction at gather time, against the real service and simulator (whose
 * cluster has nodes such as ip-10-0-12-147 at 10.0.12.147): the raw files are
 * never packed, the report stays on the server.
 */
const scratch = mkdtempSync(join(tmpdir(), 'mgs-redact-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

/** The archive's files, unpacked, as one text (names and contents). */
async function unpacked (service: RunningService, id: number): Promise<{ names: string, contents: string }> {
  const file = join(scratch, `${id}.tar.gz`)
  writeFileSync(file, Buffer.from(await (await service.fetch(`/must-gather/${id}/data`)).arrayBuffer()))
  const dir = join(scratch, String(id))
  execFileSync('mkdir', ['-p', dir])
  execFileSync('tar', ['-xzf', file, '-C', dir])
  const names = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
  const contents = execFileSync('bash', ['-c', 'find . -type f -not -name "*.gz" -exec cat {} +'], { cwd: dir, encoding: 'latin1', maxBuffer: 1 << 30 })
  return { names, contents }
}

describe('redaction (REDACTION=optional, the default)', () => {
  let service: RunningService
  before(async () => { service = await startService() })
  after(async () => await stopAndClean(service))

  it('redacts what a request asks for before packing: no node address or name survives, the summary still works', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1`, redact: true })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.equal(done.redacted, true)
    assert.ok((done['redaction-counts'].IP ?? 0) > 0, JSON.stringify(done['redaction-counts']))
    const { names, contents } = await unpacked(service, body.id)
    for (const raw of ['10.0.12.147', 'ip-10-0-12-147']) {
      assert.ok(!contents.includes(raw), `${raw} is gone from the contents`)
      assert.ok(!names.includes(raw), `${raw} is gone from the file names`)
    }
    assert.ok(!names.includes('redaction-report'), 'the report is not in the archive')
    assert.equal((await service.json(`/must-gather/${body.id}/summary`)).status, 200)
    const report = await service.json(`/must-gather/${body.id}/redaction-report`)
    assert.equal(report.status, 200, 'AUTH_MODE=none trusts every caller')
    assert.ok(JSON.stringify(report.body).includes('10.0.12.147'), 'the report maps the originals')
  })

  it('leaves an execution that did not ask as it was: redacted false, no counts, no report', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    const done = await waitForFinish(service, body.id)
    assert.deepEqual([done.redacted, done['redaction-counts']], [false, null])
    assert.ok((await unpacked(service, body.id)).contents.includes('10.0.12.147'))
    const report = await service.json(`/must-gather/${body.id}/redaction-report`)
    assert.equal(report.status, 404)
    assert.match(report.body.error, /was not redacted/)
  })
})

describe('REDACTION=off and REDACTION=required', () => {
  const services: RunningService[] = []
  after(async () => { for (const s of services) await stopAndClean(s) })

  it('off refuses a request that asks, naming the field', async () => {
    const service = await startService({ env: { REDACTION: 'off' } })
    services.push(service)
    const refused = await service.post({ image: `${SIM_IMAGE}:v1`, redact: true })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.field, 'redact')
    assert.match(refused.body.error, /REDACTION=off/)
  })

  it('required redacts every archive and refuses a request that declines', async () => {
    const service = await startService({ env: { REDACTION: 'required' } })
    services.push(service)
    const refused = await service.post({ image: `${SIM_IMAGE}:v1`, redact: false })
    assert.equal(refused.status, 403)
    assert.match(refused.body.error, /REDACTION=required/)
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.redacted, true)
    assert.ok(!(await unpacked(service, body.id)).contents.includes('10.0.12.147'))
  })
})
