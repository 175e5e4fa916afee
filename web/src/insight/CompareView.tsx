import { Alert, Button, Form, FormGroup, FormSelect, FormSelectOption, Label, List, ListItem, Radio, Spinner, Title } from '@patternfly/react-core'
import { Fragment, useEffect, useState } from 'react'

import { ApiError, type Execution, getJson } from '../api'
import { formatTime } from '../format'
import { type Comparison, getComparison } from './archive-api'
import { defaultOther, inTimeOrder } from './compare-order'
import { FileLink, type OpenFile } from './FileLink'

/**
 * "Compare with…": another completed execution (the same custom name, or
 * any), and what changed from that one to this one.
 */
export function CompareView ({ execution, openFile }: { execution: Execution, openFile: OpenFile }): React.ReactNode {
  const named = execution['custom-name'] !== ''
  const [sameName, setSameName] = useState(named)
  const [candidates, setCandidates] = useState<Execution[] | undefined>()
  const [other, setOther] = useState('')
  const [comparison, setComparison] = useState<{ earlier: Execution, later: Execution, result: Comparison } | undefined>()
  const [comparing, setComparing] = useState(false)
  const [problem, setProblem] = useState<string | undefined>()

  useEffect(() => {
    const abort = new AbortController()
    const query = new URLSearchParams({ status: 'completed', limit: '200' })
    if (sameName) query.set('custom-name', execution['custom-name'])
    setCandidates(undefined)
    getJson<Execution[]>(`/must-gather?${query}`, { signal: abort.signal }).then((list) => {
      const others = list.filter((e) => e.id !== execution.id && e['archive-name'] !== '' && !e.expired)
      setCandidates(others)
      const preselected = defaultOther(execution, others)
      setOther(preselected === undefined ? '' : String(preselected.id))
    }, (error: unknown) => { if (!abort.signal.aborted) setProblem((error as Error).message) })
    return () => abort.abort()
  }, [execution, sameName])

  const compare = (event: React.FormEvent): void => {
    event.preventDefault()
    const picked = candidates?.find((e) => String(e.id) === other)
    if (picked === undefined) return
    setComparing(true)
    setProblem(undefined)
    // The service compares from its second run to its first: the earlier goes second, whichever page this is.
    const { earlier, later } = inTimeOrder(execution, picked)
    getComparison(later.id, earlier.id).then((result) => setComparison({ earlier, later, result }), (error: unknown) => {
      setComparison(undefined)
      setProblem(error instanceof ApiError || error instanceof Error ? error.message : String(error))
    }).finally(() => setComparing(false))
  }

  const label = (e: Execution): string => `#${e.id}${e['custom-name'] !== '' ? ` ${e['custom-name']}` : ''} · ${formatTime(e['finished-at'] ?? e['created-at'])}`

  return (
    <div data-testid='compare'>
      <Form onSubmit={compare} aria-label='Compare with another execution'>
        <FormGroup role='radiogroup' fieldId='compare-scope' label='Executions to choose from' isInline>
          <Radio id='compare-same-name' name='compare-scope' label={named ? `Named "${execution['custom-name']}"` : 'Same custom name (this one has none)'} isChecked={sameName} isDisabled={!named} onChange={() => setSameName(true)} />
          <Radio id='compare-any' name='compare-scope' label='Any completed execution' isChecked={!sameName} onChange={() => setSameName(false)} />
        </FormGroup>
        <FormGroup label='Compare with' fieldId='compare-other'>
          {candidates === undefined
            ? <Spinner size='md' aria-label='Loading the executions' />
            : candidates.length === 0
              ? <p data-testid='compare-none'>There is no other completed execution with an archive{sameName ? ' with this name' : ''}.</p>
              : (
                <FormSelect id='compare-other' value={other} onChange={(_e, value) => setOther(value)}>
                  {candidates.map((e) => <FormSelectOption key={e.id} value={String(e.id)} label={label(e)} />)}
                </FormSelect>
                )}
        </FormGroup>
        <div><Button type='submit' variant='primary' isDisabled={other === '' || comparing} isLoading={comparing}>Compare</Button></div>
      </Form>
      {problem !== undefined && <Alert variant='danger' isInline className='mgc-mt-md' title='The comparison could not be made' data-testid='compare-problem'>{problem}</Alert>}
      {comparison !== undefined && <ComparisonView earlier={comparison.earlier} later={comparison.later} c={comparison.result} openFile={openFile} />}
    </div>
  )
}

