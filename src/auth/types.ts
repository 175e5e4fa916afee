import type { AccessRule } from '../config/security.js'

/** Who a bearer token belongs to, as the API server's TokenReview says. */
export interface Identity {
  username: string
  uid: string
  groups: string[]
  extra: Record<string, string[]>
}

/** An authenticated, authorized caller of the API. */
export interface Caller {
  username: string
  /** May see every execution when VISIBILITY=own (a cluster-admin). */
  isAdmin: boolean
  /**
   * The caller's bearer token, kept in memory only: handed to `oc` through a
   * private kubeconfig file, never stored, logged or put in an argument.
   * Undefined when AUTH_MODE=none.
   */
  token: string | undefined
  /** sha256 of the token (or the client address when AUTH_MODE=none): a key for rate limits. */
  key: string
  /** Who the cluster says the caller is (for further access reviews); undefined when AUTH_MODE=none. */
  identity?: Identity
}

export type AuthDecision =
  | { outcome: 'allowed', caller: Caller }
  | { outcome: 'unauthenticated', reason: string }
  | { outcome: 'forbidden', username: string, reason: string }
  | { outcome: 'unavailable', reason: string }
  /** Too many rejected tokens from this client address lately: not even asked. */
  | { outcome: 'throttled', reason: string, retryAfterSeconds: number }

/** The API server's answers, as the authorizer needs them. */
export interface AccessReviewer {
  /** The token's identity, or undefined when the API server rejects the token. */
  reviewToken (token: string, signal: AbortSignal): Promise<Identity | undefined>
  /** Whether `identity` may do what `rule` describes; with the API server's reason. */
  mayAccess (identity: Identity, rule: AccessRule, signal: AbortSignal): Promise<{ allowed: boolean, reason: string }>
}
