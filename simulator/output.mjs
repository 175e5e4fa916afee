// @ts-check
// Output of the simulated `oc`: nanosecond UTC timestamps, the prefixed
// `[must-gather      ] OUT <ts> ...` lines (mirrored to must-gather.logs),
// buffered stdout with backpressure, and crypto-random name parts.
import { openSync, writeSync, closeSync } from 'node:fs'
import { randomInt } from 'node:crypto'
import { performance } from 'node:perf_hooks'

/** Prefix of oc's own lines, padded to the width of `[must-gather-xxxxx]`. */
export const MAIN_PREFIX = '[must-gather      ]'

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789' // Kubernetes generateName alphabet

/**
 * A random generateName-style suffix (e.g. `5sd2k`).
 * @param {number} [n]
 */
export function randomSuffix (n = 5) {
  let s = ''
  for (let i = 0; i < n; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]
  return s
}

/** Go's fmt.Sprintf("%06d", rand.Int63()). */
export function randomDigits () {
  const n = (BigInt(randomInt(2 ** 31)) << 32n) | BigInt(randomInt(2 ** 32))
  return n.toString().padStart(6, '0')
}

/** Wall clock with nanosecond resolution (wall time at start + monotonic elapsed). */
export class Clock {
  constructor () {
    const startMs = Date.now()
    this.hr0 = process.hrtime()
    this.startSec = Math.floor(startMs / 1000)
    this.startNs = (startMs % 1000) * 1e6
    this.cacheSec = -1
    this.cacheIso = ''
  }

  /** @returns {{ sec: number, nsec: number }} */
  now () {
    const [s, n] = process.hrtime(this.hr0)
    const total = this.startNs + n
    return { sec: this.startSec + s + Math.floor(total / 1e9), nsec: total % 1e9 }
  }

  /**
   * `YYYY-MM-DDTHH:MM:SS` of a Unix second (cached: called for every line).
   * @param {number} sec
   */
  isoSeconds (sec) {
    if (sec !== this.cacheSec) {
      this.cacheSec = sec
      this.cacheIso = new Date(sec * 1000).toISOString().slice(0, 19)
    }
    return this.cacheIso
  }

  /** Go's time.Now().UTC().Format(time.RFC3339Nano): trailing zeros of the fraction trimmed. */
  rfc3339Nano () {
    const { sec, nsec } = this.now()
    return this.isoSeconds(sec) + fraction(nsec) + 'Z'
  }

  /** Go's time.Now().String() in UTC: `2026-11-25 08:00:00.123456789 +0000 UTC m=+0.012345678`. */
  goString () {
    const { sec, nsec } = this.now()
    const iso = this.isoSeconds(sec)
    const mono = (performance.now() / 1000).toFixed(9)
    return `${iso.slice(0, 10)} ${iso.slice(11)}${fraction(nsec)} +0000 UTC m=+${mono}`
  }
}

/**
 * `.123456789` with trailing zeros removed, '' for a whole second.
 * @param {number} nsec
 */
function fraction (nsec) {
  if (nsec === 0) return ''
  let digits = 9
  while (nsec % 10 === 0) {
    nsec /= 10
    digits--
  }
  return '.' + String(nsec).padStart(digits, '0')
}

const STDOUT_CHUNK = 64 * 1024
const LOG_CHUNK = 1024 * 1024

/**
 * Buffered stdout (flushed every event-loop turn or every 64 KiB) plus the
 * must-gather.logs mirror of every OUT and raw line.
 */
export class Output {
  /**
   * @param {NodeJS.WritableStream & { writableNeedDrain?: boolean }} stdout
   * @param {Clock} clock
   */
  constructor (stdout, clock) {
    this.stdout = stdout
    this.clock = clock
    /** @type {string[]} */
    this.pending = []
    this.pendingLen = 0
    this.flushScheduled = false
    this.broken = false
    this.muted = false
    /** @type {number | null} */
    this.logFd = null
    /** @type {string[]} */
    this.logParts = []
    this.logLen = 0
    /** @type {unknown} the first failed write to must-gather.logs */
    this.logError = undefined
    /** @type {(() => void)[]} */
    this.drainWaiters = []
    stdout.on('error', () => {
      this.broken = true
      this.releaseWaiters()
    })
    stdout.on('drain', () => this.releaseWaiters())
  }

  releaseWaiters () {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w()
  }

  /** @param {string} path */
  openLog (path) {
    this.logFd = openSync(path, 'w')
  }

  /**
   * Queues text (complete lines) for stdout.
   * @param {string} text
   */
  writeStdout (text) {
    if (this.muted || this.broken) return
    this.pending.push(text)
    this.pendingLen += text.length
    if (this.pendingLen >= STDOUT_CHUNK) this.flushStdout()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(() => {
        this.flushScheduled = false
        this.flushStdout()
      })
    }
  }

  flushStdout () {
    if (this.pending.length === 0) return
    const text = this.pending.join('')
    this.pending = []
    this.pendingLen = 0
    if (this.broken) return
    this.stdout.write(text)
  }

  /**
   * Queues text (complete lines) for must-gather.logs.
   * @param {string} text
   */
  writeLog (text) {
    if (this.logFd === null || this.muted) return
    this.logParts.push(text)
    this.logLen += text.length
    if (this.logLen >= LOG_CHUNK) this.flushLog()
  }

  flushLog () {
    if (this.logFd === null || this.logParts.length === 0) return
    const text = this.logParts.join('')
    this.logParts = []
    this.logLen = 0
    // A failed write (a full disk) is reported by closeLog, not thrown from whichever line hit it.
    try {
      writeSync(this.logFd, text)
    } catch (e) {
      this.logError ??= e
    }
  }

  closeLog () {
    if (this.logFd === null) return
    this.flushLog()
    closeSync(this.logFd)
    this.logFd = null
    const error = this.logError
    this.logError = undefined
    if (error !== undefined) throw error
  }

  /**
   * An OUT line: `<prefix> OUT <ts> <text>` on stdout and in must-gather.logs.
   * @param {string} prefix e.g. MAIN_PREFIX or `[must-gather-5sd2k]`
   * @param {string} text
   */
  out (prefix, text) {
    const line = `${prefix} OUT ${this.clock.rfc3339Nano()} ${text}\n`
    this.writeStdout(line)
    this.writeLog(line)
  }

  /**
   * Several OUT lines at once (rsync output).
   * @param {string} prefix
   * @param {string[]} texts
   */
  outMany (prefix, texts) {
    if (texts.length === 0) return
    let chunk = ''
    for (const t of texts) chunk += `${prefix} OUT ${this.clock.rfc3339Nano()} ${t}\n`
    this.writeStdout(chunk)
    this.writeLog(chunk)
  }

  /**
   * An unprefixed line (cluster summary), on stdout and in must-gather.logs.
   * @param {string} text
   */
  raw (text) {
    this.writeStdout(text + '\n')
    this.writeLog(text + '\n')
  }

  /** Stops all further output (used once a terminating signal is being handled). */
  mute () {
    this.muted = true
  }

  /** Resolves when stdout has room again (backpressure); flushes pending text first. */
  async drain () {
    this.flushStdout()
    if (this.broken || !this.stdout.writableNeedDrain) return
    await new Promise((resolve) => { this.drainWaiters.push(() => resolve(undefined)) })
  }
}
