/**
 * Where a run is, read off `oc`'s own output lines (see the reference):
 * namespace created → pod created → gathering → downloading → cleaning up,
 * then the service's packing and the end. Only ever moves forward.
 */
export type Phase =
  | 'queued' | 'starting' | 'namespace-created' | 'pod-created' | 'gathering'
  | 'downloading' | 'cleaning-up' | 'packing' | 'done' | 'failed'

export const PHASES: readonly Phase[] = [
  'queued', 'starting', 'namespace-created', 'pod-created', 'gathering',
  'downloading', 'cleaning-up', 'packing', 'done', 'failed'
]

/** Markers in oc's stdout and the phase each one starts. */
const MARKERS: Array<[RegExp, Phase]> = [
  [/namespace\/\S+ created/, 'namespace-created'],
  [/pod for plug-in image .* created/, 'pod-created'],
  [/\] POD |waiting for gather to complete/, 'gathering'],
  [/downloading gather output|receiving incremental file list/, 'downloading'],
  [/namespace\/\S+ deleted/, 'cleaning-up']
]

const CARRY = 512

/** Scans output chunks as they arrive; O(size) and constant memory. */
export class PhaseTracker {
  #phase: Phase = 'starting'
  #carry = ''

  get phase (): Phase {
    return this.#phase
  }

  /** Set by the service for steps oc does not print (packing). */
  enter (phase: Phase): void {
    if (PHASES.indexOf(phase) > PHASES.indexOf(this.#phase)) this.#phase = phase
  }

  push (chunk: Buffer): void {
    if (this.#phase === 'cleaning-up') return // nothing oc prints moves it further
    // A marker may straddle two chunks: keep the end of the previous one.
    const text = this.#carry + chunk.toString('latin1')
    this.#carry = text.slice(-CARRY)
    for (let i = MARKERS.length - 1; i >= 0; i--) {
      const [pattern, phase] = MARKERS[i] as [RegExp, Phase]
      if (PHASES.indexOf(phase) > PHASES.indexOf(this.#phase) && pattern.test(text)) {
        this.#phase = phase
        return
      }
    }
  }
}
