import { Tab, Tabs, TabTitleText, Title } from '@patternfly/react-core'
import { useCallback, useEffect, useState } from 'react'

import type { Execution } from '../api'
import { CompareView } from './CompareView'
import { FileBrowser, type FileLocation } from './FileBrowser'
import { type InsightView, searchOf, type TabKey, viewOf } from './insight-address'
import { SearchView } from './SearchView'
import { SummaryView } from './SummaryView'

/**
 * What the archive says, without downloading it: the summary, the files,
 * search and the comparison with another run. Loaded on its own (it is the
 * heaviest part of the execution page) once the execution has an archive.
 * A finding or a search result opens its file in the Files tab, at its line.
 * The tab, folder, file and line are in the address (its query): a reload
 * keeps them, a link shares them, and Back returns to the previous one.
 */
export function ArchiveInsight ({ execution }: { execution: Execution }): React.ReactNode {
  const [view, setView] = useState<InsightView>(() => viewOf(location.search))
  const { tab, location: where } = view

  useEffect(() => {
    const update = (): void => setView(viewOf(window.location.search))
    window.addEventListener('popstate', update)
    return () => window.removeEventListener('popstate', update)
  }, [])

  const show = useCallback((next: InsightView): void => {
    const search = searchOf(next)
    if (search !== window.location.search) history.pushState(null, '', `${window.location.pathname}${search}`)
    setView(next)
  }, [])
  const setTab = (key: TabKey): void => show({ tab: key, location: where })
  const setLocation = (next: FileLocation): void => show({ tab: 'files', location: next })

  const openFile = useCallback((path: string, line?: number, offset?: number): void => {
    const slash = path.lastIndexOf('/')
    show({ tab: 'files', location: { dir: slash < 0 ? '' : path.slice(0, slash), file: path, ...(line !== undefined && { line }), ...(offset !== undefined && { offset }) } })
  }, [show])

  return (
    <section aria-labelledby='archive-insight-title' className='mgc-mt-lg' data-testid='archive-insight'>
      <Title headingLevel='h2' id='archive-insight-title' className='mgc-mb-sm'>Inside the archive</Title>
      <Tabs
        activeKey={tab} onSelect={(_event, key) => setTab(key as TabKey)}
        aria-label='Inside the archive' mountOnEnter
      >
        <Tab eventKey='summary' title={<TabTitleText>Summary</TabTitleText>}>
          <div className='mgc-tab-body'><SummaryView id={execution.id} openFile={openFile} /></div>
        </Tab>
        <Tab eventKey='files' title={<TabTitleText>Files</TabTitleText>}>
          <div className='mgc-tab-body'><FileBrowser id={execution.id} location={where} onLocation={setLocation} /></div>
        </Tab>
        <Tab eventKey='search' title={<TabTitleText>Search</TabTitleText>}>
          <div className='mgc-tab-body'><SearchView id={execution.id} openFile={openFile} /></div>
        </Tab>
        <Tab eventKey='compare' title={<TabTitleText>Compare</TabTitleText>}>
          <div className='mgc-tab-body'><CompareView execution={execution} openFile={openFile} /></div>
        </Tab>
      </Tabs>
    </section>
  )
}

export default ArchiveInsight
