// Scenarios selected by the image tag, --timeout, and signal handling.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { setTimeout as delay } from 'node:timers/promises'
import { runOc, startOc, withTempDir, lines, listFiles, totalBytes, imageDirs, exists, MAIN_OUT, POD_OUT, POD_LINE } from './helpers.js'

const IMG = 'quay.io/must-gather-service/simulator'

function podLines (stdout: string): string[] {
  return lines(stdout).filter((l) => POD_LINE.test(l))
}

function tsOf (line: string): number {
  const m = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/.exec(line)
  assert.ok(m, line)
  return Date.parse(m[1] ?? '')
}

async function inspectDirs (dest: string): Promise<string[]> {
  return (await readdir(dest)).filter((n) => /^inspect\.local\.\d{6,}$/.test(n))
}

/** Checks the fall-back inspect that follows a failed gather. */
async function assertFallback (dest: string, stdout: string, stderr: string, error: string): Promise<void> {
  const err = lines(stderr)
  assert.ok(err.includes('Error running must-gather collection:'), stderr)
  assert.ok(err.includes(`    ${error}`), stderr)
  assert.ok(err.includes('Falling back to `oc adm inspect clusterversion.v1.config.openshift.io,clusteroperators.v1.config.openshift.io` to collect basic cluster types.'))
  assert.equal(err.at(-1), `error: ${error}`)
  const [inspect, ...more] = await inspectDirs(dest)
  assert.ok(inspect)
  assert.equal(more.length, 0)
  assert.ok(lines(stdout).some((l) => MAIN_OUT.exec(l)?.[1] === `Wrote inspect data to ${join(dest, inspect)}.`))
  const files = await listFiles(join(dest, inspect))
  assert.ok(files.includes('cluster-scoped-resources/config.openshift.io/clusterversions/version.yaml'))
  assert.ok(files.some((f) => f.startsWith('cluster-scoped-resources/config.openshift.io/clusteroperators/')))
  assert.ok(lines(stdout).includes('Reprinting Cluster State:'))
}

