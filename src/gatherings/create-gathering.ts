import type { GatheringStore } from '../storage/types.js'
import { type ArgumentPolicy, checkArgumentPolicy } from './argument-policy.js'
import { RequestNotAllowedError } from './errors.js'
import { checkImagePolicy, type ImagePolicy } from './image-policy.js'
import type { Admission } from './runner.js'
import type { StorageQuota } from './storage-quota.js'
import type { Gathering, GatheringRequest } from './types.js'
import { type RequestDefaults, validateRequest } from './validate-request.js'

export interface GatheringCreatorOptions {
  store: GatheringStore
  /** Where admission happens: this replica's view of the shared queue. */
  queue: { admit: (user: string) => Promise<Admission> }
  quota: Pick<StorageQuota, 'ensureRoom'>
  defaults: RequestDefaults
  imagePolicy: ImagePolicy
  /** What a caller may ask of oc when it runs as the service (OC_CREDENTIALS=service). */
  argumentPolicy?: ArgumentPolicy
  /** REDACTION: whether a request may, or must, have its archive redacted (default: optional). */
  redactionMode?: 'off' | 'optional' | 'required'
  /** Why this API server may not be named in a request (credentials policy), or undefined. */
  serverRefusal: (server: string) => string | undefined
  now: () => string
}

/** Who asks: the username is recorded, the token only kept in memory for the run. */
export interface Caller {
  username: string
  token: string | undefined
}

/**
 * The one way a gathering comes to be. The order is the point: each step
 * may refuse, and each refusal leaves everything as it was. Checks that
 * change nothing come first (validation, image and argument policy), then
 * queue admission (a place is held, nothing written), and only then storage
 * room, which may expire old archives: never for a request the queue would
 * refuse. The insert comes last, counting the queue again in the same
 * transaction (the queue is every replica's; the one race left, another
 * replica taking the last place between the two counts, refuses after room
 * was made).
 */
export class GatheringCreator {
  constructor (private readonly o: GatheringCreatorOptions) {}

  /** Whether to redact, as REDACTION allows: off refuses a request that asks, required refuses one that declines. */
  #redaction (request: GatheringRequest, asked: boolean): boolean {
    switch (this.o.redactionMode ?? 'optional') {
      case 'off':
        if (asked) throw new RequestNotAllowedError('redact', (name) => `${name} is not available: redaction is off on this service (REDACTION=off)`)
        return false
      case 'required':
        if (request.redact === false) throw new RequestNotAllowedError('redact', (name) => `${name} cannot be false: this service redacts every archive (REDACTION=required)`)
        return true
      default:
        return asked
    }
  }

  async create (request: GatheringRequest, caller: Caller): Promise<Gathering> {
    const { customName, options } = validateRequest(request, this.o.defaults)
    options.redact = this.#redaction(request, options.redact === true)
    checkImagePolicy(options, this.o.imagePolicy)
    if (this.o.argumentPolicy !== undefined) checkArgumentPolicy(options, this.o.argumentPolicy)
    const refusal = this.o.serverRefusal(options.server)
    if (refusal !== undefined) throw new RequestNotAllowedError('server', refusal)
    const admission = await this.o.queue.admit(caller.username)
    try {
      await this.o.quota.ensureRoom()
      // The store counts the queue again with the insert: another replica may have admitted one meanwhile.
      const gathering = await this.o.store.insert(
        { customName, options, createdAt: this.o.now(), createdBy: caller.username, acceptedBy: admission.acceptedBy },
        admission.limits())
      admission.enqueue(gathering, caller.token)
      return gathering
    } catch (error) {
      admission.cancel()
      throw error
    }
  }
}
