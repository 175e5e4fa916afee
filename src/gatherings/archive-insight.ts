import { readFile, rename, rm, writeFile } from 'node:fs/promises'

import { ensureIndex } from '../archive/indexer.js'
import { ArchiveReader } from '../archive/reader.js'
import type { PackedWithSummary } from '../archive/pack-and-summarize.js'
import { ArchiveTreeSource } from '../archive/tree-source.js'
import { summarize, type Summary, type TreeSource } from '../insight/index.js'
import type { Logger } from '../logger.js'
import type { ArchiveFile } from './archive.js'
import { PRIVATE_FILE } from './file-modes.js'
import type { GatheringPaths } from './paths.js'

/**
 * What the service knows of an archive without anyone downloading it: its
 * index (random access to every file) and the cluster summary. Neither may
 * fail an execution: a failure is logged and the execution goes on without.
 */
export class ArchiveInsight {
  constructor (private readonly o: { paths: GatheringPaths, logger: Logger }) {}

  /**
   * An archive an image wrote itself is one gzip stream: re-packed into the
   * blocked form (the same files) and indexed. Returns the archive as it now
   * is: its size and sha256 change when it was re-packed.
   */
  async index (id: number, archive: ArchiveFile, signal: AbortSignal): Promise<ArchiveFile> {
    try {
      const outcome = await ensureIndex(this.o.paths.archive(id), { signal })
      return outcome.status === 'repacked' ? outcome.after : archive
    } catch (error) {
      if (signal.aborted) throw error
      this.o.logger.warn({ id, err: error }, 'Indexing the archive failed; its files cannot be browsed.')
      return archive
    }
  }

  /** Keeps the summary the packing thread made of what a run gathered (see PackThread), or logs why there is none. */
  async keepSummary (id: number, packed: Pick<PackedWithSummary, 'summary' | 'summaryError'>, signal: AbortSignal): Promise<void> {
    await this.#write(id, signal, async () => {
      if (packed.summary === undefined) throw new Error(packed.summaryError ?? 'no summary')
      return packed.summary
    })
  }

  /** The summary of an indexed archive (an image's own, or one found at start-up). */
  async summarizeArchive (id: number, signal: AbortSignal): Promise<void> {
    let reader: ArchiveReader | undefined
    try {
      reader = await ArchiveReader.open(this.o.paths.archive(id))
    } catch (error) {
      this.o.logger.warn({ id, err: error }, 'The archive cannot be read for its summary.')
      return
    }
    try {
      await this.#summarize(id, new ArchiveTreeSource(reader), signal)
    } finally {
      await reader.close()
    }
  }

  /** The summary kept for an execution, or undefined when there is none. */
  async summary (id: number): Promise<Summary | undefined> {
    try {
      return JSON.parse(await readFile(this.o.paths.summary(id), 'utf8')) as Summary
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async #summarize (id: number, source: TreeSource, signal: AbortSignal): Promise<void> {
    await this.#write(id, signal, async () => await summarize(source, { signal }))
  }

  /** Makes the summary and keeps it beside the archive; a failure is logged, never thrown. */
  async #write (id: number, signal: AbortSignal, make: () => Promise<Summary>): Promise<void> {
    try {
      const summary = await make()
      const path = this.o.paths.summary(id)
      await writeFile(`${path}.partial`, JSON.stringify(summary), { mode: PRIVATE_FILE })
      await rename(`${path}.partial`, path)
    } catch (error) {
      await rm(`${this.o.paths.summary(id)}.partial`, { force: true })
      if (!signal.aborted) this.o.logger.warn({ id, err: error }, 'Summarizing the gathered files failed; the execution has no summary.')
    }
  }

  /** Forgets an execution's summary (its archive could not be made, so its sources cannot be read). */
  async forget (id: number): Promise<void> {
    await rm(this.o.paths.summary(id), { force: true })
  }
}
