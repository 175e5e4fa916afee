// Reads the headers of a tar stream as it goes past, without holding file
// data, and records where each entry's data starts in the uncompressed
// stream. Handles what GNU tar and others write: ustar (with its 155-byte
// prefix), GNU long names and link names ('L', 'K'), pax extended headers
// ('x', and global 'g'), base-256 sizes. tar-stream and friends hand out
// entries and contents, not offsets, and this is all that is needed here.

import { EntryTable } from './entry-table.js'

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

export interface IndexEntry {
  /** As `tar -tzf` prints it, without a leading `./` or `/` and without a directory's trailing `/`. */
  path: string
  type: EntryType
  /** Bytes of data (0 for anything but a regular file). */
  size: number
  /** Permission bits, e.g. 0o644. */
  mode: number
  /** Seconds since the epoch. */
  mtime: number
  /** Offset of the entry's data in the uncompressed tar stream. */
  offset: number
  /** A symlink's or hardlink's target, as stored. */
  link?: string
}

const BLOCK = 512

const TYPES: Record<string, EntryType> = { 0: 'file', '\0': 'file', 7: 'file', 1: 'hardlink', 2: 'symlink', 5: 'directory', D: 'directory' }
/** Types whose size field says nothing about data following the header. */
const NO_DATA = new Set(['1', '2', '3', '4', '6'])

/** The canonical form of a stored name: what the index, listings and requests use. */
export function normalizeStoredPath (name: string): string {
  // what GNU tar writes (`dir/`, `dir/file`) needs at most the trailing slash cut
  if (name.charCodeAt(0) !== 0x2f && name.charCodeAt(0) !== 0x2e && !name.includes('//')) return name.charCodeAt(name.length - 1) === 0x2f ? name.slice(0, -1) : name
  let path = name.replace(/^\/+/, '')
  while (path.startsWith('./')) path = path.slice(2).replace(/^\/+/, '')
  if (path === '.') path = ''
  return path.replace(/\/+$/, '')
}

export class TarFormatError extends Error {}

/**
 * Hands chosen files' contents to a consumer as the stream goes past, so that
 * what reads a few of them (the summary) need not walk and read the tree
 * again while it is being packed.
 */
export interface TarTap {
  /** Each entry as its header is read; true asks for its data (a regular file's). */
  onEntry: (entry: IndexEntry) => boolean
  /** An asked-for file's whole data, once its last byte has gone past. */
  onData: (entry: IndexEntry, data: Buffer) => void
}

export class TarHeaderParser {
  readonly entries = new EntryTable()
  /** Whether the end-of-archive marker (a zero block) was seen. */
  ended = false
  #offset = 0
  #phase: 'header' | 'skip' | 'meta' = 'header'
  /** The header being read, also as 32-bit words (for its checksum). */
  readonly #headerWords = new Uint32Array(BLOCK / 4)
  readonly #header = Buffer.from(this.#headerWords.buffer)
  #headerFill = 0
  #skip = 0
  #metaType = ''
  #meta: Buffer[] = []
  #metaNeed = 0
  #metaPad = 0
  #longName: string | undefined
  #longLink: string | undefined
  /** The pax records of the next entry, if it has any. */
  #pax: Record<string, string> | undefined
  #globalPax: Record<string, string> = {}
  readonly #tap: TarTap | undefined
  /** The data of the entry a tap asked for, being gathered (its padding is not). */
  #capture: { entry: IndexEntry, data: Buffer, fill: number } | undefined

  constructor (tap?: TarTap) {
    this.#tap = tap
  }

