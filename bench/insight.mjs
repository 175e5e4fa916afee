// @ts-check
// Issue 14: "Index and summary together add at most 20 % to the time from oc's
// exit to `completed` for the 315 MB, 20,000-file tree."
//
// Measured on the real service (dist/server.js) with the simulator
// (size-300m_files-20000). `oc` is a wrapper around the simulator that notes
// the time of the simulator's exit (date +%s%N); `completed` is the time of
// the service's "Gathering finished." log line (pino's time, written once the
// final state is in the database). The service keeps the gathered files
// (KEEP_GATHERED_FILES), and the same tree, in the page cache as it was for
// the service, is then handled in a process of its own the way the service
// would without index and summary: look for an image's own archive and for
// any file (dist/gatherings/archive.js), then pack with the same packer with
// header parsing and the .idx skipped (dist/archive/pack.js, indexing: false).
// The previous packer's pipeline (nice tar | nice pigz | tee | sha256sum) on
// the same tree is noted beside it.
//
// The service packs and summarizes on a thread of its own (src/archive/pack-thread.ts),
// one kept between runs (src/archive/pack-threads.ts): the first round finds its
// code not yet compiled, the others do not; the reference packs on its process's
// main thread.
//
// The figure is the median of 5 rounds (service and reference alike), not the
// best: the service's rounds once split into fast and slow ones (full garbage
// collections in its heap while packing), and a best-of-3 showed the fast one.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { fmt, IMAGE, median, post, removeTempDir, root, row, startService, tempDir, waitFor, which } from './lib.mjs'
import { PIGZ_PIPELINE, shell } from './pack.mjs'

const ROUNDS = 5
const TAG = 'size-300m_files-20000'

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function insightBench (ctx) {
  const dir = tempDir('mgs-bench-insight-')
  const exits = join(dir, 'oc-exits')
  const oc = join(dir, 'oc')
  // The service starts oc in a process group of its own and waits for it: the wrapper's exit is the simulator's, plus a `date`.
  writeFileSync(oc, `#!/bin/sh\n${JSON.stringify(join(root, 'simulator', 'oc'))} "$@"\nstatus=$?\n${which('date') ?? 'date'} +%s%N >> ${JSON.stringify(exits)}\nexit $status\n`, { mode: 0o755 })
  const baselineScript = join(dir, 'baseline.mjs')
  const dist = (/** @type {string} */ path) => JSON.stringify(pathToFileURL(join(root, 'dist', ...path.split('/'))).href)
  writeFileSync(baselineScript, `const { findFile, hasAnyFile } = await import(${dist('gatherings/archive.js')})
const { packDirectory } = await import(${dist('archive/pack.js')})
const [parent, dirName, target] = process.argv.slice(2)
const started = performance.now()
const destination = parent + '/' + dirName
if (await findFile(destination, 'must-gather.tar.gz') !== undefined || !(await hasAnyFile(destination))) throw new Error('not the simulator tree')
await packDirectory({ parent, dirName, target, signal: new AbortController().signal, indexing: false })
console.log((performance.now() - started) / 1000)
`)
  const service = await startService({ dir, env: { OC_PATH: oc, KEEP_GATHERED_FILES: 'true', MAX_CONCURRENT: '1' } })
  try {
    /** @type {number[]} */ const withInsight = []
    /** @type {number[]} */ const without = []
    /** @type {number[]} */ const pigzTimes = []
    const pigz = which('pigz')
    let archiveSize = 0
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`insight: round ${i + 1} of ${ROUNDS}: a service run of ${TAG}`)
      const created = await post(service.url, { image: `${IMAGE}:${TAG}` })
      const done = await waitFor(service.url, created.id, { intervalMs: 200 })
      if (done.status !== 'completed') throw new Error(`execution ${created.id} ended ${done.status}: ${done['error-message'] ?? ''}`)
      archiveSize = done['archive-size']
      const ocExit = Number((readFileSync(exits, 'utf8').trim().split('\n').at(-1) ?? '').trim()) / 1e6
      const finished = readFileSync(service.logFile, 'utf8').split('\n').filter((line) => line.includes('"Gathering finished."'))
        .map((line) => JSON.parse(line)).find((entry) => entry.id === created.id)
      if (finished === undefined || !(ocExit > 0)) throw new Error(`no oc exit or no "Gathering finished." for ${created.id}`)
      withInsight.push((finished.time - ocExit) / 1000)

      const parent = join(service.dataDir, String(created.id))
      const dirName = `must-gather.local.${created.id}`
      const target = join(dir, 'baseline.tar.gz')
      const baseline = async () => {
        rmSync(target, { force: true })
        without.push((await shell('"$4" "$5" "$1" "$2" "$3"', [parent, dirName, target, process.execPath, baselineScript])).seconds)
      }
      const previous = async () => {
        if (pigz !== undefined) pigzTimes.push((await shell(PIGZ_PIPELINE, [parent, dirName, join(dir, 'pigz.tar.gz')])).seconds)
      }
      if (i % 2 === 0) { await baseline(); await previous() } else { await previous(); await baseline() }
      ctx.log(`insight: oc exit → completed ${fmt(withInsight.at(-1) ?? 0, 2)} s; without index and summary ${fmt(without.at(-1) ?? 0, 2)} s`)
      // The next run's tree replaces this one (the disk holds one at a time).
      rmSync(parent, { recursive: true, force: true })
    }
    const best = (/** @type {number[]} */ values) => Math.min(...values)
    const ratio = median(withInsight) / median(without)
    return [row({
      group: 14,
      bench: '14. oc exit → completed, index + summary',
      figure: `${fmt(median(withInsight), 2)} s`,
      reference: `${fmt(median(without), 2)} s (same, no index, no summary)`,
      ratio: fmt(ratio, 2),
      target: '≤ 1.20',
      met: ratio <= 1.2 ? 'yes' : 'NO',
      note: `the service (simulator ${TAG}, archive ${fmt(archiveSize / 1e6)} MB): from the simulator's exit (a wrapper's date +%s%N) to the "Gathering finished." log line ` +
        '(final state written); reference: the same tree in a process of its own, warm page cache, as the service handles it minus index and summary ' +
        '(findFile + hasAnyFile, then dist/archive/pack.js with indexing: false: no tar header parsing, no .idx); ' +
        `median of ${ROUNDS} rounds (each: a service run, then the reference and the pigz pipeline in alternating order; ` +
        `best against best ${fmt(best(withInsight) / best(without), 2)}); rounds: ` +
        `${withInsight.map((s, i) => `${fmt(s, 2)}/${fmt(without[i] ?? 0, 2)}`).join(', ')} s` +
        (pigz !== undefined ? `; the previous packer's pipeline (nice tar | nice pigz | tee | sha256sum) on the same tree ${fmt(median(pigzTimes), 2)} s (service ${fmt(median(withInsight) / median(pigzTimes), 2)} of it)` : '')
    })]
  } finally {
    await service.stop()
    removeTempDir(dir)
  }
}
