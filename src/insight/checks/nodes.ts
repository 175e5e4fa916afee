import { conditionOf, conditions, type KObject, nameOf, str } from '../k8s.js'
import type { NodeProblem } from '../types.js'
import { isRecord } from '../yaml-objects.js'

const PRESSURES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']

/** Nodes that are not Ready or report pressure. */
export class NodeCheck {
  readonly #seen = new Set<string>()
  readonly #problems: NodeProblem[] = []
  /** First providerID seen, for the platform when Infrastructure was not gathered. */
  provider: { id: string; source: string } | null = null

  accept (object: KObject, source: string): void {
    const name = nameOf(object)
    if (name === null || this.#seen.has(name)) return
    this.#seen.add(name)
    const providerId = str(object, 'spec', 'providerID')
    if (providerId !== null && this.provider === null) this.provider = { id: providerId, source }
    const all = conditions(object)
    const ready = conditionOf(all, 'Ready')
    const problems: string[] = []
    const behind = []
    if (ready?.status !== 'True') {
      problems.push('NotReady')
      behind.push(ready ?? { type: 'Ready', status: null, reason: null, message: 'the Ready condition is missing', 'last-transition-time': null })
    }
    for (const type of PRESSURES) {
      const c = conditionOf(all, type)
      if (c?.status === 'True') { problems.push(type); behind.push(c) }
    }
    if (problems.length === 0) return
    const labels = object.metadata !== undefined && isRecord(object.metadata) && isRecord(object.metadata.labels) ? object.metadata.labels : {}
    this.#problems.push({
      name,
      ready: ready?.status ?? null,
      problems,
      conditions: behind,
      unschedulable: object.spec !== undefined && isRecord(object.spec) && object.spec.unschedulable === true,
      roles: Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).sort(),
      source
    })
  }

  get total (): number {
    return this.#seen.size
  }

  problems (): NodeProblem[] {
    return [...this.#problems].sort((a, b) => Number(b.problems.includes('NotReady')) - Number(a.problems.includes('NotReady')) || a.name.localeCompare(b.name))
  }
}
