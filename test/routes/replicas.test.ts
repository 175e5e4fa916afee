import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { type TestPostgres, testPostgres } from '../helpers/postgres-server.js'
import { assertNoProcessesLeft, processesMentioning, removeDir, type RunningService, runProcesses, SIM_IMAGE, startService, waitFor, waitForFinish } from '../helpers/service.js'

/**
 * Issue 16, the precise cross-replica behaviours: real service processes with
 * distinct REPLICA_NAMEs on one real PostgreSQL and one shared DATA_DIR, talked
 * to over HTTP. (The randomized kill drill is test/reliability/replicas-drill.test.ts.)
 */

interface Replica { name: string, service: RunningService }

/** The parent pid of `pid`, from /proc (undefined once it is gone). */
function parentOf (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** The replica whose process started the oc of gathering `id` (its ancestor), once oc runs. */
function runnerOf (replicas: Replica[], id: number): Replica | undefined {
  for (const pid of runProcesses(replicas[0]!.service, id)) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf(p)) {
      const owner = replicas.find(({ service }) => service.process.pid === p)
      if (owner !== undefined) return owner
    }
  }
  return undefined
}

/** What a test failure should show of processes: state and command line. */
function describeProcesses (pids: number[]): string {
  return pids.map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ').slice(2, 4).join(' ')} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)}`
    } catch {
      return `${pid} gone`
    }
  }).join('; ') || 'none'
}

async function statusOn (service: RunningService, id: number): Promise<string | undefined> {
  return (await service.json<{ status: string }>(`/must-gather/${id}`)).body?.status
}

async function startReplicas (names: string[], env: Record<string, string>, dir?: string): Promise<Replica[]> {
  const replicas: Replica[] = []
  for (const name of names) {
    const service = await startService({ dir: dir ?? replicas[0]?.service.dir, env: { ...env, REPLICA_NAME: name } })
    replicas.push({ name, service })
  }
  return replicas
}

async function stopAll (replicas: Replica[], dir: string): Promise<void> {
  await Promise.all(replicas.map(({ service }) => service.stop()))
  await assertNoProcessesLeft(dir)
  removeDir(dir)
}

const slow = (seconds: number): { image: string } => ({ image: `${SIM_IMAGE}:slow-${seconds}` })

