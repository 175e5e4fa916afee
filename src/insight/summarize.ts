import { ClusterCheck } from './checks/cluster.js'
import { EventCheck, isNormalEventText } from './checks/events.js'
import { GatherLogCheck } from './checks/gather-logs.js'
import { NodeCheck } from './checks/nodes.js'
import { OperatorCheck } from './checks/operators.js'
import { PodCheck } from './checks/pods.js'
import { PvcCheck } from './checks/pvcs.js'
import { kindOf } from './k8s.js'
import { locate, type Plural, RESOURCES, type ResourceGroup } from './locate.js'
import type { TreeEntry, TreeSource } from './tree-source.js'
import { type FileIssue, SECTIONS, type SectionCoverage, type SectionName, type Summary, SUMMARY_FORMAT_VERSION } from './types.js'
import { isRecord, readObjects } from './yaml-objects.js'

export interface SummarizeOptions {
  /** Files larger than this are not read (noted in coverage). (Default: 64 MiB) */
  maxFileBytes?: number
  /** Largest YAML document parsed whole; lists cut into items are not limited. (Default: 8 MiB) */
  wholeDocumentLimit?: number
  /** How many warning-event groups to keep. (Default: 20) */
  topEvents?: number
  /** How many pod findings to keep. (Default: 500) */
  maxPodProblems?: number
  /** How many gather failures to keep. (Default: 200) */
  maxGatherFailures?: number
  /** Stops reading: the summary then holds what was read so far, and says so. */
  signal?: AbortSignal
}

const SECTION_OF: Record<Plural, SectionName> = {
  clusteroperators: 'cluster-operators',
  clusterversions: 'cluster',
  infrastructures: 'cluster',
  nodes: 'nodes',
  pods: 'pods',
  events: 'events',
  persistentvolumeclaims: 'persistent-volume-claims'
}
const MAX_FILE_ISSUES = 100
const MiB = 1024 * 1024

/**
 * Summarises a gathered tree: what is wrong in the cluster, with the file each
 * finding came from. It never throws for the tree's content: files that are
 * missing, too large or unparseable are reported in `coverage`. Files are read
 * one at a time and lists item by item, so memory stays bounded by one file.
 */
