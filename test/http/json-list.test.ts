import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'

import { jsonList, SLICE_ENTRIES } from '../../src/http/bodies/json-list.js'

/** Ids n..1, newest first, as the store lists them. */
function records (n: number): Array<{ id: number, name: string }> {
  return Array.from({ length: n }, (_, i) => ({ id: n - i, name: `record "${n - i}"` }))
}

/** A read() over `all`, counting its calls, as GatheringViews gives jsonList. */
function source (all: Array<{ id: number, name: string }>, offset = 0) {
  const calls: Array<{ count: number, beforeId: number | undefined }> = []
  const read = async (count: number, beforeId: number | undefined) => {
    calls.push({ count, beforeId })
    const from = beforeId === undefined ? offset : all.findIndex((r) => r.id < beforeId)
    return from < 0 ? [] : all.slice(from, from + count)
  }
  return { read, calls }
}

async function text (body: Buffer | Readable): Promise<string> {
  if (Buffer.isBuffer(body)) return body.toString()
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

const render = (r: { id: number, name: string }) => Buffer.from(JSON.stringify(r))

describe('jsonList', () => {
  it('answers a list that fits in one slice as one Buffer, and keeps it', async () => {
    for (const n of [0, 1, SLICE_ENTRIES - 1]) {
      const all = records(n)
      const kept: Buffer[] = []
      const body = await jsonList({ ...source(all), render, limit: undefined, keepBytes: 1e9, keep: (b) => kept.push(b) })
      assert.ok(Buffer.isBuffer(body), `${n} records`)
      assert.deepEqual(JSON.parse(body.toString()), all)
      assert.equal(kept[0], body)
    }
  })

  it('streams a longer list slice by slice, by id, into the same JSON', async () => {
    const all = records(2 * SLICE_ENTRIES + 500)
    const { read, calls } = source(all)
    const kept: Buffer[] = []
    const body = await jsonList({ read, render, limit: undefined, keepBytes: 1e9, keep: (b) => kept.push(b) })
    assert.ok(body instanceof Readable)
    const whole = await text(body)
    assert.deepEqual(JSON.parse(whole), all)
    assert.deepEqual(calls.map((c) => c.beforeId), [undefined, all[SLICE_ENTRIES - 1]?.id, all[2 * SLICE_ENTRIES - 1]?.id])
    assert.equal(kept[0]?.toString(), whole, 'kept whole once complete')
  })

  it('honours limit and offset across slices', async () => {
    const all = records(3 * SLICE_ENTRIES)
    const body = await jsonList({ ...source(all, 10), render, limit: SLICE_ENTRIES + 7, keepBytes: 1e9, keep: () => {} })
    assert.deepEqual(JSON.parse(await text(body)), all.slice(10, 10 + SLICE_ENTRIES + 7))
    const exact = await jsonList({ ...source(all), render, limit: SLICE_ENTRIES, keepBytes: 1e9, keep: () => {} })
    assert.ok(Buffer.isBuffer(exact), 'a limit of one slice is one Buffer')
    const ending = await jsonList({ ...source(records(SLICE_ENTRIES)), render, limit: undefined, keepBytes: 1e9, keep: () => {} })
    assert.deepEqual(JSON.parse(await text(ending)), records(SLICE_ENTRIES), 'a list of exactly one slice ends with an empty read')
  })

  it('keeps nothing larger than keepBytes', async () => {
    const kept: Buffer[] = []
    const body = await jsonList({ ...source(records(2 * SLICE_ENTRIES)), render, limit: undefined, keepBytes: 1000, keep: (b) => kept.push(b) })
    await text(body)
    assert.equal(kept.length, 0)
    await jsonList({ ...source(records(10)), render, limit: undefined, keepBytes: 10, keep: (b) => kept.push(b) })
    assert.equal(kept.length, 0)
  })

  it('lets other work run between slices, and stops reading when the stream is destroyed', async () => {
    const all = records(5 * SLICE_ENTRIES)
    const { read, calls } = source(all)
    const body = await jsonList({ read, render, limit: undefined, keepBytes: 1e9, keep: () => {} }) as Readable
    const turns: number[] = []
    const ticker = setInterval(() => turns.push(calls.length), 0)
    const iterator = body[Symbol.asyncIterator]()
    await iterator.next()
    await iterator.next()
    await iterator.next()
    clearInterval(ticker)
    body.destroy()
    await once(body, 'close')
    assert.ok(calls.length < 5, `stopped reading after the stream was destroyed (${calls.length} reads)`)
    assert.ok(turns.length > 0, 'timers ran while the list was being written')
  })
})
