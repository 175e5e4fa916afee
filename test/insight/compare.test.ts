// compare(): what changed between two summaries, computed from two real summaries
// of hand-written trees (an earlier and a later gather of one cluster).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { compare, DirectoryTreeSource, summarize, type Summary } from '../../src/insight/index.js'
import { clusterOperator, clusterVersion, event, node, pod, pvc, withTempDir, writeTree, yamlDoc, yamlList } from './helpers.js'

interface State {
  version: string
  operators: object[]
  nodes: object[]
  pods: object[]
  events: object[]
  pvcs: object[]
}

async function summaryOf (state: State): Promise<Summary> {
  return await withTempDir(async (dir) => {
    const img = 'mg/img'
    await writeTree(dir, {
      [`${img}/cluster-scoped-resources/config.openshift.io/clusterversions/version.yaml`]: yamlDoc(clusterVersion(state.version)),
      [`${img}/cluster-scoped-resources/config.openshift.io/clusteroperators.yaml`]: yamlList(state.operators),
      [`${img}/cluster-scoped-resources/core/nodes.yaml`]: yamlList(state.nodes),
      [`${img}/namespaces/app/core/pods.yaml`]: yamlList(state.pods),
      [`${img}/namespaces/app/core/events.yaml`]: yamlList(state.events),
      [`${img}/namespaces/app/core/persistentvolumeclaims.yaml`]: yamlList(state.pvcs)
    })
    return await summarize(new DirectoryTreeSource(dir + '/mg'))
  })
}

const running = (name: string, restarts = 0) => pod('app', name, 'Running', [{ name: 'c', restartCount: restarts }])
const looping = (name: string, restarts: number) => pod('app', name, 'Running', [{ name: 'c', ready: false, restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff' } } }])
const web = { kind: 'Pod', name: 'web' }

describe('compare', () => {
  test('operators, nodes, pods, warning reasons, PVCs and version: what went wrong and what recovered', async () => {
    const earlier = await summaryOf({
      version: '4.16.20',
      operators: [clusterOperator('etcd', 'True', 'True', 'False', 'member down'), clusterOperator('dns'), clusterOperator('console'), clusterOperator('network', 'True', 'False', 'True')],
      nodes: [node('n1'), node('n2', 'False'), node('n3')],
      pods: [running('api'), looping('worker', 12), running('db', 1), looping('cache', 3)],
      events: [event('app', 'e1', 'BackOff', 'Warning', web, 10), event('app', 'e2', 'FailedMount', 'Warning', web, 2), event('app', 'e3', 'Unhealthy', 'Warning', web, 1)],
      pvcs: [pvc('app', 'data-0', 'Pending'), pvc('app', 'data-1', 'Bound')]
    })
    const later = await summaryOf({
      version: '4.17.3',
      operators: [clusterOperator('etcd'), clusterOperator('dns', 'True', 'True', 'False', 'DNS degraded'), clusterOperator('console', 'False'), clusterOperator('network')],
      nodes: [node('n1', 'False'), node('n2'), node('n3', 'True', { DiskPressure: 'True' })],
      pods: [looping('api', 4), running('worker', 12), running('db', 1), looping('cache', 9), pod('app', 'new', 'Pending', [])],
      events: [event('app', 'e1', 'BackOff', 'Warning', web, 30), event('app', 'e4', 'FailedScheduling', 'Warning', web, 5), event('app', 'e3', 'Unhealthy', 'Warning', web, 1)],
      pvcs: [pvc('app', 'data-0', 'Bound'), pvc('app', 'data-1', 'Pending')]
    })
    const c = compare(earlier, later)

    assert.deepEqual(c.version, { earlier: '4.16.20', later: '4.17.3' })
    assert.equal(c['cluster-id-changed'], false)

    assert.deepEqual(c.operators['became-unhealthy'].map((o) => [o.name, o.problems]).sort(), [['console', ['NotAvailable']], ['dns', ['Degraded']]])
    assert.match(c.operators['became-unhealthy'][0]?.source ?? '', /clusteroperators\.yaml$/)
    // network only stopped progressing: not a recovery from a problem that mattered
    assert.deepEqual(c.operators.recovered.map((o) => [o.name, o['earlier-problems']]), [['etcd', ['Degraded']]])

    assert.deepEqual(c.nodes['became-not-ready'].map((n) => n.name), ['n1'])
    assert.deepEqual(c.nodes['new-pressure'].map((n) => [n.name, n.problems]), [['n3', ['DiskPressure']]])
    assert.deepEqual(c.nodes.recovered.map((n) => n.name), ['n2'])

    assert.deepEqual(c.pods['started-crash-looping'].map((p) => [p.pod, p.container, p['restart-count']]), [['api', 'c', 4]])
    assert.deepEqual(c.pods['stopped-crash-looping'].map((p) => [p.pod, p['still-present']]), [['worker', true]])
    assert.deepEqual(c.pods['new-problems'].map((p) => `${p.pod}/${p.container ?? '-'}`).sort(), ['api/c', 'new/-'])

    assert.deepEqual(c['warning-reasons'].new, [{ reason: 'FailedScheduling', count: 5 }])
    assert.deepEqual(c['warning-reasons'].gone, [{ reason: 'FailedMount', 'earlier-count': 2 }])
    assert.deepEqual(c['warning-reasons'].increased, [{ reason: 'BackOff', 'earlier-count': 10, count: 30 }])

    assert.deepEqual(c['persistent-volume-claims']['became-pending'].map((p) => p.name), ['data-1'])
    assert.deepEqual(c['persistent-volume-claims'].bound.map((p) => p.name), ['data-0'])
    assert.deepEqual(c['not-comparable'], [])
  })

  test('a summary compared with itself shows no change', async () => {
    const s = await summaryOf({
      version: '4.17.3',
      operators: [clusterOperator('etcd', 'True', 'True')],
      nodes: [node('n1', 'False')],
      pods: [looping('x', 5)],
      events: [event('app', 'e1', 'BackOff', 'Warning', web, 3)],
      pvcs: [pvc('app', 'p', 'Pending')]
    })
    const c = compare(s, s)
    assert.equal(c.version, null)
    assert.deepEqual([c.operators, c.nodes, c.pods, c['persistent-volume-claims']].flatMap((g) => Object.values(g).flat()), [])
    assert.deepEqual(Object.values(c['warning-reasons']).flat(), [])
  })

  test('sections one run could not read are named, not reported as recovered', async () => {
    const earlier = await summaryOf({ version: '4.17.3', operators: [clusterOperator('etcd')], nodes: [node('n1', 'False')], pods: [looping('x', 5)], events: [], pvcs: [] })
    const later = await withTempDir(async (dir) => {
      await writeTree(dir, { 'mg/img/namespaces/app/core/pods.yaml': 'items: [ {\n', 'mg/img/cluster-scoped-resources/core/nodes.yaml': '::: not yaml :::\n  - [' })
      return await summarize(new DirectoryTreeSource(dir + '/mg'))
    })
    const c = compare(earlier, later)
    assert.deepEqual(c.nodes.recovered, [])
    assert.deepEqual(c.pods['stopped-crash-looping'], [])
    assert.ok(c['not-comparable'].includes('nodes'))
    assert.ok(c['not-comparable'].includes('pods'))
    assert.equal(c.version?.later, null)
  })
})
