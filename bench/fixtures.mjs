// @ts-check
// What the benchmarks run against: a service whose database holds N realistic
// records (cloned from one real run), a 1 GiB archive of random bytes, the
// reference servers (a minimal Fastify app serving the same JSON from memory;
// nginx, or a Node fs.createReadStream server, serving the same file).
import { execFileSync } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import Database from 'better-sqlite3'

import { writeGatherTree } from '../simulator/tree.mjs'
import { cpuSeconds, freePort, GiB, IMAGE, MiB, post, root, run, settle, sleep, spawnTracked, startService, stopChild, tempDir, waitFor, which } from './lib.mjs'

/**
 * @typedef {object} SeededService
 * @property {import('./lib.mjs').Service} service
 * @property {number} records
 * @property {number} sampleId a completed execution from a real run
 * @property {{ id: number, size: number, sha256: string, path: string } | undefined} bigArchive
 * @property {{ listening: number, seconds: number, cpu: number }} startup seconds from spawn until the
 *   service listened, until it was idle, and its CPU seconds by then
 */

/**
 * A service whose database holds `records` finished executions: one real
 * run of the simulator's normal scenario (about 40 POD lines, a 24 KB output
 * tail, ~140 KB archive) gives the row, and `records` copies of it with
 * their own ids, names, timestamps and hashes replace it, inserted in one
 * transaction while the service is stopped (id 1 keeps the real run's
 * files). With `bigArchive`, the newest record's archive is a file of random
 * bytes of that size, placed where the service keeps archives.
 * `inMemory` puts database and files on /dev/shm (when it has room): creating
 * and removing 100,000 directories and a 2.5 GB database on the shared disk
 * takes minutes; what is measured reads from the page cache either way.
 * `env` is the service's environment (on top of startService's) once seeded.
 * @param {{ records: number, bigArchive?: number, inMemory?: boolean, env?: Record<string, string>, log: (message: string) => void }} options
 * @returns {Promise<SeededService>}
 */
export async function seededService ({ records, bigArchive, inMemory = false, env, log }) {
  const dir = tempDir('mgs-bench-', { inMemory, needBytes: records * 30_000 })
  // 1. A real execution, so that the cloned row is exactly what the service writes.
  const first = await startService({ dir })
  const real = await post(first.url, { image: `${IMAGE}:v1`, 'custom-name': 'plan:bench-template', command: 'PLAN=bench /usr/bin/targeted' })
  await waitFor(first.url, real.id)
  await first.stop()

  // 2. The copies, in one transaction, straight into the database the service migrated.
  log(`seeding ${records.toLocaleString('en-US')} records`)
  const db = new Database(first.dbPath)
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  const template = /** @type {Record<string, unknown>} */ (db.prepare('SELECT * FROM gatherings WHERE id = ?').get(real.id))
  const tail = db.prepare('SELECT tail FROM gathering_output_tails WHERE gathering_id = ?').pluck().get(real.id)
  const base = Math.floor(Date.now() / 1000) - records * 60
  // Timestamps in the service's fixed-width ISO form, one execution a minute, oldest first.
  const iso = (/** @type {number} */ offset) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${base} + i * 60 + ${offset}, 'unixepoch')`
  db.transaction(() => {
    db.prepare('DELETE FROM gatherings WHERE id = ?').run(real.id)
    db.prepare('DELETE FROM gathering_output_tails WHERE gathering_id = ?').run(real.id)
    // Every other column keeps its default, as for a record the service wrote itself.
    db.prepare(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @records)
      INSERT INTO gatherings (id, created_at, started_at, finished_at, updated_at, custom_name, status, options,
        archive_name, archive_size, archive_sha256, output_brief, output_size, error_message, created_by)
      SELECT i, ${iso(0)}, ${iso(0.05)}, ${iso(1.3)}, ${iso(1.3)},
        CASE WHEN i % 2 = 0 THEN 'plan:plan-' || i ELSE '' END, @status, @options,
        CASE WHEN i % 2 = 0 THEN 'must-gather-plan-plan-' || i || '.tar.gz' ELSE 'must-gather-' || i || '.tar.gz' END,
        @archive_size, @archive_sha256, @output_brief, @output_size, @error_message, @created_by
      FROM n`).run({ ...pick(template, ['status', 'options', 'archive_size', 'archive_sha256', 'output_brief', 'output_size', 'error_message', 'created_by']), records })
    db.prepare(`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @records)
      INSERT INTO gathering_output_tails (gathering_id, tail) SELECT i, @tail FROM n`).run({ tail, records })
  })()
  // Every record has its archive, as the service keeps them (a missing one would be marked
  // expired at start-up), with the archive's index and the summary the service made at completion
  // (without them, every start-up would index and summarize each record's archive again, in the
  // background, while the benchmarks measure): hard links to the real run's, from a fresh copy
  // every 50,000 (ext4 allows 65,000 links to a file). Output files are not needed by what is measured.
  const KEPT = ['archive.tar.gz', 'archive.tar.gz.idx', 'summary.json']
  let sourceDir = join(first.dataDir, String(real.id))
  for (const name of KEPT) if (!existsSync(join(sourceDir, name))) throw new Error(`the template run left no ${name}`)
  for (let id = 1; id <= records; id++) {
    if (id === real.id) continue
    const dir = join(first.dataDir, String(id))
    mkdirSync(dir)
    const fresh = id % 50_000 === 0
    for (const name of KEPT) (fresh ? copyFileSync : linkSync)(join(sourceDir, name), join(dir, name))
    if (fresh) sourceDir = dir
  }
  const sampleId = real.id

  /** @type {SeededService['bigArchive']} */
  let big
  if (bigArchive !== undefined) {
    const id = records
    const dataDir = join(first.dataDir, String(id))
    const path = join(dataDir, 'archive.tar.gz')
    rmSync(path)
    // Random bytes have no index: the service tries once at start-up, fails (logged), and serves it whole.
    rmSync(`${path}.idx`)
    log(`writing a ${bigArchive / GiB} GiB archive of random bytes`)
    const sha256 = writeRandomFile(path, bigArchive)
    db.prepare('UPDATE gatherings SET archive_size = ?, archive_sha256 = ? WHERE id = ?').run(bigArchive, sha256, id)
    big = { id, size: bigArchive, sha256, path }
  }
  db.pragma('journal_mode = WAL')
  db.close()

  // 3. The service again, on that database, once its start-up work (checking every record's files) is done.
  log('starting the service on the seeded database')
  const started = performance.now()
  const service = await startService({ dir, env })
  const listening = (performance.now() - started) / 1000
  await settle(service.pid)
  const startup = { listening, seconds: (performance.now() - started) / 1000, cpu: cpuSeconds(service.pid) }
  return { service, records, sampleId, bigArchive: big, startup }
}

