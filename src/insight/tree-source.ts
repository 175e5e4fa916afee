import { constants, type Dirent, lstatSync, readdirSync, type Stats } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * A gathered tree, wherever it lives: an indexed archive (the archive index
 * implements this) or a directory on disk (DirectoryTreeSource). The summary
 * reads only through this interface.
 *
 * Paths are the ones `tar -tzf` prints for the archive: relative, `/`-separated,
 * the top directory's name first, directories with a trailing `/`.
 */
export interface TreeEntry { path: string; type: 'file' | 'directory' | 'symlink' | 'other'; size: number }
export interface TreeReader {
  /** A regular file's whole content. */
  read (path: string): Promise<Buffer>
}
export interface TreeSource extends TreeReader {
  /** Every entry, in archive order. */
  entries (): AsyncIterable<TreeEntry>
}

export class TreePathError extends Error {
  readonly code = 'TREE_PATH_INVALID'
  constructor (readonly path: string, reason: string) {
    super(`invalid path in tree: ${reason}`)
  }
}

/**
 * Checks a path named by a caller: relative, no `..` or `.` components, no NUL,
 * no backslash tricks. Returns it without a trailing `/`.
 */
export function checkTreePath (path: string): string {
  if (path.includes('\0')) throw new TreePathError(path, 'NUL character')
  if (path.startsWith('/')) throw new TreePathError(path, 'absolute path')
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path
  if (trimmed === '') throw new TreePathError(path, 'empty path')
  for (const part of trimmed.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new TreePathError(path, `bad component ${JSON.stringify(part)}`)
  }
  return trimmed
}

export interface DirectoryTreeSourceOptions {
  /**
   * First path component, as `tar -C parent -czf x.tar.gz <dirname>` would
   * store it (Default: the root directory's own name). '' lists paths relative
   * to the root itself.
   */
  prefix?: string
}

/**
 * A directory seen as the archive `tar -C <parent> -czf x.tar.gz <name>` would
 * make of it. Symlinks are listed as symlinks and never followed, neither when
 * walking nor when reading.
 */
export class DirectoryTreeSource implements TreeSource {
  readonly #root: string
  readonly #prefix: string
  #realRoot: Promise<string> | undefined

  constructor (root: string, options: DirectoryTreeSourceOptions = {}) {
    this.#root = resolve(root)
    const prefix = options.prefix ?? basename(this.#root)
    this.#prefix = prefix === '' ? '' : checkTreePath(prefix) + '/'
  }

  async * entries (): AsyncIterable<TreeEntry> {
    if (this.#prefix !== '') yield { path: this.#prefix, type: 'directory', size: 0 }
    // Synchronous calls, a time slice at a time: a must-gather has tens of thousands
    // of entries, and one promise per lstat costs several times the call itself.
    const stack: Frame[] = [{ dir: this.#root, prefix: this.#prefix, names: listSorted(this.#root), next: 0 }]
    let sliceStart = performance.now()
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame
      const dirent = frame.names[frame.next++]
      if (dirent === undefined) { stack.pop(); continue }
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn()
        sliceStart = performance.now()
      }
      const full = join(frame.dir, dirent.name)
      const path = frame.prefix + dirent.name
      let type: TreeEntry['type']
      let size = 0
      if (dirent.isDirectory()) type = 'directory'
      else if (dirent.isSymbolicLink()) type = 'symlink'
      else {
        // a file's size, and the type the directory entry did not give (some file systems do not)
        const info = lstatOrNull(full)
        if (info === null) continue // removed while walking
        type = typeOf(info)
        if (type === 'file') size = info.size
      }
      if (type === 'directory') {
        yield { path: path + '/', type, size: 0 }
        stack.push({ dir: full, prefix: path + '/', names: listSorted(full), next: 0 })
      } else {
        yield { path, type, size }
      }
    }
  }

  /** What lstat says of one path of the tree (no symlink followed), as the walk would list it; undefined when it is gone. */
  statEntry (path: string): TreeEntry | undefined {
    const info = lstatOrNull(this.#onDisk(path).full)
    if (info === null) return undefined
    const type = typeOf(info)
    return { path, type, size: type === 'file' ? info.size : 0 }
  }

  /** Where a tree path is on disk; `inside` is relative to the root. */
  #onDisk (path: string): { inside: string, full: string } {
    const rel = checkTreePath(path)
    if (this.#prefix !== '' && !(rel + '/').startsWith(this.#prefix)) throw new TreePathError(path, 'outside the tree')
    const inside = rel.slice(this.#prefix.length)
    return { inside, full: inside === '' ? this.#root : join(this.#root, ...inside.split('/')) }
  }

  async read (path: string): Promise<Buffer> {
    const { inside, full } = this.#onDisk(path)
    // Any symlink on the way makes the real path differ from the joined one.
    const real = await realpath(full)
    this.#realRoot ??= realpath(this.#root)
    const expected = join(await this.#realRoot, ...(inside === '' ? [] : inside.split('/')))
    if (real !== expected) throw new TreePathError(path, 'a symlink is on the path')
    // O_NOFOLLOW closes the window between the check and the open for the last component.
    const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw new TreePathError(path, 'not a regular file')
      return await handle.readFile()
    } finally {
      await handle.close()
    }
  }
}

/** Longest synchronous stretch of the walk before the event loop gets a turn, in ms. */
const SLICE_MS = 20

interface Frame { dir: string; prefix: string; names: Dirent[]; next: number }

/** A directory's entries sorted by name (UTF-16 order), so that a listing is the same on every run. */
function listSorted (dir: string): Dirent[] {
  let names: Dirent[]
  try {
    names = readdirSync(dir, { withFileTypes: true })
  } catch {
    return [] // removed or unreadable while walking
  }
  return names.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function lstatOrNull (path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

function typeOf (info: Stats): TreeEntry['type'] {
  return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symlink' : 'other'
}
