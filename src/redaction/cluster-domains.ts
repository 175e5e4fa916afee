// The cluster's own domains, read from what was gathered: the DNS object's
// baseDomain, the Infrastructure object's API server URLs and etcd discovery
// domain. The parent of the base domain (the customer's zone, without the
// cluster's name) is included: it says as much about who the customer is.
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { parse as parseYaml } from 'yaml'

const CONFIG_DIR = join('cluster-scoped-resources', 'config.openshift.io')
const MAX_BYTES = 4 * 1024 * 1024

/** Domains found under `root` (the destination directory, or one image's directory in it), longest first. */
export async function readClusterDomains (root: string): Promise<string[]> {
  const domains = new Set<string>()
  for (const dir of await configDirs(root, 3)) {
    for (const plural of ['dnses', 'infrastructures']) {
      const files = [join(dir, `${plural}.yaml`), ...(await listYaml(join(dir, plural)))]
      for (const file of files) {
        for (const object of await readObjects(file)) collect(object, domains)
      }
    }
  }
  return [...domains].sort((a, b) => b.length - a.length)
}

function collect (object: Record<string, unknown>, domains: Set<string>): void {
  const spec = (object.spec ?? {}) as Record<string, unknown>
  const status = (object.status ?? {}) as Record<string, unknown>
  const add = (name: unknown): void => {
    if (typeof name !== 'string') return
    const domain = name.toLowerCase().replace(/\.$/, '')
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) return
    domains.add(domain)
  }
  if (typeof spec.baseDomain === 'string') {
    add(spec.baseDomain)
    const parent = spec.baseDomain.split('.').slice(1)
    if (parent.length >= 2) add(parent.join('.'))
  }
  for (const url of [status.apiServerURL, status.apiServerInternalURI]) {
    if (typeof url !== 'string') continue
    try {
      add(new URL(url).hostname.replace(/^api(-int)?\./, ''))
    } catch {}
  }
  add(status.etcdDiscoveryDomain)
}

async function readObjects (file: string): Promise<Array<Record<string, unknown>>> {
  try {
    if ((await stat(file)).size > MAX_BYTES) return []
    const doc = parseYaml(await readFile(file, 'utf8')) as Record<string, unknown> | null
    if (doc === null || typeof doc !== 'object') return []
    return Array.isArray(doc.items) ? doc.items as Array<Record<string, unknown>> : [doc]
  } catch {
    return []
  }
}

async function listYaml (dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name))
  } catch {
    return []
  }
}

async function configDirs (root: string, depth: number): Promise<string[]> {
  const found: string[] = []
  try {
    if ((await stat(join(root, CONFIG_DIR))).isDirectory()) found.push(join(root, CONFIG_DIR))
  } catch {}
  if (depth === 0) return found
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name !== 'cluster-scoped-resources' && entry.name !== 'namespaces') {
      found.push(...await configDirs(join(root, entry.name), depth - 1))
    }
  }
  return found
}
