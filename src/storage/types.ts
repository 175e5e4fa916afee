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
 * Where gathering records live. Asynchronous, so that a networked database
 * fits behind it unchanged; every backend passes the contract suite in
 * test/storage/store-contract.test.ts. What must hold across service
 * processes on one database (the list version, the schema) is the
 * database's, never a process's.
 */
export interface GatheringStore {
  /** Insert a queued (`new`) gathering and return it with its id. */
  insert (gathering: NewGathering): Promise<Gathering>
  /** The record without its output tail (cheap: what most reads need). */
  get (id: number): Promise<Gathering | undefined>
  /** The last `limit` characters of the output tail kept with the record. */
  outputTail (id: number, limit: number): Promise<string>
  /** The newest gathering with this custom name (created by `createdBy`, when given). */
  findByCustomName (customName: string, createdBy?: string): Promise<Gathering | undefined>
  /** Which gatherings a list shows, newest first: their keys only, read from the records' indexes and heads. */
  listKeys (filter: ListFilter): Promise<ListKey[]>
  /** These gatherings (those that exist), newest first, each with the last `outputLimit` characters of its output. */
  getMany (ids: number[], outputLimit: number): Promise<ListedGathering[]>
  /**
   * Changes whenever any record is inserted, changed or deleted, by any
   * process on this database, and never repeats for another state of it:
   * cheap enough to ask on every poll.
   */
  listVersion (): Promise<string>
  countByStatus (status: GatheringStatus): Promise<number>
  /** Ids with this status, oldest first. */
  idsByStatus (status: GatheringStatus): Promise<number[]>
  /** Finished gatherings last updated before `cutoff` (ISO time). */
  finishedBefore (cutoff: string): Promise<number[]>
  /** `new` → `inprogress`. Resolves false if the gathering is gone or not `new`. */
  markStarted (id: number, at: string): Promise<boolean>
  recordProcess (id: number, process: RunProcess | null): Promise<void>
  runProcess (id: number): Promise<RunProcess | null>
  /** The output so far, while running. Resolves false (and changes nothing) unless it is `inprogress`. */
  updateOutput (id: number, tail: string, size: number, at: string): Promise<boolean>
  /**
   * The terminal state, in one write (written again only by housekeeping,
   * when it packs an interrupted run's leftovers). Resolves false if the
   * gathering is gone.
   */
  finish (id: number, result: GatheringResult, at: string): Promise<boolean>
  /** Resolves false if there was no such gathering. */
  delete (id: number): Promise<boolean>
  /** The finished gathering with an archive that finished first, leaving out `exclude`. */
  oldestArchived (exclude: number[]): Promise<number | undefined>
  /**
   * Forget the archive (its file is being deleted, or is gone) and mark the
   * record expired, saying why. False when it had no archive (any more).
   */
  expireArchive (id: number, at: string, reason: string): Promise<boolean>
  /** Status and archive name of every gathering, in one read (start-up reconciles files with them). */
  fileStates (): Promise<Map<number, { status: GatheringStatus, archiveName: string }>>
  /** Gatherings whose record names an archive file. */
  idsWithArchive (): Promise<number[]>
  /** Rejects when the database cannot be read. */
  ping (): Promise<void>
  /** Bytes of all archives on record. */
  archiveBytes (): Promise<number>
  close (): Promise<void>
}
