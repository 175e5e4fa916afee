// redactTree on real directories: compressed files and nested archives
// rewritten in their own format, omit rules, links, binary files, names,
// and one mapping across every worker thread.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'

import { defaultRedactionPlan, parseRedactionConfig, redactTree } from '../../src/redaction/index.js'
import { readTree, tempTree } from './helpers.js'

function write (root: string, rel: string, content: string | Buffer): void {
  mkdirSync(join(root, rel, '..'), { recursive: true })
  writeFileSync(join(root, rel), content)
}

test('.gz files are rewritten as gzip with their contents redacted', async (t) => {
  const dir = tempTree(t)
  write(dir, 'logs/kubelet.log.gz', gzipSync('connected to 10.0.0.7:6443\n'.repeat(50_000)))
  const report = await redactTree(dir, defaultRedactionPlan())
  const text = gunzipSync(readFileSync(join(dir, 'logs/kubelet.log.gz'))).toString()
  assert.equal(text, 'connected to 192.0.2.1:6443\n'.repeat(50_000))
  assert.equal(report.counts.IP, 50_000)
})

test('a nested .tar.gz is unpacked as tar, each member redacted (names too), and packed again as .tar.gz', async (t) => {
  const dir = tempTree(t)
  const src = tempTree(t, 'mgs-redaction-src-')
  write(src, 'must-gather/nodes/ip-10-0-1-2.ec2.internal/kubelet.log', 'node 10.0.1.2 mac 0a:60:54:e4:52:a5\n')
  write(src, 'must-gather/nodes/ip-10-0-1-2.ec2.internal/journal.gz', gzipSync('from 10.0.1.3\n'))
  write(src, 'must-gather/inner.tgz', Buffer.alloc(0))
  const inner = tempTree(t, 'mgs-redaction-inner-')
  write(inner, 'deep.txt', 'deep 10.0.1.4\n')
  execFileSync('tar', ['-C', inner, '-czf', join(src, 'must-gather/inner.tgz'), 'deep.txt'])
  execFileSync('tar', ['-C', src, '-czf', join(dir, 'must-gather.tar.gz'), 'must-gather'])
  write(dir, 'outside.txt', 'also 10.0.1.2\n')

  const report = await redactTree(dir, defaultRedactionPlan())
  // Which replacement an address gets depends on which file a worker reads first: ask the report.
  const table = new Map(report.rules.flatMap((r) => r.replacements.map((e) => [e.canonical, e.replacedWith])))
  const ip = (original: string): string => table.get(original) ?? 'missing'
  const dashed = (original: string): string => ip(original).replaceAll('.', '-')

  const archive = join(dir, 'must-gather.tar.gz')
  const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' })
  assert.ok(listing.includes(`must-gather/nodes/ip-${dashed('10.0.1.2')}.ec2.internal/kubelet.log`), listing)
  assert.doesNotMatch(listing, /10-0-1-2/)
  const out = tempTree(t, 'mgs-redaction-out-')
  execFileSync('tar', ['-C', out, '-xzf', archive])
  const files = readTree(out)
  const node = `must-gather/nodes/ip-${dashed('10.0.1.2')}.ec2.internal`
  assert.equal(files.get(`${node}/kubelet.log`)?.toString(), `node ${ip('10.0.1.2')} mac 02:00:00:00:00:01\n`)
  assert.equal(files.get(`${node}/journal.gz`)?.toString(), `from ${ip('10.0.1.3')}\n`)
  const deep = tempTree(t, 'mgs-redaction-deep-')
  execFileSync('tar', ['-C', deep, '-xzf', join(out, 'must-gather/inner.tgz')])
  assert.equal(readFileSync(join(deep, 'deep.txt'), 'utf8'), `deep ${ip('10.0.1.4')}\n`)
  assert.ok([...table.values()].every((v) => v.startsWith('192.0.2.') || v.startsWith('02:00')))
  // One mapping for the archive and the files beside it.
  assert.equal(readFileSync(join(dir, 'outside.txt'), 'utf8'), `also ${ip('10.0.1.2')}\n`)
})

