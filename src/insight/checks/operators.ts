import { conditionOf, conditions, type KObject, list, nameOf, str } from '../k8s.js'
import type { Condition, OperatorProblem } from '../types.js'
import { isRecord } from '../yaml-objects.js'

/** ClusterOperators that are not Available, or Degraded, or Progressing. */
export class OperatorCheck {
  readonly #seen = new Set<string>()
  readonly #problems: OperatorProblem[] = []
  /** Operator lines oc printed ("clusteroperator/x is degraded because ..."), used when no ClusterOperator was gathered. */
  readonly #printed: OperatorProblem[] = []

  accept (object: KObject, source: string): void {
    const name = nameOf(object)
    if (name === null || this.#seen.has(name)) return
    this.#seen.add(name)
    const all = conditions(object)
    const available = conditionOf(all, 'Available')
    const degraded = conditionOf(all, 'Degraded')
    const progressing = conditionOf(all, 'Progressing')
    const problems: string[] = []
    const behind: Condition[] = []
    if (all.length === 0) problems.push('NoConditions')
    if (all.length > 0 && available?.status !== 'True') {
      problems.push('NotAvailable')
      behind.push(available ?? { type: 'Available', status: null, reason: null, message: 'the Available condition is missing', 'last-transition-time': null })
    }
    if (degraded?.status === 'True' || degraded?.status === 'Unknown') { problems.push('Degraded'); behind.push(degraded) }
    if (progressing?.status === 'True' || progressing?.status === 'Unknown') { problems.push('Progressing'); behind.push(progressing) }
    if (problems.length === 0) return
    const versions = list(object, 'status', 'versions').filter(isRecord)
    this.#problems.push({
      name,
      available: available?.status ?? null,
      degraded: degraded?.status ?? null,
      progressing: progressing?.status ?? null,
      problems,
      conditions: behind,
      version: str(versions.find((v) => str(v, 'name') === 'operator') ?? versions[0], 'version'),
      source
    })
  }

  acceptPrinted (line: string, source: string): void {
    const match = /^clusteroperator\/(\S+) (is not available|is degraded|is progressing|has no status conditions)\b[: ]?\s*(.*)$/.exec(line.trim())
    if (match === null) return
    const [, name = '', what = '', rest = ''] = match
    if (this.#printed.some((p) => p.name === name)) return
    const problem = { 'is not available': 'NotAvailable', 'is degraded': 'Degraded', 'is progressing': 'Progressing', 'has no status conditions': 'NoConditions' }[what] ?? what
    const conditionType = { NotAvailable: 'Available', Degraded: 'Degraded', Progressing: 'Progressing' }[problem]
    this.#printed.push({
      name,
      available: problem === 'NotAvailable' ? 'False' : null,
      degraded: problem === 'Degraded' ? 'True' : null,
      progressing: problem === 'Progressing' ? 'True' : null,
      problems: [problem],
      conditions: conditionType === undefined ? [] : [{ type: conditionType, status: problem === 'NotAvailable' ? 'False' : 'True', reason: null, message: rest.replace(/^because /, '') || null, 'last-transition-time': null }],
      version: null,
      source
    })
  }

  get total (): number {
    return this.#seen.size
  }

  get printedOnly (): boolean {
    return this.#seen.size === 0 && this.#printed.length > 0
  }

  problems (): OperatorProblem[] {
    const found = this.#seen.size > 0 ? this.#problems : this.#printed
    return [...found].sort((a, b) => severity(b) - severity(a) || a.name.localeCompare(b.name))
  }
}

function severity (p: OperatorProblem): number {
  return (p.problems.includes('NotAvailable') ? 4 : 0) + (p.problems.includes('Degraded') ? 2 : 0) + (p.problems.includes('Progressing') ? 1 : 0)
}
