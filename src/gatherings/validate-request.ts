import { formatGoDuration, parseGoDuration } from '../config/go-duration.js'
import { type FieldMessage, ValidationError } from './errors.js'
import {
  imageReferenceError,
  imageStreamError,
  isDns1123Label,
  isDns1123Subdomain,
  isRfc3339,
  labelSelectorError
} from './references.js'
import type { GatheringOptions, GatheringRequest } from './types.js'

export interface RequestDefaults {
  /** Comma-separated image(s) used when the request names no image, stream or all-images. */
  defaultImage: string
  defaultTimeout: string
  maxTimeoutMs: number
}

export interface ValidatedRequest {
  customName: string
  options: GatheringOptions
}

// Control characters have no business in any value: they would corrupt logs,
// and a NUL cannot be passed in an argument at all.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
// Nor has a lone UTF-16 surrogate (JSON allows "\ud800"): an argument and the database hold UTF-8,
// where it would silently become U+FFFD, so oc would get another value than the one checked.
const LONE_SURROGATE = /\p{Cs}/u

/** Why a text value cannot be used at all, or undefined. */
function textError (value: string): FieldMessage | undefined {
  if (CONTROL.test(value)) return (name) => `${name} must not contain control characters`
  if (LONE_SURROGATE.test(value)) return (name) => `${name} must be valid Unicode text (it holds a lone surrogate)`
  return undefined
}

/**
 * Checks a request body (already shape-checked by the schema) the way `oc adm
 * must-gather` would check its flags, with `oc`'s own messages where it has
 * them, and returns the options to run with. Throws `ValidationError`.
 */
