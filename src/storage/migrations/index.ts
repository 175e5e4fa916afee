import { gatherings } from './001-gatherings.js'
import { createdBy } from './002-created-by.js'
import { expiredAt } from './003-expired-at.js'
import { expiredReason } from './004-expired-reason.js'
import { updatedAtIndex } from './005-updated-at-index.js'
import { outputTails } from './006-output-tails.js'
import { storeChanges } from './007-store-changes.js'
import { redaction } from './008-redaction.js'
import { replicas } from './009-replicas.js'
import type { Migration } from './types.js'

/** Every step of the schema, in the order applied. */
export const MIGRATIONS: readonly Migration[] = [
  gatherings,
  createdBy,
  expiredAt,
  expiredReason,
  updatedAtIndex,
  outputTails,
  storeChanges,
  redaction,
  replicas
]

export type { Migration } from './types.js'