describe('oc simulator: scenarios', { concurrency: 6 }, () => {
  test('slow-N spreads the POD lines over N seconds', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:slow-1.5`], dir)
      assert.equal(r.code, 0)
      assert.ok(r.ms >= 1500, `took ${r.ms} ms`)
      const pod = podLines(r.stdout)
      assert.ok(tsOf(pod.at(-1) ?? '') - tsOf(pod[0] ?? '') >= 1200)
    })
  })

  test('lines-N prints exactly N POD lines, all kept in gather.logs', async () => {
    await withTempDir(async (dir) => {
      const [r, none] = await Promise.all([
        runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:lines-20000`], dir),
        runOc(['adm', 'must-gather', '--dest-dir', 'e', '--image', `${IMG}:lines-0`], dir)
      ])
      assert.equal(r.code, 0)
      assert.equal(podLines(r.stdout).length, 20000)
      const [d] = await imageDirs(join(dir, 'd'))
      assert.equal(lines(await readFile(join(dir, 'd', d ?? '', 'gather.logs'), 'utf8')).length, 20000)
      assert.equal(none.code, 0)
      assert.equal(podLines(none.stdout).length, 0)
    })
  })

  test('size-N writes about N bytes over many files, with multi-MiB logs for big sizes', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:size-10m`], dir)
      assert.equal(r.code, 0)
      const [d] = await imageDirs(join(dir, 'd'))
      const imageDir = join(dir, 'd', d ?? '')
      const files = (await listFiles(imageDir)).filter((f) => f !== 'gather.logs')
      assert.ok(files.length > 800, `${files.length} files`)
      const bytes = await totalBytes(imageDir, files)
      const target = 10 * 1024 * 1024
      assert.ok(Math.abs(bytes - target) < target * 0.1, `${bytes} bytes`)
      let largest = 0
      for (const f of files.filter((x) => x.endsWith('.log'))) largest = Math.max(largest, await totalBytes(imageDir, [f]))
      assert.ok(largest >= 4 * 1024 * 1024, `largest log ${largest}`)
    })
  })

  test('files-N sets the file count exactly', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:files-300_size-2m`], dir)
      assert.equal(r.code, 0)
      const [d] = await imageDirs(join(dir, 'd'))
      const files = await listFiles(join(dir, 'd', d ?? ''))
      assert.equal(files.length, 301)
      assert.ok(files.includes('gather.logs'))
    })
  })

  test('fail: exit code and reason, fall-back inspect, exit 1, no data downloaded for the pod', async () => {
    await withTempDir(async (dir) => {
      const dest = join(dir, 'd')
      const r = await runOc(['adm', 'must-gather', '--dest-dir', dest, '--image', `${IMG}:fail`], dir)
      assert.equal(r.code, 1)
      const line = lines(r.stdout).map((l) => POD_OUT.exec(l)?.[2]).find((t) => t?.startsWith('gather never finished: ')) ?? ''
      assert.match(line, /^gather never finished: openshift-must-gather-[a-z0-9]{5}\/must-gather-[a-z0-9]{5} unexpectedly terminated: exit code: 1, reason: Error, message: .+$/)
      await assertFallback(dest, r.stdout, r.stderr, line.slice('gather never finished: '.length))
      assert.deepEqual(await imageDirs(dest), [])
      assert.ok(await exists(join(dest, 'must-gather.logs')))
      assert.equal(lines(await readFile(join(dest, 'timestamp'), 'utf8')).length, 2)
      assert.ok(await exists(join(dest, 'event-filter.html')))
      assert.match(r.stdout, /namespace\/openshift-must-gather-[a-z0-9]{5} deleted/)
    })
  })

  test('fail-137 reports OOMKilled; with --run-namespace the pod is in that namespace', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--run-namespace', 'mg-ns', '--image', `${IMG}:fail-137`], dir)
      assert.equal(r.code, 1)
      assert.match(r.stderr, /error: mg-ns\/must-gather-[a-z0-9]{5} unexpectedly terminated: exit code: 137, reason: OOMKilled, message: /)
    })
  })

  test('one failing image among good ones: the good data is kept, exit 1', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', 'quay.io/a/good:v1', '--image', 'quay.io/a/bad:fail'], dir)
      assert.equal(r.code, 1)
      const dirs = await imageDirs(join(dir, 'd'))
      assert.equal(dirs.length, 1)
      assert.match(dirs[0] ?? '', /^quay-io-a-good-sha256-/)
      assert.equal((await inspectDirs(join(dir, 'd'))).length, 1)
    })
  })

  test('crash: error right after the image line, dest-dir left empty', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:crash`], dir)
      assert.equal(r.code, 1)
      assert.deepEqual(lines(r.stdout).map((l) => MAIN_OUT.exec(l)?.[1]), [`Using must-gather plug-in image: ${IMG}:crash`])
      assert.match(r.stderr, /^error: creating temp namespace: .+\n$/)
      assert.deepEqual(await readdir(join(dir, 'd')), [])
    })
  })

  test('timeout: gather never finishes, oc gives up at --timeout', async () => {
    await withTempDir(async (dir) => {
      const dest = join(dir, 'd')
      const r = await runOc(['adm', 'must-gather', '--dest-dir', dest, '--timeout', '1s', '--image', `${IMG}:timeout`], dir)
      assert.equal(r.code, 1)
      assert.ok(r.ms >= 1000 && r.ms < 15000, `took ${r.ms} ms`)
      const podOut = lines(r.stdout).flatMap((l) => { const m = POD_OUT.exec(l); return m ? [`${m[1]}: ${m[2]}`] : [] })
      const last = podOut.at(-1) ?? ''
      assert.match(last, /^must-gather-[a-z0-9]{5}: gather never finished: timed out waiting for the condition$/)
      const pod = last.split(':')[0]
      await assertFallback(dest, r.stdout, r.stderr, `gather never finished for pod ${pod}: timed out waiting for the condition`)
      assert.deepEqual(await imageDirs(dest), [])
    })
  })

  test('any gather longer than --timeout times out at --timeout', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--timeout=1s', '--image', `${IMG}:slow-30`], dir)
      assert.equal(r.code, 1)
      assert.ok(r.ms < 15000, `took ${r.ms} ms, not the 30 s of the gather`)
      assert.match(r.stdout, /gather never finished: timed out waiting for the condition/)
    })
  })

  test('archive: a real gzip\'d tar of the gathered tree inside the image directory', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', 'quay.io/konveyor/forklift-must-gather:archive_size-2m'], dir)
      assert.equal(r.code, 0)
      const [d] = await imageDirs(join(dir, 'd'))
      const imageDir = join(dir, 'd', d ?? '')
      assert.ok(lines(r.stdout).some((l) => POD_OUT.exec(l)?.[2] === 'must-gather.tar.gz'), 'listed by rsync')
      const tar = gunzipSync(await readFile(join(imageDir, 'must-gather.tar.gz')))
      const entries = new Map<string, Buffer | null>()
      for (let off = 0; off + 512 <= tar.length;) {
        const h = tar.subarray(off, off + 512)
        if (h.every((b) => b === 0)) break
        assert.equal(h.subarray(257, 263).toString('latin1'), 'ustar\0')
        const field = (a: number, b: number) => h.subarray(a, b).toString('utf8').replace(/\0.*$/s, '')
        let sum = 0
        for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0)
        assert.equal(parseInt(field(148, 156), 8), sum, 'header checksum')
        const prefix = field(345, 500)
        const name = (prefix ? prefix + '/' : '') + field(0, 100)
        const size = parseInt(field(124, 136), 8)
        const type = field(156, 157)
        entries.set(name, type === '5' ? null : tar.subarray(off + 512, off + 512 + size))
        off += 512 + Math.ceil(size / 512) * 512
      }
      assert.equal([...entries.keys()][0], 'must-gather/')
      const onDisk = (await listFiles(imageDir)).filter((f) => f !== 'gather.logs' && f !== 'must-gather.tar.gz')
      const inTar = [...entries.entries()].filter(([, v]) => v !== null).map(([k]) => k.slice('must-gather/'.length)).sort()
      assert.deepEqual(inTar, onDisk)
      const cv = 'cluster-scoped-resources/config.openshift.io/clusterversions.yaml'
      assert.deepEqual(entries.get(`must-gather/${cv}`), await readFile(join(imageDir, cv)))
    })
  })

  test('exit-N: normal run, then an error line and exit status N', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:exit-3`], dir)
      assert.equal(r.code, 3)
      assert.equal(r.stderr, 'error: exit status 3 (simulated by image tag exit-3)\n')
      assert.ok(lines(r.stdout).includes('Reprinting Cluster State:'))
      assert.equal((await imageDirs(join(dir, 'd'))).length, 1)
    })
  })
})

