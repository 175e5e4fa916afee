import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { NestedArchiveError } from '../../src/archive/errors.js'
import { removeIndex } from '../../src/archive/indexer.js'
import { packDirectory } from '../../src/archive/pack.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { makeTree, regularFiles, removeDir, sh, tempDir } from './helpers.js'

describe('nested archives', () => {
  let dir: string
  let archive: string
  const top = 'must-gather.local.3'
  const image = `${top}/quay-io-must-gather-service-simulator-sha256-test`
  const nested = `${image}/must-gather.tar.gz`

  before(async () => {
    dir = tempDir('mgs-archive-nested-')
    // The simulator writes its own must-gather.tar.gz of everything, as the Forklift image does.
    await makeTree(dir, top, { sizeBytes: 2 * 1024 * 1024, files: 150, nested: true })
    sh('sh', ['-c', 'head -c 5000 /dev/urandom > "$1"', 'sh', join(dir, top, 'broken.tgz')])
    archive = join(dir, 'a.tar.gz')
    await packDirectory({ parent: dir, dirName: top, target: archive, signal: new AbortController().signal })
  })
  after(() => removeDir(dir))

  it('lists and reads the files of a .tar.gz inside the archive, and caches its index beside the archive\'s', async () => {
    const extracted = join(dir, 'nested-extracted')
    sh('mkdir', ['-p', extracted])
    sh('tar', ['-C', extracted, '-xzf', join(dir, nested)])
    const reader = await ArchiveReader.open(archive)
    try {
      const listing = await reader.list(image)
      assert.equal(listing.entries.find((e) => e.name === 'must-gather.tar.gz')?.archive, true)
      const inside = await reader.list(nested)
      assert.deepEqual(inside.entries.map((e) => [e.name, e.path, e.type]), [['must-gather', `${nested}/must-gather`, 'directory']])
      const files = regularFiles(extracted)
      assert.ok(files.length > 100)
      for (const file of files) assert.ok((await reader.read(`${nested}/${file}`)).equals(readFileSync(join(extracted, file))), file)
      const deeper = await reader.list(`${nested}/must-gather/namespaces`)
      assert.ok(deeper.entries.every((e) => e.path.startsWith(`${nested}/must-gather/namespaces/`) && e.type === 'directory'))
      assert.ok(deeper.total > 3)
    } finally {
      await reader.close()
    }
    const cached = readdirSync(`${archive}.idx.nested`)
    assert.equal(cached.filter((name) => name.endsWith('.tar.gz')).length, 1)
    assert.equal(cached.filter((name) => name.endsWith('.tar.gz.idx')).length, 1)
    // Another reader (another replica) uses the copy made by the first.
    const again = await ArchiveReader.open(archive)
    try {
      assert.equal((await again.read(`${nested}/must-gather/version`)).toString(), readFileSync(join(extracted, 'must-gather', 'version'), 'utf8'))
    } finally {
      await again.close()
    }
    assert.deepEqual(readdirSync(`${archive}.idx.nested`).sort(), cached.sort())
  })

  it('says when a .tgz cannot be browsed, and leaves nothing behind', async () => {
    const reader = await ArchiveReader.open(archive)
    try {
      await assert.rejects(reader.list(`${top}/broken.tgz`), NestedArchiveError)
      await assert.rejects(reader.read(`${top}/broken.tgz/anything`), NestedArchiveError)
      assert.ok((await reader.read(`${top}/broken.tgz`)).equals(readFileSync(join(dir, top, 'broken.tgz'))))
    } finally {
      await reader.close()
    }
    assert.deepEqual(readdirSync(`${archive}.idx.nested`).filter((name) => name.includes('partial')), [])
  })

  it('removes the index and the nested copies with removeIndex', async () => {
    await removeIndex(archive)
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('a.tar.gz')), ['a.tar.gz'])
  })
})
