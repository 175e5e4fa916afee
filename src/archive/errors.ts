import { GatheringError, ValidationError } from '../gatherings/errors.js'

// Expected failures of archive browsing. The path and pattern errors are
// ValidationErrors (code VALIDATION_FAILED → 400 with `field`); the others carry
// their own codes for the error handler's table:
//   ARCHIVE_ENTRY_NOT_FOUND → 404, NOT_A_FILE / NOT_A_DIRECTORY → 409 (or 400),
//   NESTED_ARCHIVE_UNREADABLE → 422, ARCHIVE_INDEX_INVALID → 500 (re-index).

/** A path that could name something outside the archive: `..`, absolute, NUL. */
export class ArchivePathError extends ValidationError {
  constructor (message: string, field = 'path') {
    super(field, message)
  }
}

/** A search pattern refused: invalid, or a regular expression whose cost cannot be bounded. */
export class SearchPatternError extends ValidationError {
  constructor (message: string, field = 'q') {
    super(field, message)
  }
}

export class ArchiveEntryNotFoundError extends GatheringError {
  constructor (readonly path: string) {
    super(`no entry "${path}" in the archive`, 'ARCHIVE_ENTRY_NOT_FOUND')
  }
}

/** The path names a directory, symlink or other entry where a regular file's bytes were asked for. */
export class NotAFileError extends GatheringError {
  constructor (readonly path: string, readonly type: string) {
    super(`"${path}" is a ${type}, not a regular file`, 'NOT_A_FILE')
  }
}

export class NotADirectoryError extends GatheringError {
  constructor (readonly path: string, readonly type: string) {
    super(`"${path}" is a ${type}, not a directory`, 'NOT_A_DIRECTORY')
  }
}

/** A `.tar.gz` inside the archive that is not one (corrupt, or not gzip + tar). */
export class NestedArchiveError extends GatheringError {
  constructor (readonly path: string, reason: string) {
    super(`"${path}" cannot be browsed as an archive: ${reason}`, 'NESTED_ARCHIVE_UNREADABLE')
  }
}

/** A sidecar index that is missing, of another version, or does not match its archive. */
export class ArchiveIndexError extends GatheringError {
  constructor (readonly indexPath: string, reason: string) {
    super(`archive index ${indexPath}: ${reason}`, 'ARCHIVE_INDEX_INVALID')
  }
}
