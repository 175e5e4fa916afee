// @ts-check
// Shared helpers of the benchmarks: the service as a child process (from
// dist/), its memory and CPU read from /proc, load with autocannon, temporary
// directories and child processes that are cleaned up whatever happens.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

import autocannon from 'autocannon'

export const root = fileURLToPath(new URL('..', import.meta.url))
/** The simulator takes its behaviour from the image tag (simulator/README.md). */
export const IMAGE = 'quay.io/must-gather-service/simulator'
export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

export { sleep }

// ---------------------------------------------------------------------------
// Cleanup: temporary directories and child processes go at the end, also on
// failure and on Ctrl-C.

/** @type {Set<string>} */
const tempDirs = new Set()
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set()

/**
 * A new temporary directory, removed by `cleanupSync()` (also at exit). With
 * `inMemory`, on /dev/shm when it has room for `needBytes`.
 * @param {string} [prefix]
 * @param {{ inMemory?: boolean, needBytes?: number }} [options]
 */
export function tempDir (prefix = 'mgs-bench-', { inMemory = false, needBytes = 0 } = {}) {
  let base = tmpdir()
  if (inMemory) {
    try {
      const fs = statfsSync('/dev/shm')
      if (fs.bavail * fs.bsize > 2 * needBytes) base = '/dev/shm'
    } catch {}
  }
  const dir = mkdtempSync(join(base, prefix))
  tempDirs.add(dir)
  return dir
}

/** Removes a temporary directory now (with rm -rf: several times faster than Node on 100,000 entries). */
export function removeTempDir (/** @type {string} */ dir) {
  try {
    execFileSync('rm', ['-rf', '--', dir], { stdio: 'ignore' })
  } catch {}
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/**
 * Every process descending from `pid` (from /proc), children first found
 * first: an nginx master's workers, the oc runs a service started in their
 * own process groups.
 * @param {number} pid
 */
function descendants (pid) {
  /** @type {Map<number, number[]>} */
  const byParent = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ')[1])
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(name)])
    } catch {}
  }
  const found = []
  for (let queue = [pid]; queue.length > 0;) {
    const next = byParent.get(/** @type {number} */ (queue.shift())) ?? []
    found.push(...next)
    queue.push(...next)
  }
  return found
}

/**
 * Kills every child still running, and everything they started (SIGKILL),
 * and removes every temporary directory.
 */
export function cleanupSync () {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const tree = [child.pid, ...descendants(child.pid)]
      for (const pid of tree) {
        try { process.kill(pid, 'SIGKILL') } catch {}
      }
    }
  }
  children.clear()
  for (const dir of tempDirs) removeTempDir(dir)
}

process.once('exit', cleanupSync)
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`)
    cleanupSync()
    process.exit(130)
  })
}

/**
 * Spawns a child that is killed at exit if still running.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options
 */
export function spawnTracked (command, args, options) {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/**
 * Stops a child: `signal`, then SIGKILL after `graceMs`; resolves once it has exited.
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} [signal]
 * @param {number} [graceMs]
 */
export async function stopChild (child, signal = 'SIGTERM', graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/**
 * Runs a command to completion; resolves with its wall time and stdout, rejects on a non-zero exit.
 * stdout is captured, sent to /dev/null (`ignore`: GNU tar then skips reading
 * file contents!) or read through a pipe and dropped (`drain`).
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, stdout?: 'capture' | 'ignore' | 'drain', env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ seconds: number, stdout: string }>}
 */
export function run (command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawnTracked(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    if (options.stdout === 'drain') child.stdout?.resume()
    else child.stdout?.on('data', (chunk) => { stdout += chunk })
    child.stderr?.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000) })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000
      if (code === 0) resolve({ seconds, stdout })
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim()}`))
    })
  })
}

/** Whether an executable is on PATH (or at an absolute path). */
export function which (/** @type {string} */ name) {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

// ---------------------------------------------------------------------------
// A process's memory and CPU, from /proc.

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** @param {number} pid @param {string} field e.g. VmRSS, VmHWM */
function statusKiB (pid, field) {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0)
}

/** Resident memory now, MiB. */
export function rssMiB (/** @type {number} */ pid) {
  return statusKiB(pid, 'VmRSS') / 1024
}

/** User + system CPU seconds the process itself has used (not its children). */
export function cpuSeconds (/** @type {number} */ pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/**
 * Waits until a process is idle: under 4 % of a core over half a second (at most `timeoutMs`).
 * @param {number} pid @param {number} [timeoutMs]
 */
export async function settle (pid, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  for (let before = cpuSeconds(pid); Date.now() < deadline;) {
    await sleep(500)
    const now = cpuSeconds(pid)
    if (now - before < 0.02) return
    before = now
  }
}

/**
 * Peak resident memory of a process over a stretch of time. The kernel's own
 * high-water mark (VmHWM) is reset through /proc/<pid>/clear_refs when
 * allowed (Linux ≥ 4.0, same user), so nothing has to poll; otherwise RSS is
 * sampled every 20 ms.
 */
export class PeakRss {
  /** @param {number} pid */
  constructor (pid) {
    this.pid = pid
    this.startMiB = rssMiB(pid)
    this.sampled = this.startMiB
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5')
      this.hwm = true
    } catch {
      this.hwm = false
      this.timer = setInterval(() => {
        try { this.sampled = Math.max(this.sampled, rssMiB(pid)) } catch {}
      }, 20)
    }
  }

  /** Highest RSS since construction, MiB. */
  peak () {
    clearInterval(this.timer)
    try {
      return this.hwm ? statusKiB(this.pid, 'VmHWM') / 1024 : Math.max(this.sampled, rssMiB(this.pid))
    } catch {
      return this.sampled
    }
  }
}

