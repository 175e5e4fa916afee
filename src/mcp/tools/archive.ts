import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

import { ArchivePathError } from '../../archive/errors.js'
import { archivePath as checkedArchivePath } from '../../archive/paths.js'
import { type ApiAnswer, apiError, type ApiCaller, encodePath, query, text } from '../api-caller.js'
import { executionId, idPath } from './ids.js'

/** What `read` returns unless asked for more, and the most it returns: an assistant's context is small. */
export const READ_DEFAULT_BYTES = 64 * 1024
export const READ_MAX_BYTES = 1024 * 1024
/** Search matches returned unless asked for more, and at most; each line is cut to this many characters. */
export const SEARCH_DEFAULT_MATCHES = 100
export const SEARCH_MAX_MATCHES = 1000
const SEARCH_LINE_CHARS = 500

const archivePath = z.string().max(4096)

/** files, read, search: an execution's archive without downloading it (the /files and /search routes). */
export function registerArchiveTools (server: McpServer, api: () => ApiCaller): void {
  server.registerTool('files', {
    title: 'List a directory of the archive',
    description: 'Lists one directory of a completed execution\'s archive (GET /must-gather/:id/files?path=): name, path, type, size, mtime. ' +
      'Start with an empty path (the top), then go down; pass an entry\'s `path` to `read` (files) or back to `files` (directories, and ' +
      'nested .tar.gz archives marked `archive: true`). The default OpenShift image puts cluster data under ' +
      '<image dir>/cluster-scoped-resources/ and <image dir>/namespaces/<ns>/.',
    inputSchema: {
      id: executionId,
      path: archivePath.optional().describe('A directory as `tar -tzf` prints it; empty or absent: the top'),
      limit: z.number().int().min(1).max(10_000).optional().describe('At most this many entries (default 1000)'),
      offset: z.number().int().min(0).optional().describe('Skip this many entries (next page)')
    },
    annotations: { readOnlyHint: true }
  }, async ({ id, path, limit, offset }) => api().json('GET', `/must-gather/${idPath(id)}/files${query({ path: path ?? '', limit, offset })}`))

  server.registerTool('read', {
    title: 'Read a file of the archive',
    description: 'Returns one file of the archive as text (GET /must-gather/:id/files/<path>), at most `max-bytes` bytes from `offset` ' +
      `(default ${READ_DEFAULT_BYTES}, at most ${READ_MAX_BYTES}); a last note says the file's size and the offset to continue from. ` +
      'Binary files are not shown. For a long log, `search` it first, or read its end with a larger offset.',
    inputSchema: {
      id: executionId,
      path: archivePath.min(1).describe('The file\'s path, as `files` or `search` or `summary` name it'),
      offset: z.number().int().min(0).optional().describe('First byte to return (default 0)'),
      'max-bytes': z.number().int().min(1).max(READ_MAX_BYTES).optional().describe(`At most this many bytes (default ${READ_DEFAULT_BYTES})`)
    },
    annotations: { readOnlyHint: true }
  }, async ({ id, path, offset = 0, 'max-bytes': maxBytes = READ_DEFAULT_BYTES }) => {
    // A `..` in a URL path would be resolved away by URL normalisation (to another route): the route's own check is applied first.
    try {
      checkedArchivePath(path)
    } catch (error) {
      if (error instanceof ArchivePathError) return apiError({ status: 400, headers: {}, bytes: Buffer.from(JSON.stringify({ error: error.message, field: 'path' })) })
      throw error
    }
    const url = `/must-gather/${idPath(id)}/files/${encodePath(path)}`
    let answer = await api().call('GET', url, { headers: { range: `bytes=${offset}-${offset + maxBytes - 1}` } })
    // An empty file has no byte 0: a range is "not satisfiable", but there is nothing to flood anyone with.
    if (answer.status === 416 && offset === 0) answer = await api().call('GET', url)
    if (answer.status >= 400) return apiError(answer)
    return fileContent(path, answer, offset)
  })

  server.registerTool('search', {
    title: 'Search the archive',
    description: 'Searches the text files of the archive (GET /must-gather/:id/search) and returns matching lines as `path:line: text`, ' +
      'then how the search ended (complete, or cut short by the result limit or the time budget). Literal text unless `regex` is true. ' +
      'Narrow it with `path`, a glob (e.g. `**/namespaces/openshift-etcd/**` or `*.log`). Good for error messages, a pod or node name, an event reason.',
    inputSchema: {
      id: executionId,
      q: z.string().min(1).max(1000).describe('Literal text, or a regular expression with regex: true'),
      regex: z.boolean().optional(),
      'ignore-case': z.boolean().optional(),
      path: z.string().max(4096).optional().describe('Only files matching this glob (without /: matched against the file name)'),
      limit: z.number().int().min(1).max(SEARCH_MAX_MATCHES).optional().describe(`At most this many matches (default ${SEARCH_DEFAULT_MATCHES})`)
    },
    annotations: { readOnlyHint: true }
  }, async ({ id, q, regex, 'ignore-case': ignoreCase, path, limit = SEARCH_DEFAULT_MATCHES }) => {
    const answer = await api().call('GET', `/must-gather/${idPath(id)}/search${query({ q, regex, 'ignore-case': ignoreCase, path, limit })}`)
    if (answer.status >= 400) return apiError(answer)
    return searchResult(answer.bytes.toString('utf8'))
  })
}

function fileContent (path: string, answer: ApiAnswer, offset: number): CallToolResult {
  const length = answer.bytes.length
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(answer.headers['content-range'] ?? ''))
  const size = range === null ? offset + length : Number(range[3])
  const end = offset + length
  const more = end < size ? ` More follows: call read with offset ${end}.` : ''
  const note = `[${path}: bytes ${offset}-${Math.max(offset, end - 1)} of ${size}.${more}]`
  if (!String(answer.headers['content-type'] ?? '').startsWith('text/')) {
    return text(`[${path} is a binary file of ${size} bytes; its content is not shown. Download it from /must-gather/<id>/files/${path} if needed.]`)
  }
  return text(answer.bytes.toString('utf8'), note)
}

interface SearchLine { file?: string, line?: number, text?: string, complete?: boolean, message?: string, matches?: number, filesSearched?: number }

function searchResult (ndjson: string): CallToolResult {
  const lines: string[] = []
  let end = 'The search ended without saying how (the answer was cut off).'
  for (const raw of ndjson.split('\n')) {
    if (raw === '') continue
    const item = JSON.parse(raw) as SearchLine
    if (item.complete !== undefined) {
      end = `[${item.matches ?? lines.length} match(es) in ${item.filesSearched ?? '?'} file(s) searched; ${item.complete ? 'complete' : 'cut short'}: ${item.message ?? ''}]`
    } else {
      const line = item.text ?? ''
      lines.push(`${item.file}:${item.line}: ${line.length > SEARCH_LINE_CHARS ? `${line.slice(0, SEARCH_LINE_CHARS)}…` : line}`)
    }
  }
  return text(lines.length === 0 ? 'No matches.' : lines.join('\n'), end)
}
