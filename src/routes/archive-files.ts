import { Readable } from 'node:stream'

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

import { NotAFileError } from '../archive/errors.js'
import { ArchiveReaderCache, type Lease } from '../archive/reader-cache.js'
import { search, type SearchEnd, type SearchMatch } from '../archive/search.js'
import { baseName } from '../archive/paths.js'
import { ArchiveNotFoundError, GatheringError, ValidationError } from '../gatherings/errors.js'
import type { GatheringPaths } from '../gatherings/paths.js'
import { parseRange } from '../http/bodies/send-archive.js'
import { Type, type TypedPlugin } from '../schemas/builder.js'
import { ErrorResponseSchema, GatheringParamsSchema } from '../schemas/gathering.js'
import { resolveGathering, type Visibility } from './resolve-gathering.js'

export interface ArchiveFilesRoutesOptions extends Visibility {
  paths: GatheringPaths
  readers?: ArchiveReaderCache
}

/** Status of the archive browser's own error codes; the rest go to the app's error handler. */
const STATUS_BY_CODE: Record<string, number> = {
  ARCHIVE_ENTRY_NOT_FOUND: 404,
  NOT_A_FILE: 400,
  NOT_A_DIRECTORY: 400,
  NESTED_ARCHIVE_UNREADABLE: 422,
  ARCHIVE_INDEX_INVALID: 409
}

const ListedEntrySchema = Type.Object({
  name: Type.String(),
  path: Type.String({ description: 'As `tar -tzf` prints it; what `/files/<path>` and `?path=` take' }),
  type: Type.String({ enum: ['file', 'directory', 'symlink', 'hardlink', 'other'] }),
  size: Type.Integer(),
  mode: Type.String({ description: 'Permission bits in octal' }),
  mtime: Type.String({ format: 'date-time' }),
  target: Type.Optional(Type.String({ description: 'A symlink\'s target (never followed) or a hard link\'s' })),
  archive: Type.Optional(Type.Boolean({ description: 'A .tar.gz whose files can be listed with its path as ?path=' }))
})
const DirectoryPageSchema = Type.Object({
  path: Type.String(),
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  entries: Type.Array(ListedEntrySchema)
})
const FilesQuerySchema = Type.Object({
  path: Type.Optional(Type.String({ description: 'A directory, as `tar -tzf` prints it; empty: the top' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'At most this many entries (default 1000, at most 10000)' })),
  offset: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Skip this many entries' }))
}, { additionalProperties: true })
const SearchQuerySchema = Type.Object({
  q: Type.String({ description: 'Literal text, or a regular expression with regex=true' }),
  regex: Type.Optional(Type.String({ enum: ['true', 'false'] })),
  'ignore-case': Type.Optional(Type.String({ enum: ['true', 'false'] })),
  path: Type.Optional(Type.String({ description: 'Only files matching this glob (without /: matched against the file name)' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'At most this many matches (default 1000, at most 10000)' }))
}, { additionalProperties: true })
const FileParamsSchema = Type.Object({ id: Type.String(), '*': Type.String({ description: 'The file\'s path in the archive' }) })

const MAX_PAGE = 10_000

