// The summary of trees the `oc` simulator writes (real child processes): a
// normal gather, a failed one with oc's fall-back inspect, a timed-out one, one
// interrupted by SIGTERM, per-node trees and an image that writes its own archive.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'

import { parseAllDocuments } from 'yaml'

import { CLUSTER_ID, CLUSTER_VERSION, NODES, OPERATORS } from '../../simulator/cluster.mjs'
import { DirectoryTreeSource, summarize, type Summary } from '../../src/insight/index.js'
import { runOc, startOc } from '../simulator/helpers.js'
import { withTempDir } from './helpers.js'

const run = promisify(execFile)
const IMAGE = 'quay.io/must-gather-service/simulator'

async function gatherAndSummarize (dir: string, args: string[]): Promise<{ summary: Summary, code: number | null, listing: Set<string> }> {
  const result = await runOc(['adm', 'must-gather', '--dest-dir', join(dir, 'mg'), ...args], dir)
  return { ...await summarizeDest(dir), code: result.code }
}

async function summarizeDest (dir: string): Promise<{ summary: Summary, listing: Set<string> }> {
  const summary = await summarize(new DirectoryTreeSource(join(dir, 'mg')))
  await run('tar', ['-C', dir, '-czf', join(dir, 'mg.tar.gz'), 'mg'])
  const { stdout } = await run('tar', ['-tzf', join(dir, 'mg.tar.gz')], { maxBuffer: 64 * 1024 * 1024 })
  return { summary, listing: new Set(stdout.split('\n').filter(Boolean)) }
}

/** Every path a finding names is one tar lists (directories with their trailing slash). */
function assertSourcesListed (summary: Summary, listing: Set<string>): void {
  const sources = [
    summary.cluster['id-source'], summary.cluster['version-source'], summary.cluster['platform-source'],
    ...summary['cluster-operators'].problems.map((p) => p.source), ...summary.nodes.problems.map((p) => p.source),
    ...summary.pods.problems.map((p) => p.source), ...summary['warning-events'].groups.map((g) => g.source),
    ...summary.gather.failures.map((f) => f.source), ...summary.gather.logs
  ].filter((s): s is string => s !== null)
  for (const s of sources) assert.ok(listing.has(s), `${s} is not in the archive's listing`)
}

async function objectsUnder (root: string, name: string): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = []
  for (const entry of await readdir(root, { recursive: true })) {
    if (!entry.endsWith('/' + name)) continue
    for (const doc of parseAllDocuments(await readFile(join(root, entry), 'utf8'))) {
      const v = doc.toJS()
      if (v !== null) out.push(...(Array.isArray(v.items) ? v.items : [v]))
    }
  }
  return out
}

