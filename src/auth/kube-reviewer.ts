import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

import type { AccessRule } from '../config/security.js'
import type { ClusterEndpoint, KubeConnection } from './kube-connection.js'
import type { AccessReviewer, Identity } from './types.js'

/** Bounds an API server's answer to a review (a few hundred bytes normally). */
const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * TokenReview and SubjectAccessReview, posted to the API server with the
 * service's own credentials (kube-connection.ts). Two small JSON requests do
 * not need a generated client; aborting is by the caller's signal.
 */
export class KubeAccessReviewer implements AccessReviewer {
  readonly #connection: KubeConnection

  constructor (connection: KubeConnection) {
    this.#connection = connection
  }

  get endpoint (): ClusterEndpoint {
    return this.#connection.endpoint
  }

  async reviewToken (token: string, signal: AbortSignal): Promise<Identity | undefined> {
    const review = await this.#create('/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token }
    }, signal) as { status?: { authenticated?: boolean, user?: { username?: string, uid?: string, groups?: string[], extra?: Record<string, string[]> } } }
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
    const review = await this.#create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
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
    }, signal) as { status?: { allowed?: boolean, reason?: string } }
    return { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' }
  }

  /** POSTs a review object; its returned form, or an error naming the status (never the request body: it holds a token). */
  async #create (path: string, body: object, signal: AbortSignal): Promise<unknown> {
    // Appended, not resolved: a server URL may carry a path (an API proxy's prefix).
    const url = new URL(this.#connection.endpoint.server.replace(/\/+$/, '') + path)
    const options = await this.#connection.requestOptions()
    const payload = JSON.stringify(body)
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    return new Promise((resolve, reject) => {
      const req = send(url, {
        ...options,
        method: 'POST',
        signal,
        headers: { ...options.headers, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(payload) }
      }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`the API server's answer to ${path} is over ${MAX_RESPONSE_BYTES} bytes`))
          else chunks.push(chunk)
        })
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const text = Buffer.concat(chunks).toString('utf8')
          if (status < 200 || status > 299) {
            // `code` is what the authorizer logs: a 401 (the service's token) or 403 (its RBAC) tells the operator what to fix.
            reject(Object.assign(new Error(`the API server answered ${path} with HTTP ${status}${statusMessage(text)}`), { code: status }))
            return
          }
          try {
            resolve(JSON.parse(text))
          } catch {
            reject(new Error(`the API server's answer to ${path} is not JSON`))
          }
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(payload)
    })
  }
}

/** `: <message>` from a Kubernetes Status object, when there is one. */
function statusMessage (text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    return typeof message === 'string' && message !== '' ? `: ${message.slice(0, 200)}` : ''
  } catch {
    return ''
  }
}
