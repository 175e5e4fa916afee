import { type FileHandle, open } from 'node:fs/promises'
import { Readable } from 'node:stream'

import { completeTextLength, SSE_HEARTBEAT, sseEvent } from './sse.js'

export interface OutputFollowersOptions {
  /** `MAX_FOLLOWERS`: followers open at once, everyone's together. */
  maxFollowers: number
  /** `MAX_FOLLOWERS_PER_USER`: the same, per caller. */
  maxFollowersPerCaller: number
  /** How often an execution's output and state are checked while someone waits for more (default: 250 ms). */
  pollMs?: number
  /** SSE followers waiting this long without an event get a comment line (default: 15 s). */
  heartbeatMs?: number
}

export interface FollowRequest {
  /** The execution followed; its followers share one reader. */
  id: number
  path: string
  /** Byte offset this follower starts from (a late joiner may want only what is new). */
  offset: number
  sse: boolean
  /** `request.caller.key`: whose follower this is, for MAX_FOLLOWERS_PER_USER. */
  callerKey: string
  /** Whether the run is over: once it is and everything was read, followers end. */
  isFinished: () => Promise<boolean>
  /** Called when the response starts reading the body: its headers are written then (a quiet run has no byte to carry them). */
  onStart?: () => void
}

/** Beyond MAX_FOLLOWERS or MAX_FOLLOWERS_PER_USER (429). */
export class TooManyFollowersError extends Error {
  constructor (readonly setting: 'MAX_FOLLOWERS' | 'MAX_FOLLOWERS_PER_USER', readonly limit: number) {
    super(setting === 'MAX_FOLLOWERS'
      ? `too many followers of output: at most ${limit} at once for everyone (MAX_FOLLOWERS); retry later`
      : `too many followers of output from this caller: at most ${limit} at once (MAX_FOLLOWERS_PER_USER); close one or retry later`)
    this.name = 'TooManyFollowersError'
  }
}

const CHUNK = 64 * 1024

/**
 * Followed output (`?follow=true`), like `tail -f`, ending when the run ends.
 *
 * One reader per followed execution (an `OutputReader`: one file descriptor,
 * one check of the run's state per poll, whatever the number of followers)
 * serves every follower of it. Each follower keeps its own byte position:
 * a late joiner first reads what it missed from its offset, then takes the
 * same chunks as everyone at the end of the output (the reader keeps the
 * last few it read, so one read serves them all). A follower is a stream
 * pulled by its connection: a slow one is not sent more than its socket
 * takes, and catches up from the file when it reads again, so memory stays
 * at one chunk per follower and a few per execution, however slow it is.
 *
 * Caps: MAX_FOLLOWERS in total, MAX_FOLLOWERS_PER_USER per caller.
 */
export class OutputFollowers {
  readonly #options: Required<OutputFollowersOptions>
  readonly #readers = new Map<number, OutputReader>()
  readonly #perCaller = new Map<string, number>()
  #total = 0

  constructor (options: OutputFollowersOptions) {
    this.#options = { pollMs: 250, heartbeatMs: 15_000, ...options }
  }

  /** Followers open now. */
  get count (): number {
    return this.#total
  }

  /** Executions followed now (one reader, one descriptor at most, each). */
  get readers (): number {
    return this.#readers.size
  }

