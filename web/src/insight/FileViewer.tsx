import { Alert, Button, Spinner, Title } from '@patternfly/react-core'
import { useEffect, useRef, useState } from 'react'

import { formatBytes } from '../format'
import { readFileRange } from './archive-api'
import { DownloadButton } from './DownloadButton'

/** How much of a file is asked for at a time: big logs show their start at once, the rest on request. */
export const CHUNK_BYTES = 256 * 1024
/** Following a link to a far line loads chunks up to this much before giving up and saying so. */
const MAX_AUTO_BYTES = 16 * 1024 * 1024

interface Loaded {
  /** Complete lines so far (the last one may still grow when more is loaded). */
  text: string
  bytes: number
  size: number
  isText: boolean
}

/**
 * One file of the archive, read with Range requests: the first chunk, then
 * "Load more". Text is decoded as a stream (a UTF-8 sequence cut by a chunk
 * boundary is completed by the next one). A file that is not text gets a
 * download button instead. Opened at a line, it loads up to that line,
 * marks it and scrolls it into view.
 */
export function FileViewer ({ id, path, line }: { id: number, path: string, line?: number }): React.ReactNode {
  const [loaded, setLoaded] = useState<Loaded | undefined>()
  const [loading, setLoading] = useState(false)
  const [problem, setProblem] = useState<string | undefined>()
  const decoder = useRef(new TextDecoder('utf-8'))
  const state = useRef<Loaded | undefined>(undefined)
  const heading = useRef<HTMLHeadingElement>(null)
  const name = path.slice(path.lastIndexOf('/') + 1)

  const loadMore = async (signal?: AbortSignal): Promise<Loaded> => {
    const from = state.current?.bytes ?? 0
    const chunk = await readFileRange(id, path, from, CHUNK_BYTES, signal)
    const bytes = from + chunk.bytes.length
    const done = bytes >= chunk.size
    const text = (state.current?.text ?? '') + (chunk.text ? decoder.current.decode(chunk.bytes, { stream: !done }) : '')
    const next = { text, bytes, size: chunk.size, isText: chunk.text }
    state.current = next
    return next
  }

  useEffect(() => {
    const abort = new AbortController()
    const run = async (): Promise<void> => {
      setLoading(true)
      state.current = undefined
      decoder.current = new TextDecoder('utf-8')
      let current = await loadMore(abort.signal)
      // Following a link to a line: keep loading until that line is in (or the file ends).
      const wanted = line ?? 0
      for (;;) {
        const more = current.isText && current.bytes < current.size && current.bytes < MAX_AUTO_BYTES && lineCount(current.text) < wanted
        if (!more) break
        current = await loadMore(abort.signal)
      }
      if (abort.signal.aborted) return
      setLoaded(current)
      setLoading(false)
    }
    run().catch((error: unknown) => {
      if (abort.signal.aborted) return
      setProblem((error as Error).message)
      setLoading(false)
    })
    return () => abort.abort()
    // loadMore reads refs only; id, path and line make a new viewer (its key).
  }, [id, path, line])

  // The person came here by a link: the heading takes the focus, the line is scrolled to.
  useEffect(() => {
    if (loaded === undefined) return
    heading.current?.focus()
    if (line !== undefined) document.getElementById(`file-line-${line}`)?.scrollIntoView({ block: 'center' })
  }, [loaded, line])

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
  const complete = loaded.bytes >= loaded.size
  return (
    <>
      {header}
      <p className='mgc-subtle mgc-mb-sm' data-testid='viewer-extent'>
        {complete ? `${formatBytes(loaded.size)}, ${lines.length} lines` : `Showing the first ${formatBytes(loaded.bytes)} of ${formatBytes(loaded.size)}`}
      </p>
      {line !== undefined && line > lines.length && (
        <Alert variant='warning' isInline isPlain title={`Line ${line} is beyond what is loaded (${lines.length} lines)`} className='mgc-mb-sm' />
      )}
      <div className='mgc-viewer' tabIndex={0} role='region' aria-label={`Contents of ${name}`} data-testid='file-text'>
        {lines.map((text, i) => (
          <div key={i} id={`file-line-${i + 1}`} className={i + 1 === line ? 'mgc-line mgc-line-target' : 'mgc-line'} data-line={i + 1} {...(i + 1 === line && { 'aria-current': 'true' as const })}>
            <span className='mgc-line-number' aria-hidden='true'>{i + 1}</span><span className='mgc-line-text'>{text}</span>
          </div>
        ))}
      </div>
      {!complete && (
        <Button variant='secondary' className='mgc-mt-sm' onClick={more} isLoading={loading} isDisabled={loading}>
          Load more ({formatBytes(Math.min(CHUNK_BYTES, loaded.size - loaded.bytes))} of {formatBytes(loaded.size - loaded.bytes)} left)
        </Button>
      )}
    </>
  )
}

function lineCount (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}
