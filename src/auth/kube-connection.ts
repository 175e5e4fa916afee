import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { RequestOptions } from 'node:https'
import { join } from 'node:path'

/** Where the API server is and how to trust it, for the kubeconfig files `oc` gets. */
export interface ClusterEndpoint {
  server: string
  /** PEM of the cluster CA, when the connection has one. */
  caData: string | undefined
  skipTlsVerify: boolean
}

/** The service's own connection to the Kubernetes API server. */
export interface KubeConnection {
  readonly endpoint: ClusterEndpoint
  /** TLS settings and the Authorization header for one request (credentials may rotate). */
  requestOptions (): Promise<RequestOptions>
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Bound service-account tokens are rotated by the kubelet; re-read the file this often. */
const TOKEN_REREAD_MS = 60_000

/**
 * Inside a pod: the API server from KUBERNETES_SERVICE_HOST/PORT, trusted by
 * the mounted CA, with the mounted service-account token. Read by hand
 * rather than with @kubernetes/client-node, which takes about a second to
 * load: this is the production path, and start-up must stay fast.
 */
export function inClusterConnection (env: NodeJS.ProcessEnv, { dir = SERVICE_ACCOUNT_DIR, tokenRereadMs = TOKEN_REREAD_MS } = {}): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod)')
  }
  const tokenPath = join(dir, 'token')
  const caPath = join(dir, 'ca.crt')
  let ca = readFileSync(caPath, 'utf8')
  let token = readFileSync(tokenPath, 'utf8').trim()
  let readAt = Date.now()
  const endpoint: ClusterEndpoint = { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, caData: ca, skipTlsVerify: false }
  return {
    endpoint,
    requestOptions: async () => {
      if (Date.now() - readAt >= tokenRereadMs) {
        // The token and the CA bundle both rotate. A failed or empty read (a file
        // being replaced) keeps the last value: the API server will say if it is stale.
        token = await readFile(tokenPath, 'utf8').then((t) => t.trim() || token, () => token)
        ca = await readFile(caPath, 'utf8').then((c) => c.trim() !== '' ? c : ca, () => ca)
        endpoint.caData = ca
        readAt = Date.now()
      }
      return { ca, headers: { Authorization: `Bearer ${token}` } }
    }
  }
}

/**
 * Outside a cluster (development): the current context of the kubeconfig
 * (KUBECONFIG or ~/.kube/config), through @kubernetes/client-node so that
 * every kind of kubeconfig user works (token, client certificate, exec
 * plugins). Loaded only in this mode.
 */
export async function kubeconfigConnection (): Promise<KubeConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  kc.loadFromDefault()
  const cluster = kc.getCurrentCluster()
  if (cluster === null) throw new Error('no cluster in the Kubernetes configuration')
  return {
    endpoint: {
      server: cluster.server,
      caData: cluster.caData !== undefined
        ? Buffer.from(cluster.caData, 'base64').toString('utf8')
        : cluster.caFile !== undefined ? readFileOrUndefined(cluster.caFile) : undefined,
      skipTlsVerify: cluster.skipTLSVerify
    },
    requestOptions: async () => {
      const options: RequestOptions = {}
      await kc.applyToHTTPSOptions(options)
      return options
    }
  }
}

function readFileOrUndefined (path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
