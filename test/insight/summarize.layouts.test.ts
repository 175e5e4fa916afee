// The summary on trees that are not the default image's: other layouts, List
// kinds and JSON, broken or huge files, failing sources. It reports what it
// could read and never throws.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { stringify } from 'yaml'

import { DirectoryTreeSource, summarize, type TreeEntry, type TreeSource } from '../../src/insight/index.js'
import { clusterOperator, node, pod, withTempDir, writeTree, yamlDoc, yamlList } from './helpers.js'

async function summarizeFiles (files: Record<string, string | Buffer>, options = {}) {
  return await withTempDir(async (dir) => {
    await writeTree(dir, files)
    return await summarize(new DirectoryTreeSource(dir + '/top'), options)
  })
}

const crashing = (namespace: string, name: string) => pod(namespace, name, 'Running', [{ name: 'c', ready: false, restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff' } } }])

describe('summary on other layouts and bad content', () => {
  test('an unfamiliar image layout: JSON lists, per-object files, resources at the top', async () => {
    const s = await summarizeFiles({
      // an operator image that writes its own names and formats
      'top/registry-example-com-storage-mg-sha256-77/cluster/nodes.json': JSON.stringify({ apiVersion: 'v1', kind: 'NodeList', items: [node('n1', 'False'), node('n2')] }),
      'top/registry-example-com-storage-mg-sha256-77/clusteroperators.yaml': yamlDoc(clusterOperator('storage', 'True', 'True')) + yamlDoc(clusterOperator('csi-snapshot-controller')),
      'top/registry-example-com-storage-mg-sha256-77/storage-ns/pods/csi-0.yaml': yamlDoc(crashing('storage-ns', 'csi-0')),
      'top/registry-example-com-storage-mg-sha256-77/storage-ns/pods/csi-1.yml': yamlDoc(pod('storage-ns', 'csi-1', 'Running', [{ name: 'c' }]))
    })
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['n1'])
    assert.equal(s.nodes.total, 2)
    assert.equal(s.nodes.problems[0]?.source, 'top/registry-example-com-storage-mg-sha256-77/cluster/nodes.json')
    assert.equal(s['cluster-operators'].total, 2)
    assert.deepEqual(s['cluster-operators'].problems.map((p) => p.name), ['storage'])
    assert.equal(s.pods.total, 2)
    assert.deepEqual(s.pods.problems.map((p) => [p.pod, p.source]), [['csi-0', 'top/registry-example-com-storage-mg-sha256-77/storage-ns/pods/csi-0.yaml']])
    assert.equal(s.coverage.sections.nodes?.status, 'read')
    // no cluster-scoped-resources/ or namespaces/ anywhere
    assert.deepEqual(s.coverage['image-dirs'], [])
    assert.ok(s.coverage.notes.some((n) => /no directory of gathered resources/.test(n)))
  })

  test('per-pod files of the default image are read when pods.yaml is missing', async () => {
    const base = 'top/img/namespaces/ns1/pods'
    const s = await summarizeFiles({
      [`${base}/crash-1/crash-1.yaml`]: yamlDoc(crashing('ns1', 'crash-1')),
      [`${base}/crash-1/c/c/logs/current.log`]: 'log line\n',
      [`${base}/ok-1/ok-1.yaml`]: yamlDoc(pod('ns1', 'ok-1', 'Running', [{ name: 'c' }]))
    })
    assert.equal(s.pods.total, 2)
    assert.deepEqual(s.pods.problems.map((p) => [p.pod, p.source]), [['crash-1', `${base}/crash-1/crash-1.yaml`]])
  })

  test('a pods.yaml that cannot be parsed: the per-pod files of that namespace stand in, and the file is reported', async () => {
    const s = await summarizeFiles({
      'top/img/namespaces/ns1/core/pods.yaml': 'apiVersion: v1\nitems: [ {\nkind: List\n',
      'top/img/namespaces/ns1/pods/crash-1/crash-1.yaml': yamlDoc(crashing('ns1', 'crash-1')),
      'top/img/namespaces/ns2/core/pods.yaml': yamlList([crashing('ns2', 'crash-2')])
    })
    assert.deepEqual(s.pods.problems.map((p) => p.pod).sort(), ['crash-1', 'crash-2'])
    const issue = s.coverage['file-issues'].find((i) => i.path === 'top/img/namespaces/ns1/core/pods.yaml')
    assert.equal(issue?.problem, 'unparseable')
    assert.equal(s.coverage.sections.pods?.status, 'partial')
    assert.equal(s.coverage.sections.pods?.['files-failed'], 1)
  })

  test('one broken item in a long list: the other items are read and the line is given', async () => {
    const good = yamlList([crashing('ns', 'a'), crashing('ns', 'b'), crashing('ns', 'c')])
    // break the second item: an unclosed flow sequence inside it
    const lines = good.split('\n')
    const second = lines.findIndex((l, i) => i > 2 && l.startsWith('- '))
    lines.splice(second + 1, 0, '  broken: [unclosed')
    const s = await summarizeFiles({ 'top/img/namespaces/ns/core/pods.yaml': lines.join('\n') })
    assert.deepEqual(s.pods.problems.map((p) => p.pod), ['a', 'c'])
    const issue = s.coverage['file-issues'][0]
    assert.equal(issue?.problem, 'partial')
    assert.match(issue?.detail ?? '', new RegExp(`^line ${second + 1}:`))
  })

  test('a List written with indented items is parsed whole, and its per-object files are then not needed', async () => {
    const indented = 'apiVersion: v1\nkind: List\nitems:\n  - ' + yamlDoc(node('i1', 'False')).replace(/^---\n/, '').trimEnd().split('\n').join('\n    ') + '\n'
    const s = await summarizeFiles({
      'top/img/cluster-scoped-resources/core/nodes.yaml': indented,
      'top/img/cluster-scoped-resources/core/nodes/extra.yaml': yamlDoc(node('ignored-because-the-list-was-read', 'False'))
    })
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['i1'])
  })

  test('files with Windows line endings: lists and document streams are read alike', async () => {
    const crlf = (text: string) => text.replaceAll('\n', '\r\n')
    const s = await summarizeFiles({
      'top/img/namespaces/w/core/pods.yaml': crlf(yamlList([crashing('w', 'a'), crashing('w', 'b')])),
      'top/img/cluster-scoped-resources/core/nodes.yaml': crlf(yamlDoc(node('n1', 'False')) + yamlDoc(node('n2', 'False')))
    })
    assert.deepEqual(s.pods.problems.map((p) => p.pod), ['a', 'b'])
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['n1', 'n2'])
    assert.deepEqual(s.coverage['file-issues'], [])
  })

  test('another writer\'s style (quoted keys and strings, capitalised booleans): problems found, healthy pods skipped alike', async () => {
    const pods = [
      pod('q', 'healthy', 'Running', [{ name: 'c' }]),
      pod('q', 'restarted', 'Running', [{ name: 'c', restartCount: 2 }]),
      pod('q', 'unready', 'Running', [{ name: 'c', ready: false }])
    ]
    const quoted = stringify({ apiVersion: 'v1', kind: 'List', items: pods }, { indentSeq: false, defaultKeyType: 'QUOTE_DOUBLE', defaultStringType: 'QUOTE_DOUBLE' })
      .replaceAll('"ready": false', '"ready": False')
    assert.match(quoted, /^- "apiVersion": "v1"$/m)
    await withTempDir(async (dir) => {
      await writeTree(dir, { 'top/img/namespaces/q/core/pods.yaml': quoted })
      const s = await summarize(new DirectoryTreeSource(dir + '/top'))
      assert.equal(s.pods.total, 3)
      assert.deepEqual(s.pods.problems.map((p) => p.pod).sort(), ['restarted', 'unready'])
      assert.deepEqual(await summarize(new DirectoryTreeSource(dir + '/top'), { textFilters: false }), s)
    })
  })

  test('objects of another kind in a file with a familiar name are ignored', async () => {
    const s = await summarizeFiles({
      'top/img/namespaces/x/core/pods.yaml': yamlList([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pods' }, data: {} }, crashing('x', 'real')])
    })
    assert.equal(s.pods.total, 1)
    assert.deepEqual(s.pods.problems.map((p) => p.pod), ['real'])
  })

  test('binary garbage, empty files and YAML that is not an object do not stop the summary', async () => {
    const s = await summarizeFiles({
      'top/img/namespaces/a/core/pods.yaml': Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0x3a, 0x3a, 0x3a]),
      'top/img/namespaces/b/core/pods.yaml': '',
      'top/img/namespaces/c/core/pods.yaml': '- just\n- a\n- list\n',
      'top/img/namespaces/d/core/pods.yaml': 'hello: [\n',
      'top/img/cluster-scoped-resources/core/nodes/n.yaml': yamlDoc(node('n', 'False'))
    })
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['n'])
    assert.equal(s.pods.total, 0)
    const problems = Object.fromEntries(s.coverage['file-issues'].map((i) => [i.path.split('/')[3], i.problem]))
    assert.equal(problems.a, 'unparseable')
    assert.equal(problems.d, 'unparseable')
  })

  test('a key given twice makes the file unparseable (as for kubectl), not silently one of its values', async () => {
    const s = await summarizeFiles({
      'top/img/cluster-scoped-resources/config.openshift.io/clusterversions/version.yaml': 'apiVersion: config.openshift.io/v1\nkind: ClusterVersion\nmetadata:\n  name: version\nspec:\n  clusterID: abc\nkind: List\n'
    })
    assert.equal(s.cluster.id, null)
    assert.equal(s.coverage['file-issues'][0]?.problem, 'unparseable')
    assert.equal(s.coverage['file-issues'][0]?.detail, 'line 7: duplicated mapping key')
    assert.equal(s.coverage.sections.cluster?.status, 'unreadable')
  })

  test('an alias bomb (aliases of aliases, 10^9 values if copied) neither stalls the summary nor hides the pod it is in', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
    const annotated = yamlList([crashing('bomb', 'p')]).replace(/^( {2}metadata:\n)/m, `$1    annotations:\n${levels.map((l) => '      ' + l).join('\n')}\n`)
    assert.match(annotated, /i: &i \[\*h,/)
    const s = await summarizeFiles({ 'top/img/namespaces/bomb/core/pods.yaml': annotated })
    assert.deepEqual(s.pods.problems.map((p) => [p.pod, p.reason]), [['p', 'CrashLoopBackOff']])
    assert.deepEqual(s.coverage['file-issues'], [])
  })

  test('files above the size limit are skipped with a note, and the rest is read', async () => {
    const big = yamlList(Array.from({ length: 50 }, (_, i) => crashing('big', `p${i}`)))
    const s = await summarizeFiles({
      'top/img/namespaces/big/core/pods.yaml': big,
      'top/img/namespaces/small/core/pods.yaml': yamlList([crashing('small', 's')])
    }, { maxFileBytes: 4096 })
    assert.ok(big.length > 4096)
    assert.deepEqual(s.pods.problems.map((p) => p.pod), ['s'])
    assert.deepEqual(s.coverage['file-issues'].map((i) => [i.path, i.problem]), [['top/img/namespaces/big/core/pods.yaml', 'too-large']])
    assert.equal(s.coverage.sections.pods?.['files-skipped'], 1)
    assert.equal(s.coverage.sections.pods?.status, 'partial')
  })

  test('an empty tree: every section missing, nothing thrown', async () => {
    const s = await summarizeFiles({ 'top/README': 'nothing here\n' })
    for (const section of Object.values(s.coverage.sections)) assert.equal(section.status, 'missing')
    assert.equal(s.cluster.id, null)
    assert.equal(s.pods.total, 0)
  })

  test('symlinks are listed, never followed', async () => {
    await withTempDir(async (dir) => {
      const { symlink } = await import('node:fs/promises')
      await writeTree(dir, {
        'outside/namespaces/secret/core/pods.yaml': yamlList([crashing('secret', 'should-not-be-read')]),
        'top/img/namespaces/ok/core/pods.yaml': yamlList([crashing('ok', 'read-me')])
      })
      await symlink(dir + '/outside/namespaces/secret', dir + '/top/img/namespaces/secret')
      await symlink(dir + '/outside/namespaces/secret/core/pods.yaml', dir + '/top/img/namespaces/ok/pods.yaml')
      const s = await summarize(new DirectoryTreeSource(dir + '/top'))
      assert.deepEqual(s.pods.problems.map((p) => p.pod), ['read-me'])
      assert.ok(s.coverage.notes.some((n) => /2 symbolic links were not followed/.test(n)))
    })
  })

  test('a source whose reads fail, and one whose listing fails midway: reported, not thrown', async () => {
    const entries: TreeEntry[] = [
      { path: 'top/', type: 'directory', size: 0 },
      { path: 'top/img/cluster-scoped-resources/core/nodes/a.yaml', type: 'file', size: 100 },
      { path: 'top/img/cluster-scoped-resources/core/nodes/b.yaml', type: 'file', size: 100 }
    ]
    const failingReads: TreeSource = {
      async * entries () { yield * entries },
      async read (path) {
        if (path.endsWith('a.yaml')) throw new Error('block 7 is corrupt')
        return Buffer.from(yamlDoc(node('b', 'False')))
      }
    }
    const s = await summarize(failingReads)
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['b'])
    assert.deepEqual(s.coverage['file-issues'], [{ path: 'top/img/cluster-scoped-resources/core/nodes/a.yaml', problem: 'unreadable', detail: 'block 7 is corrupt' }])

    const failingList: TreeSource = {
      async * entries () {
        yield * entries
        throw new Error('index truncated')
      },
      async read () { return Buffer.from('') }
    }
    const t = await summarize(failingList)
    assert.ok(t.coverage.notes.some((n) => /could not be listed: index truncated/.test(n)))
  })

  test('an aborted summary says so and keeps what it read', async () => {
    const controller = new AbortController()
    const source: TreeSource = {
      async * entries () {
        yield { path: 'top/img/cluster-scoped-resources/core/nodes/a.yaml', type: 'file', size: 10 }
        yield { path: 'top/img/cluster-scoped-resources/core/nodes/b.yaml', type: 'file', size: 10 }
      },
      async read (path) {
        controller.abort(new Error('the execution was deleted'))
        return Buffer.from(yamlDoc(node(path.endsWith('a.yaml') ? 'a' : 'b', 'False')))
      }
    }
    const s = await summarize(source, { signal: controller.signal })
    assert.deepEqual(s.nodes.problems.map((n) => n.name), ['a'])
    assert.ok(s.coverage.notes.some((n) => /stopped before every file was read: Error: the execution was deleted/.test(n)))
  })
})
