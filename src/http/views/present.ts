import type { Phase } from '../../gatherings/phase.js'
import { runTimeoutMs } from '../../gatherings/run-timeout.js'
import type { Gathering } from '../../gatherings/types.js'
import type { GatheringResponse } from '../../schemas/gathering.js'

export interface LiveState {
  /** The output tail to show. */
  execOutput: string
  /** Bytes of output so far (live while running). */
  outputBytes: number
  /** The runner's phase while running. */
  phase: Phase | undefined
  now: Date
}

/** A gathering in the API's JSON shape (the predecessor's hyphenated field names). */
export function presentGathering (g: Gathering, live: LiveState): GatheringResponse {
  const o = g.options
  const execOutput = live.execOutput
  const end = g.finishedAt !== null ? Date.parse(g.finishedAt) : live.now.getTime()
  return {
    id: g.id,
    'created-at': g.createdAt,
    'updated-at': g.updatedAt,
    'custom-name': g.customName,
    status: g.status,
    image: o.images.join(','),
    'image-stream': o.imageStreams.join(','),
    'node-name': o.nodeName,
    // Always a string: the Forklift UI calls command.toLowerCase() on every entry.
    command: o.command.join(' '),
    'source-dir': o.sourceDir,
    timeout: o.timeout,
    server: o.server,
    'archive-name': g.archiveName,
    'archive-size': g.archiveSize,
    'archive-sha256': g.archiveSha256,
    'exec-output': execOutput,
    'node-selector': o.nodeSelector,
    'host-network': o.hostNetwork,
    'all-images': o.allImages,
    since: o.since,
    'since-time': o.sinceTime,
    'run-namespace': o.runNamespace,
    'volume-percentage': o.volumePercentage,
    keep: o.keep,
    'error-message': g.errorMessage,
    'started-at': g.startedAt,
    'finished-at': g.finishedAt,
    'created-by': g.createdBy,
    redacted: g.redactionCounts !== null,
    'redaction-counts': g.redactionCounts,
    expired: g.expiredAt !== null,
    phase: phaseOf(g, live.phase),
    // Honest hints only: what is known, no invented percentage.
    progress: {
      'elapsed-seconds': g.startedAt === null ? null : Math.max(0, Math.round((end - Date.parse(g.startedAt)) / 1000)),
      'timeout-seconds': Math.round(runTimeoutMs(o) / 1000),
      'output-bytes': live.outputBytes
    }
  }
}

function phaseOf (g: Gathering, live: Phase | undefined): Phase {
  switch (g.status) {
    case 'new': return 'queued'
    case 'completed': return 'done'
    case 'error': return 'failed'
    // Running on another replica: the phase it last recorded.
    default: return live ?? g.phase ?? 'starting'
  }
}
