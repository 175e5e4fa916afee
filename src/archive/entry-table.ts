import type { EntryType, IndexEntry } from './tar-headers.js'

export const TYPE_CODES: Record<EntryType, string> = { file: 'f', directory: 'd', symlink: 'l', hardlink: 'h', other: 'o' }
export const CODE_TYPES = Object.fromEntries(Object.entries(TYPE_CODES).map(([type, code]) => [code, type])) as Record<string, EntryType>

/** An index's entries column by column, each path as what it shares with the one before and the rest. */
export interface EntryColumns {
  /** Characters each path shares with the previous one. */
  shared: number[]
  /** The rest of each path. */
  tail: string[]
  type: string
  size: number[]
  mode: number[]
  mtime: number[]
  offset: number[]
  /** Link targets by entry number. */
  link: Record<string, string>
}

/**
 * The entries of a tar stream as the packer reads them, held compactly: no
 * object per entry, and each path as the length it shares with the previous
 * one plus the rest (front coding). Consecutive paths of a must-gather share
 * most of their characters: the bench's 46,827 paths are 11.7 MB as strings,
 * their tails a tenth of that. Holding every path whole cost packing about
 * 0.25 s of its 2.2 s on that tree, all of it garbage collection (the same run
 * with the entries kept without their paths cost nothing measurable); the
 * tails as strings still cost ~0.1 s, so they are kept as bytes.
 */
export class EntryTable implements Iterable<IndexEntry> {
  readonly #shared = new NumberColumn()
  /** The tails' UTF-8 bytes end to end, and where each ends. */
  #tailBytes = Buffer.allocUnsafe(64 * 1024)
  #tailLength = 0
  /** Whether every tail so far is ASCII (one byte a character): they are then decoded at once. */
  #ascii = true
  readonly #tailEnd = new NumberColumn()
  /** Character codes of TYPE_CODES. */
  readonly #type = new NumberColumn()
  readonly #size = new NumberColumn()
  readonly #mode = new NumberColumn()
  readonly #mtime = new NumberColumn()
  readonly #offset = new NumberColumn()
  readonly #link: Record<string, string> = {}
  #last = ''

  get length (): number {
    return this.#tailEnd.length
  }

  push (entry: IndexEntry): void {
    const shared = sharedLength(this.#last, entry.path)
    this.#last = entry.path
    if (entry.link !== undefined) this.#link[String(this.#tailEnd.length)] = entry.link
    this.#shared.push(shared)
    this.#appendTail(entry.path.slice(shared))
    this.#type.push(TYPE_CODES[entry.type].charCodeAt(0))
    this.#size.push(entry.size)
    this.#mode.push(entry.mode)
    this.#mtime.push(entry.mtime)
    this.#offset.push(entry.offset)
  }

  * [Symbol.iterator] (): Iterator<IndexEntry> {
    yield * entriesOf(this.columns())
  }

  /** The columns, as plain arrays. */
  columns (): EntryColumns {
    const tail: string[] = new Array(this.#tailEnd.length)
    // ASCII (the usual case) is decoded in one call and cut: a decoding per tail took ~15 ms for 46,827 of them.
    const all = this.#ascii ? this.#tailBytes.toString('latin1', 0, this.#tailLength) : undefined
    let start = 0
    for (let i = 0; i < tail.length; i++) {
      const end = this.#tailEnd.at(i)
      tail[i] = all !== undefined ? all.slice(start, end) : this.#tailBytes.toString('utf8', start, end)
      start = end
    }
    return {
      shared: this.#shared.toArray(),
      tail,
      type: Buffer.from(this.#type.toArray()).toString('latin1'),
      size: this.#size.toArray(),
      mode: this.#mode.toArray(),
      mtime: this.#mtime.toArray(),
      offset: this.#offset.toArray(),
      link: this.#link
    }
  }

  static from (entries: Iterable<IndexEntry>): EntryTable {
    const table = new EntryTable()
    for (const entry of entries) table.push(entry)
    return table
  }

  #appendTail (tail: string): void {
    const most = tail.length * 3 // UTF-8 bytes of a UTF-16 string, at most
    if (this.#tailLength + most > this.#tailBytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#tailBytes.length * 2, this.#tailLength + most))
      this.#tailBytes.copy(grown, 0, 0, this.#tailLength)
      this.#tailBytes = grown
    }
    const written = this.#tailBytes.write(tail, this.#tailLength, 'utf8')
    if (written !== tail.length) this.#ascii = false
    this.#tailLength += written
    this.#tailEnd.push(this.#tailLength)
  }
}

/**
 * Numbers in a typed array that doubles as it fills. Its memory is outside the
 * collected heap: plain arrays of 46,827 numbers, reallocated as they grow,
 * counted towards the old generation's limit and brought on full collections.
 */
class NumberColumn {
  #values = new Float64Array(1024)
  #length = 0

  get length (): number {
    return this.#length
  }

  push (value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#length++] = value
  }

  at (i: number): number {
    return this.#values[i] as number
  }

  toArray (): number[] {
    return Array.from(this.#values.subarray(0, this.#length))
  }
}

/** Entries rebuilt from their columns, in order. */
export function * entriesOf (columns: EntryColumns): Generator<IndexEntry> {
  let path = ''
  for (let i = 0; i < columns.tail.length; i++) {
    path = path.slice(0, columns.shared[i]) + (columns.tail[i] as string)
    const entry: IndexEntry = {
      path,
      type: CODE_TYPES[columns.type[i] as string] ?? 'other',
      size: columns.size[i] as number,
      mode: columns.mode[i] as number,
      mtime: columns.mtime[i] as number,
      offset: columns.offset[i] as number
    }
    const link = columns.link[String(i)]
    if (link !== undefined) entry.link = link
    yield entry
  }
}

function sharedLength (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  // Never split a surrogate pair: each tail stays valid UTF-16 on its own (JSON).
  if (i > 0 && i < b.length && isHighSurrogate(b.charCodeAt(i - 1))) i--
  return i
}

function isHighSurrogate (code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
