import type { Condition } from './types.js'
import { isRecord } from './yaml-objects.js'

/**
 * Forgiving accessors for parsed Kubernetes objects: gathered files come from
 * many versions and tools, so every field may be missing or of another type.
 */

export type KObject = Record<string, unknown>

export function field (value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (!isRecord(current)) return undefined
    current = current[key]
  }
  return current
}

/** A string field; numbers and booleans are given as text (YAML may have typed them). */
export function str (value: unknown, ...path: string[]): string | null {
  const v = field(value, ...path)
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return null
}

export function int (value: unknown, ...path: string[]): number | null {
  const v = field(value, ...path)
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim())
  return null
}

export function list (value: unknown, ...path: string[]): unknown[] {
  const v = field(value, ...path)
  return Array.isArray(v) ? v : []
}

export function kindOf (object: unknown): string | null {
  return str(object, 'kind')
}

export function nameOf (object: unknown): string | null {
  return str(object, 'metadata', 'name')
}

export function namespaceOf (object: unknown): string | null {
  return str(object, 'metadata', 'namespace')
}

/** A condition status normalised to "True" / "False" / "Unknown" (YAML 1.1 writers may leave bare booleans). */
export function conditionStatus (value: unknown): string | null {
  const v = field(value, 'status')
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v !== 'string') return null
  const lower = v.trim().toLowerCase()
  if (lower === 'true') return 'True'
  if (lower === 'false') return 'False'
  if (lower === 'unknown') return 'Unknown'
  return v
}

export function conditions (object: unknown): Condition[] {
  return list(object, 'status', 'conditions').filter(isRecord).map((c) => ({
    type: str(c, 'type') ?? '',
    status: conditionStatus(c),
    reason: str(c, 'reason'),
    message: str(c, 'message'),
    'last-transition-time': str(c, 'lastTransitionTime')
  })).filter((c) => c.type !== '')
}

export function conditionOf (all: Condition[], type: string): Condition | undefined {
  return all.find((c) => c.type === type)
}
