import {
  Alert,
  Breadcrumb,
  BreadcrumbItem,
  Button,
  ClipboardCopy,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  FlexItem,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Spinner,
  Title
} from '@patternfly/react-core'
import { lazy, Suspense, useEffect, useMemo, useState } from 'react'

import { apiFetch, ApiError, authHeaders, ConditionalGet, errorOf, type Execution, isFinished, POLL_MS, storedToken } from '../api'
import { durationSeconds, formatBytes, formatDuration, formatTime } from '../format'
import { followLink, navigate } from '../router'
import { StatusLabel } from '../status'
import { OutputView } from './OutputView'
import { RedactionReportButton } from './RedactionReportButton'

// Summary, files, search and comparison: loaded only when an execution with an archive is shown.
const ArchiveInsight = lazy(async () => await import('../insight/ArchiveInsight'))

/** One execution: its state, its output as it is written, the archive, cancel and delete. */
export function ExecutionPage ({ id }: { id: string }): React.ReactNode {
  const [execution, setExecution] = useState<Execution | undefined>()
  const [problem, setProblem] = useState<ApiError | undefined>()
  const [now, setNow] = useState(Date.now())
  const [confirm, setConfirm] = useState(false)
  const [removing, setRemoving] = useState(false)
  const [downloadProblem, setDownloadProblem] = useState<string | undefined>()
  const poller = useMemo(() => new ConditionalGet<Execution>(), [])

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const abort = new AbortController()
    const poll = async (): Promise<void> => {
      try {
        const current = await poller.fetch(`/must-gather/${encodeURIComponent(id)}`, abort.signal)
        if (stopped) return
        if (current !== undefined) setExecution(current)
        setProblem(undefined)
      } catch (error) {
        if (stopped) return
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return
        setProblem(error instanceof ApiError ? error : new ApiError(0, (error as Error).message))
        if (error instanceof ApiError && error.status === 404) return
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
  }, [id, poller])

  if (execution === undefined) {
    return (
      <PageSection>
        <Crumbs title={id} />
        {problem === undefined
          ? <Spinner aria-label='Loading the execution' />
          : <Alert variant='danger' isInline title={problem.status === 404 ? 'No such execution' : 'The execution could not be loaded'}>{problem.message}</Alert>}
      </PageSection>
    )
  }

  const e = execution
  const title = e['custom-name'] !== '' ? e['custom-name'] : `Execution #${e.id}`
  const running = !isFinished(e)
  const duration = durationSeconds(e['started-at'], e['finished-at'], now)
  const hasArchive = e['archive-name'] !== '' && !e.expired
  const action = running ? 'Cancel' : 'Delete'

  const remove = async (): Promise<void> => {
    setRemoving(true)
    try {
      const response = await apiFetch(`/must-gather/${e.id}`, { method: 'DELETE' })
      if (!response.ok && response.status !== 404) throw await errorOf(response)
      navigate('/')
    } catch (error) {
      setProblem(error as ApiError)
      setConfirm(false)
    } finally {
      setRemoving(false)
    }
  }

  // With a pasted token a plain link cannot carry it: fetch the archive and hand it to the browser.
  const download = async (event: React.MouseEvent): Promise<void> => {
    if (storedToken() === undefined) return
    event.preventDefault()
    setDownloadProblem(undefined)
    try {
      const response = await fetch(`/must-gather/${e.id}/data`, { headers: authHeaders() })
      if (!response.ok) throw await errorOf(response)
      const url = URL.createObjectURL(await response.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = e['archive-name']
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
    } catch (error) {
      setDownloadProblem((error as Error).message)
    }
  }

  const details: Array<[string, React.ReactNode]> = [
    ['Status', <StatusLabel key='s' status={e.status} />],
    ['Phase', <span key='p' data-testid='phase'>{e.phase}</span>],
    ['Progress', e.progress['elapsed-seconds'] === null
      ? 'not started'
      : `${formatDuration(e.progress['elapsed-seconds'])} of the ${formatDuration(e.progress['timeout-seconds'])} timeout · ${formatBytes(e.progress['output-bytes'])} of output`],
    ['Image', e.image !== '' ? e.image : 'the default image'],
    ['Command', e.command !== '' ? <code key='c' className='mgc-mono'>{e.command}</code> : 'the image\'s default'],
    ['Timeout', e.timeout],
    ['Created by', e['created-by'] !== '' ? e['created-by'] : '—'],
    ['Created', formatTime(e['created-at'])],
    ['Started', formatTime(e['started-at'])],
    ['Finished', formatTime(e['finished-at'])],
    ['Duration', duration === undefined ? '—' : formatDuration(duration)],
    ['Redacted', e['redaction-counts'] === null
      ? 'no'
      : <span key='r' data-testid='redaction-counts'>yes: {redactionSummary(e['redaction-counts'])}</span>]
  ]
  const options: Array<[string, string]> = [
    ['Image stream', e['image-stream']], ['Node name', e['node-name']], ['Node selector', e['node-selector']],
    ['Source directory', e['source-dir']], ['Since', e.since], ['Since time', e['since-time']],
    ['Run namespace', e['run-namespace']], ['API server', e.server],
    ['Volume percentage', e['volume-percentage'] === null ? '' : String(e['volume-percentage'])],
    ['All images', e['all-images'] ? 'yes' : ''], ['Host network', e['host-network'] ? 'yes' : ''], ['Keep', e.keep ? 'yes' : '']
  ]
  for (const [term, value] of options) if (value !== '') details.push([term, value])

  return (
    <>
      <PageSection>
        <Crumbs title={title} />
        <Flex alignItems={{ default: 'alignItemsCenter' }} spaceItems={{ default: 'spaceItemsMd' }}>
          <FlexItem><Title headingLevel='h1'>{title}</Title></FlexItem>
          <FlexItem><StatusLabel status={e.status} /></FlexItem>
          <FlexItem align={{ default: 'alignRight' }}>
            <Button variant={running ? 'warning' : 'danger'} onClick={() => setConfirm(true)}>{action}</Button>
          </FlexItem>
        </Flex>
      </PageSection>
      <PageSection>
        {problem !== undefined && <Alert variant='danger' isInline title='Something went wrong' className='mgc-mb-md'>{problem.message}</Alert>}
        {e['error-message'] !== '' && (
          <Alert variant='danger' isInline title='The execution failed' className='mgc-mb-md' data-testid='error-message'>{e['error-message']}</Alert>
        )}
        <Title headingLevel='h2' className='mgc-mb-sm'>Archive</Title>
        {hasArchive && e.status === 'error' && (
          <Alert variant='warning' isInline className='mgc-mb-md' title='This archive may be incomplete' data-testid='archive-incomplete'>
            The execution failed (its error is above): the archive holds only what was gathered before it failed.
          </Alert>
        )}
        {hasArchive
          ? (
            <DescriptionList isHorizontal isCompact className='mgc-mb-lg' aria-label='Archive'>
              <DescriptionListGroup>
                <DescriptionListTerm>File</DescriptionListTerm>
                <DescriptionListDescription>
                  <Button
                    variant='primary' component='a' href={`/must-gather/${e.id}/data`} download={e['archive-name']}
                    onClick={(event: React.MouseEvent) => { download(event).catch(() => {}) }} data-testid='download' className='mgc-wrap-button'
                  >Download {e['archive-name']}
                  </Button>
                  {downloadProblem !== undefined && <Alert variant='danger' isInline isPlain title={`Download failed: ${downloadProblem}`} />}
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>Size</DescriptionListTerm>
                <DescriptionListDescription data-testid='archive-size'>{formatBytes(e['archive-size'])} ({e['archive-size'].toLocaleString()} bytes)</DescriptionListDescription>
              </DescriptionListGroup>
              {e['redaction-counts'] !== null && (
                <DescriptionListGroup>
                  <DescriptionListTerm>Redacted</DescriptionListTerm>
                  <DescriptionListDescription>
                    <p className='mgc-mb-sm' data-testid='archive-redaction'>
                      Addresses and names were replaced before packing: {redactionSummary(e['redaction-counts'])}. The
                      report maps each replacement to its original: keep it as private as the raw archive.
                    </p>
                    <RedactionReportButton id={e.id} />
                  </DescriptionListDescription>
                </DescriptionListGroup>
              )}
              <DescriptionListGroup>
                <DescriptionListTerm>SHA-256</DescriptionListTerm>
                <DescriptionListDescription>
                  <ClipboardCopy isReadOnly hoverTip='Copy' clickTip='Copied' textAriaLabel='SHA-256 of the archive' toggleAriaLabel='Show the whole SHA-256' data-testid='sha256'>{e['archive-sha256']}</ClipboardCopy>
                </DescriptionListDescription>
              </DescriptionListGroup>
            </DescriptionList>
            )
          : <p className='mgc-mb-lg'>{e.expired ? 'The archive has expired (removed to make room); the record stays.' : running ? 'The archive is ready when the execution completes.' : 'There is no archive.'}</p>}
        {hasArchive && !running && (
          <Suspense fallback={<Spinner aria-label='Loading the archive views' />}><ArchiveInsight execution={e} /></Suspense>
        )}
        <Title headingLevel='h2' className='mgc-mt-lg mgc-mb-sm'>Details</Title>
        <DescriptionList isHorizontal isCompact columnModifier={{ lg: '2Col' }} className='mgc-mb-lg' aria-label='Details'>
          {details.map(([term, value]) => (
            <DescriptionListGroup key={term}>
              <DescriptionListTerm>{term}</DescriptionListTerm>
              <DescriptionListDescription>{value}</DescriptionListDescription>
            </DescriptionListGroup>
          ))}
        </DescriptionList>
        <Title headingLevel='h2' className='mgc-mt-lg mgc-mb-sm'>Output</Title>
        <OutputView id={e.id} running={running} />
      </PageSection>
      <Modal
        variant='small' isOpen={confirm} onClose={() => setConfirm(false)}
        aria-labelledby='confirm-title' aria-describedby='confirm-body'
      >
        <ModalHeader title={running ? 'Cancel this execution?' : 'Delete this execution?'} labelId='confirm-title' titleIconVariant='warning' />
        <ModalBody id='confirm-body'>
          {running
            ? `"${title}" is ${e.status === 'new' ? 'queued' : 'running'}. Cancelling stops oc and its pods, then deletes the execution with its output and whatever it gathered.`
            : `"${title}" and its files (output${e['archive-name'] !== '' ? ` and ${e['archive-name']}` : ''}) are deleted for good.`}
        </ModalBody>
        <ModalFooter>
          <Button variant='danger' onClick={() => { remove().catch(() => {}) }} isLoading={removing} isDisabled={removing}>{running ? 'Cancel execution' : 'Delete'}</Button>
          <Button variant='link' onClick={() => setConfirm(false)}>Keep it</Button>
        </ModalFooter>
      </Modal>
    </>
  )
}

function Crumbs ({ title }: { title: string }): React.ReactNode {
  return (
    <Breadcrumb className='mgc-mb-md'>
      <BreadcrumbItem render={({ className }) => <a className={className} href='/' onClick={followLink}>Executions</a>} />
      <BreadcrumbItem isActive>{title}</BreadcrumbItem>
    </Breadcrumb>
  )
}

/** Per rule, how many values were replaced, then the files left out: `IP 92,351 · MAC 3 · 144 files omitted`. */
function redactionSummary (counts: Record<string, number>): string {
  const { 'omitted-files': omitted = 0, ...rules } = counts
  const parts = Object.entries(rules).map(([rule, count]) => `${rule} ${count.toLocaleString()}`)
  if (omitted > 0) parts.push(`${omitted.toLocaleString()} ${omitted === 1 ? 'file' : 'files'} omitted`)
  return parts.join(' · ') || 'nothing to replace'
}