test('omit rules: File globs, Kubernetes kinds (lists judged by their items, namespaces), symbolic links', async (t) => {
  const dir = tempTree(t)
  write(dir, 'mg/namespaces/a/core/secrets.yaml', 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    namespace: a\nkind: SecretList\n')
  write(dir, 'mg/namespaces/a/core/configmaps.yaml', 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n    namespace: a\nkind: ConfigMapList\n')
  write(dir, 'mg/namespaces/b/core/configmaps.yaml', 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n    namespace: b\nkind: ConfigMapList\n')
  write(dir, 'mg/namespaces/b/core/pods.yaml', 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  status:\n    podIP: 10.128.0.5\nkind: PodList\n')
  write(dir, 'mg/mc.json', JSON.stringify({ apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfig', metadata: { name: 'x' } }))
  write(dir, 'mg/host_service_logs/ovs.log', 'ovs 10.0.0.1\n')
  symlinkSync('namespaces/b/core/pods.yaml', join(dir, 'mg/latest'))
  const plan = parseRedactionConfig(JSON.stringify({
    config: {
      obfuscate: [{ type: 'IP', replacementType: 'Consistent', target: 'All' }],
      omit: [
        { type: 'Kubernetes', kubernetesResource: { kind: 'Secret' } },
        { type: 'Kubernetes', kubernetesResource: { kind: 'ConfigMap', namespaces: ['a'] } },
        { type: 'Kubernetes', kubernetesResource: { kind: 'MachineConfig', apiVersion: 'machineconfiguration.openshift.io/v1' } },
        { type: 'File', pattern: '*.log' },
        { type: 'SymbolicLink' }
      ]
    }
  }), 'inline.json')
  const report = await redactTree(dir, plan)
  assert.deepEqual(report.omitted.map((o) => [o.path, o.reason]), [
    ['mg/host_service_logs/ovs.log', 'File *.log'],
    ['mg/latest', 'SymbolicLink'],
    ['mg/mc.json', 'Kubernetes MachineConfig machineconfiguration.openshift.io/v1'],
    ['mg/namespaces/a/core/configmaps.yaml', 'Kubernetes ConfigMap in a'],
    ['mg/namespaces/a/core/secrets.yaml', 'Kubernetes Secret']
  ])
  assert.deepEqual(readdirSync(join(dir, 'mg'), { recursive: true }).map(String).filter((p) => p.endsWith('.yaml')).sort(), ['namespaces/b/core/configmaps.yaml', 'namespaces/b/core/pods.yaml'])
  assert.match(readFileSync(join(dir, 'mg/namespaces/b/core/pods.yaml'), 'utf8'), /podIP: 192\.0\.2\.1/)
  assert.equal(report.counts['omitted-files'], 5)
})

test('symbolic links are never followed; their names and targets are redacted', async (t) => {
  const dir = tempTree(t)
  const outside = tempTree(t, 'mgs-redaction-outside-')
  write(outside, 'hosts', '10.9.9.9 outside\n')
  write(dir, 'nodes/ip-10-0-1-2/log', 'x 10.0.1.2\n')
  symlinkSync(join(outside, 'hosts'), join(dir, 'escape'))
  symlinkSync('nodes/ip-10-0-1-2', join(dir, 'node-10.0.1.2'))
  await redactTree(dir, defaultRedactionPlan())
  assert.equal(readFileSync(join(outside, 'hosts'), 'utf8'), '10.9.9.9 outside\n')
  assert.ok(lstatSync(join(dir, 'node-192.0.2.1')).isSymbolicLink())
  assert.equal(readlinkSync(join(dir, 'node-192.0.2.1')), 'nodes/ip-192-0-2-1')
  assert.equal(readFileSync(join(dir, 'node-192.0.2.1', 'log'), 'utf8'), 'x 192.0.2.1\n')
})

test('binary files are omitted by default, kept when asked, and listed either way', async (t) => {
  for (const binaryFiles of ['omit', 'keep'] as const) {
    const dir = tempTree(t)
    const blob = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]), Buffer.from('10.0.0.1')])
    write(dir, 'bin/core.dump', blob)
    write(dir, 'bin/data.gz', gzipSync(blob))
    const report = await redactTree(dir, defaultRedactionPlan(), { binaryFiles })
    assert.deepEqual(report.binary, [{ path: 'bin/core.dump', action: binaryFiles === 'omit' ? 'omitted' : 'kept' }, { path: 'bin/data.gz', action: binaryFiles === 'omit' ? 'omitted' : 'kept' }])
    assert.equal(existsSync(join(dir, 'bin/core.dump')), binaryFiles === 'keep')
    if (binaryFiles === 'keep') assert.deepEqual(readFileSync(join(dir, 'bin/core.dump')), blob)
  }
})

test('the cluster\'s domains come from the gathered DNS and Infrastructure objects', async (t) => {
  const dir = tempTree(t)
  const config = 'mg/image-dir/cluster-scoped-resources/config.openshift.io'
  write(dir, `${config}/dnses.yaml`, 'apiVersion: config.openshift.io/v1\nitems:\n- apiVersion: config.openshift.io/v1\n  kind: DNS\n  spec:\n    baseDomain: prod-1.corp.acme.io\nkind: DNSList\n')
  write(dir, `${config}/infrastructures/cluster.yaml`, 'apiVersion: config.openshift.io/v1\nkind: Infrastructure\nstatus:\n  apiServerURL: https://api.prod-1.corp.acme.io:6443\n  etcdDiscoveryDomain: ""\n')
  write(dir, 'mg/image-dir/namespaces/x/pods.yaml', 'host: console-openshift-console.apps.prod-1.corp.acme.io\nother: docs.corp.acme.io\nkeep: acme.io\n')
  const report = await redactTree(dir, defaultRedactionPlan())
  const text = readFileSync(join(dir, 'mg/image-dir/namespaces/x/pods.yaml'), 'utf8')
  assert.equal(text, 'host: console-openshift-console.apps.domain1.example\nother: docs.domain2.example\nkeep: acme.io\n')
  assert.match(readFileSync(join(dir, `${config}/dnses.yaml`), 'utf8'), /baseDomain: domain1\.example/)
  assert.ok((report.counts.Domain ?? 0) >= 4)
})

test('one mapping across worker threads: every address has one replacement, no two share one', async (t) => {
  const dir = tempTree(t)
  const addresses = Array.from({ length: 900 }, (_, i) => `10.${i >> 8}.${i & 255}.9`)
  for (let f = 0; f < 300; f++) {
    // each file holds the addresses in its own order, so that workers meet them in different orders
    const rotated = [...addresses.slice(f * 3), ...addresses.slice(0, f * 3)]
    write(dir, `f/${f}.txt`, rotated.map((a) => `${a} ${a.replaceAll('.', '-')}`).join('\n') + '\n')
  }
  const report = await redactTree(dir, defaultRedactionPlan(), { workers: 2 })
  const replacements = report.rules[0]?.replacements ?? []
  assert.equal(replacements.length, 900)
  assert.equal(new Set(replacements.map((r) => r.replacedWith)).size, 900)
  assert.ok(replacements.every((r) => isIPv4(r.replacedWith)))
  assert.ok(replacements.some((r) => r.replacedWith.startsWith('240.')), 'past the 762 documentation addresses')
  const table = new Map(replacements.map((r) => [r.canonical, r.replacedWith]))
  for (const f of [0, 150, 299]) {
    for (const line of readFileSync(join(dir, `f/${f}.txt`), 'utf8').trim().split('\n')) {
      const [dotted, dashed] = line.split(' ') as [string, string]
      assert.equal(dashed, dotted.replaceAll('.', '-'))
      assert.ok([...table.values()].includes(dotted))
    }
  }
  assert.equal(report.counts.IP, 900 * 2 * 300)
  assert.ok(statSync(join(dir, 'f')).isDirectory())
})

test('a truncated .gz cannot be redacted: it is omitted (never kept), the rest goes on, and no temporary file is left', async (t) => {
  const dir = tempTree(t)
  const whole = gzipSync('x 10.0.0.1\n'.repeat(100_000))
  write(dir, 'logs/rotated.log.gz', whole.subarray(0, whole.length >> 1))
  write(dir, 'logs/ok.log', 'y 10.0.0.2\n')
  const report = await redactTree(dir, defaultRedactionPlan(), { binaryFiles: 'keep' })
  assert.deepEqual(report.omitted, [{ path: 'logs/rotated.log.gz', reason: 'unreadable gzip data, cannot be redacted' }])
  assert.deepEqual(readdirSync(join(dir, 'logs')), ['ok.log'])
  assert.match(readFileSync(join(dir, 'logs/ok.log'), 'utf8'), /^y 192\.0\.2\.\d+\n$/)
})