/** Browsing an execution's archive without downloading it: list, read, search. */
export const archiveFilesRoutes: TypedPlugin<ArchiveFilesRoutesOptions> = async (app, opts) => {
  const readers = opts.readers ?? new ArchiveReaderCache()
  app.addHook('onClose', async () => readers.close())

  // Rethrown errors go on to the app's handler (Fastify passes them to the parent's).
  app.setErrorHandler(async (error: FastifyError, _request, reply) => {
    if (error instanceof GatheringError && STATUS_BY_CODE[error.code] !== undefined) {
      const field = error.code === 'NOT_A_FILE' || error.code === 'NOT_A_DIRECTORY' ? { field: 'path' } : {}
      return reply.code(STATUS_BY_CODE[error.code] as number).send({ error: error.message, ...field })
    }
    throw error
  })

  const lease = async (request: FastifyRequest, key: string): Promise<Lease> => {
    const gathering = await resolveGathering(request, key, opts)
    if (gathering.archiveName === '') throw new ArchiveNotFoundError(gathering.id, 'it has none')
    return readers.acquire(opts.paths.archive(gathering.id)).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new ArchiveNotFoundError(gathering.id, 'its file is gone') : error
    })
  }

  app.get('/must-gather/:id/files', {
    schema: {
      tags: ['archive'],
      summary: 'List one directory of the archive, paged, sorted by name',
      description: 'Symlinks are listed as symlinks and never followed. A `.tar.gz` inside the archive (`archive: true`) lists as a directory.',
      params: GatheringParamsSchema,
      querystring: FilesQuerySchema,
      response: { 200: DirectoryPageSchema, ...errors(400, 401, 403, 404, 409, 422, 503) }
    }
  }, async (request) => {
    const { reader, release } = await lease(request, request.params.id)
    try {
      return await reader.list(request.query.path ?? '', {
        offset: whole('offset', request.query.offset, 0),
        limit: Math.min(whole('limit', request.query.limit, 1000), MAX_PAGE)
      })
    } finally {
      release()
    }
  })

  app.get('/must-gather/:id/files/*', {
    // After the app's own security headers (onSend hooks of the app run first): a file opened in a
    // browser tab is a sandboxed document, in its own origin, whatever its bytes.
    onSend: async (_request, reply, payload) => {
      reply.header('Content-Security-Policy', "sandbox; default-src 'none'; frame-ancestors 'none'")
      return payload
    },
    schema: {
      tags: ['archive'],
      summary: 'One file of the archive (Range supported)',
      description: 'text/plain; charset=utf-8 for text, application/octet-stream otherwise; never rendered as a page from this origin ' +
        '(a sandboxing CSP, nosniff, and anything that could be active content as an attachment).',
      params: FileParamsSchema,
      response: {
        200: nonJson('The file', 'application/octet-stream'),
        206: nonJson('Part of the file (Range)', 'application/octet-stream'),
        ...errors(400, 401, 403, 404, 409, 416, 422, 503)
      }
    }
  }, async (request, reply) => {
    const { reader, release } = await lease(request, request.params.id)
    let streaming = false
    try {
      const path = request.params['*']
      const entry = await reader.stat(path).then((found) => found.type === 'hardlink' ? reader.stat(found.link ?? '') : found)
      // Before the range: a directory's size (0) would make any range "outside the file" (416) instead of this 400.
      if (entry.type !== 'file') throw new NotAFileError(entry.path, entry.type)
      const { size } = entry
      let start = 0
      let end = size
      const header = request.headers.range
      if (header !== undefined) {
        const range = parseRange(header, size)
        if (range === 'unsatisfiable') return await rangeNotSatisfiable(reply as FastifyReply, header, size)
        if (range !== undefined) {
          start = range.start
          end = range.end + 1
          reply.code(206).header('Content-Range', `bytes ${start}-${range.end}/${size}`)
        }
      }
      const file = await reader.openFile(path, { start, end })
      reply
        .header('Content-Type', file.contentType)
        .header('Content-Length', end - start)
        .header('Accept-Ranges', 'bytes')
        .header('X-Content-Type-Options', 'nosniff')
        .header('Cache-Control', 'private, no-cache')
      if (file.attachment) reply.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(baseName(file.entry.path))}`)
      file.body.once('close', release)
      streaming = true
      return await reply.send(file.body)
    } finally {
      if (!streaming) release()
    }
  })

  app.get('/must-gather/:id/search', {
    schema: {
      tags: ['archive'],
      summary: 'Search the archive\'s text files, streamed as JSON lines',
      description: 'One line per match `{"file", "line", "text"}` (line numbers from 1), then a last line `{"complete", "reason", "message", ...}` ' +
        'that says whether every file was searched or why the search was cut short (result limit, time budget). Binary files are skipped; ' +
        'regular expressions with nested repetition are refused (400).',
      params: GatheringParamsSchema,
      querystring: SearchQuerySchema,
      response: { 200: nonJson('Matches, then how the search ended', 'application/x-ndjson'), ...errors(400, 401, 403, 404, 409, 503) }
    }
  }, async (request, reply) => {
    const q = request.query
    const { reader, release } = await lease(request, request.params.id)
    let streaming = false
    try {
      const abort = new AbortController()
      request.raw.once('close', () => abort.abort())
      const results = search(reader, {
        query: q.q,
        regex: q.regex === 'true',
        ignoreCase: q['ignore-case'] === 'true',
        ...(q.path !== undefined && q.path !== '' && { glob: q.path }),
        maxResults: Math.min(whole('limit', q.limit, 1000), MAX_PAGE),
        signal: abort.signal
      })
      const body = Readable.from(jsonLines(results))
      body.once('close', release)
      streaming = true
      return await reply.type('application/x-ndjson; charset=utf-8').header('Cache-Control', 'no-store').header('X-Accel-Buffering', 'no').send(body)
    } finally {
      if (!streaming) release()
    }
  })
}

function rangeNotSatisfiable (reply: FastifyReply, header: string, size: number): FastifyReply {
  return reply.code(416).header('Content-Range', `bytes */${size}`).send({ error: `range "${header}" is outside the file (${size} bytes)` })
}

async function * jsonLines (results: AsyncIterable<SearchMatch | SearchEnd>): AsyncGenerator<string> {
  let batch = ''
  for await (const result of results) {
    batch += JSON.stringify(result) + '\n'
    // Lines go out in batches (fewer writes), and the last one at once.
    if (batch.length >= 16 * 1024 || 'complete' in result) {
      yield batch
      batch = ''
    }
  }
}

function whole (field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d{1,9}$/.test(value) || !Number.isSafeInteger(n)) throw new ValidationError(field, `${field} must be a whole number`)
  return n
}

function nonJson (description: string, mediaType: string): { description: string, content: Record<string, { schema: object }> } {
  return { description, content: { [mediaType]: { schema: { type: 'string', format: 'binary' } } } }
}

function errors (...statuses: number[]): Record<number, typeof ErrorResponseSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema]))
}
