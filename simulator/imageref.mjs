// @ts-check
// Image reference grammar of docker/distribution (as vendored by openshift/library-go),
// plus the pod image ID a kubelet would report for a reference.
import { createHash } from 'node:crypto'

const alphaNumeric = '[a-z0-9]+'
const separator = '(?:[._]|__|[-]+)'
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]'
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`
const domainAndPort = `(?:${domainName}|${ipv6address})(?::[0-9]+)?`
const tagPattern = '[\\w][\\w.-]{0,127}'
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}'
const namePattern = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`

const REFERENCE = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`)

/** @type {Record<string, number>} hex length of each supported digest algorithm */
const DIGEST_HEX_LENGTH = { sha256: 64, sha384: 96, sha512: 128 }

/**
 * @typedef {object} ImageReference
 * @property {string} name repository with optional domain, e.g. quay.io/org/image
 * @property {string} tag tag or '' when none
 * @property {string} digest e.g. sha256:<hex>, or '' when none
 */

/**
 * Parses an image pull spec like reference.Parse does.
 * @param {string} spec
 * @returns {{ ref: ImageReference } | { error: string }}
 */
export function parseImageReference (spec) {
  const m = REFERENCE.exec(spec)
  if (!m) {
    if (spec === '') return { error: 'repository name must have at least one component' }
    if (REFERENCE.test(spec.toLowerCase())) return { error: 'invalid reference format: repository name must be lowercase' }
    return { error: 'invalid reference format' }
  }
  const name = m[1] ?? ''
  if (name.length > 255) return { error: 'repository name must not be more than 255 characters' }
  const digest = m[3] ?? ''
  if (digest !== '') {
    const i = digest.indexOf(':')
    const algorithm = digest.slice(0, i)
    const encoded = digest.slice(i + 1)
    const size = DIGEST_HEX_LENGTH[algorithm]
    if (size === undefined) return { error: 'unsupported digest algorithm' }
    if (encoded.length !== size) return { error: 'invalid checksum digest length' }
    if (!/^[a-f0-9]+$/.test(encoded)) return { error: 'invalid checksum digest format' }
  }
  return { ref: { name, tag: m[2] ?? '', digest } }
}

/**
 * Deterministic fake digest for any string.
 * @param {string} s
 * @returns {string} sha256:<64 hex>
 */
export function fakeDigest (s) {
  return 'sha256:' + createHash('sha256').update(s).digest('hex')
}

/**
 * The image ID the kubelet would report for the pod's container: the fully
 * qualified repository plus the digest (the tag is dropped). Images given by
 * tag get a digest derived deterministically from the whole pull spec.
 * @param {string} spec the pull spec as given
 * @param {ImageReference} ref its parsed form
 * @returns {string}
 */
export function imageIdFor (spec, ref) {
  let repo = ref.name
  const slash = repo.indexOf('/')
  const first = slash === -1 ? '' : repo.slice(0, slash)
  const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === 'localhost')
  if (!hasDomain) repo = 'docker.io/' + (slash === -1 ? 'library/' : '') + repo
  return `${repo}@${ref.digest || fakeDigest(spec)}`
}

/**
 * Directory name oc derives from a pod's image ID or node name.
 * @param {string} s
 * @returns {string}
 */
export function sanitizeName (s) {
  return s.replace(/[^A-Za-z0-9]+/g, '-')
}
