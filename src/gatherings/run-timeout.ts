import { parseGoDuration } from '../config/go-duration.js'
import type { GatheringOptions } from './types.js'

/**
 * A run's `--timeout` in milliseconds: the one reading of it, for the kill
 * deadline and the progress shown. `validateRequest` has checked it parses
 * (and normalised a bare number of seconds), so a record's value always does.
 */
export function runTimeoutMs (options: Pick<GatheringOptions, 'timeout'>): number {
  return parseGoDuration(options.timeout) ?? 0
}
