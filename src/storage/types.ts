import type { Gathering, GatheringOptions, GatheringResult, GatheringStatus, ListedGathering } from '../gatherings/types.js'

export interface ListFilter {
  status?: GatheringStatus
  customName?: string
  /** Only gatherings this user created. */
  createdBy?: string
  limit?: number
  offset?: number
  /** Only gatherings with a smaller id (keyset paging: a long list is read a slice at a time). */
  beforeId?: number
}

/** What narrows a list (without paging). */
export type ListScope = Pick<ListFilter, 'status' | 'customName' | 'createdBy'>

/** A list entry before it is read: enough to tell whether an earlier rendering of it still holds. */
export interface ListKey {
  id: number
  revision: number
  status: GatheringStatus
}

export interface NewGathering {
  customName: string
  /** The caller's username; never a token. */
  createdBy: string
  options: GatheringOptions
  createdAt: string
}

/** The process a run started, so a later service process can find it again. */
export interface RunProcess {
  pid: number
  /** Kernel start time of the process (/proc/<pid>/stat field 22): tells a reused pid apart. */
  startTicks: string
}

/**
 * Where gathering records live. Synchronous on purpose: better-sqlite3 is, and
 * queue admission relies on "count queued, then insert" happening without
 * another request in between, which a synchronous store gives for free on
 * the event loop.
 */
export interface GatheringStore {
  /** Insert a queued (`new`) gathering and return it with its id. */
  insert (gathering: NewGathering): Gathering
  /** The record without its output tail (cheap: what most reads need). */
  get (id: number): Gathering | undefined
  /** The last `limit` characters of the output tail kept with the record. */
  outputTail (id: number, limit: number): string
  /** The newest gathering with this custom name (created by `createdBy`, when given). */
  findByCustomName (customName: string, createdBy?: string): Gathering | undefined
  /** Which gatherings a list shows, newest first: their keys only, read from the records' indexes and heads. */
  listKeys (filter: ListFilter): ListKey[]
  /** These gatherings (those that exist), newest first, each with the last `outputLimit` characters of its output. */
  getMany (ids: number[], outputLimit: number): ListedGathering[]
  /**
   * Changes whenever any record changes, in any way a list could show, and
   * differs between processes: cheap enough to ask on every poll.
   */
  listVersion (): string
  countByStatus (status: GatheringStatus): number
  /** Ids with this status, oldest first. */
  idsByStatus (status: GatheringStatus): number[]
  /** Finished gatherings last updated before `cutoff` (ISO time). */
  finishedBefore (cutoff: string): number[]
  /** `new` → `inprogress`. Returns false if the gathering is gone or not `new`. */
  markStarted (id: number, at: string): boolean
  recordProcess (id: number, process: RunProcess | null): void
  runProcess (id: number): RunProcess | null
  updateOutput (id: number, tail: string, size: number, at: string): void
  /** Terminal state, written once. */
  finish (id: number, result: GatheringResult, at: string): void
  /** Returns false if there was no such gathering. */
  delete (id: number): boolean
  /** The finished gathering with an archive that finished first, leaving out `exclude`. */
  oldestArchived (exclude: number[]): number | undefined
  /**
   * Forget the archive (its file is being deleted, or is gone) and mark the
   * record expired, saying why. False when it had no archive (any more).
   */
  expireArchive (id: number, at: string, reason: string): boolean
  /** Status and archive name of every gathering, in one read (start-up reconciles files with them). */
  fileStates (): Map<number, { status: GatheringStatus, archiveName: string }>
  /** Gatherings whose record names an archive file. */
  idsWithArchive (): number[]
  /** Throws when the database cannot be read. */
  ping (): void
  /** Bytes of all archives on record. */
  archiveBytes (): number
  close (): void
}
