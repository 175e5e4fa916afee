import { Alert, Button, Spinner, Title } from '@patternfly/react-core'
import { useEffect, useRef, useState } from 'react'

import { formatBytes } from '../format'
import { readFileRange } from './archive-api'
import { DownloadButton } from './DownloadButton'

/** How much of a file is asked for at a time: big logs show their start at once, the rest on request. */
export const CHUNK_BYTES = 256 * 1024
/**
 * Following a link to a far line whose byte offset is not known loads chunks up to this much before
 * saying so (16 MiB took 15 s and 245,000 lines drawn): search finds a line's offset, "Show the end" the end.
 */
const MAX_AUTO_BYTES = 4 * 1024 * 1024
/** A window opened at a byte offset starts this far before it, so that the lines before the target show too. */
const LEAD_BYTES = 32 * 1024
const NEWLINE = 10

/** A stretch of the file: from its start, from a line found by search, or its end. */
interface Loaded {
  /** Where the first shown line starts, in bytes. */
  start: number
  /** The first shown line's number, or undefined when not known (the end of a file not read from its start). */
  firstLine: number | undefined
  /** Complete lines so far (the last one may still grow when more is loaded). */
  text: string
  /** Where the loaded bytes end. */
  end: number
  size: number
  isText: boolean
}

/** Where the viewer opens: a line (and, from search, where that line starts), or the file's end. */
type Opening = { line?: number, offset?: number, atEnd?: false } | { atEnd: true }

/**
 * One file of the archive, read with Range requests, so a big log costs only
 * what is shown: its first chunk, then "Load more"; "Show the end" reads its
 * last chunk; a search result (whose byte offset is known) opens a chunk
 * around its line, wherever it lies. Text is decoded as a stream (a UTF-8
 * sequence cut by a chunk boundary is completed by the next one). A file that
 * is not text gets a download button instead. Opened at a line, it marks the
 * line and scrolls it into view.
 */
