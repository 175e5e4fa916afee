// A redaction worker thread: redacts the files the main thread sends, asks
// it for replacements it does not know yet (see mapping.ts), and returns
// outcomes and counts per batch.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'

import { redactFile, type FileContext, type FileOutcome } from './file.js'
import { CachedMapping } from './mapping.js'
import { globToRegex } from './omit.js'
import { compileRules } from './rules.js'
import type { Redactor } from './text.js'
import type { RedactionPlan } from './types.js'

export interface WorkerInit { plan: RedactionPlan, clusterDomains: string[], binaryFiles: 'omit' | 'keep' }
export type ToWorker =
  | { type: 'task', id: number, files: Array<{ abs: string, rel: string }> }
  | { type: 'known', id: number, entries: Array<[string, string]> }
export type FromWorker =
  | { type: 'need', id: number, keys: string[] }
  | { type: 'done', id: number, outcomes: FileOutcome[], counts: Array<[string, number]> }
  | { type: 'failed', id: number, message: string }

const port = parentPort
if (port === null) throw new Error('redaction worker started outside a worker thread')
const init = workerData as WorkerInit
const mapping = new CachedMapping()
const waiting = new Map<number, () => void>()
let nextRequest = 0
const redactor: Redactor = {
  rules: compileRules(init.plan, init.clusterDomains),
  mapping,
  counts: new Map(),
  memo: new Map(),
  resolve: async (keys) => await new Promise<void>((resolve) => {
    const id = nextRequest++
    waiting.set(id, resolve)
    port.postMessage({ type: 'need', id, keys } satisfies FromWorker)
  })
}
const tmpDir = await mkdtemp(join(tmpdir(), 'mgs-redact-'))
const ctx: FileContext = {
  redactor,
  kubernetesRules: init.plan.omit.filter((r) => r.type === 'Kubernetes'),
  fileGlobs: init.plan.omit.flatMap((r) => r.type === 'File' ? [{ pattern: r.pattern, regex: globToRegex(r.pattern) }] : []),
  omitSymlinks: init.plan.omit.some((r) => r.type === 'SymbolicLink'),
  binaryFiles: init.binaryFiles,
  tmpDir
}

port.on('message', (message: ToWorker | { type: 'stop' }) => {
  if (message.type === 'known') {
    mapping.learn(message.entries)
    waiting.get(message.id)?.()
    waiting.delete(message.id)
  } else if (message.type === 'task') {
    runTask(message.id, message.files).catch(() => {}) // runTask reports its own failures
  } else if (message.type === 'stop') {
    rm(tmpDir, { recursive: true, force: true }).catch(() => {}).finally(() => { port.close() })
  }
})

async function runTask (id: number, files: Array<{ abs: string, rel: string }>): Promise<void> {
  try {
    const outcomes: FileOutcome[] = []
    for (const { abs, rel } of files) outcomes.push(...await redactFile(abs, rel, ctx))
    const counts = [...redactor.counts]
    redactor.counts.clear()
    port?.postMessage({ type: 'done', id, outcomes, counts } satisfies FromWorker)
  } catch (error) {
    port?.postMessage({ type: 'failed', id, message: withoutPaths(error) } satisfies FromWorker)
  }
}

/** Error messages name paths, and paths hold addresses: what leaves the worker names none. */
function withoutPaths (error: unknown): string {
  const e = error as NodeJS.ErrnoException
  if (e.code !== undefined && e.syscall !== undefined) return `${e.code} (${e.syscall})`
  return String(e.message ?? error).replace(/\/[^\s'"]+/g, '<path>')
}
