// Tricky cases, one by one: address forms that must be replaced (and how),
// and look-alikes that must not be.
import assert from 'node:assert/strict'
import { isIPv4, isIPv6 } from 'node:net'
import { Readable } from 'node:stream'
import { test } from 'node:test'

import { ipv4Replacement, ipv6Replacement } from '../../src/redaction/addresses.js'
import { defaultRedactionPlan, parseRedactionConfig } from '../../src/redaction/config.js'
import { RunMapping } from '../../src/redaction/mapping.js'
import { compileRules } from '../../src/redaction/rules.js'
import { CHUNK_BYTES, redactStream, redactText, type Redactor } from '../../src/redaction/text.js'
import type { RedactionPlan } from '../../src/redaction/types.js'

function redactor (plan: RedactionPlan = defaultRedactionPlan(), domains: string[] = []): Redactor {
  return { rules: compileRules(plan, domains), mapping: new RunMapping(), resolve: () => {}, counts: new Map(), memo: new Map() }
}

/** As files are read: UTF-8 bytes seen as Latin-1, and back. */
async function redact (text: string, r = redactor()): Promise<string> {
  const output = await redactText(Buffer.from(text).toString('latin1'), r, 'contents')
  return Buffer.from(output, 'latin1').toString('utf8')
}

test('IPv4: dotted, CIDR, in URLs with ports, and the dashed host-name form share one replacement', async () => {
  const r = redactor()
  assert.equal(await redact('node 10.0.1.2 up', r), 'node 192.0.2.1 up')
  assert.equal(await redact('ip-10-0-1-2.ec2.internal', r), 'ip-192-0-2-1.ec2.internal')
  assert.equal(await redact('clusterNetwork: 10.128.0.0/14', r), 'clusterNetwork: 192.0.2.2/14')
  assert.equal(await redact('https://10.0.1.2:6443/api?x=1', r), 'https://192.0.2.1:6443/api?x=1')
  assert.equal(await redact('"10.0.1.2",10.0.1.3;(10.0.1.2)', r), '"192.0.2.1",192.0.2.3;(192.0.2.1)')
  assert.equal(await redact('addr:10.0.1.2 addr=10.0.1.2', r), 'addr:192.0.2.1 addr=192.0.2.1')
})

test('IPv6: compressed and expanded forms are one address; brackets, ports, CIDR and case are kept', async () => {
  const r = redactor()
  assert.equal(await redact('fd00:10:128::15', r), '2001:db8::1')
  assert.equal(await redact('FD00:0010:0128:0000:0000:0000:0000:0015', r), '2001:DB8::1')
  assert.equal(await redact('https://[fd00:10:128::15]:8443/', r), 'https://[2001:db8::1]:8443/')
  assert.equal(await redact('serviceNetwork: fd02::/112', r), 'serviceNetwork: 2001:db8::2/112')
  assert.equal(await redact('fe80::a8bb:ccff:fe00:1%eth0', r), '2001:db8::3%eth0')
  assert.equal(await redact('addr:fe80::1 dev', r), 'addr:2001:db8::4 dev')
})

test('an IPv4 address glued to something IPv6-like is still replaced, on lines with and without an IPv6 address', async () => {
  const r = redactor()
  // oc and klog print times before addresses; these were read as one IPv6 candidate, and kept whole.
  assert.equal(await redact('07:12:10.0.1.2 dial', r), '07:12:192.0.2.1 dial')
  assert.equal(await redact('fd00::5 and 07:12:10.0.1.2 dial', r), '2001:db8::1 and 07:12:192.0.2.1 dial')
  // ...as the IPv4 pattern alone decides: not when a longer dotted or dashed number goes on.
  assert.equal(await redact('07:12:10.0.1.2-5 dial', r), '07:12:10.0.1.2-5 dial')
  assert.equal(await redact('fd00::5 and 07:12:10.0.1.2-5 dial', r), '2001:db8::1 and 07:12:10.0.1.2-5 dial')
})

test('IPv4-mapped IPv6 keeps its prefix and uses the IPv4 address\'s replacement', async () => {
  const r = redactor()
  assert.equal(await redact('::ffff:10.130.0.1 - - [03/Aug/2021]', r), '::ffff:192.0.2.1 - - [03/Aug/2021]')
  assert.equal(await redact('from 10.130.0.1', r), 'from 192.0.2.1')
})

test('MAC addresses with colons or dashes become locally administered unicast MACs in the same spelling', async () => {
  const r = redactor()
  const colon = await redact('MacAddress:0a:60:54:e4:52:a5 Speed:0', r)
  assert.equal(colon, 'MacAddress:02:00:00:00:00:01 Speed:0')
  assert.equal(await redact('0A-60-54-E4-52-A5', r), '02-00-00-00-00-01')
  const first = Number.parseInt((await redact('de:ad:be:ef:00:01', r)).slice(0, 2), 16)
  assert.equal(first & 0b11, 0b10, 'locally administered, unicast')
})