describe('oc simulator: signals', { concurrency: 6 }, () => {
  test('hang ignores --timeout; SIGTERM reports the namespace deleted and terminates by the signal', async () => {
    await withTempDir(async (dir) => {
      const run = startOc(['adm', 'must-gather', '--dest-dir', 'd', '--timeout', '500ms', '--image', `${IMG}:hang`], dir)
      await run.waitForStdout(/POD \S+ Wrote inspect data to must-gather\.\n/)
      await delay(1000)
      assert.equal(run.child.exitCode, null, 'still running after --timeout')
      assert.equal(run.child.signalCode, null)
      run.child.kill('SIGTERM')
      const r = await run.result
      assert.equal(r.signal, 'SIGTERM')
      assert.equal(r.code, null)
      const ns = /namespace\/(openshift-must-gather-[a-z0-9]{5}) created/.exec(r.stdout)?.[1]
      assert.ok(ns)
      assert.equal(MAIN_OUT.exec(lines(r.stdout).at(-1) ?? '')?.[1], `namespace/${ns} deleted`)
      const log = lines(await readFile(join(dir, 'd', 'must-gather.logs'), 'utf8'))
      assert.equal(MAIN_OUT.exec(log.at(-1) ?? '')?.[1], `namespace/${ns} deleted`)
    })
  })

  test('SIGINT during a slow gather terminates by SIGINT after cleanup', async () => {
    await withTempDir(async (dir) => {
      const run = startOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:slow-10`], dir)
      await run.waitForStdout(/ POD /)
      run.child.kill('SIGINT')
      const r = await run.result
      assert.equal(r.signal, 'SIGINT')
      assert.ok(r.ms < 9500, `took ${r.ms} ms`)
      assert.match(lines(r.stdout).at(-1) ?? '', / namespace\/openshift-must-gather-[a-z0-9]{5} deleted$/)
    })
  })

  test('SIGTERM with --keep deletes nothing', async () => {
    await withTempDir(async (dir) => {
      const run = startOc(['adm', 'must-gather', '--dest-dir', 'd', '--keep', '--image', `${IMG}:slow-10`], dir)
      await run.waitForStdout(/ POD /)
      run.child.kill('SIGTERM')
      const r = await run.result
      assert.equal(r.signal, 'SIGTERM')
      assert.doesNotMatch(r.stdout, /deleted/)
    })
  })

  test('SIGTERM while writing a big tree stops promptly', async () => {
    await withTempDir(async (dir) => {
      const run = startOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:slow-0_size-100m`], dir)
      await run.waitForStdout(/receiving incremental file list/)
      run.child.kill('SIGTERM')
      const r = await run.result
      assert.equal(r.signal, 'SIGTERM')
      // the signal is handled between batches of files: far from the 100 MiB is written
      const [d] = await imageDirs(join(dir, 'd'))
      const imageDir = join(dir, 'd', d ?? '')
      const written = await totalBytes(imageDir, await listFiles(imageDir))
      assert.ok(written < 50 * 1024 * 1024, `${written} bytes written`)
    })
  })

  test('ignore-sigterm: SIGTERM is ignored, only SIGKILL stops it', async () => {
    await withTempDir(async (dir) => {
      const run = startOc(['adm', 'must-gather', '--dest-dir', 'd', '--image', `${IMG}:hang_ignore-sigterm`], dir)
      await run.waitForStdout(/pod for plug-in image/)
      run.child.kill('SIGTERM')
      await delay(700)
      assert.equal(run.child.exitCode, null)
      assert.equal(run.child.signalCode, null)
      run.child.kill('SIGKILL')
      const r = await run.result
      assert.equal(r.signal, 'SIGKILL')
      assert.doesNotMatch(r.stdout, /deleted/)
    })
  })
})
