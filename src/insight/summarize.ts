import { ClusterCheck } from './checks/cluster.js'
import { EventCheck } from './checks/events.js'
import { GatherLogCheck } from './checks/gather-logs.js'
import { NodeCheck } from './checks/nodes.js'
import { OperatorCheck } from './checks/operators.js'
import { PodCheck } from './checks/pods.js'
import { PvcCheck } from './checks/pvcs.js'
import { kindOf } from './k8s.js'
import { type Located, locate, type Plural, RESOURCES, type ResourceGroup } from './locate.js'
import { readAhead, type ReadOutcome } from './read-ahead.js'
import { type PreparedFile, readResourceObjects, replayResourceFile, RESOURCE_READ_DEFAULTS, type ResourceVisitor } from './resource-files.js'
import type { TreeEntry, TreeReader, TreeSource } from './tree-source.js'
import { type FileIssue, SECTIONS, type SectionCoverage, type SectionName, type Summary, SUMMARY_FORMAT_VERSION } from './types.js'
import { isRecord } from './yaml-objects.js'

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
  /**
   * Skip list items whose text alone shows they need no parsing: Normal events,
   * Running pods with no restart, no container waiting, terminated or not
   * ready, and no condition False. (Default: true; false parses everything.)
   */
  textFilters?: boolean
  /** Stops reading: the summary then holds what was read so far, and says so. */
  signal?: AbortSignal
  /**
   * Resource files already read, by path (src/insight/resource-files.ts, with
   * the default wholeDocumentLimit and textFilters): used instead of reading them.
   */
  prepared?: ReadonlyMap<string, PreparedFile>
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
/** Bytes of files read ahead of the one being parsed. */
const READ_AHEAD_BYTES = 32 * 1024 * 1024
const MiB = 1024 * 1024

/**
 * Summarises a gathered tree: what is wrong in the cluster, with the file each
 * finding came from. It never throws for the tree's content: files that are
 * missing, too large or unparseable are reported in `coverage`. Files are read
 * one at a time and lists item by item, so memory stays bounded by one file.
 */
export async function summarize (source: TreeSource, options: SummarizeOptions = {}): Promise<Summary> {
  let located: Located
  try {
    located = await locate(source.entries())
  } catch (error) {
    const nothing = { groups: [], gatherLogs: [], destinationTimestamps: [], imageDirs: [], inspectDirs: [], nestedArchives: [], symlinks: 0 }
    return await summarizeLocated(nothing, source, options, [`the tree could not be listed: ${(error as Error).message}`])
  }
  return await summarizeLocated(located, source, options)
}

/**
 * The summary of files already located (by a Locator that saw every entry),
 * read through `reader`: what a tree streamed past the packer gives (see
 * src/archive/tapped-tree-source.ts).
 */
