// Properties over generated text: no address that a rule matches survives;
// one original, one replacement (and never one replacement for two); YAML and
// JSON parse to the same structure afterwards, with the values replaced.
import assert from 'node:assert/strict'
import { isIP } from 'node:net'
import { test } from 'node:test'

import fc from 'fast-check'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'

import { canonicalIPv4, canonicalIPv6, isExemptIPv4, isExemptIPv6 } from '../../src/redaction/addresses.js'
import { defaultRedactionPlan } from '../../src/redaction/config.js'
import { RunMapping } from '../../src/redaction/mapping.js'
import { compileRules } from '../../src/redaction/rules.js'
import { redactText, type Redactor } from '../../src/redaction/text.js'
import { standaloneFinder } from './helpers.js'

function redactor (): Redactor {
  return { rules: compileRules(defaultRedactionPlan(), []), mapping: new RunMapping(), resolve: () => {}, counts: new Map(), memo: new Map() }
}

const redact = async (text: string, r: Redactor): Promise<string> => await redactText(text, r, 'contents')

const mac = fc.tuple(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'), fc.boolean())
  .map(([bytes, sep, upper]) => {
    const text = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(sep)
    return upper ? text.toUpperCase() : text
  })
const dashedHost = fc.ipV4().map((ip) => `ip-${ip.replaceAll('.', '-')}`)
const address = fc.oneof(fc.ipV4(), fc.ipV6(), mac, dashedHost, fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, n]) => `${ip}/${n}`))
const filler = fc.constantFrom('node', 'podIP:', 'https://', 'value', '{"ip":', 'v1.21.1', '4.8.0', '2021-08-03T09:35:59Z', 'std::map', 'host')
const separator = fc.constantFrom(' ', '\n', '\t', ', ', '"', '\'', '=', '(', ')', '[', ']', ' - ')

/** The canonical key of what a rule must replace, or undefined when the value is exempt (loopback, the replacement ranges). */
function mustGo (value: string): string | undefined {
  const bare = value.replace(/^ip-/, '').replace(/\/\d+$/, '')
  if (/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(bare)) return `m:${bare.toLowerCase().replace(/[:-]/g, '')}`
  const v4 = canonicalIPv4(bare)
  if (v4 !== undefined) return isExemptIPv4(v4) ? undefined : `4:${v4}`
  const v6 = canonicalIPv6(bare)
  if (v6 === undefined || isExemptIPv6(v6)) return undefined
  const embedded = /^::(ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)
  if (embedded !== null) return isExemptIPv4(embedded[2] as string) ? undefined : `4:${embedded[2] as string}`
  return `6:${v6}`
}

test('no address a rule matches survives, whatever surrounds it', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.oneof(address, filler), separator), { minLength: 1, maxLength: 40 }), async (parts) => {
    const text = parts.map(([token, sep]) => token + sep).join('')
    const output = await redact(text, redactor())
    const values = parts.map(([token]) => token).filter((t) => mustGo(t) !== undefined).map((t) => t.replace(/^ip-/, '').replace(/\/\d+$/, ''))
    if (values.length === 0) return
    assert.deepEqual(standaloneFinder(values)(output), [], `in: ${JSON.stringify(text)}\nout: ${JSON.stringify(output)}`)
  }), { numRuns: 300 })
})

test('consistency: the same original always gets the same valid replacement, different ones never the same', async () => {
  await fc.assert(fc.asyncProperty(fc.array(address, { minLength: 1, maxLength: 60 }), async (values) => {
    const r = redactor()
    await redact(values.join('\n'), r)
    const byKey = new Map<string, string>()
    const byReplacement = new Map<string, string>()
    for (const value of values) {
      const key = mustGo(value)
      if (key === undefined) continue
      const bare = value.replace(/^ip-/, '').replace(/\/\d+$/, '')
      const replaced = await redact(bare, r)
      if (key.startsWith('4:')) assert.ok(isIP(replaced.replace(/^::(ffff:)?/i, '').replaceAll('-', '.')) === 4, `${value} → ${replaced}`)
      if (key.startsWith('6:')) assert.equal(isIP(replaced), 6, `${value} → ${replaced}`)
      const normal = key.startsWith('m:') ? replaced.toLowerCase().replaceAll('-', ':') : replaced.replace(/^::(ffff:)?/i, '').replaceAll('-', '.').toLowerCase()
      assert.equal(byKey.get(key) ?? normal, normal, `${value} got two replacements`)
      assert.equal(byReplacement.get(normal) ?? key, key, `${normal} stands for two originals`)
      byKey.set(key, normal)
      byReplacement.set(normal, key)
    }
  }), { numRuns: 200 })
})

test('lines with no IPv6 address are redacted by the IPv4 pattern alone, exactly as by both patterns', async () => {
  const near = fc.constantFrom('::', ':', '.', '-', '07:34:18', '07:34:18.349', 'a:b:', 'fa:16:3e:01:02:03', 'std::string', '[::]:8443', '::ffff:', '1:2:3:4:5:6:', 'abcd', '0')
  const line = fc.array(fc.oneof(address, filler, near, separator), { minLength: 1, maxLength: 30 }).map((parts) => parts.join(''))
  await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 8 }), async (lines) => {
    const text = lines.join('\n')
    // Every line given the whole regex: `unless` finds something on each.
    const whole = redactor()
    for (const rule of whole.rules) if (rule.narrow !== undefined) rule.narrow = { ...rule.narrow, unless: /[^]/g }
    const narrowed = redactor()
    assert.equal(await redact(text, narrowed), await redact(text, whole), JSON.stringify(text))
    assert.deepEqual([...narrowed.counts].sort(), [...whole.counts].sort())
  }), { numRuns: 500 })
})

// Values: strings holding addresses among words, numbers, booleans, nested lists and maps.
const leafString = fc.array(fc.oneof(address, fc.constantFrom('node', 'ready', 'x', 'https://a', '4.8.0')), { minLength: 1, maxLength: 4 }).map((words) => words.join(' '))
const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leafString, fc.integer(), fc.boolean(), tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.constantFrom('name', 'podIP', 'hostIP', 'mac', 'status', 'spec', 'items', 'addresses'), tie('value'), { maxKeys: 5 })
})).map

async function mapStrings (value: unknown, f: (s: string) => Promise<string>): Promise<unknown> {
  if (typeof value === 'string') return await f(value)
  if (Array.isArray(value)) return await Promise.all(value.map(async (v) => await mapStrings(v, f)))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await mapStrings(v, f)])))
  }
  return value
}

test('YAML and JSON parse to the same structure after redaction, each value redacted on its own terms', async () => {
  await fc.assert(fc.asyncProperty(tree, fc.boolean(), async (document, asJson) => {
    const r = redactor()
    const text = asJson ? JSON.stringify(document, null, 2) : stringifyYaml(document, { lineWidth: 0 })
    const output = await redact(text, r)
    const parsed: unknown = asJson ? JSON.parse(output) : parseYaml(output)
    assert.deepEqual(parsed, await mapStrings(document, async (s) => await redact(s, r)))
  }), { numRuns: 200 })
})
