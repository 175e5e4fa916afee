#!/usr/bin/env node
// @ts-check
// Figures for the core service (issue 2), measured against the real service
// process with the oc simulator: time from POST to `completed` for a
// 20,000-line / 200 MB gather, and the service's resident memory after 100
// executions. Part of the suite (`node bench/run.mjs core`), and runnable on
// its own: `node bench/core.mjs` (after `npm run build`).
// Prints figures; asserts nothing (timings belong here, not in tests).
import { pathToFileURL } from 'node:url'

import { cleanupSync, cpuSeconds, fmt, IMAGE, mibText, PeakRss, post, removeTempDir, row, rssMiB, sleep, startService, waitFor } from './lib.mjs'

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function coreBench (ctx) {
  const service = await startService({ env: { MAX_CONCURRENT: '4' } })
  const { url, pid } = service
  try {
    ctx.log('core: one execution of 20,000 lines / 200 MB')
    const idleRss = rssMiB(pid)
    const cpuBefore = cpuSeconds(pid)
    let peak = new PeakRss(pid)
    const started = performance.now()
    const big = await post(url, { image: `${IMAGE}:lines-20000_size-200m` })
    const done = await waitFor(url, big.id, { intervalMs: 50 })
    const seconds = (performance.now() - started) / 1000
    const cpu = cpuSeconds(pid) - cpuBefore
    const bigPeak = peak.peak()
    ctx.log(`20,000 lines / 200 MB: POST → ${done.status} in ${seconds.toFixed(1)} s; archive ${(done['archive-size'] / 1e6).toFixed(0)} MB; ` +
      `service CPU ${cpu.toFixed(2)} s; RSS ${rssMiB(pid).toFixed(0)} MiB`)

    ctx.log('core: 100 executions, 4 at a time')
    peak = new PeakRss(pid)
    const ids = []
    for (let i = 0; i < 100; i++) ids.push((await post(url, { image: `${IMAGE}:v1`, 'custom-name': `bench-${i}` })).id)
    for (const id of ids) await waitFor(url, id, { intervalMs: 50 })
    const manyPeak = peak.peak()
    await sleep(2000)
    const after = rssMiB(pid)
    ctx.log(`100 executions: service RSS idle before ${idleRss.toFixed(0)} MiB, peak ${manyPeak.toFixed(0)} MiB, after ${after.toFixed(0)} MiB`)
    return [
      row({
        group: 7,
        bench: 'issue 2: POST → completed, 20,000 lines / 200 MB',
        figure: `${fmt(seconds, 1)} s, service CPU ${fmt(cpu, 2)} s`,
        rss: mibText(bigPeak),
        note: `simulator tag lines-20000_size-200m on a fresh service; the simulator's gathering is included; archive ${fmt(done['archive-size'] / 1e6)} MB`
      }),
      row({
        group: 7,
        bench: 'issue 2: RSS after 100 executions',
        figure: mibText(after),
        reference: `${mibText(idleRss)} (idle after start)`,
        ratio: fmt(after / idleRss, 2),
        rss: mibText(manyPeak),
        note: '100 normal executions (4 at a time), RSS 2 s after the last one'
      })
    ]
  } finally {
    await service.stop()
    removeTempDir(service.dir)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await coreBench({
      log: (message) => console.log(message),
      report: () => {},
      main: () => Promise.reject(new Error('core.mjs uses its own service'))
    })
  } finally {
    cleanupSync()
  }
}
