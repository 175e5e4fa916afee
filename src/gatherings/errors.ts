/** Base of the domain's expected failures; `code` maps to an HTTP status in one place (http/error-handler.ts). */
export class GatheringError extends Error {
  constructor (message: string, readonly code: string) {
    super(message)
    this.name = new.target.name
  }
}

/** A message about a request field, written for whatever name the caller knows the field by. */
export type FieldMessage = string | ((fieldName: string) => string)

/**
 * An error about one field of a request. `field` is the domain's name for it
 * (`customName`); the HTTP layer renames it to the wire's (`custom-name`).
 */
abstract class FieldError extends GatheringError {
  constructor (readonly field: string, readonly describe: FieldMessage, code: string) {
    super(typeof describe === 'string' ? describe : describe(field), code)
  }

  /** The same error, naming its field `name`. */
  withFieldName (name: string): this {
    const Self = this.constructor as new (field: string, message: FieldMessage) => this
    return new Self(name, this.describe)
  }
}

/** A request value that `oc` (or the service) would refuse. */
export class ValidationError extends FieldError {
  constructor (field: string, message: FieldMessage) {
    super(field, message, 'VALIDATION_FAILED')
  }
}

/** A valid request this service's policy refuses (403): an image not allowed, a server not allowed. */
export class RequestNotAllowedError extends FieldError {
  constructor (field: string, message: FieldMessage) {
    super(field, message, 'REQUEST_NOT_ALLOWED')
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

/** One caller's share of the queue is used up (MAX_QUEUED_PER_USER): others can still queue. */
export class UserQueueFullError extends GatheringError {
  constructor (readonly limit: number) {
    super(`too many of your must-gather executions are queued (MAX_QUEUED_PER_USER=${limit}); retry when some have started`, 'QUEUE_FULL')
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
