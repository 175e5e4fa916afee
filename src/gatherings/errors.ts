/** Base of the domain's expected failures; `code` maps to an HTTP status in one place (http/error-handler.ts). */
export class GatheringError extends Error {
  constructor (message: string, readonly code: string) {
    super(message)
    this.name = new.target.name
  }
}

/** A request value that `oc` (or the service) would refuse; `field` is the JSON field name. */
export class ValidationError extends GatheringError {
  constructor (readonly field: string, message: string) {
    super(message, 'VALIDATION_FAILED')
  }
}

/** A valid request this service's policy refuses (403): an image not allowed, a server not allowed. */
export class RequestNotAllowedError extends GatheringError {
  constructor (readonly field: string, message: string) {
    super(message, 'REQUEST_NOT_ALLOWED')
  }
}

export class GatheringNotFoundError extends GatheringError {
  constructor (readonly key: string) {
    super(`must-gather execution "${key}" not found`, 'GATHERING_NOT_FOUND')
  }
}

export class ArchiveNotFoundError extends GatheringError {
  constructor (readonly id: number, reason: string) {
    super(`must-gather execution ${id} has no archive: ${reason}`, 'ARCHIVE_NOT_FOUND')
  }
}

export class QueueFullError extends GatheringError {
  constructor (readonly limit: number) {
    super(`too many queued must-gather executions (MAX_QUEUED=${limit}); retry when some have started`, 'QUEUE_FULL')
  }
}

export class StorageFullError extends GatheringError {
  constructor (readonly freeBytes: number, readonly neededBytes: number) {
    super(`not enough disk space for new executions: ${Math.floor(freeBytes / 2 ** 20)} MiB free, MIN_FREE_SPACE is ` +
      `${Math.floor(neededBytes / 2 ** 20)} MiB, and no older archive is left to expire; retry when space is freed`, 'STORAGE_FULL')
  }
}

export class ShuttingDownError extends GatheringError {
  constructor () {
    super('the service is shutting down and accepts no new executions; retry shortly', 'SHUTTING_DOWN')
  }
}

/** Normalise anything thrown into an Error, keeping the original as `cause`. */
export function coerceError (thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(String(thrown), { cause: thrown })
}