// ---------------------------------------------------------------------------
// The service, from dist/ (built by `npm run build`).

/**
 * @typedef {object} Service
 * @property {string} url
 * @property {number} pid
 * @property {string} dir holds the database, data and log
 * @property {string} dbPath
 * @property {string} dataDir
 * @property {string} logFile everything the service printed
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => Promise<void>} stop SIGTERM, wait for exit
 */

/**
 * Starts `node dist/server.js` with the simulator as `oc` on a free loopback
 * port; logs (JSON lines, LOG_LEVEL=info unless overridden, as in
 * production) go to a file so that reading them costs the benchmark nothing.
 * @param {{ dir?: string, env?: Record<string, string>, nodeArgs?: string[] }} [options]
 *   nodeArgs: e.g. `--cpu-prof` (not allowed in NODE_OPTIONS)
 * @returns {Promise<Service>}
 */
export async function startService (options = {}) {
  const dir = options.dir ?? tempDir()
  const dbPath = join(dir, 'gatherings.db')
  const dataDir = join(dir, 'gatherings')
  const logFile = join(dir, 'service.log')
  const fd = openSync(logFile, 'a')
  const logStart = readFileSync(logFile).length
  const child = spawnTracked(process.execPath, [...(options.nodeArgs ?? []), join(root, 'dist', 'server.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      DB_PATH: dbPath,
      DATA_DIR: dataDir,
      OC_PATH: join(root, 'simulator', 'oc'),
      AUTH_MODE: 'none',
      LOG_LEVEL: 'info',
      MAX_QUEUED: '1000',
      // /readyz and /metrics on the API port, as the benchmarks read them (and no clash on 9090 between services).
      METRICS_PORT: '-1',
      ...options.env
    },
    stdio: ['ignore', fd, fd]
  })
  closeSync(fd)
  let exited = false
  child.once('exit', () => { exited = true })
  const deadline = Date.now() + 30_000
  for (;;) {
    const log = readFileSync(logFile, 'utf8').slice(logStart)
    const match = /listening on (https?:\/\/[^\s"]+)/.exec(log)
    if (match?.[1] !== undefined) {
      const pid = /** @type {number} */ (child.pid)
      return { url: match[1], pid, dir, dbPath, dataDir, logFile, child, stop: () => stopChild(child, 'SIGTERM', 70_000) }
    }
    if (exited || Date.now() > deadline) throw new Error(`the service did not start:\n${log.slice(-2000)}`)
    await sleep(50)
  }
}

/**
 * POST /must-gather.
 * @param {string} url @param {unknown} body
 * @returns {Promise<Record<string, any>>}
 */
export async function post (url, body) {
  const response = await fetch(`${url}/must-gather`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  if (response.status !== 201) throw new Error(`POST /must-gather: ${response.status} ${await response.text()}`)
  return /** @type {Record<string, any>} */ (await response.json())
}

/**
 * GET /must-gather/:id.
 * @param {string} url @param {number} id
 * @returns {Promise<Record<string, any>>}
 */
export async function getGathering (url, id) {
  const response = await fetch(`${url}/must-gather/${id}`)
  if (response.status !== 200) throw new Error(`GET /must-gather/${id}: ${response.status}`)
  return /** @type {Record<string, any>} */ (await response.json())
}

/**
 * Polls an execution until `done(g)` holds (default: it has finished).
 * @param {string} url @param {number} id
 * @param {{ intervalMs?: number, timeoutMs?: number, until?: (g: Record<string, any>) => boolean }} [options]
 */
export async function waitFor (url, id, { intervalMs = 100, timeoutMs = 300_000, until = (g) => g.status === 'completed' || g.status === 'error' } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const g = await getGathering(url, id)
    if (until(g)) return g
    if (Date.now() > deadline) throw new Error(`execution ${id} still ${g.status}/${g.phase} after ${timeoutMs / 1000} s`)
    await sleep(intervalMs)
  }
}

// ---------------------------------------------------------------------------
// Load.

/**
 * @typedef {object} LoadResult
 * @property {number} rps completed requests per second
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} requests completed requests
 * @property {number} errors errors + timeouts + non-2xx
 * @property {number} seconds
 */

/**
 * One autocannon run (in this process). Counts anything but a 2xx as an error.
 * @param {{ url: string, connections?: number, duration?: number, amount?: number, overallRate?: number, timeout?: number, headers?: Record<string, string> }} options
 * @param {{ stopWhen?: (stop: () => void) => void }} [control] lets a caller end the run early
 * @returns {Promise<LoadResult>}
 */
export function load (options, control = {}) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ connections: 50, duration: 8, timeout: 30, ...options }, (error, result) => {
      if (error) {
        reject(error)
        return
      }
      const seconds = result.duration
      resolve({
        rps: result.requests.total / seconds,
        p50: result.latency.p50,
        p99: result.latency.p99,
        requests: result.requests.total,
        errors: result.errors + result.timeouts + result.non2xx,
        seconds
      })
    })
    control.stopWhen?.(() => instance.stop())
  })
}

