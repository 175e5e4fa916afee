// @ts-check
// 5. Service CPU per 10,000 lines of oc output: executions whose pod prints
// 20,000 and 200,000 lines (simulator tags lines-N), the service process's own
// utime + stime from /proc before and after each. A 10-line execution of the
// same scenario is the per-execution baseline (spawn, records, packing), so
// what is left is what the lines cost.
import { cpuSeconds, fmt, IMAGE, met, mibText, PeakRss, post, row, waitFor } from './lib.mjs'

const BASE_LINES = 10
const ROUNDS = 3

/**
 * CPU seconds the service spends on one execution with `lines` POD lines.
 * @param {import('./lib.mjs').Service} service @param {number} lines
 */
async function cpuOf (service, lines) {
  const before = cpuSeconds(service.pid)
  const g = await post(service.url, { image: `${IMAGE}:lines-${lines}` })
  const done = await waitFor(service.url, g.id, { intervalMs: 250 })
  if (done.status !== 'completed') throw new Error(`lines-${lines}: ${done.status} ${done['error-message']}`)
  return { cpu: cpuSeconds(service.pid) - before, outputBytes: /** @type {number} */ (done.progress['output-bytes']) }
}

/** @param {number[]} values */
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function linesBench (ctx) {
  const { service } = await ctx.main()
  await cpuOf(service, 20_000) // warm-up
  const peak = new PeakRss(service.pid)
  /** @type {Record<number, number[]>} */
  const cpu = { [BASE_LINES]: [], 20_000: [], 200_000: [] }
  /** @type {Record<number, number>} */
  const bytes = {}
  for (let i = 0; i < ROUNDS; i++) {
    ctx.log(`lines, round ${i + 1} of ${ROUNDS}`)
    for (const lines of [BASE_LINES, 20_000, 200_000]) {
      const r = await cpuOf(service, lines)
      cpu[lines]?.push(r.cpu)
      bytes[lines] = r.outputBytes
    }
  }
  const base = mean(cpu[BASE_LINES] ?? [])
  const per10k = (/** @type {number} */ lines) => (mean(cpu[lines] ?? []) - base) / (lines / 10_000)
  const small = per10k(20_000)
  const large = per10k(200_000)
  const ratio = large / small
  const rss = mibText(peak.peak())
  const detail = (/** @type {number} */ lines) =>
    `${fmt(mean(cpu[lines] ?? []), 2)} s a run (${fmt((bytes[lines] ?? 0) / 1e6, 1)} MB of output)`
  return [
    row({
      group: 5,
      bench: '5. CPU per 10k lines, 20,000-line run',
      figure: `${fmt(small, 3)} s`,
      rss
    }),
    row({
      group: 5,
      bench: '5. CPU per 10k lines, 200,000-line run',
      figure: `${fmt(large, 3)} s`,
      reference: `${fmt(small, 3)} s (20,000 lines)`,
      ratio: fmt(ratio, 2),
      target: 'flat (≤ 1.2)',
      met: met(ratio <= 1.2),
      rss,
      note: `the service process's utime + stime (/proc/<pid>/stat) over an execution with simulator tag lines-N, minus a ${BASE_LINES}-line ` +
        `execution's ${fmt(base, 2)} s (spawn, records, packing), per 10,000 lines; mean of ${ROUNDS} each: 20,000 lines ${detail(20_000)}, ` +
        `200,000 lines ${detail(200_000)}`
    })
  ]
}
