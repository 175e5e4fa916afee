import { Alert, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Label, List, ListItem, Spinner, Title } from '@patternfly/react-core'
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table'
import { useEffect, useState } from 'react'

import { ApiError } from '../api'
import { getSummary, type Summary } from './archive-api'
import { FileLink, type OpenFile } from './FileLink'

type Condition = Summary['cluster']['version-conditions'][number]

/**
 * The cluster's health as the service read it from the archive. Every
 * finding links to the file it came from. While the service has no summary
 * for this execution (404) it says so, with the service's words.
 */
export function SummaryView ({ id, openFile }: { id: number, openFile: OpenFile }): React.ReactNode {
  const [summary, setSummary] = useState<Summary | undefined>()
  const [problem, setProblem] = useState<ApiError | undefined>()

  useEffect(() => {
    const abort = new AbortController()
    getSummary(id, abort.signal).then(setSummary, (error: unknown) => {
      if (!abort.signal.aborted) setProblem(error instanceof ApiError ? error : new ApiError(0, (error as Error).message))
    })
    return () => abort.abort()
  }, [id])

  if (problem !== undefined) {
    return (
      <Alert variant={problem.status === 404 ? 'info' : 'danger'} isInline data-testid='summary-problem' title={problem.status === 404 ? 'There is no summary of this archive' : 'The summary could not be loaded'}>
        {problem.message}
      </Alert>
    )
  }
  if (summary === undefined) return <Spinner aria-label='Loading the summary' />

  const s = summary
  const c = s.cluster
  const events = s['warning-events']
  // Sources inside an image's directory read shorter without it (the whole path is in the link's name).
  const short = (path: string): string => {
    for (const dir of s.coverage['image-dirs']) if (path.startsWith(`${dir}/`)) return path.slice(dir.length + 1)
    return path
  }
  return (
    <div data-testid='summary'>
      <Title headingLevel='h3' className='mgc-mb-sm'>Cluster</Title>
      <DescriptionList isHorizontal isCompact className='mgc-mb-lg' aria-label='Cluster'>
        <Term name='Cluster ID'>{c.id ?? 'not known'} {c['id-source'] !== null && <FileLink path={c['id-source']} openFile={openFile}>(source)</FileLink>}</Term>
        <Term name='Version'>
          {c.version ?? 'not known'}
          {c['desired-version'] !== null && c['desired-version'] !== c.version && ` (updating to ${c['desired-version']})`}
          {c['version-state'] !== null && ` · ${c['version-state']}`}
          {c.channel !== null && ` · channel ${c.channel}`}
          {' '}{c['version-source'] !== null && <FileLink path={c['version-source']} openFile={openFile}>(source)</FileLink>}
        </Term>
        <Term name='Platform'>{c.platform ?? 'not known'} {c['platform-source'] !== null && <FileLink path={c['platform-source']} openFile={openFile}>(source)</FileLink>}</Term>
        {c['version-conditions'].length > 0 && <Term name='Version conditions'><Conditions conditions={c['version-conditions']} /></Term>}
      </DescriptionList>

      <Findings title='Cluster operators' total={s['cluster-operators'].total} count={s['cluster-operators'].problems.length} badge={`${s['cluster-operators'].problems.length} with problems`} noun='operators' healthy='Every operator is Available, not Degraded and not Progressing.'>
        <Table aria-label='Cluster operators with problems' variant='compact'>
          <Thead><Tr><Th modifier='wrap'>Operator</Th><Th modifier='wrap'>Problems</Th><Th modifier='wrap'>Messages</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {s['cluster-operators'].problems.map((o) => (
              <Tr key={o.name}>
                <Td dataLabel='Operator'>{o.name}</Td>
                <Td dataLabel='Problems'><Problems problems={o.problems} /></Td>
                <Td dataLabel='Messages'><Conditions conditions={o.conditions} /></Td>
                <Td dataLabel='Source'><FileLink path={o.source} openFile={openFile}>{short(o.source)}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Findings title='Nodes' total={s.nodes.total} count={s.nodes.problems.length} badge={`${s.nodes.problems.length} with problems`} noun='nodes' healthy='Every node is Ready and reports no pressure.'>
        <Table aria-label='Nodes with problems' variant='compact'>
          <Thead><Tr><Th modifier='wrap'>Node</Th><Th modifier='wrap'>Roles</Th><Th modifier='wrap'>Problems</Th><Th modifier='wrap'>Messages</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {s.nodes.problems.map((n) => (
              <Tr key={n.name}>
                <Td dataLabel='Node'>{n.name}{n.unschedulable && ' (unschedulable)'}</Td>
                <Td dataLabel='Roles'>{n.roles.join(', ')}</Td>
                <Td dataLabel='Problems'><Problems problems={n.problems} /></Td>
                <Td dataLabel='Messages'><Conditions conditions={n.conditions} /></Td>
                <Td dataLabel='Source'><FileLink path={n.source} openFile={openFile}>{short(n.source)}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Findings title='Pods' total={s.pods.total} count={s.pods.problems.length} omitted={s.pods['problems-omitted']} badge={podBadge(s.pods)} noun='pods' healthy='No pod is failing, waiting, not ready or restarting.'>
        <Table aria-label='Pods with problems' variant='compact' data-testid='problem-pods'>
          <Thead><Tr><Th modifier='wrap'>Namespace</Th><Th modifier='wrap'>Pod</Th><Th modifier='wrap'>Container</Th><Th modifier='wrap'>Reason</Th><Th modifier='wrap'>Restarts</Th><Th modifier='wrap'>Last exit code</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {s.pods.problems.map((p) => (
              <Tr key={`${p.namespace}/${p.pod}/${p.container ?? ''}/${String(p['init-container'])}`}>
                <Td dataLabel='Namespace'>{p.namespace}</Td>
                <Td dataLabel='Pod' className='mgc-mono'>{p.pod}</Td>
                <Td dataLabel='Container'>{p.container ?? '—'}{p['init-container'] && ' (init)'}</Td>
                <Td dataLabel='Reason'>{p.reason ?? '—'} <Problems problems={p.problems} />{p.message !== null && <div className='mgc-subtle'>{p.message}</div>}</Td>
                <Td dataLabel='Restarts'>{p['restart-count']}</Td>
                <Td dataLabel='Last exit code'>{p['last-exit-code'] ?? '—'}{p['last-termination-reason'] !== null && ` (${p['last-termination-reason']})`}</Td>
                <Td dataLabel='Source'><FileLink path={p.source} openFile={openFile}>{short(p.source)}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Findings
        title='Warning events' count={events.groups.length} badge={`${events.events} ${events.events === 1 ? 'event' : 'events'}`} noun='warning events' healthy='No warning events.'
        totalText={`${events.events} warning events (${events.occurrences} occurrences${events['untyped-events'] > 0 ? `, ${events['untyped-events']} without a type taken as warnings by their reason` : ''})` +
          `, in ${events.groups.length + events['groups-omitted']} groups by reason and object` +
          (events['groups-omitted'] > 0 ? `; the ${events.groups.length} largest are listed` : '')}
      >
        <Table aria-label='Top warning events' variant='compact' data-testid='warning-events'>
          <Thead><Tr><Th modifier='wrap'>Count</Th><Th modifier='wrap'>Reason</Th><Th modifier='wrap'>Object</Th><Th modifier='wrap'>Last message</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {events.groups.map((g, i) => (
              <Tr key={i}>
                <Td dataLabel='Count'>{g.count}</Td>
                <Td dataLabel='Reason'>{g.reason}</Td>
                <Td dataLabel='Object'>{[g.namespace, g['object-kind'], g['object-name']].filter((x) => x !== null).join(' / ')}</Td>
                <Td dataLabel='Last message'>{g['last-message'] ?? '—'}</Td>
                <Td dataLabel='Source'><FileLink path={g.source} openFile={openFile}>{short(g.source)}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Findings title='Pending persistent volume claims' total={s['persistent-volume-claims'].total} count={s['persistent-volume-claims'].pending.length} noun='claims' healthy='No claim is pending.'>
        <Table aria-label='Pending persistent volume claims' variant='compact'>
          <Thead><Tr><Th modifier='wrap'>Namespace</Th><Th modifier='wrap'>Claim</Th><Th modifier='wrap'>Storage class</Th><Th modifier='wrap'>Requested</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {s['persistent-volume-claims'].pending.map((p) => (
              <Tr key={`${p.namespace}/${p.name}`}>
                <Td dataLabel='Namespace'>{p.namespace}</Td>
                <Td dataLabel='Claim'>{p.name}</Td>
                <Td dataLabel='Storage class'>{p['storage-class'] ?? '—'}</Td>
                <Td dataLabel='Requested'>{p.requested ?? '—'}</Td>
                <Td dataLabel='Source'><FileLink path={p.source} openFile={openFile}>{short(p.source)}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Findings title='Failed gather steps' count={s.gather.failures.length} omitted={s.gather['failures-omitted']} noun='failures' healthy={s.gather.logs.length === 0 ? 'No gather log was found.' : 'The gather logs report no failed step.'}>
        <Table aria-label='Failed gather steps' variant='compact' data-testid='gather-failures'>
          <Thead><Tr><Th modifier='wrap'>Step</Th><Th modifier='wrap'>Kind</Th><Th modifier='wrap'>Message</Th><Th modifier='wrap'>Source</Th></Tr></Thead>
          <Tbody>
            {s.gather.failures.map((f, i) => (
              <Tr key={i}>
                <Td dataLabel='Step'>{f.step ?? '—'}</Td>
                <Td dataLabel='Kind'>{f.kind}</Td>
                <Td dataLabel='Message' className='mgc-mono'>{f.message}</Td>
                <Td dataLabel='Source'><FileLink path={f.source} line={f.line} openFile={openFile}>{f.line === null ? short(f.source) : `${short(f.source)}:${f.line}`}</FileLink></Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      </Findings>

      <Title headingLevel='h3' className='mgc-mt-lg mgc-mb-sm'>Coverage</Title>
      <div data-testid='coverage'>
        <p className='mgc-mb-sm'>What the summary could read{s.coverage['image-dirs'].length > 0 && <> from {s.coverage['image-dirs'].map((d) => <code key={d} className='mgc-mono'>{d} </code>)}</>}:</p>
        <List className='mgc-mb-sm'>
          {Object.entries(s.coverage.sections).map(([name, section]) => (
            <ListItem key={name}>
              <strong>{name}</strong>: {section.status} ({section['files-read']} files read{section['files-failed'] > 0 && `, ${section['files-failed']} failed`}{section['files-skipped'] > 0 && `, ${section['files-skipped']} skipped`}, {section.objects} objects)
            </ListItem>
          ))}
        </List>
        {s.coverage.notes.length > 0 && <List className='mgc-mb-sm' aria-label='Coverage notes'>{s.coverage.notes.map((note, i) => <ListItem key={i}>{note}</ListItem>)}</List>}
        {s.coverage['file-issues'].length > 0 && (
          <List aria-label='Files the summary could not read'>
            {s.coverage['file-issues'].map((issue) => (
              <ListItem key={issue.path}><FileLink path={issue.path} openFile={openFile} />: {issue.problem} ({issue.detail})</ListItem>
            ))}
            {s.coverage['file-issues-omitted'] > 0 && <ListItem>and {s.coverage['file-issues-omitted']} more</ListItem>}
          </List>
        )}
      </div>
    </div>
  )
}

function Term ({ name, children }: { name: string, children: React.ReactNode }): React.ReactNode {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{name}</DescriptionListTerm>
      <DescriptionListDescription>{children}</DescriptionListDescription>
    </DescriptionListGroup>
  )
}

/** A section of findings: a heading with the count, then the table, or a sentence when there is nothing to show. */
/**
 * A section of findings: a heading with a badge, then the table, or a
 * sentence when there is nothing to show. The badge counts the rows (and those
 * not listed) unless `badge` says in words what it counts: a row is not always
 * one of what the heading names (a pod has a row per container; events are
 * listed in groups).
 */
function Findings ({ title, total, count, omitted = 0, badge, noun, healthy, totalText, children }: {
  title: string, total?: number, count: number, omitted?: number, badge?: string, noun: string, healthy: string, totalText?: string, children: React.ReactNode
}): React.ReactNode {
  const of = totalText ?? (total === undefined ? '' : `${total} ${noun} read`)
  return (
    <section className='mgc-mb-lg' aria-label={title}>
      <Title headingLevel='h3' className='mgc-mb-sm'>{title} <Label isCompact color={count > 0 ? 'orange' : 'green'} data-testid='findings-badge'>{badge ?? count + omitted}</Label></Title>
      {of !== '' && <p className='mgc-subtle mgc-mb-sm' data-testid='findings-total'>{of}{omitted > 0 && `; ${omitted} more not listed`}</p>}
      {count > 0 ? children : <p>{healthy}</p>}
    </section>
  )
}

/** "6 problems in 3 pods": a pod has a row per container with a problem (and one for the pod as a whole). */
function podBadge (pods: Summary['pods']): string {
  const problems = pods.problems.length + pods['problems-omitted']
  if (problems === 0) return '0 problems'
  const listed = new Set(pods.problems.map((p) => `${p.namespace}/${p.pod}`)).size
  // Of the rows not listed only their number is known: their pods may be new ones or listed ones.
  const inPods = pods['problems-omitted'] > 0 ? `at least ${listed}` : String(listed)
  return `${problems} ${problems === 1 ? 'problem' : 'problems'} in ${inPods} ${listed === 1 ? 'pod' : 'pods'}`
}

function Problems ({ problems }: { problems: string[] }): React.ReactNode {
  return <>{problems.map((p) => <Label key={p} isCompact color='orange' className='mgc-label'>{p}</Label>)}</>
}

function Conditions ({ conditions }: { conditions: Condition[] }): React.ReactNode {
  return (
    <>
      {conditions.map((c) => (
        <div key={c.type}><strong>{c.type}={c.status ?? 'absent'}</strong>{c.reason !== null && ` (${c.reason})`}{c.message !== null && `: ${c.message}`}</div>
      ))}
    </>
  )
}
