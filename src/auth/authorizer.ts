import { createHash } from 'node:crypto'

import { LRUCache } from 'lru-cache'

import type { AccessRule } from '../config/security.js'
import type { Logger } from '../logger.js'
import type { AccessReviewer, AuthDecision, Caller, Identity } from './types.js'

export interface AuthorizerOptions {
  reviewer: AccessReviewer
  /** What a caller must be allowed to do to use the service. */
  accessRule: AccessRule
  /** Also find out whether the caller is a cluster-admin (needed for VISIBILITY=own). */
  checkAdmin: boolean
  cacheTtlMs: number
  cacheSize: number
  timeoutMs: number
  /** Rejected tokens a client address may present per minute before it is throttled (0: no limit). */
  failuresPerMinute: number
  logger: Logger
}

/** A rejection is remembered this long at most: a token just granted access is not kept out for longer. */
const REJECTION_TTL_MS = 10_000
const FAILURE_WINDOW_MS = 60_000

type Rejection = Extract<AuthDecision, { outcome: 'unauthenticated' | 'forbidden' }>

const ADMIN_RULE: AccessRule = { verb: '*', group: '*', resource: '*', subresource: '', name: '', namespace: '' }

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/**
 * Bearer token → decision, with TokenReview then SubjectAccessReview.
 * Decisions are cached by the token's hash (never the token), for a short
 * time and a bounded number of entries: "allowed" for AUTH_CACHE_TTL, a
 * rejection for at most 10 s (so a flood of one bad token costs one review),
 * each in its own cache (so bad tokens cannot push out good ones). A client
 * address that presented AUTH_FAILURE_LIMIT tokens the cluster does not know
 * (401s) in a minute is not asked about new tokens until the minute is over. A failing or slow API
 * server yields "unavailable" after the timeout: never a hang, never "allowed".
 */
export class TokenAuthorizer {
  readonly #o: AuthorizerOptions
  /** Token hash → who it is: least recently used first out, each for AUTH_CACHE_TTL. */
  readonly #cache: LRUCache<string, Omit<Caller, 'token'>> | undefined

  readonly #rejections: LRUCache<string, Rejection> | undefined
  /** Client address → tokens rejected in the current minute. */
  readonly #failures = new LRUCache<string, { count: number, start: number }>({ max: 100_000, ttl: FAILURE_WINDOW_MS })

  constructor (options: AuthorizerOptions) {
    this.#o = options
    if (options.cacheTtlMs > 0 && options.cacheSize > 0) {
      this.#cache = new LRUCache({ max: options.cacheSize, ttl: options.cacheTtlMs })
      this.#rejections = new LRUCache({ max: options.cacheSize, ttl: Math.min(options.cacheTtlMs, REJECTION_TTL_MS) })
    }
  }

  /** `clientAddress`: where the request came from, to throttle one that keeps presenting bad tokens. */
  async authorize (token: string, clientAddress = ''): Promise<AuthDecision> {
    const key = hashToken(token)
    const cached = this.#cache?.get(key)
    if (cached !== undefined) return { outcome: 'allowed', caller: { ...cached, token } }
    const rejected = this.#rejections?.get(key)
    if (rejected !== undefined) return rejected
    const failures = this.#failures.get(clientAddress)
    if (this.#o.failuresPerMinute > 0 && failures !== undefined && failures.count >= this.#o.failuresPerMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((failures.start + FAILURE_WINDOW_MS - Date.now()) / 1000))
      return { outcome: 'throttled', retryAfterSeconds, reason: `too many rejected tokens from this address (AUTH_FAILURE_LIMIT=${this.#o.failuresPerMinute} a minute); retry in ${retryAfterSeconds} s` }
    }
    const decision = await this.#review(token, key)
    if (decision.outcome === 'unauthenticated' || decision.outcome === 'forbidden') this.#rejections?.set(key, decision)
    // Only tokens the cluster does not know count against the address: a real user without access
    // (403), whose console keeps polling, must not lock out everyone behind the same address.
    if (decision.outcome === 'unauthenticated') {
      const counted = failures ?? { count: 0, start: Date.now() }
      counted.count++
      if (failures === undefined) this.#failures.set(clientAddress, counted)
    }
    return decision
  }

  /**
   * Whether an authenticated caller may also do what `rule` says (a further
   * SubjectAccessReview, not cached: for rare, sensitive reads). False when
   * the API server cannot tell within the timeout.
   */
  async allows (identity: Identity, rule: AccessRule): Promise<boolean> {
    try {
      return (await this.#o.reviewer.mayAccess(identity, rule, AbortSignal.timeout(this.#o.timeoutMs))).allowed
    } catch {
      return false
    }
  }

  async #review (token: string, key: string): Promise<AuthDecision> {
    const signal = AbortSignal.timeout(this.#o.timeoutMs)
    try {
      const identity = await this.#o.reviewer.reviewToken(token, signal)
      if (identity === undefined) return { outcome: 'unauthenticated', reason: 'the bearer token was rejected by the cluster' }
      const [access, admin] = await Promise.all([
        this.#o.reviewer.mayAccess(identity, this.#o.accessRule, signal),
        this.#o.checkAdmin ? this.#o.reviewer.mayAccess(identity, ADMIN_RULE, signal) : undefined
      ])
      if (!access.allowed) {
        return { outcome: 'forbidden', username: identity.username, reason: `user "${identity.username}" may not run must-gather (${describeRule(this.#o.accessRule)} is required)` }
      }
      const caller = { username: identity.username, isAdmin: admin?.allowed ?? false, key, identity }
      this.#cache?.set(key, caller)
      return { outcome: 'allowed', caller: { ...caller, token } }
    } catch (error) {
      const timedOut = signal.aborted
      // Only the status code is logged: a TokenReview error can echo the request, token included.
      const code = (error as { code?: unknown }).code
      this.#o.logger.warn({
        timedOut,
        statusCode: typeof code === 'number' ? code : undefined,
        // A system error's code (ECONNREFUSED, CERT_HAS_EXPIRED, ...) says as much and holds no request data.
        errorCode: typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code) ? code : undefined
      }, 'Kubernetes API server did not answer a review.')
      return {
        outcome: 'unavailable',
        reason: timedOut
          ? `the Kubernetes API server did not answer within ${this.#o.timeoutMs} ms; try again shortly`
          : 'the Kubernetes API server could not check the token; try again shortly'
      }
    }
  }
}

export function describeRule (rule: AccessRule): string {
  const resource = [rule.group === '' ? 'core' : rule.group, rule.resource, rule.subresource].filter(Boolean).join('/')
  return `verb "${rule.verb}" on "${resource}"${rule.name !== '' ? ` named "${rule.name}"` : ''}${rule.namespace !== '' ? ` in namespace "${rule.namespace}"` : ''}`
}
