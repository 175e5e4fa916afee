import { ActionGroup, Alert, Button, Checkbox, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, TextInput } from '@patternfly/react-core'
import { useEffect, useRef, useState } from 'react'

import { ApiError } from '../api'
import { type SearchEnd, type SearchMatch, streamSearch } from './archive-api'
import { FileLink, type OpenFile } from './FileLink'

const LIMIT = 1000

/**
 * Text or regular-expression search over the archive's text files. Results
 * show as the service streams them (fetch and a stream reader, JSON lines);
 * the last line says whether every file was searched or why it stopped.
 */
export function SearchView ({ id, openFile }: { id: number, openFile: OpenFile }): React.ReactNode {
  const [q, setQ] = useState('')
  const [regex, setRegex] = useState(false)
  const [ignoreCase, setIgnoreCase] = useState(false)
  const [glob, setGlob] = useState('')
  const [matches, setMatches] = useState<SearchMatch[]>([])
  const [end, setEnd] = useState<SearchEnd | 'stopped' | 'cut' | undefined>()
  const [running, setRunning] = useState(false)
  const [searchedGlob, setSearchedGlob] = useState('')
  const [problem, setProblem] = useState<ApiError | undefined>()
  const abort = useRef<AbortController | undefined>(undefined)

  useEffect(() => () => abort.current?.abort(), [])

  const submit = (event: React.FormEvent): void => {
    event.preventDefault()
    if (q === '') return
    abort.current?.abort()
    const controller = new AbortController()
    abort.current = controller
    setMatches([])
    setEnd(undefined)
    setProblem(undefined)
    setRunning(true)
    setSearchedGlob(glob)
    streamSearch(id, { q, regex, ignoreCase, path: glob, limit: LIMIT }, (more) => {
      if (!controller.signal.aborted) setMatches((before) => [...before, ...more])
    }, controller.signal).then((last) => {
      if (controller.signal.aborted) return
      setEnd(last ?? 'cut')
    }, (error: unknown) => {
      if (controller.signal.aborted) return
      setProblem(error instanceof ApiError ? error : new ApiError(0, (error as Error).message))
    }).finally(() => {
      if (abort.current === controller) setRunning(false)
    })
  }

  const stop = (): void => {
    abort.current?.abort()
    setRunning(false)
    setEnd('stopped')
  }

  return (
    <div data-testid='search'>
      <Form onSubmit={submit} aria-label='Search the archive' isHorizontal={false}>
        <FormGroup label='Search for' isRequired fieldId='search-q'>
          <TextInput id='search-q' value={q} onChange={(_e, value) => setQ(value)} isRequired aria-describedby='search-q-help' validated={problem?.field === 'q' ? 'error' : 'default'} />
          <FormHelperText><HelperText><HelperTextItem id='search-q-help'>Literal text, or a regular expression when the box below is ticked.</HelperTextItem></HelperText></FormHelperText>
        </FormGroup>
        <FormGroup role='group' fieldId='search-options' label='Options'>
          <Checkbox id='search-regex' label='Regular expression' isChecked={regex} onChange={(_e, checked) => setRegex(checked)} />
          <Checkbox id='search-ignore-case' label='Ignore case' isChecked={ignoreCase} onChange={(_e, checked) => setIgnoreCase(checked)} />
        </FormGroup>
        <FormGroup label='In files matching' fieldId='search-path'>
          <TextInput id='search-path' value={glob} onChange={(_e, value) => setGlob(value)} aria-describedby='search-path-help' placeholder='e.g. **/*.log' validated={problem?.field === 'path' ? 'error' : 'default'} />
          <FormHelperText><HelperText><HelperTextItem id='search-path-help'>Optional glob; without a slash it is matched against the file name.</HelperTextItem></HelperText></FormHelperText>
        </FormGroup>
        <ActionGroup>
          <Button type='submit' variant='primary' isDisabled={q === ''} isLoading={running}>Search</Button>
          {running && <Button variant='secondary' onClick={stop}>Stop</Button>}
        </ActionGroup>
      </Form>

      {problem !== undefined && (
        <Alert variant='danger' isInline className='mgc-mt-md' title={problem.field !== undefined ? `The search was refused (${problem.field})` : 'The search failed'} data-testid='search-problem'>{problem.message}</Alert>
      )}
      <div role='status' aria-live='polite' className='mgc-mt-md' data-testid='search-status'>
        {running && `Searching… ${matches.length} matches so far.`}
        {!running && end !== undefined && <EndText end={end} count={matches.length} glob={searchedGlob} />}
      </div>
      {matches.length > 0 && (
        <ol className='mgc-search-results mgc-mt-sm' aria-label='Search results' data-testid='search-results'>
          {byFile(matches).map(([file, lines]) => (
            <li key={file} className='mgc-search-file'>
              <FileLink path={file} openFile={openFile} />
              <ol className='mgc-search-lines' aria-label={`Matches in ${file}`}>
                {lines.map((m) => (
                  <li key={m.line}>
                    <FileLink path={m.file} line={m.line} offset={m.offset} openFile={openFile}>{`Line ${m.line}`}</FileLink>
                    <pre className='mgc-search-line'>{m.text}</pre>
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}

function EndText ({ end, count, glob }: { end: SearchEnd | 'stopped' | 'cut', count: number, glob: string }): React.ReactNode {
  const found = `${count} ${count === 1 ? 'match' : 'matches'}`
  if (end === 'stopped') return <>Stopped by you after {found}.</>
  if (end === 'cut') return <>The connection ended before the search said it was done: {found} so far.</>
  // Nothing searched: "0 matches in every text file" would read as if the text were nowhere in the archive.
  if (end.complete && end.filesSearched === 0) {
    return glob !== ''
      ? <span data-complete='true' data-testid='search-no-files'>No text file matched <code className='mgc-mono'>{glob}</code>: nothing was searched.</span>
      : <span data-complete='true' data-testid='search-no-files'>The archive has no text file to search.</span>
  }
  if (end.complete) return <span data-complete='true'>Search complete: {found} in every text file.</span>
  return <span data-complete='false'>Search cut short ({end.reason ?? 'no reason given'}){end.message !== undefined && `: ${end.message}`}. {found} shown.</span>
}

/** Matches come file by file: each file is named once, with its lines under it. */
function byFile (matches: SearchMatch[]): Array<[string, SearchMatch[]]> {
  const groups: Array<[string, SearchMatch[]]> = []
  for (const m of matches) {
    const last = groups[groups.length - 1]
    if (last !== undefined && last[0] === m.file) last[1].push(m)
    else groups.push([m.file, [m]])
  }
  return groups
}