describe('summary of simulator trees', { timeout: 120_000 }, () => {
  test('a normal gather: identity, healthy operators and nodes, restarts and warnings as written, no failures', async () => {
    await withTempDir(async (dir) => {
      const { summary: s, code, listing } = await gatherAndSummarize(dir, ['--image', `${IMAGE}:slow-0`])
      assert.equal(code, 0)
      assert.equal(s.cluster.id, CLUSTER_ID)
      assert.equal(s.cluster.version, CLUSTER_VERSION)
      // no Infrastructure in the simulator's tree: the platform comes from the nodes' providerID
      assert.equal(s.cluster.platform, 'AWS')
      assert.match(s.cluster['platform-source'] ?? '', /cluster-scoped-resources\/core\/nodes\/.*\.yaml$/)
      assert.equal(s['cluster-operators'].total, OPERATORS.length)
      assert.deepEqual(s['cluster-operators'].problems, [])
      assert.equal(s.nodes.total, NODES.length)
      assert.deepEqual(s.nodes.problems, [])
      assert.equal(s.coverage['image-dirs'].length, 1)

      // restarts and warnings, recomputed from the files parsed whole (first copy of a pod wins, as in the summary)
      const image = join(dir, s.coverage['image-dirs'][0] ?? '')
      const pods = new Map<string, Record<string, any>>()
      for (const p of await objectsUnder(join(image, 'namespaces'), 'pods.yaml')) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`
        if (!pods.has(key)) pods.set(key, p)
      }
      const restarted = [...pods.values()].flatMap((p) => p.status.containerStatuses.filter((c: any) => c.restartCount > 0).map((c: any) => `${p.metadata.namespace}/${p.metadata.name}/${c.name}`))
      assert.ok(restarted.length > 0)
      assert.deepEqual(s.pods.problems.map((p) => `${p.namespace}/${p.pod}/${p.container}`).sort(), restarted.sort())
      assert.ok(s.pods.problems.every((p) => p.problems.join() === 'Restarted'))
      const events = await objectsUnder(join(image, 'namespaces'), 'events.yaml')
      const warnings = events.filter((e) => e.type === 'Warning')
      assert.equal(s['warning-events'].events, warnings.length)
      assert.equal(s['warning-events'].occurrences, warnings.reduce((n, e) => n + e.count, 0))
      assert.deepEqual(s['warning-events'].reasons.map((r) => r.reason).sort(), [...new Set(warnings.map((e) => e.reason))].sort())

      // skipping items by their text changes nothing
      assert.deepEqual(await summarize(new DirectoryTreeSource(join(dir, 'mg')), { textFilters: false }), s)

      assert.deepEqual(s.gather.failures, [])
      assert.deepEqual(s.gather.logs.map((l) => l.split('/').pop()).sort(), ['gather.logs', 'must-gather.logs'])
      assert.equal(s.coverage.sections['gather-logs']?.status, 'read')
      assertSourcesListed(s, listing)
    })
  })

  test('a failed gather: the pod failure from must-gather.logs, the fall-back inspect, and its data summarised', async () => {
    await withTempDir(async (dir) => {
      const { summary: s, code, listing } = await gatherAndSummarize(dir, ['--image', `${IMAGE}:slow-0_fail-137`])
      assert.equal(code, 1)
      const podFailure = s.gather.failures.find((f) => f.kind === 'pod-failed')
      assert.ok(podFailure)
      assert.match(podFailure.message, /exit code: 137, reason: OOMKilled/)
      assert.match(podFailure.step ?? '', /^must-gather-[a-z0-9]{5}$/)
      assert.equal(podFailure.source, 'mg/must-gather.logs')
      const logText = await readFile(join(dir, 'mg/must-gather.logs'), 'utf8')
      assert.match(logText.split('\n')[(podFailure.line ?? 0) - 1] ?? '', /gather never finished/)
      const fallback = s.gather.failures.find((f) => f.kind === 'fallback-inspect')
      assert.ok(fallback)
      // oc's fall-back data stands in for the missing image data
      const inspect = (await readdir(join(dir, 'mg'))).find((n) => n.startsWith('inspect.local.'))
      assert.deepEqual(s.coverage['image-dirs'], [`mg/${inspect}`])
      assert.equal(s['cluster-operators'].total, OPERATORS.length)
      assert.equal(s.cluster.id, CLUSTER_ID)
      assert.equal(s.cluster['id-source'], `mg/${inspect}/cluster-scoped-resources/config.openshift.io/clusterversions/version.yaml`)
      assert.equal(s.coverage.sections.nodes?.status, 'missing')
      assertSourcesListed(s, listing)
    })
  })

  test('a gather that outlives --timeout is reported as a timeout', async () => {
    await withTempDir(async (dir) => {
      const { summary: s, code } = await gatherAndSummarize(dir, ['--image', `${IMAGE}:timeout`, '--timeout', '1s'])
      assert.equal(code, 1)
      const failure = s.gather.failures.find((f) => f.kind === 'pod-timeout')
      assert.match(failure?.message ?? '', /timed out waiting for the condition/)
    })
  })

  test('oc killed mid-gather: its timestamp has a start and no end, reported as interrupted', async () => {
    await withTempDir(async (dir) => {
      const oc = startOc(['adm', 'must-gather', '--dest-dir', join(dir, 'mg'), '--image', `${IMAGE}:slow-120`], dir)
      await oc.waitForStdout(/POD .*volume percentage checker started/)
      oc.child.kill('SIGTERM')
      const result = await oc.result
      assert.equal(result.signal, 'SIGTERM')
      const { summary: s } = await summarizeDest(dir)
      const interrupted = s.gather.failures.find((f) => f.kind === 'interrupted')
      assert.equal(interrupted?.source, 'mg/timestamp')
    })
  })

  test('one tree per node (--node-selector): every image directory found, objects counted once', async () => {
    await withTempDir(async (dir) => {
      const { summary: s, code } = await gatherAndSummarize(dir, ['--image', `${IMAGE}:slow-0_files-120`, '--node-selector', 'node-role.kubernetes.io/worker'])
      assert.equal(code, 0)
      const workers = NODES.filter((n) => n.role === 'worker').length
      assert.equal(s.coverage['image-dirs'].length, workers)
      assert.equal(s['cluster-operators'].total, OPERATORS.length)
      assert.equal(s.nodes.total, NODES.length)
      assert.equal(s.gather.logs.filter((l) => l.endsWith('/gather.logs')).length, workers)
    })
  })

  test('an image that writes its own archive: the tree is summarised and the archive noted', async () => {
    await withTempDir(async (dir) => {
      const { summary: s } = await gatherAndSummarize(dir, ['--image', `${IMAGE}:slow-0_archive_files-80`])
      assert.equal(s['cluster-operators'].total, OPERATORS.length)
      assert.ok(s.coverage.notes.some((n) => /^nested archive not summarised: mg\/.*\/must-gather\.tar\.gz$/.test(n)), s.coverage.notes.join('\n'))
    })
  })
})
