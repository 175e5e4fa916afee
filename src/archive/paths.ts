import { ArchivePathError } from './errors.js'

/**
 * A requested path in the archive's own form (what `tar -tzf` prints, see
 * tar-headers.ts's normalizeStoredPath): '' is the top. A leading `./` and a
 * trailing `/` are dropped, as in the index. Refused, whatever follows, so that
 * nothing outside the archive can be named: an absolute path, a `..`
 * component, a NUL, a backslash-separated `..`.
 */
export function archivePath (requested: string, field = 'path'): string {
  if (requested.includes('\0')) throw new ArchivePathError('path must not contain a NUL character', field)
  if (requested.startsWith('/')) throw new ArchivePathError('path must be relative to the archive (no leading /)', field)
  const parts = requested.split('/')
  if (parts.some((part) => part === '..' || part.split('\\').includes('..'))) throw new ArchivePathError('path must not contain ".."', field)
  // `a//b` and `a/./b` name `a/b`, as they would on a file system.
  return parts.filter((part) => part !== '' && part !== '.').join('/')
}

/** The parent directory of a normalised path ('' for a top-level entry). */
export function parentOf (path: string): string {
  const slash = path.lastIndexOf('/')
  return slash === -1 ? '' : path.slice(0, slash)
}

/** The last component of a normalised path. */
export function baseName (path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Whether a file's name says it is a gzip-compressed tar archive that can be browsed. */
export function isNestedArchiveName (path: string): boolean {
  return /\.(?:tar\.gz|tgz)$/i.test(path)
}
