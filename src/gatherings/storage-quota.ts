import { rm, statfs } from 'node:fs/promises'

import { removeIndex } from '../archive/indexer.js'
import type { Logger } from '../logger.js'
import type { GatheringStore } from '../storage/types.js'
import { StorageFullError } from './errors.js'
import type { GatheringPaths } from './paths.js'

export interface StorageQuotaOptions {
  store: GatheringStore
  paths: GatheringPaths
  /** Archives kept at most (MAX_STORAGE); undefined: no limit. */
  maxBytes: number | undefined
  /** Free space the data directory keeps (MIN_FREE_SPACE). */
  minFreeBytes: number
  logger: Logger
  now: () => string
}

/**
 * Keeps the archives within MAX_STORAGE and the disk from filling up: the
 * oldest finished gatherings lose their archive first (the record stays,
 * marked expired, so a UI can say why the data is gone).
 */
export class StorageQuota {
  readonly #o: StorageQuotaOptions

  constructor (options: StorageQuotaOptions) {
    this.#o = options
  }

  /** After an archive was added: expire the oldest others until the total fits. */
  async enforce (keepId: number): Promise<void> {
    const max = this.#o.maxBytes
    if (max === undefined) return
    while (await this.#o.store.archiveBytes() > max) {
      if (!await this.#expireOldest([keepId], 'MAX_STORAGE')) return
    }
  }

  /**
   * Before accepting a new gathering: make sure the disk has MIN_FREE_SPACE,
   * expiring the oldest archives if that helps; throws StorageFullError when
   * even that cannot free room.
   */
  async ensureRoom (): Promise<void> {
    for (;;) {
      const free = await this.freeBytes()
      if (free >= this.#o.minFreeBytes) return
      if (!await this.#expireOldest([], 'MIN_FREE_SPACE')) throw new StorageFullError(free, this.#o.minFreeBytes)
    }
  }

  async freeBytes (): Promise<number> {
    const fs = await statfs(this.#o.paths.root)
    return fs.bavail * fs.bsize
  }

  async #expireOldest (exclude: number[], reason: string): Promise<boolean> {
    const id = await this.#o.store.oldestArchived(exclude)
    if (id === undefined) return false
    // Record first: nobody is offered a file that is about to go (open downloads finish on their handle).
    await this.#o.store.expireArchive(id, this.#o.now(), `deleted to make room (${reason})`)
    await rm(this.#o.paths.archive(id), { force: true })
    // Its index goes with it; the summary stays (it says what was there).
    await removeIndex(this.#o.paths.archive(id))
    this.#o.logger.info({ id, reason }, `Archive expired to stay within ${reason}.`)
    return true
  }
}
