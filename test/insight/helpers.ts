// Helpers for the summary tests: small gathered trees written to a temporary
// directory, and Kubernetes objects as the default image writes them.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

import { stringify } from 'yaml'

export async function withTempDir<T> (fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'insight-test-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Writes `files` (path relative to root → content) under root. */
export async function writeTree (root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const full = join(root, rel)
    await mkdir(dirname(full), { recursive: true })
    await writeFile(full, content)
  }
}

/** A `kind: List` as oc writes it (compact items at column 0). */
export function yamlList (items: object[], kind = 'List'): string {
  return stringify({ apiVersion: 'v1', items, kind, metadata: { resourceVersion: '' } }, { indentSeq: false })
}

export function yamlDoc (object: object): string {
  return '---\n' + stringify(object, { indentSeq: false })
}

const T = '2026-11-25T07:00:00Z'

export function condition (type: string, status: string, reason = 'AsExpected', message = ''): object {
  return { lastTransitionTime: T, message, reason, status, type }
}

export function clusterOperator (name: string, available = 'True', degraded = 'False', progressing = 'False', message = 'All is well'): object {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterOperator',
    metadata: { name },
    spec: {},
    status: {
      conditions: [condition('Degraded', degraded, degraded === 'True' ? 'SomethingBroke' : 'AsExpected', message), condition('Progressing', progressing), condition('Available', available, 'AsExpected', message)],
      versions: [{ name: 'operator', version: '4.17.3' }]
    }
  }
}

export function node (name: string, ready = 'True', pressure: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'node-role.kubernetes.io/worker': '' } },
    spec: { providerID: 'gce://project/us-central1-a/' + name },
    status: {
      conditions: [
        condition('MemoryPressure', pressure.MemoryPressure ?? 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', pressure.DiskPressure ?? 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', pressure.PIDPressure ?? 'False', 'KubeletHasSufficientPID'),
        condition('Ready', ready, ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', ready === 'True' ? 'kubelet is posting ready status' : 'PLEG is not healthy')
      ]
    }
  }
}

export interface ContainerSpec {
  name: string
  ready?: boolean
  restartCount?: number
  state?: object
  lastState?: object
}

export function pod (namespace: string, name: string, phase: string, containers: ContainerSpec[], extra: { ready?: string, reason?: string, init?: ContainerSpec[] } = {}): object {
  const status = (c: ContainerSpec) => ({
    name: c.name,
    image: 'quay.io/example/' + c.name,
    ready: c.ready ?? true,
    restartCount: c.restartCount ?? 0,
    started: true,
    state: c.state ?? { running: { startedAt: T } },
    lastState: c.lastState ?? {}
  })
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'quay.io/example/' + c.name })) },
    status: {
      phase,
      ...(extra.reason !== undefined && { reason: extra.reason }),
      conditions: [condition('Ready', extra.ready ?? (containers.every((c) => c.ready ?? true) ? 'True' : 'False'))],
      ...(extra.init !== undefined && { initContainerStatuses: extra.init.map(status) }),
      containerStatuses: containers.map(status)
    }
  }
}

export function event (namespace: string, name: string, reason: string, type: string | null, object: { kind: string, name: string }, count = 1, message = 'something happened'): object {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    count,
    involvedObject: { kind: object.kind, name: object.name, namespace },
    lastTimestamp: T,
    message,
    metadata: { name, namespace },
    reason,
    ...(type !== null && { type })
  }
}

export function pvc (namespace: string, name: string, phase: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { storageClassName: 'gp3-csi', resources: { requests: { storage: '10Gi' } } },
    status: { phase }
  }
}

export function clusterVersion (version: string, clusterID = 'c0ffee00-0000-4000-8000-000000000001'): object {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: { channel: 'stable-4.17', clusterID },
    status: {
      conditions: [condition('Available', 'True'), condition('Failing', 'False'), condition('Progressing', 'False')],
      desired: { version },
      history: [{ state: 'Completed', version }]
    }
  }
}
