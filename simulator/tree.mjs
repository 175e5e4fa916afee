// @ts-check
// Destination tree generation: the files a gather image writes to --source-dir
// (namespaces/, cluster-scoped-resources/, logs ...), sized to a target total,
// the optional must-gather.tar.gz, the fall-back inspect data and event-filter.html.
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync, readFileSync, readSync, statSync, createWriteStream } from 'node:fs'
import { join, dirname } from 'node:path'
import { createGzip } from 'node:zlib'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import { setImmediate as nextTurn } from 'node:timers/promises'
import {
  CLUSTER_VERSION, NODES, OPERATORS, NAMESPACES, Prng, podItem, eventItem, genericItem, yamlList,
  namespaceYaml, nodeYaml, clusterVersionYaml, clusterOperatorYaml, buildLogBlock
} from './cluster.mjs'

const MiB = 1024 * 1024

/** @type {Buffer | null} */
let logBlock = null
/** The shared 1 MiB block of log lines every log file is cut from. */
function getLogBlock () {
  if (logBlock === null) logBlock = buildLogBlock(MiB)
  return logBlock
}

/**
 * @param {number} n
 * @param {number} lo
 * @param {number} hi
 */
function clamp (n, lo, hi) {
  return Math.max(lo, Math.min(hi, n))
}

/**
 * Number of files a gather of this size writes when `files-N` is not given
 * (about 10 KiB per file: ~20,000 files for 200 MiB).
 * @param {number} sizeBytes
 */
export function defaultFileCount (sizeBytes) {
  return clamp(Math.round(sizeBytes / 10240), 20, 50000)
}

/**
 * @typedef {object} Slot
 * @property {string} rel path relative to the image directory
 * @property {((target: number) => string)} [make] renders a text file of about `target` bytes
 * @property {string} [logHeader] set for log files (filled from the log block)
 */

/**
 * A YAML list renderer that adds items until the file reaches the target size.
 * @param {(i: number) => string} item
 * @returns {(target: number) => string}
 */
function fill (item) {
  return (target) => {
    const items = []
    let len = 60
    do {
      const it = item(items.length)
      items.push(it)
      len += it.length
    } while (len < target)
    return yamlList(items)
  }
}

/**
 * @param {string} name
 * @returns {string} a Kubernetes-ish container name
 */
function containerName (name) {
  return name.replace(/^openshift-/, '').slice(0, 40) || 'default'
}

/**
 * All file slots of a gather, in the order they are written (cluster-scoped first,
 * then namespace by namespace). Infinite: the writer stops at the file count.
 * @param {Prng} r
 * @param {number} totalFiles
 * @param {string} timestampText
 * @returns {Generator<Slot>}
 */
