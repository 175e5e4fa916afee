// One run's mapping from canonical originals to replacements.
//
// Consistency across worker threads: the main thread owns the only mapping
// and hands out replacements in order (the n-th new IPv4 address gets the
// n-th documentation address). A worker keeps a cache of what it has been
// told; a chunk that meets an original the worker does not know yet waits
// for one round trip (all its unknown keys at once) and is redone. After the
// first files almost every chunk hits the cache, so the round trips cost
// little, and no two threads can ever give one original two replacements or
// two originals one replacement. (A keyed hash would need no round trips but
// could not keep to 762 documentation addresses without collisions.)
import { ipv4Replacement, ipv6Replacement, macReplacement } from './addresses.js'
import type { MappingView } from './rules.js'

export class RunMapping implements MappingView {
  readonly #values = new Map<string, string>()
  readonly #next = { 4: 0, 6: 0, m: 0, d: 0, r: 0 }

  /** The replacement for a key, created on first use: the main thread never misses. */
  lookup (key: string): string {
    let value = this.#values.get(key)
    if (value === undefined) {
      value = this.#create(key)
      this.#values.set(key, value)
    }
    return value
  }

  /** Replacements for keys a worker asked about. */
  assign (keys: string[]): Array<[string, string]> {
    return keys.map((key) => [key, this.lookup(key)])
  }

  get size (): number {
    return this.#values.size
  }

  #create (key: string): string {
    switch (key[0]) {
      case '4': return ipv4Replacement(this.#next[4]++)
      case '6': return ipv6Replacement(this.#next[6]++)
      case 'm': return macReplacement(this.#next.m++, ':')
      // RFC 2606 reserves .example: a valid name that can never resolve to anything real.
      case 'd': return `domain${++this.#next.d}.example`
      case 'r': return `x-regex-${String(++this.#next.r).padStart(10, '0')}-x`
      default: throw new Error(`unknown mapping key kind ${key[0]}`)
    }
  }
}

/** A worker's cache of the main thread's mapping. */
export class CachedMapping implements MappingView {
  readonly #values = new Map<string, string>()

  lookup (key: string): string | undefined {
    return this.#values.get(key)
  }

  learn (entries: Array<[string, string]>): void {
    for (const [key, value] of entries) this.#values.set(key, value)
  }
}
