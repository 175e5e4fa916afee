// REDACTION_CONFIG is checked at start-up: must-gather-clean's own examples
// load, and every mistake gives one line that names the rule at fault.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

import { ConfigError } from '../../src/config/parse.js'
import { loadRedactionConfig, parseRedactionConfig } from '../../src/redaction/index.js'
import { tempTree } from './helpers.js'

test('must-gather-clean\'s openshift_default.yaml loads as it is', () => {
  const plan = loadRedactionConfig(join(import.meta.dirname, 'fixtures', 'openshift_default.yaml'))
  assert.deepEqual(plan.obfuscate.map((r) => [r.type, r.replacementType, r.target]), [['IP', 'Consistent', 'All'], ['MAC', 'Consistent', 'All'], ['Domain', 'Consistent', 'All']])
  assert.deepEqual(plan.omit.map((r) => r.type === 'Kubernetes' ? r.kind : r.type), ['Secret', 'ConfigMap', 'CertificateSigningRequest', 'CertificateSigningRequestList', 'MachineConfig'])
})

test('JSON works too, and the schema\'s defaults apply (target FileContents, replacementType Static)', (t) => {
  const dir = tempTree(t)
  const file = join(dir, 'clean.json')
  writeFileSync(file, JSON.stringify({ config: { obfuscate: [{ type: 'MAC' }, { type: 'Keywords', target: 'FilePath', replacement: { acme: 'customer' } }] } }))
  const plan = loadRedactionConfig(file)
  assert.deepEqual(plan.obfuscate[0], { type: 'MAC', target: 'FileContents', replacementType: 'Static' })
  assert.equal(plan.obfuscate[1]?.target, 'FilePath')
})

const refused: Array<[string, string, RegExp]> = [
  ['not YAML', 'config: [unclosed', /REDACTION_CONFIG: bad\.yaml is not YAML or JSON/],
  ['no config key', 'obfuscate: []', /top level: unknown key "obfuscate"/],
  ['an unimplemented type', 'config:\n  obfuscate:\n    - type: AzureResources\n', /config\.obfuscate\[0\] \(type "AzureResources"\): AzureResources is not implemented by this service; use one of IP, MAC, Domain, Keywords, Regex, Exact/],
  ['an unknown type', 'config:\n  obfuscate:\n    - type: IP\n    - type: Phone\n', /config\.obfuscate\[1\] \(type "Phone"\): Phone is not a must-gather-clean obfuscation type/],
  ['a bad target', 'config:\n  obfuscate:\n    - type: IP\n      target: FileName\n', /config\.obfuscate\[0\] \(type "IP"\)\.target: must be one of FilePath, FileContents, All/],
  ['a Domain rule without domains', 'config:\n  obfuscate:\n    - type: Domain\n', /"domainNames" must be a non-empty list/],
  ['a Regex Go syntax JavaScript lacks', 'config:\n  obfuscate:\n    - type: Regex\n      regex: "\\\\Qa.b\\\\E"\n', /config\.obfuscate\[0\] \(type "Regex"\)\.regex: \\A, \\z, \\Q…\\E/],
  ['a Regex matching nothing at all', 'config:\n  obfuscate:\n    - type: Regex\n      regex: "a*"\n', /matches the empty string/],
  ['an omit rule without pattern', 'config:\n  omit:\n    - type: File\n', /config\.omit\[0\] \(type "File"\): "pattern" \(a file glob\) is required/],
  ['an omit Kubernetes rule without kind', 'config:\n  omit:\n    - type: Kubernetes\n      kubernetesResource: { namespaces: [a] }\n', /"kind" is required/],
  ['a misspelt key', 'config:\n  obfuscate:\n    - type: IP\n      replacmentType: Consistent\n', /unknown key "replacmentType"/],
  ['nothing to do', 'config: {}\n', /has no obfuscate and no omit rule/]
]

for (const [what, text, message] of refused) {
  test(`refused at start-up: ${what}`, () => {
    assert.throws(() => parseRedactionConfig(text, 'bad.yaml'), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.variable, 'REDACTION_CONFIG')
      assert.match(error.message, message)
      assert.doesNotMatch(error.message, /\n/)
      return true
    })
  })
}

test('a missing file is named in the error', () => {
  assert.throws(() => loadRedactionConfig('/nonexistent/clean.yaml'), /REDACTION_CONFIG: cannot read \/nonexistent\/clean\.yaml: ENOENT/)
})
