import { formatGoDuration } from '../config/go-duration.js'
import type { OcRunOutcome } from './oc-process.js'

/** How a run's failure is worded in `error-message`: people read these, so they say what to do. */

export const CREDENTIALS_LOST = 'the service restarted before this execution could start; callers\' credentials are kept in memory only, ' +
  'so the request must be repeated'

/** A replica's run a restart or a lapsed lease cut short. */
export function interruptedBy (replica: string | undefined): string {
  return replica === undefined ? 'interrupted by service restart' : `interrupted: replica ${replica} stopped`
}

/** A queued execution whose caller's token died with the replica that admitted it. */
export function credentialsLostWith (replica: string): string {
  return `the replica that accepted this execution (${replica === '' ? 'a previous service process' : replica}) stopped before it could start; ` +
    'callers\' credentials are kept in memory only, so the request must be repeated'
}

export const STRAY_CLAIM = 'the database was unreachable just as this execution was to start, and it never ran; repeat the request'

export const SHUTDOWN_CANCELLED = 'cancelled: the service was shutting down'

export interface RunFailureContext {
  ocPath: string
  /** The run's `--timeout`, as requested. */
  timeout: string
  timeoutGraceMs: number
}

/** Why oc's run failed, or undefined when it succeeded. */
export function describeRunFailure (outcome: OcRunOutcome, context: RunFailureContext): string | undefined {
  const detail = outcome.lastErrorLine !== '' ? `: ${outcome.lastErrorLine}` : ''
  if (outcome.spawnError !== undefined) {
    const { code, message } = outcome.spawnError
    const what = code === 'ENOENT' ? 'was not found' : code === 'EACCES' ? 'is not executable' : 'could not be started'
    return `cannot run oc: OC_PATH "${context.ocPath}" ${what} (${message})`
  }
  if (outcome.stoppedBecause === 'aborted') return SHUTDOWN_CANCELLED
  if (outcome.stoppedBecause === 'deadline') {
    return `oc adm must-gather did not finish within its timeout (${context.timeout}) plus TIMEOUT_GRACE ` +
      `(${formatGoDuration(context.timeoutGraceMs)}) and was killed${detail}`
  }
  if (outcome.signal !== null) return `oc adm must-gather was killed by signal ${outcome.signal}${detail}`
  if (outcome.exitCode !== 0) return `oc adm must-gather failed with exit status ${outcome.exitCode}${detail}`
  return undefined
}

/** Several causes in one message, in the order they happened. */
export function joinFailures (...causes: Array<string | undefined>): string {
  return causes.filter((cause) => cause !== undefined && cause !== '').join('; ')
}
