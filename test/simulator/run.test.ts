// A normal `oc adm must-gather` run of the simulator: output line shapes and
// order, must-gather.logs, timestamp, destination layout, and the options that
// change them (dest-dir default, images, image streams, node selection,
// run-namespace, keep, since, gather command).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { runOc, withTempDir, lines, listFiles, totalBytes, imageDirs, MAIN_OUT, POD_OUT, POD_LINE, TS } from './helpers.js'

const SUMMARY = [
  'When opening a support case, bugzilla, or issue please include the following summary data along with any other requested information:',
  'ClusterID: 6e1c2f4a-8b3d-4e5f-9a7b-1c2d3e4f5a6b',
  'ClientVersion: 4.17.0',
  'ClusterVersion: Stable at "4.17.3"',
  'ClusterOperators:',
  '\tAll healthy and stable'
]

/** Removes the timestamp of an OUT line, so stdout and must-gather.logs lines can be compared. */
function stripTs (line: string): string {
  return line.replace(new RegExp(`^(\\[[^\\]]+\\] OUT) ${TS} `), '$1 ')
}

function mainTexts (stdout: string): string[] {
  return lines(stdout).flatMap((l) => { const m = MAIN_OUT.exec(l); return m ? [m[1] ?? ''] : [] })
}

function podOutTexts (stdout: string): string[] {
  return lines(stdout).flatMap((l) => { const m = POD_OUT.exec(l); return m ? [m[2] ?? ''] : [] })
}

/** A quick, tiny gather for tests that do not look at the data. */
const LIGHT = 'quay.io/must-gather-service/simulator:slow-0_files-5'

