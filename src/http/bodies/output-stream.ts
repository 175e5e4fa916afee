import { open } from 'node:fs/promises'
import { Readable } from 'node:stream'

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
 * The output file as a stream that follows it while the run goes on, like
 * `tail -f`, and ends when the run is over. Every follower reads the file on
 * its own (nothing is buffered per follower beyond one chunk), so late
 * joiners get everything from `offset` and a disconnect only closes that
 * follower's file handle.
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
        if (sse && read > 0 && !finished) read = completeUtf8Length(buffer.subarray(0, read))
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

/** One SSE event; `id` is the byte offset after it, so a reconnect can resume with Last-Event-ID. */
function sseEvent (event: string, text: string, id: number): Buffer {
  const data = text.split('\n').map((line) => `data: ${line}`).join('\n')
  return Buffer.from(`id: ${id}\nevent: ${event}\n${data}\n\n`)
}

/** Length of `bytes` without a trailing, incomplete UTF-8 sequence. */
function completeUtf8Length (bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0
    if ((byte & 0xc0) === 0x80) continue // continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return needed > back ? bytes.length - back : bytes.length
  }
  return bytes.length
}
