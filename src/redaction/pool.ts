// The worker threads of one redactTree call: batches go to whichever worker
// has room (two batches each, so that one waits on the disk while the other
// computes), and the workers' questions about the mapping are answered here.
import type { Worker } from 'node:worker_threads'

import { startModuleWorker } from '../module-worker.js'
import type { FileOutcome } from './file.js'
import type { RunMapping } from './mapping.js'
import type { FromWorker, ToWorker, WorkerInit } from './worker.js'

export interface BatchResult { outcomes: FileOutcome[], counts: Array<[string, number]> }

const PER_WORKER = 1
/**
 * A worker's live data is a few chunks and its caches (tens of MiB at most);
 * left to itself V8 lets the young generation and heap grow far past that
 * before collecting. Smaller limits keep the peak RSS of a run low.
 */
const LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 64 }

function startWorker (init: WorkerInit): Worker {
  return startModuleWorker(import.meta.url, 'worker', { workerData: init, resourceLimits: LIMITS })
}

export class WorkerPool {
  readonly #workers: Worker[]
  readonly #mapping: RunMapping

  constructor (init: WorkerInit, size: number, mapping: RunMapping) {
    this.#mapping = mapping
    this.#workers = Array.from({ length: size }, () => startWorker(init))
  }

  /** Runs every batch; rejects on the first failure or when `signal` aborts (batches already sent finish first). */
  async run (batches: Array<Array<{ abs: string, rel: string }>>, signal?: AbortSignal): Promise<BatchResult[]> {
    const results: BatchResult[] = []
    let next = 0
    let running = 0
    return await new Promise((resolve, reject) => {
      let failure: Error | undefined
      const settle = (): void => {
        if (running > 0) return
        if (failure !== undefined) reject(failure)
        else if (next >= batches.length) resolve(results)
      }
      const fail = (error: Error): void => {
        failure ??= error
        settle()
      }
      const send = (worker: Worker): void => {
        if (failure !== undefined || signal?.aborted === true || next >= batches.length) return
        const id = next++
        running++
        worker.postMessage({ type: 'task', id, files: batches[id] ?? [] } satisfies ToWorker)
      }
      const onAbort = (): void => { fail(signal?.reason instanceof Error ? signal.reason : new Error('redaction aborted')) }
      signal?.addEventListener('abort', onAbort, { once: true })
      for (const worker of this.#workers) {
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'need') {
            worker.postMessage({ type: 'known', id: message.id, entries: this.#mapping.assign(message.keys) } satisfies ToWorker)
            return
          }
          running--
          if (message.type === 'done') {
            results.push({ outcomes: message.outcomes, counts: message.counts })
            send(worker)
          } else {
            failure ??= new Error(`redaction failed: ${message.message}`)
          }
          settle()
        })
        worker.on('error', (error) => { running = 0; fail(error) })
        worker.on('exit', (code) => { if (code !== 0) { running = 0; fail(new Error(`redaction worker exited with code ${code}`)) } })
        for (let i = 0; i < PER_WORKER; i++) send(worker)
      }
      settle()
    })
  }

  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async (worker) => {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.postMessage({ type: 'stop' })
      await exited
    }))
  }
}
