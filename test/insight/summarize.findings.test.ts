// The summary's findings, one kind at a time, on small hand-written trees in
// the default image's layout: operators, nodes, pods, events, PVCs, cluster identity.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { DirectoryTreeSource, summarize } from '../../src/insight/index.js'
import {
  clusterOperator, clusterVersion, event, node, pod, pvc, withTempDir, writeTree, yamlDoc, yamlList
} from './helpers.js'

const IMAGE = 'must-gather.local.1/quay-io-example-must-gather-sha256-0a1b'
const CS = `${IMAGE}/cluster-scoped-resources`
const ns = (name: string) => `${IMAGE}/namespaces/${name}`

/** The summary, checked to be the same when every list item is parsed (no skipping by text). */
async function summarizeTree (files: Record<string, string>) {
  return await withTempDir(async (dir) => {
    await writeTree(dir, files)
    const summary = await summarize(new DirectoryTreeSource(dir + '/must-gather.local.1'))
    assert.deepEqual(await summarize(new DirectoryTreeSource(dir + '/must-gather.local.1'), { textFilters: false }), summary)
    return summary
  })
}

describe('summary findings', () => {
  test('cluster identity from ClusterVersion and Infrastructure, with their files', async () => {
    const s = await summarizeTree({
      [`${CS}/config.openshift.io/clusterversions/version.yaml`]: yamlDoc(clusterVersion('4.16.9', 'aaaa-bbbb')),
      [`${CS}/config.openshift.io/infrastructures/cluster.yaml`]: yamlDoc({ apiVersion: 'config.openshift.io/v1', kind: 'Infrastructure', metadata: { name: 'cluster' }, status: { platformStatus: { type: 'BareMetal' }, infrastructureName: 'lab-x7' } })
    })
    assert.equal(s.cluster.id, 'aaaa-bbbb')
    assert.equal(s.cluster.version, '4.16.9')
    assert.equal(s.cluster['version-state'], 'Stable')
    assert.equal(s.cluster.channel, 'stable-4.17')
    assert.equal(s.cluster['id-source'], `${CS}/config.openshift.io/clusterversions/version.yaml`)
    assert.equal(s.cluster.platform, 'BareMetal')
    assert.equal(s.cluster['platform-source'], `${CS}/config.openshift.io/infrastructures/cluster.yaml`)
    assert.equal(s.cluster['infrastructure-name'], 'lab-x7')
    assert.deepEqual(s.coverage['image-dirs'], [IMAGE])
  })

  test('an update in progress: the completed version, the desired one, and the Progressing condition', async () => {
    const cv = clusterVersion('4.17.3') as { status: Record<string, unknown> }
    cv.status.desired = { version: '4.17.5' }
    cv.status.history = [{ state: 'Partial', version: '4.17.5' }, { state: 'Completed', version: '4.17.3' }]
    cv.status.conditions = [{ type: 'Progressing', status: 'True', message: 'Working towards 4.17.5: 512 of 889 done' }, { type: 'Failing', status: 'True', reason: 'ClusterOperatorDegraded', message: 'Cluster operator etcd is degraded' }]
    const s = await summarizeTree({ [`${CS}/config.openshift.io/clusterversions.yaml`]: yamlList([cv]) })
    assert.equal(s.cluster.version, '4.17.3')
    assert.equal(s.cluster['desired-version'], '4.17.5')
    assert.equal(s.cluster['version-state'], 'Updating')
    assert.deepEqual(s.cluster['version-conditions'].map((c) => c.type).sort(), ['Failing', 'Progressing'])
  })

  test('operators not Available, Degraded or Progressing, with their messages; healthy ones are counted only', async () => {
    const dir = `${CS}/config.openshift.io/clusteroperators`
    const s = await summarizeTree({
      [`${dir}/etcd.yaml`]: yamlDoc(clusterOperator('etcd', 'True', 'True', 'False', 'EtcdMembersDegraded: 2 of 3 members are available')),
      [`${dir}/console.yaml`]: yamlDoc(clusterOperator('console', 'False', 'False', 'False', 'RouteHealthAvailable: route not yet available')),
      [`${dir}/network.yaml`]: yamlDoc(clusterOperator('network', 'True', 'False', 'True', 'DaemonSet "ovnkube-node" is rolling out')),
      [`${dir}/dns.yaml`]: yamlDoc(clusterOperator('dns'))
    })
    assert.equal(s['cluster-operators'].total, 4)
    const byName = Object.fromEntries(s['cluster-operators'].problems.map((p) => [p.name, p]))
    assert.deepEqual(Object.keys(byName).sort(), ['console', 'etcd', 'network'])
    assert.deepEqual(byName.etcd?.problems, ['Degraded'])
    assert.equal(byName.etcd?.conditions[0]?.message, 'EtcdMembersDegraded: 2 of 3 members are available')
    assert.equal(byName.etcd?.source, `${dir}/etcd.yaml`)
    assert.deepEqual(byName.console?.problems, ['NotAvailable'])
    assert.equal(byName.console?.available, 'False')
    assert.deepEqual(byName.network?.problems, ['Progressing'])
    // not available first
    assert.equal(s['cluster-operators'].problems[0]?.name, 'console')
  })

  test('the list file and the per-object files of one directory are one source, read once', async () => {
    const dir = `${CS}/config.openshift.io`
    const s = await summarizeTree({
      [`${dir}/clusteroperators.yaml`]: yamlList([clusterOperator('etcd', 'True', 'True'), clusterOperator('dns')]),
      [`${dir}/clusteroperators/etcd.yaml`]: yamlDoc(clusterOperator('etcd', 'True', 'True')),
      [`${dir}/clusteroperators/dns.yaml`]: yamlDoc(clusterOperator('dns'))
    })
    assert.equal(s['cluster-operators'].total, 2)
    assert.equal(s['cluster-operators'].problems.length, 1)
    assert.equal(s['cluster-operators'].problems[0]?.source, `${dir}/clusteroperators.yaml`)
    assert.equal(s.coverage.sections['cluster-operators']?.['files-read'], 1)
  })

  test('nodes not Ready or under pressure', async () => {
    const dir = `${CS}/core/nodes`
    const s = await summarizeTree({
      [`${dir}/a.yaml`]: yamlDoc(node('a')),
      [`${dir}/b.yaml`]: yamlDoc(node('b', 'False')),
      [`${dir}/c.yaml`]: yamlDoc(node('c', 'Unknown')),
      [`${dir}/d.yaml`]: yamlDoc(node('d', 'True', { DiskPressure: 'True', MemoryPressure: 'True' }))
    })
    assert.equal(s.nodes.total, 4)
    const byName = Object.fromEntries(s.nodes.problems.map((n) => [n.name, n]))
    assert.deepEqual(Object.keys(byName).sort(), ['b', 'c', 'd'])
    assert.deepEqual(byName.b?.problems, ['NotReady'])
    assert.equal(byName.b?.conditions[0]?.message, 'PLEG is not healthy')
    assert.equal(byName.c?.ready, 'Unknown')
    assert.deepEqual(byName.d?.problems.sort(), ['DiskPressure', 'MemoryPressure'])
    assert.deepEqual(byName.d?.roles, ['worker'])
    assert.equal(byName.d?.source, `${dir}/d.yaml`)
    // no Infrastructure gathered: the platform comes from a node's providerID
    assert.equal(s.cluster.platform, 'GCP')
    assert.equal(s.cluster['platform-source'], `${dir}/a.yaml`)
  })

  test('problem pods: phase, readiness, CrashLoopBackOff, ImagePullBackOff, Error, restarts; healthy and completed pods are not', async () => {
    const pods = [
      pod('app', 'healthy', 'Running', [{ name: 'web' }]),
      pod('app', 'done', 'Succeeded', [{ name: 'job', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }], { ready: 'False' }),
      pod('app', 'crash', 'Running', [{ name: 'web', ready: false, restartCount: 17, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }]),
      pod('app', 'pull', 'Pending', [{ name: 'web', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }]),
      pod('app', 'broken', 'Failed', [{ name: 'web', ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } }]),
      pod('app', 'unready', 'Running', [{ name: 'web', ready: false }]),
      pod('app', 'restarted', 'Running', [{ name: 'web', restartCount: 3, lastState: { terminated: { exitCode: 255, reason: 'Error' } } }]),
      pod('app', 'init-ok', 'Running', [{ name: 'web' }], { init: [{ name: 'setup', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      pod('app', 'evicted', 'Failed', [], { reason: 'Evicted' }),
      pod('app', 'scheduling', 'Pending', [], { ready: 'False' })
    ]
    const s = await summarizeTree({ [`${ns('app')}/core/pods.yaml`]: yamlList(pods, 'PodList') })
    assert.equal(s.pods.total, pods.length)
    const key = (p: { pod: string, container: string | null }) => `${p.pod}/${p.container ?? '-'}`
    const byKey = Object.fromEntries(s.pods.problems.map((p) => [key(p), p]))
    assert.deepEqual(Object.keys(byKey).sort(), ['broken/-', 'broken/web', 'crash/web', 'evicted/-', 'pull/-', 'pull/web', 'restarted/web', 'scheduling/-', 'unready/web'])
    const crash = byKey['crash/web']
    assert.deepEqual(crash?.problems.sort(), ['CrashLoopBackOff', 'NotReady', 'Restarted'])
    assert.equal(crash?.reason, 'CrashLoopBackOff')
    assert.equal(crash?.['restart-count'], 17)
    assert.equal(crash?.['last-exit-code'], 137)
    assert.equal(crash?.['last-termination-reason'], 'OOMKilled')
    assert.equal(crash?.namespace, 'app')
    assert.equal(crash?.source, `${ns('app')}/core/pods.yaml`)
    assert.deepEqual(byKey['pull/web']?.problems, ['ImagePullBackOff'])
    assert.deepEqual(byKey['pull/-']?.problems, ['NotRunning'])
    assert.equal(byKey['pull/-']?.reason, 'Pending')
    assert.deepEqual(byKey['broken/web']?.problems, ['Error'])
    assert.equal(byKey['broken/web']?.['last-exit-code'], 2)
    assert.deepEqual(byKey['unready/web']?.problems, ['NotReady'])
    assert.deepEqual(byKey['restarted/web']?.problems, ['Restarted'])
    assert.equal(byKey['restarted/web']?.['last-exit-code'], 255)
    assert.equal(byKey['evicted/-']?.reason, 'Evicted')
    // the most serious first
    assert.equal(s.pods.problems[0]?.pod, 'crash')
  })

  test('pod findings beyond the limit are counted, not listed', async () => {
    const pods = Array.from({ length: 30 }, (_, i) => pod('busy', `p${i}`, 'Running', [{ name: 'c', restartCount: i + 1 }]))
    const s = await withTempDir(async (dir) => {
      await writeTree(dir, { 'mg/ns/namespaces/busy/core/pods.yaml': yamlList(pods) })
      return await summarize(new DirectoryTreeSource(dir + '/mg'), { maxPodProblems: 10 })
    })
    assert.equal(s.pods.problems.length, 10)
    assert.equal(s.pods['problems-omitted'], 20)
    assert.equal(s.pods.problems[0]?.['restart-count'], 30)
  })

  test('warning events grouped by reason and object, top N with counts; normal ones left out', async () => {
    const pods = { kind: 'Pod', name: 'web-1' }
    const s = await withTempDir(async (dir) => {
      await writeTree(dir, {
        [`mg/${ns('a').slice('must-gather.local.1/'.length)}/core/events.yaml`]: yamlList([
          event('a', 'e1', 'BackOff', 'Warning', pods, 40, 'Back-off restarting failed container'),
          event('a', 'e2', 'BackOff', 'Warning', pods, 2, 'Back-off restarting failed container again'),
          event('a', 'e3', 'Unhealthy', 'Warning', pods, 5),
          event('a', 'e4', 'Pulled', 'Normal', pods, 100),
          event('a', 'e5', 'FailedMount', 'Warning', { kind: 'Pod', name: 'db-0' }, 1)
        ]),
        [`mg/${ns('b').slice('must-gather.local.1/'.length)}/core/events.yaml`]: yamlList([
          event('b', 'e1', 'BackOff', 'Warning', { kind: 'Pod', name: 'api-7' }, 3)
        ])
      })
      return await summarize(new DirectoryTreeSource(dir + '/mg'), { topEvents: 2 })
    })
    const w = s['warning-events']
    assert.equal(w.events, 5)
    assert.equal(w.occurrences, 40 + 2 + 5 + 1 + 3)
    assert.equal(w.groups.length, 2)
    assert.equal(w['groups-omitted'], 2)
    assert.deepEqual(w.groups.map((g) => [g.reason, g['object-name'], g.count, g.events]), [['BackOff', 'web-1', 42, 2], ['Unhealthy', 'web-1', 5, 1]])
    assert.equal(w.groups[0]?.namespace, 'a')
    assert.match(w.groups[0]?.source ?? '', /namespaces\/a\/core\/events\.yaml$/)
    assert.deepEqual(w.reasons, [
      { reason: 'BackOff', count: 45, events: 3, objects: 2 },
      { reason: 'Unhealthy', count: 5, events: 1, objects: 1 },
      { reason: 'FailedMount', count: 1, events: 1, objects: 1 }
    ])
  })

  test('events without a type are warnings only when their reason is one', async () => {
    const obj = { kind: 'Pod', name: 'x' }
    const s = await summarizeTree({
      [`${ns('old')}/core/events.yaml`]: yamlList([
        event('old', 'e1', 'BackOff', null, obj, 4),
        event('old', 'e2', 'FailedCreatePodSandBox', null, obj, 1),
        event('old', 'e3', 'Pulled', null, obj, 9),
        event('old', 'e4', 'Started', '', obj, 9)
      ])
    })
    const w = s['warning-events']
    assert.equal(w['untyped-events'], 4)
    assert.equal(w.events, 2)
    assert.deepEqual(w.groups.map((g) => [g.reason, g['type-inferred']]).sort(), [['BackOff', 1], ['FailedCreatePodSandBox', 1]])
  })

  test('events.k8s.io/v1 events (regarding, note, deprecatedCount) are read too', async () => {
    const s = await summarizeTree({
      [`${ns('new')}/events.k8s.io/events.yaml`]: yamlList([{
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'n1', namespace: 'new' },
        type: 'Warning',
        reason: 'FailedScheduling',
        regarding: { kind: 'Pod', name: 'big-0', namespace: 'new' },
        note: '0/6 nodes are available',
        deprecatedCount: 12
      }])
    })
    const g = s['warning-events'].groups[0]
    assert.equal(g?.reason, 'FailedScheduling')
    assert.equal(g?.['object-name'], 'big-0')
    assert.equal(g?.count, 12)
    assert.equal(g?.['last-message'], '0/6 nodes are available')
  })

  test('pending and lost PVCs, not bound ones', async () => {
    const s = await summarizeTree({
      [`${ns('db')}/core/persistentvolumeclaims.yaml`]: yamlList([pvc('db', 'data-0', 'Bound'), pvc('db', 'data-1', 'Pending'), pvc('db', 'old', 'Lost')])
    })
    assert.equal(s['persistent-volume-claims'].total, 3)
    assert.deepEqual(s['persistent-volume-claims'].pending.map((p) => [p.name, p.phase, p['storage-class'], p.requested]), [['data-1', 'Pending', 'gp3-csi', '10Gi'], ['old', 'Lost', 'gp3-csi', '10Gi']])
    assert.equal(s['persistent-volume-claims'].pending[0]?.source, `${ns('db')}/core/persistentvolumeclaims.yaml`)
  })
})