describe('oc simulator: a normal run', { concurrency: 6 }, () => {
  test('prints the reference output and writes the reference layout', async () => {
    await withTempDir(async (dir) => {
      const image = 'quay.io/must-gather-service/simulator:latest'
      const r = await runOc(['adm', 'must-gather', `--image=${image}`, '--dest-dir', 'out',
        '--server', 'https://api.example.com:6443', '--token', 'sha256~secret', '--insecure-skip-tls-verify',
        '--kubeconfig', join(dir, 'kubeconfig'), '-n', 'default', '--loglevel', '2', '--request-timeout=30s'], dir)
      assert.equal(r.stderr, '')
      assert.equal(r.code, 0)

      // every line has one of the reference shapes
      const out = lines(r.stdout)
      for (const l of out) {
        const ok = MAIN_OUT.test(l) || POD_OUT.test(l) || POD_LINE.test(l) || SUMMARY.includes(l) || l === '' || l === 'Reprinting Cluster State:'
        assert.ok(ok, `unexpected line: ${JSON.stringify(l)}`)
      }
      assert.deepEqual(out.slice(0, 7).map((l, i) => i === 0 ? MAIN_OUT.exec(l)?.[1] : l), [`Using must-gather plug-in image: ${image}`, ...SUMMARY])
      assert.deepEqual(out.slice(-8), ['', 'Reprinting Cluster State:', ...SUMMARY])

      // oc's own lines, in order
      const main = mainTexts(r.stdout)
      assert.match(main[1] ?? '', /^namespace\/openshift-must-gather-[a-z0-9]{5} created$/)
      const ns = (main[1] ?? '').split(' ')[0]
      assert.match(main[2] ?? '', /^clusterrolebinding\.rbac\.authorization\.k8s\.io\/must-gather-[a-z0-9]{5} created$/)
      assert.equal(main[3], `pod for plug-in image ${image} created`)
      assert.equal(main.at(-1), `${ns} deleted`)

      // the pod's lines: POD output first, then waiting / downloading / rsync listing
      const podNames = new Set(out.flatMap((l) => { const m = POD_OUT.exec(l) ?? POD_LINE.exec(l); return m ? [m[1]] : [] }))
      assert.equal(podNames.size, 1)
      const podLines = out.filter((l) => POD_LINE.test(l))
      assert.equal(podLines.length, 40)
      const firstPodOut = out.findIndex((l) => POD_OUT.test(l))
      assert.ok(out.findLastIndex((l) => POD_LINE.test(l)) < firstPodOut, 'POD lines come before the pod OUT lines')
      const podOut = podOutTexts(r.stdout)
      assert.deepEqual(podOut.slice(0, 4), ['waiting for gather to complete', 'downloading gather output', 'receiving incremental file list', './'])
      assert.equal(podOut.at(-3), '')
      assert.match(podOut.at(-2) ?? '', /^sent [\d,]+ bytes {2}received [\d,]+ bytes {2}[\d,]+\.\d\d bytes\/sec$/)
      const totalMatch = /^total size is ([\d,]+) {2}speedup is \d+\.\d\d$/.exec(podOut.at(-1) ?? '')
      assert.ok(totalMatch)

      // must-gather.logs: every OUT line and the summaries, no POD line
      const dest = join(dir, 'out')
      const logLines = lines(await readFile(join(dest, 'must-gather.logs'), 'utf8'))
      assert.deepEqual(logLines.map(stripTs), out.filter((l) => !POD_LINE.test(l)).map(stripTs))

      // timestamp: one line at the start, one at the end, Go's time.Time.String()
      const stamps = lines(await readFile(join(dest, 'timestamp'), 'utf8'))
      assert.equal(stamps.length, 2)
      for (const s of stamps) assert.match(s, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? \+0000 UTC m=\+\d+\.\d{9}$/)
      assert.match(await readFile(join(dest, 'event-filter.html'), 'utf8'), /^<!DOCTYPE html>/)

      // one directory named after the sanitized image ID
      const dirs = await imageDirs(dest)
      assert.equal(dirs.length, 1)
      assert.match(dirs[0] ?? '', /^quay-io-must-gather-service-simulator-sha256-[0-9a-f]{64}$/)
      const imageDir = join(dest, dirs[0] ?? '')

      // gather.logs: the pod's lines with their timestamps, including what the pod ran
      const gatherLogs = lines(await readFile(join(imageDir, 'gather.logs'), 'utf8'))
      assert.deepEqual(gatherLogs, podLines.map((l) => l.replace(/^\[must-gather-[a-z0-9]{5}\] POD /, '')))
      assert.ok(gatherLogs.some((l) => l.includes('/bin/bash -c "') && l.endsWith('& /usr/bin/gather; sync"')))

      // resource files, nested like a real gather
      const files = await listFiles(imageDir)
      assert.match(await readFile(join(imageDir, 'cluster-scoped-resources/config.openshift.io/clusterversions.yaml'), 'utf8'), /kind: ClusterVersion[\s\S]*clusterID: 6e1c2f4a-8b3d-4e5f-9a7b-1c2d3e4f5a6b/)
      assert.equal(files.filter((f) => f.startsWith('cluster-scoped-resources/core/nodes/') && f.endsWith('.yaml')).length, 5)
      const pods = files.find((f) => /^namespaces\/[^/]+\/core\/pods\.yaml$/.test(f))
      assert.ok(pods)
      assert.match(await readFile(join(imageDir, pods), 'utf8'), /kind: Pod/)
      const log = files.find((f) => /^namespaces\/[^/]+\/pods\/[^/]+\/([^/]+)\/\1\/logs\/current\.log$/.test(f))
      assert.ok(log, 'namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log')

      // the rsync listing names exactly the files written (gather.logs comes from oc itself)
      const listed = podOut.slice(4, -3).filter((l) => !l.endsWith('/')).sort()
      assert.deepEqual(listed, files.filter((f) => f !== 'gather.logs'))
      const bytes = await totalBytes(imageDir, listed)
      assert.equal(Number(totalMatch[1]?.replaceAll(',', '')), bytes)
      assert.ok(bytes > 800_000 && bytes < 1_600_000, `about 1 MB, got ${bytes}`)
    })
  })

  test('default --dest-dir is must-gather.local.<digits> in the working directory', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather'], dir)
      assert.equal(r.code, 0)
      const entries = await readdir(dir)
      assert.equal(entries.length, 1)
      assert.match(entries[0] ?? '', /^must-gather\.local\.\d{6,}$/)
      // the default image resolves to a digest: its directory carries that digest
      const using = mainTexts(r.stdout)[0] ?? ''
      const digest = /@sha256:([0-9a-f]{64})$/.exec(using)?.[1]
      assert.ok(digest, using)
      assert.deepEqual(await imageDirs(join(dir, entries[0] ?? '')), [`quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-${digest}`])
    })
  })

  test('the gather command after -- and --source-dir are recorded, never executed', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', LIGHT, '--source-dir', '/custom/dir/', '--', 'PLAN=plan1', '/usr/bin/targeted', '--verbose'], dir)
      assert.equal(r.code, 0)
      const [imageDir] = await imageDirs(join(dir, 'd'))
      const gather = await readFile(join(dir, 'd', imageDir ?? '', 'gather.logs'), 'utf8')
      assert.match(gather, /\/bin\/bash -c "<volume usage checker of \/custom\/dir at 30%> & PLAN=plan1 \/usr\/bin\/targeted --verbose; sync"/)
    })
  })

  test('--run-namespace: no namespace is created or deleted', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', LIGHT, '--run-namespace', 'my-privileged-ns'], dir)
      assert.equal(r.code, 0)
      assert.doesNotMatch(r.stdout, /namespace\/|clusterrolebinding/)
      assert.match(r.stdout, /pod for plug-in image .* created/)
    })
  })

  test('--keep: the namespace is created but not deleted', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', LIGHT, '--keep'], dir)
      assert.equal(r.code, 0)
      assert.match(r.stdout, /namespace\/openshift-must-gather-[a-z0-9]{5} created/)
      assert.doesNotMatch(r.stdout, /deleted/)
    })
  })

  test('several images (repeated and comma-separated): one line listing them, one pod and directory each', async () => {
    await withTempDir(async (dir) => {
      const images = ['quay.io/a/one:slow-0_files-5', 'quay.io/a/two', 'docker.io/library/busybox:files-5', 'busybox']
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${images[0]},${images[1]}`, `--image=${images[2]}`, '--image', images[3] ?? ''], dir)
      assert.equal(r.code, 0, r.stderr)
      const main = mainTexts(r.stdout)
      assert.equal(main[0], `Using must-gather plug-in image: ${images.join(', ')}`)
      for (const image of images) assert.ok(main.includes(`pod for plug-in image ${image} created`), image)
      const dirs = await imageDirs(join(dir, 'd'))
      assert.equal(dirs.length, 4)
      assert.equal(dirs.filter((d) => d.startsWith('docker-io-library-busybox-sha256-')).length, 2)
      assert.ok(dirs.some((d) => d.startsWith('quay-io-a-one-sha256-')))
      assert.ok(dirs.some((d) => d.startsWith('quay-io-a-two-sha256-')))
    })
  })

  test('at most 4 pods run at once', async () => {
    await withTempDir(async (dir) => {
      const images = [1, 2, 3, 4, 5].map((i) => `quay.io/a/img${i}:slow-0.4_files-5`)
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', ...images.flatMap((i) => ['--image', i])], dir)
      assert.equal(r.code, 0)
      const main = mainTexts(r.stdout)
      const created = main.filter((t) => t.startsWith('pod for plug-in image'))
      assert.equal(created.length, 5)
      const fifth = r.stdout.indexOf(`pod for plug-in image ${images[4]} created`)
      assert.ok(r.stdout.indexOf('downloading gather output') < fifth, 'the 5th pod starts after one of the first 4 finished')
      assert.equal((await imageDirs(join(dir, 'd'))).length, 5)
    })
  })

  test('--all-images: the default image plus the operators\' images', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--all-images'], dir)
      assert.equal(r.code, 0)
      const using = mainTexts(r.stdout)[0] ?? ''
      assert.match(using, /^Using must-gather plug-in image: quay\.io\/openshift-release-dev\/ocp-v4\.0-art-dev@sha256:[0-9a-f]{64}, \S+@sha256:[0-9a-f]{64}, \S+@sha256:[0-9a-f]{64}$/)
      assert.equal((await imageDirs(join(dir, 'd'))).length, 3)
    })
  })

  test('--image-stream namespace/name:tag resolves to an image (its tag selects the scenario)', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image-stream', 'openshift/must-gather:lines-7'], dir)
      assert.equal(r.code, 0)
      assert.match(mainTexts(r.stdout)[0] ?? '', /^Using must-gather plug-in image: image-registry\.openshift-image-registry\.svc:5000\/openshift\/must-gather@sha256:[0-9a-f]{64}$/)
      assert.equal(lines(r.stdout).filter((l) => POD_LINE.test(l)).length, 7)
    })
  })

  test('--node-selector: one pod per matching node, data under <node>/<image-id>/', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--node-selector', 'node-role.kubernetes.io/worker', '--image', 'quay.io/org/net:slow-0_files-5'], dir)
      assert.equal(r.code, 0)
      const created = mainTexts(r.stdout).filter((t) => t.endsWith('created') && t.startsWith('pod: '))
      assert.equal(created.length, 2)
      for (const t of created) assert.match(t, /^pod: must-gather-[a-z0-9]{5} on node: ip-[\d-]+\.us-east-2\.compute\.internal for plug-in image quay\.io\/org\/net:slow-0_files-5 created$/)
      const nodeDirs = (await readdir(join(dir, 'd'))).filter((n) => n.startsWith('ip-')).sort()
      assert.deepEqual(nodeDirs, ['ip-10-0-23-88-us-east-2-compute-internal', 'ip-10-0-61-132-us-east-2-compute-internal'])
      for (const n of nodeDirs) {
        const inner = await readdir(join(dir, 'd', n))
        assert.equal(inner.length, 1)
        assert.match(inner[0] ?? '', /^quay-io-org-net-sha256-[0-9a-f]{64}$/)
        const gather = await readFile(join(dir, 'd', n, inner[0] ?? '', 'gather.logs'), 'utf8')
        assert.ok(gather.includes(`NODE_NAME=${n.replace(/-us-east-2-compute-internal$/, '.us-east-2.compute.internal')}`))
      }
    })
  })

  test('--node-selector matching no node gathers nothing and succeeds', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--node-selector', 'disktype=ssd'], dir)
      assert.equal(r.code, 0)
      assert.deepEqual((await readdir(join(dir, 'd'))).sort(), ['event-filter.html', 'must-gather.logs', 'timestamp'])
    })
  })

  test('--since and --since-time reach the pod as MUST_GATHER_SINCE(_TIME); --node-name as NODE_NAME', async () => {
    await withTempDir(async (dir) => {
      const [a, b] = await Promise.all([
        runOc(['adm', 'must-gather', '--dest-dir', 'a', '--image', LIGHT, '--since', '90m', '--node-name', 'worker-7'], dir),
        runOc(['adm', 'must-gather', '--dest-dir', 'b', '--image', LIGHT, '--since-time=2026-11-24T08:00:00Z'], dir)
      ])
      assert.equal(a.code, 0)
      assert.equal(b.code, 0)
      const read = async (d: string) => readFile(join(dir, d, (await imageDirs(join(dir, d)))[0] ?? '', 'gather.logs'), 'utf8')
      const ga = await read('a')
      assert.match(ga, /MUST_GATHER_SINCE=1h30m0s/)
      assert.match(ga, /NODE_NAME=worker-7 /)
      assert.match(await read('b'), /MUST_GATHER_SINCE_TIME=2026-11-24T08:00:00Z/)
    })
  })
})
