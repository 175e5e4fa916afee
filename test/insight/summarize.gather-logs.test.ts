// Which gather steps failed, from oc's must-gather.logs, the gather scripts' logs
// and oc's timestamp; and what oc printed, used when resources are missing.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { GatherLogCheck, mayMatter } from '../../src/insight/checks/gather-logs.js'
import { DirectoryTreeSource, summarize } from '../../src/insight/index.js'
import { withTempDir, writeTree } from './helpers.js'

async function summarizeFiles (files: Record<string, string>) {
  return await withTempDir(async (dir) => {
    await writeTree(dir, files)
    return await summarize(new DirectoryTreeSource(dir + '/mg'))
  })
}

const OC_LOG = `[must-gather      ] OUT 2026-11-25T08:00:00.1Z Using must-gather plug-in image: quay.io/example/mg:latest
When opening a support case, bugzilla, or issue please include the following summary data along with any other requested information:
ClusterID: 11111111-2222-4333-8444-555555555555
ClientVersion: 4.17.0
ClusterVersion: Updating to "4.17.5" from "4.17.3" for 2 hours: Working towards 4.17.5
ClusterOperators:
\tclusteroperator/etcd is degraded because EtcdMembersDegraded: 2 of 3 members are available
\tclusteroperator/console is not available (RouteHealthAvailable: failed to GET route) because RouteHealthDegraded: route not ready
[must-gather      ] OUT 2026-11-25T08:00:00.2Z namespace/openshift-must-gather-7x2k9 created
[must-gather      ] OUT 2026-11-25T08:00:00.5Z pod for plug-in image quay.io/example/mg:latest created
[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z gather never finished: timed out waiting for the condition
[must-gather      ] OUT 2026-11-25T08:10:01.0Z Gathering data for ns/openshift-cluster-version...
[must-gather      ] OUT 2026-11-25T08:10:02.0Z Wrote inspect data to mg/inspect.local.123.
[must-gather      ] OUT 2026-11-25T08:10:02.1Z namespace/openshift-must-gather-7x2k9 deleted
`

const SCRIPT_LOG = `2026-11-25T08:00:04.1Z volume percentage checker started.....
2026-11-25T08:00:05.0Z Gathering data for ns/openshift-etcd...
2026-11-25T08:00:06.0Z error: the server doesn't have a resource type "etcdbackups"
2026-11-25T08:00:07.0Z Gathering data for ns/openshift-monitoring...
2026-11-25T08:00:08.0Z Warning: apps.openshift.io/v1 DeploymentConfig is deprecated in v4.14+
2026-11-25T08:00:09.0Z Error from server (Forbidden): pods "prometheus-k8s-0" is forbidden: cannot exec
2026-11-25T08:00:10.0Z INFO: no failed pods found
2026-11-25T08:00:11.0Z Collecting network logs
2026-11-25T08:00:12.0Z command terminated with exit code 137
`

describe('gather failures from the logs', () => {
  test('oc timing out a pod; script errors with the step they belong to; innocent lines left alone', async () => {
    const s = await summarizeFiles({
      'mg/must-gather.logs': OC_LOG,
      'mg/timestamp': '2026-11-25 08:00:00.1 +0000 UTC m=+0.1\n2026-11-25 08:10:02.2 +0000 UTC m=+602.2\n',
      'mg/quay-io-example-mg-sha256-aa/gather-debug.log': SCRIPT_LOG,
      'mg/quay-io-example-mg-sha256-aa/namespaces/x/pods/p/c/c/logs/current.log': 'error: this is a pod log, not a gather log\n'
    })
    const f = s.gather.failures
    assert.deepEqual(f.map((x) => [x.kind, x.step, x.line]), [
      ['pod-timeout', 'must-gather-5sd2k', 11],
      ['fallback-inspect', null, 13],
      ['error-line', 'Gathering data for ns/openshift-etcd', 3],
      ['error-line', 'Gathering data for ns/openshift-monitoring', 6],
      ['error-line', 'Collecting network logs', 9]
    ])
    assert.equal(f[0]?.source, 'mg/must-gather.logs')
    assert.equal(f[2]?.source, 'mg/quay-io-example-mg-sha256-aa/gather-debug.log')
    assert.equal(f[2]?.message, 'error: the server doesn\'t have a resource type "etcdbackups"')
    assert.deepEqual(s.gather.logs.sort(), ['mg/must-gather.logs', 'mg/quay-io-example-mg-sha256-aa/gather-debug.log'])
  })

  test('what oc printed stands in for resources that were not gathered', async () => {
    const s = await summarizeFiles({ 'mg/must-gather.logs': OC_LOG })
    assert.equal(s.cluster.id, '11111111-2222-4333-8444-555555555555')
    assert.equal(s.cluster['id-source'], 'mg/must-gather.logs')
    assert.equal(s.cluster.version, '4.17.3')
    assert.equal(s.cluster['desired-version'], '4.17.5')
    const ops = Object.fromEntries(s['cluster-operators'].problems.map((p) => [p.name, p]))
    assert.deepEqual(ops.etcd?.problems, ['Degraded'])
    assert.equal(ops.etcd?.conditions[0]?.message, 'EtcdMembersDegraded: 2 of 3 members are available')
    assert.deepEqual(ops.console?.problems, ['NotAvailable'])
    assert.equal(ops.console?.source, 'mg/must-gather.logs')
    assert.ok(s.coverage.notes.some((n) => /operators are those oc printed/.test(n)))
  })

  test('a timestamp with a start and no end, and an inspect directory without oc\'s log', async () => {
    const s = await summarizeFiles({
      'mg/timestamp': '2026-11-25 08:00:00.1 +0000 UTC m=+0.1\n',
      'mg/inspect.local.99/timestamp': 'x\n',
      'mg/inspect.local.99/cluster-scoped-resources/config.openshift.io/clusteroperators/etcd.yaml': 'kind: ClusterOperator\nmetadata:\n  name: etcd\nstatus:\n  conditions:\n  - type: Available\n    status: "True"\n'
    })
    assert.deepEqual(s.gather.failures.map((f) => [f.kind, f.source]), [['interrupted', 'mg/timestamp'], ['fallback-inspect', 'mg/inspect.local.99/']])
    assert.equal(s['cluster-operators'].total, 1)
  })

  test('an image\'s own timestamp (inside its data) is not oc\'s', async () => {
    const s = await summarizeFiles({
      'mg/img/timestamp': 'one line only\n',
      'mg/img/namespaces/a/core/pods.yaml': 'apiVersion: v1\nitems: []\nkind: List\n'
    })
    assert.deepEqual(s.gather.failures, [])
  })
})

