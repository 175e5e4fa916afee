// @ts-check
// The API stays responsive while packing: GET /must-gather/:id at a steady
// pace while the service packs a real ~300 MiB execution (simulator tag
// size-300m, 20,000 files), against the same load on the idle service.
import { fmt, getGathering, IMAGE, load, met, mibText, PeakRss, post, row, waitFor } from './lib.mjs'

const RATE = 200
const CONNECTIONS = 10
const MAX_P99_MS = 50

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function responsiveBench (ctx) {
  const { service, sampleId } = await ctx.main()
  const target = { url: `${service.url}/must-gather/${sampleId}`, connections: CONNECTIONS, overallRate: RATE }
  await load({ ...target, duration: 1 })
  const idle = await load({ ...target, duration: 5 })

  ctx.log('an execution gathering 300 MiB in 20,000 files; load starts when it is packing')
  const g = await post(service.url, { image: `${IMAGE}:size-300m_files-20000` })
  await waitFor(service.url, g.id, { intervalMs: 50, until: (x) => x.phase === 'packing' || x.status === 'completed' || x.status === 'error' })
  const peak = new PeakRss(service.pid)
  const started = performance.now()
  /** @type {Record<string, any> | undefined} */
  let finished
  const during = await load({ ...target, duration: 300 }, {
    stopWhen: (stop) => {
      waitFor(service.url, g.id, { intervalMs: 50 }).then((done) => {
        finished = done
        stop()
      }, stop)
    }
  })
  const packSeconds = (performance.now() - started) / 1000
  const done = finished ?? await getGathering(service.url, g.id)
  if (done.status !== 'completed') throw new Error(`size-300m execution: ${done.status} ${done['error-message']}`)
  if (during.requests < RATE) throw new Error(`only ${during.requests} requests while packing (${fmt(packSeconds, 1)} s): too short to tell`)
  return [row({
    group: 5.5,
    bench: 'GET /must-gather/:id while packing 300 MiB',
    figure: `p99 ${fmt(during.p99)} ms, p50 ${fmt(during.p50)} ms${during.errors > 0 ? ` (${during.errors} errors)` : ''}`,
    reference: `p99 ${fmt(idle.p99)} ms, p50 ${fmt(idle.p50)} ms (idle)`,
    ratio: idle.p99 > 0 ? fmt(during.p99 / idle.p99, 2) : '—',
    target: `p99 < ${MAX_P99_MS} ms`,
    met: met(during.p99 < MAX_P99_MS && during.errors === 0),
    rss: mibText(peak.peak()),
    note: `autocannon paced at ${RATE} req/s over ${CONNECTIONS} connections for as long as a real execution (simulator tag size-300m_files-20000) ` +
      `was in its packing phase (find, pack + index + summary on a thread of its own, rm -rf of the tree): ${fmt(packSeconds, 1)} s, ${fmt(during.requests)} requests, archive ${fmt(done['archive-size'] / 1e6)} MB; ` +
      'reference: the same load for 5 s on the idle service just before'
  })]
}
