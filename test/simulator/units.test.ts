// Unit tests of the simulator's Go-compatible parsers, image reference grammar
// and scenario grammar (the executable itself is covered by the other files).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseGoDuration, formatGoDuration, parseGoInt64, parseGoUint, isGoRFC3339 } from '../../simulator/goparse.mjs'
import { parseImageReference, imageIdFor, sanitizeName } from '../../simulator/imageref.mjs'
import { parseScenario, parseSize } from '../../simulator/scenario.mjs'
import { selectNodes } from '../../simulator/cluster.mjs'

describe('simulator units', () => {
  test('time.ParseDuration', () => {
    const ok: [string, bigint][] = [
      ['0', 0n], ['5s', 5_000_000_000n], ['2m', 120_000_000_000n], ['1h30m', 5_400_000_000_000n], ['1.5h', 5_400_000_000_000n],
      ['300ms', 300_000_000n], ['-5s', -5_000_000_000n], ['+5s', 5_000_000_000n], ['.5s', 500_000_000n], ['5.s', 5_000_000_000n],
      ['1h2m3s4ms5us6ns', 3_723_004_005_006n], ['1\u00b5s', 1000n]
    ]
    for (const [s, ns] of ok) assert.deepEqual(parseGoDuration(s), { ns }, s)
    const bad: [string, string][] = [
      ['', 'time: invalid duration ""'],
      ['5', 'time: missing unit in duration "5"'],
      ['5x', 'time: unknown unit "x" in duration "5x"'],
      ['s', 'time: invalid duration "s"'],
      ['.s', 'time: invalid duration ".s"'],
      ['1d', 'time: unknown unit "d" in duration "1d"'],
      ['9999999999h', 'time: invalid duration "9999999999h"'],
      ['5\u00e9s', 'time: unknown unit "\\xc3\\xa9s" in duration "5\\xc3\\xa9s"']
    ]
    for (const [s, error] of bad) assert.deepEqual(parseGoDuration(s), { error }, s)
  })

  test('time.Duration.String', () => {
    const cases: [bigint, string][] = [
      [0n, '0s'], [5_400_000_000_000n, '1h30m0s'], [1_500_000_000n, '1.5s'], [300_000_000n, '300ms'],
      [1000n, '1\u00b5s'], [7n, '7ns'], [-90_000_000_000n, '-1m30s'], [7_200_000_000_000n, '2h0m0s']
    ]
    for (const [ns, s] of cases) assert.equal(formatGoDuration(ns), s)
  })

  test('strconv.ParseInt / ParseUint with base 0', () => {
    assert.deepEqual(parseGoInt64('30'), { value: 30n })
    assert.deepEqual(parseGoInt64('0x10'), { value: 16n })
    assert.deepEqual(parseGoInt64('010'), { value: 8n })
    assert.deepEqual(parseGoInt64('1_000'), { value: 1000n })
    assert.deepEqual(parseGoInt64('-3'), { value: -3n })
    assert.deepEqual(parseGoInt64('08'), { error: 'strconv.ParseInt: parsing "08": invalid syntax' })
    assert.deepEqual(parseGoInt64('9223372036854775808'), { error: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' })
    assert.deepEqual(parseGoUint('255', 8), { value: 255n })
    assert.deepEqual(parseGoUint('256', 8), { error: 'strconv.ParseUint: parsing "256": value out of range' })
    assert.deepEqual(parseGoUint('+1', 8), { error: 'strconv.ParseUint: parsing "+1": invalid syntax' })
  })

  test('RFC3339 as Go parses it', () => {
    for (const s of ['2026-11-25T08:00:00Z', '2026-11-25T08:00:00.123456789Z', '2026-11-25T08:00:00+02:00', '2024-02-29T23:59:59-05:30']) assert.ok(isGoRFC3339(s), s)
    for (const s of ['2026-11-25', '2026-11-25 08:00:00Z', '2026-11-25t08:00:00z', '2026-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2026-11-25T24:00:00Z', '2026-11-25T08:00:00']) assert.ok(!isGoRFC3339(s), s)
  })

  test('image reference grammar', () => {
    const valid: [string, string, string][] = [
      ['foo', 'foo', ''], ['foo:tag', 'foo', 'tag'], ['bar/foo/baz:tag', 'bar/foo/baz', 'tag'],
      ['bar:5000/foo/baz', 'bar:5000/foo/baz', ''], ['localhost/bar', 'localhost/bar', ''],
      ['quay.io/org/image:slow-30_lines-20000_size-200m', 'quay.io/org/image', 'slow-30_lines-20000_size-200m'],
      [`quay.io/org/image:v1@sha256:${'a'.repeat(64)}`, 'quay.io/org/image', 'v1'],
      ['a__b.c-d---e/x', 'a__b.c-d---e/x', ''], ['[::1]:5000/x:y', '[::1]:5000/x', 'y']
    ]
    for (const [spec, name, tag] of valid) {
      const r = parseImageReference(spec)
      assert.ok('ref' in r, `${spec}: ${JSON.stringify(r)}`)
      assert.equal(r.ref.name, name)
      assert.equal(r.ref.tag, tag)
    }
    const invalid: [string, string][] = [
      ['', 'repository name must have at least one component'],
      ['registry:3000/integration/imageStream:success', 'invalid reference format: repository name must be lowercase'],
      ['registry.io/foo/bar/:Tag', 'invalid reference format'],
      ['https://bar:5000/foo/baz', 'invalid reference format'],
      ['abc@badid', 'invalid reference format'],
      [':tag', 'invalid reference format'],
      ['bar/foo/baz////biz', 'invalid reference format'],
      [`a:${'t'.repeat(129)}`, 'invalid reference format'],
      [`x@sha256:${'0'.repeat(32)}`, 'invalid checksum digest length'],
      [`x@md5:${'0'.repeat(32)}`, 'unsupported digest algorithm'],
      [`x@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
      [`bar:5000/${'a'.repeat(63)}/${'b'.repeat(183)}:tag`, 'repository name must not be more than 255 characters']
    ]
    for (const [spec, error] of invalid) assert.deepEqual(parseImageReference(spec), { error }, spec)
  })

  test('image ID and directory names', () => {
    const id = (s: string) => { const r = parseImageReference(s); assert.ok('ref' in r); return imageIdFor(s, r.ref) }
    assert.match(id('quay.io/org/image:tag'), /^quay\.io\/org\/image@sha256:[0-9a-f]{64}$/)
    assert.notEqual(id('quay.io/org/image:a'), id('quay.io/org/image:b'))
    assert.equal(id('quay.io/org/image:a'), id('quay.io/org/image:a'))
    assert.equal(id(`quay.io/x@sha256:${'1'.repeat(64)}`), `quay.io/x@sha256:${'1'.repeat(64)}`)
    assert.match(id('busybox'), /^docker\.io\/library\/busybox@sha256:/)
    assert.match(id('org/image'), /^docker\.io\/org\/image@sha256:/)
    assert.equal(sanitizeName('quay.io/org/image@sha256:ab12'), 'quay-io-org-image-sha256-ab12')
  })

  test('scenario grammar', () => {
    const s = parseScenario('slow-30_lines-20000_size-200m_archive_ignore-sigterm_exit-4_bogus_lines-x')
    assert.equal(s.gatherSeconds, 30)
    assert.equal(s.lines, 20000)
    assert.equal(s.sizeBytes, 200 * 1024 * 1024)
    assert.equal(s.archive, true)
    assert.equal(s.ignoreSigterm, true)
    assert.equal(s.exitCode, 4)
    assert.deepEqual(parseScenario('latest'), parseScenario(''))
    assert.deepEqual(parseScenario('v4.17.0'), parseScenario(''))
    assert.equal(parseScenario('slow-0.5').gatherSeconds, 0.5)
    assert.equal(parseScenario('lines-1m').lines, 1_000_000)
    assert.equal(parseScenario('fail').failExitCode, 1)
    assert.equal(parseScenario('fail-137').failExitCode, 137)
    assert.equal(parseScenario('files-300').files, 300)
    assert.ok(parseScenario('crash_timeout_hang').crash && parseScenario('timeout').timeout && parseScenario('hang').hang)
    assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3)
    assert.equal(parseSize('512k'), 512 * 1024)
  })

  test('node selector of the simulated cluster', () => {
    const count = (s: string) => { const r = selectNodes(s); assert.ok('nodes' in r, s); return r.nodes.length }
    assert.equal(count('node-role.kubernetes.io/worker'), 2)
    assert.equal(count('node-role.kubernetes.io/master='), 3)
    assert.equal(count('kubernetes.io/os=linux'), 5)
    assert.equal(count('kubernetes.io/os=linux,!node-role.kubernetes.io/master'), 2)
    assert.equal(count('topology.kubernetes.io/zone in (us-east-2a, us-east-2b)'), 4)
    assert.equal(count('disktype=ssd'), 0)
    assert.ok('error' in selectNodes('a b c'))
  })
})
