// The gzip members of a blocked archive. Each block of the tar stream is one
// complete gzip member (RFC 1952), so the file is an ordinary multi-member
// .tar.gz that gzip, tar and every zlib read; each member's header carries an
// extra field (subfield "MG", like bgzip's "BC") holding the member's total
// length, so a blocked archive can be recognised, and walked member by member
// without inflating, even when its index is lost.

/** Header (10) + XLEN (2) + subfield id and length (4) + member length (4). */
export const MEMBER_HEADER_LENGTH = 20
/** The standard header Node's zlib.gzip writes: no name, no extra field. */
const PLAIN_GZIP_HEADER_LENGTH = 10

/**
 * The header of a member whose body (deflate data + CRC-32 + ISIZE) is
 * `bodyLength` bytes long.
 */
export function memberHeader (bodyLength: number): Buffer {
  const header = Buffer.alloc(MEMBER_HEADER_LENGTH)
  header.set([0x1f, 0x8b, 8, 4], 0) // magic, deflate, FLG.FEXTRA
  // MTIME 0 (none), XFL 0, OS 255 (unknown): the same bytes for the same input.
  header[9] = 255
  header.writeUInt16LE(8, 10) // XLEN
  header.write('MG', 12, 'latin1')
  header.writeUInt16LE(4, 14)
  header.writeUInt32LE(MEMBER_HEADER_LENGTH + bodyLength, 16)
  return header
}

/** The body of a member from what zlib.gzip produced for the block: everything after its plain header. */
export function memberBody (gzipped: Buffer): Buffer {
  if (gzipped[0] !== 0x1f || gzipped[1] !== 0x8b || gzipped[3] !== 0) throw new Error('zlib.gzip wrote an unexpected header')
  return gzipped.subarray(PLAIN_GZIP_HEADER_LENGTH)
}

/** The total length of the member starting with `header`, or undefined when it is not one of ours. */
export function memberLength (header: Buffer): number | undefined {
  if (header.length < MEMBER_HEADER_LENGTH) return undefined
  if (header[0] !== 0x1f || header[1] !== 0x8b || header[2] !== 8 || header[3] !== 4) return undefined
  if (header.readUInt16LE(10) !== 8 || header.toString('latin1', 12, 14) !== 'MG' || header.readUInt16LE(14) !== 4) return undefined
  const length = header.readUInt32LE(16)
  return length > MEMBER_HEADER_LENGTH + 8 ? length : undefined
}

/** Whether the bytes start a gzip stream at all. */
export function isGzip (header: Buffer): boolean {
  return header.length >= 2 && header[0] === 0x1f && header[1] === 0x8b
}