/**
 * @param {Record<string, unknown>} object
 * @param {string[]} keys
 */
function pick (object, keys) {
  return Object.fromEntries(keys.map((key) => [key, object[key]]))
}

/** Writes `size` random bytes; returns their sha256. */
function writeRandomFile (/** @type {string} */ path, /** @type {number} */ size) {
  const hash = createHash('sha256')
  const chunk = Buffer.allocUnsafe(16 * MiB)
  const fd = openSync(path, 'w')
  try {
    for (let written = 0; written < size;) {
      const piece = chunk.subarray(0, Math.min(chunk.length, size - written))
      randomFillSync(piece)
      hash.update(piece)
      written += writeSync(fd, piece)
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/**
 * A second service process on a running one's database and files, with the
 * response cache off: what an answer costs when it has to be read and
 * serialized (a record just changed, or RESPONSE_CACHE_SIZE=0). Both only
 * read the shared database. A replica of its own (REPLICA_NAME): one sharing
 * the first one's name would take its runs for its own previous process's.
 * @param {import('./lib.mjs').Service} service
 */
export async function uncachedTwin (service) {
  const twin = await startService({ dir: service.dir, env: { RESPONSE_CACHE_SIZE: '0', REPLICA_NAME: 'bench-uncached-twin' } })
  await settle(twin.pid)
  return twin
}

/**
 * The benchmarks' must-gather tree, the same in every module that packs,
 * summarizes or redacts one: about 300 MiB in 20,000 files (6 logs of 4 MiB
 * or more), written by the simulator's own generator (namespaces/, pods/…/logs,
 * YAML lists) as `<dir>/must-gather.local.1/<image dir>`, then read once with
 * tar so that every measurement starts from a warm page cache.
 * @param {string} dir
 * @param {(message: string) => void} log
 */
export async function benchTree (dir, log) {
  const dirName = 'must-gather.local.1'
  const tree = join(dir, dirName)
  log(`generating a ${BENCH_TREE.sizeBytes / MiB} MiB must-gather tree of ${BENCH_TREE.files.toLocaleString('en-US')} files`)
  const stats = { bytes: 0, files: 0 }
  const writing = writeGatherTree(join(tree, 'quay-io-must-gather-service-simulator-sha256-bench'), BENCH_TREE, stats)
  while (!(await writing.next()).done);
  await run('tar', ['-C', dir, '-cf', '-', dirName], { stdout: 'drain' })
  return { dirName, tree, stats }
}

const BENCH_TREE = { sizeBytes: 300 * MiB, files: 20_000, seed: 'bench-pack', timestampText: '2026-11-25 10:14:15.278 +0000 UTC\n', archive: false }

// ---------------------------------------------------------------------------

/**
 * @typedef {object} ReferenceServer
 * @property {string} url
 * @property {() => Promise<void>} stop
 */

/**
 * A minimal Fastify 5 app in its own process answering each path with a
 * fixed JSON value held in memory (serialized per request, as a route that
 * returns an object is).
 * @param {Record<string, unknown>} routes path → JSON value
 * @returns {Promise<ReferenceServer>}
 */
export async function startJsonReference (routes) {
  const dir = tempDir('mgs-bench-ref-')
  const spec = join(dir, 'routes.json')
  writeFileSync(spec, JSON.stringify(routes))
  const child = spawnTracked(process.execPath, [join(root, 'bench', 'reference-server.mjs'), 'json', spec], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await listeningUrl(child)
  return { url, stop: () => stopChild(child) }
}

/** @param {import('node:child_process').ChildProcess} child @returns {Promise<string>} */
function listeningUrl (child) {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`reference server exited (${code}): ${out}`)))
  })
}

