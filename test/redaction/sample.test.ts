// The real sample (an OpenShift 4.8 AWS must-gather), redacted with
// must-gather-clean's example configuration: every IP and MAC address that
// must-gather-clean's own report lists for it is gone, in file contents and
// names alike.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { parse as parseYaml } from 'yaml'

import { loadRedactionConfig, redactTree } from '../../src/redaction/index.js'
import { readTree, standaloneFinder, tempTree } from './helpers.js'

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'samples', 'must-gather-aws')
const EXAMPLE_CONFIG = join(import.meta.dirname, 'fixtures', 'openshift_default.yaml')

interface CleanReport { replacements: Array<Array<{ canonical: string, occurrences: Array<{ original: string }> }>>, omissions: string[] }

test('the AWS sample redacted with openshift_default.yaml keeps none of the addresses must-gather-clean found', async (t) => {
  const dir = tempTree(t)
  execFileSync('tar', ['-C', dir, '-xJf', join(SAMPLE, 'must-gather-aws.tar.xz')])
  const expected = parseYaml(readFileSync(join(SAMPLE, 'must-gather-aws-report.yaml'), 'utf8')) as CleanReport
  const originals = new Set(expected.replacements.flat().flatMap((r) => [r.canonical, ...r.occurrences.map((o) => o.original)]))
  const ipv4 = [...originals].filter((v) => /^\d{1,3}([.-])\d{1,3}\1\d{1,3}\1\d{1,3}$/.test(v))
  const macs = [...originals].filter((v) => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(v))
  const ipv6 = [...originals].filter((v) => v.includes(':') && !macs.includes(v))
  assert.ok(ipv4.length > 200 && macs.length >= 2 && ipv6.length >= 5, `report read: ${ipv4.length} IPv4, ${ipv6.length} IPv6, ${macs.length} MAC`)

  const report = await redactTree(dir, loadRedactionConfig(EXAMPLE_CONFIG))

  // The same files are omitted as by must-gather-clean (Secrets, ConfigMaps, CSRs, MachineConfigs).
  const omittedByClean = expected.omissions.map((p) => p.replace(/^\//, '')).sort()
  assert.deepEqual(report.omitted.map((o) => o.path.split('/').slice(1).join('/')).sort(), omittedByClean)

  const files = readTree(dir)
  const names = [...files.keys()].join('\n')
  const find = standaloneFinder([...ipv4, ...macs, ...ipv6])
  const leftovers: string[] = []
  for (const [path, bytes] of files) {
    for (const [value, context] of find(bytes.toString('latin1'))) leftovers.push(`${value} in ${path}: …${context}…`)
  }
  for (const [value, context] of find(names)) leftovers.push(`${value} in a file name: ${context}`)
  assert.deepEqual(leftovers.slice(0, 20), [])
  // The dashed host-name form and the domain are gone from names too.
  assert.doesNotMatch(names, /ip-10-0-\d+-\d+/)
  assert.doesNotMatch(names, /rhcloud\.com/)
  assert.ok(report.counts.IP !== undefined && report.counts.IP > 10_000, `IP count ${report.counts.IP}`)
  assert.ok((report.counts.MAC ?? 0) >= 2)
  // Nothing left of the domain the configuration names, anywhere.
  for (const [path, bytes] of files) assert.doesNotMatch(bytes.toString('latin1'), /rhcloud\.com/i, path)
  // YAML still parses after redaction (every YAML file of the sample).
  let parsed = 0
  for (const [path, bytes] of files) {
    if (!path.endsWith('.yaml') || bytes.length > 4_000_000) continue
    assert.doesNotThrow(() => parseYaml(bytes.toString('utf8'), { uniqueKeys: false }), path)
    parsed++
  }
  assert.ok(parsed > 1000)
  assert.equal(readdirSync(dir).length, 1)
})
