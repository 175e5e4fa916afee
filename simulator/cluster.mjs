// @ts-check
// The simulated OpenShift cluster: versions, nodes, operators, namespaces,
// the summary oc prints, and renderers for the resource files a gather writes.
import { createHash } from 'node:crypto'

export const CLIENT_VERSION = '4.17.0'
export const KUSTOMIZE_VERSION = 'v5.0.4-0.20230601165947-6ce0bf390ce3'
export const CLUSTER_VERSION = '4.17.3'
export const KUBERNETES_VERSION = 'v1.30.5'
export const CLUSTER_ID = '6e1c2f4a-8b3d-4e5f-9a7b-1c2d3e4f5a6b'
export const API_SERVER = 'https://api.sim.example.com:6443'
const RELEASE_IMAGE = 'quay.io/openshift-release-dev/ocp-release@sha256:' + createHash('sha256').update('release-4.17.3').digest('hex')

/** The summary oc prints at the start and again at the end of a run. */
export function summaryLines () {
  return [
    'When opening a support case, bugzilla, or issue please include the following summary data along with any other requested information:',
    `ClusterID: ${CLUSTER_ID}`,
    `ClientVersion: ${CLIENT_VERSION}`,
    `ClusterVersion: Stable at "${CLUSTER_VERSION}"`,
    'ClusterOperators:',
    '\tAll healthy and stable'
  ]
}

/**
 * @typedef {object} SimNode
 * @property {string} name
 * @property {'master' | 'worker'} role
 * @property {string} ip
 * @property {string} zone
 * @property {Record<string, string>} labels
 */

/**
 * @param {string} ip
 * @param {'master' | 'worker'} role
 * @param {string} zone
 * @returns {SimNode}
 */
function node (ip, role, zone) {
  const name = `ip-${ip.replaceAll('.', '-')}.us-east-2.compute.internal`
  /** @type {Record<string, string>} */
  const labels = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name.split('.')[0] ?? name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': role === 'master' ? 'm6i.xlarge' : 'm6i.2xlarge',
    'node.openshift.io/os_id': 'rhcos',
    'topology.kubernetes.io/region': 'us-east-2',
    'topology.kubernetes.io/zone': zone
  }
  if (role === 'master') {
    labels['node-role.kubernetes.io/master'] = ''
    labels['node-role.kubernetes.io/control-plane'] = ''
  } else {
    labels['node-role.kubernetes.io/worker'] = ''
  }
  return { name, role, ip, zone, labels }
}

export const NODES = [
  node('10.0.12.147', 'master', 'us-east-2a'),
  node('10.0.45.201', 'master', 'us-east-2b'),
  node('10.0.77.19', 'master', 'us-east-2c'),
  node('10.0.23.88', 'worker', 'us-east-2a'),
  node('10.0.61.132', 'worker', 'us-east-2b')
]

/**
 * Nodes matching a Kubernetes label selector (=, ==, !=, in, notin, exists, !exists).
 * @param {string} selector
 * @returns {{ nodes: SimNode[] } | { error: string }}
 */
