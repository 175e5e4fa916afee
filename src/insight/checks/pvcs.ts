import { type KObject, nameOf, namespaceOf, str } from '../k8s.js'
import type { PvcProblem } from '../types.js'
import { namespaceFromPath } from './pods.js'

/** PersistentVolumeClaims that are not Bound (Pending, or Lost). */
export class PvcCheck {
  readonly #seen = new Set<string>()
  readonly #pending: PvcProblem[] = []

  accept (object: KObject, source: string): void {
    const namespace = namespaceOf(object) ?? namespaceFromPath(source) ?? ''
    const name = nameOf(object)
    if (name === null) return
    const key = namespace + '/' + name
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    const phase = str(object, 'status', 'phase')
    if (phase !== 'Pending' && phase !== 'Lost') return
    this.#pending.push({
      namespace,
      name,
      phase,
      'storage-class': str(object, 'spec', 'storageClassName'),
      requested: str(object, 'spec', 'resources', 'requests', 'storage'),
      'volume-name': str(object, 'spec', 'volumeName'),
      source
    })
  }

  get total (): number {
    return this.#seen.size
  }

  pending (): PvcProblem[] {
    return [...this.#pending].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
  }
}
