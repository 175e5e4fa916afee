import type { GatherFailure } from '../types.js'

/**
 * Which gather steps failed, according to the logs:
 * - `must-gather.logs` (oc's own lines, `[<pod>] OUT <time> <text>`): a pod
 *   that never finished, did not start, timed out, or whose output was not
 *   downloaded; and the summary oc printed (cluster ID, version, operators);
 * - the gather scripts' logs (`gather.logs`, `gather-debug.log`, ...): lines
 *   that report an error, attributed to the step announced before them
 *   ("Gathering data for ns/x...");
 * - oc's `timestamp` with a start line and no end line: oc was interrupted.
 */

const OC_LINE = /^\[([^\]]+?)\s*\]\s+OUT\s+(\S+)\s(.*)$/
/**
 * What an oc line whose message may report a failure starts with: a looser OC_LINE whose message starts like one
 * of the messages acceptOcLog looks for. Tried at a line's start (sticky), on the whole text.
 */
const FAILURE_CANDIDATE = /\[[^\]\n]*\]\s+OUT\s+\S+\s(?:gather |Wrote |[Ee][Rr][Rr][Oo][Rr])/y
const TIMESTAMP_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})\s+/
const STEP = /^(?:INFO:?\s*|\[[\w .-]+\]\s*)?(?:Gathering|Collecting|Running|Starting|Dumping|Getting|Fetching|Inspecting)\b/i
const FAILURE = [
  /\berror\b\s*[:!]/i,
  /\bError from server\b/,
  /\bERROR\b/,
  /\bfail(?:ed|ure)\b/i,
  /\btimed out\b|\bdeadline exceeded\b/i,
  /\bexit (?:status|code):? *[1-9]\d*/i,
  /\bpanic:/,
  /\bcommand not found\b/,
  /\bpermission denied\b/i,
  /\bforbidden\b/i,
  /\bOOMKilled\b/
]
/** Lines that mention a failure word without reporting one. */
const NOT_FAILURE = /\b(?:no|0|zero) (?:errors?|failures?|failed)\b|\bfailurePolicy\b|\berrors?=0\b/i

export interface PrintedSummary {
  clusterId: string | null
  /** The version the cluster runs ("Stable at", or the "from" of "Updating to ... from ..."). */
  clusterVersion: string | null
  /** The version it is going to ("Updating to" / "Installing"). */
  desiredVersion: string | null
  /** Lines under "ClusterOperators:" other than "All healthy and stable". */
  operatorLines: string[]
}

export class GatherLogCheck {
  readonly failures: GatherFailure[] = []
  readonly logs: string[] = []
  printed: PrintedSummary | null = null
  printedSource: string | null = null

