// REDACTION_CONFIG: must-gather-clean's configuration format (YAML or JSON,
// openshift/must-gather-clean pkg/schema/schema.json), checked at start-up
// so that a bad file stops the service with one clear line instead of
// failing the first gathering that asks for redaction.
import { readFileSync } from 'node:fs'

import { parse as parseYaml } from 'yaml'

import { ConfigError } from '../config/parse.js'
import { goRegexToJs } from './go-regex.js'
import type { ObfuscateRule, OmitRule, RedactionPlan, ReplacementType, RuleTarget } from './types.js'

const VARIABLE = 'REDACTION_CONFIG'
const IMPLEMENTED = ['IP', 'MAC', 'Domain', 'Keywords', 'Regex', 'Exact'] as const
/** In must-gather-clean's schema but not implemented here: refused rather than silently skipped. */
const KNOWN_UNIMPLEMENTED = ['AzureResources', 'ClusterID']
const OMIT_TYPES = ['File', 'Kubernetes', 'SymbolicLink'] as const

/**
 * The plan used when no REDACTION_CONFIG is given: every IPv4/IPv6 and MAC
 * address, and the cluster's own domains (read from the gathered DNS and
 * Infrastructure objects), in file contents and paths, consistently.
 */
export function defaultRedactionPlan (): RedactionPlan {
  return {
    source: 'default rules',
    obfuscate: [
      { type: 'IP', replacementType: 'Consistent', target: 'All' },
      { type: 'MAC', replacementType: 'Consistent', target: 'All' },
      { type: 'Domain', replacementType: 'Consistent', target: 'All', domainNames: [], clusterDomains: true }
    ],
    omit: []
  }
}

/** Reads and checks the file REDACTION_CONFIG names; throws a `ConfigError` whose message names the rule at fault. */
export function loadRedactionConfig (path: string): RedactionPlan {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(VARIABLE, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  return parseRedactionConfig(text, path)
}

/** Parses must-gather-clean configuration text (JSON is YAML too); `source` names it in errors and in reports. */
export function parseRedactionConfig (text: string, source: string): RedactionPlan {
  let document: unknown
  try {
    document = parseYaml(text, { prettyErrors: false })
  } catch (error) {
    throw new ConfigError(VARIABLE, `${source} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`)
  }
  const fail = (where: string, message: string): never => { throw new ConfigError(VARIABLE, `${source}: ${where}: ${message}`) }
  if (!isObject(document)) return fail('top level', 'must be an object with a "config" key')
  checkKeys(document, ['config'], 'top level', fail)
  const config = document.config
  if (!isObject(config)) return fail('config', 'is required and must be an object')
  checkKeys(config, ['obfuscate', 'omit', 'randSeed'], 'config', fail)
  if (config.randSeed !== undefined && !Number.isInteger(config.randSeed)) fail('config.randSeed', 'must be an integer')
  const obfuscate = config.obfuscate ?? []
  const omit = config.omit ?? []
  if (!Array.isArray(obfuscate)) return fail('config.obfuscate', 'must be a list')
  if (!Array.isArray(omit)) return fail('config.omit', 'must be a list')
  if (obfuscate.length === 0 && omit.length === 0) fail('config', 'has no obfuscate and no omit rule: it would redact nothing')
  return {
    source,
    obfuscate: obfuscate.map((rule, i) => obfuscateRule(rule, `config.obfuscate[${i}]`, fail)),
    omit: omit.map((rule, i) => omitRule(rule, `config.omit[${i}]`, fail))
  }
}

type Fail = (where: string, message: string) => never

function obfuscateRule (raw: unknown, where: string, fail: Fail): ObfuscateRule {
  if (!isObject(raw)) return fail(where, 'must be an object with a "type"')
  const type = raw.type
  const named = `${where} (type ${JSON.stringify(type)})`
  if (typeof type !== 'string') return fail(where, `"type" is required, one of ${IMPLEMENTED.join(', ')}`)
  if (!(IMPLEMENTED as readonly string[]).includes(type)) {
    const why = KNOWN_UNIMPLEMENTED.includes(type) ? 'is not implemented by this service' : 'is not a must-gather-clean obfuscation type'
    return fail(named, `${type} ${why}; use one of ${IMPLEMENTED.join(', ')}`)
  }
  checkKeys(raw, ['type', 'target', 'replacementType', 'domainNames', 'domains', 'replacement', 'exactReplacements', 'regex'], named, fail)
  const target = oneOf(raw.target, ['FilePath', 'FileContents', 'All'], 'FileContents', `${named}.target`, fail) as RuleTarget
  const replacementType = oneOf(raw.replacementType, ['Consistent', 'Static'], 'Static', `${named}.replacementType`, fail) as ReplacementType
  switch (type) {
    case 'IP':
    case 'MAC':
      return { type, target, replacementType }
    case 'Domain': {
      // The published schema says domainNames; older releases read domains.
      const names = raw.domainNames ?? raw.domains
      if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\.?$/.test(n))) {
        return fail(named, '"domainNames" must be a non-empty list of domain names (such as example.com)')
      }
      return { type, target, replacementType, domainNames: (names as string[]).map((n) => n.replace(/\.$/, '').toLowerCase()), clusterDomains: false }
    }
    case 'Keywords': {
      const replacement = raw.replacement
      if (!isObject(replacement) || Object.keys(replacement).length === 0 || !Object.entries(replacement).every(([k, v]) => k !== '' && typeof v === 'string')) {
        return fail(named, '"replacement" must map each keyword to the string that replaces it')
      }
      return { type, target, replacementType, replacement: replacement as Record<string, string> }
    }
    case 'Exact': {
      const pairs = raw.exactReplacements
      if (!Array.isArray(pairs) || pairs.length === 0 ||
        !pairs.every((p) => isObject(p) && typeof p.original === 'string' && p.original !== '' && typeof p.replacement === 'string')) {
        return fail(named, '"exactReplacements" must be a list of { original, replacement } with a non-empty original')
      }
      return { type, target, replacementType, exactReplacements: pairs.map((p) => ({ original: p.original as string, replacement: p.replacement as string })) }
    }
    case 'Regex': {
      if (typeof raw.regex !== 'string' || raw.regex === '') return fail(named, '"regex" is required')
      const converted = goRegexToJs(raw.regex)
      if ('error' in converted) return fail(`${named}.regex`, converted.error)
      return { type, target, replacementType, regex: converted.source, flags: converted.flags }
    }
    default:
      return fail(named, 'unreachable')
  }
}

