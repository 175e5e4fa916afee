import {
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  EmptyStateFooter,
  FormSelect,
  FormSelectOption,
  PageSection,
  Progress,
  ProgressMeasureLocation,
  ProgressSize,
  SearchInput,
  Spinner,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem
} from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { useEffect, useMemo, useState } from 'react'

import { ApiError, ConditionalGet, type Execution, POLL_MS } from '../api'
import { durationSeconds, formatAge, formatBytes, formatDuration } from '../format'
import { executionPath, followLink, navigate, NAVIGATED } from '../router'
import { StatusLabel } from '../status'

const PAGE_SIZES = [20, 50, 100]

/**
 * Every execution, a page at a time, newest first (the API's order), with
 * the API's own filters (status, exact custom name). The page is asked again
 * every POLL_MS with its ETag: unchanged pages cost a 304.
 */
export function ExecutionsPage (): React.ReactNode {
  // The filters and the page live in the address too: a reload, a link and Back from an execution keep them.
  const [initial] = useState(() => listViewOf(location.search))
  const [status, setStatus] = useState(initial.status)
  const [name, setName] = useState(initial.name)
  const [nameFilter, setNameFilter] = useState(initial.name)
  const [perPage, setPerPage] = useState(initial.perPage)
  const [offset, setOffset] = useState(initial.offset)
  const [rows, setRows] = useState<Execution[] | undefined>()
  const [problem, setProblem] = useState<string | undefined>()
  const [now, setNow] = useState(Date.now())
  const poller = useMemo(() => new ConditionalGet<Execution[]>(), [])

  // One more than a page: tells whether there is a next one.
  const path = `/must-gather?${new URLSearchParams({
    limit: String(perPage + 1),
    offset: String(offset),
    ...(status !== '' && { status }),
    ...(nameFilter !== '' && { 'custom-name': nameFilter })
  }).toString()}`

  useEffect(() => {
    const search = listSearchOf({ status, name: nameFilter, perPage, offset })
    if (location.pathname === '/' && search !== location.search) history.replaceState(null, '', `/${search}`)
  }, [status, nameFilter, perPage, offset])
  // Went to while shown (the brand link's bare `/`, or Back and Forward between lists): the address decides.
  useEffect(() => {
    const follow = (): void => {
      if (location.pathname !== '/') return
      const view = listViewOf(location.search)
      setStatus(view.status)
      setName(view.name)
      setNameFilter(view.name)
      setPerPage(view.perPage)
      setOffset(view.offset)
    }
    window.addEventListener('popstate', follow)
    window.addEventListener(NAVIGATED, follow)
    return () => {
      window.removeEventListener('popstate', follow)
      window.removeEventListener(NAVIGATED, follow)
    }
  }, [])

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const abort = new AbortController()
    setRows(undefined)
    const poll = async (): Promise<void> => {
      try {
        const list = await poller.fetch(path, abort.signal)
        if (stopped) return
        if (list !== undefined) setRows(list)
        setProblem(undefined)
      } catch (error) {
        if (stopped) return
        // 401 and 403 are the app's to explain; anything else is said here, and polling goes on.
        if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) setProblem((error as Error).message)
        else return
      }
      setNow(Date.now())
      timer = setTimeout(() => { poll().catch(() => {}) }, POLL_MS)
    }
    poll().catch(() => {})
    return () => {
      stopped = true
      abort.abort()
      clearTimeout(timer)
    }
  }, [path, poller])

  const shown = rows?.slice(0, perPage)
  const hasNext = rows !== undefined && rows.length > perPage
  const filtered = status !== '' || nameFilter !== ''

  return (
    <>
      <PageSection>
        <Title headingLevel='h1'>Executions</Title>
      </PageSection>
      <PageSection>
        {problem !== undefined && <Alert variant='warning' isInline title='The list could not be refreshed' className='mgc-mb-md'>{problem}</Alert>}
        <Toolbar>
          <ToolbarContent alignItems='center'>
            <ToolbarItem>
              <FormSelect
                id='status-filter' aria-label='Filter by status' value={status}
                onChange={(_event, value) => { setStatus(value); setOffset(0) }}
              >
                <FormSelectOption value='' label='All statuses' />
                <FormSelectOption value='new' label='Queued' />
                <FormSelectOption value='inprogress' label='Running' />
                <FormSelectOption value='completed' label='Completed' />
                <FormSelectOption value='error' label='Failed' />
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <SearchInput
                aria-label='Filter by custom name (exact)'
                placeholder='Custom name (exact)'
                value={name}
                onChange={(_event, value) => setName(value)}
                onSearch={(_event, value) => { setNameFilter(value.trim()); setOffset(0) }}
                onClear={() => { setName(''); setNameFilter(''); setOffset(0) }}
              />
            </ToolbarItem>
            <ToolbarItem>
              <Button variant='primary' component='a' href='/new' onClick={followLink}>New must-gather</Button>
            </ToolbarItem>
            <ToolbarItem align={{ default: 'alignEnd' }}>
              <FormSelect
                id='per-page' aria-label='Executions per page' value={String(perPage)}
                onChange={(_event, value) => { setPerPage(Number(value)); setOffset(0) }}
              >
                {PAGE_SIZES.map((size) => <FormSelectOption key={size} value={String(size)} label={`${size} per page`} />)}
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <span aria-live='polite' className='mgc-nowrap' data-testid='page-range'>
                {shown === undefined || shown.length === 0 ? '' : `${offset + 1}–${offset + shown.length}`}
              </span>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant='secondary' isDisabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - perPage))}>Previous page</Button>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant='secondary' isDisabled={!hasNext} onClick={() => setOffset(offset + perPage)}>Next page</Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {shown === undefined
          ? <Spinner aria-label='Loading executions' />
          : shown.length === 0
            ? (
              <EmptyState titleText={filtered ? 'No execution matches' : 'No executions yet'} headingLevel='h2'>
                <EmptyStateBody>{filtered ? 'Change or clear the filters.' : 'Start a must-gather: it runs oc adm must-gather and keeps the archive.'}</EmptyStateBody>
                <EmptyStateFooter>
                  <Button variant='primary' onClick={() => navigate('/new')}>New must-gather</Button>
                </EmptyStateFooter>
              </EmptyState>
              )
            : <ExecutionsTable rows={shown} now={now} />}
      </PageSection>
    </>
  )
}