describe('oc\'s log read quickly', () => {
  // Lines of every kind acceptOcLog tells apart, and near misses of each.
  const LINES = [
    '[must-gather      ] OUT 2026-11-25T08:00:00.1Z Using must-gather plug-in image: quay.io/example/mg:latest',
    '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z gather never finished: timed out waiting for the condition',
    '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z gather never finished: pod failed',
    '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z  gather never finished: two spaces before it',
    '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z Gather never finished: capital G',
    '[must-gather-abcde] OUT 2026-11-25T08:10:00.0Z gather did not start for pod must-gather-abcde: unschedulable',
    '[must-gather-abcde] OUT 2026-11-25T08:10:00.0Z gather output not downloaded: EOF',
    '[must-gather      ] OUT 2026-11-25T08:10:02.0Z Wrote inspect data to mg/inspect.local.123.',
    '[must-gather-abcde] OUT 2026-11-25T08:10:02.0Z Wrote inspect data to somewhere (not oc\'s own line)',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z error: unable to download output from pod',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z ERROR: upper case',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z Errors are not an error line',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z errorless',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z error\r',
    '[must-gather]   OUT   t   error: spaced out',
    '[] OUT t error: no pod',
    '[must-gather      ] ERR 2026-11-25T08:10:03.0Z error: on stderr',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z',
    '[must-gather      ] OUT 2026-11-25T08:10:03.0Z error\u2028after a separator',
    '  [must-gather] OUT t error: indented',
    'ClusterID: 11111111-2222-4333-8444-555555555555',
    'ClusterID: ',
    'ClusterVersion: Stable at "4.17.3"',
    'ClusterVersion: Updating to "4.17.5" from "4.17.3" for 2 hours',
    'ClusterVersion: Installing "4.18.0"',
    'ClusterOperators:',
    '\tclusteroperator/etcd is degraded because EtcdMembersDegraded',
    '\tAll healthy and stable',
    '   ',
    'Cluster something else',
    'When opening a support case, bugzilla, or issue please include the following summary data',
    ''
  ]

  /** Whether acceptOcLog makes anything of `line` (as the first of a log, followed by an operator's line). */
  function saysSomething (line: string): boolean {
    const check = new GatherLogCheck()
    check.acceptOcLog(`${line}\n\tclusteroperator/etcd is degraded`, 'mg/must-gather.logs')
    const printed = check.printed
    return check.failures.length > 0 || printed?.clusterId != null || printed?.clusterVersion != null || printed?.desiredVersion != null || (printed?.operatorLines.length ?? 0) > 0
  }

  test('the quick test passes over no line that says something, with \n or \r\n endings', () => {
    let said = 0
    for (const line of LINES.flatMap((l) => [l, `${l}\r`])) {
      if (!saysSomething(line)) continue
      said++
      assert.ok(mayMatter(`${line}\n`, 0), `passed over: ${JSON.stringify(line)}`)
    }
    assert.ok(said >= 20, `${said} lines say something`)
  })

  test('lines passed over still count: failures carry their line numbers in a long log', () => {
    const filler = '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z copying namespaces/x/pods/y.yaml\n'.repeat(5000)
    const check = new GatherLogCheck()
    check.acceptOcLog(filler + '[must-gather-5sd2k] OUT 2026-11-25T08:10:00.0Z gather never finished: timed out\r\n' + filler + 'ClusterID: abc\n', 'mg/must-gather.logs')
    assert.deepEqual(check.failures.map((f) => [f.kind, f.line, f.message]), [['pod-timeout', 5001, 'gather never finished: timed out']])
    assert.equal(check.printed?.clusterId, 'abc')
  })
})