export function selectNodes (selector) {
  /** @type {string[]} */
  const reqs = []
  let depth = 0
  let cur = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) { reqs.push(cur); cur = '' } else cur += ch
  }
  reqs.push(cur)
  const key = '[A-Za-z0-9][-A-Za-z0-9_./]*'
  const value = '[A-Za-z0-9]?(?:[-A-Za-z0-9_.]*[A-Za-z0-9])?'
  /** @type {((labels: Record<string, string>) => boolean)[]} */
  const tests = []
  for (const raw of reqs) {
    const r = raw.trim()
    let m
    if ((m = new RegExp(`^!\\s*(${key})$`).exec(r))) {
      const k = m[1] ?? ''
      tests.push((l) => !(k in l))
    } else if ((m = new RegExp(`^(${key})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(r))) {
      const k = m[1] ?? ''
      const set = (m[3] ?? '').split(',').map((x) => x.trim())
      const neg = m[2] === 'notin'
      tests.push((l) => neg ? !(k in l && set.includes(l[k] ?? '')) : (k in l && set.includes(l[k] ?? '')))
    } else if ((m = new RegExp(`^(${key})\\s*(==|=|!=)\\s*(${value})$`).exec(r))) {
      const k = m[1] ?? ''
      const val = m[3] ?? ''
      const neg = m[2] === '!='
      tests.push((l) => neg ? l[k] !== val : l[k] === val)
    } else if ((m = new RegExp(`^(${key})$`).exec(r))) {
      const k = m[1] ?? ''
      tests.push((l) => k in l)
    } else {
      return { error: `unable to parse requirement: invalid label selector ${JSON.stringify(selector)}` }
    }
  }
  return { nodes: NODES.filter((n) => tests.every((t) => t(n.labels))) }
}

export const OPERATORS = [
  'authentication', 'baremetal', 'cloud-controller-manager', 'cloud-credential', 'cluster-autoscaler',
  'config-operator', 'console', 'control-plane-machine-set', 'csi-snapshot-controller', 'dns', 'etcd',
  'image-registry', 'ingress', 'insights', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler',
  'kube-storage-version-migrator', 'machine-api', 'machine-approver', 'machine-config', 'marketplace',
  'monitoring', 'network', 'node-tuning', 'olm', 'openshift-apiserver', 'openshift-controller-manager',
  'openshift-samples', 'operator-lifecycle-manager', 'operator-lifecycle-manager-catalog',
  'operator-lifecycle-manager-packageserver', 'service-ca', 'storage'
]

export const NAMESPACES = [
  'openshift-apiserver', 'openshift-apiserver-operator', 'openshift-authentication', 'openshift-authentication-operator',
  'openshift-cloud-controller-manager', 'openshift-cloud-credential-operator', 'openshift-cluster-csi-drivers',
  'openshift-cluster-machine-approver', 'openshift-cluster-node-tuning-operator', 'openshift-cluster-samples-operator',
  'openshift-cluster-storage-operator', 'openshift-cluster-version', 'openshift-config-operator', 'openshift-console',
  'openshift-console-operator', 'openshift-controller-manager', 'openshift-controller-manager-operator', 'openshift-dns',
  'openshift-dns-operator', 'openshift-etcd', 'openshift-etcd-operator', 'openshift-image-registry', 'openshift-ingress',
  'openshift-ingress-canary', 'openshift-ingress-operator', 'openshift-insights', 'openshift-kube-apiserver',
  'openshift-kube-apiserver-operator', 'openshift-kube-controller-manager', 'openshift-kube-controller-manager-operator',
  'openshift-kube-scheduler', 'openshift-kube-scheduler-operator', 'openshift-kube-storage-version-migrator',
  'openshift-kube-storage-version-migrator-operator', 'openshift-machine-api', 'openshift-machine-config-operator',
  'openshift-marketplace', 'openshift-monitoring', 'openshift-multus', 'openshift-network-diagnostics',
  'openshift-network-node-identity', 'openshift-network-operator', 'openshift-oauth-apiserver',
  'openshift-operator-lifecycle-manager', 'openshift-ovn-kubernetes', 'openshift-service-ca',
  'openshift-service-ca-operator', 'default', 'kube-system'
]

/** Small deterministic PRNG (mulberry32) so generated content is reproducible per image. */
export class Prng {
  /** @param {string} seed */
  constructor (seed) {
    this.state = createHash('sha256').update(seed).digest().readUInt32LE(0)
  }

  /** @returns {number} in [0, 1) */
  next () {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** @param {number} n */
  int (n) {
    return Math.floor(this.next() * n)
  }

  /**
   * @param {number} n
   * @param {string} [alphabet]
   */
  str (n, alphabet = 'bcdfghjklmnpqrstvwxz2456789') {
    let s = ''
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)]
    return s
  }

  hex (/** @type {number} */ n) {
    return this.str(n, '0123456789abcdef')
  }

  uuid () {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`
  }

  /**
   * @template T
   * @param {T[]} list
   * @returns {T}
   */
  pick (list) {
    return /** @type {T} */ (list[this.int(list.length)])
  }
}

const CREATED = '2026-11-20T09:14:02Z'

/**
 * @typedef {object} PodRef
 * @property {string} ns
 * @property {string} name
 * @property {string} node
 * @property {string[]} containers
 */

/**
 * One Pod object, indented as a list item.
 * @param {PodRef} pod
 * @param {Prng} r
 */
export function podItem (pod, r) {
  const app = pod.containers[0] ?? 'app'
  const ip = `10.12${r.int(10)}.${r.int(4)}.${2 + r.int(250)}`
  const containers = pod.containers.map((c) => `    - image: quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${r.hex(64)}
      imagePullPolicy: IfNotPresent
      name: ${c}
      resources:
        requests:
          cpu: 10m
          memory: 50Mi
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: FallbackToLogsOnError
`).join('')
  const statuses = pod.containers.map((c) => `    - containerID: cri-o://${r.hex(64)}
      image: quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${r.hex(64)}
      name: ${c}
      ready: true
      restartCount: ${r.int(3)}
      started: true
      state:
        running:
          startedAt: "${CREATED}"
`).join('')
  return `- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      k8s.ovn.org/pod-networks: '{"default":{"ip_addresses":["${ip}/23"],"mac_address":"0a:58:0a:80:00:${r.hex(2)}","routes":[{"dest":"10.128.0.0/14","nextHop":"10.128.0.1"}],"ip_address":"${ip}/23","role":"primary"}}'
      openshift.io/scc: restricted-v2
      seccomp.security.alpha.kubernetes.io/pod: runtime/default
    creationTimestamp: "${CREATED}"
    labels:
      app: ${app}
      pod-template-hash: ${r.str(10)}
    name: ${pod.name}
    namespace: ${pod.ns}
    resourceVersion: "${10000 + r.int(900000)}"
    uid: ${r.uuid()}
  spec:
    containers:
${containers}    dnsPolicy: ClusterFirst
    nodeName: ${pod.node}
    priorityClassName: system-cluster-critical
    restartPolicy: Always
    schedulerName: default-scheduler
    serviceAccountName: ${app}
  status:
    conditions:
    - lastTransitionTime: "${CREATED}"
      status: "True"
      type: Ready
    containerStatuses:
${statuses}    hostIP: ${r.pick(NODES).ip}
    phase: Running
    podIP: ${ip}
    qosClass: Burstable
    startTime: "${CREATED}"
`
}

const EVENT_REASONS = [
  ['Normal', 'Scheduled', 'Successfully assigned %s to %n'],
  ['Normal', 'Pulled', 'Container image already present on machine'],
  ['Normal', 'Created', 'Created container %c'],
  ['Normal', 'Started', 'Started container %c'],
  ['Warning', 'ProbeError', 'Readiness probe error: Get "https://10.128.0.23:8443/healthz": context deadline exceeded'],
  ['Normal', 'LeaderElection', '%s became leader'],
  ['Warning', 'BackOff', 'Back-off restarting failed container %c in pod %s']
]

/**
 * One Event object, indented as a list item.
 * @param {string} ns
 * @param {string} podName
 * @param {Prng} r
 */
export function eventItem (ns, podName, r) {
  const [type, reason, msg] = r.pick(EVENT_REASONS)
  const message = (msg ?? '').replace('%s', `${ns}/${podName}`).replace('%n', r.pick(NODES).name).replace('%c', podName.split('-')[0] ?? podName)
  return `- apiVersion: v1
  count: ${1 + r.int(20)}
  eventTime: null
  firstTimestamp: "2026-11-25T07:${String(10 + r.int(49)).padStart(2, '0')}:${String(r.int(60)).padStart(2, '0')}Z"
  involvedObject:
    apiVersion: v1
    kind: Pod
    name: ${podName}
    namespace: ${ns}
    uid: ${r.uuid()}
  kind: Event
  lastTimestamp: "2026-11-25T07:59:${String(r.int(60)).padStart(2, '0')}Z"
  message: '${message}'
  metadata:
    creationTimestamp: "2026-11-25T07:00:00Z"
    name: ${podName}.${r.hex(16)}
    namespace: ${ns}
    resourceVersion: "${10000 + r.int(900000)}"
    uid: ${r.uuid()}
  reason: ${reason}
  reportingComponent: kubelet
  source:
    component: kubelet
    host: ${r.pick(NODES).name}
  type: ${type}
`
}

/**
 * A generic namespaced object of some kind, indented as a list item.
 * @param {string} apiVersion
 * @param {string} kind
 * @param {string} ns
 * @param {string} name
 * @param {Prng} r
 */
export function genericItem (apiVersion, kind, ns, name, r) {
  let body
  switch (kind) {
    case 'ConfigMap':
      body = `  data:
    config.yaml: |
      apiVersion: operator.openshift.io/v1alpha1
      kind: GenericOperatorConfig
      servingInfo:
        bindAddress: 0.0.0.0:8443
        certFile: /var/run/secrets/serving-cert/tls.crt
        keyFile: /var/run/secrets/serving-cert/tls.key
      leaderElection:
        namespace: ${ns}
`
      break
    case 'Service':
    case 'Endpoints':
      body = `  spec:
    clusterIP: 172.30.${r.int(255)}.${r.int(255)}
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ports:
    - name: https
      port: 443
      protocol: TCP
      targetPort: 8443
    selector:
      app: ${name}
    sessionAffinity: None
    type: ClusterIP
`
      break
    default:
      body = `  spec:
    replicas: ${1 + r.int(3)}
    selector:
      matchLabels:
        app: ${name}
    template:
      metadata:
        labels:
          app: ${name}
      spec:
        containers:
        - image: quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${r.hex(64)}
          name: ${name}
        priorityClassName: system-cluster-critical
  status:
    availableReplicas: ${1 + r.int(3)}
    observedGeneration: ${1 + r.int(9)}
    readyReplicas: ${1 + r.int(3)}
`
  }
  return `- apiVersion: ${apiVersion}
  kind: ${kind}
  metadata:
    creationTimestamp: "${CREATED}"
    generation: ${1 + r.int(9)}
    labels:
      app: ${name}
    name: ${name}
    namespace: ${ns}
    resourceVersion: "${10000 + r.int(900000)}"
    uid: ${r.uuid()}
${body}`
}

/**
 * Wraps list items into a `kind: List` YAML document.
 * @param {string[]} items
 */
export function yamlList (items) {
  return 'apiVersion: v1\nitems:\n' + items.join('') + 'kind: List\nmetadata:\n  resourceVersion: ""\n'
}

/** @param {string} ns */
export function namespaceYaml (ns) {
  return `---
apiVersion: v1
kind: Namespace
metadata:
  annotations:
    openshift.io/node-selector: ""
    openshift.io/sa.scc.mcs: s0:c${ns.length},c${ns.length + 5}
    openshift.io/sa.scc.supplemental-groups: 1000${ns.length}0000/10000
    openshift.io/sa.scc.uid-range: 1000${ns.length}0000/10000
    workload.openshift.io/allowed: management
  creationTimestamp: "${CREATED}"
  labels:
    kubernetes.io/metadata.name: ${ns}
    openshift.io/cluster-monitoring: "true"
    pod-security.kubernetes.io/audit: privileged
    pod-security.kubernetes.io/enforce: privileged
    pod-security.kubernetes.io/warn: privileged
  name: ${ns}
  resourceVersion: "${ns.length * 731}"
  uid: ${createHash('md5').update(ns).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}
spec:
  finalizers:
  - kubernetes
status:
  phase: Active
`
}

/** @param {SimNode} n */
export function nodeYaml (n) {
  const labels = Object.entries(n.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `    ${k}: "${v}"`).join('\n')
  return `---
apiVersion: v1
kind: Node
metadata:
  annotations:
    machine.openshift.io/machine: openshift-machine-api/sim-${n.role}-${n.zone}
    machineconfiguration.openshift.io/currentConfig: rendered-${n.role}-5f0e8c3a8f0a4d7bb0e7a3b1c2d4e6f8
    machineconfiguration.openshift.io/state: Done
    volumes.kubernetes.io/controller-managed-attach-detach: "true"
  creationTimestamp: "2026-11-20T08:52:11Z"
  labels:
${labels}
  name: ${n.name}
  resourceVersion: "${n.ip.length * 1931}"
spec:
  providerID: aws:///${n.zone}/i-0${createHash('md5').update(n.name).digest('hex').slice(0, 16)}
${n.role === 'master' ? '  taints:\n  - effect: NoSchedule\n    key: node-role.kubernetes.io/master\n' : ''}status:
  addresses:
  - address: ${n.ip}
    type: InternalIP
  - address: ${n.name}
    type: Hostname
  allocatable:
    cpu: 3500m
    ephemeral-storage: "114396791822"
    memory: 15225804Ki
    pods: "250"
  capacity:
    cpu: "4"
    ephemeral-storage: 125238252Ki
    memory: 16376780Ki
    pods: "250"
  conditions:
  - lastHeartbeatTime: "2026-11-25T07:59:30Z"
    lastTransitionTime: "2026-11-20T08:54:03Z"
    message: kubelet has sufficient memory available
    reason: KubeletHasSufficientMemory
    status: "False"
    type: MemoryPressure
  - lastHeartbeatTime: "2026-11-25T07:59:30Z"
    lastTransitionTime: "2026-11-20T08:55:41Z"
    message: kubelet is posting ready status
    reason: KubeletReady
    status: "True"
    type: Ready
  nodeInfo:
    architecture: amd64
    containerRuntimeVersion: cri-o://1.30.6-3.rhaos4.17.gitb1d1d31.el9
    kernelVersion: 5.14.0-427.40.1.el9_4.x86_64
    kubeProxyVersion: ${KUBERNETES_VERSION}
    kubeletVersion: ${KUBERNETES_VERSION}
    operatingSystem: linux
    osImage: Red Hat Enterprise Linux CoreOS 417.94.202410211619-0
`
}

export function clusterVersionYaml () {
  return `apiVersion: v1
items:
- apiVersion: config.openshift.io/v1
  kind: ClusterVersion
  metadata:
    creationTimestamp: "2026-11-20T08:41:17Z"
    generation: 3
    name: version
    resourceVersion: "412877"
    uid: 0b8d0a1e-7c3f-4e8a-9f21-5d6b7c8e9f01
  spec:
    channel: stable-4.17
    clusterID: ${CLUSTER_ID}
  status:
    availableUpdates: null
    conditions:
    - lastTransitionTime: "2026-11-20T09:20:43Z"
      message: Done applying ${CLUSTER_VERSION}
      status: "True"
      type: Available
    - lastTransitionTime: "2026-11-20T09:20:43Z"
      status: "False"
      type: Failing
    - lastTransitionTime: "2026-11-20T09:20:43Z"
      message: Cluster version is ${CLUSTER_VERSION}
      status: "False"
      type: Progressing
    desired:
      image: ${RELEASE_IMAGE}
      version: ${CLUSTER_VERSION}
    history:
    - completionTime: "2026-11-20T09:20:43Z"
      image: ${RELEASE_IMAGE}
      startedTime: "2026-11-20T08:41:17Z"
      state: Completed
      verified: false
      version: ${CLUSTER_VERSION}
    observedGeneration: 3
    versionHash: Jv8sH1kP7yA=
kind: List
metadata:
  resourceVersion: ""
`
}

/** @param {string} name */
export function clusterOperatorYaml (name) {
  return `---
apiVersion: config.openshift.io/v1
kind: ClusterOperator
metadata:
  annotations:
    include.release.openshift.io/self-managed-high-availability: "true"
  creationTimestamp: "2026-11-20T08:41:59Z"
  generation: 1
  name: ${name}
  resourceVersion: "${name.length * 4099}"
spec: {}
status:
  conditions:
  - lastTransitionTime: "2026-11-20T09:02:11Z"
    message: All is well
    reason: AsExpected
    status: "False"
    type: Degraded
  - lastTransitionTime: "2026-11-20T09:18:30Z"
    message: 'AvailableWorkloads: ${name} is available'
    reason: AsExpected
    status: "False"
    type: Progressing
  - lastTransitionTime: "2026-11-20T09:05:12Z"
    message: All is well
    reason: AsExpected
    status: "True"
    type: Available
  - lastTransitionTime: "2026-11-20T08:59:44Z"
    reason: AsExpected
    status: "True"
    type: Upgradeable
  versions:
  - name: operator
    version: ${CLUSTER_VERSION}
`
}

/**
 * A block of log lines in the klog format of OpenShift components, used to
 * fill log files of any size quickly (the buffer is reused, never rebuilt).
 * @param {number} bytes
 * @returns {Buffer}
 */
export function buildLogBlock (bytes) {
  const r = new Prng('log-block')
  const files = ['controller.go', 'reflector.go', 'event.go', 'base_controller.go', 'leaderelection.go', 'shared_informer.go', 'cert_rotation.go']
  const msgs = [
    '"Observed a change" resource="deployments" namespace="%n"',
    'Caches are synced for %n controller',
    'successfully renewed lease %n/%n-lock',
    '"Reconciling" controller="status" name="cluster" generation=%d',
    'Event(v1.ObjectReference{Kind:"Deployment", Namespace:"%n", Name:"%n"}): type: \'Normal\' reason: \'DeploymentUpdated\' Updated Deployment.apps/%n',
    'Watch close - *v1.ConfigMap total %d items received',
    'Starting #1 worker of %n controller ...',
    '"Request" verb="GET" URI="/readyz" latency="%dms" userAgent="kube-probe/1.30" audit-ID="%u" srcIP="10.0.12.147:48312" resp=200'
  ]
  const parts = []
  let len = 0
  let sec = 0
  while (len < bytes) {
    sec = (sec + r.int(3)) % 3600
    const hh = String(7 + Math.floor(sec / 3600)).padStart(2, '0')
    const mm = String(Math.floor(sec / 60) % 60).padStart(2, '0')
    const ss = String(sec % 60).padStart(2, '0')
    const frac = r.str(9, '0123456789')
    const ns = r.pick(NAMESPACES)
    const msg = r.pick(msgs).replaceAll('%n', ns).replaceAll('%d', String(r.int(5000))).replace('%u', r.uuid())
    const level = r.int(20) === 0 ? 'W' : 'I'
    const line = `2026-11-25T${hh}:${mm}:${ss}.${frac}Z ${level}1125 ${hh}:${mm}:${ss}.${frac.slice(0, 6)}       1 ${r.pick(files)}:${100 + r.int(900)}] ${msg}\n`
    parts.push(line)
    len += line.length
  }
  return Buffer.from(parts.join(''))
}