export async function summarize (source: TreeSource, options: SummarizeOptions = {}): Promise<Summary> {
  const maxFileBytes = options.maxFileBytes ?? 64 * MiB
  const wholeDocumentLimit = options.wholeDocumentLimit ?? 8 * MiB
  const coverage = Object.fromEntries(SECTIONS.map((s) => [s, { status: 'missing', 'files-read': 0, 'files-failed': 0, 'files-skipped': 0, objects: 0 }])) as Record<SectionName, SectionCoverage>
  const issues: FileIssue[] = []
  let issuesOmitted = 0
  const notes: string[] = []
  const issue = (path: string, problem: string, detail: string) => {
    if (issues.length < MAX_FILE_ISSUES) issues.push({ path, problem, detail })
    else issuesOmitted++
  }

  const cluster = new ClusterCheck()
  const operators = new OperatorCheck()
  const nodes = new NodeCheck()
  const pods = new PodCheck()
  const events = new EventCheck()
  const pvcs = new PvcCheck()
  const gather = new GatherLogCheck()

  let located
  try {
    located = await locate(source.entries())
  } catch (error) {
    notes.push(`the tree could not be listed: ${(error as Error).message}`)
    located = { groups: [], gatherLogs: [], destinationTimestamps: [], imageDirs: [], inspectDirs: [], nestedArchives: [], symlinks: 0 }
  }

  let stopped = false
  const shouldStop = () => {
    if (!stopped && options.signal?.aborted === true) {
      stopped = true
      notes.push(`the summary was stopped before every file was read: ${String(options.signal.reason ?? 'aborted')}`)
    }
    return stopped
  }

  /** A file's text, or null (with the reason recorded) when it cannot be had. */
  const readText = async (entry: TreeEntry, section: SectionName): Promise<string | null> => {
    if (entry.size > maxFileBytes) {
      coverage[section]['files-skipped']++
      issue(entry.path, 'too-large', `${entry.size} bytes, more than the ${maxFileBytes} read for the summary`)
      return null
    }
    try {
      const buffer = await source.read(entry.path)
      if (buffer.length > maxFileBytes) {
        coverage[section]['files-skipped']++
        issue(entry.path, 'too-large', `${buffer.length} bytes, more than the ${maxFileBytes} read for the summary`)
        return null
      }
      return buffer.toString('utf8')
    } catch (error) {
      coverage[section]['files-failed']++
      issue(entry.path, 'unreadable', (error as Error).message)
      return null
    }
  }

  const accept = (plural: Plural, object: Record<string, unknown>, path: string): void => {
    switch (plural) {
      case 'clusteroperators': operators.accept(object, path); break
      case 'clusterversions': cluster.acceptClusterVersion(object, path); break
      case 'infrastructures': cluster.acceptInfrastructure(object, path); break
      case 'nodes': nodes.accept(object, path); break
      case 'pods': pods.accept(object, path); break
      case 'events': events.accept(object, path); break
      case 'persistentvolumeclaims': pvcs.accept(object, path); break
    }
  }

  /** Reads one resource file; true when it gave objects without errors. */
  const readResourceFile = async (plural: Plural, entry: TreeEntry): Promise<boolean> => {
    const section = SECTION_OF[plural]
    const text = await readText(entry, section)
    if (text === null) return false
    const kind = RESOURCES[plural]
    let matched = 0
    const result = await readObjects(text, (object) => {
      if (!isRecord(object)) return
      const k = kindOf(object)
      if (k !== null && k !== kind) return
      matched++
      accept(plural, object, entry.path)
    }, {
      wholeDocumentLimit,
      ...(plural === 'events' && { skipItem: isNormalEventText })
    })
    coverage[section].objects += matched + (plural === 'events' ? result.skipped : 0)
    if (result.errors.length === 0) {
      coverage[section]['files-read']++
      return true
    }
    coverage[section]['files-failed']++
    const readSome = result.objects + result.skipped > 0
    issue(entry.path, readSome ? 'partial' : 'unparseable', result.errors.join('; '))
    return readSome
  }

  const readGroup = async (group: ResourceGroup): Promise<void> => {
    let anyRead = false
    for (const entry of group.collections) {
      if (shouldStop()) return
      if (await readResourceFile(group.plural, entry)) anyRead = true
    }
    if (anyRead) return
    for (const entry of group.items) {
      if (shouldStop()) return
      await readResourceFile(group.plural, entry)
    }
  }

  try {
    for (const entry of located.gatherLogs) {
      if (shouldStop()) break
      const text = await readText(entry, 'gather-logs')
      if (text === null) continue
      coverage['gather-logs']['files-read']++
      coverage['gather-logs'].objects++
      if (entry.path.endsWith('must-gather.logs')) gather.acceptOcLog(text, entry.path)
      else gather.acceptScriptLog(text, entry.path)
    }
    for (const entry of located.destinationTimestamps) {
      if (shouldStop()) break
      const text = await readText(entry, 'gather-logs')
      if (text !== null) gather.acceptTimestamp(text, entry.path)
    }
    for (const dir of located.inspectDirs) gather.acceptInspectDir(dir, dir + '/')

    // cluster identity first, then the rest in the order the archive holds them
    const order: Plural[] = ['clusterversions', 'infrastructures', 'clusteroperators', 'nodes', 'persistentvolumeclaims', 'pods', 'events']
    for (const plural of order) {
      for (const group of located.groups) {
        if (group.plural !== plural) continue
        if (shouldStop()) break
        await readGroup(group)
      }
    }
  } catch (error) {
    // a bug or a failing source must not fail the execution: say what happened
    notes.push(`the summary stopped early: ${(error as Error).message}`)
  }

  const printed = gather.printed
  if (printed !== null && gather.printedSource !== null) {
    cluster.acceptPrinted(printed.clusterId, printed.clusterVersion, printed.desiredVersion, gather.printedSource)
    for (const line of printed.operatorLines) operators.acceptPrinted(line, gather.printedSource)
  }
  if (nodes.provider !== null) cluster.acceptNodeProvider(nodes.provider.id, nodes.provider.source)

  for (const section of SECTIONS) {
    const c = coverage[section]
    const attempted = c['files-read'] + c['files-failed'] + c['files-skipped']
    if (attempted === 0) c.status = 'missing'
    else if (c['files-read'] === 0) c.status = 'unreadable'
    else if (c['files-failed'] + c['files-skipped'] > 0) c.status = 'partial'
    else c.status = 'read'
  }
  if (operators.printedOnly) notes.push('no ClusterOperator was gathered: the operators are those oc printed in must-gather.logs')
  if (located.imageDirs.length === 0) notes.push('no directory of gathered resources (with cluster-scoped-resources/ or namespaces/) was found')
  for (const archive of located.nestedArchives.slice(0, 10)) notes.push(`nested archive not summarised: ${archive}`)
  if (located.nestedArchives.length > 10) notes.push(`${located.nestedArchives.length - 10} more nested archives not summarised`)
  if (located.symlinks > 0) notes.push(`${located.symlinks} symbolic links were not followed`)

  const podResult = pods.problems(options.maxPodProblems ?? 500)
  const eventResult = events.groups(options.topEvents ?? 20)
  const maxFailures = options.maxGatherFailures ?? 200
  return {
    'format-version': SUMMARY_FORMAT_VERSION,
    cluster: cluster.result(),
    'cluster-operators': { total: operators.total, problems: operators.problems() },
    nodes: { total: nodes.total, problems: nodes.problems() },
    pods: { total: pods.total, problems: podResult.problems, 'problems-omitted': podResult.omitted },
    'warning-events': {
      events: events.events,
      occurrences: events.occurrences,
      'untyped-events': events.untyped,
      groups: eventResult.groups,
      'groups-omitted': eventResult.omitted,
      reasons: events.reasons()
    },
    'persistent-volume-claims': { total: pvcs.total, pending: pvcs.pending() },
    gather: {
      logs: gather.logs,
      failures: gather.failures.slice(0, maxFailures),
      'failures-omitted': Math.max(0, gather.failures.length - maxFailures)
    },
    coverage: {
      'image-dirs': located.imageDirs,
      sections: coverage,
      'file-issues': issues,
      'file-issues-omitted': issuesOmitted,
      notes
    }
  }
}
