import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'

import type { OutputLog } from './output-log.js'
import { signalGroup } from './process-group.js'

export interface OcRunOptions {
  ocPath: string
  args: string[]
  cwd: string
  /** The complete environment of the child: an allow-list, never the service's own. */
  env: NodeJS.ProcessEnv
  output: OutputLog
  /** Kill the run after this long (its timeout plus a grace period). */
  deadlineMs: number
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number
  /** Aborting stops the run the same way the deadline does. */
  signal: AbortSignal
  /** Called once the process exists, with its pid. */
  onSpawn: (pid: number) => void
  /** Sees every stdout chunk (for the phase). */
  onStdout?: (chunk: Buffer) => void
}

export interface OcRunOutcome {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** Set when the process could not be started at all. */
  spawnError?: NodeJS.ErrnoException
  /** Set when the service stopped the run itself. */
  stoppedBecause?: 'deadline' | 'aborted'
  /** The last `error: …` line oc printed on stderr, else its last stderr line. */
  lastErrorLine: string
}

const MAX_LINE = 4096
const PIPE_LINGER_MS = 5000

/**
 * Runs `oc` once: no shell, own process group, stdout and stderr into the
 * output log in arrival order. Settles exactly once, after the process has
 * exited and its pipes are closed; never rejects.
 */
export function runOc (options: OcRunOptions): Promise<OcRunOutcome> {
  return new Promise((resolve) => {
    const { output } = options
    const errors = new StderrLines()
    let stoppedBecause: OcRunOutcome['stoppedBecause']
    let exit: { code: number | null, signal: NodeJS.Signals | null } | undefined
    let killTimer: NodeJS.Timeout | undefined

    const child = spawn(options.ocPath, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true, // own process group: signals reach oc's children too
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false
    })

    const stop = (reason: NonNullable<OcRunOutcome['stoppedBecause']>): void => {
      if (stoppedBecause !== undefined || exit !== undefined || child.pid === undefined) return
      stoppedBecause = reason
      signalGroup(child.pid, 'SIGTERM')
      killTimer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'), options.killGraceMs)
    }
    const deadline = setTimeout(() => stop('deadline'), options.deadlineMs)
    const onAbort = (): void => stop('aborted')
    options.signal.addEventListener('abort', onAbort, { once: true })

    const finish = (spawnError?: NodeJS.ErrnoException): void => {
      clearTimeout(deadline)
      clearTimeout(killTimer)
      options.signal.removeEventListener('abort', onAbort)
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        ...(spawnError !== undefined && { spawnError }),
        ...(stoppedBecause !== undefined && { stoppedBecause }),
        lastErrorLine: errors.last()
      })
    }

    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only spawn failures reach here with no pid; later errors are followed by 'close'.
      if (child.pid === undefined) finish(error)
    })
    child.once('spawn', () => {
      if (child.pid !== undefined) options.onSpawn(child.pid)
      if (options.signal.aborted) onAbort()
    })
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      // oc is gone; anything left in its group was orphaned by it. Sweep it
      // now, or its open pipes would keep this run from ever closing.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL')
      // A descendant that left the group (setsid) may still hold the pipes:
      // stop reading after a moment rather than wait for it forever.
      setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, PIPE_LINGER_MS).unref()
    })
    child.once('close', () => finish())

    if (options.onStdout !== undefined) child.stdout.on('data', options.onStdout)
    capture(child.stdout, output)
    capture(child.stderr, output, errors)
  })
}

function capture (stream: Readable, output: OutputLog, lines?: StderrLines): void {
  stream.on('data', (chunk: Buffer) => {
    lines?.push(chunk)
    if (!output.write(chunk)) {
      stream.pause()
      output.onDrain(() => stream.resume())
    }
  })
}

/** Remembers the last meaningful stderr line in bounded memory. */
class StderrLines {
  #partial = ''
  #lastError = ''
  #lastLine = ''

  push (chunk: Buffer): void {
    const text = this.#partial + chunk.toString('utf8')
    const lines = text.split('\n')
    this.#partial = (lines.pop() ?? '').slice(-MAX_LINE)
    for (const line of lines) this.#take(line)
  }

  last (): string {
    this.#take(this.#partial)
    this.#partial = ''
    return this.#lastError !== '' ? this.#lastError : this.#lastLine
  }

  #take (raw: string): void {
    const line = raw.trim().slice(0, MAX_LINE)
    if (line === '') return
    this.#lastLine = line
    if (line.startsWith('error:')) this.#lastError = line
  }
}
