import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'

import { validateRequest } from '../../src/gatherings/validate-request.js'
import type { GatheringResult } from '../../src/gatherings/types.js'
import type { GatheringStore, NewGathering } from '../../src/storage/types.js'
import { STORE_BACKENDS, type TestDatabase } from './backends.js'

/**
 * The contract every GatheringStore backend keeps: what the domain and the
 * HTTP layer rely on. One suite, run against each backend in backends.ts.
 */

const { options } = validateRequest({ image: 'quay.io/a/b' }, { defaultImage: '', defaultTimeout: '20m', maxTimeoutMs: 3600_000 })
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()
const gathering = (n: number, fields: Partial<NewGathering> = {}): NewGathering => ({ customName: '', options, createdAt: at(n), createdBy: '', ...fields })
const completed = (fields: Partial<GatheringResult> = {}): GatheringResult =>
  ({ status: 'completed', errorMessage: '', archiveName: 'a.tar.gz', archiveSize: 10, archiveSha256: 'ab', outputTail: 'tail', outputSize: 4, ...fields })

/** Polls `check` until it holds (the database's clock moving on): a state, not a duration. */
async function waitFor (check: () => Promise<boolean>): Promise<void> {
  while (!await check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

for (const backend of STORE_BACKENDS) {
  describe(`GatheringStore contract: ${backend.name}`, () => {
    const databases: TestDatabase[] = []
    const stores: GatheringStore[] = []
    /** A store on a new empty database; `more` opens further stores on the same one. */
    const fresh = async (): Promise<{ store: GatheringStore, more: () => Promise<GatheringStore> }> => {
      const database = await backend.create()
      databases.push(database)
      const more = async (): Promise<GatheringStore> => {
        const store = await database.open()
        stores.push(store)
        return store
      }
      return { store: await more(), more }
    }
    after(async () => {
      for (const store of stores) await store.close()
      for (const database of databases) await database.drop()
    })

    it('inserts a queued gathering with a new id and gives it back whole', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1, { customName: 'plan:p1', createdBy: 'alice' }))
      assert.equal(g.status, 'new')
      assert.deepEqual(g.options, options)
      assert.deepEqual([g.customName, g.createdBy, g.createdAt, g.updatedAt], ['plan:p1', 'alice', at(1), at(1)])
      assert.deepEqual([g.archiveName, g.archiveSize, g.outputSize, g.startedAt, g.finishedAt, g.expiredAt, g.revision], ['', 0, 0, null, null, null, 0])
      assert.deepEqual(await store.get(g.id), g)
      assert.equal(await store.get(g.id + 1000), undefined)
    })

    it('walks a gathering through its lifecycle', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      assert.equal(await store.updateOutput(g.id, 'early', 5, at(2)), false, 'no output before it starts')
      assert.equal(await store.markStarted(g.id, at(2)), true)
      assert.equal(await store.markStarted(g.id, at(3)), false, 'only a queued gathering can start')
      await store.recordProcess(g.id, { pid: 42, startTicks: '1234' })
      assert.deepEqual(await store.runProcess(g.id), { pid: 42, startTicks: '1234' })
      assert.equal(await store.updateOutput(g.id, 'tail', 4, at(4)), true)
      assert.equal((await store.get(g.id))?.outputSize, 4)
      assert.equal(await store.finish(g.id, completed({ outputTail: 'tail!', outputSize: 5 }), at(5)), true)
      assert.equal(await store.updateOutput(g.id, 'late', 9, at(6)), false, 'no output after it finished')
      const done = await store.get(g.id)
      assert.deepEqual([done?.status, done?.startedAt, done?.finishedAt, done?.updatedAt, done?.outputSize], ['completed', at(2), at(5), at(5), 5])
      assert.equal(await store.outputTail(g.id, 100), 'tail!')
      assert.equal(await store.outputTail(g.id, 2), 'l!')
      assert.equal(await store.outputTail(g.id, 0), '')
      assert.deepEqual(await store.runProcess(g.id), { pid: 42, startTicks: '1234' }, 'the pid stays until the process is seen to end')
      await store.recordProcess(g.id, null)
      assert.equal(await store.runProcess(g.id), null)
      assert.equal(await store.delete(g.id), true)
      assert.equal(await store.delete(g.id), false)
      assert.equal(await store.get(g.id), undefined)
      assert.equal(await store.outputTail(g.id, 100), '', 'the tail goes with the record')
      assert.equal(await store.finish(g.id, completed(), at(7)), false, 'a deleted gathering cannot finish')
      assert.equal(await store.markStarted(g.id, at(7)), false)
    })

    it('lists newest first with filters and pages, a short output tail each; finds the newest by custom name', async () => {
      const { store } = await fresh()
      for (let i = 1; i <= 5; i++) {
        const g = await store.insert(gathering(i, { customName: i % 2 === 0 ? 'even' : 'odd', createdBy: i <= 2 ? 'alice' : 'bob' }))
        await store.markStarted(g.id, at(i))
        await store.updateOutput(g.id, `output of ${i} `.repeat(20), 300, at(i))
      }
      const ids = async (filter: Parameters<GatheringStore['listKeys']>[0]): Promise<number[]> => (await store.listKeys(filter)).map((k) => k.id)
      const all = await ids({})
      assert.equal(all.length, 5)
      assert.deepEqual(all, [...all].sort((a, b) => b - a), 'newest (highest id) first')
      const [fifth, fourth, third, second, first] = all as [number, number, number, number, number]
      assert.deepEqual(await store.listKeys({ limit: 1 }), [{ id: fifth, revision: 2, status: 'inprogress' }])
      assert.deepEqual(await ids({ customName: 'even' }), [fourth, second])
      assert.deepEqual(await ids({ limit: 2, offset: 1 }), [fourth, third])
      assert.deepEqual(await ids({ offset: 4 }), [first])
      assert.deepEqual(await ids({ offset: 5 }), [])
      assert.deepEqual(await ids({ status: 'completed' }), [])
      assert.deepEqual(await ids({ status: 'inprogress', createdBy: 'alice' }), [second, first])
      assert.deepEqual(await ids({ createdBy: 'nobody' }), [])
      assert.deepEqual((await store.getMany([second, fourth, fifth + 99], 10)).map((g) => g.id), [fourth, second], 'newest first, only those that exist')
      assert.deepEqual(await store.getMany([], 10), [])
      assert.ok((await store.getMany([first, second, third], 10)).every((g) => g.outputTail.length === 10))
      assert.ok((await store.getMany([first, second, third], 0)).every((g) => g.outputTail === ''))
      assert.equal((await store.findByCustomName('odd'))?.id, fifth)
      assert.equal((await store.findByCustomName('odd', 'alice'))?.id, first, 'the newest of that user\'s')
      assert.equal(await store.findByCustomName('odd', 'carol'), undefined)
      assert.equal(await store.findByCustomName('none'), undefined)
      assert.equal(await store.countByStatus('inprogress'), 5)
      assert.equal(await store.countByStatus('new'), 0)
      assert.deepEqual(await store.idsByStatus('inprogress'), [first, second, third, fourth, fifth], 'oldest first')
    })

    it('pages a long list by id (keyset) with the same filters', async () => {
      const { store } = await fresh()
      const ids: number[] = []
      for (let i = 1; i <= 7; i++) ids.push((await store.insert(gathering(i, { customName: i % 2 === 0 ? 'even' : 'odd' }))).id)
      const [one, , three, four, five] = ids as [number, number, number, number, number]
      assert.deepEqual((await store.listKeys({ beforeId: five, limit: 2 })).map((k) => k.id), [four, three])
      assert.deepEqual((await store.listKeys({ customName: 'odd', beforeId: five })).map((k) => k.id), [three, one])
    })

    it('serves a list\'s short tail and a long one alike, counting characters, not bytes', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      await store.markStarted(g.id, at(1))
      // 3,000 characters, some outside the BMP and some of two or three bytes in UTF-8.
      const tail = 'é€😀abc\n'.repeat(500)
      await store.updateOutput(g.id, tail, Buffer.byteLength(tail), at(2))
      for (const limit of [1, 7, 200, 1024, 1025, 2999, 3000, 5000]) {
        const expected = [...tail].slice(-limit).join('')
        assert.equal((await store.getMany([g.id], limit))[0]?.outputTail, expected, `limit ${limit}`)
        assert.equal(await store.outputTail(g.id, limit), expected, `whole tail, limit ${limit}`)
      }
    })

    it('moves a record\'s revision on every change, and the list version on every change of any record', async () => {
      const { store } = await fresh()
      const versions = new Set<string>([await store.listVersion()])
      const changed = async (what: string): Promise<void> => {
        const version = await store.listVersion()
        assert.ok(!versions.has(version), `the list version changes when ${what}`)
        versions.add(version)
      }
      assert.equal(await store.listVersion(), await store.listVersion(), 'and only then')
      const g = await store.insert(gathering(1))
      await changed('a gathering is queued')
      const revisions = [(await store.get(g.id))?.revision]
      await store.markStarted(g.id, at(1))
      await changed('it starts')
      revisions.push((await store.get(g.id))?.revision)
      // The same millisecond twice: the revision still tells the writes apart.
      await store.updateOutput(g.id, 'a', 1, at(1))
      await changed('it prints')
      revisions.push((await store.get(g.id))?.revision)
      await store.updateOutput(g.id, 'ab', 2, at(1))
      await changed('it prints again within the same millisecond')
      revisions.push((await store.get(g.id))?.revision)
      await store.finish(g.id, completed({ archiveSize: 1, outputTail: 'ab', outputSize: 2 }), at(1))
      await changed('it finishes')
      revisions.push((await store.get(g.id))?.revision)
      await store.expireArchive(g.id, at(1), 'gone')
      await changed('its archive expires')
      revisions.push((await store.get(g.id))?.revision)
      const increasing = revisions.every((r, i) => i === 0 || (r as number) > (revisions[i - 1] as number))
      assert.ok(increasing, `revisions go up with each change: ${revisions.join(', ')}`)
      await store.delete(g.id)
      await changed('it is deleted')
    })

    it('gives another database other list versions, so that no ETag is reused for another state', async () => {
      const a = await fresh()
      const b = await fresh()
      assert.notEqual(await a.store.listVersion(), await b.store.listVersion())
      await a.store.insert(gathering(1))
      await b.store.insert(gathering(1))
      assert.notEqual(await a.store.listVersion(), await b.store.listVersion())
    })

    it('shares one list version between two stores on one database, each seeing the other\'s writes', async () => {
      const { store: first, more } = await fresh()
      const second = await more()
      assert.equal(await first.listVersion(), await second.listVersion())
      const before = await first.listVersion()
      const g = await second.insert(gathering(1))
      assert.notEqual(await first.listVersion(), before, 'a write by another process moves this one\'s version')
      assert.equal(await first.listVersion(), await second.listVersion())
      assert.deepEqual(await first.get(g.id), g)
      await first.delete(g.id)
      assert.equal(await second.get(g.id), undefined)
    })

    it('keeps two writers at once apart: distinct ids, every insert kept, one start each', async () => {
      const { store: first, more } = await fresh()
      const second = await more()
      const inserted = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).insert(gathering(i))))
      const ids = new Set(inserted.map((g) => g.id))
      assert.equal(ids.size, 40, 'no id given twice')
      assert.equal((await first.listKeys({})).length, 40, 'no insert lost')
      // Both try to start every one: exactly one start wins for each.
      const starts = await Promise.all(inserted.flatMap((g) => [first.markStarted(g.id, at(1)), second.markStarted(g.id, at(1))]))
      assert.equal(starts.filter(Boolean).length, 40)
      // Both finish and delete concurrently: every record ends in exactly one state.
      await Promise.all(inserted.map((g, i) => (i % 2 === 0 ? second : first).finish(g.id, completed(), at(2))))
      assert.equal(await first.countByStatus('completed'), 40)
      const deletes = await Promise.all(inserted.flatMap((g) => [first.delete(g.id), second.delete(g.id)]))
      assert.equal(deletes.filter(Boolean).length, 40, 'each delete happens once')
      assert.deepEqual(await second.listKeys({}), [])
    })

    it('never reuses the id of a deleted gathering', async () => {
      const { store } = await fresh()
      const first = await store.insert(gathering(1))
      await store.delete(first.id)
      assert.ok((await store.insert(gathering(2))).id > first.id)
    })

    it('expires an archive once, with its reason; a new archive ends the expiry', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      await store.finish(g.id, completed(), at(2))
      assert.deepEqual(await store.idsWithArchive(), [g.id])
      assert.equal(await store.archiveBytes(), 10)
      assert.equal(await store.expireArchive(g.id, at(3), 'found missing at start-up'), true)
      assert.equal(await store.expireArchive(g.id, at(4), 'deleted to make room (MAX_STORAGE)'), false, 'no archive left to expire')
      const expired = await store.get(g.id)
      assert.deepEqual([expired?.archiveName, expired?.archiveSize, expired?.expiredAt, expired?.expiredReason, expired?.status], ['', 0, at(3), 'found missing at start-up', 'completed'])
      assert.deepEqual(await store.idsWithArchive(), [])
      assert.equal(await store.archiveBytes(), 0)
      await store.finish(g.id, completed(), at(5))
      const repacked = await store.get(g.id)
      assert.deepEqual([repacked?.archiveName, repacked?.expiredAt, repacked?.expiredReason], ['a.tar.gz', null, ''])
    })

    it('names the oldest finished archive, leaving out running, queued and excluded ones', async () => {
      const { store } = await fresh()
      const a = await store.insert(gathering(1))
      const b = await store.insert(gathering(2))
      const c = await store.insert(gathering(3))
      await store.insert(gathering(4)) // queued: never a candidate
      await store.markStarted(c.id, at(3)) // running: never a candidate
      await store.finish(b.id, completed({ archiveSize: 5 }), at(5))
      await store.finish(a.id, completed({ archiveSize: 7 }), at(6))
      assert.equal(await store.oldestArchived([]), b.id, 'by the time it finished')
      assert.equal(await store.oldestArchived([b.id]), a.id)
      assert.equal(await store.oldestArchived([a.id, b.id]), undefined)
      assert.equal(await store.archiveBytes(), 12)
      const states = await store.fileStates()
      assert.deepEqual(states.get(a.id), { status: 'completed', archiveName: 'a.tar.gz', owner: '' })
      assert.deepEqual(states.get(c.id), { status: 'inprogress', archiveName: '', owner: '' })
      assert.equal(states.size, 4)
    })

    it('finds finished gatherings last updated before a time, for retention', async () => {
      const { store } = await fresh()
      const old = await store.insert(gathering(1))
      const recent = await store.insert(gathering(2))
      const running = await store.insert(gathering(3))
      await store.finish(old.id, completed(), at(10))
      await store.finish(recent.id, { ...completed(), status: 'error', errorMessage: 'x' }, at(30))
      await store.markStarted(running.id, at(5))
      assert.deepEqual(await store.finishedBefore(at(20)), [old.id])
      assert.deepEqual(await store.finishedBefore(at(40)), [old.id, recent.id])
      assert.deepEqual(await store.finishedBefore(at(0)), [])
    })

    it('keeps the redaction counts of the final state, and keeps them when housekeeping re-writes it without', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      assert.equal((await store.get(g.id))?.redactionCounts, null)
      await store.finish(g.id, completed({ redactionCounts: { IP: 3, 'omitted-files': 1 } }), at(2))
      assert.deepEqual((await store.get(g.id))?.redactionCounts, { IP: 3, 'omitted-files': 1 })
      await store.finish(g.id, completed({ archiveSha256: 'cd' }), at(2))
      assert.deepEqual((await store.get(g.id))?.redactionCounts, { IP: 3, 'omitted-files': 1 })
      assert.deepEqual((await store.getMany([g.id], 0))[0]?.redactionCounts, { IP: 3, 'omitted-files': 1 })
    })

    it('hands each queued gathering to exactly one of two replicas claiming at once, oldest first', async () => {
      const { store: first, more } = await fresh()
      const second = await more()
      const inserted = []
      for (let i = 0; i < 12; i++) inserted.push((await first.insert(gathering(i, { acceptedBy: i % 3 === 0 ? 'b' : 'a' }))).id)
      const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => i % 2 === 0 ? first.claimNext('a', at(20)) : second.claimNext('b', at(20))))
      const claimed = claims.filter((c) => c !== undefined)
      assert.deepEqual(claimed.map((c) => c.id).sort((x, y) => x - y), inserted, 'every one claimed, none twice')
      assert.ok(claimed.every((c) => c.attempt === 1))
      const ofA = (await first.runsOf('a')).map((r) => r.id)
      const ofB = (await first.runsOf('b')).map((r) => r.id)
      assert.equal(ofA.length + ofB.length, 12)
      assert.deepEqual(ofA, claimed.filter((c) => c.replica === 'a').map((c) => c.id).sort((x, y) => x - y))
      const started = await first.get(inserted[0] as number)
      assert.deepEqual([started?.status, started?.startedAt], ['inprogress', at(20)])
    })

    it('claims only what a replica admitted itself when asked (callers\' tokens live in its memory)', async () => {
      const { store } = await fresh()
      const ofA = await store.insert(gathering(1, { acceptedBy: 'a' }))
      const ofB = await store.insert(gathering(2, { acceptedBy: 'b' }))
      assert.equal((await store.claimNext('b', at(3), 'b'))?.id, ofB.id, 'b\'s own, although a\'s is older')
      assert.equal(await store.claimNext('b', at(3), 'b'), undefined)
      assert.equal((await store.claimNext('b', at(3)))?.id, ofA.id, 'anyone\'s, without the filter')
    })

    it('checks the claim on every write: a taken-over run\'s writes change nothing', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      const claim = await store.claimNext('a', at(2))
      assert.ok(claim !== undefined)
      const held = { replica: 'a', attempt: claim.attempt }
      assert.equal(await store.updateOutput(g.id, 'one', 3, at(3), held), true)
      await store.recordProcess(g.id, { pid: 7, startTicks: '70' }, held)
      assert.deepEqual(await store.processesOf('a'), [{ id: g.id, pid: 7, startTicks: '70' }])
      assert.deepEqual(await store.processesOf('b'), [])
      assert.equal(await store.takeOver(g.id, 'b', 'c'), undefined, 'only from the replica holding it')
      const taken = await store.takeOver(g.id, 'a', 'b')
      assert.deepEqual(taken, { replica: 'b', attempt: claim.attempt + 1 })
      assert.equal(await store.takeOver(g.id, 'a', 'c'), undefined, 'taken once')
      assert.equal(await store.updateOutput(g.id, 'stale', 5, at(4), held), false)
      assert.equal(await store.finish(g.id, completed(), at(4), held), false)
      await store.recordProcess(g.id, { pid: 8, startTicks: '80' }, held)
      assert.deepEqual(await store.runProcess(g.id), { pid: 7, startTicks: '70' }, 'the stale claim recorded nothing')
      assert.deepEqual(await store.runsOf('a'), [])
      assert.deepEqual((await store.get(g.id))?.outputSize, 3)
      assert.equal(await store.finish(g.id, completed({ status: 'error', errorMessage: 'interrupted' }), at(5), taken), true)
      assert.equal(await store.finish(g.id, completed(), at(6), taken), false, 'a claim ends with the final state')
      assert.deepEqual(await store.processesOf('a'), [{ id: g.id, pid: 7, startTicks: '70' }], 'a\'s process stays recorded for a to stop')
    })

    it('counts the queue with the insert: across stores on one database, never more than MAX_QUEUED wait', async () => {
      const { store: first, more } = await fresh()
      const second = await more()
      const limits = { maxQueued: 5, maxQueuedPerUser: 3, freeSlots: 1 }
      const attempts = await Promise.allSettled(Array.from({ length: 16 }, (_, i) =>
        (i % 2 === 0 ? first : second).insert(gathering(i, { createdBy: i % 4 === 0 ? 'alice' : `user${i}` }), limits)))
      const refused = attempts.filter((a) => a.status === 'rejected').map((a) => (a.reason as Error).name)
      assert.equal(attempts.length - refused.length, 6, 'five wait, one takes the free slot')
      assert.equal((await first.queuedCounts('')).total, 6)
      assert.ok(refused.every((name) => name === 'QueueFullError' || name === 'UserQueueFullError'), refused.join())
      assert.ok((await first.queuedCounts('alice')).ofUser <= 3)
    })

    it('refuses one user beyond MAX_QUEUED_PER_USER while others still get in', async () => {
      const { store } = await fresh()
      const limits = { maxQueued: 10, maxQueuedPerUser: 2, freeSlots: 0 }
      await store.insert(gathering(1, { createdBy: 'alice' }), limits)
      await store.insert(gathering(2, { createdBy: 'alice' }), limits)
      await assert.rejects(store.insert(gathering(3, { createdBy: 'alice' }), limits), { name: 'UserQueueFullError' })
      await store.insert(gathering(4, { createdBy: 'bob' }), limits)
      assert.deepEqual(await store.queuedCounts('alice'), { total: 3, ofUser: 2 })
    })

    it('keeps replicas\' leases on the database\'s clock and names the gone ones that hold work', async () => {
      const { store: first, more } = await fresh()
      const second = await more()
      await first.joinReplicas('a', at(1))
      await second.joinReplicas('b', at(1))
      const running = await first.insert(gathering(1, { acceptedBy: 'b' }))
      await second.claimNext('b', at(2))
      await first.insert(gathering(2, { acceptedBy: 'c' })) // queued by a replica that never joined
      assert.deepEqual(await first.replicasGone(60_000, 'a'), ['c'], 'b\'s lease is fresh; c has none')
      // A lease of 0 lapses as soon as the database's clock moves on.
      await waitFor(async () => (await first.replicasGone(0, 'a')).includes('b'))
      assert.deepEqual(await first.replicasGone(0, 'a'), ['b', 'c'])
      assert.deepEqual(await first.replicasGone(0, 'b'), ['c'], 'never itself')
      assert.equal(await second.renewLease('b'), true)
      await first.forgetLapsedReplicas(0)
      assert.equal(await second.renewLease('b'), true, 'a replica holding work is not forgotten')
      assert.equal(await first.renewLease('a'), false, 'a without work was forgotten, and learns it')
      await first.joinReplicas('a', at(3))
      assert.equal(await first.renewLease('a'), true)
      assert.deepEqual(await first.failQueued('c', 'gone', at(4)), [running.id + 1])
      assert.equal((await first.get(running.id + 1))?.status, 'error')
    })

    it('lets one replica adopt a finished gathering from before replicas', async () => {
      const { store } = await fresh()
      const g = await store.insert(gathering(1))
      await store.finish(g.id, completed(), at(2))
      assert.equal(await store.adopt(g.id, 'a'), true)
      assert.equal(await store.adopt(g.id, 'a'), true, 'asking again: still a\'s')
      assert.equal(await store.adopt(g.id, 'b'), false)
    })

    it('answers a ping while open', async () => {
      const { store } = await fresh()
      await store.ping()
    })
  })
}
