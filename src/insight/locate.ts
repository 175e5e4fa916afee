import type { TreeEntry } from './tree-source.js'

/**
 * Finds, from the listing alone, the files the summary reads. Layout is
 * guessed from names, not fixed paths, so that the default image's tree, the
 * fall-back `inspect.local.*` data, per-node trees and other images' layouts
 * are all found:
 *   `<dir>/<plural>.yaml`              a collection (a List, or several documents)
 *   `<dir>/<plural>/<name>.yaml`       one object
 *   `<dir>/<plural>/<name>/<name>.yaml` one object (the default image's pods)
 * with `.yml` and `.json` accepted too. The objects' `kind` is checked when
 * they are read.
 */

export const RESOURCES = {
  clusteroperators: 'ClusterOperator',
  clusterversions: 'ClusterVersion',
  infrastructures: 'Infrastructure',
  nodes: 'Node',
  pods: 'Pod',
  events: 'Event',
  persistentvolumeclaims: 'PersistentVolumeClaim'
} as const
export type Plural = keyof typeof RESOURCES

const NAMESPACED = new Set<Plural>(['pods', 'events', 'persistentvolumeclaims'])

/** Files that hold one resource type within one scope (one namespace, or one cluster-scoped directory). */
export interface ResourceGroup {
  plural: Plural
  scope: string
  /** `<plural>.yaml` files: read first. */
  collections: TreeEntry[]
  /** One-object files: read when there is no collection, or none could be read. */
  items: TreeEntry[]
}

export interface Located {
  groups: ResourceGroup[]
  /** Logs of oc and of the gather scripts. */
  gatherLogs: TreeEntry[]
  /** `timestamp` files oc wrote in a destination directory (a start line, then an end line). */
  destinationTimestamps: TreeEntry[]
  /** Directories holding gathered resources. */
  imageDirs: string[]
  /** Fall-back `oc adm inspect` directories (oc wrote them because the gather failed). */
  inspectDirs: string[]
  nestedArchives: string[]
  symlinks: number
}

const GATHER_LOG_NAMES = new Set(['must-gather.logs', 'must-gather.log', 'gather.logs', 'gather-debug.log', 'must-gather-debug.log'])
const DATA_EXTENSION = /\.(?:ya?ml|json)$/
const ARCHIVE_EXTENSION = /\.(?:tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|zip)$/
const INSPECT_DIR = /^inspect\.local\.\d+$/
const ROOT_MARKERS = new Set(['cluster-scoped-resources', 'namespaces'])

function isPlural (name: string): name is Plural {
  return Object.hasOwn(RESOURCES, name)
}

/**
 * Whether the summary may read a file of this path (roleOf() decides): a test
 * cheaper than roleOf() for the many files it never reads. Keep it a superset
 * of gather logs, timestamps and resource files.
 */
export function mayBeRead (path: string): boolean {
  return MAY_BE_READ.test(path)
}
const MAY_BE_READ = /(?:\.(?:ya?ml|json|logs?)|(?:^|\/)timestamp)$/

/** What the summary makes of a file, from its path's components alone. */
export type FileRole =
  | { role: 'nested-archive' }
  | { role: 'gather-log' }
  | { role: 'timestamp' }
  | { role: 'resource', plural: Plural, collection: boolean, scope: string[] }
  | { role: 'other' }