function ComparisonView ({ earlier, later, c, openFile }: { earlier: Execution, later: Execution, c: Comparison, openFile: OpenFile }): React.ReactNode {
  const pod = (p: { namespace: string, pod: string, container: string | null }): string => `${p.namespace}/${p.pod}${p.container !== null ? ` (${p.container})` : ''}`
  const groups: Array<[string, React.ReactNode[]]> = [
    ['Operators that became unhealthy', c.operators['became-unhealthy'].map((o, i) => <Fragment key={i}>{o.name}: <Problems list={o.problems} />{o['earlier-problems'].length > 0 && <> (before: {o['earlier-problems'].join(', ')})</>} <FileLink path={o.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Operators that recovered', c.operators.recovered.map((o, i) => <Fragment key={i}>{o.name} (before: {o['earlier-problems'].join(', ')}) <FileLink path={o.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Nodes that became not ready', c.nodes['became-not-ready'].map((n, i) => <Fragment key={i}>{n.name}: <Problems list={n.problems} /> <FileLink path={n.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Nodes with new pressure', c.nodes['new-pressure'].map((n, i) => <Fragment key={i}>{n.name}: <Problems list={n.problems} /> <FileLink path={n.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Nodes that recovered', c.nodes.recovered.map((n, i) => <Fragment key={i}>{n.name} (before: {n['earlier-problems'].join(', ')})</Fragment>)],
    ['Pods that started crash-looping', c.pods['started-crash-looping'].map((p, i) => <Fragment key={i}>{pod(p)}, {p['restart-count']} restarts <FileLink path={p.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Pods that stopped crash-looping', c.pods['stopped-crash-looping'].map((p, i) => <Fragment key={i}>{pod(p)}{p['still-present'] ? '' : ' (gone)'}</Fragment>)],
    ['Pods with new problems', c.pods['new-problems'].map((p, i) => <Fragment key={i}>{pod(p)}: <Problems list={p.problems} /> <FileLink path={p.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['New warning reasons', c['warning-reasons'].new.map((r, i) => <Fragment key={i}>{r.reason} ×{r.count}</Fragment>)],
    ['Warning reasons that increased', c['warning-reasons'].increased.map((r, i) => <Fragment key={i}>{r.reason}: {r['earlier-count']} → {r.count}</Fragment>)],
    ['Warning reasons that are gone', c['warning-reasons'].gone.map((r, i) => <Fragment key={i}>{r.reason} (was ×{r['earlier-count']})</Fragment>)],
    ['Claims that became pending', c['persistent-volume-claims']['became-pending'].map((p, i) => <Fragment key={i}>{p.namespace}/{p.name} <FileLink path={p.source} openFile={openFile}>(source)</FileLink></Fragment>)],
    ['Claims now bound', c['persistent-volume-claims'].bound.map((p, i) => <Fragment key={i}>{p.namespace}/{p.name}</Fragment>)]
  ]
  const changed = groups.filter(([, items]) => items.length > 0)
  return (
    <section className='mgc-mt-lg' aria-label='Comparison' data-testid='comparison'>
      <Title headingLevel='h3' className='mgc-mb-sm'>From #{earlier.id} to #{later.id}</Title>
      {c.version !== null && <p>Version: {c.version.earlier ?? 'not known'} → {c.version.later ?? 'not known'}</p>}
      {c['cluster-id-changed'] && <Alert variant='warning' isInline isPlain title='The two archives come from different clusters' />}
      {c['not-comparable'].length > 0 && <p className='mgc-mb-sm'>Not comparable (one of the two could not read it, so differences there are unknown): {c['not-comparable'].join(', ')}</p>}
      {changed.length === 0 && <p data-testid='no-changes'>Nothing that the summary tracks changed between the two runs.</p>}
      {changed.map(([title, items]) => (
        <section key={title} aria-label={title} className='mgc-mb-md'>
          <Title headingLevel='h4'>{title} <Label isCompact>{items.length}</Label></Title>
          <BoundedList title={title} items={items} />
        </section>
      ))}
    </section>
  )
}

/** Lists stay short until asked: two runs of a busy cluster can differ in hundreds of pods. */
const SHOWN_AT_FIRST = 50

function BoundedList ({ title, items }: { title: string, items: React.ReactNode[] }): React.ReactNode {
  const [all, setAll] = useState(false)
  const shown = all ? items : items.slice(0, SHOWN_AT_FIRST)
  return (
    <>
      <List>{shown.map((item, i) => <ListItem key={i}>{item}</ListItem>)}</List>
      {shown.length < items.length && (
        <Button variant='link' isInline onClick={() => setAll(true)} aria-label={`Show all ${items.length} ${title.toLowerCase()}`} data-testid='show-all'>
          Show all {items.length}
        </Button>
      )}
    </>
  )
}

function Problems ({ list }: { list: string[] }): React.ReactNode {
  return <>{list.map((p) => <Label key={p} isCompact color='orange' className='mgc-label'>{p}</Label>)}</>
}
