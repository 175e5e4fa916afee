/**
 * Talking to the service: same origin, JSON, the bearer token from
 * sessionStorage when the person signed in with one (never a cookie, never
 * localStorage). Behind oauth-proxy there is no token here: the proxy adds
 * the user's own token to every request.
 */

const TOKEN_KEY = 'must-gather-console.token'

export function storedToken (): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined
}

export function storeToken (token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(TOKEN_KEY)
  else sessionStorage.setItem(TOKEN_KEY, token)
}

/** An answer that is not a success, with the service's own words. */
export class ApiError extends Error {
  constructor (readonly status: number, message: string, readonly field?: string) {
    super(message)
  }
}

type AccessListener = (error: ApiError) => void
const accessListeners = new Set<AccessListener>()

/** Called with every 401 and 403: the app shows the sign-in screen or says what is not allowed. */
export function onAccessProblem (listener: AccessListener): () => void {
  accessListeners.add(listener)
  return () => accessListeners.delete(listener)
}

export function authHeaders (token = storedToken()): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` }
}

export async function apiFetch (path: string, init: RequestInit = {}, token = storedToken()): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...authHeaders(token), ...init.headers as Record<string, string> } })
  if (response.status === 401 || response.status === 403) {
    const error = await errorOf(response)
    for (const listener of accessListeners) listener(error)
    throw error
  }
  return response
}

/** The `{error, field}` body every 4xx and 5xx of the service has. */
export async function errorOf (response: Response): Promise<ApiError> {
  let body: { error?: unknown, field?: unknown } = {}
  try { body = await response.json() } catch {}
  const message = typeof body.error === 'string' ? body.error : `${response.status} ${response.statusText}`
  return new ApiError(response.status, message, typeof body.field === 'string' ? body.field : undefined)
}

export async function getJson<T> (path: string, init?: RequestInit): Promise<T> {
  const response = await apiFetch(path, init)
  if (!response.ok) throw await errorOf(response)
  return await response.json() as T
}

/**
 * A GET that asks "changed since?" with the last ETag: while nothing changed
 * the service answers 304 with no body, so polling costs it next to nothing.
 */
export class ConditionalGet<T> {
  #etag: string | undefined
  #path: string | undefined
  #value: T | undefined

  /** The current value, or undefined when it did not change since the last call. */
  async fetch (path: string, signal?: AbortSignal): Promise<T | undefined> {
    if (path !== this.#path) {
      this.#etag = undefined
      this.#path = path
    }
    const headers: Record<string, string> = this.#etag === undefined ? {} : { 'If-None-Match': this.#etag }
    const response = await apiFetch(path, { headers, ...(signal !== undefined && { signal }) })
    if (response.status === 304) return undefined
    if (!response.ok) throw await errorOf(response)
    const value = await response.json() as T
    // Another path may have been asked for meanwhile: keep only what belongs to the current one.
    if (path === this.#path) {
      this.#etag = response.headers.get('etag') ?? undefined
      this.#value = value
    }
    return value
  }

  get value (): T | undefined { return this.#value }
}

export type Status = 'new' | 'inprogress' | 'completed' | 'error'

export interface Execution {
  id: number
  'created-at': string
  'updated-at': string
  'custom-name': string
  status: Status
  image: string
  'image-stream': string
  'node-name': string
  command: string
  'source-dir': string
  timeout: string
  server: string
  'archive-name': string
  'archive-size': number
  'archive-sha256': string
  'exec-output': string
  'node-selector': string
  'host-network': boolean
  'all-images': boolean
  since: string
  'since-time': string
  'run-namespace': string
  'volume-percentage': number | null
  keep: boolean
  'error-message': string
  'started-at': string | null
  'finished-at': string | null
  'created-by': string
  /** The archive was redacted before packing; the counts are replacements per rule. */
  redacted: boolean
  'redaction-counts': Record<string, number> | null
  expired: boolean
  phase: string
  progress: { 'elapsed-seconds': number | null, 'timeout-seconds': number, 'output-bytes': number }
}

export const isFinished = (e: Execution): boolean => e.status === 'completed' || e.status === 'error'

/** How often lists and records are asked again: a change shows within 2 s. */
export const POLL_MS = 1250
