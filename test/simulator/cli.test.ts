// The simulated `oc` command line: version, unknown commands, flag syntax and
// every must-gather validation message, with exit status and "nothing created".
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { runOc, withTempDir, lines, MAIN_OUT } from './helpers.js'

/** A quick, tiny gather for tests that only need a successful run. */
const LIGHT = 'quay.io/must-gather-service/simulator:slow-0_files-5'

describe('oc simulator command line', { concurrency: 8 }, () => {
  test('version --client prints the client and kustomize versions', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['version', '--client'], dir)
      assert.equal(r.code, 0)
      assert.equal(r.stdout, 'Client Version: 4.17.0\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n')
      assert.equal(r.stderr, '')
    })
  })

  test('version accepts global flags anywhere and -o json', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['--kubeconfig', join(dir, 'kc'), 'version', '--client', '-o', 'json'], dir)
      assert.equal(r.code, 0)
      const doc = JSON.parse(r.stdout)
      assert.equal(doc.clientVersion.gitVersion, '4.17.0')
      assert.equal(doc.kustomizeVersion, 'v5.0.4-0.20230601165947-6ce0bf390ce3')
    })
  })

  test('unknown command', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['foo'], dir)
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr, 'error: unknown command "foo" for "oc"\n')
    })
  })

  test('must-gather --help prints usage and exits 0', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--help'], dir)
      assert.equal(r.code, 0)
      assert.match(r.stdout, /oc adm must-gather \[flags\] \[-- COMMAND \[ARGS\.\.\.\]\]/)
      assert.deepEqual(await readdir(dir), [])
    })
  })

  // [args, exact stderr, stdout line count]: flag-syntax errors carry the cobra usage hint.
  const usage = "See 'oc adm must-gather --help' for usage.\n"
  const flagErrors: [string[], string][] = [
    [['--foo'], 'error: unknown flag: --foo\n' + usage],
    [['--foo=bar'], 'error: unknown flag: --foo\n' + usage],
    [['-x'], "error: unknown shorthand flag: 'x' in -x\n" + usage],
    [['--dest-dir'], 'error: flag needs an argument: --dest-dir\n' + usage],
    [['--keep=maybe'], 'error: invalid argument "maybe" for "--keep" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n' + usage],
    [['--all-images=yes'], 'error: invalid argument "yes" for "--all-images" flag: strconv.ParseBool: parsing "yes": invalid syntax\n' + usage],
    [['--since', '5'], 'error: invalid argument "5" for "--since" flag: time: missing unit in duration "5"\n' + usage],
    [['--since=abc'], 'error: invalid argument "abc" for "--since" flag: time: invalid duration "abc"\n' + usage],
    [['--volume-percentage', '300'], 'error: invalid argument "300" for "--volume-percentage" flag: strconv.ParseUint: parsing "300": value out of range\n' + usage],
    [['--volume-percentage=-1'], 'error: invalid argument "-1" for "--volume-percentage" flag: strconv.ParseUint: parsing "-1": invalid syntax\n' + usage]
  ]
  for (const [args, stderr] of flagErrors) {
    test(`flag error: ${args.join(' ')}`, async () => {
      await withTempDir(async (dir) => {
        const r = await runOc(['adm', 'must-gather', ...args], dir)
        assert.equal(r.code, 1)
        assert.equal(r.stderr, stderr)
        assert.equal(r.stdout, '')
        assert.deepEqual(await readdir(dir), [])
      })
    })
  }

  const exclusive = (flag: string) => `error: ${flag} and --all-images are mutually exclusive: please specify one or the other\n`
  // Errors of the Complete step come before the image line; Validate errors after it (as in oc).
  const validation: [string[], string, number][] = [
    [['--all-images', '--image', 'quay.io/a/b:c'], exclusive('--image'), 0],
    [['--all-images', '--host-network'], exclusive('--host-network'), 0],
    [['--all-images', '--image-stream', 'openshift/must-gather:latest'], exclusive('--image-streams'), 0],
    [['--all-images=true', '--node-name', 'node-1'], exclusive('--node-name'), 0],
    [['--all-images', '--run-namespace', 'ns'], exclusive('--run-namespace'), 0],
    [['--node-name', 'n1', '--node-selector', 'a=b'], 'error: --node-name and --node-selector are mutually exclusive: please specify one or the other\n', 1],
    [['--node-name', 'a/b'], "error: --node-name may not contain '/' or '%'\n", 1],
    [['--node-name', 'a%b'], "error: --node-name may not contain '/' or '%'\n", 1],
    [['--volume-percentage', '0'], 'error: invalid volume usage percentage, please specify a value between 0 and 100\n', 1],
    [['--volume-percentage=101'], 'error: invalid volume usage percentage, please specify a value between 0 and 100\n', 1],
    [['--since', '1h', '--since-time', '2026-01-01T00:00:00Z'], 'error: at most one of `--since-time` or `--since` may be specified\n', 1],
    [['--since-time', '2026-01-01'], "error: --since-time only accepts times matching RFC3339, eg '2006-01-02T15:04:05Z'\n", 1],
    [['--since-time', '2026-02-30T00:00:00Z'], "error: --since-time only accepts times matching RFC3339, eg '2006-01-02T15:04:05Z'\n", 1],
    [['--timeout', '5sx'], 'error: invalid argument "5sx" for "--timeout" flag: time: unknown unit "sx" in duration "5sx"\n', 0],
    [['--timeout=s'], 'error: invalid argument "s" for "--timeout" flag: time: invalid duration "s"\n', 0],
    [['--timeout', '1.5.h'], 'error: invalid argument "1.5.h" for "--timeout" flag: time: missing unit in duration "1.5.h"\n', 0],
    [['--timeout', 'abc'], "Flag --timeout's value in seconds has been deprecated, use duration like 5s, 2m, or 3h, instead\nerror: invalid argument \"abc\" for \"--timeout\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax\n", 0],
    [['--image-stream', 'must-gather:latest'], "error: unable to resolve image stream 'must-gather:latest': expected namespace/name:tag\n", 0],
    [['--image', 'Quay.io/Org/Image:v1'], 'error: unable to parse image reference Quay.io/Org/Image:v1: invalid reference format: repository name must be lowercase\n', 1],
    [['--image', 'quay.io/org/image:bad tag'], 'error: unable to parse image reference quay.io/org/image:bad tag: invalid reference format\n', 1],
    [['--image', 'quay.io/org/image@sha256:abc'], 'error: unable to parse image reference quay.io/org/image@sha256:abc: invalid reference format\n', 1],
    [['--image', `quay.io/a/b@sha256:${'0'.repeat(32)}`], `error: unable to parse image reference quay.io/a/b@sha256:${'0'.repeat(32)}: invalid checksum digest length\n`, 1],
    [['--image', 'quay.io/ok/image:v1', '--image', 'https://quay.io/x'], 'error: unable to parse image reference https://quay.io/x: invalid reference format\n', 1]
  ]
  for (const [args, stderr, stdoutLines] of validation) {
    test(`validation: ${args.join(' ')}`, async () => {
      await withTempDir(async (dir) => {
        const dest = join(dir, 'dest')
        const r = await runOc(['adm', 'must-gather', '--dest-dir', dest, ...args], dir)
        assert.equal(r.code, 1)
        assert.equal(r.stderr, stderr)
        const out = lines(r.stdout)
        assert.equal(out.length, stdoutLines)
        if (stdoutLines === 1) assert.match(out[0] ?? '', MAIN_OUT)
        assert.deepEqual(await readdir(dir), [], 'nothing may be created')
      })
    })
  }

  test('validation: --dest-dir with a colon', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'a:b'], dir)
      assert.equal(r.code, 1)
      assert.equal(r.stderr, 'error: --dest-dir may not contain special characters such as colon(:)\n')
      assert.deepEqual(await readdir(dir), [])
    })
  })

  test('--volume-percentage 80..100 only warns (klog format) and runs', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--volume-percentage', '85', '--image', LIGHT], dir)
      assert.equal(r.code, 0)
      assert.match(r.stderr, /^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ mustgather\.go:\d+\] volume percentage greater than or equal to 80 might cause filling up the disk space and have an impact on other components running on master\n$/)
      assert.ok((await stat(join(dir, 'd', 'must-gather.logs'))).isFile())
    })
  })

  test('a bare integer --timeout is seconds, with the deprecation warning', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--timeout', '30', '--image', LIGHT], dir)
      assert.equal(r.code, 0)
      assert.equal(r.stderr, "Flag --timeout's value in seconds has been deprecated, use duration like 5s, 2m, or 3h, instead\n")
    })
  })

  test('a Go duration --timeout gives no warning', async () => {
    await withTempDir(async (dir) => {
      const r = await runOc(['adm', 'must-gather', '--dest-dir', 'd', '--timeout=1h30m', '--image', LIGHT], dir)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, '')
    })
  })
})
