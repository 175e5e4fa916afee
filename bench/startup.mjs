// @ts-check
// Issue 5: "ready in well under a second with 10,000 records". Time from
// spawning the process until GET /readyz answers 200, against a minimal
// Fastify 5 app (bench/reference-server.mjs) until its one route answers:
// the floor that Node and Fastify themselves set on this machine.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { seededService } from './fixtures.mjs'
import { fmt, freePort, met, root, row, sleep, spawnTracked, stopChild } from './lib.mjs'

const RECORDS = 10_000
const ROUNDS = 5

/**
 * Milliseconds from spawn until `path` on `port` answers 200 (polled every 5 ms).
 * @param {string[]} args node arguments @param {NodeJS.ProcessEnv} env @param {number} port @param {string} path
 */
async function timeToReady (args, env, port, path) {
  const started = performance.now()
  const child = spawnTracked(process.execPath, args, { env, stdio: 'ignore' })
  try {
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status, () => 0)
      if (status === 200) return performance.now() - started
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
      if (performance.now() - started > 30_000) throw new Error(`${path} not ready after 30 s`)
      await sleep(5)
    }
  } finally {
    await stopChild(child)
  }
}

/** @param {number[]} values */
const median = (values) => /** @type {number} */ ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)])

/** @param {import('./lib.mjs').Context} ctx @returns {Promise<import('./lib.mjs').Row[]>} */
export async function startupBench (ctx) {
  const seeded = await seededService({ records: RECORDS, log: ctx.log })
  await seeded.service.stop()
  const { dir, dbPath, dataDir } = seeded.service
  const routes = join(dir, 'reference-routes.json')
  writeFileSync(routes, JSON.stringify({ '/readyz': { status: 'ready' } }))
  const service = []
  const reference = []
  // Warm the page cache for both, then alternate.
  for (let round = 0; round <= ROUNDS; round++) {
    const port = await freePort()
    const env = { PATH: process.env.PATH, HOME: dir, PORT: String(port), HOST: '127.0.0.1', DB_PATH: dbPath, DATA_DIR: dataDir, OC_PATH: join(root, 'simulator', 'oc'), AUTH_MODE: 'none', METRICS_PORT: '-1' }
    const a = await timeToReady([join(root, 'dist', 'server.js')], env, port, '/readyz')
    const refPort = await freePort()
    const b = await timeToReady([join(root, 'bench', 'reference-server.mjs'), 'json', routes], { PATH: process.env.PATH, PORT: String(refPort) }, refPort, '/readyz')
    if (round > 0) {
      service.push(a)
      reference.push(b)
    }
  }
  const ms = median(service)
  return [row({
    group: 7,
    bench: `start-up to ready, ${fmt(RECORDS)} records`,
    figure: `${fmt(ms)} ms (median of ${ROUNDS})`,
    reference: `${fmt(median(reference))} ms (minimal Fastify)`,
    ratio: fmt(ms / median(reference), 2),
    target: '< 1 s ("well under a second")',
    met: met(ms < 1000),
    note: `spawn of node dist/server.js on a ${fmt(RECORDS)}-record database (AUTH_MODE=none) until GET /readyz answers 200 ` +
      '(database, data dir, oc version checked), polled every 5 ms; reference: spawn of a minimal Fastify 5 app until its one route answers; alternating rounds after a warm-up'
  })]
}
