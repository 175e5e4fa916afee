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

/** Whether objects of this kind live in namespaces (many per-object files) or at cluster scope (a few). */
export function isNamespaced (plural: Plural): boolean {
  return NAMESPACED.has(plural)
}

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

/**
 * The directory above the first `namespaces/` or `cluster-scoped-resources/`
 * directory on a file's path ('' at the top), or undefined when there is none.
 */
function imageDirOf (path: string): string | undefined {
  let at = -1
  for (const marker of ROOT_MARKERS) {
    const found = path.startsWith(marker + '/') ? 0 : path.indexOf('/' + marker + '/')
    if (found !== -1 && (at === -1 || found < at)) at = found
  }
  return at === -1 ? undefined : path.slice(0, at)
}

/** Finds the files the summary reads, one entry at a time (as a tree is listed or streamed). */
export class Locator {
  readonly #groups = new Map<string, ResourceGroup>()
  readonly #gatherLogs: TreeEntry[] = []
  readonly #timestamps: TreeEntry[] = []
  readonly #imageDirs = new Set<string>()
  readonly #inspectDirs = new Set<string>()
  readonly #nestedArchives: string[] = []
  readonly #mustGatherLogDirs = new Set<string>()
  #symlinks = 0

  /** Takes one entry; returns what it made of a file it looked at closely (undefined: not a file the summary reads). */
  add (entry: TreeEntry): FileRole | undefined {
    if (entry.type === 'symlink') { this.#symlinks++; return undefined }
    if (entry.type !== 'file') return undefined
    const path = entry.path.endsWith('/') ? entry.path.slice(0, -1) : entry.path
    // String searches first: a tree has tens of thousands of files, and most are only looked at here.
    if (path.includes('inspect.local.')) {
      const parts = path.split('/')
      const inspectAt = parts.findIndex((p) => INSPECT_DIR.test(p))
      if (inspectAt >= 0 && inspectAt < parts.length - 1) this.#inspectDirs.add(parts.slice(0, inspectAt + 1).join('/'))
    }
    const imageDir = imageDirOf(path)
    if (imageDir !== undefined) this.#imageDirs.add(imageDir)
    if (!mayBeRead(path) && !ARCHIVE_EXTENSION.test(path)) return undefined

    const parts = path.split('/')
    const file = roleOf(parts)
    switch (file.role) {
      case 'nested-archive':
        this.#nestedArchives.push(path)
        break
      case 'gather-log':
        this.#gatherLogs.push(entry)
        if (parts[parts.length - 1] === 'must-gather.logs') this.#mustGatherLogDirs.add(parts.slice(0, -1).join('/'))
        break
      case 'timestamp':
        this.#timestamps.push(entry)
        break
      case 'resource': {
        const target = this.#group(file.plural, file.scope.join('/'))
        if (file.collection) target.collections.push(entry)
        else target.items.push(entry)
      }
    }
    return file
  }

  result (): Located {
    const imageDirs = this.#imageDirs
    // oc's own `timestamp` sits in the destination directory: next to must-gather.logs,
    // or above a directory of gathered resources (not inside one: images write their own)
    const destinationTimestamps = this.#timestamps.filter((entry) => {
      const dir = entry.path.split('/').slice(0, -1).join('/')
      if (imageDirs.has(dir)) return false
      if (this.#mustGatherLogDirs.has(dir)) return true
      const prefix = dir === '' ? '' : dir + '/'
      for (const image of imageDirs) {
        if (image.startsWith(prefix) && image.slice(prefix.length).split('/').length <= 2) return true
      }
      return false
    })
    return {
      groups: [...this.#groups.values()],
      gatherLogs: this.#gatherLogs,
      destinationTimestamps,
      imageDirs: [...imageDirs].sort(),
      inspectDirs: [...this.#inspectDirs].sort(),
      nestedArchives: this.#nestedArchives,
      symlinks: this.#symlinks
    }
  }

  #group (plural: Plural, scope: string): ResourceGroup {
    const key = plural + '\0' + scope
    let found = this.#groups.get(key)
    if (found === undefined) {
      found = { plural, scope, collections: [], items: [] }
      this.#groups.set(key, found)
    }
    return found
  }
}

export async function locate (entries: AsyncIterable<TreeEntry>): Promise<Located> {
  const locator = new Locator()
  for await (const entry of entries) locator.add(entry)
  return locator.result()
}
