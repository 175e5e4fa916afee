import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import pg from 'pg'

import { testPostgres } from '../helpers/postgres-server.js'
import { assertNoProcessesLeft, processesMentioning, removeDir, type RunningService, SIM_IMAGE, SIMULATOR, startService, waitFor } from '../helpers/service.js'
import { HEAVY, runSeed, seededRandom, sleep } from './helpers.js'
import { AUDIT_SQL, ensureBuiltServer, maxOverlapByProcess, readOcRuns, TERMINAL, writeOcWrapper } from './replica-drill-parts.js'

/**
 * The replica drill (issue 16, "Tests"): three replicas of the built service
 * on one PostgreSQL and one shared DATA_DIR take a stream of POSTs spread
 * over them while replicas are SIGKILLed at random moments and restarted
 * under the same name (sometimes before their lease lapses, so they recover
 * their own runs; sometimes after, so the others take them over), and
 * PostgreSQL is restarted once. Afterwards every execution has reached a
 * terminal state exactly once (an audit trigger in the database says so), no
 * execution's oc ran twice and no replica ran more than MAX_CONCURRENT at
 * once (an `oc` wrapper logs each run), every completed archive downloads
 * whole from every replica and no record is lost.
 *
 * Reduced by default (60 POSTs, 2 kills); MGS_DRILL=full (or RELIABILITY_HEAVY=1,
 * as the rest of the suite) runs 300 POSTs and 8 kills. RELIABILITY_SEED repeats a run's random choices (not its timing).
 * Runs dist/server.js, built first when older than src/ (ensureBuiltServer).
 */
const FULL = process.env.MGS_DRILL === 'full' || HEAVY
const POSTS = FULL ? 300 : 60
const KILLS = FULL ? 8 : 2
const LEASE_MS = 3000
const MAX_CONCURRENT = 2
/** Executions not yet terminal (every replica's) before the load waits: keeps the queue busy, never full (MAX_QUEUED 100). */
const OUTSTANDING = FULL ? 30 : 18
/** POSTs in flight at once. */
const POSTERS = 4
const SETTLE_MS = FULL ? 300_000 : 60_000
const NAMES = ['r1', 'r2', 'r3']

interface Replica {
  name: string
  /** Undefined while it is killed and not yet back. */
  service: RunningService | undefined
  /** Each process it has been, for naming the PPIDs in the oc log. */
  pids: number[]
}

interface Remembered {
  id: number
  image: string
}