function * slotList (r, totalFiles, timestampText) {
  const text = (/** @type {string} */ s) => () => s
  yield { rel: 'version', make: text(`openshift/must-gather\n${CLUSTER_VERSION}\n`) }
  yield { rel: 'timestamp', make: text(timestampText) }
  yield { rel: 'cluster-scoped-resources/config.openshift.io/clusterversions.yaml', make: clusterVersionYaml }
  for (const op of OPERATORS) {
    yield { rel: `cluster-scoped-resources/config.openshift.io/clusteroperators/${op}.yaml`, make: text(clusterOperatorYaml(op)) }
  }
  for (const n of NODES) yield { rel: `cluster-scoped-resources/core/nodes/${n.name}.yaml`, make: text(nodeYaml(n)) }
  for (const role of ['master', 'worker']) {
    yield { rel: `cluster-scoped-resources/machineconfiguration.openshift.io/machineconfigpools/${role}.yaml`, make: fill((i) => genericItem('machineconfiguration.openshift.io/v1', 'MachineConfigPool', '', `${role}${i ? '-' + i : ''}`, r).replace('    namespace: \n', '')) }
  }
  yield { rel: 'cluster-scoped-resources/storage.k8s.io/storageclasses/gp3-csi.yaml', make: text('---\nallowVolumeExpansion: true\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  annotations:\n    storageclass.kubernetes.io/is-default-class: "true"\n  name: gp3-csi\nparameters:\n  encrypted: "true"\n  type: gp3\nprovisioner: ebs.csi.aws.com\nreclaimPolicy: Delete\nvolumeBindingMode: WaitForFirstConsumer\n') }
  yield { rel: 'host_service_logs/masters/kubelet_service.log', logHeader: '-- Logs begin at Thu 2026-11-20 08:52:11 UTC. --\n' }
  yield { rel: 'host_service_logs/masters/crio_service.log', logHeader: '-- Logs begin at Thu 2026-11-20 08:52:11 UTC. --\n' }
  const members = NODES.filter((n) => n.role === 'master').map((n) => ({ ID: parseInt(r.hex(12), 16), name: n.name, peerURLs: [`https://${n.ip}:2380`], clientURLs: [`https://${n.ip}:2379`] }))
  yield { rel: 'etcd_info/member_list.json', make: text(JSON.stringify({ header: { cluster_id: parseInt(r.hex(12), 16), member_id: members[0]?.ID, raft_term: 7 }, members }, null, 2) + '\n') }
  yield { rel: 'etcd_info/endpoint_health.json', make: text(JSON.stringify(members.map((m) => ({ endpoint: m.clientURLs[0], health: true, took: `${5 + r.int(20)}.${r.int(999)}ms` })), null, 2) + '\n') }
  yield { rel: 'etcd_info/endpoint_status.json', make: text(JSON.stringify(members.map((m) => ({ Endpoint: m.clientURLs[0], Status: { header: { member_id: m.ID, raft_term: 7 }, version: '3.5.14', dbSize: 112345088 + r.int(9999999), leader: members[0]?.ID, raftIndex: 2841923 + r.int(9999) } })), null, 2) + '\n') }
  yield { rel: 'monitoring/prometheus/status/runtimeinfo.json', make: text(JSON.stringify({ status: 'success', data: { startTime: '2026-11-20T09:10:31.482Z', CWD: '/prometheus', reloadConfigSuccess: true, goroutineCount: 1841, GOMAXPROCS: 4, storageRetention: '15d' } }, null, 2) + '\n') }

  const perPodFiles = 4
  const perNsFiles = 15
  const budget = Math.max(0, totalFiles - 60) / NAMESPACES.length
  const podsPerNs = Math.max(1, Math.ceil((budget - perNsFiles) / perPodFiles))
  for (let round = 0; ; round++) {
    for (const baseNs of NAMESPACES) {
      const ns = round === 0 ? baseNs : `${baseNs}-${round}`
      const comp = containerName(baseNs)
      /** @type {import('./cluster.mjs').PodRef[]} */
      const pods = []
      for (let p = 0; p < podsPerNs; p++) {
        const containers = p % 2 === 0 ? [comp, 'kube-rbac-proxy'] : [comp]
        pods.push({ ns, name: `${comp}-${r.str(9)}-${r.str(5)}`, node: r.pick(NODES).name, containers })
      }
      const podAt = (/** @type {number} */ i) => /** @type {import('./cluster.mjs').PodRef} */ (pods[i % pods.length])
      const base = `namespaces/${ns}`
      yield { rel: `${base}/${ns}.yaml`, make: text(namespaceYaml(ns)) }
      yield { rel: `${base}/core/pods.yaml`, make: fill((i) => podItem(podAt(i), r)) }
      yield { rel: `${base}/core/events.yaml`, make: fill((i) => eventItem(ns, podAt(i).name, r)) }
      yield { rel: `${base}/core/configmaps.yaml`, make: fill((i) => genericItem('v1', 'ConfigMap', ns, `${comp}-config${i ? '-' + i : ''}`, r)) }
      yield { rel: `${base}/core/services.yaml`, make: fill((i) => genericItem('v1', 'Service', ns, `${comp}${i ? '-' + i : ''}`, r)) }
      yield { rel: `${base}/core/endpoints.yaml`, make: fill((i) => genericItem('v1', 'Endpoints', ns, `${comp}${i ? '-' + i : ''}`, r)) }
      yield { rel: `${base}/core/persistentvolumeclaims.yaml`, make: text('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n') }
      for (const kind of ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet']) {
        yield { rel: `${base}/apps/${kind.toLowerCase()}s.yaml`, make: fill((i) => genericItem('apps/v1', kind, ns, `${comp}${i ? '-' + i : ''}`, r)) }
      }
      yield { rel: `${base}/batch/jobs.yaml`, make: text('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n') }
      yield { rel: `${base}/route.openshift.io/routes.yaml`, make: text('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n') }
      yield { rel: `${base}/monitoring.coreos.com/servicemonitors.yaml`, make: fill((i) => genericItem('monitoring.coreos.com/v1', 'ServiceMonitor', ns, `${comp}${i ? '-' + i : ''}`, r)) }
      yield { rel: `${base}/policy/poddisruptionbudgets.yaml`, make: fill((i) => genericItem('policy/v1', 'PodDisruptionBudget', ns, `${comp}-pdb${i ? '-' + i : ''}`, r)) }
      for (const pod of pods) {
        const podYaml = podItem(pod, r).replace(/^(?:- | {2})/gm, '')
        yield { rel: `${base}/pods/${pod.name}/${pod.name}.yaml`, make: text('---\n' + podYaml) }
        for (const c of pod.containers) {
          yield { rel: `${base}/pods/${pod.name}/${c}/${c}/logs/current.log`, logHeader: '' }
          yield { rel: `${base}/pods/${pod.name}/${c}/${c}/logs/previous.log`, logHeader: '' }
        }
      }
    }
  }
}