export async function summarizeLocated (located: Located, source: TreeReader, options: SummarizeOptions = {}, notesSoFar: string[] = []): Promise<Summary> {
  const maxFileBytes = options.maxFileBytes ?? 64 * MiB
  const wholeDocumentLimit = options.wholeDocumentLimit ?? RESOURCE_READ_DEFAULTS.wholeDocumentLimit
  const textFilters = options.textFilters ?? RESOURCE_READ_DEFAULTS.textFilters
  const prepared = options.prepared ?? new Map<string, PreparedFile>()
  const coverage = Object.fromEntries(SECTIONS.map((s) => [s, { status: 'missing', 'files-read': 0, 'files-failed': 0, 'files-skipped': 0, objects: 0 }])) as Record<SectionName, SectionCoverage>
  const issues: FileIssue[] = []
  let issuesOmitted = 0
  const notes: string[] = [...notesSoFar]
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

  let stopped = false
  const shouldStop = () => {
    if (!stopped && options.signal?.aborted === true) {
      stopped = true
      notes.push(`the summary was stopped before every file was read: ${String(options.signal.reason ?? 'aborted')}`)
    }
    return stopped
  }

  /** A file's text, or null (with the reason recorded) when it cannot be had. */
  const textOf = (entry: TreeEntry, section: SectionName, content: ReadOutcome): string | null => {
    if (content === 'too-large' || (content instanceof Buffer && content.length > maxFileBytes)) {
      coverage[section]['files-skipped']++
      issue(entry.path, 'too-large', `${content === 'too-large' ? entry.size : content.length} bytes, more than the ${maxFileBytes} read for the summary`)
      return null
    }
    if (content instanceof Error) {
      coverage[section]['files-failed']++
      issue(entry.path, 'unreadable', content.message)
      return null
    }
    return content.toString('utf8')
  }
  const readOne = async (entry: TreeEntry): Promise<ReadOutcome> => {
    if (entry.size > maxFileBytes) return 'too-large'
    try {
      return await source.read(entry.path)
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error))
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

  /** Reads one resource file's objects (or replays them, prepared); true when it gave objects without errors. */
  const readResourceFile = async (plural: Plural, entry: TreeEntry, content: ReadOutcome): Promise<boolean> => {
    const section = SECTION_OF[plural]
    const ready = prepared.get(entry.path)
    const text = ready === undefined ? textOf(entry, section, content) : ''
    if (text === null) return false
    const kind = RESOURCES[plural]
    let matched = 0
    const visitor: ResourceVisitor = {
      object: (object) => {
        if (!isRecord(object)) return
        const k = kindOf(object)
        if (k !== null && k !== kind) return
        matched++
        accept(plural, object, entry.path)
      },
      skipped: plural === 'pods' ? (key) => pods.acceptHealthy(key) : () => {}
    }
    const result = ready !== undefined
      ? replayResourceFile(ready, visitor, { wholeDocumentLimit, textFilters })
      : await readResourceObjects(plural, text, visitor, { wholeDocumentLimit, textFilters })
    coverage[section].objects += matched + result.skipped
    if (result.errors.length === 0) {
      coverage[section]['files-read']++
      return true
    }
    coverage[section]['files-failed']++
    const readSome = result.objects + result.skipped > 0
    issue(entry.path, readSome ? 'partial' : 'unparseable', result.errors.join('; '))
    return readSome
  }
  // Prepared files are not read again.
  const reading: TreeReader = prepared.size === 0 ? source : { read: async (path) => prepared.has(path) ? Buffer.alloc(0) : await source.read(path) }

  try {
    for (const entry of located.gatherLogs) {
      if (shouldStop()) break
      const text = textOf(entry, 'gather-logs', await readOne(entry))
      if (text === null) continue
      coverage['gather-logs']['files-read']++
      coverage['gather-logs'].objects++
      if (entry.path.endsWith('must-gather.logs')) gather.acceptOcLog(text, entry.path)
      else gather.acceptScriptLog(text, entry.path)
    }
    for (const entry of located.destinationTimestamps) {
      if (shouldStop()) break
      const content = await readOne(entry)
      if (content instanceof Buffer) gather.acceptTimestamp(content.toString('utf8'), entry.path)
    }
    for (const dir of located.inspectDirs) gather.acceptInspectDir(dir, dir + '/')

    // Cluster identity first, then the rest in the order the archive holds them. A
    // group's per-object files are read when it has no collection file, or (below)
    // when none of its collection files could be read.
    const order: Plural[] = ['clusterversions', 'infrastructures', 'clusteroperators', 'nodes', 'persistentvolumeclaims', 'pods', 'events']
    const plan = order.flatMap((plural) => located.groups.filter((g) => g.plural === plural)
      .flatMap((group) => (group.collections.length > 0 ? group.collections : group.items).map((entry) => ({ group, entry }))))
    const collectionRead = new Set<ResourceGroup>()
    // a file already read when the signal comes is still used: stop before the next one
    for await (const { item, content } of readAhead(reading, shouldStop() ? [] : plan, { window: 8, maxBytes: READ_AHEAD_BYTES, maxFileBytes })) {
      if (await readResourceFile(item.group.plural, item.entry, content)) collectionRead.add(item.group)
      if (shouldStop()) break
    }
    const fallbacks = located.groups.filter((g) => g.collections.length > 0 && !collectionRead.has(g))
      .flatMap((group) => group.items.map((entry) => ({ group, entry })))
    if (!shouldStop()) {
      for await (const { item, content } of readAhead(reading, fallbacks, { window: 8, maxBytes: READ_AHEAD_BYTES, maxFileBytes })) {
        await readResourceFile(item.group.plural, item.entry, content)
        if (shouldStop()) break
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
