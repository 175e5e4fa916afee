// @ts-check
// 2. Downloading a 1 GiB archive with curl, from the service (GET
// /must-gather/:id/data) and from a plain static file server serving the very
// same file (nginx, else Node's fs.createReadStream); one client, then ten at
// once. 6. How much the service's RSS grows meanwhile. Also the CPU time each
// server spends per GiB sent: on a shared machine the throughput ratio mostly
// says which server the scheduler favoured (the service has a main thread and
// four pool threads, nginx two workers), while CPU seconds per GiB say what
// each byte costs, and move much less with the load.
import { readFileSync } from 'node:fs'

import { startFileServer } from './fixtures.mjs'
import { fmt, GiB, median, met, mibText, PeakRss, row, run } from './lib.mjs'

const ROUNDS = 3
const CONCURRENT = 10
/** "does not grow RSS by more than a few tens of MB" */
const MAX_GROWTH_MIB = 50

/**
 * One curl download to /dev/null; checks the byte count.
 * @param {string} url @param {number} size
 * @returns {Promise<number>} bytes per second
 */
async function curl (url, size) {
  const { stdout } = await run('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url])
  const [bytes, seconds] = stdout.trim().split(' ').map(Number)
  if (bytes !== size) throw new Error(`${url}: ${bytes} bytes, expected ${size}`)
  return size / /** @type {number} */ (seconds)
}

/**
 * `n` curl downloads at once; aggregate bytes per second over the wall time.
 * @param {string} url @param {number} size @param {number} n
 */
async function curlMany (url, size, n) {
  const started = performance.now()
  await Promise.all(Array.from({ length: n }, () => curl(url, size)))
  return (n * size) / ((performance.now() - started) / 1000)
}

/**
 * CPU seconds (user + system, all threads) the processes have used so far.
 * @param {number[]} pids
 */
function cpuSeconds (pids) {
  let ticks = 0
  for (const pid of pids) {
    // Fields 14 and 15 (utime, stime), counted after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / 100 // USER_HZ is 100 on Linux
}

/**
 * The processes listening on `url`'s port (nginx: its workers, which inherit the socket).
 * @param {string} url
 */
async function listeners (url) {
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${new URL(url).port}`])
  return [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))]
}

/**
 * Runs `download` while counting the CPU time of `pids`; CPU seconds per GiB sent.
 * @template T @param {number[]} pids @param {number} bytes @param {() => Promise<T>} download
 * @returns {Promise<[T, number]>}
 */
async function withCpu (pids, bytes, download) {
  const before = cpuSeconds(pids)
  const result = await download()
  return [result, (cpuSeconds(pids) - before) / (bytes / GiB)]
}

/** @param {number} bytesPerSecond */
function mbps (bytesPerSecond) {
  return `${fmt(bytesPerSecond / 1e6)} MB/s`
}

/**
 * @param {import('./lib.mjs').Context} ctx
 * @returns {Promise<import('./lib.mjs').Row[]>}
 */
export async function downloadBench (ctx) {
  const { service, bigArchive } = await ctx.main()
  if (bigArchive === undefined) throw new Error('the shared service has no 1 GiB archive')
  const { id, size, sha256, path } = bigArchive
  // The reference serves the service's own file: same bytes, same page cache.
  const files = await startFileServer(service.dataDir, ctx.log)
  try {
    ctx.log(`reference: ${files.kind}`)
    const svcUrl = `${service.url}/must-gather/${id}/data`
    const refUrl = `${files.url}/${id}/archive.tar.gz`
    await run('cat', [path], { stdout: 'ignore' }) // warm page cache

    // Once: the bytes are right.
    const { stdout } = await run('sh', ['-c', 'curl -sS --fail "$1" | sha256sum', 'sh', svcUrl])
    if (stdout.split(' ')[0] !== sha256) throw new Error(`downloaded sha256 ${stdout.split(' ')[0]}, expected ${sha256}`)
    const { stdout: refSum } = await run('sh', ['-c', 'curl -sS --fail "$1" | sha256sum', 'sh', refUrl])
    if (refSum.split(' ')[0] !== sha256) throw new Error(`reference served sha256 ${refSum.split(' ')[0]}, expected ${sha256}`)
    const svcPids = [service.pid]
    const refPids = await listeners(files.url)
    /** CPU seconds per GiB, per round: service, reference; 1 client, then CONCURRENT. */
    /** @type {number[]} */ const svcCpu = []
    /** @type {number[]} */ const refCpu = []
    /** @type {number[]} */ const svcCpuMany = []
    /** @type {number[]} */ const refCpuMany = []
    /** @param {number[]} into @param {number[]} pids @param {number} bytes @param {() => Promise<number>} download */
    const counted = async (into, pids, bytes, download) => {
      const [rate, cpu] = await withCpu(pids, bytes, download)
      into.push(cpu)
      return rate
    }

    /** @type {number[]} */ const svcRates = []
    /** @type {number[]} */ const refRates = []
    let growth = 0
    let peakOne = 0
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`1 GiB download, round ${i + 1} of ${ROUNDS}`)
      if (i % 2 === 0) refRates.push(await counted(refCpu, refPids, size, () => curl(refUrl, size)))
      const peak = new PeakRss(service.pid)
      svcRates.push(await counted(svcCpu, svcPids, size, () => curl(svcUrl, size)))
      const p = peak.peak()
      peakOne = Math.max(peakOne, p)
      growth = Math.max(growth, p - peak.startMiB)
      if (i % 2 === 1) refRates.push(await counted(refCpu, refPids, size, () => curl(refUrl, size)))
    }
    const svcBest = Math.max(...svcRates)
    const refBest = Math.max(...refRates)
    const one = svcBest / refBest

    /** @type {number[]} */ const svcManyRates = []
    /** @type {number[]} */ const refManyRates = []
    let peakMany = 0
    let growthMany = 0
    for (let i = 0; i < ROUNDS; i++) {
      ctx.log(`${CONCURRENT} concurrent 1 GiB downloads, round ${i + 1} of ${ROUNDS}`)
      if (i % 2 === 0) refManyRates.push(await counted(refCpuMany, refPids, CONCURRENT * size, () => curlMany(refUrl, size, CONCURRENT)))
      const peak = new PeakRss(service.pid)
      svcManyRates.push(await counted(svcCpuMany, svcPids, CONCURRENT * size, () => curlMany(svcUrl, size, CONCURRENT)))
      const p = peak.peak()
      peakMany = Math.max(peakMany, p)
      growthMany = Math.max(growthMany, p - peak.startMiB)
      if (i % 2 === 1) refManyRates.push(await counted(refCpuMany, refPids, CONCURRENT * size, () => curlMany(refUrl, size, CONCURRENT)))
    }
    const svcMany = Math.max(...svcManyRates)
    const refMany = Math.max(...refManyRates)
    const many = svcMany / refMany

    const reference = files.kind.startsWith('nginx') ? /** @type {string} */ (files.kind.split(' ')[0]) : 'Node static server'
    const short = reference.startsWith('nginx') ? 'nginx' : 'Node server'
    return [
      row({
        group: 2,
        bench: `2. download ${size / GiB} GiB, 1 client`,
        figure: mbps(svcBest),
        reference: `${mbps(refBest)} (${short})`,
        ratio: fmt(one, 2),
        target: '≥ 0.8',
        met: met(one >= 0.8),
        rss: mibText(peakOne),
        note: `GET /must-gather/:id/data of a 1 GiB archive of random bytes, curl -o /dev/null, best of ${ROUNDS} alternating rounds, ` +
          `against ${files.kind} serving the same file; size checked every time, sha256 once each`
      }),
      row({
        group: 2,
        bench: `2. download ${size / GiB} GiB, ${CONCURRENT} clients`,
        figure: mbps(svcMany),
        reference: `${mbps(refMany)} (${short})`,
        ratio: fmt(many, 2),
        target: '≥ 0.8',
        met: met(many >= 0.8),
        rss: mibText(peakMany),
        note: `${CONCURRENT} curl downloads at once, aggregate bytes over wall time, best of ${ROUNDS} alternating rounds`
      }),
      ...[['1 client', svcCpu, refCpu], [`${CONCURRENT} clients`, svcCpuMany, refCpuMany]].map(([clients, svc, ref]) => row({
        group: 2,
        bench: `2. CPU per GiB sent, ${clients}`,
        figure: `${fmt(median(/** @type {number[]} */ (svc)), 2)} s`,
        reference: `${fmt(median(/** @type {number[]} */ (ref)), 2)} s (${short})`,
        ratio: fmt(median(/** @type {number[]} */ (ref)) / median(/** @type {number[]} */ (svc)), 2),
        note: clients === '1 client'
          ? 'user + system CPU seconds of the server process(es) (/proc/PID/stat, all threads; nginx: the processes listening on its port) ' +
            'per GiB sent, median of the rounds above; ratio: reference / service (1 = as cheap as the reference). nginx uses sendfile(2), ' +
            'Node has no sendfile: the service pays a read copy (page cache → buffer) and a write copy (buffer → socket) per byte'
          : ''
      })),
      row({
        group: 6,
        bench: '6. RSS growth, 1 GiB download',
        figure: `+${fmt(growth)} MiB`,
        reference: `${mibText(peakOne - growth)} before`,
        target: `< ${MAX_GROWTH_MIB} MiB`,
        met: met(growth < MAX_GROWTH_MIB),
        rss: mibText(peakOne),
        note: 'peak RSS during the download (VmHWM, reset just before) minus RSS just before; the worst of the rounds'
      }),
      row({
        group: 6,
        bench: `6. RSS growth, ${CONCURRENT} downloads at once`,
        figure: `+${fmt(growthMany)} MiB`,
        reference: `${mibText(peakMany - growthMany)} before`,
        target: `< ${MAX_GROWTH_MIB} MiB`,
        met: met(growthMany < MAX_GROWTH_MIB),
        rss: mibText(peakMany)
      })
    ]
  } finally {
    await files.stop()
  }
}