test('look-alikes are left alone: versions, timestamps, scoped names, UUIDs, fingerprints, loopback, the replacement ranges', async () => {
  const untouched = [
    'v1.21.1', 'version 4.8.0', 'oid 1.3.6.1.4.1.2021', '1.2.3.4.5', '2021-08-03T09:35:59.743794348Z', 'at 10:25:01.123',
    'extension-apiserver-authentication::client-ca-file', 'uid: f9bc2b3c-5d99-4f19-bc8d-af3088deb2c5',
    'sha256:eede85cbd33388f7e18954e5ce8ad9616e91df05ace604966c0a44111d85c897', 'fp aa:bb:cc:dd:ee:ff:00:11:22:33',
    '127.0.0.1:8080', '0.0.0.0', '[::1]:443', '256.1.1.1', '01.2.3.4', '192.0.2.44', '2001:db8::99', 'std::vector', 'a::b::c',
    'go1.16.6', 'ip-10-0-1', 'build 2021.08.03.1'
  ]
  for (const text of untouched) assert.equal(await redact(text), text, text)
})

test('domains: the listed ones and their subdomains, whole labels only, any case', async () => {
  const r = redactor(defaultRedactionPlan(), ['mycluster.example.com', 'example.com'])
  assert.equal(await redact('https://api.mycluster.example.com:6443', r), 'https://api.domain1.example:6443')
  assert.equal(await redact('console.EXAMPLE.com.', r), 'console.domain2.example.')
  assert.equal(await redact('example.community notexample.com', r), 'example.community notexample.com')
})

test('replacements run out of documentation addresses into 240.0.0.0/4, never repeating', () => {
  const seen = new Set<string>()
  for (const n of [0, 253, 254, 507, 508, 761, 762, 763, 1015, 1016, 100_000]) {
    const v = ipv4Replacement(n)
    assert.ok(isIPv4(v) && !seen.has(v), v)
    seen.add(v)
  }
  assert.equal(ipv4Replacement(761), '203.0.113.254')
  assert.equal(ipv4Replacement(762), '240.0.0.1')
  assert.ok(isIPv6(ipv6Replacement(70_000)))
})

test('a chunk boundary never splits an address: any split of the input gives the same output', async () => {
  const text = 'a 10.0.0.1 b fe80::1:2 c 0a:60:54:e4:52:a5 d ip-10-0-0-2\n'.repeat(3)
  const whole = await redact(text)
  for (let cut = 1; cut < text.length; cut += 3) {
    const r = redactor()
    const parts = [Buffer.from(text.slice(0, cut)), Buffer.from(text.slice(cut))]
    const out: Buffer[] = []
    for await (const chunk of redactStream(Readable.from(parts), r)) out.push(chunk)
    assert.equal(Buffer.concat(out).toString(), whole, `cut at ${cut}`)
  }
})

test('a line longer than the chunk limit is cut between tokens, not inside an address', async () => {
  const line = Array.from({ length: 400_000 }, (_, i) => `10.1.${(i >> 8) & 255}.${i & 255}`).join(' ')
  assert.ok(line.length > 4 * CHUNK_BYTES)
  const out: Buffer[] = []
  const source = async function * (): AsyncGenerator<Buffer> {
    for (let i = 0; i < line.length; i += 65_536) yield Buffer.from(line.slice(i, i + 65_536))
  }
  for await (const chunk of redactStream(source(), redactor())) out.push(chunk)
  const result = Buffer.concat(out).toString()
  assert.doesNotMatch(result, /\b10\.1\./)
  assert.equal(result.split(' ').length, 400_000)
})

test('Keywords, Exact, Regex and Static rules, in order, each on the previous one\'s output', async () => {
  const plan = parseRedactionConfig(`
config:
  obfuscate:
    - type: Keywords
      replacement: { secretproject: codename, "café": "bar" }
    - type: Exact
      exactReplacements: [{ original: "acme-corp", replacement: "customer" }]
    - type: Regex
      regex: "(?i)token=[a-z0-9]+"
    - type: Regex
      replacementType: Consistent
      regex: "user-[0-9]{4}"
    - type: IP
`, 'inline')
  const r = redactor(plan)
  const out = await redact('secretproject secretprojects café acme-corp-1 TOKEN=abc123 user-1234 user-1234 user-9999 10.0.0.1\n', r)
  assert.equal(out, 'codename secretprojects bar customer-1 xxxxxxxxxxxx x-regex-0000000001-x x-regex-0000000001-x x-regex-0000000002-x 192.0.2.0\n')
})
