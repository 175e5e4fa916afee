import { readFileSync } from 'node:fs'

import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  KubeConfig,
  Observable,
  type ObservableMiddleware
} from '@kubernetes/client-node'

import type { AccessRule } from '../config/security.js'
import type { AccessReviewer, Identity } from './types.js'

/** Where the API server is and how to trust it, for the kubeconfig files `oc` gets. */
export interface ClusterEndpoint {
  server: string
  /** PEM of the cluster CA, when the connection has one. */
  caData: string | undefined
  skipTlsVerify: boolean
}

/**
 * TokenReview and SubjectAccessReview through @kubernetes/client-node, with
 * the service's own credentials: the in-cluster service account by default,
 * a kubeconfig when asked (USE_KUBECONFIG / KUBECONFIG).
 */
export class KubeAccessReviewer implements AccessReviewer {
  readonly #authn: AuthenticationV1Api
  readonly #authz: AuthorizationV1Api
  readonly endpoint: ClusterEndpoint

  constructor ({ useKubeconfig }: { useKubeconfig: boolean }) {
    const kc = new KubeConfig()
    if (useKubeconfig) kc.loadFromDefault()
    else kc.loadFromCluster()
    const cluster = kc.getCurrentCluster()
    if (cluster === null) throw new Error('no cluster in the Kubernetes configuration')
    this.#authn = kc.makeApiClient(AuthenticationV1Api)
    this.#authz = kc.makeApiClient(AuthorizationV1Api)
    this.endpoint = {
      server: cluster.server,
      caData: cluster.caData !== undefined
        ? Buffer.from(cluster.caData, 'base64').toString('utf8')
        : cluster.caFile !== undefined ? readFileOrUndefined(cluster.caFile) : undefined,
      skipTlsVerify: cluster.skipTLSVerify
    }
  }

  async reviewToken (token: string, signal: AbortSignal): Promise<Identity | undefined> {
    const review = await this.#authn.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }
    }, withSignal(signal))
    const status = review.status
    if (status?.authenticated !== true || status.user?.username === undefined) return undefined
    return {
      username: status.user.username,
      uid: status.user.uid ?? '',
      groups: status.user.groups ?? [],
      extra: status.user.extra ?? {}
    }
  }

  async mayAccess (identity: Identity, rule: AccessRule, signal: AbortSignal): Promise<{ allowed: boolean, reason: string }> {
    const review = await this.#authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: identity.username,
          uid: identity.uid,
          groups: identity.groups,
          extra: identity.extra,
          resourceAttributes: {
            verb: rule.verb,
            group: rule.group,
            resource: rule.resource,
            ...(rule.subresource !== '' && { subresource: rule.subresource }),
            ...(rule.name !== '' && { name: rule.name }),
            ...(rule.namespace !== '' && { namespace: rule.namespace })
          }
        }
      }
    }, withSignal(signal))
    return { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' }
  }
}

/** Per-call options that make the request abortable (the generated client has no timeout of its own). */
function withSignal (signal: AbortSignal): { middleware: ObservableMiddleware[], middlewareMergeStrategy: 'append' } {
  return {
    middleware: [{
      pre: (context) => {
        context.setSignal(signal)
        return new Observable(Promise.resolve(context))
      },
      post: (response) => new Observable(Promise.resolve(response))
    }],
    middlewareMergeStrategy: 'append'
  }
}

function readFileOrUndefined (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
