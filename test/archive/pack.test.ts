import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { packDirectory } from '../../src/archive/pack.js'
import { readIndexFile } from '../../src/archive/index-file.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { NotAFileError } from '../../src/archive/errors.js'
import { indexForm, LONG_DIR, LONG_NAME, makeTree, regularFiles, removeDir, sh, tarList, tempDir } from './helpers.js'

describe('blocked packer', () => {
  let dir: string
  let archive: string
  let reader: ArchiveReader
  let packed: Awaited<ReturnType<typeof packDirectory>>
  const dirName = 'must-gather.local.42'

  before(async () => {
    dir = tempDir('mgs-archive-pack-')
    await makeTree(dir, dirName, { sizeBytes: 6 * 1024 * 1024, files: 400 })
    archive = join(dir, 'archive.tar.gz')
    // Small blocks: many block boundaries inside files and headers.
    packed = await packDirectory({ parent: dir, dirName, target: archive, signal: new AbortController().signal, blockSize: 64 * 1024, workers: 2 })
    reader = await ArchiveReader.open(archive)
  })
  after(async () => {
    await reader?.close()
    removeDir(dir)
  })

  it('writes a .tar.gz that gzip and tar read, listing exactly what tar -czf of the same tree lists', () => {
    sh('gzip', ['-t', archive])
    sh('tar', ['-C', dir, '-czf', join(dir, 'reference.tar.gz'), dirName])
    assert.deepEqual(tarList(archive), tarList(join(dir, 'reference.tar.gz')))
    assert.ok(packed.blocks > 50, `${packed.blocks} blocks`)
    assert.ok(!existsSync(`${archive}.partial`))
  })

  it('returns the size and sha256 of what it wrote, and its index beside it', async () => {
    const bytes = readFileSync(archive)
    assert.equal(packed.size, bytes.length)
    assert.equal(packed.sha256, createHash('sha256').update(bytes).digest('hex'))
    assert.equal(packed.indexPath, `${archive}.idx`)
    const index = await readIndexFile(packed.indexPath)
    assert.equal(index?.archive.sha256, packed.sha256)
    assert.equal(index?.entries.length, packed.entries)
  })

  it('indexes every entry tar lists, in the same order, with its type', () => {
    const listed = sh('tar', ['-tvzf', archive]).split('\n').filter(Boolean)
    const entries = reader.entries()
    assert.deepEqual(entries.map((e) => e.path), tarList(archive).map(indexForm))
    const typeOf: Record<string, string> = { '-': 'file', d: 'directory', l: 'symlink', h: 'hardlink' }
    assert.deepEqual(entries.map((e) => e.type), listed.map((line) => typeOf[line[0] as string] ?? 'other'))
    const version = entries.find((e) => e.path === `${dirName}/links/version`)
    assert.equal(version?.type, 'symlink')
    assert.equal(version?.link, '../quay-io-must-gather-service-simulator-sha256-test/version')
    assert.equal(entries.find((e) => e.path === `${dirName}/gather.sh`)?.mode, 0o755)
    const html = entries.find((e) => e.path === `${dirName}/event-filter.html`)
    assert.equal(html?.mtime, Math.floor(statSync(join(dir, dirName, 'event-filter.html')).mtimeMs / 1000))
  })

  it('reads every file through the index exactly as it is on disk', async () => {
    const files = regularFiles(dir, dirName)
    assert.ok(files.length > 400)
    for (const file of files) {
      assert.ok((await reader.read(file)).equals(readFileSync(join(dir, file))), file)
    }
  })

  it('reads names longer than 100 characters (GNU long-name headers)', async () => {
    const path = `${dirName}/${LONG_DIR}${LONG_NAME}`
    assert.ok(path.length > 200)
    assert.equal((await reader.read(path)).toString(), 'a long name\n'.repeat(50))
    const page = await reader.list(`${dirName}/${LONG_DIR}`)
    assert.deepEqual(page.entries.map((e) => e.name), [LONG_NAME])
  })

  it('reads byte ranges, across block boundaries too', async () => {
    const path = `${dirName}/random.bin`
    const disk = readFileSync(join(dir, path))
    for (const [start, end] of [[0, 1], [0, 10], [65_000, 200_000], [123_456, 123_457], [disk.length - 5, disk.length], [10, 10]] as const) {
      assert.ok((await reader.read(path, { start, end })).equals(disk.subarray(start, end)), `${start}-${end}`)
    }
    assert.equal((await reader.read(path, { start: disk.length + 10 })).length, 0)
    const opened = await reader.openFile(path, { start: 1000, end: 300_000 })
    const streamed: Buffer[] = []
    for await (const chunk of opened.body) streamed.push(chunk as Buffer)
    assert.ok(Buffer.concat(streamed).equals(disk.subarray(1000, 300_000)))
    assert.equal(opened.contentType, 'application/octet-stream')
  })

  it('lists symlinks as symlinks and never follows them; reads a hard link as its file', async () => {
    const page = await reader.list(`${dirName}/links`)
    assert.deepEqual(page.entries.map((e) => [e.name, e.type, e.target]), [
      ['dangling', 'symlink', 'nowhere'],
      ['outside', 'symlink', '/etc/passwd'],
      ['timestamp-hardlink', 'file', undefined],
      ['version', 'symlink', '../quay-io-must-gather-service-simulator-sha256-test/version']
    ])
    await assert.rejects(reader.read(`${dirName}/links/outside`), NotAFileError)
    await assert.rejects(reader.read(`${dirName}/links/version`), NotAFileError)
    // tar met links/ first: there the data, the image's own `timestamp` a hard link to it.
    const timestamp = `${dirName}/quay-io-must-gather-service-simulator-sha256-test/timestamp`
    assert.deepEqual(await reader.stat(timestamp).then((e) => [e.type, e.link]), ['hardlink', `${dirName}/links/timestamp-hardlink`])
    assert.equal((await reader.read(timestamp)).toString(), '2026-12-06 01:00:00 +0000 UTC\n')
  })

  it('removes the partial archive and leaves nothing when aborted', async () => {
    const controller = new AbortController()
    const target = join(dir, 'aborted.tar.gz')
    controller.abort()
    await assert.rejects(packDirectory({ parent: dir, dirName, target, signal: controller.signal }))
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('aborted')), [])
  })
})