/**
 * Writes a log file of about `target` bytes cut from the shared log block at line boundaries.
 * @param {string} path
 * @param {number} target
 * @param {string} header
 * @param {Prng} r
 * @returns {number} bytes written
 */
function writeLogFile (path, target, header, r) {
  const block = getLogBlock()
  const fd = openSync(path, 'w')
  try {
    let written = header ? writeSync(fd, header) : 0
    let off = block.indexOf(10, r.int(block.length / 2)) + 1
    while (written < target) {
      const want = target - written
      let end = Math.min(block.length, off + want)
      if (end < block.length) {
        const nl = block.lastIndexOf(10, end - 1)
        end = nl >= off ? nl + 1 : block.indexOf(10, off) + 1
      }
      written += writeSync(fd, block, off, end - off)
      off = end >= block.length ? 0 : end
    }
    return written
  } finally {
    closeSync(fd)
  }
}

/**
 * @typedef {object} TreeSpec
 * @property {number} sizeBytes about how many bytes to write in total
 * @property {number | null} files exact number of files, or null for defaultFileCount(sizeBytes)
 * @property {string} seed makes names and content reproducible
 * @property {string} timestampText content of the image's own `timestamp` file
 * @property {boolean} archive also write must-gather.tar.gz of everything
 */

/**
 * @typedef {object} TreeStats
 * @property {number} bytes
 * @property {number} files
 */

/**
 * Writes the gathered tree under `root` and yields batches of rsync-style
 * entries (`dir/` for new directories, then file paths) as it goes. Yields to
 * the event loop between batches so that signals are handled promptly.
 * @param {string} root
 * @param {TreeSpec} spec
 * @param {TreeStats} stats updated as files are written
 * @returns {AsyncGenerator<string[]>}
 */
