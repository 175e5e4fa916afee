import { join, resolve } from 'node:path'

/**
 * The one mapping from a gathering to its files. Only the numeric id, which the
 * database assigns, ever becomes part of a path: no request value does.
 *
 *   <dataDir>/<id>/output.log                   everything oc printed
 *   <dataDir>/<id>/must-gather.local.<id>/      oc's --dest-dir
 *   <dataDir>/<id>/archive.tar.gz               the archive served by /data
 *   <dataDir>/<id>/archive.tar.gz.partial       while it is being written
 *   <dataDir>/<id>/archive.tar.gz.idx           its index (src/archive), and .idx.nested/
 *   <dataDir>/<id>/summary.json                 the cluster summary (src/insight)
 */
export class GatheringPaths {
  readonly root: string

  constructor (dataDir: string) {
    this.root = resolve(dataDir)
  }

  dir (id: number): string {
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`invalid gathering id ${id}`)
    return join(this.root, String(id))
  }

  /** The destination's own name: the top directory of a packed archive. */
  destinationName (id: number): string {
    return `must-gather.local.${id}`
  }

  destination (id: number): string {
    return join(this.dir(id), this.destinationName(id))
  }

  output (id: number): string {
    return join(this.dir(id), 'output.log')
  }

  archive (id: number): string {
    return join(this.dir(id), 'archive.tar.gz')
  }

  summary (id: number): string {
    return join(this.dir(id), 'summary.json')
  }

  partialArchive (id: number): string {
    return `${this.archive(id)}.partial`
  }

  /** The id a directory name under the data dir belongs to, if it is one of ours. */
  idOf (name: string): number | undefined {
    return /^[1-9]\d{0,15}$/.test(name) ? Number(name) : undefined
  }
}

/** `must-gather-<custom name or id>.tar.gz`, with the custom name made safe for a file name. */
export function archiveFileName (id: number, customName: string): string {
  const safe = customName.normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 120)
  return `must-gather-${safe === '' ? String(id) : safe}.tar.gz`
}