describe('replica drill: 3 replicas, one PostgreSQL, kills and a database restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mgs-drill-'))
  const replicas: Replica[] = NAMES.map((name) => ({ name, service: undefined, pids: [] }))
  let dropDatabase: (() => Promise<void>) | undefined
  let pool: pg.Pool | undefined

  after(async () => {
    const stopping = replicas.map((r) => r.service)
    for (const r of replicas) r.service = undefined
    await Promise.all(stopping.map(async (service) => await service?.stop()))
    await pool?.end().catch(() => {})
    await dropDatabase?.().catch(() => {})
    // A drill cut short leaves a killed replica's oc running (its next process would have stopped them).
    for (const pid of processesMentioning(dir)) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
    await waitFor(() => processesMentioning(dir).length === 0, 'the drill\'s processes to end', 10_000).catch(() => {})
    removeDir(dir)
  })

  it(`${POSTS} POSTs over 3 replicas, ${KILLS} replicas SIGKILLed and restarted, PostgreSQL restarted once: each execution ends once, no oc twice, nothing lost`, { timeout: FULL ? 1_800_000 : 300_000 }, async (t) => {
    const began = Date.now()
    const seed = runSeed()
    const random = seededRandom(seed)
    t.diagnostic(`replica drill ${FULL ? 'full' : 'reduced'}: seed ${seed} (RELIABILITY_SEED=${seed} repeats its choices)`)

    if (ensureBuiltServer()) t.diagnostic('replica drill: dist/server.js was missing or older than src/: built it (tsc)')
    const postgres = await testPostgres()
    const database = await postgres.createDatabase()
    dropDatabase = database.drop
    // The test's own connections; the pool reconnects after the restart.
    pool = new pg.Pool({ connectionString: database.url, max: 2 })
    pool.on('error', () => {}) // idle connections end when PostgreSQL restarts
    const db = pool
    /** A query that waits out the database restart (and fails on any other error). */
    const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
      await waitFor(async () => await db.query<R>(sql, params).then((r) => r.rows, (error: unknown) => {
        if (isDatabaseAway(error)) return undefined
        throw error
      }), `the database to answer ${sql.trim().slice(0, 60)}`, 30_000)

    const ocLog = join(dir, 'oc-runs.log')
    const ocPath = join(dir, 'bin', 'oc')
    writeOcWrapper(ocPath, SIMULATOR, ocLog)

    /** Every replica process of the drill, for its logs. */
    const processes: Array<{ name: string, service: RunningService }> = []
    /** Keeps every replica process's log and the oc log in a directory the clean-up leaves, and names it. */
    const keepLogs = (): void => {
      const kept = join(tmpdir(), `mgs-drill-logs-${seed}`)
      mkdirSync(kept, { recursive: true })
      for (const { name, service } of processes) writeFileSync(join(kept, `${name}-${service.process.pid}.log`), service.logs())
      if (existsSync(ocLog)) copyFileSync(ocLog, join(kept, 'oc-runs.log'))
      t.diagnostic(`replica drill: logs kept in ${kept}`)
    }
    /** Replica processes that ended without the drill killing or stopping them. */
    const crashes: string[] = []
    /** Set when the load or a fault failed, or a replica crashed: the rest of the load stops. */
    let aborted = false
    const start = async (replica: Replica): Promise<void> => {
      const service = await startService({
        dir,
        built: true,
        env: {
          DATABASE_URL: database.url,
          REPLICA_NAME: replica.name,
          REPLICA_LEASE: `${LEASE_MS}ms`,
          MAX_CONCURRENT: String(MAX_CONCURRENT),
          OC_PATH: ocPath
        }
      })
      await waitFor(async () => (await service.fetch('/readyz').catch(() => undefined))?.status === 200, `${replica.name} to be ready`)
      replica.pids.push(service.process.pid ?? 0)
      processes.push({ name: replica.name, service })
      replica.service = service
      service.process.once('exit', (code, signal) => {
        // The drill's own kills and stops first forget the service; any other exit is the service's doing.
        if (replica.service !== service) return
        replica.service = undefined
        crashes.push(`${replica.name} (pid ${service.process.pid}) exited by itself (${code ?? signal}); its log ends:\n${service.logs().split('\n').slice(-30).join('\n')}`)
        aborted = true
      })
    }

    // One replica first: it applies the migrations; the audit goes on the table before any POST.
    await start(replicas[0] as Replica)
    await db.query(AUDIT_SQL)
    await Promise.all(replicas.slice(1).map(start))

    // --- Load ---------------------------------------------------------------
    const remembered: Remembered[] = []
    const retried = new Map<string, number>()
    let next = 0
    let turn = 0
    const images = Array.from({ length: POSTS }, () => {
      const roll = random()
      return `${SIM_IMAGE}:${roll < 0.1 ? 'fail' : roll < 0.3 ? 'slow-3' : 'slow-1'}`
    })
    const outstanding = async (): Promise<number> =>
      Number((await query<{ n: string }>("SELECT count(*) AS n FROM gatherings WHERE status IN ('new', 'inprogress')"))[0]?.n)

    /** One POST until a replica answers 201; each attempt has its own custom-name, so that an unanswered one that was recorded can be told apart. */
    const post = async (index: number): Promise<void> => {
      const image = images[index] as string
      for (let attempt = 0; ; attempt++) {
        if (aborted) throw new Error('the drill stopped')
        const replica = replicas[turn++ % replicas.length] as Replica
        const service = replica.service
        if (service === undefined) continue
        let reason: string
        try {
          const { status, body } = await service.post({ image, 'custom-name': `drill-${index}-${attempt}` })
          if (status === 201) {
            remembered.push({ id: body.id, image })
            return
          }
          // 503: that replica is shutting down or cannot reach the database (restarting); a 5xx
          // may or may not have recorded the execution. Neither is counted: another replica is asked.
          assert.ok(status === 503 || status >= 500, `POST to ${replica.name}: unexpected ${status} ${JSON.stringify(body)}`)
          reason = String(status)
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error
          // The replica was killed under the request: it may or may not have recorded it. Not counted.
          reason = 'connection'
        }
        retried.set(reason, (retried.get(reason) ?? 0) + 1)
        // Every replica refusing at once (the database is away): back off a little before the next round.
        if (attempt % replicas.length === replicas.length - 1) await sleep(100)
      }
    }
    const poster = async (): Promise<void> => {
      while (next < POSTS) {
        // A bounded queue: wait for executions to end rather than fill it.
        await waitFor(async () => aborted || await outstanding() < OUTSTANDING, 'the queue to drain below the load window', SETTLE_MS)
        if (aborted) throw new Error('the drill stopped')
        const index = next++
        if (index >= POSTS) return
        await post(index)
      }
    }

    // --- Faults -------------------------------------------------------------
    interface Kill { replica: string, pauseMs: number, overLease: boolean, tookOver?: boolean }
    const kills: Kill[] = []
    let postgresRestart: { atPost: number, downMs: number } | undefined
    const faults = async (): Promise<void> => {
      // Each fault once the load has reached a random point of it; one fault at a time.
      const plan: Array<'kill' | 'postgres'> = [...Array.from({ length: KILLS }, () => 'kill' as const), 'postgres']
      const moments = plan.map(() => Math.floor((0.1 + random() * 0.75) * POSTS)).sort((a, b) => a - b)
      for (let i = plan.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[plan[i], plan[j]] = [plan[j] as 'kill', plan[i] as 'kill']
      }
      // Half the kills outlast the lease (the others take over), half do not (the replica recovers its own runs).
      const overLease = Array.from({ length: KILLS }, (_, i) => i % 2 === 0).sort(() => random() - 0.5)
      for (const [i, fault] of plan.entries()) {
        await waitFor(() => aborted || remembered.length >= (moments[i] as number), `the load to reach POST ${moments[i]}`, SETTLE_MS)
        if (fault === 'postgres') {
          const downMs = Math.floor(200 + random() * 1800)
          postgresRestart = { atPost: remembered.length, downMs }
          await postgres.stop()
          await sleep(downMs)
          await postgres.start()
          continue
        }
        const replica = replicas[Math.floor(random() * replicas.length)] as Replica
        const service = replica.service as RunningService
        const kill: Kill = { replica: replica.name, pauseMs: 0, overLease: overLease.pop() === true }
        replica.service = undefined // before the kill: its exit is the drill's
        const killedAt = Date.now()
        await service.kill()
        if (kill.overLease) {
          // Gone for good as far as the others know: they forget its lease row once they took its work over.
          await waitFor(async () => (await query('SELECT 1 FROM replicas WHERE name = $1', [replica.name])).length === 0,
            `the other replicas to find ${replica.name} gone`, 30_000)
        } else {
          await sleep(Math.floor(200 + random() * 1300))
        }
        kill.pauseMs = Date.now() - killedAt
        kills.push(kill)
        await start(replica)
      }
    }

    const loadBegan = Date.now()
    const abortOnFailure = async (work: Promise<void>): Promise<void> => await work.catch((error: unknown) => {
      aborted = true
      throw error
    })
    try {
      await Promise.all([abortOnFailure(faults()), ...Array.from({ length: POSTERS }, async () => await abortOnFailure(poster()))])
    } catch (error) {
      await describeState(t, db, replicas)
      keepLogs()
      assert.deepEqual(crashes, [], 'replicas exited during the drill')
      throw error
    }
    const loadMs = Date.now() - loadBegan
    assert.deepEqual(crashes, [], 'replicas exited during the drill')

    // --- Settle -------------------------------------------------------------
    const settleBegan = Date.now()
    try {
      await waitFor(async () => aborted || await outstanding() === 0, 'every execution to end', SETTLE_MS)
    } catch {
      await describeState(t, db, replicas)
      keepLogs()
      const stragglers = await query("SELECT id, status, owner, attempt, accepted_by, pid_replica, phase FROM gatherings WHERE status IN ('new', 'inprogress') ORDER BY id")
      assert.fail(`${stragglers.length} executions still not terminal after ${SETTLE_MS / 1000} s:\n${stragglers.map((s) => JSON.stringify(s)).join('\n')}`)
    }
    const settleMs = Date.now() - settleBegan
    assert.deepEqual(crashes, [], 'replicas exited during the drill')

    // --- Checks -------------------------------------------------------------
    const problems: string[] = []
    const live = replicas.map((r) => r.service as RunningService)

    // No record lost: every remembered id, from every replica.
    const records = new Map<number, any>()
    for (const { id } of remembered) {
      for (const [i, service] of live.entries()) {
        const { status, body } = await service.json(`/must-gather/${id}`)
        if (status !== 200 || body?.id !== id) problems.push(`GET /must-gather/${id} from ${NAMES[i]}: ${status}`)
        else records.set(id, body)
      }
    }

    // Every execution terminal exactly once, and none left its terminal state.
    const rows = await query<{ id: string, status: string, custom_name: string }>('SELECT id, status, custom_name FROM gatherings ORDER BY id')
    const audit = await query<{ id: string, old_status: string, new_status: string }>('SELECT id, old_status, new_status FROM drill_audit ORDER BY seq')
    const endings = new Map<number, number>()
    for (const row of audit) {
      if (TERMINAL.has(row.old_status)) problems.push(`gathering ${row.id} left its terminal state: ${row.old_status} → ${row.new_status}`)
      else if (TERMINAL.has(row.new_status)) endings.set(Number(row.id), (endings.get(Number(row.id)) ?? 0) + 1)
    }
    for (const row of rows) {
      const n = endings.get(Number(row.id)) ?? 0
      if (n !== 1) problems.push(`gathering ${row.id} (${row.status}) reached a terminal state ${n} times`)
    }

    // No execution's oc ran twice; no replica process ran more than MAX_CONCURRENT at once.
    const runs = readOcRuns(ocLog)
    const replicaOf = new Map(replicas.flatMap((r) => r.pids.map((pid) => [pid, r.name] as const)))
    const runsOf = new Map<number, typeof runs>()
    for (const run of runs) runsOf.set(run.id, [...(runsOf.get(run.id) ?? []), run])
    for (const [id, ofId] of runsOf) {
      if (ofId.length > 1) problems.push(`gathering ${id}: oc ran ${ofId.length} times: ${ofId.map((r) => `${replicaOf.get(r.ppid)}(${r.ppid}) at ${r.start}`).join(', ')}`)
    }
    for (const [ppid, most] of maxOverlapByProcess(runs)) {
      if (most > MAX_CONCURRENT) problems.push(`${replicaOf.get(ppid)} (pid ${ppid}) ran ${most} oc at once (MAX_CONCURRENT ${MAX_CONCURRENT})`)
    }

    // What each execution became, as its image asked, unless a fault interrupted it.
    const byStatus = new Map<string, number>()
    let takenOver = 0
    let recovered = 0
    for (const { id, image } of remembered) {
      const g = records.get(id)
      if (g === undefined) continue
      byStatus.set(g.status, (byStatus.get(g.status) ?? 0) + 1)
      const message = String(g['error-message'])
      if (/interrupted: replica r\d stopped/.test(message)) takenOver++
      if (message.includes('interrupted by service restart')) recovered++
      if (g.status === 'completed' && image.endsWith(':fail')) problems.push(`gathering ${id} (${image}) completed`)
      if (g.status === 'error' && !image.endsWith(':fail') && !message.includes('interrupted')) problems.push(`gathering ${id} (${image}) failed without being interrupted: ${message}`)
      if (g.status === 'completed' && (runsOf.get(id)?.length ?? 0) !== 1) problems.push(`gathering ${id} completed without its oc run in the log`)
    }

    // Every completed archive, whole, from every replica.
    let downloads = 0
    for (const { id } of remembered) {
      const g = records.get(id)
      if (g?.status !== 'completed') continue
      for (const [i, service] of live.entries()) {
        const response = await service.fetch(`/must-gather/${id}/data`)
        const sha256 = createHash('sha256').update(Buffer.from(await response.arrayBuffer())).digest('hex')
        downloads++
        if (response.status !== 200 || sha256 !== g['archive-sha256']) {
          problems.push(`GET /must-gather/${id}/data from ${NAMES[i]}: ${response.status}, sha256 ${sha256} (record: ${g['archive-sha256']})`)
        }
      }
    }

    // Recorded without a 201 reaching the test (the replica died under the POST, or the database under the insert).
    const unanswered = rows.filter((row) => !remembered.some((r) => r.id === Number(row.id))).map((row) => `${row.id} ${row.custom_name} ${row.status}`)

    t.diagnostic(`replica drill: ${remembered.length} executions accepted (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}); ` +
      `${rows.length - remembered.length} recorded without a 201${unanswered.length > 0 ? ` (${unanswered.join('; ')})` : ''}; ` +
      `POSTs retried: ${retried.size === 0 ? 'none' : [...retried].map(([why, n]) => `${n} × ${why}`).join(', ')}`)
    t.diagnostic(`replica drill: kills ${kills.map((k) => `${k.replica} ${k.overLease ? 'past' : 'within'} the lease (${k.pauseMs} ms)`).join(', ')}; ` +
      `PostgreSQL restarted at POST ${postgresRestart?.atPost} (down ${postgresRestart?.downMs} ms); ` +
      `interrupted: ${takenOver} taken over by another replica, ${recovered} recovered by their own replica`)
    t.diagnostic(`replica drill: ${runs.length} oc runs; most at once per replica process ${[...maxOverlapByProcess(runs)].map(([pid, n]) => `${replicaOf.get(pid)}/${pid}: ${n}`).join(', ')}; ` +
      `${downloads} downloads checked; load ${loadMs} ms, settle ${settleMs} ms, whole drill ${Date.now() - began} ms`)

    if (problems.length > 0) keepLogs()
    assert.deepEqual(problems, [], `the drill found ${problems.length} problems`)
    assert.equal(remembered.length, POSTS)
    assert.equal(kills.length, KILLS)

    // No oc left behind once the replicas stop (a killed replica's orphans are stopped by its next process).
    const stopping = replicas.map((r) => r.service)
    for (const r of replicas) r.service = undefined
    await Promise.all(stopping.map(async (service) => await service?.stop()))
    await assertNoProcessesLeft(dir)
  })
})

/** The errors of a database restarting: refused or ended connections, "shutting down", "starting up". */
function isDatabaseAway (error: unknown): boolean {
  const code = (error as { code?: string }).code ?? ''
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08') ||
    /Connection terminated|connection.*closed/i.test(String((error as Error).message))
}

/** What a failing drill left: the executions not terminal, the leases, the end of each replica's log. */
async function describeState (t: { diagnostic: (message: string) => void }, db: pg.Pool, replicas: Replica[]): Promise<void> {
  const rows = await db.query("SELECT id, status, owner, attempt, accepted_by, pid_replica, phase FROM gatherings WHERE status IN ('new', 'inprogress') ORDER BY id")
    .then((r) => r.rows, (error: Error) => [`(database: ${error.message})`])
  const leases = await db.query('SELECT name, heartbeat_ms, started_at FROM replicas').then((r) => r.rows, () => [])
  t.diagnostic(`not terminal: ${rows.map((row) => JSON.stringify(row)).join('\n')}`)
  t.diagnostic(`leases: ${JSON.stringify(leases)}`)
  for (const r of replicas) t.diagnostic(`${r.name} log (end):\n${r.service?.logs().split('\n').slice(-40).join('\n') ?? '(not running)'}`)
}
