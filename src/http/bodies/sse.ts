/**
 * Server-Sent Events as the output routes send them. A browser's EventSource
 * ends a line at `\r\n`, `\r` or `\n`: every one of them in oc's text starts a
 * new `data:` line here, so nothing oc prints can become a field of its own
 * (`line\rid: 9\revent: end` stays data). Line ends inside an event's data
 * therefore all reach the browser as `\n`.
 */
const LINE_END = /\r\n|\r|\n/

/** One event; `id` is the byte offset after it, so a reconnect can resume with Last-Event-ID. */
export function sseEvent (event: string, text: string, id: number): Buffer {
  const data = text.split(LINE_END).map((line) => `data: ${line}`).join('\n')
  return Buffer.from(`id: ${id}\nevent: ${event}\n${data}\n\n`)
}

/** A comment line: no event for the browser, but bytes on an otherwise silent connection (for proxies' idle timeouts). */
export const SSE_HEARTBEAT = Buffer.from(':\n\n')

/**
 * How much of `bytes` can go out as one event while more may follow: not a
 * character cut in two, and not a trailing `\r` whose `\n` may come next (it
 * would become two line ends). The rest comes with the next read.
 */
export function completeTextLength (bytes: Buffer): number {
  let length = completeUtf8Length(bytes)
  if (length > 0 && bytes[length - 1] === 0x0d) length--
  return length
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
