/**
 * The archive's own endpoints, as the console uses them: directory pages,
 * byte ranges of one file, the streamed search, the summary and the
 * comparison. Every call goes through apiFetch, so the pasted token (kubernetes
 * mode) travels in the Authorization header and 401/403 reach the shell.
 */
import { apiFetch, authHeaders, errorOf, getJson } from '../api'

// Types only: nothing of the server's code ends up in the bundle.
import type { Comparison, Summary } from '../../../src/insight/types'
export type { Comparison, Summary }

export interface ListedEntry {
  name: string
  path: string
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'
  size: number
  mode: string
  mtime: string
  target?: string
  archive?: boolean
}

export interface DirectoryPage {
  path: string
  total: number
  offset: number
  limit: number
  entries: ListedEntry[]
}

const base = (id: number): string => `/must-gather/${id}`

/** The path part of a file URL: each segment encoded, the slashes kept (the route takes `files/*`). */
export const fileUrl = (id: number, path: string): string => `${base(id)}/files/${path.split('/').map(encodeURIComponent).join('/')}`

export async function listDirectory (id: number, path: string, offset: number, limit: number, signal?: AbortSignal): Promise<DirectoryPage> {
  const query = new URLSearchParams({ path, offset: String(offset), limit: String(limit) })
  return await getJson<DirectoryPage>(`${base(id)}/files?${query}`, { ...(signal !== undefined && { signal }) })
}

export interface FileChunk {
  bytes: Uint8Array
  /** The file's whole size (from Content-Range, or the body when the server sent it all). */
  size: number
  text: boolean
}

/** Bytes [start, start + length) of one file, asked with a Range header. */
export async function readFileRange (id: number, path: string, start: number, length: number, signal?: AbortSignal): Promise<FileChunk> {
  const response = await apiFetch(fileUrl(id, path), {
    headers: { Accept: '*/*', Range: `bytes=${start}-${start + length - 1}` },
    ...(signal !== undefined && { signal })
  })
  // Past the end: the file's size is in `Content-Range: bytes */<size>`.
  if (response.status === 416) return { bytes: new Uint8Array(), size: Number(/^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? start), text: true }
  if (!response.ok) throw await errorOf(response)
  const bytes = new Uint8Array(await response.arrayBuffer())
  const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1]
  const size = total !== undefined ? Number(total) : bytes.length
  const text = (response.headers.get('content-type') ?? '').startsWith('text/plain')
  return { bytes: response.status === 200 ? bytes.subarray(start, start + length) : bytes, size, text }
}

/**
 * Saves a file or an archive. Without a pasted token a plain link does it
 * (the browser, or oauth-proxy's cookie, authenticates); with one, the bytes
 * are fetched with the header and handed to the browser as a blob.
 */
export async function downloadWithToken (url: string, name: string): Promise<void> {
  const response = await fetch(url, { headers: authHeaders() })
  if (!response.ok) throw await errorOf(response)
  const blobUrl = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = blobUrl
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000)
}

/** `offset`: where the line starts in its file, in bytes. */
export interface SearchMatch { file: string, line: number, offset: number, text: string }
export interface SearchEnd { complete: boolean, reason?: string, message?: string, filesSearched?: number, [more: string]: unknown }

export interface SearchQuery { q: string, regex: boolean, ignoreCase: boolean, path: string, limit: number }

/**
 * Runs a search and hands over each match as its line arrives (the service
 * streams JSON lines; the last one says how the search ended). Resolves with
 * that last line, or undefined when the stream stopped without one.
 */
export async function streamSearch (id: number, query: SearchQuery, onMatches: (matches: SearchMatch[]) => void, signal: AbortSignal): Promise<SearchEnd | undefined> {
  const params = new URLSearchParams({ q: query.q, limit: String(query.limit) })
  if (query.regex) params.set('regex', 'true')
  if (query.ignoreCase) params.set('ignore-case', 'true')
  if (query.path !== '') params.set('path', query.path)
  const response = await apiFetch(`${base(id)}/search?${params}`, { headers: { Accept: 'application/x-ndjson' }, signal })
  if (!response.ok) throw await errorOf(response)
  if (response.body === null) return undefined
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let pending = ''
  let end: SearchEnd | undefined
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    pending += value
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    const matches: SearchMatch[] = []
    for (const line of lines) {
      if (line === '') continue
      const parsed = JSON.parse(line) as SearchMatch | SearchEnd
      if ('complete' in parsed) end = parsed
      else matches.push(parsed)
    }
    if (matches.length > 0) onMatches(matches)
  }
  return end
}

export async function getSummary (id: number, signal?: AbortSignal): Promise<Summary> {
  return await getJson(`${base(id)}/summary`, { ...(signal !== undefined && { signal }) })
}

export async function getComparison (id: number, other: number, signal?: AbortSignal): Promise<Comparison> {
  return await getJson(`${base(id)}/compare/${other}`, { ...(signal !== undefined && { signal }) })
}
