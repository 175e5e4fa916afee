import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { ensureIndex } from '../../src/archive/indexer.js'
import { readIndexFile } from '../../src/archive/index-file.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { indexForm, LONG_DIR, LONG_NAME, makeTree, regularFiles, removeDir, sh, tarList, tempDir } from './helpers.js'

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('indexing an existing archive', () => {
  let dir: string
  const top = 'must-gather.local.9'

  before(async () => {
    dir = tempDir('mgs-archive-indexer-')
    await makeTree(dir, top, { sizeBytes: 3 * 1024 * 1024, files: 250 })
  })
  after(() => removeDir(dir))

  it('re-packs a single-stream archive (pax format) into the blocked form: same files, another sha256', async () => {
    const archive = join(dir, 'pax.tar.gz')
    // What an image writes itself: one gzip stream; pax headers for the long and non-ASCII names.
    sh('tar', ['-C', dir, '--format=pax', '-czf', archive, top])
    const listedBefore = tarList(archive)
    assert.match(sh('sh', ['-c', 'gzip -dc "$1" | strings | grep -m1 PaxHeaders', 'sh', archive]), /PaxHeaders/)
    const before = { size: statSync(archive).size, sha256: sha256(archive) }
    const outcome = await ensureIndex(archive)
    assert.equal(outcome.status, 'repacked')
    if (outcome.status !== 'repacked') return
    assert.deepEqual(outcome.before, before)
    assert.deepEqual(outcome.after, { size: statSync(archive).size, sha256: sha256(archive) })
    assert.notEqual(outcome.after.sha256, before.sha256, 'other compressed bytes, so another sha256')
    sh('gzip', ['-t', archive])
    assert.deepEqual(tarList(archive), listedBefore)
    const reader = await ArchiveReader.open(archive)
    try {
      assert.deepEqual(reader.entries().map((e) => e.path), listedBefore.map(indexForm))
      for (const file of regularFiles(dir, top)) assert.ok((await reader.read(file)).equals(readFileSync(join(dir, file))), file)
      assert.equal((await reader.read(`${top}/${LONG_DIR}${LONG_NAME}`)).toString(), 'a long name\n'.repeat(50))
      assert.equal((await reader.read(`${top}/données été/naïve café.txt`)).toString(), 'non-ASCII names\n')
    } finally {
      await reader.close()
    }
    assert.equal((await ensureIndex(archive)).status, 'present')
  })

  it('reads ustar prefixes and pax headers as the simulator\'s own must-gather.tar.gz writes them', async () => {
    const nestedTree = join(dir, 'with-archive')
    await makeTree(nestedTree, top, { sizeBytes: 1024 * 1024, files: 120, nested: true })
    const archive = join(dir, 'image-written.tar.gz')
    copyFileSync(join(nestedTree, top, 'quay-io-must-gather-service-simulator-sha256-test', 'must-gather.tar.gz'), archive)
    const listed = tarList(archive)
    assert.ok(listed.some((line) => line.length > 100), 'some names need the prefix field or pax')
    await ensureIndex(archive)
    const reader = await ArchiveReader.open(archive)
    try {
      assert.deepEqual(reader.entries().map((e) => e.path), listed.map(indexForm))
      const extracted = join(dir, 'extracted')
      sh('mkdir', ['-p', extracted])
      sh('tar', ['-C', extracted, '-xzf', archive])
      const files = regularFiles(extracted)
      assert.ok(files.length >= 100)
      for (const file of files) assert.ok((await reader.read(file)).equals(readFileSync(join(extracted, file))), file)
    } finally {
      await reader.close()
    }
  })

  it('rebuilds a lost index of a blocked archive by scanning it, without changing the archive', async () => {
    const { packDirectory } = await import('../../src/archive/pack.js')
    const archive = join(dir, 'blocked.tar.gz')
    await packDirectory({ parent: dir, dirName: top, target: archive, signal: new AbortController().signal, blockSize: 32 * 1024 })
    const original = await readIndexFile(`${archive}.idx`)
    const sha = sha256(archive)
    rmSync(`${archive}.idx`)
    assert.deepEqual(await ensureIndex(archive), { status: 'scanned', entries: original?.entries.length })
    assert.equal(sha256(archive), sha)
    assert.deepEqual(await readIndexFile(`${archive}.idx`), original)
  })

  it('leaves a truncated single-stream archive as it was, with nothing beside it', async () => {
    const archive = join(dir, 'truncated.tar.gz')
    sh('tar', ['-C', dir, '-czf', join(dir, 'whole.tar.gz'), top])
    sh('sh', ['-c', 'head -c 200000 "$1" > "$2"', 'sh', join(dir, 'whole.tar.gz'), archive])
    const sha = sha256(archive)
    await assert.rejects(ensureIndex(archive), /gzip -dc|unexpected end|tar/i)
    assert.equal(sha256(archive), sha)
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('truncated.tar.gz')), ['truncated.tar.gz'])
  })

  it('refuses what is not gzip', async () => {
    const archive = join(dir, 'plain.tar')
    sh('tar', ['-C', dir, '-cf', archive, `${top}/gather.sh`])
    await assert.rejects(ensureIndex(archive), /not a gzip file/)
  })
})
