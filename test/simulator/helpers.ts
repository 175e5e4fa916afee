// Helpers for the simulator tests: spawn the real executable with an argument
// array and an allow-listed environment, like the service does.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const OC = fileURLToPath(new URL('../../simulator/oc', import.meta.url))

/** RFC3339 with nanoseconds as Go prints it (trailing zeros trimmed). */
export const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?Z'
export const MAIN_OUT = new RegExp(`^\\[must-gather {6}\\] OUT ${TS} (.*)$`)
export const POD_OUT = new RegExp(`^\\[(must-gather-[a-z0-9]{5})\\] OUT ${TS} (.*)$`)
export const POD_LINE = new RegExp(`^\\[(must-gather-[a-z0-9]{5})\\] POD ${TS} (.*)$`)

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

export interface Running {
  child: ChildProcess
  result: Promise<RunResult>
  /** Resolves once stdout matches the pattern (rejects if the process ends first). */
  waitForStdout: (pattern: RegExp) => Promise<void>
}

/** Only what the service passes through: no simulator behaviour may come from the environment. */
export function allowListedEnv (home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' }
}

export function startOc (args: string[], cwd: string): Running {
  const started = performance.now()
  const child = spawn(OC, args, { cwd, env: allowListedEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  const waiters: { pattern: RegExp, resolve: () => void, reject: (e: Error) => void }[] = []
  let text = ''
  child.stdout?.on('data', (b: Buffer) => {
    out.push(b)
    if (waiters.length > 0) {
      text += b.toString()
      for (const w of [...waiters]) {
        if (w.pattern.test(text)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve()
        }
      }
    }
  })
  child.stderr?.on('data', (b: Buffer) => err.push(b))
  const result = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      for (const w of waiters) w.reject(new Error(`process ended before stdout matched ${w.pattern}`))
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - started })
    })
  })
  const waitForStdout = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    text = Buffer.concat(out).toString()
    if (pattern.test(text)) resolve()
    else waiters.push({ pattern, resolve, reject })
  })
  return { child, result, waitForStdout }
}

export async function runOc (args: string[], cwd: string): Promise<RunResult> {
  return await startOc(args, cwd).result
}

export async function withTempDir<T> (fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'oc-sim-test-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** All files under dir (relative paths), recursively. */
export async function listFiles (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

export async function totalBytes (dir: string, files: string[]): Promise<number> {
  let sum = 0
  for (const f of files) sum += (await stat(join(dir, f))).size
  return sum
}

export async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Lines of a text (without the empty string after the final newline). */
export function lines (text: string): string[] {
  const all = text.split('\n')
  if (all.at(-1) === '') all.pop()
  return all
}

/** The single image directory directly under dest (name starts with the sanitized registry). */
export async function imageDirs (dest: string): Promise<string[]> {
  return (await readdir(dest, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('inspect.local.')).map((e) => e.name).sort()
}
