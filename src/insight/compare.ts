import type { Comparison, SectionName, Summary } from './types.js'

/**
 * What changed from `earlier` to `later` (two summaries of the same cluster,
 * usually). Pods are matched by namespace, name and container, so a pod that
 * was replaced under a new name shows as one that stopped and one that started.
 */
export function compare (earlier: Summary, later: Summary): Comparison {
  const notComparable = new Set<string>()
  const usable = (section: SectionName) => {
    const ok = (s: Summary) => ['read', 'partial'].includes(s.coverage.sections[section]?.status ?? 'missing')
    if (!ok(earlier) || !ok(later)) notComparable.add(section)
    return ok(earlier) && ok(later)
  }

  // operators
  const opsBefore = new Map(earlier['cluster-operators'].problems.map((p) => [p.name, p]))
  const opsAfter = new Map(later['cluster-operators'].problems.map((p) => [p.name, p]))
  const becameUnhealthy: Comparison['operators']['became-unhealthy'] = []
  const recoveredOps: Comparison['operators']['recovered'] = []
  if (usable('cluster-operators') || (earlier['cluster-operators'].problems.length + later['cluster-operators'].problems.length > 0)) {
    for (const [name, after] of opsAfter) {
      const before = opsBefore.get(name)?.problems ?? []
      const serious = after.problems.filter((p) => p !== 'Progressing')
      if (serious.some((p) => !before.includes(p))) {
        becameUnhealthy.push({ name, problems: after.problems, 'earlier-problems': before, source: after.source })
      }
    }
    for (const [name, before] of opsBefore) {
      const after = opsAfter.get(name)
      const stillSerious = (after?.problems ?? []).filter((p) => p !== 'Progressing')
      const wasSerious = before.problems.filter((p) => p !== 'Progressing')
      if (wasSerious.length > 0 && stillSerious.length === 0 && later['cluster-operators'].total > 0) {
        recoveredOps.push({ name, 'earlier-problems': before.problems, source: after?.source ?? null })
      }
    }
  }

  // nodes
  const nodesBefore = new Map(earlier.nodes.problems.map((n) => [n.name, n]))
  const nodesAfter = new Map(later.nodes.problems.map((n) => [n.name, n]))
  const becameNotReady: Comparison['nodes']['became-not-ready'] = []
  const newPressure: Comparison['nodes']['new-pressure'] = []
  const recoveredNodes: Comparison['nodes']['recovered'] = []
  if (usable('nodes')) {
    for (const [name, after] of nodesAfter) {
      const before = nodesBefore.get(name)?.problems ?? []
      if (after.problems.includes('NotReady') && !before.includes('NotReady')) becameNotReady.push({ name, problems: after.problems, source: after.source })
      const pressures = after.problems.filter((p) => p !== 'NotReady' && !before.includes(p))
      if (pressures.length > 0) newPressure.push({ name, problems: pressures, source: after.source })
    }
    for (const [name, before] of nodesBefore) {
      if (!nodesAfter.has(name)) recoveredNodes.push({ name, 'earlier-problems': before.problems, source: null })
    }
  }

  // pods
  const podKey = (p: { namespace: string, pod: string, container: string | null }) => `${p.namespace}/${p.pod}/${p.container ?? ''}`
  const podsBefore = new Map(earlier.pods.problems.map((p) => [podKey(p), p]))
  const podsAfter = new Map(later.pods.problems.map((p) => [podKey(p), p]))
  const started: Comparison['pods']['started-crash-looping'] = []
  const stopped: Comparison['pods']['stopped-crash-looping'] = []
  const newProblems: Comparison['pods']['new-problems'] = []
  if (usable('pods')) {
    for (const [key, after] of podsAfter) {
      const before = podsBefore.get(key)
      if (after.problems.includes('CrashLoopBackOff') && !(before?.problems.includes('CrashLoopBackOff') ?? false)) {
        started.push({ namespace: after.namespace, pod: after.pod, container: after.container, 'restart-count': after['restart-count'], source: after.source })
      }
      const added = after.problems.filter((p) => p !== 'Restarted' && !(before?.problems.includes(p) ?? false))
      const restartedMore = after.problems.includes('Restarted') && after['restart-count'] > (before?.['restart-count'] ?? 0)
      if (added.length > 0 || (restartedMore && before === undefined)) {
        newProblems.push({ namespace: after.namespace, pod: after.pod, container: after.container, problems: after.problems, source: after.source })
      }
    }
    for (const [key, before] of podsBefore) {
      if (!before.problems.includes('CrashLoopBackOff')) continue
      const after = podsAfter.get(key)
      if (after?.problems.includes('CrashLoopBackOff') === true) continue
      stopped.push({ namespace: before.namespace, pod: before.pod, container: before.container, 'still-present': after !== undefined, source: after?.source ?? null })
    }
  }

  // warning reasons
  const reasonsBefore = new Map(earlier['warning-events'].reasons.map((r) => [r.reason, r.count]))
  const reasonsAfter = new Map(later['warning-events'].reasons.map((r) => [r.reason, r.count]))
  const newReasons: Comparison['warning-reasons']['new'] = []
  const goneReasons: Comparison['warning-reasons']['gone'] = []
  const increased: Comparison['warning-reasons']['increased'] = []
  if (usable('events')) {
    for (const [reason, count] of reasonsAfter) {
      const before = reasonsBefore.get(reason)
      if (before === undefined) newReasons.push({ reason, count })
      else if (count > before) increased.push({ reason, 'earlier-count': before, count })
    }
    for (const [reason, count] of reasonsBefore) {
      if (!reasonsAfter.has(reason)) goneReasons.push({ reason, 'earlier-count': count })
    }
  }

  // persistent volume claims
  const pvcKey = (p: { namespace: string, name: string }) => `${p.namespace}/${p.name}`
  const pvcsBefore = new Set(earlier['persistent-volume-claims'].pending.map(pvcKey))
  const pvcsAfter = new Set(later['persistent-volume-claims'].pending.map(pvcKey))
  const becamePending: Comparison['persistent-volume-claims']['became-pending'] = []
  const bound: Comparison['persistent-volume-claims']['bound'] = []
  if (usable('persistent-volume-claims')) {
    for (const p of later['persistent-volume-claims'].pending) if (!pvcsBefore.has(pvcKey(p))) becamePending.push({ namespace: p.namespace, name: p.name, source: p.source })
    for (const p of earlier['persistent-volume-claims'].pending) if (!pvcsAfter.has(pvcKey(p))) bound.push({ namespace: p.namespace, name: p.name })
  }

  const v1 = earlier.cluster.version
  const v2 = later.cluster.version
  const byCount = <T extends { count: number }>(list: T[]) => list.sort((a, b) => b.count - a.count)
  return {
    version: v1 !== v2 ? { earlier: v1, later: v2 } : null,
    'cluster-id-changed': earlier.cluster.id !== null && later.cluster.id !== null && earlier.cluster.id !== later.cluster.id,
    operators: { 'became-unhealthy': becameUnhealthy, recovered: recoveredOps },
    nodes: { 'became-not-ready': becameNotReady, 'new-pressure': newPressure, recovered: recoveredNodes },
    pods: { 'started-crash-looping': started, 'stopped-crash-looping': stopped, 'new-problems': newProblems },
    'warning-reasons': { new: byCount(newReasons), gone: goneReasons.sort((a, b) => b['earlier-count'] - a['earlier-count']), increased: byCount(increased) },
    'persistent-volume-claims': { 'became-pending': becamePending, bound },
    'not-comparable': [...notComparable].sort()
  }
}
