// Replacement values for addresses: valid addresses of the same family that
// cannot be real ones, handed out in order (the n-th distinct original of a
// run gets the n-th replacement), so a redacted archive still parses and an
// address still reads as one.
import { isIPv4, isIPv6 } from 'node:net'

/** RFC 5737 documentation networks, then the reserved 240.0.0.0/4 (RFC 1112) for clusters with more than 762 addresses. */
const IPV4_DOCUMENTATION = [[192, 0, 2], [198, 51, 100], [203, 0, 113]] as const
const HOSTS_PER_DOC_NET = 254 // .1 … .254
const IPV4_DOC_COUNT = IPV4_DOCUMENTATION.length * HOSTS_PER_DOC_NET
/** 240.0.0.0/4 without the .0 and .255 host numbers: 2^20 /24 networks × 254 hosts. */
const IPV4_RESERVED_COUNT = 2 ** 20 * 254

/** The n-th (from 0) IPv4 replacement, dotted. */
export function ipv4Replacement (n: number): string {
  if (n < IPV4_DOC_COUNT) {
    const net = IPV4_DOCUMENTATION[Math.floor(n / HOSTS_PER_DOC_NET)] as readonly number[]
    return `${net.join('.')}.${(n % HOSTS_PER_DOC_NET) + 1}`
  }
  const m = n - IPV4_DOC_COUNT
  if (m >= IPV4_RESERVED_COUNT) throw new Error('more than 266 million distinct IPv4 addresses in one gathering')
  const net = Math.floor(m / 254)
  return `${240 + (net >>> 16)}.${(net >>> 8) & 0xff}.${net & 0xff}.${(m % 254) + 1}`
}

/** The n-th (from 0) IPv6 replacement in 2001:db8::/32 (RFC 3849), compressed. */
export function ipv6Replacement (n: number): string {
  const v = n + 1
  const low = (v % 0x10000).toString(16)
  const high = Math.floor(v / 0x10000)
  return high === 0 ? `2001:db8::${low}` : `2001:db8::${high.toString(16)}:${low}`
}

/** The n-th (from 0) MAC replacement: locally administered (bit 1 of the first octet) unicast (bit 0 clear). */
export function macReplacement (n: number, separator: string): string {
  const v = n + 1
  const octets = [0x02, 0, Math.floor(v / 2 ** 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(separator)
}

/** Addresses that identify nothing: left as they are (as must-gather-clean does). */
const UNIDENTIFYING = new Set(['127.0.0.1', '0.0.0.0', '::', '::1'])

/**
 * The canonical dotted form of a dotted or dashed IPv4 candidate, or
 * undefined when it is not one: an octet over 255 or with a leading zero
 * (`01.2.3.4` is no address for Go or Node either).
 */
export function canonicalIPv4 (candidate: string): string | undefined {
  const dotted = candidate.includes('-') ? candidate.replaceAll('-', '.') : candidate
  return isIPv4(dotted) ? dotted : undefined
}

/** The canonical form of an IPv6 candidate (lowercase, fully expanded to groups), or undefined. */
export function canonicalIPv6 (candidate: string): string | undefined {
  if (!isIPv6(candidate)) return undefined
  return expandIPv6(candidate.toLowerCase())
}

function expandIPv6 (address: string): string {
  let text = address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0')
  return [...headGroups, ...zeros, ...tailGroups].map((g) => Number.parseInt(g, 16).toString(16)).join(':')
}

/** True for addresses left alone: loopback, unspecified, and the replacement ranges themselves (already redacted). */
export function isExemptIPv4 (dotted: string): boolean {
  if (UNIDENTIFYING.has(dotted)) return true
  const [a, b, c] = dotted.split('.').map(Number) as [number, number, number]
  if (a >= 240) return true
  return IPV4_DOCUMENTATION.some(([x, y, z]) => a === x && b === y && c === z)
}

export function isExemptIPv6 (canonical: string): boolean {
  return canonical === '0:0:0:0:0:0:0:0' || canonical === '0:0:0:0:0:0:0:1' || canonical.startsWith('2001:db8:')
}
