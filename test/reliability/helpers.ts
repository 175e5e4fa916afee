import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'

import Database from 'better-sqlite3'

import type { RunningService } from '../helpers/service.js'

/**
 * Shared pieces of the reliability suite (README "Reliability"). Every
 * scenario runs a reduced variant by default; RELIABILITY_HEAVY=1 runs the
 * full counts.
 */
export const HEAVY = process.env.RELIABILITY_HEAVY === '1'

/** The default count, or the heavy one with RELIABILITY_HEAVY=1. */
export function count<T> (normal: T, heavy: T): T {
  return HEAVY ? heavy : normal
}

/** A line for the README table, shown by the spec reporter (`# reliability …`). */
export function report (t: { diagnostic: (message: string) => void }, scenario: string, figures: string): void {
  t.diagnostic(`reliability ${HEAVY ? 'heavy' : 'default'} | ${scenario} | ${figures}`)
}

/** A small seeded PRNG (mulberry32), so that a failing run can be repeated with its seed. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed of this run: RELIABILITY_SEED to repeat one, else a fresh one. */
export function runSeed (): number {
  const given = Number(process.env.RELIABILITY_SEED)
  return Number.isSafeInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Open file descriptors of a process. */
export function openFds (pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** What each open descriptor of a process points at (files, `socket:[…]`, `pipe:[…]`). */
export function fdTargets (pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try { return readlinkSync(`/proc/${pid}/fd/${fd}`) } catch { return '(closed)' }
  })
}

/** Resident memory of a process, in bytes. */
export function rssBytes (pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) * 1024
}

export interface DatabaseCheck {
  /** `PRAGMA integrity_check`: "ok" when the file is sound. */
  integrity: string
  ids: Map<number, string>
  running: Array<{ id: number, pid: number | null }>
}

/**
 * Opens a copy of the service's database files (the service must be stopped
 * or dead; the copy leaves the originals exactly as the crash left them for
 * the next start), runs `PRAGMA integrity_check` and reads every id with its
 * status.
 */
export function checkDatabase (path: string): DatabaseCheck {
  const scratch = mkdtempSync(join(tmpdir(), 'mgs-db-check-'))
  const copy = join(scratch, 'copy.db')
  copyFileSync(path, copy)
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`)
  const db = new Database(copy, { fileMustExist: true })
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const rows = db.prepare('SELECT id, status, pid FROM gatherings ORDER BY id').all() as Array<{ id: number, status: string, pid: number | null }>
    return {
      integrity,
      ids: new Map(rows.map((r) => [r.id, r.status])),
      running: rows.filter((r) => r.status === 'inprogress').map((r) => ({ id: r.id, pid: r.pid }))
    }
  } finally {
    db.close()
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Runs SQL against a stopped service's database (to set up the state a crash leaves). */
export function editDatabase (path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path, { fileMustExist: true })
  try {
    db.prepare(sql).run(...params)
  } finally {
    db.close()
  }
}

export interface Download {
  status: number
  bytes: Buffer
  sha256: string
}

/** Downloads a whole archive and hashes it. */
export async function download (service: RunningService, id: number): Promise<Download> {
  const response = await service.fetch(`/must-gather/${id}/data`)
  const bytes = Buffer.from(await response.arrayBuffer())
  return { status: response.status, bytes, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/** Whether bytes are a complete gzip stream (a half-written archive is not). */
export function isWholeGzip (bytes: Buffer): boolean {
  try {
    gunzipSync(bytes)
    return true
  } catch {
    return false
  }
}

/** The `q` quantile (0–1) of some numbers, nearest rank. */
export function quantile (values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

/** Writes an executable file (a stand-in `oc`), creating its directory. */
export function writeExecutable (path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
  chmodSync(path, 0o755)
}

export interface PlainResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * One request on its own connection (`Connection: close`), so that no
 * keep-alive socket of the test stays open in the service and skews a count
 * of its file descriptors.
 */
export function plainRequest (url: string, options: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: false, headers: { Connection: 'close', ...options.headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Every file and directory under `dir` (relative paths), not descending into
 * the directories `skip` names: what a test compares before and after to show
 * that nothing was written where it should not be.
 */
export function listTree (dir: string, skip: (relative: string) => boolean = () => false): string[] {
  const found: string[] = []
  const walk = (relative: string): void => {
    const full = relative === '' ? dir : `${dir}/${relative}`
    if (!existsSync(full)) return
    for (const entry of readdirSync(full, { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`
      found.push(path)
      if (entry.isDirectory() && !skip(path)) walk(path)
    }
  }
  walk('')
  return found.sort()
}

/** Like `waitFor`, polling every `intervalMs` (to catch a short-lived state such as packing). */
export async function poll<T> (check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}