function omitRule (raw: unknown, where: string, fail: Fail): OmitRule {
  if (!isObject(raw)) return fail(where, 'must be an object with a "type"')
  const type = raw.type
  const named = `${where} (type ${JSON.stringify(type)})`
  if (typeof type !== 'string' || !(OMIT_TYPES as readonly string[]).includes(type)) {
    return fail(named, `"type" must be one of ${OMIT_TYPES.join(', ')}`)
  }
  checkKeys(raw, ['type', 'pattern', 'kubernetesResource'], named, fail)
  switch (type) {
    case 'File': {
      if (typeof raw.pattern !== 'string' || raw.pattern === '') return fail(named, '"pattern" (a file glob) is required')
      return { type, pattern: raw.pattern }
    }
    case 'Kubernetes': {
      const resource = raw.kubernetesResource
      if (!isObject(resource)) return fail(named, '"kubernetesResource" with a "kind" is required')
      checkKeys(resource, ['kind', 'apiVersion', 'namespaces'], `${named}.kubernetesResource`, fail)
      if (typeof resource.kind !== 'string' || resource.kind === '') return fail(`${named}.kubernetesResource`, '"kind" is required')
      if (resource.apiVersion !== undefined && typeof resource.apiVersion !== 'string') return fail(`${named}.kubernetesResource.apiVersion`, 'must be a string')
      const namespaces = resource.namespaces ?? []
      if (!Array.isArray(namespaces) || !namespaces.every((n) => typeof n === 'string')) return fail(`${named}.kubernetesResource.namespaces`, 'must be a list of names')
      return { type, kind: resource.kind, apiVersion: resource.apiVersion as string | undefined, namespaces: namespaces as string[] }
    }
    default:
      return { type: 'SymbolicLink' }
  }
}

function oneOf (value: unknown, allowed: string[], fallback: string, where: string, fail: Fail): string {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'string' || !allowed.includes(value)) return fail(where, `must be one of ${allowed.join(', ')}`)
  return value
}

function checkKeys (object: Record<string, unknown>, allowed: string[], where: string, fail: Fail): void {
  const unknown = Object.keys(object).filter((k) => !allowed.includes(k))
  if (unknown.length > 0) fail(where, `unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}`)
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
