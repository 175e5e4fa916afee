/** A Server-Sent Event as a browser's EventSource dispatches it. */
export interface BrowserEvent {
  type: string
  data: string
  lastEventId: string
}

/**
 * Parses an SSE stream the way the HTML standard tells a browser to: lines end
 * at `\r\n`, `\r` or `\n`; `:` starts a comment; a blank line dispatches the
 * event if any `data` was given. `comments` counts the comment lines.
 */
export function parseLikeABrowser (text: string): { events: BrowserEvent[], comments: number } {
  const events: BrowserEvent[] = []
  let comments = 0
  let data: string[] | undefined
  let type = ''
  let lastEventId = ''
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data !== undefined) events.push({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId })
      data = undefined
      type = ''
      continue
    }
    if (line.startsWith(':')) {
      comments++
      continue
    }
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') (data ??= []).push(value)
    else if (field === 'event') type = value
    else if (field === 'id' && !value.includes('\0')) lastEventId = value
  }
  return { events, comments }
}