  /** A follower's body; throws TooManyFollowersError (nothing taken) beyond a cap. */
  follow (request: FollowRequest): Readable {
    const { maxFollowers, maxFollowersPerCaller } = this.#options
    const mine = this.#perCaller.get(request.callerKey) ?? 0
    if (this.#total >= maxFollowers) throw new TooManyFollowersError('MAX_FOLLOWERS', maxFollowers)
    if (mine >= maxFollowersPerCaller) throw new TooManyFollowersError('MAX_FOLLOWERS_PER_USER', maxFollowersPerCaller)
    this.#total++
    this.#perCaller.set(request.callerKey, mine + 1)
    let reader = this.#readers.get(request.id)
    if (reader === undefined) {
      reader = new OutputReader(request.path, request.isFinished, this.#options.pollMs)
      this.#readers.set(request.id, reader)
    }
    reader.followers++
    const leave = (): void => {
      this.#total--
      const left = (this.#perCaller.get(request.callerKey) ?? 1) - 1
      if (left === 0) this.#perCaller.delete(request.callerKey)
      else this.#perCaller.set(request.callerKey, left)
      const shared = reader as OutputReader
      if (--shared.followers === 0) {
        this.#readers.delete(request.id)
        shared.close()
      }
    }
    return new Follower(reader, request.offset, request.sse, this.#options.heartbeatMs, leave, request.onStart)
  }

  /** Ends every follower (the app closes). */
  close (): void {
    for (const reader of this.#readers.values()) reader.close()
  }
}

/** One execution's output file, read once for all its followers. */
class OutputReader {
  followers = 0
  /** Bytes known to be in the file. */
  known = 0
  /** The run is over and `known` is everything. */
  ended = false
  closed = false
  readonly #path: string
  readonly #isFinished: () => Promise<boolean>
  readonly #pollMs: number
  #handle: FileHandle | undefined
  #opening: Promise<FileHandle | undefined> | undefined
  #waiters: Array<() => void> = []
  #polling = false
  /** The last chunks read, newest last: followers at the same place share them. */
  #recent: Array<{ start: number, bytes: Buffer }> = []

  constructor (path: string, isFinished: () => Promise<boolean>, pollMs: number) {
    this.#path = path
    this.#isFinished = isFinished
    this.#pollMs = pollMs
  }

  /** Resolves once more than `position` bytes are known, or the run has ended (or the reader closed). */
  beyond (position: number): Promise<void> {
    if (this.known > position || this.ended || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.#waiters.push(resolve)
      this.#poll().catch(() => {})
    })
  }

  /** Up to CHUNK known bytes from `position` (empty at the known end). */
  async read (position: number): Promise<Buffer> {
    const end = Math.min(this.known, position + CHUNK)
    if (position >= end) return Buffer.alloc(0)
    const cached = this.#recent.find((c) => c.start <= position && position < c.start + c.bytes.length)
    if (cached !== undefined) return cached.bytes.subarray(position - cached.start, end - cached.start)
    const handle = await this.#file()
    if (handle === undefined) return Buffer.alloc(0)
    const buffer = Buffer.alloc(end - position)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
    const bytes = buffer.subarray(0, bytesRead)
    this.#recent.push({ start: position, bytes })
    if (this.#recent.length > 4) this.#recent.shift()
    return bytes
  }

  close (): void {
    this.closed = true
    this.#wake()
    this.#recent = []
    const handle = this.#handle
    this.#handle = undefined
    handle?.close().catch(() => {})
  }

  /** While someone waits: the run's state, then the file's size, every pollMs. */
  async #poll (): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      while (this.#waiters.length > 0 && !this.closed) {
        // The state before the size: then a size that did not grow really is the end.
        const finished = await this.#isFinished().catch(() => false)
        const handle = await this.#file()
        const size = handle === undefined ? 0 : (await handle.stat().catch(() => ({ size: 0 }))).size
        if (this.closed) return
        if (size > this.known) {
          this.known = size
          this.#wake()
        } else if (finished) {
          this.ended = true
          this.#wake()
        } else {
          await new Promise((resolve) => setTimeout(resolve, this.#pollMs))
        }
      }
    } finally {
      this.#polling = false
    }
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }

  /** The output file, once it exists (a queued run has none yet). */
  async #file (): Promise<FileHandle | undefined> {
    if (this.#handle !== undefined || this.closed) return this.#handle
    this.#opening ??= open(this.#path, 'r').catch(() => undefined)
    const handle = await this.#opening
    this.#opening = undefined
    if (handle !== undefined && this.closed) {
      await handle.close()
      return undefined
    }
    this.#handle ??= handle
    return this.#handle
  }
}

/** One follower: its own position in the shared output, pulled by its connection. */
class Follower extends Readable {
  readonly #reader: OutputReader
  readonly #sse: boolean
  readonly #heartbeatMs: number
  readonly #leave: () => void
  #onStart: (() => void) | undefined
  #position: number
  #pumping = false

  constructor (reader: OutputReader, offset: number, sse: boolean, heartbeatMs: number, leave: () => void, onStart?: () => void) {
    super()
    this.#onStart = onStart
    this.#reader = reader
    this.#position = offset
    this.#sse = sse
    this.#heartbeatMs = heartbeatMs
    this.#leave = leave
  }

  override _read (): void {
    const onStart = this.#onStart
    this.#onStart = undefined
    onStart?.()
    if (this.#pumping) return
    this.#pumping = true
    this.#pump().catch((error: unknown) => this.destroy(error as Error))
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    this.#leave()
    callback(error)
  }

  /** Pushes until the connection wants no more (push returns false), or the end. */
  async #pump (): Promise<void> {
    try {
      await this.#pushWhileWanted()
    } finally {
      // At once, not a tick later: the next _read may come as soon as this returns.
      this.#pumping = false
    }
  }

  async #pushWhileWanted (): Promise<void> {
    const reader = this.#reader
    // Bytes known but held back (half a character, a `\r`): wait for more than them.
    let held = 0
    for (;;) {
      if (this.destroyed) return
      if (reader.closed) {
        this.push(null)
        return
      }
      if (reader.known <= this.#position + held && !reader.ended) {
        if (!await this.#waitOrBeat(this.#position + held)) return
        continue
      }
      const bytes = await reader.read(this.#position)
      if (this.destroyed) return
      if (bytes.length === 0) {
        if (this.#sse) this.push(sseEvent('end', '', this.#position))
        this.push(null)
        return
      }
      // An SSE event is text: no character cut in two, no `\r` apart from its `\n`, until the end.
      const length = this.#sse && !(reader.ended && reader.known === this.#position + bytes.length) ? completeTextLength(bytes) : bytes.length
      held = bytes.length - length
      if (length === 0) continue
      const chunk = bytes.subarray(0, length)
      this.#position += length
      held = 0
      // The chunk may be the reader's shared one: never written to, so every follower can send it as is.
      const more = this.push(this.#sse ? sseEvent('output', chunk.toString('utf8'), this.#position) : chunk)
      if (!more) return
    }
  }

  /**
   * Waits for bytes beyond `position`; an SSE follower that waits a whole
   * heartbeat interval gets a comment line instead (false: the connection
   * wants no more for now).
   */
  async #waitOrBeat (position: number): Promise<boolean> {
    const more = this.#reader.beyond(position)
    if (!this.#sse) {
      await more
      return true
    }
    let timer: NodeJS.Timeout | undefined
    const beat = new Promise<'beat'>((resolve) => { timer = setTimeout(() => resolve('beat'), this.#heartbeatMs) })
    try {
      if (await Promise.race([more, beat]) === 'beat' && !this.destroyed) return this.push(SSE_HEARTBEAT)
      return true
    } finally {
      clearTimeout(timer)
    }
  }
}
