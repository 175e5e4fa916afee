import { field, int, type KObject, nameOf, namespaceOf, str } from '../k8s.js'
import type { EventGroup, WarningReason } from '../types.js'
import { namespaceFromPath } from './pods.js'

/**
 * Reasons that are warnings by their nature, for events written without a
 * `type` (old or hand-made dumps). Anything else untyped counts as normal.
 */
const WARNING_REASONS = new Set([
  'BackOff', 'Failed', 'FailedScheduling', 'FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox', 'FailedKillPod',
  'FailedSync', 'FailedCreate', 'FailedDelete', 'Unhealthy', 'ProbeError', 'NodeNotReady', 'NetworkNotReady', 'Evicted',
  'OOMKilling', 'SystemOOM', 'ErrImageNeverPull', 'InspectFailed', 'FailedPreStopHook', 'FailedPostStartHook',
  'ExceededGracePeriod', 'ProvisioningFailed', 'FailedBinding', 'EvictionThresholdMet', 'ContainerGCFailed',
  'ImageGCFailed', 'FreeDiskSpaceFailed', 'InvalidDiskCapacity', 'FailedToUpdateEndpoint', 'FailedToCreateEndpoint',
  'NodeSysctlChange', 'Rebooted', 'KubeletSetupFailed', 'FailedNodeAllocatableEnforcement', 'FailedValidation'
])
const WARNING_PATTERN = /^(?:Failed|Error|Invalid)|(?:Failed|Failure|Error|BackOff|Unhealthy)$/

export function isWarningReason (reason: string): boolean {
  return WARNING_REASONS.has(reason) || WARNING_PATTERN.test(reason)
}

interface Group extends EventGroup { lastSeenSort: string }

/** Warning events grouped by reason and involved object. */
export class EventCheck {
  readonly #seen = new Set<string>()
  readonly #groups = new Map<string, Group>()
  events = 0
  occurrences = 0
  untyped = 0

  accept (object: KObject, source: string): void {
    const namespace = namespaceOf(object) ?? namespaceFromPath(source)
    const name = nameOf(object)
    if (name !== null) {
      const key = (namespace ?? '') + '/' + name
      if (this.#seen.has(key)) return
      this.#seen.add(key)
    }
    const type = str(object, 'type')
    const reason = str(object, 'reason') ?? '(no reason)'
    let inferred = false
    if (type === null || type.trim() === '') {
      this.untyped++
      if (!isWarningReason(reason)) return
      inferred = true
    } else if (type.toLowerCase() !== 'warning') {
      return
    }
    const involved = field(object, 'involvedObject') ?? field(object, 'regarding')
    const count = Math.max(1, int(object, 'count') ?? int(object, 'deprecatedCount') ?? int(object, 'series', 'count') ?? 1)
    const objectKind = str(involved, 'kind')
    const objectName = str(involved, 'name')
    const objectNamespace = str(involved, 'namespace') ?? namespace
    const lastSeen = str(object, 'lastTimestamp') ?? str(object, 'series', 'lastObservedTime') ?? str(object, 'eventTime') ?? str(object, 'deprecatedLastTimestamp') ?? str(object, 'metadata', 'creationTimestamp')
    const message = str(object, 'message') ?? str(object, 'note')
    this.events++
    this.occurrences += count
    const key = [reason, objectNamespace, objectKind, objectName].join('\0')
    let group = this.#groups.get(key)
    if (group === undefined) {
      group = {
        reason,
        namespace: objectNamespace,
        'object-kind': objectKind,
        'object-name': objectName,
        count: 0,
        events: 0,
        'last-message': message,
        'last-seen': lastSeen,
        'type-inferred': 0,
        source,
        lastSeenSort: lastSeen ?? ''
      }
      this.#groups.set(key, group)
    }
    group.count += count
    group.events++
    if (inferred) group['type-inferred']++
    if ((lastSeen ?? '') >= group.lastSeenSort) {
      group.lastSeenSort = lastSeen ?? ''
      group['last-seen'] = lastSeen ?? group['last-seen']
      group['last-message'] = message ?? group['last-message']
    }
  }

  groups (top: number): { groups: EventGroup[]; omitted: number } {
    const sorted = [...this.#groups.values()].sort((a, b) => b.count - a.count || b.events - a.events || a.reason.localeCompare(b.reason) || (a['object-name'] ?? '').localeCompare(b['object-name'] ?? ''))
    return {
      groups: sorted.slice(0, top).map(({ lastSeenSort: _, ...group }) => group),
      omitted: Math.max(0, sorted.length - top)
    }
  }

  /** Every warning reason with its totals (at most `limit`, the most frequent first). */
  reasons (limit = 500): WarningReason[] {
    const byReason = new Map<string, WarningReason>()
    for (const group of this.#groups.values()) {
      const r = byReason.get(group.reason) ?? { reason: group.reason, count: 0, events: 0, objects: 0 }
      r.count += group.count
      r.events += group.events
      r.objects++
      byReason.set(group.reason, r)
    }
    return [...byReason.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)).slice(0, limit)
  }
}

/**
 * True for a list item that is an Event of type Normal, judged from its text
 * before parsing: most events are normal and are not needed.
 */
export function isNormalEventText (chunk: string, indent: number): boolean {
  return new RegExp(`^ {${indent}}type: ["']?Normal["']?[ \\t]*$`, 'm').test(chunk)
}
