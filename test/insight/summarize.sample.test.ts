// The summary of a real must-gather (OpenShift 4.8 on AWS, default image), checked
// against facts read here independently: the YAML parsed whole with `yaml`,
// paths listed by `tar -tJf`. Nothing here is copied from the summary's output.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'

import { parse, parseAllDocuments } from 'yaml'

import { DirectoryTreeSource, summarize, type Summary } from '../../src/insight/index.js'
import { readObjects } from '../../src/insight/yaml-objects.js'

const run = promisify(execFile)
const ARCHIVE = join(import.meta.dirname, '..', '..', '..', 'shared', 'samples', 'must-gather-aws', 'must-gather-aws.tar.xz')

type Obj = Record<string, any>

/** Every object of a YAML file, lists flattened (parsed whole: another path than the summary's). */
async function objectsOf (path: string): Promise<Obj[]> {
  const out: Obj[] = []
  for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
    const value = doc.toJS() as Obj | null
    if (value === null) continue
    if (Array.isArray(value.items)) out.push(...value.items)
    else out.push(value)
  }
  return out
}

const conditionStatus = (o: Obj, type: string) => (o.status?.conditions ?? []).find((c: Obj) => c.type === type)?.status

describe('summary of the real AWS sample', { timeout: 300_000 }, () => {
  let dir = ''
  let image = ''
  let summary: Summary
  let listing: Set<string>
  const namespaceDirs: string[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'insight-sample-'))
    await run('tar', ['-xJf', ARCHIVE, '-C', dir])
    const top = join(dir, 'must-gather-aws')
    const imageName = (await readdir(top, { withFileTypes: true })).find((e) => e.isDirectory())?.name ?? ''
    image = join(top, imageName)
    for (const ns of await readdir(join(image, 'namespaces'))) namespaceDirs.push(join(image, 'namespaces', ns))
    const { stdout } = await run('tar', ['-tJf', ARCHIVE], { maxBuffer: 64 * 1024 * 1024 })
    listing = new Set(stdout.split('\n').filter(Boolean))
    summary = await summarize(new DirectoryTreeSource(top))
  })
  after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

  test('cluster ID, version and platform are those of the ClusterVersion and Infrastructure', async () => {
    const cvText = await readFile(join(image, 'cluster-scoped-resources/config.openshift.io/clusterversions.yaml'), 'utf8')
    const id = /clusterID: (\S+)/.exec(cvText)?.[1]
    assert.ok(id)
    assert.equal(summary.cluster.id, id)
    const [cv] = await objectsOf(join(image, 'cluster-scoped-resources/config.openshift.io/clusterversions.yaml'))
    const completed = (cv?.status.history as Obj[]).find((h) => h.state === 'Completed')
    assert.equal(summary.cluster.version, completed?.version)
    const infra = parse(await readFile(join(image, 'cluster-scoped-resources/config.openshift.io/infrastructures/cluster.yaml'), 'utf8'))
    assert.equal(summary.cluster.platform, infra.status.platformStatus.type)
  })

  test('operators: all counted, and exactly the unhealthy ones listed (none: the README says all are Available)', async () => {
    const dirPath = join(image, 'cluster-scoped-resources/config.openshift.io/clusteroperators')
    const operators = await Promise.all((await readdir(dirPath)).map(async (f) => (await objectsOf(join(dirPath, f)))[0] as Obj))
    assert.equal(summary['cluster-operators'].total, operators.length)
    const unhealthy = operators.filter((o) => conditionStatus(o, 'Available') !== 'True' || conditionStatus(o, 'Degraded') === 'True' || conditionStatus(o, 'Progressing') === 'True').map((o) => o.metadata.name).sort()
    assert.deepEqual(summary['cluster-operators'].problems.map((p) => p.name).sort(), unhealthy)
    assert.ok(operators.every((o) => conditionStatus(o, 'Available') === 'True'))
  })

  test('nodes: all counted, all Ready, none under pressure', async () => {
    const dirPath = join(image, 'cluster-scoped-resources/core/nodes')
    const nodes = await Promise.all((await readdir(dirPath)).map(async (f) => (await objectsOf(join(dirPath, f)))[0] as Obj))
    assert.equal(summary.nodes.total, nodes.length)
    const bad = nodes.filter((n) => conditionStatus(n, 'Ready') !== 'True' || ['MemoryPressure', 'DiskPressure', 'PIDPressure'].some((t) => conditionStatus(n, t) === 'True'))
    assert.deepEqual(summary.nodes.problems.map((n) => n.name).sort(), bad.map((n) => n.metadata.name).sort())
  })

  test('pods: every pod counted; the restarted containers are exactly those with restartCount > 0; nothing crash-looping', async () => {
    const pods: Obj[] = []
    for (const ns of namespaceDirs) {
      try {
        pods.push(...await objectsOf(join(ns, 'core/pods.yaml')))
      } catch { /* a namespace without pods.yaml */ }
    }
    assert.equal(summary.pods.total, new Set(pods.map((p) => p.metadata.namespace + '/' + p.metadata.name)).size)
    const restarted = new Set<string>()
    const crashLooping = new Set<string>()
    for (const p of pods) {
      for (const c of [...(p.status.initContainerStatuses ?? []), ...(p.status.containerStatuses ?? [])]) {
        const key = `${p.metadata.namespace}/${p.metadata.name}/${c.name}`
        if (c.restartCount > 0) restarted.add(key)
        if (c.state?.waiting?.reason === 'CrashLoopBackOff') crashLooping.add(key)
      }
    }
    const found = (problem: string) => new Set(summary.pods.problems.filter((p) => p.problems.includes(problem)).map((p) => `${p.namespace}/${p.pod}/${p.container}`))
    assert.ok(restarted.size > 0)
    assert.deepEqual([...found('Restarted')].sort(), [...restarted].sort())
    assert.deepEqual([...found('CrashLoopBackOff')].sort(), [...crashLooping].sort())
    // each restarted container carries its count and its last exit code from the file
    for (const finding of summary.pods.problems.filter((p) => p.problems.includes('Restarted'))) {
      const p = pods.find((x) => x.metadata.namespace === finding.namespace && x.metadata.name === finding.pod)
      const c = [...(p?.status.initContainerStatuses ?? []), ...(p?.status.containerStatuses ?? [])].find((x: Obj) => x.name === finding.container)
      assert.equal(finding['restart-count'], c.restartCount)
      // the most recent termination: lastState, or the current state when the container is terminated now
      assert.equal(finding['last-exit-code'], c.lastState?.terminated?.exitCode ?? c.state?.terminated?.exitCode ?? null)
    }
  })

  test('warning events: every typed Warning counted, with its count; the biggest group is the biggest', async () => {
    const events: Obj[] = []
    for (const ns of namespaceDirs) {
      try {
        events.push(...await objectsOf(join(ns, 'core/events.yaml')))
      } catch { /* none */ }
    }
    const warnings = events.filter((e) => e.type === 'Warning')
    const untyped = events.filter((e) => e.type === undefined || e.type === null || e.type === '')
    const w = summary['warning-events']
    assert.ok(warnings.length >= 100, 'the README promises several hundred Warning events')
    assert.equal(w['untyped-events'], untyped.length)
    assert.ok(w.events >= warnings.length && w.events <= warnings.length + untyped.length)
    const untypedReasons = new Set(untyped.map((e) => e.reason))
    const byReason = new Map<string, number>()
    const byGroup = new Map<string, number>()
    for (const e of warnings) {
      const count = Math.max(1, e.count ?? 1)
      byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + count)
      const g = [e.reason, e.involvedObject?.namespace, e.involvedObject?.kind, e.involvedObject?.name].join('/')
      byGroup.set(g, (byGroup.get(g) ?? 0) + count)
    }
    for (const [reason, count] of byReason) {
      if (untypedReasons.has(reason)) continue
      assert.equal(w.reasons.find((r) => r.reason === reason)?.count, count, reason)
    }
    assert.equal(w.groups[0]?.count, Math.max(...byGroup.values()))
    assert.equal(w.groups.length, 20)
  })

  test('every finding names a file that the archive holds', () => {
    const sources = [
      summary.cluster['id-source'], summary.cluster['version-source'], summary.cluster['platform-source'],
      ...summary['cluster-operators'].problems.map((p) => p.source),
      ...summary.nodes.problems.map((p) => p.source),
      ...summary.pods.problems.map((p) => p.source),
      ...summary['warning-events'].groups.map((g) => g.source),
      ...summary['persistent-volume-claims'].pending.map((p) => p.source),
      ...summary.gather.failures.map((f) => f.source)
    ]
    assert.ok(sources.length > 20)
    for (const source of sources) {
      assert.ok(source !== null && listing.has(source), `${source} is not in tar -tJf's listing`)
    }
    assert.deepEqual(summary.coverage['image-dirs'], [image.slice(dir.length + 1)])
    assert.ok(listing.has(summary.coverage['image-dirs'][0] + '/'))
  })

  test('lists read item by item give the same objects as parsing each file whole (every namespaced core file)', async () => {
    let files = 0
    let items = 0
    for (const ns of namespaceDirs) {
      let names: string[] = []
      try { names = await readdir(join(ns, 'core')) } catch { continue }
      for (const name of names.filter((n) => n.endsWith('.yaml'))) {
        const path = join(ns, 'core', name)
        const whole = await objectsOf(path)
        const cut: unknown[] = []
        const result = await readObjects(await readFile(path, 'utf8'), (o) => cut.push(o), { wholeDocumentLimit: 256 }) // only empty lists may be parsed whole
        assert.deepEqual(result.errors, [], path)
        assert.deepEqual(cut, whole, path)
        files++
        items += whole.length
      }
    }
    assert.ok(files > 100 && items > 1000)
  })

  test('skipping items by their text (normal events, healthy pods) changes nothing: the same summary with every item parsed', async () => {
    const everyItemParsed = await summarize(new DirectoryTreeSource(join(dir, 'must-gather-aws')), { textFilters: false })
    assert.deepEqual(summary, everyItemParsed)
  })

  test('coverage: resources read without issues; no gather logs in this archive', () => {
    const c = summary.coverage.sections
    for (const section of ['cluster', 'cluster-operators', 'nodes', 'pods', 'events', 'persistent-volume-claims']) {
      assert.equal(c[section]?.status, 'read', section)
    }
    assert.equal(c['gather-logs']?.status, 'missing')
    assert.deepEqual(summary.coverage['file-issues'], [])
    assert.deepEqual(summary.gather.failures, [])
  })
})
