// @ts-check
// Command-line handling of the simulated `oc`: cobra/pflag-style flag parsing,
// command resolution, and the Complete/Validate steps of `oc adm must-gather`
// with the exact messages of the real tool.
import { parseGoDuration, parseGoInt64, parseGoUint, parseGoBool, goQuote, isGoRFC3339, klogWarningHeader } from './goparse.mjs'
import { parseImageReference, fakeDigest } from './imageref.mjs'
import { randomDigits } from './output.mjs'

/**
 * @typedef {'bool' | 'string' | 'stringSlice' | 'stringArray' | 'duration' | 'uint8' | 'int'} FlagKind
 * @typedef {{ name: string, kind: FlagKind, short?: string }} FlagSpec
 * @typedef {string | boolean | string[] | bigint} FlagValue
 */

/** Flags every oc command accepts; they only matter for talking to a real cluster. */
export const GLOBAL_FLAGS = /** @type {FlagSpec[]} */ ([
  { name: 'as', kind: 'string' },
  { name: 'as-group', kind: 'stringArray' },
  { name: 'as-uid', kind: 'string' },
  { name: 'cache-dir', kind: 'string' },
  { name: 'certificate-authority', kind: 'string' },
  { name: 'client-certificate', kind: 'string' },
  { name: 'client-key', kind: 'string' },
  { name: 'cluster', kind: 'string' },
  { name: 'context', kind: 'string' },
  { name: 'disable-compression', kind: 'bool' },
  { name: 'insecure-skip-tls-verify', kind: 'bool' },
  { name: 'kubeconfig', kind: 'string' },
  { name: 'log-flush-frequency', kind: 'duration' },
  { name: 'loglevel', kind: 'int' },
  { name: 'match-server-version', kind: 'bool' },
  { name: 'namespace', kind: 'string', short: 'n' },
  { name: 'profile', kind: 'string' },
  { name: 'profile-output', kind: 'string' },
  { name: 'request-timeout', kind: 'string' },
  { name: 'server', kind: 'string', short: 's' },
  { name: 'tls-server-name', kind: 'string' },
  { name: 'token', kind: 'string' },
  { name: 'user', kind: 'string' },
  { name: 'v', kind: 'int', short: 'v' },
  { name: 'vmodule', kind: 'string' },
  { name: 'warnings-as-errors', kind: 'bool' },
  { name: 'help', kind: 'bool', short: 'h' }
])

export const MUST_GATHER_FLAGS = /** @type {FlagSpec[]} */ ([
  { name: 'node-name', kind: 'string' },
  { name: 'node-selector', kind: 'string' },
  { name: 'host-network', kind: 'bool' },
  { name: 'image', kind: 'stringSlice' },
  { name: 'image-stream', kind: 'stringSlice' },
  { name: 'all-images', kind: 'bool' },
  { name: 'dest-dir', kind: 'string' },
  { name: 'source-dir', kind: 'string' },
  { name: 'timeout', kind: 'string' },
  { name: 'run-namespace', kind: 'string' },
  { name: 'volume-percentage', kind: 'uint8' },
  { name: 'keep', kind: 'bool' },
  { name: 'since-time', kind: 'string' },
  { name: 'since', kind: 'duration' }
])

export const VERSION_FLAGS = /** @type {FlagSpec[]} */ ([
  { name: 'client', kind: 'bool' },
  { name: 'output', kind: 'string', short: 'o' }
])

/**
 * @typedef {object} ParsedFlags
 * @property {Map<string, FlagValue>} values by long name, only flags that were set
 * @property {string[]} positionals
 * @property {number} dashAt number of positionals before `--`, or -1 (cobra's ArgsLenAtDash)
 */

/**
 * Splits a pflag string-slice value like encoding/csv would.
 * @param {string} val
 * @returns {{ items: string[] } | { error: string }}
 */
function readAsCSV (val) {
  if (val === '') return { items: [] }
  if (!val.includes('"')) return { items: val.split(',') }
  /** @type {string[]} */
  const items = []
  let i = 0
  for (;;) {
    let field = ''
    if (val[i] === '"') {
      i++
      for (;;) {
        if (i >= val.length) return { error: `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field` }
        if (val[i] === '"') {
          if (val[i + 1] === '"') { field += '"'; i += 2; continue }
          i++
          break
        }
        field += val[i]
        i++
      }
      if (i < val.length && val[i] !== ',') return { error: `parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field` }
    } else {
      while (i < val.length && val[i] !== ',') {
        if (val[i] === '"') return { error: `parse error on line 1, column ${i + 1}: bare " in non-quoted-field` }
        field += val[i]
        i++
      }
    }
    items.push(field)
    if (i >= val.length) break
    i++ // skip ','
  }
  return { items }
}