export async function * writeGatherTree (root, spec, stats) {
  const r = new Prng(spec.seed)
  const totalFiles = spec.files ?? defaultFileCount(spec.sizeBytes)
  const bigCount = spec.sizeBytes >= 8 * MiB ? clamp(Math.floor(spec.sizeBytes / (50 * MiB)), 1, 8) : 0
  const bigEach = bigCount > 0 ? Math.floor(spec.sizeBytes * 0.4 / bigCount) : 0
  // small files share what the big logs leave; each takes its share of what is
  // still left, so files that cannot grow (fixed YAML) are made up for later
  let smallBytesLeft = spec.sizeBytes - bigEach * bigCount
  let smallFilesLeft = Math.max(1, totalFiles - bigCount)
  let bigLeft = bigCount
  const dirs = new Set([''])
  /** @type {string[]} every entry, for the archive */
  const all = []
  /** @type {string[]} */
  let batch = []
  let batchBytes = 0
  let written = 0
  mkdirSync(root, { recursive: true })
  if (totalFiles > 0) {
    for (const slot of slotList(r, totalFiles, spec.timestampText)) {
      const dir = dirname(slot.rel)
      if (dir !== '.' && !dirs.has(dir)) {
        // one mkdir per new directory, parents first (no recursive probing)
        const missing = []
        for (let d = dir; d !== '.' && !dirs.has(d); d = dirname(d)) missing.push(d)
        for (const d of missing.reverse()) {
          mkdirSync(join(root, d))
          dirs.add(d)
          batch.push(d + '/')
          all.push(d + '/')
        }
      }
      const full = join(root, slot.rel)
      const target = Math.max(1, Math.round(Math.max(0, smallBytesLeft) / smallFilesLeft * (0.5 + r.next())))
      let bytes
      if (slot.logHeader !== undefined && bigLeft > 0) {
        bigLeft--
        bytes = writeLogFile(full, bigEach, slot.logHeader, r)
      } else {
        if (slot.logHeader !== undefined) {
          bytes = writeLogFile(full, target, slot.logHeader, r)
        } else {
          const content = slot.make ? slot.make(target) : ''
          writeFileSync(full, content)
          bytes = content.length
        }
        smallBytesLeft -= bytes
        smallFilesLeft = Math.max(1, smallFilesLeft - 1)
      }
      stats.bytes += bytes
      stats.files++
      batch.push(slot.rel)
      all.push(slot.rel)
      batchBytes += bytes
      if (++written >= totalFiles) break
      if (batch.length >= 256 || batchBytes >= 8 * MiB) {
        yield batch
        batch = []
        batchBytes = 0
        await nextTurn()
      }
    }
  }
  if (spec.archive) {
    if (batch.length > 0) {
      yield batch
      batch = []
    }
    const archive = join(root, 'must-gather.tar.gz')
    await writeTarGz(root, all, archive, 'must-gather/')
    stats.bytes += statSync(archive).size
    stats.files++
    batch.push('must-gather.tar.gz')
  }
  if (batch.length > 0) yield batch
}

/**
 * @param {number} n
 * @param {number} width field width including the terminating NUL
 */
function octal (n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0'
}

/**
 * A ustar header block, or null when the name cannot be stored in name+prefix.
 * @param {string} name
 * @param {number} size
 * @param {string} type '0' file, '5' directory, 'x' pax extended header
 * @param {number} mtime seconds
 * @returns {Buffer | null}
 */
