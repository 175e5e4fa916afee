import type { Phase } from '../gatherings/phase.js'
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
  /** The replica that admitted it (REPLICA_NAME): with OC_CREDENTIALS=caller, the only one that can run it. */
  acceptedBy?: string
}

/**
 * A replica's hold on one run of a gathering. Every write the run makes
 * names it, and changes nothing once the record names another (the
 * execution was taken over, or deleted): the lease checked on every write.
 */
export interface Claim {
  replica: string
  attempt: number
}

/** What admission allows, counted across every replica in the same transaction as the insert. */
export interface QueueLimits {
  /** MAX_QUEUED: gatherings waiting, everyone's together. */
  maxQueued: number
  /** MAX_QUEUED_PER_USER; undefined: no share per user. */
  maxQueuedPerUser?: number | undefined
  /** Run slots free on the admitting replica: a gathering about to start does not wait. */
  freeSlots: number
}

/** A process a replica started for a run, found again by that replica only (its pid namespace). */
export interface RecordedProcess extends RunProcess {
  id: number
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
  /**
   * Insert a queued (`new`) gathering and return it with its id. With
   * `limits`, counts the queue (every replica's) and inserts in one
   * transaction, so two replicas never both take the last place: throws
   * QueueFullError or UserQueueFullError, inserting nothing.
   */
  insert (gathering: NewGathering, limits?: QueueLimits): Promise<Gathering>
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
  /** Names this database among others (never changes): with a record's revision, a version every replica shares. */
  databaseId (): Promise<string>
  countByStatus (status: GatheringStatus): Promise<number>
  /** Ids with this status, oldest first. */
  idsByStatus (status: GatheringStatus): Promise<number[]>
  /** Finished gatherings last updated before `cutoff` (ISO time). */
  finishedBefore (cutoff: string): Promise<number[]>
  /** `new` → `inprogress`, claimed by `replica` (its next attempt). Resolves false if the gathering is gone or not `new`. */
  markStarted (id: number, at: string, replica?: string): Promise<boolean>
  /**
   * Claims the oldest queued gathering for `replica` and marks it started:
   * exactly one replica gets each (rows another replica is claiming are
   * skipped, not waited for). `acceptedBy`: only those that replica admitted.
   */
  claimNext (replica: string, at: string, acceptedBy?: string): Promise<Claim & { id: number } | undefined>
  /** The running gatherings `replica` holds, with their attempts. */
  runsOf (replica: string): Promise<Array<Claim & { id: number }>>
  /**
   * `to` takes over a running gathering `from` holds (its next attempt):
   * `from`'s later writes change nothing. Undefined if `from` no longer holds it.
   */
  takeOver (id: number, from: string, to: string): Promise<Claim | undefined>
  /**
   * `replica` becomes the owner of a finished gathering that has none (from
   * before replicas had names), so that only it tidies up after it. False:
   * another replica owns it.
   */
  adopt (id: number, replica: string): Promise<boolean>
  /** Queued gatherings `acceptedBy` admitted end as `error` with `message`; their ids. */
  failQueued (acceptedBy: string, message: string, at: string): Promise<number[]>
  /** Queued gatherings: all of them, and `user`'s. */
  queuedCounts (user: string): Promise<{ total: number, ofUser: number }>
  /** The process a run started, with the replica that started it (`claim`; unchecked without). Null clears it. */
  recordProcess (id: number, process: RunProcess | null, claim?: Claim): Promise<void>
  runProcess (id: number): Promise<RunProcess | null>
  /** Processes recorded by `replica` (or before replicas had names) and not cleared, whatever the records' state. */
  processesOf (replica: string): Promise<RecordedProcess[]>
  /**
   * The output so far (and the run's phase, when given), while running.
   * Resolves false (and changes nothing) unless it is `inprogress` (and held
   * by `claim`, when given).
   */
  updateOutput (id: number, tail: string, size: number, at: string, claim?: Claim, phase?: Phase): Promise<boolean>
  /**
   * The terminal state, in one write (written again only by housekeeping,
   * when it packs an interrupted run's leftovers). Resolves false if the
   * gathering is gone, or, with `claim`, no longer `inprogress` under it.
   */
  finish (id: number, result: GatheringResult, at: string, claim?: Claim): Promise<boolean>
  /** Resolves false if there was no such gathering. */
  delete (id: number): Promise<boolean>
  /** The finished gathering with an archive that finished first, leaving out `exclude`. */
  oldestArchived (exclude: number[]): Promise<number | undefined>
  /**
   * Forget the archive (its file is being deleted, or is gone) and mark the
   * record expired, saying why. False when it had no archive (any more).
   */
  expireArchive (id: number, at: string, reason: string): Promise<boolean>
  /** Status, archive name and owner of every gathering, in one read (start-up reconciles files with them). */
  fileStates (): Promise<Map<number, { status: GatheringStatus, archiveName: string, owner: string }>>
  /** Gatherings whose record names an archive file. */
  idsWithArchive (): Promise<number[]>
  /** Registers `replica` with a fresh lease (the database's clock), or renews an old registration of the name. */
  joinReplicas (replica: string, startedAt: string): Promise<void>
  /** Renews `replica`'s lease; false when its row is gone (another replica forgot it: join again). */
  renewLease (replica: string): Promise<boolean>
  /**
   * Replicas that hold work (a running gathering, or a queued one they
   * admitted) without a lease renewed in the last `leaseMs`: gone. A run
   * from before replicas had names shows as ''.
   */
  replicasGone (leaseMs: number, except: string): Promise<string[]>
  /** Removes the rows of replicas whose lease lapsed `leaseMs` ago and that hold no work. */
  forgetLapsedReplicas (leaseMs: number): Promise<void>
  /** Rejects when the database cannot be read. */
  ping (): Promise<void>
  /** Bytes of all archives on record. */
  archiveBytes (): Promise<number>
  close (): Promise<void>
}