export function validateRequest (request: GatheringRequest | undefined | null, defaults: RequestDefaults): ValidatedRequest {
  const r = request ?? {}
  type TextField = 'customName' | 'nodeName' | 'nodeSelector' | 'runNamespace' | 'since' | 'sinceTime' | 'server' | 'timeout' | 'sourceDir'
  const str = (field: TextField): string => {
    const value: unknown = r[field]
    if (value === undefined || value === null) return ''
    if (typeof value !== 'string') throw new ValidationError(field, (name) => `${name} must be a string`)
    const error = textError(value)
    if (error !== undefined) throw new ValidationError(field, error)
    return value
  }
  const list = (field: 'image' | 'imageStream' | 'command', splitCommas: boolean): string[] => {
    const value = r[field]
    if (value === undefined || value === null) return []
    const items = typeof value === 'string' ? (splitCommas ? value.split(',') : [value]) : value
    for (const item of items) {
      const error = textError(item)
      if (error !== undefined) throw new ValidationError(field, error)
    }
    return splitCommas ? items.map((i) => i.trim()).filter((i) => i !== '') : items.filter((i) => i !== '')
  }
  const bool = (field: 'allImages' | 'hostNetwork' | 'keep' | 'redact'): boolean => r[field] === true

  const customName = str('customName')
  const images = list('image', true)
  const imageStreams = list('imageStream', true)
  const allImages = bool('allImages')
  const nodeName = str('nodeName')
  const nodeSelector = str('nodeSelector').trim()
  const hostNetwork = bool('hostNetwork')
  const runNamespace = str('runNamespace')
  const since = str('since')
  const sinceTime = str('sinceTime')
  const server = str('server')
  const command = list('command', false)

  for (const image of images) {
    const error = imageReferenceError(image)
    if (error !== undefined) throw new ValidationError('image', `unable to parse image reference ${image}: ${error}`)
  }
  for (const stream of imageStreams) {
    const error = imageStreamError(stream)
    if (error !== undefined) throw new ValidationError('imageStream', `unable to resolve image stream '${stream}': ${error}`)
  }
  if (allImages) {
    // [field, oc's flag, given]
    const conflicts: Array<[keyof GatheringRequest, string, boolean]> = [
      ['image', 'image', images.length > 0],
      ['hostNetwork', 'host-network', hostNetwork],
      ['imageStream', 'image-stream', imageStreams.length > 0],
      ['nodeName', 'node-name', nodeName !== ''],
      ['runNamespace', 'run-namespace', runNamespace !== '']
    ]
    for (const [field, flag, given] of conflicts) {
      if (given) throw new ValidationError(field, `--${flag} and --all-images are mutually exclusive: please specify one or the other`)
    }
  }
  if (nodeName !== '') {
    if (nodeSelector !== '') throw new ValidationError('nodeName', '--node-name and --node-selector are mutually exclusive: please specify one or the other')
    if (/[/%]/.test(nodeName)) throw new ValidationError('nodeName', "--node-name may not contain '/' or '%'")
    if (!isDns1123Subdomain(nodeName)) throw new ValidationError('nodeName', `--node-name "${nodeName}" is not a valid node name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters`)
  }
  if (nodeSelector !== '') {
    const error = labelSelectorError(nodeSelector)
    if (error !== undefined) throw new ValidationError('nodeSelector', `--node-selector "${nodeSelector}" is not a label selector: ${error}`)
  }
  if (runNamespace !== '' && !isDns1123Label(runNamespace)) {
    throw new ValidationError('runNamespace', `--run-namespace "${runNamespace}" is not a valid namespace name: lowercase letters, digits and '-', at most 63 characters`)
  }

  const timeout = validateTimeout(str('timeout'), defaults)
  if (since !== '' && sinceTime !== '') throw new ValidationError('since', 'at most one of `--since-time` or `--since` may be specified')
  if (since !== '') {
    const ms = parseGoDuration(since)
    if (ms === undefined) throw new ValidationError('since', `invalid argument "${since}" for "--since" flag: time: invalid duration "${since}"`)
    if (ms < 0) throw new ValidationError('since', `--since must not be negative, got "${since}"`)
  }
  if (sinceTime !== '' && !isRfc3339(sinceTime)) {
    throw new ValidationError('sinceTime', "--since-time only accepts times matching RFC3339, eg '2006-01-02T15:04:05Z'")
  }

  const volumePercentage = r.volumePercentage ?? null
  if (volumePercentage !== null && (volumePercentage < 1 || volumePercentage > 100)) {
    throw new ValidationError('volumePercentage', 'invalid volume usage percentage, please specify a value between 0 and 100')
  }
  if (server !== '') validateServer(server)
  const sourceDir = str('sourceDir')

  const usesDefaultImage = images.length === 0 && imageStreams.length === 0 && !allImages
  return {
    customName,
    options: {
      images: usesDefaultImage ? defaults.defaultImage.split(',').filter((i) => i !== '') : images,
      imageStreams,
      allImages,
      nodeName,
      nodeSelector,
      hostNetwork,
      sourceDir,
      timeout,
      since,
      sinceTime,
      runNamespace,
      volumePercentage,
      keep: bool('keep'),
      server,
      command,
      redact: bool('redact')
    }
  }
}

function validateTimeout (given: string, defaults: RequestDefaults): string {
  if (given === '') return defaults.defaultTimeout
  // oc reads a bare integer as seconds (with a deprecation warning): say so explicitly.
  const timeout = /^\d+$/.test(given) ? `${given}s` : given
  const ms = parseGoDuration(timeout)
  if (ms === undefined) throw new ValidationError('timeout', `invalid argument "${given}" for "--timeout" flag: time: invalid duration "${given}"`)
  if (ms <= 0) throw new ValidationError('timeout', `timeout must be greater than zero, got "${given}"`)
  if (ms > defaults.maxTimeoutMs) {
    throw new ValidationError('timeout', `timeout ${given} is longer than the maximum this service allows (MAX_TIMEOUT=${formatGoDuration(defaults.maxTimeoutMs)})`)
  }
  return timeout
}

function validateServer (server: string): void {
  // oc accepts a URL or host[:port] (https assumed).
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    throw new ValidationError('server', `server "${server}" is not a URL such as https://api.cluster.example.com:6443`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ValidationError('server', `server "${server}" must use https:// (or http://)`)
  }
  if (url.username !== '' || url.password !== '' || /\s/.test(server)) {
    throw new ValidationError('server', `server "${server}" must be a plain URL without credentials or spaces`)
  }
}