  /** oc's must-gather.logs. */
  acceptOcLog (text: string, source: string): void {
    this.logs.push(source)
    const printed: PrintedSummary = { clusterId: null, clusterVersion: null, desiredVersion: null, operatorLines: [] }
    let inOperators = false
    let lineNumber = 0
    for (let from = 0; from < text.length;) {
      let to = text.indexOf('\n', from)
      if (to === -1) to = text.length
      lineNumber++
      const start = from
      from = to + 1
      // Most lines (a large cluster's log is MBs of them) say nothing here: they are passed over without being cut out.
      if (!inOperators && !mayMatter(text, start)) continue
      const line = text.slice(start, to).replace(/\r$/, '')
      if (inOperators) {
        if (/^\s/.test(line) && line.trim() !== '') {
          const item = line.trim()
          if (item !== 'All healthy and stable') printed.operatorLines.push(item)
          continue
        }
        inOperators = false
      }
      if (line.startsWith('ClusterID: ')) { printed.clusterId ??= line.slice('ClusterID: '.length).trim() || null; continue }
      if (line.startsWith('ClusterVersion: ')) {
        const stable = /^ClusterVersion: Stable at "([^"]+)"/.exec(line)
        const updating = /^ClusterVersion: Updating to "([^"]*)" from "([^"]*)"/.exec(line)
        const installing = /^ClusterVersion: Installing "([^"]*)"/.exec(line)
        printed.clusterVersion ??= stable?.[1] ?? (updating?.[2] || null)
        printed.desiredVersion ??= (updating?.[1] || installing?.[1]) ?? null
        continue
      }
      if (line.startsWith('ClusterOperators:')) { inOperators = printed.operatorLines.length === 0; continue }
      const oc = OC_LINE.exec(line)
      if (oc === null) continue
      const [, prefix = '', , message = ''] = oc
      const pod = prefix.trim()
      let kind: string | null = null
      if (/^gather never finished\b/.test(message)) kind = /timed out/.test(message) ? 'pod-timeout' : 'pod-failed'
      else if (/^gather did not start\b/.test(message)) kind = 'pod-failed'
      else if (/^gather output not downloaded\b/.test(message)) kind = 'download-failed'
      else if (/^Wrote inspect data to /.test(message) && pod === 'must-gather') kind = 'fallback-inspect'
      else if (/^error\b/i.test(message)) kind = 'error-line'
      if (kind === null) continue
      if (kind === 'fallback-inspect' && this.failures.some((f) => f.kind === 'fallback-inspect' && f.source === source)) continue
      this.failures.push({ step: pod === 'must-gather' ? null : pod, kind, message: clip(message), line: lineNumber, source })
    }
    if (this.printed === null || this.printed.clusterId === null) {
      this.printed = printed
      this.printedSource = source
    }
  }

  /** A gather script's log (gather.logs, gather-debug.log, ...). */
  acceptScriptLog (text: string, source: string): void {
    this.logs.push(source)
    let step: string | null = null
    let lineNumber = 0
    for (const raw of lines(text)) {
      lineNumber++
      const line = raw.replace(TIMESTAMP_PREFIX, '').trim()
      if (line === '') continue
      if (STEP.test(line) && !FAILURE.some((f) => f.test(line))) {
        step = clip(line.replace(/\.{3}$/, ''), 200)
        continue
      }
      if (NOT_FAILURE.test(line) || !FAILURE.some((f) => f.test(line))) continue
      this.failures.push({ step, kind: 'error-line', message: clip(line), line: lineNumber, source })
    }
  }

  /** oc writes one line when it starts and one when it is done. */
  acceptTimestamp (text: string, source: string): void {
    const count = text.split('\n').filter((l) => l.trim() !== '').length
    if (count % 2 === 1) {
      this.failures.push({ step: null, kind: 'interrupted', message: 'oc recorded a start time but no end time: the gather was interrupted before it finished', line: count, source })
    }
  }

  acceptInspectDir (dir: string, source: string): void {
    if (this.failures.some((f) => f.kind === 'fallback-inspect')) return
    this.failures.push({ step: null, kind: 'fallback-inspect', message: `the gather failed and oc fell back to \`oc adm inspect\` (${dir})`, line: null, source })
  }
}

/**
 * Whether the line of must-gather.logs starting at `start` can tell acceptOcLog anything: the summary oc printed
 * ("ClusterID: ", "ClusterVersion: ", "ClusterOperators:"), or an oc line whose message may report a failure.
 * A quick test, for every line; what it lets through is read properly.
 */
export function mayMatter (text: string, start: number): boolean {
  const first = text.charCodeAt(start)
  if (first === 0x43) return true // C
  if (first !== 0x5b) return false // [
  FAILURE_CANDIDATE.lastIndex = start
  return FAILURE_CANDIDATE.test(text)
}

function * lines (text: string): Generator<string> {
  let from = 0
  while (from < text.length) {
    let to = text.indexOf('\n', from)
    if (to === -1) to = text.length
    yield text.slice(from, to).replace(/\r$/, '')
    from = to + 1
  }
}

function clip (text: string, max = 1000): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text
}
