import { constants } from 'node:fs'
import { lstat, open, readdir, realpath } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

/**
 * A gathered tree, wherever it lives: an indexed archive (the archive index
 * implements this) or a directory on disk (DirectoryTreeSource). The summary
 * reads only through this interface.
 *
 * Paths are the ones `tar -tzf` prints for the archive: relative, `/`-separated,
 * the top directory's name first, directories with a trailing `/`.
 */
export interface TreeEntry { path: string; type: 'file' | 'directory' | 'symlink' | 'other'; size: number }
export interface TreeSource {
  /** Every entry, in archive order. */
  entries (): AsyncIterable<TreeEntry>
  /** A regular file's whole content. */
  read (path: string): Promise<Buffer>
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

  constructor (root: string, options: DirectoryTreeSourceOptions = {}) {
    this.#root = resolve(root)
    const prefix = options.prefix ?? basename(this.#root)
    this.#prefix = prefix === '' ? '' : checkTreePath(prefix) + '/'
  }

  async * entries (): AsyncIterable<TreeEntry> {
    if (this.#prefix !== '') yield { path: this.#prefix, type: 'directory', size: 0 }
    yield * this.#walk(this.#root, this.#prefix)
  }

  async * #walk (dir: string, prefix: string): AsyncIterable<TreeEntry> {
    // sorted by name (byte order) so the listing is the same on every run
    const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const name of names) {
      const full = join(dir, name)
      let info
      try {
        info = await lstat(full)
      } catch {
        continue // removed while walking
      }
      const path = prefix + name
      if (info.isDirectory()) {
        yield { path: path + '/', type: 'directory', size: 0 }
        yield * this.#walk(full, path + '/')
      } else if (info.isFile()) {
        yield { path, type: 'file', size: info.size }
      } else if (info.isSymbolicLink()) {
        yield { path, type: 'symlink', size: 0 }
      } else {
        yield { path, type: 'other', size: 0 }
      }
    }
  }

  async read (path: string): Promise<Buffer> {
    const rel = checkTreePath(path)
    if (this.#prefix !== '' && !(rel + '/').startsWith(this.#prefix)) throw new TreePathError(path, 'outside the tree')
    const inside = rel.slice(this.#prefix.length)
    const full = inside === '' ? this.#root : join(this.#root, ...inside.split('/'))
    // Any symlink on the way makes the real path differ from the joined one.
    const real = await realpath(full)
    const expected = join(await realpath(this.#root), ...(inside === '' ? [] : inside.split('/')))
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