function ExecutionsTable ({ rows, now }: { rows: Execution[], now: number }): React.ReactNode {
  return (
    <Table aria-label='Executions, newest first' variant='compact' data-testid='executions'>
      <Thead>
        <Tr>
          <Th modifier='wrap'>Execution</Th>
          <Th modifier='wrap'>Status</Th>
          <Th modifier='wrap'>Phase and progress</Th>
          <Th modifier='wrap'>Image</Th>
          <Th modifier='wrap'>Created by</Th>
          <Th modifier='wrap'>Age</Th>
          <Th modifier='wrap'>Duration</Th>
          <Th modifier='wrap'>Archive</Th>
        </Tr>
      </Thead>
      <Tbody>
        {rows.map((e) => <ExecutionRow key={e.id} execution={e} now={now} />)}
      </Tbody>
    </Table>
  )
}

function ExecutionRow ({ execution: e, now }: { execution: Execution, now: number }): React.ReactNode {
  const duration = durationSeconds(e['started-at'], e['finished-at'], now)
  const elapsed = e.progress['elapsed-seconds']
  const running = e.status === 'inprogress'
  return (
    <Tr data-id={e.id}>
      <Td dataLabel='Execution'>
        <a href={executionPath(e.id)} onClick={followLink}>{e['custom-name'] !== '' ? e['custom-name'] : `#${e.id}`}</a>
        {e['custom-name'] !== '' && <span className='mgc-subtle'> #{e.id}</span>}
      </Td>
      <Td dataLabel='Status'><StatusLabel status={e.status} /></Td>
      <Td dataLabel='Phase and progress'>
        {running && elapsed !== null
          ? (
            <Progress
              value={Math.min(100, (elapsed / Math.max(1, e.progress['timeout-seconds'])) * 100)}
              title={e.phase}
              size={ProgressSize.sm}
              measureLocation={ProgressMeasureLocation.none}
              aria-label={`${e.phase}: ${formatDuration(elapsed)} of the ${formatDuration(e.progress['timeout-seconds'])} timeout`}
              helperText={`${formatDuration(elapsed)} of ${formatDuration(e.progress['timeout-seconds'])} · ${formatBytes(e.progress['output-bytes'])} output`}
            />
            )
          : e.phase}
      </Td>
      <Td dataLabel='Image' modifier='breakWord'>{e.image !== '' ? e.image : e['image-stream'] !== '' ? e['image-stream'] : <span className='mgc-subtle'>default</span>}</Td>
      <Td dataLabel='Created by'>{e['created-by'] !== '' ? e['created-by'] : '—'}</Td>
      <Td dataLabel='Age' className='mgc-nowrap'><time dateTime={e['created-at']} title={new Date(e['created-at']).toLocaleString()}>{formatAge(e['created-at'], now)}</time></Td>
      <Td dataLabel='Duration' className='mgc-nowrap'>{duration === undefined ? '—' : formatDuration(duration)}</Td>
      <Td dataLabel='Archive' className='mgc-nowrap'>{e.expired ? 'expired' : e['archive-name'] !== '' ? formatBytes(e['archive-size']) : '—'}</Td>
    </Tr>
  )
}

interface ListView { status: string, name: string, perPage: number, offset: number }

const STATUSES = ['new', 'inprogress', 'completed', 'error']

/** `?status=&custom-name=&per-page=&offset=`; anything unknown falls back to the defaults. */
function listViewOf (search: string): ListView {
  const query = new URLSearchParams(search)
  const status = query.get('status') ?? ''
  const perPage = Number(query.get('per-page'))
  const offset = Number(query.get('offset'))
  return {
    status: STATUSES.includes(status) ? status : '',
    name: query.get('custom-name') ?? '',
    perPage: PAGE_SIZES.includes(perPage) ? perPage : 50,
    offset: Number.isSafeInteger(offset) && offset > 0 ? offset : 0
  }
}

function listSearchOf ({ status, name, perPage, offset }: ListView): string {
  const query = new URLSearchParams({
    ...(status !== '' && { status }),
    ...(name !== '' && { 'custom-name': name }),
    ...(perPage !== 50 && { 'per-page': String(perPage) }),
    ...(offset > 0 && { offset: String(offset) })
  }).toString()
  return query === '' ? '' : `?${query}`
}
