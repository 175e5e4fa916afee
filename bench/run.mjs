#!/usr/bin/env node
// @ts-check
// The benchmark suite (`npm run bench`, which builds first):
//
//   node bench/run.mjs                  every benchmark
//   node bench/run.mjs get list         only those (names below)
//   node bench/run.mjs --list           the names
//
// Each figure is printed next to a reference measured in the same invocation
// (GNU tar, nginx, a minimal Fastify app, …) and their ratio, since absolute
// times on a shared machine say little. Prints figures; asserts nothing.
// Everything runs on 127.0.0.1; temporary files and processes are removed at
// the end, also on failure.
import { archiveBench } from './archive.mjs'
import { consoleBench } from './console.mjs'
import { coreBench } from './core.mjs'
import { downloadBench } from './download.mjs'
import { getBench, listBench } from './api.mjs'
import { insightBench } from './insight.mjs'
import { seededService } from './fixtures.mjs'
import { linesBench } from './lines.mjs'
import { cleanupSync, GiB, machine, mibText, rssMiB, row, sleep, table } from './lib.mjs'
import { packBench } from './pack.mjs'
import { redactBench } from './redact.mjs'
import { responsiveBench } from './responsive.mjs'
import { startupBench } from './startup.mjs'
import { summaryBench } from './summary.mjs'
import { storeBench } from './store.mjs'

/** @type {Record<string, { about: string, run: (ctx: import('./lib.mjs').Context) => Promise<import('./lib.mjs').Row[]> }>} */
const BENCHMARKS = {
  pack: { about: 'packing a 300 MiB / 20,000-file tree vs tar -czf and tar | pigz: time, CPU, size', run: packBench },
  archive: { about: 'issue 14: indexing existing archives vs tar -czf, 10 KB read of a 1 GiB archive, 1,000-entry listing', run: archiveBench },
  insight: { about: 'issue 14: oc exit → completed of a 315 MB / 20,000-file run vs the same without index and summary', run: insightBench },
  download: { about: '1 GiB download (1 and 10 clients) vs nginx, RSS growth', run: downloadBench },
  get: { about: 'GET /must-gather/:id at 50 connections vs a minimal Fastify route', run: getBench },
  list: { about: 'GET /must-gather with 1,000 and 100,000 records, with and without limit', run: listBench },
  lines: { about: 'service CPU seconds per 10,000 output lines, 20,000- and 200,000-line runs', run: linesBench },
  responsive: { about: 'GET /must-gather/:id p99 while a 300 MiB execution is packing', run: responsiveBench },
  startup: { about: 'time to ready with 10,000 records vs a minimal Fastify app', run: startupBench },
  summary: { about: 'cluster summary of a 300 MiB / 20,000-file tree vs tar -czf; one 32 MiB pods.yaml', run: summaryBench },
  redact: { about: 'redacting a 300 MiB / 20,000-file tree (default rules) vs tar -czf, peak RSS growth', run: redactBench },
  core: { about: 'issue-2 figures: POST → completed for 20,000 lines / 200 MB; RSS after 100 executions', run: coreBench },
  console: { about: 'web console in headless Chromium: executions visible (1,000 records), first-load bytes, idle-tab CPU', run: consoleBench },
  store: { about: 'GET /must-gather/:id and the 1,000-record list on PostgreSQL vs SQLite (issue 16)', run: storeBench },
}

const args = process.argv.slice(2)
if (args.includes('--list') || args.includes('--help')) {
  for (const [name, { about }] of Object.entries(BENCHMARKS)) console.log(`${name.padEnd(11)} ${about}`)
  process.exit(0)
}
const unknown = args.filter((name) => !(name in BENCHMARKS))
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`)
  process.exit(2)
}
const selected = args.length > 0 ? Object.keys(BENCHMARKS).filter((name) => args.includes(name)) : Object.keys(BENCHMARKS)

const started = Date.now()
const log = (/** @type {string} */ message) => process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`)

/** @type {import('./lib.mjs').Row[]} */
const rows = []
/** @param {import('./lib.mjs').Row} r */
const report = (r) => {
  rows.push(r)
  log(`${r.bench}: ${r.figure} | ${r.reference} | ratio ${r.ratio} | target ${r.target} | ${r.met}`)
}

/** @type {Promise<import('./fixtures.mjs').SeededService> | undefined} */
let main
/** @type {import('./lib.mjs').Context} */
const ctx = {
  log,
  report,
  main: () => {
    main ??= (async () => {
      const bigArchive = selected.includes('download') ? GiB : undefined
      log(`starting the service with 1,000 records${bigArchive !== undefined ? ' and a 1 GiB archive' : ''}`)
      const seeded = await seededService({ records: 1000, bigArchive, log })
      await sleep(1000)
      idleAtStart = rssMiB(seeded.service.pid)
      return seeded
    })()
    return main
  }
}
let idleAtStart = 0

let failed = false
try {
  for (const name of selected) {
    const bench = /** @type {(typeof BENCHMARKS)[string]} */ (BENCHMARKS[name])
    log(`${name}: ${bench.about}`)
    try {
      for (const r of await bench.run(ctx)) report(r)
    } catch (error) {
      failed = true
      log(`${name} FAILED: ${/** @type {Error} */ (error).stack}`)
      report(row({ group: 99, bench: name, figure: `failed: ${/** @type {Error} */ (error).message.split('\n')[0]}`, met: 'NO' }))
    }
  }
  const seeded = await main?.catch(() => undefined)
  if (seeded !== undefined) {
    const { service } = seeded
    await sleep(5000)
    const after = rssMiB(service.pid)
    report(row({
      group: 6,
      bench: '6. idle RSS after, 1,000-record service',
      figure: mibText(after),
      reference: `${mibText(idleAtStart)} (idle after start)`,
      ratio: (after / idleAtStart).toFixed(2),
      note: `RSS 5 s after the last of ${selected.filter((name) => !['pack', 'core'].includes(name)).join(', ')} ran against it`
    }))
    await service.stop()
  }
} finally {
  cleanupSync()
}

const minutes = ((Date.now() - started) / 60000).toFixed(1)
console.log(`\nmust-gather-service benchmarks — ${new Date().toISOString().slice(0, 10)}, ${machine()}; ` +
  `command: node bench/run.mjs ${args.join(' ')}`.trimEnd() + `; took ${minutes} min\n`)
console.log(table(rows))
process.exitCode = failed ? 1 : 0
