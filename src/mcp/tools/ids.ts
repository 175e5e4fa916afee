import { z } from 'zod'

import { encodeSegment } from '../api-caller.js'

/** An execution: its number, or a custom name (the newest execution with it), as every :id route takes. */
export const executionId = z.union([z.number().int().positive(), z.string().min(1).max(2048).refine((name) => name !== '.' && name !== '..', 'an execution\'s id or custom name, not a path step')])
  .describe('The execution\'s numeric id (as returned by start or list), or its custom name (the newest execution with that name)')

export function idPath (id: number | string): string {
  return encodeSegment(String(id))
}