/**
 * pflag's name for a flag in error messages.
 * @param {FlagSpec} spec
 */
function flagDisplayName (spec) {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`
}

/**
 * Sets a flag value with pflag semantics.
 * @param {Map<string, FlagValue>} values
 * @param {FlagSpec} spec
 * @param {string} raw
 * @returns {string | null} error message or null
 */
function setFlag (values, spec, raw) {
  const invalid = (/** @type {string} */ why) => `invalid argument ${goQuote(raw)} for ${goQuote(flagDisplayName(spec))} flag: ${why}`
  switch (spec.kind) {
    case 'bool': {
      const r = parseGoBool(raw)
      if ('error' in r) return invalid(r.error)
      values.set(spec.name, r.value)
      return null
    }
    case 'string':
      values.set(spec.name, raw)
      return null
    case 'stringSlice': {
      const r = readAsCSV(raw)
      if ('error' in r) return invalid(r.error)
      const prev = values.get(spec.name)
      values.set(spec.name, Array.isArray(prev) ? [...prev, ...r.items] : r.items)
      return null
    }
    case 'stringArray': {
      const prev = values.get(spec.name)
      values.set(spec.name, Array.isArray(prev) ? [...prev, raw] : [raw])
      return null
    }
    case 'duration': {
      const r = parseGoDuration(raw)
      if ('error' in r) return invalid(r.error)
      values.set(spec.name, r.ns)
      return null
    }
    case 'uint8': {
      const r = parseGoUint(raw, 8)
      if ('error' in r) return invalid(r.error)
      values.set(spec.name, r.value)
      return null
    }
    case 'int': {
      const r = parseGoInt64(raw)
      if ('error' in r) return invalid(r.error)
      values.set(spec.name, r.value)
      return null
    }
  }
}

/**
 * pflag's parser (interspersed flags and positionals, `--` ends flags).
 * @param {string[]} args
 * @param {FlagSpec[]} specs
 * @returns {ParsedFlags | { error: string }}
 */
export function parseFlags (args, specs) {
  const byName = new Map(specs.map((s) => [s.name, s]))
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short, s]))
  /** @type {Map<string, FlagValue>} */
  const values = new Map()
  /** @type {string[]} */
  const positionals = []
  let dashAt = -1
  let i = 0
  while (i < args.length) {
    const s = args[i] ?? ''
    i++
    if (s.length < 2 || s[0] !== '-') { positionals.push(s); continue }
    if (s[1] === '-') {
      if (s.length === 2) {
        dashAt = positionals.length
        positionals.push(...args.slice(i))
        break
      }
      const body = s.slice(2)
      if (body[0] === '-' || body[0] === '=') return { error: `bad flag syntax: ${s}` }
      const eq = body.indexOf('=')
      const name = eq === -1 ? body : body.slice(0, eq)
      const spec = byName.get(name)
      if (!spec) return { error: `unknown flag: --${name}` }
      let value
      if (eq !== -1) value = body.slice(eq + 1)
      else if (spec.kind === 'bool') value = 'true'
      else if (i < args.length) { value = args[i] ?? ''; i++ } else return { error: `flag needs an argument: ${s}` }
      const err = setFlag(values, spec, value)
      if (err) return { error: err }
      continue
    }
    let shorthands = s.slice(1)
    while (shorthands.length > 0) {
      const c = shorthands[0] ?? ''
      const spec = byShort.get(c)
      if (!spec) return { error: `unknown shorthand flag: '${c}' in -${shorthands}` }
      let value
      if (shorthands.length > 2 && shorthands[1] === '=') { value = shorthands.slice(2); shorthands = '' } else if (spec.kind === 'bool') { value = 'true'; shorthands = shorthands.slice(1) } else if (shorthands.length > 1) { value = shorthands.slice(1); shorthands = '' } else if (i < args.length) { value = args[i] ?? ''; i++; shorthands = '' } else return { error: `flag needs an argument: '${c}' in -${shorthands}` }
      const err = setFlag(values, spec, value)
      if (err) return { error: err }
    }
  }
  return { values, positionals, dashAt }
}

/**
 * @typedef {object} Resolved
 * @property {'root' | 'help' | 'version' | 'adm' | 'must-gather' | 'unknown'} command
 * @property {string} [unknownWord]
 * @property {string} [parentPath]
 * @property {string[]} rest args with the command words removed
 */

/**
 * Finds the sub-command like cobra does: flag-aware scan for the first words.
 * @param {string[]} argv
 * @returns {Resolved}
 */
export function resolveCommand (argv) {
  const all = [...GLOBAL_FLAGS, ...MUST_GATHER_FLAGS, ...VERSION_FLAGS]
  const bools = new Set(all.filter((s) => s.kind === 'bool').map((s) => s.name))
  const shortBools = new Set(all.filter((s) => s.kind === 'bool' && s.short).map((s) => s.short))
  /** @type {{ word: string, index: number }[]} */
  const words = []
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i] ?? ''
    if (s === '--') break
    if (s.startsWith('--')) {
      if (!s.includes('=') && !bools.has(s.slice(2))) i++
    } else if (s.startsWith('-') && s.length > 1) {
      if (s.length === 2 && !shortBools.has(s.slice(1))) i++
    } else if (s !== '') {
      words.push({ word: s, index: i })
    }
  }
  /** @param {number} n */
  const without = (n) => {
    const drop = new Set(words.slice(0, n).map((w) => w.index))
    return argv.filter((_, i) => !drop.has(i))
  }
  const first = words[0]?.word
  if (first === undefined) return { command: 'root', rest: argv }
  if (first === 'help') return { command: 'help', rest: without(1) }
  if (first === 'version') return { command: 'version', rest: without(1) }
  if (first === 'adm') {
    const second = words[1]?.word
    if (second === undefined) return { command: 'adm', rest: without(1) }
    if (second === 'must-gather') return { command: 'must-gather', rest: without(2) }
    return { command: 'unknown', unknownWord: second, parentPath: 'oc adm', rest: argv }
  }
  return { command: 'unknown', unknownWord: first, parentPath: 'oc', rest: argv }
}

/**
 * @typedef {object} PlannedImage
 * @property {string} spec the pull spec oc uses (and prints)
 * @property {string} scenarioTag the tag that selects the simulated behaviour
 */

/**
 * @typedef {object} MustGatherOptions
 * @property {PlannedImage[]} images
 * @property {string} destDir
 * @property {string} sourceDir
 * @property {number} timeoutMs
 * @property {string} nodeName
 * @property {string} nodeSelector
 * @property {boolean} hostNetwork
 * @property {bigint} sinceNs
 * @property {string} sinceTime
 * @property {string} runNamespace
 * @property {number} volumePercentage
 * @property {boolean} keep
 * @property {boolean} allImages
 * @property {string[]} command the gather command, [] for the default
 */

export const DEFAULT_IMAGE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@' + fakeDigest('openshift/must-gather:latest')
/** Images the simulated cluster's operators annotate with operators.openshift.io/must-gather-image. */
export const OPERATOR_IMAGES = [
  'registry.redhat.io/container-native-virtualization/cnv-must-gather-rhel9@' + fakeDigest('cnv-must-gather:v4.17.0'),
  'registry.redhat.io/odf4/odf-must-gather-rhel9@' + fakeDigest('odf-must-gather:v4.17.0')
]

/**
 * Resolves an image stream `namespace/name:tag` on the simulated cluster.
 * @param {string} s
 * @returns {PlannedImage | { error: string }}
 */
function resolveImageStream (s) {
  const slash = s.indexOf('/')
  const namespace = slash === -1 ? '' : s.slice(0, slash)
  const nameAndTag = slash === -1 ? s : s.slice(slash + 1)
  const colon = nameAndTag.indexOf(':')
  const name = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon)
  const tag = (colon === -1 ? '' : nameAndTag.slice(colon + 1)) || 'latest'
  if (namespace === '') return { error: 'expected namespace/name:tag' }
  if (name === '') return { error: 'resource name may not be empty' }
  const spec = `image-registry.openshift-image-registry.svc:5000/${namespace}/${name}@${fakeDigest(`${namespace}/${name}:${tag}`)}`
  if ('error' in parseImageReference(spec)) return { error: `imagestreams.image.openshift.io ${goQuote(name)} not found` }
  return { spec, scenarioTag: tag }
}

/**
 * The scenario tag of a pull spec given with --image ('' when it has none or is invalid).
 * @param {string} spec
 */
function tagOf (spec) {
  const r = parseImageReference(spec)
  return 'ref' in r ? r.ref.tag : ''
}

/**
 * must-gather's Complete step: the --timeout flag, default dest-dir, --all-images
 * conflicts and image resolution. Writes the deprecation warning to `warn`.
 * @param {ParsedFlags} parsed
 * @param {(line: string) => void} warn
 * @returns {{ options: MustGatherOptions } | { error: string }}
 */
export function completeMustGather (parsed, warn) {
  const v = parsed.values
  const str = (/** @type {string} */ k) => { const x = v.get(k); return typeof x === 'string' ? x : '' }
  const bool = (/** @type {string} */ k) => v.get(k) === true
  const list = (/** @type {string} */ k) => { const x = v.get(k); return Array.isArray(x) ? x : [] }

  const { positionals, dashAt } = parsed
  const command = dashAt !== -1 && dashAt < positionals.length ? positionals.slice(dashAt) : positionals

  let timeoutMs = 10 * 60 * 1000
  const timeoutStr = v.has('timeout') ? str('timeout') : '10m'
  if (timeoutStr.length > 0) {
    if (/[smh]/.test(timeoutStr)) {
      const r = parseGoDuration(timeoutStr)
      if ('error' in r) return { error: `invalid argument ${goQuote(timeoutStr)} for "--timeout" flag: ${r.error}` }
      timeoutMs = Number(r.ns / 1000000n)
    } else {
      warn("Flag --timeout's value in seconds has been deprecated, use duration like 5s, 2m, or 3h, instead")
      const r = parseGoInt64(timeoutStr)
      if ('error' in r) return { error: `invalid argument ${goQuote(timeoutStr)} for "--timeout" flag: ${r.error}` }
      timeoutMs = Number(r.value) * 1000
    }
  }

  const destDir = str('dest-dir') || `must-gather.local.${randomDigits()}`
  const images = list('image')
  const imageStreams = list('image-stream')
  const allImages = bool('all-images')
  if (allImages) {
    const errStr = 'and --all-images are mutually exclusive: please specify one or the other'
    if (images.length !== 0) return { error: `--image ${errStr}` }
    if (bool('host-network')) return { error: `--host-network ${errStr}` }
    if (imageStreams.length !== 0) return { error: `--image-streams ${errStr}` }
    if (str('node-name') !== '') return { error: `--node-name ${errStr}` }
    if (str('run-namespace') !== '') return { error: `--run-namespace ${errStr}` }
  }

  /** @type {PlannedImage[]} */
  const planned = images.map((spec) => ({ spec, scenarioTag: tagOf(spec) }))
  for (const s of imageStreams) {
    const r = resolveImageStream(s)
    if ('error' in r) return { error: `unable to resolve image stream '${s}': ${r.error}` }
    planned.push(r)
  }
  if (planned.length === 0 || allImages) planned.push({ spec: DEFAULT_IMAGE, scenarioTag: '' })
  if (allImages) {
    for (const spec of OPERATOR_IMAGES) planned.push({ spec, scenarioTag: '' })
  }

  const volume = v.get('volume-percentage')
  return {
    options: {
      images: planned,
      destDir,
      sourceDir: v.has('source-dir') ? str('source-dir') : '/must-gather/',
      timeoutMs,
      nodeName: str('node-name'),
      nodeSelector: str('node-selector'),
      hostNetwork: bool('host-network'),
      sinceNs: /** @type {bigint} */ (v.get('since') ?? 0n),
      sinceTime: str('since-time'),
      runNamespace: str('run-namespace'),
      volumePercentage: typeof volume === 'bigint' ? Number(volume) : 30,
      keep: bool('keep'),
      allImages,
      command
    }
  }
}

/**
 * must-gather's Validate step (plus image reference parsing, which the reference
 * documents as a validation done before anything runs).
 * @param {MustGatherOptions} o
 * @param {(line: string) => void} warn
 * @returns {string | null} error message
 */
export function validateMustGather (o, warn) {
  if (o.nodeName !== '' && o.nodeSelector !== '') return '--node-name and --node-selector are mutually exclusive: please specify one or the other'
  if (o.nodeName !== '' && /[/%]/.test(o.nodeName)) return "--node-name may not contain '/' or '%'"
  if (o.destDir.includes(':')) return '--dest-dir may not contain special characters such as colon(:)'
  if (o.volumePercentage <= 0 || o.volumePercentage > 100) return 'invalid volume usage percentage, please specify a value between 0 and 100'
  if (o.volumePercentage >= 80) {
    warn(klogWarningHeader('mustgather.go', 343) + 'volume percentage greater than or equal to 80 might cause filling up the disk space and have an impact on other components running on master')
  }
  if (o.sinceTime.length > 0 && o.sinceNs !== 0n) return 'at most one of `--since-time` or `--since` may be specified'
  if (o.sinceTime.length > 0 && !isGoRFC3339(o.sinceTime)) return "--since-time only accepts times matching RFC3339, eg '2006-01-02T15:04:05Z'"
  for (const image of o.images) {
    const r = parseImageReference(image.spec)
    if ('error' in r) return `unable to parse image reference ${image.spec}: ${r.error}`
  }
  return null
}
