import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Credentials prepared for one run. */
export interface PreparedCredentials {
  /** Variables added to the child's environment (KUBECONFIG). */
  env: Record<string, string>
  /** Deletes whatever was written for the run; safe to call twice. */
  release: () => Promise<void>
}

/**
 * How `oc` authenticates for a run. Tokens are handed over only through a
 * kubeconfig file of mode 0600 in a directory only the service can read,
 * deleted when the run ends: never `--token=` (visible in the process list),
 * never an environment variable, never stored.
 */
export interface RunCredentials {
  /** Runs need the caller's token, which lives in memory only: queued runs cannot survive a restart. */
  readonly needsCallerToken: boolean
  /**
   * Why a request may not name this API `server`, or undefined. When oc runs
   * with credentials that are not the caller's own, another server would
   * receive them.
   */
  serverRefusal (server: string): string | undefined
  prepare (id: number, token: string | undefined, server: string): Promise<PreparedCredentials>
  /** Removes every leftover file (after a crash). */
  clear (): Promise<void>
}

/** oc uses the service's own environment (KUBECONFIG or in-cluster): AUTH_MODE=none, or an operator's kubeconfig. */
export class AmbientCredentials implements RunCredentials {
  readonly needsCallerToken = false

  /** @param trustedCallers AUTH_MODE=none: every caller is trusted with the service's credentials anyway. */
  constructor (private readonly trustedCallers: boolean) {}

  serverRefusal (server: string): string | undefined {
    if (this.trustedCallers || server === '') return undefined
    return 'server may not be set: oc runs with the service\'s own credentials (OC_CREDENTIALS=service), which must not be sent to another API server'
  }

  async prepare (): Promise<PreparedCredentials> {
    return { env: {}, release: async () => {} }
  }

  async clear (): Promise<void> {}
}

export interface ClusterAccess {
  server: string
  caData: string | undefined
  skipTlsVerify: boolean
}

/**
 * Writes a kubeconfig per run: with the caller's token (`caller`), or pointing
 * at the service's token file (`service`; oc rereads it, so a rotated token is
 * picked up and never copied).
 */
export class KubeconfigCredentials implements RunCredentials {
  readonly needsCallerToken: boolean

  constructor (
    private readonly dir: string,
    private readonly cluster: ClusterAccess,
    private readonly source: { kind: 'caller', allowHttpServer?: boolean } | { kind: 'token-file', path: string }
  ) {
    this.needsCallerToken = source.kind === 'caller'
  }

  serverRefusal (server: string): string | undefined {
    if (this.source.kind === 'caller') {
      if (/^http:\/\//i.test(server) && this.source.allowHttpServer !== true) {
        return 'server must use https://: oc would send the caller\'s token to it in clear (an operator can allow http:// with ALLOW_HTTP_SERVER=true)'
      }
      return undefined
    }
    if (server === '' || server === this.cluster.server) return undefined
    return `server may only be ${this.cluster.server}: oc runs with the service's own credentials (OC_CREDENTIALS=service), which must not be sent to another API server`
  }

  async prepare (id: number, token: string | undefined, server: string): Promise<PreparedCredentials> {
    if (this.source.kind === 'caller' && token === undefined) throw new Error('no caller credentials for this run')
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await chmod(this.dir, 0o700)
    const path = join(this.dir, `${id}.kubeconfig`)
    const user = this.source.kind === 'caller' ? { token } : { tokenFile: this.source.path }
    // The request may name another API server; the cluster's CA only vouches for the cluster's own.
    const target = server !== '' ? server : this.cluster.server
    const sameCluster = target === this.cluster.server
    const cluster = {
      server: target,
      ...(sameCluster && this.cluster.caData !== undefined && { 'certificate-authority-data': Buffer.from(this.cluster.caData).toString('base64') }),
      ...(sameCluster && this.cluster.skipTlsVerify && { 'insecure-skip-tls-verify': true })
    }
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'cluster', cluster }],
      users: [{ name: 'user', user }],
      contexts: [{ name: 'must-gather', context: { cluster: 'cluster', user: 'user' } }],
      'current-context': 'must-gather'
    }
    // JSON is YAML: oc reads it as a kubeconfig. `wx`: never follow or reuse an existing file.
    await rm(path, { force: true })
    await writeFile(path, JSON.stringify(kubeconfig), { mode: 0o600, flag: 'wx' })
    return { env: { KUBECONFIG: path }, release: () => rm(path, { force: true }) }
  }

  /** Deletes the kubeconfig files a crashed process left; never anything else in the directory. */
  async clear (): Promise<void> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return
    }
    await Promise.all(names.filter((n) => /^\d+\.kubeconfig$/.test(n)).map((n) => rm(join(this.dir, n), { force: true })))
  }
}
