// The packing thread's own code (see pack-thread.ts): it packs one directory
// at a time with its summary (pack-and-summarize.ts) and posts both back.
import { parentPort } from 'node:worker_threads'

import { packAndSummarize } from './pack-and-summarize.js'
import type { PackReply, PackRequest } from './pack-thread.js'

// Not niced, unlike tar and the compressing threads: this thread feeds them, and at their priority it
// fell behind (the bench's 315 MB tree: 2.6 s against 2.27 s).

const port = parentPort
if (port === null) throw new Error('pack-worker.ts runs as a worker thread (pack-thread.ts)')

// Its modules are loaded (see PackThread.ready).
port.postMessage({ type: 'ready' } satisfies PackReply)

/** The job at hand's: a thread packs one directory at a time. */
let abort = new AbortController()

port.on('message', (message: PackRequest) => {
  if (message.type === 'abort') {
    abort.abort()
    return
  }
  abort = new AbortController()
  const { type: _, ...request } = message
  packAndSummarize(request, abort.signal).then(
    (packed) => port.postMessage({ type: 'packed', ...packed } satisfies PackReply),
    (error: unknown) => port.postMessage(failed(error))
  )
})

function failed (error: unknown): PackReply {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return { type: 'failed', message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' && { code }) }
}
