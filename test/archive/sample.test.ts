import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { packDirectory } from '../../src/archive/pack.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { search, type SearchEnd, type SearchMatch } from '../../src/archive/search.js'
import { indexForm, regularFiles, removeDir, sh, tarList, tempDir } from './helpers.js'

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'samples', 'must-gather-aws', 'must-gather-aws.tar.xz')

// The real must-gather (OpenShift 4.8 on AWS, ~90 MB, ~3,600 files), unpacked at test time.
describe('the real must-gather sample', () => {
  let dir: string
  let archive: string
  let reader: ArchiveReader

  before(async () => {
    dir = tempDir('mgs-archive-sample-')
    sh('tar', ['-C', dir, '-xJf', SAMPLE])
    archive = join(dir, 'packed.tar.gz')
    await packDirectory({ parent: dir, dirName: 'must-gather-aws', target: archive, signal: new AbortController().signal })
    reader = await ArchiveReader.open(archive)
  })
  after(async () => {
    await reader?.close()
    removeDir(dir)
  })

  it('packs to what tar -czf lists, and indexes every entry', () => {
    sh('tar', ['-C', dir, '-czf', join(dir, 'reference.tar.gz'), 'must-gather-aws'])
    const listed = tarList(join(dir, 'reference.tar.gz'))
    assert.deepEqual(tarList(archive), listed)
    assert.deepEqual(reader.entries().map((e) => e.path), listed.map(indexForm))
  })

  it('reads every one of its files through the index exactly as on disk', async () => {
    const files = regularFiles(dir, 'must-gather-aws')
    assert.ok(files.length > 3500, `${files.length} files`)
    for (const file of files) assert.ok((await reader.read(file)).equals(readFileSync(join(dir, file))), file)
  })

  it('lists the image directory and finds what grep finds', async () => {
    const top = await reader.list('must-gather-aws')
    const image = top.entries.find((e) => e.type === 'directory' && e.name.startsWith('quay-io'))
    assert.ok(image !== undefined)
    const html = top.entries.find((e) => e.name === 'event-filter.html')
    assert.equal(html?.type, 'file')
    assert.equal((await reader.openFile(html?.path ?? '').then((f) => { f.body.destroy(); return f.attachment })), true)
    const inImage = await reader.list(image.path)
    assert.ok(inImage.entries.some((e) => e.name === 'cluster-scoped-resources'))
    const matches: SearchMatch[] = []
    let end: SearchEnd | undefined
    for await (const result of search(reader, { query: 'Degraded', glob: '**/clusteroperators/*.yaml', maxResults: 100_000 })) {
      if ('complete' in result) end = result
      else matches.push(result)
    }
    const expected = sh('sh', ['-c', 'grep -rn --include="*.yaml" -F Degraded must-gather-aws | grep /clusteroperators/ | sort'], { cwd: dir }).split('\n').filter(Boolean)
    assert.ok(expected.length > 10)
    assert.deepEqual(matches.map((m) => `${m.file}:${m.line}:${m.text}`).sort(), expected)
    assert.equal(end?.complete, true)
  })
})
