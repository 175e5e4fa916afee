import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'

import type { Phase } from '../../gatherings/phase.js'
import { FINISHED_STATUSES, type Gathering } from '../../gatherings/types.js'
import type { GatheringStore, ListFilter, ListScope } from '../../storage/types.js'
import { jsonList } from '../bodies/json-list.js'
import { presentGathering } from './present.js'
import type { ResponseCache } from './response-cache.js'

/** What the runner knows of its running gatherings that their records do not (yet) hold. */
export interface LiveRuns {
  liveOutput: (id: number) => { size: number, tail: (limit: number) => string } | undefined
  livePhase: (id: number) => Phase | undefined
  /** Changes whenever a running gathering prints or moves on. */
  liveVersion: () => string
}

export interface GatheringViewsOptions {
  store: GatheringStore
  /** The store's databaseId(): a version names the database it was read from. */
  databaseId: string
  /** What else decides the bytes of an answer besides the record (the release): equal on every replica of one deployment. */
  release: string
  runs: LiveRuns
  /** Whole answers. */
  cache: ResponseCache
  /** List entries of finished executions, as JSON: a list built anew after a change reads only what changed. */
  entries: ResponseCache
  /** Characters of output in `exec-output` of one execution. */
  execOutputLimit: number
  /** Characters of output in `exec-output` of list entries. */
  listOutputLimit: number
  now?: () => Date
}

export interface ListPage {
  limit?: number
  offset?: number
}

/**
 * The JSON the API answers for executions, and what its ETags are made of.
 * A version names exactly what an answer shows: the same version, the same
 * bytes. So a client's `If-None-Match` gets a 304 and a repeated GET gets the
 * cached answer, both without serializing anything, while any change (a
 * record written, a running execution printing, a second passing for a
 * running execution's elapsed time) makes a new one.
 */
export class GatheringViews {
  readonly #o: GatheringViewsOptions
  /**
   * Part of every version: what the bytes depend on besides the records (the
   * database, the release, the output limits). Replicas of one deployment
   * share it, so an ETag one gave is good on every other; a replica with
   * other limits, or another release, never matches it.
   */
  readonly #prefix: string

  constructor (options: GatheringViewsOptions) {
    this.#o = options
    this.#prefix = createHash('sha256')
      .update(JSON.stringify([options.databaseId, options.release, options.execOutputLimit, options.listOutputLimit]))
      .digest('base64url').slice(0, 10)
  }

  /**
   * What GET /must-gather/:id shows of `g`, as a version. A running
   * execution's includes what the replica running it sees live (others show
   * its record, so their versions differ: each is right for its bytes).
   */
  version (g: Gathering): string {
    if (g.status !== 'inprogress') return `${this.#prefix}.${g.id}.${g.revision}`
    const live = this.#o.runs.liveOutput(g.id)
    return `${this.#prefix}.${g.id}.${g.revision}.${live?.size ?? ''}.${this.#o.runs.livePhase(g.id) ?? ''}.${this.#second()}`
  }

  /**
   * GET /must-gather/:id: a finished execution's answer comes from the cache after its first time.
   * `version`: this.version(g), when the caller has it already (for the ETag).
   */
  async one (g: Gathering, version = this.version(g)): Promise<Buffer> {
    const finished = FINISHED_STATUSES.includes(g.status)
    const key = `one:${version}`
    const cached = finished ? this.#o.cache.get(key) : undefined
    if (cached !== undefined) return cached
    // The stored tail, unless the answer shows none (queued) or the live one (running here).
    const stored = g.status === 'new' || this.#o.runs.liveOutput(g.id) !== undefined ? '' : await this.#o.store.outputTail(g.id, this.#o.execOutputLimit)
    const body = Buffer.from(this.render(g, (limit) => stored.slice(-limit), this.#o.execOutputLimit))
    return finished ? this.#o.cache.set(key, body) : body
  }

  /** What GET /must-gather with this scope and page shows, as a version. */
  async listVersion (scope: ListScope, page: ListPage): Promise<string> {
    const live = this.#o.runs.liveVersion()
    // Also a record left `inprogress` that no run tracks (its final state could not be written) shows a growing elapsed time.
    const clock = live !== '' || await this.#o.store.countByStatus('inprogress') > 0 ? this.#second() : ''
    return [this.#prefix, await this.#o.store.listVersion(), live, clock, JSON.stringify(page), JSON.stringify(scope)].join('|')
  }

  /**
   * GET /must-gather: newest first, a short output tail each; long lists stream (see jsonList).
   * `version`: this.listVersion(scope, page), when the caller has it already (for the ETag).
   */
  async list (scope: ListScope, page: ListPage, version?: string): Promise<Buffer | Readable> {
    version ??= await this.listVersion(scope, page)
    const key = `list:${version}`
    const cached = this.#o.cache.get(key)
    if (cached !== undefined) return cached
    return await jsonList({
      read: (count, beforeId) => this.#entriesOf({ ...scope, limit: count, ...(beforeId === undefined ? { offset: page.offset } : { beforeId }) }),
      render: (entry) => entry.json,
      limit: page.limit,
      keepBytes: this.#o.cache.entryLimit,
      // A list streamed over several turns is kept only if nothing changed meanwhile.
      keep: (body) => {
        this.listVersion(scope, page).then((now) => {
          if (now === version) this.#o.cache.set(key, body)
        }, () => {})
      }
    })
  }

  /**
   * A list's entries as JSON: those of finished executions whose
   * revision is unchanged from the entry cache, the rest read (in one query)
   * and rendered. After a change, a list is mostly entries that did not.
   */
  async #entriesOf (filter: ListFilter): Promise<Array<{ id: number, json: Buffer }>> {
    const keys = await this.#o.store.listKeys(filter)
    const json = new Map<number, Buffer>()
    const toRead: number[] = []
    for (const { id, revision, status } of keys) {
      const cached = FINISHED_STATUSES.includes(status) ? this.#o.entries.get(`${id}.${revision}`) : undefined
      if (cached !== undefined) json.set(id, cached)
      else toRead.push(id)
    }
    const limit = this.#o.listOutputLimit
    for (const g of await this.#o.store.getMany(toRead, limit)) {
      const entry = Buffer.from(this.render(g, () => g.outputTail, limit))
      json.set(g.id, FINISHED_STATUSES.includes(g.status) ? this.#o.entries.set(`${g.id}.${g.revision}`, entry) : entry)
    }
    // A record deleted between the two reads has no row: it is left out.
    return keys.flatMap(({ id }) => {
      const entry = json.get(id)
      return entry === undefined ? [] : [{ id, json: entry }]
    })
  }

  /** One execution as JSON text, with the live output of a running one. */
  render (g: Gathering, storedTail: (limit: number) => string, limit: number): string {
    const live = g.status === 'inprogress' ? this.#o.runs.liveOutput(g.id) : undefined
    return JSON.stringify(presentGathering(g, {
      execOutput: live !== undefined ? live.tail(limit) : g.status === 'new' ? '' : storedTail(limit),
      outputBytes: live?.size ?? g.outputSize,
      phase: this.#o.runs.livePhase(g.id),
      // Whole seconds, as in the versions: within one version every answer is the same.
      now: new Date(this.#second() * 1000)
    }))
  }

  #now (): Date {
    return this.#o.now?.() ?? new Date()
  }

  /** A running execution's elapsed time changes every second. */
  #second (): number {
    return Math.floor(this.#now().getTime() / 1000)
  }
}
