// @ts-check
// 1. Packing: the service's own packer (dist/gatherings/archive.js: system tar,
// pigz when installed, sha256 while writing) against `tar -czf` of the same
// generated must-gather tree, both with a warm page cache.
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { writeGatherTree } from '../simulator/tree.mjs'
import { fmt, MiB, removeTempDir, root, row, run, tempDir } from './lib.mjs'

const TREE_BYTES = 300 * MiB
const TREE_FILES = 20_000
/** Best of 3: on a shared machine noise only ever adds time. */
const ROUNDS = 3

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function packBench (ctx) {
  // A computed specifier: dist/ exists only after the build.
  const archiveModule = pathToFileURL(join(root, 'dist', 'gatherings', 'archive.js')).href
  const { packDirectory, findPigz } = await import(archiveModule)
  const dir = tempDir('mgs-bench-pack-')
  try {
    const dirName = 'must-gather.local.1'
    const tree = join(dir, dirName)
    ctx.log(`generating a ${TREE_BYTES / MiB} MiB must-gather tree of ${fmt(TREE_FILES)} files`)
    const stats = { bytes: 0, files: 0 }
    const spec = { sizeBytes: TREE_BYTES, files: TREE_FILES, seed: 'bench-pack', timestampText: '2026-11-25 10:14:15.278 +0000 UTC\n', archive: false }
    // The simulator's own generator (simulator/tree.mjs): namespaces/, pods/…/logs, YAML lists, multi-MiB logs.
    const writing = writeGatherTree(join(tree, 'quay-io-must-gather-service-simulator-sha256-bench'), spec, stats)
    while (!(await writing.next()).done);
    const entries = readdirSync(tree, { recursive: true, encoding: 'utf8' })
    const expectedEntries = entries.length + 1 // tar lists the top directory too
    const depth = Math.max(...entries.map((e) => e.split('/').length)) + 1
    const bigLogs = entries.filter((e) => e.endsWith('.log') && statSync(join(tree, e)).size >= 4 * MiB).length
    const what = `${fmt(stats.bytes / 1e6)} MB, ${fmt(stats.files)} files (${bigLogs} logs ≥ 4 MiB), ${fmt(expectedEntries - stats.files)} dirs, depth ${depth}`
    ctx.log(`tree: ${what}`)

    // Warm the page cache (through a pipe: with /dev/null as the archive GNU tar reads nothing).
    await run('tar', ['-C', dir, '-cf', '-', dirName], { stdout: 'drain' })

    const env = { PATH: process.env.PATH, LC_ALL: 'C' }
    const refOut = join(dir, 'reference.tar.gz')
    const svcOut = join(dir, 'service.tar.gz')
    const reference = async () => {
      rmSync(refOut, { force: true })
      return (await run('tar', ['-C', dir, '-czf', refOut, dirName], { env })).seconds
    }
    const service = async () => {
      rmSync(svcOut, { force: true })
      const started = performance.now()
      await packDirectory({ parent: dir, dirName, target: svcOut, signal: new AbortController().signal })
      return (performance.now() - started) / 1000
    }
    /** @type {number[]} */ const refTimes = []
    /** @type {number[]} */ const svcTimes = []
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`packing, round ${i + 1} of ${ROUNDS}`)
      // a b b a: drift on a shared machine hits both alike.
      if (i % 2 === 0) {
        refTimes.push(await reference())
        svcTimes.push(await service())
      } else {
        svcTimes.push(await service())
        refTimes.push(await reference())
      }
    }
    const count = async (/** @type {string} */ file) => (await run('tar', ['-tzf', file], { env })).stdout.split('\n').filter(Boolean).length
    const [refCount, svcCount] = [await count(refOut), await count(svcOut)]
    if (refCount !== expectedEntries || svcCount !== expectedEntries) {
      throw new Error(`archive entries: tar -czf ${refCount}, service ${svcCount}, tree ${expectedEntries}`)
    }
    const svc = Math.min(...svcTimes)
    const ref = Math.min(...refTimes)
    const ratio = svc / ref
    const compressor = findPigz() !== undefined ? 'tar + pigz, 2 cores' : 'tar + gzip (no pigz)'
    return [row({
      group: 1,
      bench: `1. pack a ${fmt(stats.bytes / 1e6)} MB tree`,
      figure: `${fmt(svc, 2)} s`,
      reference: `${fmt(ref, 2)} s (tar -czf)`,
      ratio: fmt(ratio, 2),
      target: '≤ 1.0 (aim ≤ 0.6)',
      met: ratio <= 0.6 ? 'yes (≤ 0.6 too)' : ratio <= 1 ? 'yes (aim ≤ 0.6: no)' : 'NO',
      note: `${what}, written by the simulator's generator; the service's packer (${compressor}, sha256 while writing) imported from dist/ ` +
        `vs GNU tar -czf, warm page cache, best of ${ROUNDS} alternating rounds; both archives ${fmt(statSync(svcOut).size / 1e6)} / ` +
        `${fmt(statSync(refOut).size / 1e6)} MB and ${fmt(svcCount)} entries (tar -tzf)`
    })]
  } finally {
    removeTempDir(dir)
  }
}
