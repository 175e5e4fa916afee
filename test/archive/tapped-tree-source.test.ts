import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { packDirectory } from '../../src/archive/pack.js'
import { ArchiveReader } from '../../src/archive/reader.js'
import { TappedTreeSource, type TappedTreeSourceOptions } from '../../src/archive/tapped-tree-source.js'
import { type IndexEntry, TarFormatError, TarHeaderParser } from '../../src/archive/tar-headers.js'
import { ArchiveTreeSource } from '../../src/archive/tree-source.js'
import { DirectoryTreeSource, summarize, summarizeLocated, type Summary } from '../../src/insight/index.js'
import { LONG_DIR, LONG_NAME, makeTree, removeDir, tempDir } from './helpers.js'

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'samples', 'must-gather-aws', 'must-gather-aws.tar.xz')

/** Packs `<parent>/<dirName>` with a tap; the summary made from the tap, and the one made afterwards from the archive. */
async function bothSummaries (parent: string, dirName: string, options: Partial<TappedTreeSourceOptions> = {}): Promise<{ tapped: Summary, fromArchive: Summary, prepared: number }> {
  const signal = new AbortController().signal
  const tap = new TappedTreeSource({ directory: new DirectoryTreeSource(join(parent, dirName)), signal, ...options })
  const target = join(parent, `${dirName}.tar.gz`)
  await packDirectory({ parent, dirName, target, signal, tap })
  const prepared = await tap.prepared()
  const tapped = await summarizeLocated(tap.located(), tap, { prepared })
  const reader = await ArchiveReader.open(target)
  try {
    return { tapped, fromArchive: await summarize(new ArchiveTreeSource(reader)), prepared: prepared.size }
  } finally {
    await reader.close()
  }
}

describe('TarHeaderParser with a tap', () => {
  let dir: string
  before(async () => {
    dir = tempDir('mgs-tap-parser-')
    await makeTree(dir, 'tree', { sizeBytes: 512 * 1024, files: 60 })
    writeFileSync(join(dir, 'tree', 'empty.yaml'), '')
  })
  after(() => removeDir(dir))

  it('hands over exactly the files asked for, whole, however the stream is cut', () => {
    const tar = execFileSync('tar', ['-C', dir, '-cf', '-', 'tree'], { maxBuffer: 64 * 1024 * 1024 })
    const wanted = (entry: IndexEntry): boolean => entry.path.endsWith('.yaml') || entry.path.endsWith(LONG_NAME)
    for (const cut of [1, 7, 512, 4096, 100_003]) {
      const got = new Map<string, Buffer>()
      const asked: string[] = []
      const parser = new TarHeaderParser({
        onEntry: (entry) => { if (wanted(entry)) asked.push(entry.path); return wanted(entry) },
        onData: (entry, data) => { assert.ok(!got.has(entry.path), `${entry.path} handed over once`); got.set(entry.path, data) }
      })
      for (let at = 0; at < tar.length; at += cut) parser.push(tar.subarray(at, at + cut))
      assert.ok(parser.ended)
      const files = asked.filter((path) => [...parser.entries].find((e) => e.path === path)?.type === 'file')
      assert.ok(files.length > 5, `some YAML files and the long name (chunks of ${cut})`)
      assert.deepEqual([...got.keys()], files, `every file asked for, in stream order (chunks of ${cut})`)
      for (const [path, data] of got) assert.ok(data.equals(readFileSync(join(dir, path))), `${path}: its bytes (chunks of ${cut})`)
      assert.ok(got.has(`tree/${LONG_DIR}${LONG_NAME}`), 'a name longer than 100 characters (GNU long name)')
      assert.equal(got.get('tree/empty.yaml')?.length, 0, 'an empty file')
    }
  })
})