/**
 * Runs `a` and `b` alternately (a b b a …) `rounds` times each after a short
 * warm-up of both, so that drift on a noisy machine hits both alike; returns
 * the best of each (highest rate, lowest latencies): on a shared machine,
 * noise only ever makes things slower.
 * @param {Parameters<typeof load>[0]} a
 * @param {Parameters<typeof load>[0]} b
 * @param {{ rounds?: number, warmup?: number }} [options]
 */
export async function loadPair (a, b, { rounds = 2, warmup = 1 } = {}) {
  if (warmup > 0) {
    await load({ ...a, duration: warmup })
    await load({ ...b, duration: warmup })
  }
  /** @type {LoadResult[]} */ const as = []
  /** @type {LoadResult[]} */ const bs = []
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      as.push(await load(a))
      bs.push(await load(b))
    } else {
      bs.push(await load(b))
      as.push(await load(a))
    }
  }
  return { a: best(as), b: best(bs) }
}

/** @param {LoadResult[]} results @returns {LoadResult} */
export function best (results) {
  return {
    rps: Math.max(...results.map((r) => r.rps)),
    p50: Math.min(...results.map((r) => r.p50)),
    p99: Math.min(...results.map((r) => r.p99)),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    seconds: results.reduce((sum, r) => sum + r.seconds, 0)
  }
}

// ---------------------------------------------------------------------------
// Reporting.

/**
 * What every benchmark gets.
 * @typedef {object} Context
 * @property {() => Promise<import('./fixtures.mjs').SeededService>} main the shared service
 *   (1,000 records; with the 1 GiB archive when `download` is selected), started on first use
 * @property {(message: string) => void} log progress, on stderr
 * @property {(row: Row) => void} report a result as soon as it is measured (kept if a later step fails)
 */

/**
 * One line of the results table.
 * @typedef {object} Row
 * @property {number} group where it goes in the table: the issue's item number
 * @property {string} bench what was measured (short)
 * @property {string} figure
 * @property {string} reference
 * @property {string} ratio
 * @property {string} target
 * @property {string} met 'yes', 'NO' or '—'
 * @property {string} rss service peak RSS during the measurement (and growth, where it matters)
 * @property {string} note how it was measured, printed under the table
 */

/**
 * @param {Partial<Row> & { group: number, bench: string, figure: string }} row
 * @returns {Row}
 */
export function row (row) {
  return { reference: '—', ratio: '—', target: '—', met: '—', rss: '—', note: '', ...row }
}

/** yes / NO */
export function met (/** @type {boolean} */ ok) {
  return ok ? 'yes' : 'NO'
}

/** @param {number} n @param {number} [digits] */
export function fmt (n, digits = 0) {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** `1,234 req/s, p99 5 ms` (autocannon records whole milliseconds) */
export function rateText (/** @type {LoadResult} */ r) {
  return `${fmt(r.rps, r.rps < 10 ? 2 : 0)} req/s, p99 ${fmt(r.p99)} ms${r.errors > 0 ? ` (${r.errors} errors)` : ''}`
}

/** @param {number} mib */
export function mibText (mib) {
  return `${fmt(mib)} MiB`
}

/**
 * A Markdown table (readable as is, and pasted as is into the README),
 * rows in the order of the issue's items, then the notes.
 * @param {Row[]} rows
 */
export function table (rows) {
  const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.group - b.r.group || a.i - b.i).map(({ r }) => r)
  const header = ['benchmark', 'figure', 'reference', 'ratio', 'target', 'met?', 'service peak RSS']
  const lines = sorted.map((r) => [r.bench, r.figure, r.reference, r.ratio, r.target, r.met, r.rss])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const format = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const notes = sorted.filter((r) => r.note !== '').map((r) => `- ${r.bench}: ${r.note}`)
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format), '', ...notes].join('\n')
}

/** The machine, for the record. */
export function machine () {
  const cpuList = cpus()
  return `${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), ${fmt(totalmem() / GiB)} GiB RAM, Node ${process.version}`
}

/**
 * The middle value of an odd count; of an even count, the upper of the two middle ones.
 * @param {number[]} values
 */
export function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  return /** @type {number} */ (sorted[Math.floor(sorted.length / 2)])
}