function tarHeader (name, size, type, mtime) {
  let shortName = name
  let prefix = ''
  if (Buffer.byteLength(name) > 100) {
    let split = -1
    for (let i = 0; i < name.length; i++) {
      if (name[i] === '/' && Buffer.byteLength(name.slice(i + 1)) <= 100 && name.slice(i + 1) !== '') { split = i; break }
    }
    if (split === -1 || Buffer.byteLength(name.slice(0, split)) > 155) return null
    prefix = name.slice(0, split)
    shortName = name.slice(split + 1)
  }
  const b = Buffer.alloc(512)
  b.write(shortName, 0, 100, 'utf8')
  b.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii')
  b.write(octal(0, 8), 108, 'ascii')
  b.write(octal(0, 8), 116, 'ascii')
  b.write(octal(size, 12), 124, 'ascii')
  b.write(octal(mtime, 12), 136, 'ascii')
  b.write('        ', 148, 'ascii')
  b.write(type, 156, 'ascii')
  b.write('ustar\0', 257, 'ascii')
  b.write('00', 263, 'ascii')
  b.write('root', 265, 'ascii')
  b.write('root', 297, 'ascii')
  b.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const x of b) sum += x
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return b
}

/**
 * Writes a gzip'd ustar archive of `entries` (relative to root; directories end with '/').
 * @param {string} root
 * @param {string[]} entries
 * @param {string} outPath
 * @param {string} prefix path prefix inside the archive, e.g. `must-gather/`
 */
export async function writeTarGz (root, entries, outPath, prefix) {
  const gz = createGzip({ level: 1 })
  const ws = createWriteStream(outPath)
  gz.pipe(ws)
  const mtime = Math.floor(Date.now() / 1000)
  // small pieces (headers, small files, padding) are batched into ~1 MiB writes:
  // every write to the gzip stream is a round trip to the zlib thread pool
  /** @type {Buffer[]} */
  let pending = []
  let pendingLen = 0
  const flush = async () => {
    if (pendingLen === 0) return
    const buf = pending.length === 1 ? /** @type {Buffer} */ (pending[0]) : Buffer.concat(pending, pendingLen)
    pending = []
    pendingLen = 0
    if (!gz.write(buf)) await once(gz, 'drain')
  }
  const put = async (/** @type {Buffer} */ buf) => {
    pending.push(buf)
    pendingLen += buf.length
    if (pendingLen >= MiB) await flush()
  }
  const pad = async (/** @type {number} */ size) => {
    const rem = size % 512
    if (rem !== 0) await put(Buffer.alloc(512 - rem))
  }
  for (const rel of [prefix, ...entries.map((e) => prefix + e)]) {
    const isDir = rel.endsWith('/')
    const full = join(root, rel.slice(prefix.length))
    const size = isDir ? 0 : statSync(full).size
    let header = tarHeader(rel, size, isDir ? '5' : '0', mtime)
    if (header === null) {
      // pax extended header carrying the long path
      let record = ''
      const body = ` path=${rel}\n`
      for (let len = Buffer.byteLength(body) + 1; ; len++) {
        record = `${len}${body}`
        if (Buffer.byteLength(record) === len) break
      }
      const pax = Buffer.from(record)
      await put(/** @type {Buffer} */ (tarHeader('PaxHeader/' + rel.split('/').pop()?.slice(0, 80), pax.length, 'x', mtime)))
      await put(pax)
      await pad(pax.length)
      header = /** @type {Buffer} */ (tarHeader(rel.slice(-99).replace(/^\/+/, ''), size, isDir ? '5' : '0', mtime))
    }
    await put(header)
    if (isDir) continue
    if (size <= 8 * MiB) {
      await put(readFileSync(full))
    } else {
      const fd = openSync(full, 'r')
      try {
        for (let off = 0; off < size;) {
          const chunk = Buffer.allocUnsafe(Math.min(4 * MiB, size - off))
          const n = readSync(fd, chunk, 0, chunk.length, off)
          if (n <= 0) break
          await put(n === chunk.length ? chunk : chunk.subarray(0, n))
          off += n
        }
      } finally {
        closeSync(fd)
      }
    }
    await pad(size)
  }
  await put(Buffer.alloc(1024))
  await flush()
  gz.end()
  await finished(ws)
}

/**
 * Writes the data of the fall-back `oc adm inspect clusterversion...,clusteroperators...`
 * and `oc adm inspect namespace/openshift-cluster-version`.
 * @param {string} dir the inspect.local.<digits> directory
 * @param {string} timestampText
 */
