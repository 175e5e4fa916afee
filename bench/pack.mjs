// @ts-check
// 1. Packing (issue 14's targets): the service's packer, dist/archive/pack.js
// (GNU tar for the tar stream, blocks gzip'd on worker threads, sha256 and the
// index while writing), against `tar -czf` of the same generated must-gather
// tree, and against the previous packer's pipeline, `tar | pigz` (run here as
// a shell pipeline, when pigz is installed), both with a warm page cache.
// Wall time and CPU (every process each one ran), and the archives' sizes.
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { benchTree } from './fixtures.mjs'
import { fmt, MiB, removeTempDir, root, row, run, tempDir, which } from './lib.mjs'

/** Best of 3: on a shared machine noise only ever adds time. */
const ROUNDS = 3
/** The previous packer's pipeline (src/gatherings/archive.ts until issue 14): $1 parent, $2 directory, $3 archive. */
export const PIGZ_PIPELINE = 'nice -n 10 tar -C "$1" -cf - "$2" | nice -n 10 pigz | tee "$3" | sha256sum > /dev/null'

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function packBench (ctx) {
  const dir = tempDir('mgs-bench-pack-')
  try {
    const { dirName, tree, stats } = await benchTree(dir, ctx.log)
    const entries = readdirSync(tree, { recursive: true, encoding: 'utf8' })
    const expectedEntries = entries.length + 1 // tar lists the top directory too
    const depth = Math.max(...entries.map((e) => e.split('/').length)) + 1
    const bigLogs = entries.filter((e) => e.endsWith('.log') && statSync(join(tree, e)).size >= 4 * MiB).length
    const what = `${fmt(stats.bytes / 1e6)} MB, ${fmt(stats.files)} files (${bigLogs} logs ≥ 4 MiB), ${fmt(expectedEntries - stats.files)} dirs, depth ${depth}`
    ctx.log(`tree: ${what}`)

    // The service's packer never runs pigz: it is run with a PATH that has none, to be sure.
    const noPigz = join(dir, 'bin-without-pigz')
    mkdirSync(noPigz)
    for (const program of ['tar', 'nice', 'sh']) {
      const path = which(program)
      if (path !== undefined) symlinkSync(path, join(noPigz, program))
    }
    const pigz = which('pigz')
    // In a process of its own, so that its CPU (worker threads and tar included) can be counted.
    const packScript = join(dir, 'pack.mjs')
    writeFileSync(packScript, `const { packDirectory } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'archive', 'pack.js')).href)})
const [parent, dirName, target] = process.argv.slice(2)
const started = performance.now()
await packDirectory({ parent, dirName, target, signal: new AbortController().signal })
console.log((performance.now() - started) / 1000)
`)

    // Warm the page cache (through a pipe: with /dev/null as the archive GNU tar reads nothing).
    await run('tar', ['-C', dir, '-cf', '-', dirName], { stdout: 'drain' })

    const out = (/** @type {string} */ name) => {
      const path = join(dir, name)
      rmSync(path, { force: true })
      rmSync(`${path}.idx`, { force: true })
      return path
    }
    /** @type {Record<string, () => Promise<Measured>>} */
    const packers = {
      reference: () => shell('tar -C "$1" -czf "$3" "$2"', [dir, dirName, out('reference.tar.gz')]),
      // Wall time measured inside the process (Node's start-up excluded); CPU from the shell, start-up included.
      blocked: () => shell('"$4" "$5" "$1" "$2" "$3"', [dir, dirName, out('blocked.tar.gz'), process.execPath, packScript], { PATH: noPigz }),
      // The previous packer: tar's stream through pigz, both at niceness 10 (as the service ran them, and as its
      // packer runs tar and its compressing threads now), the sha256 taken while it is written.
      ...(pigz !== undefined && { pigz: () => shell(PIGZ_PIPELINE, [dir, dirName, out('pigz.tar.gz')]) })
    }
    /** @type {Record<string, Measured[]>} */
    const results = Object.fromEntries(Object.keys(packers).map((name) => [name, []]))
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`packing, round ${i + 1} of ${ROUNDS}`)
      // a b c, c b a: drift on a shared machine hits each alike.
      const order = i % 2 === 0 ? Object.keys(packers) : Object.keys(packers).reverse()
      for (const name of order) results[name]?.push(await /** @type {() => Promise<Measured>} */ (packers[name])())
    }
    const best = (/** @type {string} */ name) => Math.min(...(results[name] ?? []).map((r) => r.seconds))
    const leastCpu = (/** @type {string} */ name) => Math.min(...(results[name] ?? []).map((r) => r.cpu))
    const env = { PATH: process.env.PATH, LC_ALL: 'C' }
    const listed = (/** @type {string} */ file) => execFileSync('tar', ['-tzf', file], { env, maxBuffer: 64 * MiB }).toString()
    const refList = listed(join(dir, 'reference.tar.gz'))
    const refCount = refList.split('\n').filter(Boolean).length
    if (refCount !== expectedEntries) throw new Error(`tar -czf's archive lists ${refCount} entries, the tree has ${expectedEntries}`)
    if (listed(join(dir, 'blocked.tar.gz')) !== refList) throw new Error('the blocked archive lists other entries than tar -czf\'s')

    const ref = best('reference')
    const blocked = best('blocked')
    const ratio = blocked / ref
    const pigzRatio = pigz !== undefined ? best('pigz') / ref : undefined
    const keepsPigz = pigzRatio === undefined || ratio <= pigzRatio
    const rounds = `best of ${ROUNDS} rounds, alternating`
    const refSize = statSync(join(dir, 'reference.tar.gz')).size
    const blockedSize = statSync(join(dir, 'blocked.tar.gz')).size
    const cpuText = (/** @type {string} */ name) => `${fmt(leastCpu(name), 2)} s`
    return [
      row({
        group: 1,
        bench: `1. pack a ${fmt(stats.bytes / 1e6)} MB tree`,
        figure: `${fmt(blocked, 2)} s`,
        reference: `${fmt(ref, 2)} s (tar -czf)`,
        ratio: fmt(ratio, 2),
        target: `≤ 1.0, and ≤ tar + pigz's${pigzRatio !== undefined ? ` (${fmt(pigzRatio, 2)})` : ''}`,
        met: ratio <= 1 && keepsPigz ? 'yes' : ratio <= 1 ? 'yes (≤ 1.0), NO (slower than tar + pigz)' : 'NO',
        note: `${what}, written by the simulator's generator; the service's packer (dist/archive/pack.js: GNU tar, ${availableParallelism()} compressing threads, ` +
          'sha256 and index while writing; run with a PATH without pigz) vs GNU tar -czf' +
          (pigz !== undefined ? ` and tar + pigz (the previous packer's pipeline: nice tar -cf - | nice pigz | tee archive | sha256sum) ${fmt(best('pigz'), 2)} s` : ' (no pigz on this machine)') +
          `, warm page cache, ${rounds}; tar -tzf lists the same ${fmt(refCount)} entries in both archives`
      }),
      row({
        group: 1,
        bench: '1. pack, CPU of every process',
        figure: cpuText('blocked'),
        reference: `${cpuText('reference')} (tar -czf)`,
        ratio: fmt(leastCpu('blocked') / leastCpu('reference'), 2),
        note: 'user + system CPU of the packer and its children (tar), least of the rounds; the service\'s packer counts Node\'s start-up (~0.1 s) too' +
          (pigz !== undefined ? `; tar + pigz ${cpuText('pigz')} (${fmt(leastCpu('pigz') / leastCpu('reference'), 2)})` : '')
      }),
      row({
        group: 1,
        bench: '1. blocked archive size',
        figure: `${fmt(blockedSize / 1e6, 1)} MB`,
        reference: `${fmt(refSize / 1e6, 1)} MB (tar -czf)`,
        ratio: fmt(blockedSize / refSize, 3),
        target: '≤ 1.05',
        met: blockedSize / refSize <= 1.05 ? 'yes' : 'NO',
        note: `index ${fmt(statSync(join(dir, 'blocked.tar.gz.idx')).size / 1e3)} kB beside it` +
          (pigz !== undefined ? `; tar + pigz ${fmt(statSync(join(dir, 'pigz.tar.gz')).size / 1e6, 1)} MB` : '')
      })
    ]
  } finally {
    removeTempDir(dir)
  }
}

/** @typedef {{ seconds: number, cpu: number }} Measured */

/**
 * Runs a shell script and measures it: wall time (or the seconds the script
 * prints, when it prints a number), and the user + system CPU of every
 * process it ran (the shell's `times`: children waited for, theirs included).
 * @param {string} script
 * @param {string[]} args $1…
 * @param {Record<string, string>} [env]
 * @returns {Promise<Measured>}
 */
export async function shell (script, args, env = {}) {
  const { seconds, stdout } = await run('sh', ['-c', `${script} && times`, 'sh', ...args], { env: { PATH: process.env.PATH, LC_ALL: 'C', ...env } })
  const lines = stdout.trim().split('\n')
  // The last two lines are the shell's times and its children's: 0m1.230000s 0m0.120000s
  const children = [...(lines.at(-1) ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]))
  if (children.length !== 2) throw new Error(`unexpected output of times: ${stdout}`)
  const printed = lines.length > 2 ? Number(lines.at(-3)) : NaN
  return { seconds: Number.isFinite(printed) ? printed : seconds, cpu: (children[0] ?? 0) + (children[1] ?? 0) }
}
