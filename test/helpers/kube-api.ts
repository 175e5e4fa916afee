import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import { makeCertificate, type Pem } from './tls.js'

/** The token the service itself presents (its service account, in a real cluster). */
export const SERVICE_TOKEN = 'sha256~service-account-token-of-the-service'

export interface FakeUser {
  username: string
  uid: string
  groups: string[]
  /** May do anything (cluster-admin). */
  admin: boolean
  /** Resource attributes this user is granted besides, e.g. `create forklift.konveyor.io/mustgathers`. */
  grants?: string[]
}

/**
 * A small stand-in for the Kubernetes API server: HTTPS on loopback, serving
 * TokenReview and SubjectAccessReview with the real API shapes (including
 * echoing the reviewed token back in `spec`, as the real one does, so a leak
 * of the response would show). `mode` makes it fail or stall.
 */
export class FakeKubeApi {
  mode: 'ok' | 'error' | 'slow' = 'ok'
  readonly requests: Array<{ path: string, body: any }> = []
  readonly users = new Map<string, FakeUser>()
  /** Users whose token was revoked: RBAC still knows them by name, as a real cluster's bindings do. */
  readonly #revoked = new Map<string, FakeUser>()
  #server: Server | undefined
  pem: Pem | undefined
  url = ''

  /**
   * The token stops authenticating (expired, logged out), while RBAC still
   * grants its user what it did: a review racing the revocation may pass
   * TokenReview just before and SubjectAccessReview just after, and must
   * not turn into a 403 that a deleted user would get.
   */
  revoke (token: string): void {
    const user = this.users.get(token)
    if (user !== undefined) this.#revoked.set(user.username, user)
    this.users.delete(token)
  }

  async start (): Promise<void> {
    this.pem = await makeCertificate()
    this.#server = createServer({ cert: this.pem.cert, key: this.pem.key }, (req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => { body += chunk.toString() })
      req.on('end', () => {
        const parsed = body === '' ? undefined : JSON.parse(body)
        this.requests.push({ path: req.url ?? '', body: parsed })
        const reply = (status: number, payload: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' })
          res.end(JSON.stringify(payload))
        }
        if (this.mode === 'slow') return // never answers; the client must give up
        if (this.mode === 'error') return reply(500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcdserver: request timed out', code: 500 })
        if (req.headers.authorization !== `Bearer ${SERVICE_TOKEN}`) return reply(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 })
        if (req.method === 'POST' && req.url?.startsWith('/apis/authentication.k8s.io/v1/tokenreviews')) {
          const user = this.users.get(parsed?.spec?.token)
          return reply(201, {
            kind: 'TokenReview',
            apiVersion: 'authentication.k8s.io/v1',
            metadata: { creationTimestamp: null },
            spec: parsed?.spec,
            status: user === undefined
              ? { user: {}, error: '[invalid bearer token, token lookup failed]' }
              : { authenticated: true, user: { username: user.username, uid: user.uid, groups: user.groups, extra: { 'scopes.authorization.openshift.io': ['user:full'] } }, audiences: ['https://kubernetes.default.svc'] }
          })
        }
        if (req.method === 'POST' && req.url?.startsWith('/apis/authorization.k8s.io/v1/subjectaccessreviews')) {
          const spec = parsed?.spec
          const user = [...this.users.values(), ...this.#revoked.values()].find((u) => u.username === spec?.user)
          const a = spec?.resourceAttributes ?? {}
          const wanted = `${a.verb} ${a.group}/${a.resource}`
          const allowed = user !== undefined && (user.admin || (user.grants ?? []).includes(wanted))
          return reply(201, {
            kind: 'SubjectAccessReview',
            apiVersion: 'authorization.k8s.io/v1',
            metadata: { creationTimestamp: null },
            spec,
            status: allowed ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' } : { allowed: false }
          })
        }
        reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 })
      })
    })
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** A kubeconfig for the service: this server, its CA, the service's own token. */
  writeKubeconfig (dir: string): string {
    const path = join(dir, 'service.kubeconfig')
    writeFileSync(path, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.pem?.cert ?? '').toString('base64') } }],
      users: [{ name: 'service', user: { token: SERVICE_TOKEN } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'service' } }],
      'current-context': 'fake'
    }), { mode: 0o600 })
    return path
  }

  async stop (): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise((resolve) => this.#server?.close(resolve))
  }
}