/**
 * @typedef {object} FileServer
 * @property {string} url serves the files under the root directory
 * @property {string} kind what it is, for the report
 * @property {() => Promise<void>} stop
 */

/**
 * A plain static file server for `rootDir` on 127.0.0.1: Debian's nginx
 * (installed with apt-get when missing and possible), else a Node
 * fs.createReadStream server (also with BENCH_NO_NGINX=1). nginx runs with its
 * own prefix, config, pid and logs in a temporary directory; nothing
 * system-wide is touched.
 * @param {string} rootDir
 * @param {(message: string) => void} log
 * @returns {Promise<FileServer>}
 */
export async function startFileServer (rootDir, log) {
  const nginx = process.env.BENCH_NO_NGINX === '1' ? undefined : findNginx() ?? installNginx(log)
  if (nginx !== undefined) {
    try {
      return await startNginx(nginx, rootDir)
    } catch (error) {
      log(`nginx did not start (${/** @type {Error} */ (error).message}); using the Node fs.createReadStream server instead`)
    }
  }
  const child = spawnTracked(process.execPath, [join(root, 'bench', 'reference-server.mjs'), 'files', rootDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await listeningUrl(child)
  return { url, kind: 'Node fs.createReadStream server (no nginx)', stop: () => stopChild(child) }
}

function findNginx () {
  return which('nginx') ?? ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => which(path) !== undefined)
}

/** apt-get install nginx-light (root only); undefined when that is not possible. */
function installNginx (/** @type {(message: string) => void} */ log) {
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) return undefined
  log('nginx not found: apt-get install -y nginx-light')
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 180_000 })
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'nginx-light'], { stdio: 'ignore', env, timeout: 300_000 })
  } catch (error) {
    log(`installing nginx failed: ${/** @type {Error} */ (error).message.split('\n')[0]}`)
  }
  return findNginx()
}

/**
 * @param {string} nginx
 * @param {string} rootDir
 * @returns {Promise<FileServer>}
 */
async function startNginx (nginx, rootDir) {
  const prefix = tempDir('mgs-bench-nginx-')
  const port = await freePort()
  const conf = join(prefix, 'nginx.conf')
  const tempPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `  ${name}_temp_path ${join(prefix, name)};`).join('\n')
  writeFileSync(conf, `# benchmark reference: a plain static file server (Debian's defaults: sendfile, tcp_nopush)
daemon off;
master_process on;
worker_processes auto;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
${tempPaths}
  server {
    listen 127.0.0.1:${port};
    root ${rootDir};
  }
}
`)
  // nginx -v writes to stderr.
  const version = execFileSync('sh', ['-c', '"$1" -v 2>&1', 'sh', nginx], { encoding: 'utf8' }).trim()
  const child = spawnTracked(nginx, ['-p', `${prefix}/`, '-c', conf, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => { stderr += chunk })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}${readFileSync(join(prefix, 'error.log'), 'utf8')}`)
    try {
      await fetch(`${url}/`, { method: 'HEAD' })
      break
    } catch {
      if (i > 100) throw new Error('nginx did not answer')
      await sleep(50)
    }
  }
  return { url, kind: `${version.replace(/^nginx version: /, '')} (${nginx}, sendfile on)`, stop: () => stopChild(child, 'SIGQUIT') }
}
