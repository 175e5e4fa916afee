// The packing thread's own code (see pack-thread.ts): it packs one directory
// with the summary's tap, makes the summary, and posts both back.
import { join } from 'node:path'
import { parentPort } from 'node:worker_threads'

import { DirectoryTreeSource, summarizeLocated } from '../insight/index.js'
import { packDirectory } from './pack.js'
import type { PackReply, PackRequest } from './pack-thread.js'
import { TappedTreeSource } from './tapped-tree-source.js'

// Not niced, unlike tar and the compressing threads: this thread feeds them, and at their priority it
// fell behind (the bench's 315 MB tree: 2.6 s against 2.27 s).

const port = parentPort
if (port === null) throw new Error('pack-worker.ts runs as a worker thread (pack-thread.ts)')

/** The job at hand's: a thread packs one directory at a time. */
let abort = new AbortController()

port.on('message', (message: PackRequest) => {
  if (message.type === 'abort') {
    abort.abort()
    return
  }
  abort = new AbortController()
  packAndSummarize(message, abort.signal).then((reply) => port.postMessage(reply), (error: unknown) => port.postMessage(failed(error)))
})

async function packAndSummarize ({ parent, dirName, target }: Extract<PackRequest, { type: 'pack' }>, signal: AbortSignal): Promise<PackReply> {
  const tap = new TappedTreeSource({ directory: new DirectoryTreeSource(join(parent, dirName), { prefix: dirName }), signal })
  const archive = await packDirectory({ parent, dirName, target, signal, tap })
  try {
    const summary = await summarizeLocated(tap.located(), tap, { signal, prepared: await tap.prepared() })
    return { type: 'packed', archive, summary }
  } catch (error) {
    return { type: 'packed', archive, summaryError: messageOf(error) }
  }
}

function failed (error: unknown): PackReply {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return { type: 'failed', message: messageOf(error), ...(typeof code === 'string' && { code }) }
}

function messageOf (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