describe('TarHeaderParser checksums', () => {
  let dir: string
  before(async () => {
    dir = tempDir('mgs-checksum-')
    await makeTree(dir, 'tree', { sizeBytes: 256 * 1024, files: 30 })
    // Every byte value in a name, the checksum's sum included: 0x80-0xff as UTF-8 sequences.
    writeFileSync(join(dir, 'tree', `bytes-${[...Array(0x7f - 0x21).keys()].map((i) => String.fromCharCode(0x21 + i)).join('').replaceAll('/', '')}-ÿé€`), 'x')
  })
  after(() => removeDir(dir))

  it('accepts every header GNU tar wrote, and refuses a header with one byte changed, wherever it is', () => {
    const tar = execFileSync('tar', ['-C', dir, '-cf', '-', 'tree'], { maxBuffer: 64 * 1024 * 1024 })
    const parser = new TarHeaderParser()
    parser.push(tar)
    assert.ok(parser.ended && parser.entries.length > 30)
    // The first header: each byte outside the checksum field, changed by one, is caught.
    for (const at of [0, 99, 100, 147, 156, 257, 345, 511]) {
      const changed = Buffer.from(tar)
      changed[at] = ((changed[at] ?? 0) + 1) % 256
      assert.throws(() => new TarHeaderParser().push(changed), TarFormatError, `a change at byte ${at}`)
    }
  })
})

describe('TappedTreeSource: the summary made while packing', { timeout: 120_000 }, () => {
  let dir: string
  before(() => { dir = tempDir('mgs-tapped-') })
  after(() => removeDir(dir))

  it('is the summary of the archive it packed, on a tree with links, long and non-ASCII names', async () => {
    await makeTree(dir, 'made', { sizeBytes: 2 * 1024 * 1024, files: 200 })
    // A hard link the summary reads: a node file under a second name (tar stores it as a link to the first).
    const nodes = join(dir, 'made', 'quay-io-must-gather-service-simulator-sha256-test', 'cluster-scoped-resources', 'core', 'nodes')
    const [first] = readdirSync(nodes)
    assert.ok(first !== undefined)
    linkSync(join(nodes, first), join(nodes, 'zz-linked-node.yaml'))
    const { tapped, fromArchive, prepared } = await bothSummaries(dir, 'made')
    assert.deepEqual(tapped, fromArchive)
    assert.ok(prepared > 0, 'resource files were parsed from the stream')
    assert.ok(tapped.pods.total > 0 && tapped['warning-events'].events > 0, 'pods and events were read')
    assert.ok((tapped.coverage.sections.nodes?.objects ?? 0) > tapped.nodes.total, 'the linked node file was read too (the same node twice)')
  })

  it('is the summary of the archive of the real sample, whether files are kept from the stream or read again afterwards', { skip: !existsSync(SAMPLE) && 'no ../shared/samples' }, async () => {
    const parent = join(dir, 'sample')
    mkdirSync(parent)
    execFileSync('tar', ['-xJf', SAMPLE, '-C', parent])
    const kept = await bothSummaries(parent, 'must-gather-aws')
    assert.deepEqual(kept.tapped, kept.fromArchive)
    assert.ok(kept.prepared > 20, `${kept.prepared} resource files parsed from the stream`)
    assert.ok(kept.tapped.pods.total > 100 && kept.tapped['cluster-operators'].total > 20, 'the sample\'s pods and operators')

    // Nothing kept (no room): every file is read from the directory afterwards, to the same result.
    const none = await bothSummaries(parent, 'must-gather-aws', { maxHeldBytes: 0 })
    assert.equal(none.prepared, 0)
    assert.deepEqual(none.tapped, kept.tapped)
  })

  it('parses nothing more from the stream once its signal is aborted, and the packer stops with it', async () => {
    await makeTree(dir, 'stopped', { sizeBytes: 1024 * 1024, files: 100 })
    const controller = new AbortController()
    const tap = new TappedTreeSource({ directory: new DirectoryTreeSource(join(dir, 'stopped')), signal: controller.signal })
    // Aborted as the first resource file kept from the stream is handed over, before it is parsed.
    const handOver = tap.onData.bind(tap)
    let handed = 0
    tap.onData = (entry, data) => {
      handOver(entry, data)
      if (!entry.path.endsWith('.yaml')) return
      handed++
      controller.abort(new Error('shutting down'))
    }
    await assert.rejects(packDirectory({ parent: dir, dirName: 'stopped', target: join(dir, 'stopped.tar.gz'), signal: controller.signal, tap }))
    assert.ok(handed >= 1, 'a resource file was handed over before the abort')
    assert.equal((await tap.prepared()).size, 0)
  })
})
