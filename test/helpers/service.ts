import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const SIMULATOR = join(ROOT, 'simulator', 'oc')
/** The simulator picks its behaviour from the image tag. */
export const SIM_IMAGE = 'quay.io/must-gather-service/simulator'

export interface RunningService {
  url: string
  dir: string
  dataDir: string
  dbPath: string
  process: ChildProcess
  /** Everything the service printed so far. */
  logs: () => string
  /** SIGTERM and wait for exit; returns the exit code. */
  stop: () => Promise<number | null>
  /** SIGKILL and wait. */
  kill: () => Promise<void>
  fetch: (path: string, init?: RequestInit) => Promise<Response>
  json: <T = any>(path: string, init?: RequestInit) => Promise<{ status: number, body: T, headers: Headers }>
  post: <T = any>(body: unknown) => Promise<{ status: number, body: T, headers: Headers }>
}

export interface StartOptions {
  env?: Record<string, string>
  /** Reuse a directory (database and data) from an earlier service. */
  dir?: string
  /** Run the built dist/server.js, as production does (needs `npm run build`), instead of src/server.ts through tsx. */
  built?: boolean
}

/** Starts the real service as a child process on a free loopback port. */
export async function startService (options: StartOptions = {}): Promise<RunningService> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mgs-test-'))
  const dataDir = join(dir, 'gatherings')
  const dbPath = join(dir, 'gatherings.db')
  let output = ''
  const entry = options.built === true ? [join(ROOT, 'dist', 'server.js')] : ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'server.ts')]
  const child = spawn(process.execPath, entry, {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      PORT: '0',
      HOST: '127.0.0.1',
      DB_PATH: dbPath,
      DATA_DIR: dataDir,
      OC_PATH: SIMULATOR,
      AUTH_MODE: 'none',
      // Test machines can be short of disk; the 507 path has its own test.
      MIN_FREE_SPACE: '16Mi',
      CANCEL_GRACE: '2s',
      TIMEOUT_GRACE: '5s',
      SHUTDOWN_GRACE: '5s',
      // Health, readiness and metrics on the API port, as tests have always read them;
      // test/routes/metrics-port.test.ts covers the separate port (METRICS_PORT=0).
      METRICS_PORT: '-1',
      ...options.env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 20_000)
    const check = (): void => {
      const match = /listening on (https?:\/\/[^\s"]+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`service exited with ${code} before listening:\n${output}`))
    })
  })

  const doFetch = (path: string, init?: RequestInit): Promise<Response> => fetch(`${url}${path}`, init)
  const json = async <T>(path: string, init?: RequestInit) => {
    const response = await doFetch(path, init)
    const text = await response.text()
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers }
  }
  return {
    url,
    dir,
    dataDir,
    dbPath,
    process: child,
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
    fetch: doFetch,
    json,
    post: (body: unknown) => json('/must-gather', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    })
  }
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T> (check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Waits until the gathering reaches a final status and returns it. */
export async function waitForFinish (service: RunningService, id: number, timeoutMs = 30_000): Promise<any> {
  return waitFor(async () => {
    const { body } = await service.json(`/must-gather/${id}`)
    return body?.status === 'completed' || body?.status === 'error' ? body : undefined
  }, `gathering ${id} to finish`, timeoutMs)
}

/** Pids of live processes whose command line mentions `text` (e.g. a test's data dir). */
export function processesMentioning (text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0]
      if (cmdline.includes(text) && state !== 'Z') pids.push(Number(entry))
    } catch {}
  }
  return pids
}

/** Fails, naming them, if processes mentioning `text` are still alive after a short wait. */
export async function assertNoProcessesLeft (text: string): Promise<void> {
  const deadline = Date.now() + 5000
  let left = processesMentioning(text)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = processesMentioning(text)
  }
  const describe = (pid: number): string => {
    try { return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}` } catch { return `${pid}: (gone)` }
  }
  if (left.length > 0) throw new Error(`processes left behind:\n${left.map(describe).join('\n')}`)
}

/** Pids of the oc run (and its children) of one gathering of one service. */
export function runProcesses (service: RunningService, id: number): number[] {
  // The --dest-dir argument is unique to this service's data dir and this id.
  return processesMentioning(`${service.dataDir}/${id}/must-gather.local.${id}\0`)
}

/** The end of a test file: stop the service, check it left no process behind, remove its files. */
export async function stopAndClean (service: RunningService): Promise<void> {
  await service.stop()
  await assertNoProcessesLeft(service.dir)
  removeDir(service.dir)
}

export function removeDir (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