export function FileViewer ({ id, path, line, offset }: { id: number, path: string, line?: number, offset?: number }): React.ReactNode {
  const [opening, setOpening] = useState<Opening>({ ...(line !== undefined && { line }), ...(offset !== undefined && { offset }) })
  const [loaded, setLoaded] = useState<Loaded | undefined>()
  const [loading, setLoading] = useState(false)
  const [problem, setProblem] = useState<string | undefined>()
  const decoder = useRef(new TextDecoder('utf-8'))
  const state = useRef<Loaded | undefined>(undefined)
  const heading = useRef<HTMLHeadingElement>(null)
  const viewer = useRef<HTMLDivElement>(null)
  const name = path.slice(path.lastIndexOf('/') + 1)
  const target = opening.atEnd === true ? undefined : opening.line

  /** Reads the next chunk after what is loaded and appends its complete text. */
  const loadMore = async (signal?: AbortSignal): Promise<Loaded> => {
    const current = state.current as Loaded
    const chunk = await readFileRange(id, path, current.end, CHUNK_BYTES, signal)
    const end = current.end + chunk.bytes.length
    const done = end >= chunk.size
    const next = { ...current, text: current.text + (chunk.text ? decoder.current.decode(chunk.bytes, { stream: !done }) : ''), end, size: chunk.size, isText: chunk.text }
    state.current = next
    return next
  }

  /** Reads a chunk from `from` and keeps it from its first line start on (`from` itself when 0). */
  const openAt = async (from: number, signal: AbortSignal, number: (kept: Uint8Array, keptStart: number) => number | undefined): Promise<Loaded> => {
    const chunk = await readFileRange(id, path, from, CHUNK_BYTES, signal)
    // From the first line that starts in the chunk; in a line longer than the chunk, from its first whole character.
    const cut = from === 0 ? 0 : (chunk.bytes.indexOf(NEWLINE) + 1 || firstCharacter(chunk.bytes))
    const kept = chunk.bytes.subarray(cut)
    const start = from + cut
    const end = from + chunk.bytes.length
    decoder.current = new TextDecoder('utf-8')
    const loadedNow: Loaded = {
      start,
      firstLine: number(kept, start),
      text: chunk.text ? decoder.current.decode(kept, { stream: end < chunk.size }) : '',
      end,
      size: chunk.size,
      isText: chunk.text
    }
    state.current = loadedNow
    return loadedNow
  }

  useEffect(() => {
    const abort = new AbortController()
    const run = async (): Promise<Loaded> => {
      setLoading(true)
      if (opening.atEnd === true) {
        const size = state.current?.size ?? 0
        // The lines of the end are not numbered: counting them would mean reading the whole file.
        return await openAt(Math.max(0, size - CHUNK_BYTES), abort.signal, (_kept, start) => start === 0 ? 1 : undefined)
      }
      const { line: wanted, offset: at } = opening
      if (wanted !== undefined && at !== undefined && at > CHUNK_BYTES - LEAD_BYTES) {
        // Search said where the line starts: read around it, and number the lines back from it
        // (an address edited by hand can say anything: never below 1, and past the end reads the start).
        const around = await openAt(at - LEAD_BYTES, abort.signal, (kept, start) => Math.max(1, wanted - count(kept.subarray(0, Math.max(0, at - start)), NEWLINE)))
        if (at < around.size) return around
      }
      let current = await openAt(0, abort.signal, () => 1)
      // A line whose offset is not known: keep loading until it is in (or the file ends).
      for (;;) {
        const more = wanted !== undefined && current.isText && current.end < current.size && current.end < MAX_AUTO_BYTES && lineCount(current.text) < wanted
        if (!more) break
        current = await loadMore(abort.signal)
      }
      return current
    }
    run().then((current) => {
      if (abort.signal.aborted) return
      setLoaded(current)
      setLoading(false)
    }, (error: unknown) => {
      if (abort.signal.aborted) return
      setProblem((error as Error).message)
      setLoading(false)
    })
    return () => abort.abort()
    // loadMore and openAt read refs only; a new id or path makes a new viewer (its key).
  }, [id, path, opening])

  // The person came here by a link: the heading takes the focus, the line is scrolled to.
  useEffect(() => {
    if (loaded === undefined) return
    heading.current?.focus()
    if (target !== undefined) document.getElementById(`file-line-${target}`)?.scrollIntoView({ block: 'center' })
    // The end was asked for: its last line shows, as `tail` would.
    if (opening.atEnd === true && viewer.current !== null) {
      viewer.current.scrollTop = viewer.current.scrollHeight
      viewer.current.scrollIntoView({ block: 'end' })
    }
  }, [loaded, target, opening])

  const more = (): void => {
    setLoading(true)
    loadMore().then((next) => { setLoaded(next); setLoading(false) }, (error: unknown) => {
      setProblem((error as Error).message)
      setLoading(false)
    })
  }

  const header = (
    <div className='mgc-viewer-head mgc-mb-sm'>
      <Title headingLevel='h3' ref={heading} tabIndex={-1} className='mgc-mono' data-testid='viewer-title'>{path}</Title>
      <DownloadButton id={id} path={path} name={name} />
    </div>
  )
  if (problem !== undefined) return <>{header}<Alert variant='danger' isInline title='The file could not be read'>{problem}</Alert></>
  if (loaded === undefined) return <>{header}<Spinner aria-label={`Loading ${name}`} /></>
  if (!loaded.isText) {
    return <>{header}<p data-testid='binary-file'>This file is not text ({formatBytes(loaded.size)}): download it to open it.</p></>
  }

  const lines = loaded.text.split('\n')
  // A trailing newline does not start a line of its own.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  const { firstLine } = loaded
  const fromStart = loaded.start === 0
  const lastShown = firstLine !== undefined ? firstLine + lines.length - 1 : undefined
  return (
    <>
      {header}
      <p className='mgc-subtle mgc-mb-sm' data-testid='viewer-extent'>
        {extent(loaded, lines.length)}
      </p>
      <div className='mgc-viewer-actions mgc-mb-sm'>
        {!fromStart && (
          <Button variant='secondary' onClick={() => setOpening({})} isDisabled={loading}>From the start</Button>
        )}
        {loaded.end < loaded.size && (
          <Button variant='secondary' onClick={() => setOpening({ atEnd: true })} isDisabled={loading}>Show the end</Button>
        )}
      </div>
      {target !== undefined && lastShown !== undefined && target > lastShown && (
        <Alert variant='warning' isInline isPlain title={`Line ${target} is beyond what is loaded (${lastShown} lines): search for a text on it to open it there, or show the end`} className='mgc-mb-sm' />
      )}
      <div className='mgc-viewer' ref={viewer} tabIndex={0} role='region' aria-label={`Contents of ${name}`} data-testid='file-text'>
        {lines.map((text, i) => {
          const number = firstLine !== undefined ? firstLine + i : undefined
          const marked = number !== undefined && number === target
          return (
            <div
              key={i} {...(number !== undefined && { id: `file-line-${number}`, 'data-line': number })}
              className={marked ? 'mgc-line mgc-line-target' : 'mgc-line'} {...(marked && { 'aria-current': 'true' as const })}
            >
              {number !== undefined && <span className='mgc-line-number' aria-hidden='true'>{number}</span>}<span className='mgc-line-text'>{text}</span>
            </div>
          )
        })}
      </div>
      {loaded.end < loaded.size && (
        <Button variant='secondary' className='mgc-mt-sm' onClick={more} isLoading={loading} isDisabled={loading}>
          Load more ({formatBytes(Math.min(CHUNK_BYTES, loaded.size - loaded.end))} of {formatBytes(loaded.size - loaded.end)} left)
        </Button>
      )}
    </>
  )
}

/** What part of the file is shown, in words. */
function extent (loaded: Loaded, lines: number): string {
  const { start, end, size, firstLine } = loaded
  if (start === 0 && end >= size) return `${formatBytes(size)}, ${lines} lines`
  if (start === 0) return `Showing the first ${formatBytes(end)} of ${formatBytes(size)}`
  const where = firstLine !== undefined ? `lines ${firstLine}–${firstLine + lines - 1}` : `the last ${lines} lines (not numbered: the file was not read from its start)`
  return end >= size
    ? `Showing ${where}, the last ${formatBytes(size - start)} of ${formatBytes(size)}`
    : `Showing ${where}: ${formatBytes(end - start)} from byte ${start.toLocaleString('en-US')} of ${formatBytes(size)}`
}

/** The index of the first byte that starts a UTF-8 character (not a continuation byte 10xxxxxx). */
function firstCharacter (bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && i < 4 && ((bytes[i] as number) & 0xc0) === 0x80) i++
  return i
}

function count (bytes: Uint8Array, value: number): number {
  let n = 0
  for (let i = bytes.indexOf(value); i >= 0; i = bytes.indexOf(value, i + 1)) n++
  return n
}

function lineCount (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}
