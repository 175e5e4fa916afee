/**
 * Syntax checks for the Kubernetes and container-image names a request can
 * carry, mirroring what `oc` and the API server would reject, so a bad value
 * fails at the API with a clear message instead of minutes later inside `oc`.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function isDns1123Label (value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value)
}

export function isDns1123Subdomain (value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value)
}

// The grammar of github.com/distribution/reference, which `oc` parses images with.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`)
const NAME_TOTAL_LENGTH_MAX = 255

/** Why `reference` is not a valid image reference, or `undefined` when it is. */
export function imageReferenceError (reference: string): string | undefined {
  if (reference === '') return 'repository name must have at least one component'
  const match = REFERENCE.exec(reference)
  if (match === null) {
    const lowered = REFERENCE.exec(reference.toLowerCase())
    return lowered !== null ? 'invalid reference format: repository name must be lowercase' : 'invalid reference format'
  }
  if ((match[1] ?? '').length > NAME_TOTAL_LENGTH_MAX) return `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`
  return undefined
}

const IMAGE_STREAM_TAG = new RegExp(`^([^/]+)/([^/:@]+)(?::(${TAG}))?$`)

/** Why `value` is not an image stream `namespace/name[:tag]`, or `undefined`. */
export function imageStreamError (value: string): string | undefined {
  const match = IMAGE_STREAM_TAG.exec(value)
  if (match === null) return 'expected namespace/name:tag'
  if (!isDns1123Label(match[1] ?? '')) return `namespace "${match[1]}" is not a valid namespace name`
  if (!isDns1123Subdomain(match[2] ?? '')) return `image stream name "${match[2]}" is not a valid name`
  return undefined
}

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

function labelKeyError (key: string): string | undefined {
  const slash = key.indexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = slash >= 0 ? key.slice(slash + 1) : key
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return `invalid label key prefix "${prefix}"`
  if (name.length > 63 || !LABEL_NAME.test(name)) return `invalid label key "${key}"`
  return undefined
}

function labelValueError (value: string): string | undefined {
  if (value === '') return undefined
  if (value.length > 63 || !LABEL_NAME.test(value)) return `invalid label value "${value}"`
  return undefined
}

const SET_REQUIREMENT = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/
const EQUALITY_REQUIREMENT = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/
const EXISTS_REQUIREMENT = /^(!?)\s*([^\s!=(),]+)$/

/**
 * Why `selector` is not a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h`),
 * or `undefined` when it is.
 */
export function labelSelectorError (selector: string): string | undefined {
  const requirements = splitOutsideParentheses(selector)
  if (requirements === undefined) return 'unbalanced parentheses'
  for (const raw of requirements) {
    const requirement = raw.trim()
    if (requirement === '') return 'empty requirement'
    const set = SET_REQUIREMENT.exec(requirement)
    if (set !== null) {
      const keyError = labelKeyError(set[1] ?? '')
      if (keyError !== undefined) return keyError
      const values = (set[3] ?? '').split(',').map((v) => v.trim())
      for (const value of values) {
        const valueError = labelValueError(value)
        if (valueError !== undefined) return valueError
      }
      continue
    }
    const equality = EQUALITY_REQUIREMENT.exec(requirement)
    if (equality !== null) {
      const error = labelKeyError(equality[1] ?? '') ?? labelValueError(equality[3] ?? '')
      if (error !== undefined) return error
      continue
    }
    const exists = EXISTS_REQUIREMENT.exec(requirement)
    if (exists !== null) {
      const error = labelKeyError(exists[2] ?? '')
      if (error !== undefined) return error
      continue
    }
    return `cannot parse requirement "${requirement}"`
  }
  return undefined
}

function splitOutsideParentheses (text: string): string[] | undefined {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of text) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (depth < 0 || depth > 1) return undefined
    if (char === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  if (depth !== 0) return undefined
  parts.push(current)
  return parts
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/

/** Whether `value` is a time Go's `time.Parse(time.RFC3339, …)` accepts. */
export function isRfc3339 (value: string): boolean {
  const match = RFC3339.exec(value)
  if (match === null) return false
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false
  if (hour > 23 || minute > 59 || second > 59) return false
  if (match[8] !== 'Z' && (Number(match[9]) > 23 || Number(match[10]) > 59)) return false
  return true
}