export function writeInspect (dir, timestampText) {
  const r = new Prng(dir)
  /** @param {string} rel @param {string} content */
  const put = (rel, content) => {
    const full = join(dir, rel)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
  }
  put('timestamp', timestampText)
  put('cluster-scoped-resources/config.openshift.io/clusterversions/version.yaml', clusterVersionYaml().replace(/^apiVersion: v1\nitems:\n/, '').replace(/kind: List\nmetadata:\n {2}resourceVersion: ""\n$/, '').replace(/^(?:- | {2})/gm, ''))
  for (const op of OPERATORS) put(`cluster-scoped-resources/config.openshift.io/clusteroperators/${op}.yaml`, clusterOperatorYaml(op))
  const ns = 'openshift-cluster-version'
  const pod = { ns, name: `cluster-version-operator-${r.str(9)}-${r.str(5)}`, node: NODES[0]?.name ?? 'node', containers: ['cluster-version-operator'] }
  put(`namespaces/${ns}/${ns}.yaml`, namespaceYaml(ns))
  put(`namespaces/${ns}/core/pods.yaml`, yamlList([podItem(pod, r)]))
  put(`namespaces/${ns}/core/events.yaml`, yamlList([eventItem(ns, pod.name, r), eventItem(ns, pod.name, r)]))
  put(`namespaces/${ns}/core/configmaps.yaml`, yamlList([genericItem('v1', 'ConfigMap', ns, 'kube-root-ca.crt', r)]))
  put(`namespaces/${ns}/apps/deployments.yaml`, yamlList([genericItem('apps/v1', 'Deployment', ns, 'cluster-version-operator', r)]))
  put(`namespaces/${ns}/pods/${pod.name}/${pod.name}.yaml`, '---\n' + podItem(pod, r).replace(/^(?:- | {2})/gm, ''))
  const logs = join(dir, `namespaces/${ns}/pods/${pod.name}/cluster-version-operator/cluster-version-operator/logs`)
  mkdirSync(logs, { recursive: true })
  writeLogFile(join(logs, 'current.log'), 64 * 1024, '', r)
  writeEventFilter(dir)
}

/**
 * Writes event-filter.html: all gathered events on one page.
 * @param {string} dir
 */
export function writeEventFilter (dir) {
  const r = new Prng('events:' + dir)
  const rows = []
  for (let i = 0; i < 40; i++) {
    const ns = r.pick(NAMESPACES)
    const item = eventItem(ns, `${containerName(ns)}-${r.str(9)}-${r.str(5)}`, r)
    const get = (/** @type {string} */ k) => (new RegExp(`^ {2}${k}: (.*)$`, 'm').exec(item)?.[1] ?? '').replace(/^'|'$/g, '').replace(/^"|"$/g, '')
    rows.push(`      <tr class="${get('type') === 'Warning' ? 'warning' : 'normal'}"><td>${get('lastTimestamp')}</td><td>${ns}</td><td>${get('type')}</td><td>${get('reason')}</td><td>${get('message').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</td></tr>`)
  }
  rows.sort()
  writeFileSync(join(dir, 'event-filter.html'), `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Events</title>
  <style>
    body { font-family: sans-serif; font-size: 13px; }
    table { border-collapse: collapse; width: 100%; }
    td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
    tr.warning { background: #fff4e5; }
  </style>
</head>
<body>
  <h1>Events</h1>
  <input id="filter" placeholder="Filter events..." onkeyup="for (const tr of document.querySelectorAll('tbody tr')) tr.hidden = !tr.textContent.includes(this.value)">
  <table>
    <thead><tr><th>Time</th><th>Namespace</th><th>Type</th><th>Reason</th><th>Message</th></tr></thead>
    <tbody>
${rows.join('\n')}
    </tbody>
  </table>
</body>
</html>
`)
}
