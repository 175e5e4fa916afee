import { defaultRedactionPlan, loadRedactionConfig, type RedactionPlan } from '../redaction/index.js'
import { ConfigError } from './parse.js'
import type { AccessRule } from './security.js'

/** Redaction of archives at gather time (README "Redaction"). */
export interface RedactionConfig {
  /**
   * `REDACTION`: `off` (never), `optional` (a request asks with `"redact": true`),
   * `required` (every archive; the raw one is never packed) (default: optional).
   */
  redactionMode: 'off' | 'optional' | 'required'
  /** `REDACTION_CONFIG`: a must-gather-clean configuration file (YAML or JSON), checked at start-up; unset: the default rules. */
  redactionPlan: RedactionPlan
  /** `REDACTION_BINARY_FILES`: `omit` removes binary files from a redacted archive, `keep` leaves them as they are (default: omit). */
  redactionBinaryFiles: 'omit' | 'keep'
  /** `REDACTION_REPORT`: `served` to callers the report rule allows, `off`: never served (default: served). */
  redactionReportServed: boolean
  /**
   * `REDACTION_REPORT_AUTHZ_VERB`, `_GROUP`, `_RESOURCE`, `_NAMESPACE`: who may read a report
   * (original → replacement is as sensitive as the raw archive) (default: `*` on `*`, cluster-admins).
   */
  redactionReportRule: AccessRule
}

export function loadRedactionSettings (read: (name: string) => string | undefined): RedactionConfig {
  const path = read('REDACTION_CONFIG')
  return {
    redactionMode: oneOf('REDACTION', read('REDACTION') ?? 'optional', ['off', 'optional', 'required'] as const),
    redactionPlan: path === undefined ? defaultRedactionPlan() : loadRedactionConfig(path),
    redactionBinaryFiles: oneOf('REDACTION_BINARY_FILES', read('REDACTION_BINARY_FILES') ?? 'omit', ['omit', 'keep'] as const),
    redactionReportServed: oneOf('REDACTION_REPORT', read('REDACTION_REPORT') ?? 'served', ['served', 'off'] as const) === 'served',
    redactionReportRule: {
      verb: read('REDACTION_REPORT_AUTHZ_VERB') ?? '*',
      group: read('REDACTION_REPORT_AUTHZ_GROUP') ?? '*',
      resource: read('REDACTION_REPORT_AUTHZ_RESOURCE') ?? '*',
      subresource: '',
      name: '',
      namespace: read('REDACTION_REPORT_AUTHZ_NAMESPACE') ?? ''
    }
  }
}

function oneOf<T extends string> (variable: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(variable, `"${value}" must be one of ${allowed.join(', ')}`)
  return value as T
}