  /** Feeds the next bytes of the stream. */
  push (chunk: Buffer): void {
    let i = 0
    while (i < chunk.length && !this.ended) {
      if (this.#phase === 'skip') {
        const n = Math.min(this.#skip, chunk.length - i)
        if (this.#capture !== undefined) this.#gather(chunk, i, n)
        i += n
        this.#skip -= n
        if (this.#skip === 0) this.#phase = 'header'
      } else if (this.#phase === 'header') {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - i)
        chunk.copy(this.#header, this.#headerFill, i, i + n)
        this.#headerFill += n
        i += n
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0
          this.#onHeader(this.#offset + i)
        }
      } else {
        const n = Math.min(this.#metaNeed, chunk.length - i)
        // Most records (a GNU long name: one block) lie within one chunk: read in place, nothing copied.
        const whole = this.#meta.length === 0 && n === this.#metaNeed
        if (!whole) this.#meta.push(Buffer.from(chunk.subarray(i, i + n)))
        this.#metaNeed -= n
        i += n
        if (this.#metaNeed === 0) {
          this.#onMeta(whole ? chunk.subarray(i - n, i) : Buffer.concat(this.#meta))
          this.#meta = []
          this.#skip = this.#metaPad
          this.#phase = this.#skip > 0 ? 'skip' : 'header'
        }
      }
    }
    this.#offset += chunk.length
  }

  #gather (chunk: Buffer, from: number, length: number): void {
    const capture = this.#capture as { entry: IndexEntry, data: Buffer, fill: number }
    const n = Math.min(length, capture.data.length - capture.fill)
    chunk.copy(capture.data, capture.fill, from, from + n)
    capture.fill += n
    if (capture.fill === capture.data.length) {
      this.#capture = undefined
      this.#tap?.onData(capture.entry, capture.data)
    }
  }

  #onHeader (dataOffset: number): void {
    const h = this.#header
    if (h[0] === 0 && isZeroBlock(h)) {
      this.ended = true
      return
    }
    checkChecksum(h, this.#headerWords, dataOffset - BLOCK)
    const typeflag = String.fromCharCode(h[156] ?? 0)
    const headerSize = readNumber(h, 124, 12)
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      this.#metaType = typeflag
      this.#metaNeed = headerSize
      this.#metaPad = padding(headerSize)
      this.#phase = headerSize > 0 ? 'meta' : 'header'
      if (headerSize === 0) this.#onMeta(Buffer.alloc(0))
      return
    }
    // (most archives have no pax records: no object made for each entry then)
    const pax = this.#pax === undefined ? this.#globalPax : { ...this.#globalPax, ...this.#pax }
    const ustar = h[257] === 0x75 && h[258] === 0x73 && h[259] === 0x74 && h[260] === 0x61 && h[261] === 0x72 && h[262] === 0 // "ustar\0"
    const prefix = ustar ? cString(h, 345, 155) : ''
    const storedName = this.#longName ?? pax.path ?? (prefix !== '' ? `${prefix}/${cString(h, 0, 100)}` : cString(h, 0, 100))
    const size = pax.size !== undefined ? Number(pax.size) : headerSize
    let type: EntryType = TYPES[typeflag] ?? 'other'
    if (typeflag === '\0' && storedName.endsWith('/')) type = 'directory' // V7 archives
    const entry: IndexEntry = {
      path: normalizeStoredPath(storedName),
      type,
      size: type === 'file' ? size : 0,
      mode: readNumber(h, 100, 8) & 0o7777,
      mtime: pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) : readNumber(h, 136, 12),
      offset: dataOffset
    }
    if (type === 'symlink' || type === 'hardlink') {
      const link = this.#longLink ?? pax.linkpath ?? cString(h, 157, 100)
      entry.link = type === 'hardlink' ? normalizeStoredPath(link) : link
    }
    if (entry.path !== '') {
      this.entries.push(entry)
      if (this.#tap?.onEntry(entry) === true && type === 'file') {
        if (entry.size > 0) this.#capture = { entry, data: Buffer.allocUnsafe(entry.size), fill: 0 }
        else this.#tap.onData(entry, Buffer.alloc(0))
      }
    }
    this.#longName = undefined
    this.#longLink = undefined
    this.#pax = undefined
    this.#skip = NO_DATA.has(typeflag) ? 0 : size + padding(size)
    this.#phase = this.#skip > 0 ? 'skip' : 'header'
  }

  #onMeta (data: Buffer): void {
    switch (this.#metaType) {
      case 'L': this.#longName = cString(data, 0, data.length); break
      case 'K': this.#longLink = cString(data, 0, data.length); break
      case 'x': this.#pax = { ...this.#pax, ...parsePax(data) }; break
      case 'g': Object.assign(this.#globalPax, parsePax(data)); break
    }
  }
}

/** Whether a 512-byte block is all zeros (the end-of-archive marker). */
function isZeroBlock (h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false
  return true
}

function padding (size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

/** A NUL-terminated (or full-width) UTF-8 field. */
function cString (buffer: Buffer, start: number, length: number): string {
  const end = buffer.indexOf(0, start)
  return buffer.toString('utf8', start, end === -1 || end > start + length ? start + length : end)
}

/** An octal field, or a base-256 one (first byte's high bit set) for values that do not fit. */
function readNumber (buffer: Buffer, start: number, length: number): number {
  const first = buffer[start] ?? 0
  if ((first & 0x80) !== 0) {
    let value = first & 0x7f
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (buffer[i] ?? 0)
    return value
  }
  // Octal digits, after leading spaces or NULs, up to a space or NUL (read byte by byte: one per header field, for every entry).
  const end = start + length
  let i = start
  while (i < end && (buffer[i] === 0x20 || buffer[i] === 0)) i++
  let value = 0
  let digits = 0
  for (; i < end; i++) {
    const byte = buffer[i] as number
    if (byte < 0x30 || byte > 0x37) break
    value = value * 8 + (byte - 0x30)
    digits++
  }
  return digits === 0 ? 0 : value
}

/**
 * The checksum: the sum of the header's bytes with its own field (bytes 148-155,
 * words 37 and 38) counted as eight spaces. Summed a word at a time, two bytes
 * per 16-bit lane (126 words of at most 2 x 255 per lane stay below 65,536): a
 * byte at a time it was a third of the parsing's CPU (~40 ms of ~120 ms for
 * the bench's 46,827 headers).
 */
function checkChecksum (h: Buffer, words: Uint32Array, headerOffset: number): void {
  let lanes = 0
  for (let i = 0; i < 37; i++) {
    const word = words[i] as number
    lanes += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff)
  }
  for (let i = 39; i < BLOCK / 4; i++) {
    const word = words[i] as number
    lanes += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff)
  }
  const sum = 8 * 32 + (lanes % 0x10000) + Math.floor(lanes / 0x10000)
  const stored = readNumber(h, 148, 8)
  if (stored !== sum) throw new TarFormatError(`not a tar header at offset ${headerOffset} (checksum ${stored}, computed ${sum})`)
}

/** pax records: "<length> <key>=<value>\n", length counting the whole record. */
function parsePax (data: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let pos = 0
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos)
    if (space === -1) break
    const length = parseInt(data.toString('latin1', pos, space), 10)
    if (!(length > 0) || pos + length > data.length) break
    const record = data.toString('utf8', space + 1, pos + length - 1)
    const eq = record.indexOf('=')
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1)
    pos += length
  }
  return records
}
