import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type RunningService, SIM_IMAGE, startService, stopAndClean, waitForFinish } from '../helpers/service.js'

/** What the service writes is readable by its own user only, whatever the umask (security review, item 8). */
describe('file modes', () => {
  let service: RunningService
  let previousUmask: number
  before(async () => {
    // The most permissive umask a service could be started with: files 0666, directories 0777.
    previousUmask = process.umask(0)
    service = await startService()
  })
  after(async () => {
    await stopAndClean(service)
    process.umask(previousUmask)
  })

  const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8)

  it('keeps the database, each execution\'s directory, output and archive private', async () => {
    const { body } = await service.post({ image: `${SIM_IMAGE}:v1` })
    const done = await waitForFinish(service, body.id)
    assert.equal(done.status, 'completed', done['error-message'])
    const dir = join(service.dataDir, String(body.id))
    const files = {
      database: service.dbPath,
      'write-ahead log': `${service.dbPath}-wal`,
      'data directory': service.dataDir,
      "execution's directory": dir,
      output: join(dir, 'output.log'),
      archive: join(dir, 'archive.tar.gz')
    }
    const modes = Object.fromEntries(Object.entries(files).map(([what, path]) => [what, mode(path)]))
    assert.deepEqual(modes, {
      database: '600',
      'write-ahead log': '600',
      'data directory': '700',
      "execution's directory": '700',
      output: '600',
      archive: '600'
    })
  })
})
