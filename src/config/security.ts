import { accessSync, constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { imageReferenceError } from '../gatherings/references.js'
import { boolean, ConfigError, duration, integer } from './parse.js'

/** The resource attributes of a SubjectAccessReview ("may this user …?"). */
export interface AccessRule {
  verb: string
  group: string
  resource: string
  subresource: string
  name: string
  namespace: string
}

export interface SecurityConfig {
  /** `AUTH_MODE`: `kubernetes` checks every caller's bearer token with the cluster; `none` trusts every caller (default: kubernetes). */
  authMode: 'kubernetes' | 'none'
  /** `USE_KUBECONFIG=true` or `KUBECONFIG` set: reach the API server through a kubeconfig instead of the in-cluster service account. */
  useKubeconfig: boolean
  /** `AUTH_CACHE_TTL`: how long an "allowed" decision is reused for the same token (default: 10s; 0 disables). */
  authCacheTtlMs: number
  /** `AUTH_CACHE_SIZE`: most decisions cached at once (default: 1000). */
  authCacheSize: number
  /** `AUTH_FAILURE_LIMIT`: rejected tokens one client address may present per minute before it gets 429 (default: 30; 0 disables). */
  authFailureLimit: number
  /** `AUTH_TIMEOUT`: longest wait for the API server before answering 503 (default: 5s). */
  authTimeoutMs: number
  /** `AUTHZ_VERB`, `AUTHZ_GROUP`, `AUTHZ_RESOURCE`, `AUTHZ_SUBRESOURCE`, `AUTHZ_NAME`, `AUTHZ_NAMESPACE`: what a caller must be allowed to do (default: `*` on `*`, i.e. cluster-admin). */
  accessRule: AccessRule
  /**
   * `VISIBILITY`: `all` shows every execution to every authorized caller; `own` only the caller's
   * (cluster-admins still see all). Default: `all` with the full-access rule, `own` with a narrowed
   * one; `all` with a narrowed rule is refused (a narrowed user would reach a cluster-admin's runs).
   */
  visibility: 'all' | 'own'
  /** `OC_CREDENTIALS`: `caller` runs oc with the caller's token; `service` with the service's own (default: caller). */
  ocCredentials: 'caller' | 'service'
  /** `OC_TOKEN_FILE`: in `service` mode, a token file an operator mounts (default: the service account's token). */
  ocTokenFile: string | undefined
  /** `CREDENTIALS_DIR`: private directory for per-run kubeconfig files (default: under /dev/shm, memory only). */
  credentialsDir: string
  /** `ALLOWED_IMAGES`: comma-separated image references; a trailing `*` makes a prefix. Empty allows any (default: empty). */
  allowedImages: string[]
  /** `ALLOWED_IMAGE_STREAMS`: the same for image streams (default: empty). */
  allowedImageStreams: string[]
  /** `API_TLS_CERTIFICATE` + `API_TLS_KEY`: serve HTTPS with these PEM files, reloaded when they change. */
  tls: { certFile: string, keyFile: string } | undefined
  /** `CORS_ALLOWED_ORIGINS`: comma-separated exact origins allowed to call from a browser (default: none). */
  corsAllowedOrigins: string[]
  /** `POST_RATE_LIMIT`: POST /must-gather per caller per minute (default: 300; 0 disables). */
  postRateLimit: number
  /** `ALLOWED_COMMANDS`: in service mode, comma-separated patterns a request's `command` must match (`*`: one word); empty refuses every command (default: empty). */
  allowedCommands: string[]
  /** `ALLOW_SOURCE_DIR`, `ALLOW_KEEP`, `ALLOW_HOST_NETWORK`, `ALLOW_NODE_NAME`, `ALLOW_RUN_NAMESPACE`: in service mode, allow these request fields (default: false). */
  allowedFields: { sourceDir: boolean, keep: boolean, hostNetwork: boolean, nodeName: boolean, runNamespace: boolean }
  /** `ALLOW_HTTP_SERVER`: in caller mode, a request's `server` may be `http://` (the caller's token then travels in clear) (default: false). */
  allowHttpServer: boolean
  /**
   * `FORWARDED_TOKEN_HEADER`: a header carrying the caller's token from a proxy in the same pod
   * (oauth-proxy: X-Forwarded-Access-Token), lower-cased; honoured only on loopback connections (default: unset, off).
   */
  forwardedTokenHeader: string | undefined
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token'
const list = (text: string | undefined): string[] => (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')

export function loadSecurityConfig (read: (name: string) => string | undefined): SecurityConfig {
  const authMode = oneOf('AUTH_MODE', read('AUTH_MODE') ?? 'kubernetes', ['kubernetes', 'none'] as const)
  const ocCredentials = oneOf('OC_CREDENTIALS', read('OC_CREDENTIALS') ?? 'caller', ['caller', 'service'] as const)
  const certFile = read('API_TLS_CERTIFICATE')
  const keyFile = read('API_TLS_KEY')
  const tlsEnabled = boolean('API_TLS_ENABLED', read('API_TLS_ENABLED') ?? String(certFile !== undefined || keyFile !== undefined))
  if (tlsEnabled && (certFile === undefined || keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? 'API_TLS_CERTIFICATE' : 'API_TLS_KEY', 'HTTPS needs both API_TLS_CERTIFICATE and API_TLS_KEY')
  }
  if (tlsEnabled) {
    readable('API_TLS_CERTIFICATE', certFile as string)
    readable('API_TLS_KEY', keyFile as string)
  }
  const allowedImages = list(read('ALLOWED_IMAGES'))
  for (const pattern of allowedImages) {
    const reference = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern
    if (!pattern.endsWith('*') && imageReferenceError(reference) !== undefined) {
      throw new ConfigError('ALLOWED_IMAGES', `"${pattern}" is neither an image reference nor a prefix ending in *`)
    }
  }
  const corsAllowedOrigins = list(read('CORS_ALLOWED_ORIGINS'))
  for (const origin of corsAllowedOrigins) {
    let parsed: URL | undefined
    try { parsed = new URL(origin) } catch {}
    if (parsed === undefined || parsed.origin !== origin) {
      throw new ConfigError('CORS_ALLOWED_ORIGINS', `"${origin}" is not an origin such as https://console.example.com`)
    }
  }
  const useKubeconfig = boolean('USE_KUBECONFIG', read('USE_KUBECONFIG') ?? 'false') || read('KUBECONFIG') !== undefined
  // In a cluster the service account's token; outside, the operator's kubeconfig is used as it is.
  const ocTokenFile = read('OC_TOKEN_FILE') ?? (ocCredentials === 'service' && authMode === 'kubernetes' && !useKubeconfig ? SERVICE_ACCOUNT_TOKEN : undefined)
  const accessRule: AccessRule = {
    verb: read('AUTHZ_VERB') ?? '*',
    group: read('AUTHZ_GROUP') ?? '*',
    resource: read('AUTHZ_RESOURCE') ?? '*',
    subresource: read('AUTHZ_SUBRESOURCE') ?? '',
    name: read('AUTHZ_NAME') ?? '',
    namespace: read('AUTHZ_NAMESPACE') ?? ''
  }
  const narrowed = authMode === 'kubernetes' && !isFullAccess(accessRule)
  const visibility = oneOf('VISIBILITY', read('VISIBILITY') ?? (narrowed ? 'own' : 'all'), ['all', 'own'] as const)
  if (narrowed && visibility === 'all') {
    throw new ConfigError('VISIBILITY', `VISIBILITY=all with a narrowed access rule (${describeNarrowing(accessRule)}) would let every caller that rule ` +
      'admits read, download and delete everyone\'s executions, a cluster-admin\'s included; remove VISIBILITY (it is then own) or set VISIBILITY=own')
  }
  return {
    authMode,
    useKubeconfig,
    authCacheTtlMs: duration('AUTH_CACHE_TTL', read('AUTH_CACHE_TTL') ?? '10s', {}),
    authCacheSize: integer('AUTH_CACHE_SIZE', read('AUTH_CACHE_SIZE') ?? '1000', 1, 1_000_000),
    authFailureLimit: integer('AUTH_FAILURE_LIMIT', read('AUTH_FAILURE_LIMIT') ?? '30', 0, 1_000_000),
    authTimeoutMs: duration('AUTH_TIMEOUT', read('AUTH_TIMEOUT') ?? '5s', { positive: true }),
    accessRule,
    visibility,
    ocCredentials,
    ocTokenFile,
    credentialsDir: read('CREDENTIALS_DIR') ?? defaultCredentialsDir(),
    allowedImages,
    allowedImageStreams: list(read('ALLOWED_IMAGE_STREAMS')),
    tls: tlsEnabled ? { certFile: certFile as string, keyFile: keyFile as string } : undefined,
    corsAllowedOrigins,
    postRateLimit: integer('POST_RATE_LIMIT', read('POST_RATE_LIMIT') ?? '300', 0, 1_000_000),
    allowHttpServer: boolean('ALLOW_HTTP_SERVER', read('ALLOW_HTTP_SERVER') ?? 'false'),
    allowedCommands: list(read('ALLOWED_COMMANDS')),
    allowedFields: {
      sourceDir: boolean('ALLOW_SOURCE_DIR', read('ALLOW_SOURCE_DIR') ?? 'false'),
      keep: boolean('ALLOW_KEEP', read('ALLOW_KEEP') ?? 'false'),
      hostNetwork: boolean('ALLOW_HOST_NETWORK', read('ALLOW_HOST_NETWORK') ?? 'false'),
      nodeName: boolean('ALLOW_NODE_NAME', read('ALLOW_NODE_NAME') ?? 'false'),
      runNamespace: boolean('ALLOW_RUN_NAMESPACE', read('ALLOW_RUN_NAMESPACE') ?? 'false')
    },
    forwardedTokenHeader: headerName('FORWARDED_TOKEN_HEADER', read('FORWARDED_TOKEN_HEADER'))
  }
}

/** `*` on `*` with nothing narrowing it: what cluster-admin passes, and only cluster-admin. */
function isFullAccess (rule: AccessRule): boolean {
  return rule.verb === '*' && rule.group === '*' && rule.resource === '*' && rule.subresource === '' && rule.name === '' && rule.namespace === ''
}

/** The AUTHZ_* variables that narrow the rule, as set. */
function describeNarrowing (rule: AccessRule): string {
  const set: Array<[string, string, string]> = [
    ['AUTHZ_VERB', rule.verb, '*'], ['AUTHZ_GROUP', rule.group, '*'], ['AUTHZ_RESOURCE', rule.resource, '*'],
    ['AUTHZ_SUBRESOURCE', rule.subresource, ''], ['AUTHZ_NAME', rule.name, ''], ['AUTHZ_NAMESPACE', rule.namespace, '']
  ]
  return set.filter(([, value, full]) => value !== full).map(([name, value]) => `${name}=${value}`).join(', ')
}

/** An HTTP header name (RFC 9110 token), lower-cased as Node presents headers. */
function headerName (variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)) throw new ConfigError(variable, `"${value}" is not an HTTP header name`)
  if (value.toLowerCase() === 'authorization') throw new ConfigError(variable, 'Authorization is read anyway: name the header the proxy adds, such as X-Forwarded-Access-Token')
  return value.toLowerCase()
}

function oneOf<T extends string> (variable: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(variable, `"${value}" must be one of ${allowed.join(', ')}`)
  return value as T
}

function readable (variable: string, path: string): void {
  try {
    accessSync(path, constants.R_OK)
  } catch (error) {
    throw new ConfigError(variable, `cannot read "${path}": ${(error as Error).message}`)
  }
}

/** Memory-backed when the machine has /dev/shm, so tokens never touch a persistent disk. */
function defaultCredentialsDir (): string {
  const uid = process.getuid?.() ?? 'user'
  try {
    accessSync('/dev/shm', constants.W_OK)
    return join('/dev/shm', `must-gather-service-${uid}`)
  } catch {
    return join(tmpdir(), `must-gather-service-${uid}`)
  }
}
