import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { contentDisposition, looksLikeText } from '../../src/archive/content-type.js'
import { ArchiveEntryNotFoundError, ArchiveIndexError, ArchivePathError, NotADirectoryError, NotAFileError } from '../../src/archive/errors.js'
import { packDirectory } from '../../src/archive/pack.js'
import { archivePath } from '../../src/archive/paths.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { ArchiveTreeSource } from '../../src/archive/tree-source.js'
import { ValidationError } from '../../src/gatherings/errors.js'
import { makeTree, removeDir, sh, tempDir } from './helpers.js'

describe('archive reader', () => {
  let dir: string
  let reader: ArchiveReader
  const top = 'must-gather.local.7'
  const image = `${top}/quay-io-must-gather-service-simulator-sha256-test`

  before(async () => {
    dir = tempDir('mgs-archive-reader-')
    await makeTree(dir, top, { sizeBytes: 2 * 1024 * 1024, files: 200 })
    await packDirectory({ parent: dir, dirName: top, target: join(dir, 'a.tar.gz'), signal: new AbortController().signal })
    reader = await ArchiveReader.open(join(dir, 'a.tar.gz'))
  })
  after(async () => {
    await reader?.close()
    removeDir(dir)
  })

  it('lists the top with an empty path, and a directory sorted by name, paged', async () => {
    assert.deepEqual((await reader.list('')).entries.map((e) => [e.name, e.type]), [[top, 'directory']])
    const whole = await reader.list(top)
    const names = whole.entries.map((e) => e.name)
    assert.deepEqual(names, [...names].sort())
    assert.equal(whole.total, names.length)
    assert.ok(names.includes('links') && names.includes('random.bin'))
    const second = await reader.list(`./${top}/`, { offset: 2, limit: 3 })
    assert.deepEqual(second.entries.map((e) => e.name), names.slice(2, 5))
    assert.equal(second.total, whole.total)
    const gatherScript = whole.entries.find((e) => e.name === 'gather.sh')
    assert.deepEqual(gatherScript && { path: gatherScript.path, type: gatherScript.type, size: gatherScript.size, mode: gatherScript.mode },
      { path: `${top}/gather.sh`, type: 'file', size: 24, mode: '0755' })
    assert.match(gatherScript?.mtime ?? '', /^\d{4}-\d\d-\d\dT/)
    // JSON-ready: nothing that does not survive a round trip.
    assert.deepEqual(JSON.parse(JSON.stringify(whole)), whole)
  })

  it('lists a directory of a tree whose tar has no entries for its parents', async () => {
    // An archive as some images write it: files only, no directory entries.
    const bare = join(dir, 'bare.tar.gz')
    sh('tar', ['-C', join(dir, top), '--no-recursion', '-czf', join(dir, 'files-only.tar.gz'), 'quay-io-must-gather-service-simulator-sha256-test/version', 'quay-io-must-gather-service-simulator-sha256-test/timestamp'])
    sh('cp', [join(dir, 'files-only.tar.gz'), bare])
    const { ensureIndex } = await import('../../src/archive/indexer.js')
    await ensureIndex(bare)
    const bareReader = await ArchiveReader.open(bare)
    try {
      assert.deepEqual((await bareReader.list('')).entries.map((e) => [e.name, e.type]), [['quay-io-must-gather-service-simulator-sha256-test', 'directory']])
      assert.deepEqual((await bareReader.list('quay-io-must-gather-service-simulator-sha256-test')).entries.map((e) => e.name), ['timestamp', 'version'])
    } finally {
      await bareReader.close()
    }
  })

  it('refuses .., absolute paths and NUL with a 400-class error naming the field', async () => {
    for (const bad of ['..', '../etc/passwd', `${top}/../../x`, '/etc/passwd', `${top}/version\0`, 'a/..\\..\\b']) {
      assert.throws(() => archivePath(bad), (error: Error) => error instanceof ArchivePathError && error instanceof ValidationError && (error as ArchivePathError).field === 'path', JSON.stringify(bad))
      await assert.rejects(reader.read(bad), ArchivePathError)
      await assert.rejects(reader.list(bad), ArchivePathError)
    }
    assert.equal(archivePath('./a//b/./c/'), 'a/b/c')
  })

  it('says what is missing, or not a file, or not a directory', async () => {
    await assert.rejects(reader.read(`${top}/nothing-here`), ArchiveEntryNotFoundError)
    await assert.rejects(reader.list(`${top}/nothing-here`), ArchiveEntryNotFoundError)
    await assert.rejects(reader.read(top), NotAFileError)
    await assert.rejects(reader.list(`${top}/gather.sh`), NotADirectoryError)
    await assert.rejects(reader.list(`${top}/links/version`), NotADirectoryError)
  })

  it('sends text as text/plain, anything else as octet-stream, and active content as an attachment', async () => {
    const html = await reader.openFile(`${top}/event-filter.html`)
    assert.deepEqual([html.contentType, html.attachment], ['text/plain; charset=utf-8', true])
    html.body.destroy()
    const yaml = await reader.openFile(`${image}/cluster-scoped-resources/config.openshift.io/clusterversions.yaml`)
    assert.deepEqual([yaml.contentType, yaml.attachment], ['text/plain; charset=utf-8', false])
    yaml.body.destroy()
    assert.deepEqual(contentDisposition('x.log', Buffer.from('  <svg onload="alert(1)">')), { contentType: 'text/plain; charset=utf-8', attachment: true })
    assert.deepEqual(contentDisposition('x.svg', Buffer.from('plain')), { contentType: 'text/plain; charset=utf-8', attachment: true })
    assert.deepEqual(contentDisposition('x.bin', Buffer.from([0xff, 0xfe, 0x41])), { contentType: 'application/octet-stream', attachment: false })
    // A UTF-8 character cut by the end of the sample is still text.
    assert.equal(looksLikeText(Buffer.from('été').subarray(0, 4)), true)
  })

  it('refuses an index that does not match its archive', async () => {
    sh('cp', [join(dir, 'a.tar.gz.idx'), join(dir, 'other.tar.gz.idx')])
    sh('tar', ['-C', dir, '-czf', join(dir, 'other.tar.gz'), `${top}/gather.sh`])
    await assert.rejects(ArchiveReader.open(join(dir, 'other.tar.gz')), ArchiveIndexError)
    await assert.rejects(ArchiveReader.open(join(dir, 'missing.tar.gz')), ArchiveIndexError)
  })

  it('serves the summary\'s TreeSource: every entry in archive order, and file contents', async () => {
    const source = new ArchiveTreeSource(reader)
    const entries = []
    for await (const entry of source.entries()) entries.push(entry)
    assert.deepEqual(entries.map((e) => e.path), reader.entries().map((e) => e.path))
    const version = entries.find((e) => e.path === `${image}/version`)
    assert.equal(version?.type, 'file')
    assert.equal((await source.read(`${image}/version`)).length, version?.size)
    assert.equal(entries.find((e) => e.path === `${top}/links/dangling`)?.type, 'symlink')
    assert.equal(entries.find((e) => e.path === top)?.type, 'directory')
  })
})