export function roleOf (parts: string[]): FileRole {
  const name = parts[parts.length - 1] ?? ''
  if (ARCHIVE_EXTENSION.test(name)) return { role: 'nested-archive' }
  if (GATHER_LOG_NAMES.has(name) && !parts.includes('namespaces') && !parts.includes('pods')) return { role: 'gather-log' }
  if (name === 'timestamp') return { role: 'timestamp' }
  if (!DATA_EXTENSION.test(name)) return { role: 'other' }

  const dir = parts.slice(0, -1)
  const stem = name.replace(DATA_EXTENSION, '')
  const parent = dir[dir.length - 1] ?? ''
  const grandparent = dir[dir.length - 2] ?? ''
  let plural: Plural
  let scope: string[]
  let collection = false
  if (isPlural(stem)) {
    plural = stem
    scope = dir
    collection = true
  } else if (isPlural(parent)) {
    plural = parent
    scope = dir.slice(0, -1)
  } else if (parent === stem && isPlural(grandparent)) {
    plural = grandparent
    scope = dir.slice(0, -2)
  } else {
    return { role: 'other' }
  }
  if (NAMESPACED.has(plural)) {
    // `namespaces/<ns>/core/pods.yaml` and `namespaces/<ns>/pods/<pod>/<pod>.yaml` are one scope
    const at = scope.lastIndexOf('namespaces')
    if (at >= 0 && at + 1 < scope.length) scope = scope.slice(0, at + 2)
  }
  return { role: 'resource', plural, collection, scope }
}

export async function locate (entries: AsyncIterable<TreeEntry>): Promise<Located> {
  const groups = new Map<string, ResourceGroup>()
  const gatherLogs: TreeEntry[] = []
  const timestamps: TreeEntry[] = []
  const imageDirs = new Set<string>()
  const inspectDirs = new Set<string>()
  const nestedArchives: string[] = []
  const mustGatherLogDirs = new Set<string>()
  let symlinks = 0

  const group = (plural: Plural, scope: string): ResourceGroup => {
    const key = plural + '\0' + scope
    let found = groups.get(key)
    if (found === undefined) {
      found = { plural, scope, collections: [], items: [] }
      groups.set(key, found)
    }
    return found
  }

  for await (const entry of entries) {
    if (entry.type === 'symlink') { symlinks++; continue }
    if (entry.type !== 'file') continue
    const path = entry.path.endsWith('/') ? entry.path.slice(0, -1) : entry.path
    const parts = path.split('/')
    if (path.includes('inspect.local.')) {
      const inspectAt = parts.findIndex((p) => INSPECT_DIR.test(p))
      if (inspectAt >= 0 && inspectAt < parts.length - 1) inspectDirs.add(parts.slice(0, inspectAt + 1).join('/'))
    }

    const markerAt = parts.findIndex((p, i) => i < parts.length - 1 && ROOT_MARKERS.has(p))
    if (markerAt >= 0) imageDirs.add(parts.slice(0, markerAt).join('/'))

    const file = roleOf(parts)
    if (file.role === 'nested-archive') { nestedArchives.push(path); continue }
    if (file.role === 'gather-log') {
      gatherLogs.push(entry)
      if (parts[parts.length - 1] === 'must-gather.logs') mustGatherLogDirs.add(parts.slice(0, -1).join('/'))
      continue
    }
    if (file.role === 'timestamp') { timestamps.push(entry); continue }
    if (file.role !== 'resource') continue
    const target = group(file.plural, file.scope.join('/'))
    if (file.collection) target.collections.push(entry)
    else target.items.push(entry)
  }

  // oc's own `timestamp` sits in the destination directory: next to must-gather.logs,
  // or above a directory of gathered resources (not inside one: images write their own)
  const destinationTimestamps = timestamps.filter((entry) => {
    const dir = entry.path.split('/').slice(0, -1).join('/')
    if (imageDirs.has(dir)) return false
    if (mustGatherLogDirs.has(dir)) return true
    const prefix = dir === '' ? '' : dir + '/'
    for (const image of imageDirs) {
      if (image.startsWith(prefix) && image.slice(prefix.length).split('/').length <= 2) return true
    }
    return false
  })
  return {
    groups: [...groups.values()],
    gatherLogs,
    destinationTimestamps,
    imageDirs: [...imageDirs].sort(),
    inspectDirs: [...inspectDirs].sort(),
    nestedArchives,
    symlinks
  }
}
