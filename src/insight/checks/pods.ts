import { conditionOf, conditions, field, int, type KObject, list, nameOf, namespaceOf, str } from '../k8s.js'
import type { PodProblem } from '../types.js'
import { isRecord } from '../yaml-objects.js'

const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName', 'ImageInspectError', 'RegistryUnavailable', 'SignatureValidationFailed'])
/** Waiting reasons that are part of a normal start, not a problem by themselves. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing'])

/**
 * Text that may belong to a pod with a problem: a restart, a container not
 * ready, waiting or terminated, a condition not True. Keys may be quoted and
 * values in any case, so the test errs towards parsing.
 */
const UNHEALTHY_MARKERS = /restartCount["']?\s*:\s*["']?[1-9]|\bready["']?\s*:\s*["']?false|\bwaiting["']?\s*:|\bterminated["']?\s*:|\bstatus["']?\s*:\s*["']?(?:false|unknown)\b/i

const RANK: Record<string, number> = { CrashLoopBackOff: 60, ImagePullBackOff: 50, Error: 40, NotRunning: 30, NotReady: 20, Waiting: 15, Restarted: 10 }

/**
 * Pods that are not Running or Succeeded, not ready, in CrashLoopBackOff,
 * ImagePullBackOff or Error, or whose containers restarted: one finding per
 * container with a problem, and one for the pod itself (container null) when
 * the pod's phase or readiness is wrong and no container accounts for it.
 */
export class PodCheck {
  readonly #seen = new Set<string>()
  readonly #problems: PodProblem[] = []

  accept (object: KObject, source: string): void {
    const namespace = namespaceOf(object) ?? namespaceFromPath(source) ?? ''
    const pod = nameOf(object)
    if (pod === null) return
    const key = namespace + '/' + pod
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    if (!isRecord(object.status)) return // not gathered with its status: nothing to judge

    const phase = str(object, 'status', 'phase')
    const succeeded = phase === 'Succeeded'
    const running = phase === 'Running'
    const ready = conditionOf(conditions(object), 'Ready')
    const found: PodProblem[] = []
    const base = { namespace, pod, phase, source }

    const containers = [
      ...list(object, 'status', 'initContainerStatuses').map((s) => ({ s, init: true })),
      ...list(object, 'status', 'containerStatuses').map((s) => ({ s, init: false }))
    ]
    for (const { s, init } of containers) {
      if (!isRecord(s)) continue
      const problems: string[] = []
      let reason: string | null = null
      let message: string | null = null
      const waiting = field(s, 'state', 'waiting')
      const terminated = field(s, 'state', 'terminated')
      if (isRecord(waiting)) {
        const why = str(waiting, 'reason') ?? 'Waiting'
        reason = why
        message = str(waiting, 'message')
        if (why === 'CrashLoopBackOff') problems.push('CrashLoopBackOff')
        else if (IMAGE_PULL.has(why)) problems.push('ImagePullBackOff')
        else if (/Error$/.test(why)) problems.push('Error')
        else if (!STARTING.has(why)) problems.push('Waiting')
      } else if (isRecord(terminated)) {
        const code = int(terminated, 'exitCode')
        const why = str(terminated, 'reason')
        if ((code !== null && code !== 0) || why === 'Error' || why === 'OOMKilled' || why === 'ContainerCannotRun') {
          problems.push('Error')
          reason = why ?? `exit code ${code}`
          message = str(terminated, 'message')
        }
      }
      const containerReady = typeof s.ready === 'boolean' ? s.ready : null
      if (!init && running && containerReady === false) {
        problems.push('NotReady')
        reason ??= ready?.reason ?? 'NotReady'
      }
      const restarts = Math.max(0, int(s, 'restartCount') ?? 0)
      if (restarts > 0) problems.push('Restarted')
      if (problems.length === 0) continue
      const last = field(s, 'lastState', 'terminated')
      const lastTerminated = isRecord(last) ? last : isRecord(terminated) ? terminated : null
      found.push({
        ...base,
        container: str(s, 'name'),
        'init-container': init,
        reason: reason ?? (lastTerminated === null ? null : str(lastTerminated, 'reason')),
        message,
        problems,
        ready: containerReady,
        'restart-count': restarts,
        'last-exit-code': lastTerminated === null ? null : int(lastTerminated, 'exitCode'),
        'last-termination-reason': lastTerminated === null ? null : str(lastTerminated, 'reason')
      })
    }

    const podProblems: string[] = []
    if (phase !== null && !running && !succeeded) podProblems.push('NotRunning')
    if (running && ready !== undefined && ready.status !== 'True' && !found.some((f) => f.problems.includes('NotReady'))) podProblems.push('NotReady')
    if (podProblems.length > 0) {
      found.unshift({
        ...base,
        container: null,
        'init-container': false,
        reason: str(object, 'status', 'reason') ?? (podProblems.includes('NotReady') ? ready?.reason ?? 'NotReady' : phase),
        message: str(object, 'status', 'message') ?? (podProblems.includes('NotReady') ? ready?.message ?? null : null),
        problems: podProblems,
        ready: ready === undefined ? null : ready.status === 'True',
        'restart-count': 0,
        'last-exit-code': null,
        'last-termination-reason': null
      })
    }
    this.#problems.push(...found)
  }

  /**
   * Records a pod that healthyPodKey() found healthy from its text alone (it
   * is not parsed); a second copy of a pod changes nothing, as for parsed pods.
   */
  acceptHealthy (key: string): void {
    this.#seen.add(key)
  }

  get total (): number {
    return this.#seen.size
  }

  problems (limit: number): { problems: PodProblem[]; omitted: number } {
    const sorted = [...this.#problems].sort((a, b) =>
      rank(b) - rank(a) ||
      b['restart-count'] - a['restart-count'] ||
      a.namespace.localeCompare(b.namespace) || a.pod.localeCompare(b.pod) || (a.container ?? '').localeCompare(b.container ?? ''))
    return { problems: sorted.slice(0, limit), omitted: Math.max(0, sorted.length - limit) }
  }
}

/**
 * The `<namespace>/<name>` of a list item whose text alone shows a pod that is
 * Running with nothing PodCheck would report, or undefined: anything less
 * certain is parsed. Most pods of a cluster are healthy, and parsing is most
 * of the cost of a tens-of-MB pods.yaml.
 */
export function healthyPodKey (chunk: string, indent: number): string | undefined {
  if (UNHEALTHY_MARKERS.test(chunk)) return undefined
  const pad = ' '.repeat(indent)
  const statusAt = chunk.search(new RegExp(`^${pad}status:[ \\t]*$`, 'm'))
  if (statusAt === -1) return undefined
  const phase = new RegExp(`^${pad}  phase: ["']?(\\w+)["']?[ \\t]*$`, 'm').exec(chunk.slice(statusAt))?.[1]
  if (phase !== 'Running') return undefined
  const metadataAt = chunk.search(new RegExp(`^${pad}metadata:[ \\t]*$`, 'm'))
  if (metadataAt === -1) return undefined
  // the metadata block: up to the next key at the item's own indentation
  const rest = chunk.slice(metadataAt + 1)
  const end = rest.search(new RegExp(`\\n${pad}\\S`))
  const metadata = end === -1 ? rest : rest.slice(0, end + 1)
  const name = new RegExp(`^${pad}  name: ["']?([^"'\\s]+)["']?[ \\t]*$`, 'm').exec(metadata)?.[1]
  const namespace = new RegExp(`^${pad}  namespace: ["']?([^"'\\s]+)["']?[ \\t]*$`, 'm').exec(metadata)?.[1]
  if (name === undefined || namespace === undefined) return undefined
  return namespace + '/' + name
}

function rank (p: PodProblem): number {
  return Math.max(...p.problems.map((x) => RANK[x] ?? 0))
}

/** The namespace of `.../namespaces/<ns>/...`, for pods written without metadata.namespace. */
export function namespaceFromPath (path: string): string | null {
  const parts = path.split('/')
  const at = parts.lastIndexOf('namespaces')
  return at >= 0 && at + 2 < parts.length ? parts[at + 1] ?? null : null
}
