import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'

import { completeTextLength, sseEvent } from './sse.js'

export interface FollowOptions {
  path: string
  /** Byte offset to start from (a late joiner may want only what is new). */
  offset: number
  /** Keep going until this says the run is over; then send what is left and end. */
  isFinished: () => Promise<boolean>
  /** Server-Sent Events instead of plain text. */
  sse: boolean
  signal: AbortSignal
  pollMs?: number
}

const CHUNK = 64 * 1024

/**
 * The output file as a stream from `offset`, following it while the run goes
 * on until `isFinished` says it is over. The routes use it for one-off reads
 * (`isFinished` true at once); `?follow=true` goes through OutputFollowers,
 * which shares one reader per execution among its followers.
 */
export function followOutput (options: FollowOptions): Readable {
  return Readable.from(readFollowing(options), { objectMode: false })
}

async function * readFollowing ({ path, offset, isFinished, sse, signal, pollMs = 250 }: FollowOptions): AsyncGenerator<Buffer> {
  let position = offset
  let handle = await open(path, 'r').catch(() => undefined)
  try {
    const buffer = Buffer.alloc(CHUNK)
    for (;;) {
      if (signal.aborted) return
      // Read the finished flag before reading: then an empty read really means the end.
      const finished = await isFinished()
      handle ??= await open(path, 'r').catch(() => undefined)
      let read = 0
      if (handle !== undefined) {
        ({ bytesRead: read } = await handle.read(buffer, 0, CHUNK, position))
        // An SSE event is text: never cut a character in two (the rest comes with the next read).
        if (sse && read > 0 && !finished) read = completeTextLength(buffer.subarray(0, read))
        if (read > 0) {
          const chunk = Buffer.from(buffer.subarray(0, read))
          yield sse ? sseEvent('output', chunk.toString('utf8'), position + read) : chunk
          position += read
          continue
        }
      }
      if (finished) {
        if (sse) yield sseEvent('end', '', position)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  } finally {
    await handle?.close()
  }
}
