import type { Gathering } from '../gatherings/types.js'
import type { GatheringResponse } from '../schemas/gathering.js'

/** A gathering in the API's JSON shape (the predecessor's hyphenated field names). */
export function presentGathering (g: Gathering, execOutput: string): GatheringResponse {
  const o = g.options
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
    'created-by': g.createdBy
  }
}