describe('replicas on one database answer for each other', () => {
  let server: TestPostgres
  let database: { url: string, drop: () => Promise<void> }
  let dir: string
  let replicas: Replica[]
  let a: RunningService
  let b: RunningService
  /** A finished execution (the first test's), for the ETag test. */
  let finished: number

  before(async () => {
    server = await testPostgres()
    database = await server.createDatabase()
    dir = mkdtempSync(join(tmpdir(), 'mgs-replicas-'))
    // One run at a time per replica: two slow runs fill both, and a third one waits in the queue.
    // A long CANCEL_GRACE lets an oc that ignores SIGTERM finish its gather after a DELETE.
    replicas = await startReplicas(['replica-a', 'replica-b'], { DATABASE_URL: database.url, MAX_CONCURRENT: '1', MAX_QUEUED: '2', CANCEL_GRACE: '30s' }, dir)
    a = replicas[0]!.service
    b = replicas[1]!.service
  })
  after(async () => {
    await stopAll(replicas, dir)
    await database.drop()
  })

  /** Every execution deleted (through A), so that each test starts with both replicas idle. */
  async function clear (): Promise<void> {
    for (const g of (await a.json<Array<{ id: number }>>('/must-gather')).body) {
      assert.equal((await a.fetch(`/must-gather/${g.id}`, { method: 'DELETE' })).status, 204)
    }
    await waitFor(() => processesMentioning(`${a.dataDir}/`).length === 0, 'no oc left', 30_000)
  }

  it('shows an execution POSTed to A on B while queued, running (its phase moving) and finished, and streams its output there to the end', async () => {
    // Both replicas busy: the third execution waits.
    const first = await a.post(slow(10))
    const second = await a.post(slow(10))
    assert.equal(first.status, 201)
    assert.equal(second.status, 201)
    await waitFor(async () => (await statusOn(b, first.body.id)) === 'inprogress' && (await statusOn(b, second.body.id)) === 'inprogress', 'both replicas to run one each', 60_000)
    const third = await a.post({ ...slow(4), 'custom-name': 'seen-everywhere' })
    assert.equal(third.status, 201)
    const id: number = third.body.id
    const queued = await b.json(`/must-gather/${id}`)
    assert.equal(queued.status, 200)
    assert.equal(queued.body.status, 'new')
    assert.equal(queued.body.phase, 'queued')
    assert.equal(queued.body['custom-name'], 'seen-everywhere')
    assert.equal((await b.json<Array<{ id: number, status: string }>>('/must-gather')).body.find((g) => g.id === id)?.status, 'new')

    // Followed on B from before it starts, whichever replica runs it.
    const followed = b.fetch(`/must-gather/${id}/output?follow=true`).then(async (response) => {
      assert.equal(response.status, 200)
      return Buffer.from(await response.arrayBuffer())
    })

    const runner = await waitFor(() => runnerOf(replicas, id), 'the third execution\'s oc to run', 60_000)
    const other = replicas.find((r) => r !== runner)!.service
    // The replica that does not run it shows the phase the runner records, moving past "starting".
    const phasesSeen = new Set<string>()
    let listed = false
    await waitFor(async () => {
      const { body } = await other.json(`/must-gather/${id}`)
      if (body.status !== 'inprogress') throw new Error(`finished (${body.status}) before ${runner.name}'s phase showed on the other replica; seen: ${[...phasesSeen].join(', ')}`)
      phasesSeen.add(body.phase)
      listed ||= (await other.json<Array<{ id: number, status: string }>>('/must-gather')).body.some((g) => g.id === id && g.status === 'inprogress')
      return !['starting', 'queued'].includes(body.phase) && listed
    }, 'the phase to move on the other replica', 60_000)

    const done = await waitForFinish(b, id, 60_000)
    assert.equal(done.status, 'completed', done['error-message'])
    assert.equal(done.phase, 'done')
    assert.equal((await a.json(`/must-gather/${id}`)).body.status, 'completed')
    assert.equal((await b.json<Array<{ id: number, status: string }>>('/must-gather')).body.find((g) => g.id === id)?.status, 'completed')

    const onA = Buffer.from(await (await a.fetch(`/must-gather/${id}/output`)).arrayBuffer())
    const onB = Buffer.from(await (await b.fetch(`/must-gather/${id}/output`)).arrayBuffer())
    assert.ok(onA.includes('Wrote inspect data to must-gather.'), 'the whole output')
    assert.ok((await followed).equals(onA), `B's followed output (${(await followed).length} bytes) is A's output (${onA.length} bytes)`)
    assert.ok(onB.equals(onA))

    // What the runner learned of the archive (summary, file index) is every replica's answer.
    const summaries = await waitFor(async () => {
      const both = await Promise.all([a.json(`/must-gather/${id}/summary`), b.json(`/must-gather/${id}/summary`)])
      return both.every((r) => r.status === 200) ? both.map((r) => r.body) : undefined
    }, 'the summary on both replicas', 60_000)
    assert.deepEqual(summaries[1], summaries[0])
    const files = await Promise.all([a.json(`/must-gather/${id}/files`), b.json(`/must-gather/${id}/files`)])
    assert.equal(files[0].status, 200)
    assert.ok(files[0].body.entries.length > 0)
    assert.equal(files[1].status, 200)
    assert.deepEqual(files[1].body, files[0].body)
    finished = id
    for (const other of [first.body.id, second.body.id]) await waitForFinish(a, other, 60_000)
  })

  it('honours an ETag of A on B: 304 for a finished execution and an unchanged list; a change through B gives A\'s old list ETag a 200', async () => {
    const one = await a.fetch(`/must-gather/${finished}`)
    const etag = one.headers.get('etag')
    assert.equal(one.status, 200)
    assert.ok(etag)
    const onB = await b.fetch(`/must-gather/${finished}`, { headers: { 'If-None-Match': etag } })
    assert.equal(onB.status, 304)

    // Nothing running or changing: both lists are the same answer.
    const list = await a.fetch('/must-gather')
    const listEtag = list.headers.get('etag')
    assert.ok(listEtag)
    assert.equal((await b.fetch('/must-gather', { headers: { 'If-None-Match': listEtag } })).status, 304)
    assert.equal((await a.fetch('/must-gather', { headers: { 'If-None-Match': listEtag } })).status, 304)

    // A change made through B (one execution deleted) is seen by A.
    const victim = (await a.json<Array<{ id: number }>>('/must-gather')).body.find((g) => g.id !== finished)!.id
    assert.equal((await b.fetch(`/must-gather/${victim}`, { method: 'DELETE' })).status, 204)
    const changed = await a.fetch('/must-gather', { headers: { 'If-None-Match': listEtag } })
    assert.equal(changed.status, 200)
    assert.ok(!(await changed.json() as Array<{ id: number }>).some((g) => g.id === victim))
    assert.notEqual(changed.headers.get('etag'), listEtag)
  })

  it('DELETE through one replica of a run executing on the other: answered, the record gone on both, its oc stopped and its directory removed', async () => {
    await clear()
    const { status, body } = await a.post(slow(120))
    assert.equal(status, 201)
    const id: number = body.id
    const runner = await waitFor(() => runnerOf(replicas, id), 'oc to run', 60_000)
    const through = replicas.find((r) => r !== runner)!
    const ocPids = runProcesses(a, id)
    assert.ok(ocPids.length > 0)
    assert.ok(existsSync(join(a.dataDir, String(id))))

    const response = await through.service.fetch(`/must-gather/${id}`, { method: 'DELETE' })
    assert.equal(response.status, 204, `${through.name} answers the DELETE of ${runner.name}'s run`)
    assert.equal((await a.json(`/must-gather/${id}`)).status, 404)
    assert.equal((await b.json(`/must-gather/${id}`)).status, 404)
    assert.ok(!(await b.json<Array<{ id: number }>>('/must-gather')).body.some((g) => g.id === id))
    // The runner sees its claim gone and stops its oc; nothing on the other replica's side can.
    await waitFor(() => runProcesses(a, id).length === 0, `${runner.name} to stop the oc of the deleted run`, 30_000)
    // A process in the middle of exiting has no command line any more, yet is not a zombie for a moment.
    const alive = (pid: number): boolean => { try { return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z') } catch { return false } }
    await waitFor(() => !ocPids.some(alive), `oc processes ${ocPids.join(', ')} gone`, 10_000)
    // The runner removes the directory again once its oc stopped (it may have written into it meanwhile).
    await waitFor(() => !existsSync(join(a.dataDir, String(id))), 'the gathering\'s directory to be removed', 30_000)
    // Noticed by its watch or by its output flush, whichever came first.
    assert.match(runner.service.logs(), /Gathering deleted through another replica; stopping its oc\.|This replica no longer holds this gathering \(deleted, or taken over\); stopping its oc\./)
  })

  it('removes, once its oc has stopped, the files an oc that outlived a DELETE through the other replica wrote after it', async () => {
    await clear()
    // This oc ignores SIGTERM: it goes on for the grace period (30 s) and downloads its files into
    // the directory the DELETE removed, then exits by itself.
    const { body } = await a.post({ image: `${SIM_IMAGE}:slow-5_ignore-sigterm` })
    const id: number = body.id
    const runner = await waitFor(() => runnerOf(replicas, id), 'oc to run', 60_000)
    const through = replicas.find((r) => r !== runner)!
    await waitFor(async () => (await runner.service.json(`/must-gather/${id}`)).body.phase === 'gathering', 'the gather to be under way', 60_000)
    assert.equal((await through.service.fetch(`/must-gather/${id}`, { method: 'DELETE' })).status, 204)
    assert.equal(existsSync(join(a.dataDir, String(id))), false, 'removed by the replica that answered')
    await waitFor(() => runProcesses(a, id).length === 0, 'the oc to end by itself', 60_000)
    await waitFor(() => !existsSync(join(a.dataDir, String(id))), `${runner.name} to remove what its oc wrote after the DELETE`, 30_000)
    assert.equal((await a.json(`/must-gather/${id}`)).status, 404)
  })

  it('applies MAX_QUEUED across replicas: with both busy, exactly MAX_QUEUED of the POSTs spread over them are accepted, the rest 429 naming the limit', async () => {
    await clear()
    // One run on each replica (MAX_CONCURRENT=1): neither has a free slot.
    const running = [(await a.post(slow(60))).body.id, (await b.post(slow(60))).body.id] as number[]
    await waitFor(async () => (await Promise.all(running.map((id) => statusOn(a, id)))).every((s) => s === 'inprogress'), 'both replicas to be busy', 60_000)
    // Eight at once, alternating: the queue across both may hold MAX_QUEUED=2.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).post(slow(60))))
    const accepted = answers.filter((r) => r.status === 201)
    const refused = answers.filter((r) => r.status === 429)
    assert.equal(accepted.length, 2, `accepted: ${answers.map((r) => r.status).join(', ')}`)
    assert.equal(refused.length, 6)
    for (const r of refused) {
      assert.match(r.headers.get('content-type') ?? '', /application\/json/)
      assert.match(r.body.error, /MAX_QUEUED=2/)
    }
    const waiting = (await b.json<Array<{ id: number }>>('/must-gather?status=new')).body
    assert.deepEqual(waiting.map((g) => g.id).sort(), accepted.map((r) => r.body.id).sort())
    // Sequentially too, on each replica: still full.
    assert.equal((await a.post(slow(60))).status, 429)
    assert.equal((await b.post(slow(60))).status, 429)
    await clear()
  })
})

describe('a replica that dies', () => {
  let server: TestPostgres
  let database: { url: string, drop: () => Promise<void> }
  let dir: string
  let replicas: Replica[]
  const env = (): Record<string, string> => ({ DATABASE_URL: database.url, MAX_CONCURRENT: '1', REPLICA_LEASE: '2s', OC_CREDENTIALS: 'service', CANCEL_GRACE: '1s' })
  /** The execution the dead replica was running, and the one it had queued. */
  let interrupted: number
  let dead: Replica
  let survivor: Replica

  before(async () => {
    server = await testPostgres()
    database = await server.createDatabase()
    dir = mkdtempSync(join(tmpdir(), 'mgs-replicas-kill-'))
    replicas = await startReplicas(['replica-x', 'replica-y'], env(), dir)
  })
  after(async () => {
    await stopAll(replicas, dir)
    await database.drop()
  })

  it('has its running execution ended "interrupted: replica <name> stopped" with its files packed, and its queued one run, by another replica', async () => {
    const [x, y] = replicas as [Replica, Replica]
    // The first run goes to whichever replica claims it; the second to the other (the first is full).
    // Long enough to outlast the steps up to the kill on a busy machine: until it ends, the queued one waits.
    const first = (await x.service.post(slow(45))).body.id as number
    survivor = await waitFor(() => runnerOf(replicas, first), 'the first run\'s oc', 60_000)
    dead = survivor === x ? y : x
    interrupted = (await dead.service.post({ ...slow(120), 'custom-name': 'cut-short' })).body.id as number
    await waitFor(() => runnerOf(replicas, interrupted) === dead, `${dead.name} to run the second`, 60_000)
    // The output so far has gathered something (must-gather.logs) into the destination.
    await waitFor(async () => (await dead.service.json(`/must-gather/${interrupted}`)).body.phase === 'gathering', 'the second to be gathering', 60_000)
    const queued = await dead.service.post({ image: `${SIM_IMAGE}:v1`, 'custom-name': 'left-in-queue' })
    assert.equal(queued.status, 201)
    assert.equal(await statusOn(survivor.service, queued.body.id), 'new')

    await dead.service.kill()
    const ended = await waitForFinish(survivor.service, interrupted, 60_000)
    assert.equal(ended.status, 'error')
    assert.equal(ended['error-message'], `interrupted: replica ${dead.name} stopped`)
    const packed = await waitFor(async () => {
      const { body } = await survivor.service.json(`/must-gather/${interrupted}`)
      return body['archive-name'] !== '' ? body : undefined
    }, 'the interrupted run\'s files to be packed', 60_000)
    assert.ok(packed['archive-size'] > 0)
    const download = await survivor.service.fetch(`/must-gather/${interrupted}/data`)
    assert.equal(download.status, 200)
    const file = join(dir, `interrupted-${interrupted}.tar.gz`)
    writeFileSync(file, Buffer.from(await download.arrayBuffer()))
    assert.ok(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().length > 0, 'a real archive')

    const ran = await waitForFinish(survivor.service, queued.body.id, 120_000)
    assert.equal(ran.status, 'completed', ran['error-message'])
    assert.equal((await waitForFinish(survivor.service, first, 60_000)).status, 'completed')
    // It ran once, on the survivor, and nothing of it is left running.
    const starts = (logs: string): number => logs.split('\n').filter((line) => line.includes('"Gathering started."') && line.includes(`"id":${queued.body.id},`)).length
    assert.deepEqual(replicas.map((r) => starts(r.service.logs())), replicas.map((r) => r === survivor ? 1 : 0), 'one start of the queued execution, on the survivor')
    await waitFor(() => runnerOf(replicas, queued.body.id) === undefined, `no oc of ${queued.body.id} left (${describeProcesses(runProcesses(survivor.service, queued.body.id))})`, 5000)
  })

  it('stops, restarted under the same name, the oc it left running when it was killed', async () => {
    // The simulator runs in a process group of its own: SIGKILL to the service does not reach it.
    const orphans = runProcesses(survivor.service, interrupted)
    assert.ok(orphans.length > 0, 'the killed replica\'s oc outlived it (else this test proves nothing)')
    const restarted = await startService({ dir, env: { ...env(), REPLICA_NAME: dead.name } })
    replicas[replicas.indexOf(dead)] = { name: dead.name, service: restarted }
    // slow-120: the oc would run on for about two minutes by itself.
    await waitFor(() => runProcesses(restarted, interrupted).length === 0, 'the restarted replica to stop its orphaned oc', 30_000)
    assert.match(restarted.logs(), /Stopping oc left running by a previous service process\./)
    // The record another replica wrote stays as it was.
    const record = (await restarted.json(`/must-gather/${interrupted}`)).body
    assert.equal(record['error-message'], `interrupted: replica ${dead.name} stopped`)
    assert.notEqual(record['archive-name'], '')
    // Its archive downloads whole from the restarted replica too, and no unpacked files linger beside it.
    const download = await restarted.fetch(`/must-gather/${interrupted}/data`)
    assert.equal(download.status, 200)
    assert.equal(Buffer.from(await download.arrayBuffer()).length, record['archive-size'])
    assert.equal(existsSync(join(restarted.dataDir, String(interrupted), `must-gather.local.${interrupted}`)), false)
  })
})
