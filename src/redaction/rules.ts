// The obfuscate rules compiled to one global regular expression each, and
// how a match becomes its replacement. Text is handled as Latin-1 strings
// (one character per byte): files need not be valid UTF-8, every byte is
// written back as it was read, and the patterns are all ASCII (non-ASCII
// keywords and regexes are converted to the same byte view at compile time).
import { canonicalIPv4, canonicalIPv6, isExemptIPv4, isExemptIPv6 } from './addresses.js'
import type { ObfuscateRule, RedactionPlan } from './types.js'

/**
 * Where a rule's replacement comes from. A mapping key (`4:10.0.0.1`,
 * `6:fe80:0:0:0:0:0:0:1`, `m:0a6054e452a5`, `d:example.com`, `r:<text>`) is
 * looked up in the run's mapping, so the same original gets the same
 * replacement in every file, path and worker. Fixed replacements (keywords,
 * exact strings, Static rules) need no mapping.
 */
export interface MappingView {
  /** The base replacement for a key, or undefined when this thread does not know it yet. */
  lookup: (key: string) => string | undefined
}

/** Occurrences per `${rule}\0${key}\0${original}`; a fixed replacement's key is `=${canonical}\u0001${replacement}`. */
export type Counts = Map<string, number>

export interface CompiledRule {
  index: number
  label: string
  type: ObfuscateRule['type']
  onPath: boolean
  onContents: boolean
  regex: RegExp
  /** The replacement for one match, or null when its mapping key is not known yet (then `missing` has it). */
  replace: ReplaceMatch
  /** Set when `regex` can match nothing at all (a Domain rule with no domain): no text needs scanning. */
  matchesNothing?: true
  /** Set when a replacement depends on the characters after the match too (`following`), not on its text alone. */
  readsFollowing?: true
  /**
   * A cheaper form of the rule for the lines of a text where `unless` finds
   * nothing: there it finds everything `regex` would replace, and replaces it
   * the same way. (IP: one thing more, a dashed IPv4 address glued after a
   * colon and hex, `a:b:10-0-1-2`, which `regex` takes for an IPv6 candidate
   * up to `:10`.) Lines are cut at `\n`, which no pattern matches across.
   */
  narrow?: { unless: RegExp, regex: RegExp, replace: ReplaceMatch }
}

export type ReplaceMatch = (
  match: string, groups: string[], mapping: MappingView, hit: (key: string, original: string) => void, missing: (key: string) => void,
  /** The two characters after the match (fewer at the end): what the IP patterns' lookaheads see. */
  following: string
) => string | null

const HEX = '[0-9A-Fa-f]'
/**
 * IPv6 candidates (checked by node:net afterwards): hex groups and colons
 * with at least two colons among the first groups, optionally ending in a
 * dotted IPv4 (`::ffff:10.0.0.1`), not glued to a word or another address
 * (`authentication::client` is no address; `addr:fe80::1` is one), ending
 * in a hex digit or `::`.
 */
const IPV6 = `(?<![\\w.]|[0-9A-Fa-f:]:)(?=${HEX}{0,4}:${HEX}{0,4}:)((?:${HEX}|:){0,39}(?:(?<=:)\\d{1,3}(?:\\.\\d{1,3}){3}|${HEX}|::))(?![\\w]|:[\\w:]|\\.\\d)`
/** IPv4 dotted, or dashed as in host names (`ip-10-0-1-2`), not part of a longer dotted/dashed number (versions, OIDs). */
const ipv4 = (separatorGroup: number): string => `(?<![\\w.]|\\d-)(\\d{1,3}([.-])\\d{1,3}\\${separatorGroup}\\d{1,3}\\${separatorGroup}\\d{1,3})(?![\\w]|[.-]\\d)`
/**
 * What every IPv6 address holds: `::`, or else all eight groups (seven
 * colons, so three groups in a row between colons; six with an IPv4 tail).
 * Most log and YAML lines hold neither (a timestamp's `07:34:18` is not
 * enough). On those the IPv4 pattern alone finds every address, ~4 times
 * faster than both together: the IPv6 one's lookarounds are tried at every
 * hex digit and letter.
 */
const MAY_HOLD_IPV6 = `::|:${HEX}{1,4}:${HEX}{1,4}:${HEX}{1,4}:`
/** Six pairs with colons or dashes, not inside a longer run of pairs (fingerprints). Squashed MACs (`0a6054e452a5`) are not matched: too many hex ids look like them. */
const MAC = `(?<![\\w.]|[0-9A-Fa-f:-][:-])(${HEX}{2}([:-])${HEX}{2}(?:\\2${HEX}{2}){4})(?![\\w]|[:-]${HEX})`

/** Compiles the plan's obfuscate rules in order; `clusterDomains` are added to Domain rules that ask for them. */
export function compileRules (plan: RedactionPlan, clusterDomains: string[]): CompiledRule[] {
  const seen = new Map<string, number>()
  const labels = plan.obfuscate.map((rule) => {
    const n = (seen.get(rule.type) ?? 0) + 1
    seen.set(rule.type, n)
    return n
  })
  return plan.obfuscate.flatMap((rule, index) => {
    const label = (seen.get(rule.type) ?? 0) > 1 ? `${rule.type}#${labels[index]}` : rule.type
    const base = { index, label, type: rule.type, onPath: rule.target !== 'FileContents', onContents: rule.target !== 'FilePath' }
    const compiled = compileRule(rule, clusterDomains)
    return compiled === undefined ? [] : [{ ...base, ...compiled }]
  })
}

type Matcher = Pick<CompiledRule, 'regex' | 'replace' | 'matchesNothing' | 'narrow' | 'readsFollowing'>

function compileRule (rule: ObfuscateRule, clusterDomains: string[]): Matcher | undefined {
  const consistent = rule.replacementType === 'Consistent'
  switch (rule.type) {
    case 'IP': {
      const replaceV4: ReplaceMatch = (match, [v4, separator], mapping, hit, missing) => {
        if (v4 === undefined) return match
        const dotted = canonicalIPv4(v4)
        if (dotted === undefined || isExemptIPv4(dotted)) return match
        const replacement = consistent ? mapped(`4:${dotted}`, mapping, missing) : '192.0.2.0'
        if (replacement === null) return null
        hit(consistent ? `4:${dotted}` : fixed(dotted, replacement), v4)
        return separator === '-' ? replacement.replaceAll('.', '-') : replacement
      }
      const ipv4Alone = new RegExp(ipv4(2), 'g')
      return {
        regex: new RegExp(`${IPV6}|${ipv4(3)}`, 'g'),
        replace: (match, [v6, ...v4], mapping, hit, missing, following) => {
          if (v6 === undefined) return replaceV4(match, v4, mapping, hit, missing, following)
          const replaced = replaceIPv6(v6, consistent, mapping, hit, missing)
          if (replaced !== v6) return replaced
          // No IPv6 address (`07:12:10.0.0.1`), or an exempt one: an IPv4 address at its end is still
          // one, as the IPv4 pattern alone finds it (with what follows, which its lookahead sees).
          let unknown = false
          const within = (v6 + following).replace(ipv4Alone, (text: string, ...groups: string[]) => {
            const replacement = replaceV4(text, groups, mapping, hit, missing, '')
            if (replacement === null) unknown = true
            return replacement ?? text
          })
          return unknown ? null : within.slice(0, within.length - following.length)
        },
        narrow: { unless: new RegExp(MAY_HOLD_IPV6, 'g'), regex: ipv4Alone, replace: replaceV4 },
        readsFollowing: true
      }
    }
    case 'MAC':
      return {
        regex: new RegExp(MAC, 'g'),
        replace: (match, [mac, separator = ':'], mapping, hit, missing) => {
          if (mac === undefined) return match
          const canonical = mac.toLowerCase().replace(/[:-]/g, '')
          const base = consistent ? mapped(`m:${canonical}`, mapping, missing) : '02:00:00:00:00:00'
          if (base === null) return null
          hit(consistent ? `m:${canonical}` : fixed(canonical, base), mac)
          const text = base.replaceAll(':', separator)
          return /[A-F]/.test(mac) ? text.toUpperCase() : text
        }
      }
    case 'Domain': {
      const names = [...new Set([...rule.domainNames, ...(rule.clusterDomains ? clusterDomains : [])])]
      // No domain known (none configured, none gathered): the rule stays, so that its count (0) is reported.
      if (names.length === 0) return { regex: /(?!)/g, replace: (match) => match, matchesNothing: true }
      // Longest first: the leftmost match is then the longest listed suffix of a host name.
      const alternatives = names.sort((a, b) => b.length - a.length).map(escapeRegex).join('|')
      return {
        // Subdomains stay as they are (as in must-gather-clean): only the listed domain is replaced.
        regex: new RegExp(`(?<![A-Za-z0-9-])(${alternatives})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi'),
        replace: (match, [domain], mapping, hit, missing) => {
          if (domain === undefined) return match
          const key = `d:${domain.toLowerCase()}`
          const base = mapped(key, mapping, missing)
          if (base === null) return null
          hit(key, domain)
          return base
        }
      }
    }
    case 'Keywords': {
      const table = new Map(Object.entries(rule.replacement).map(([k, v]) => [latin1(k), latin1(v)]))
      const alternatives = [...table.keys()].sort((a, b) => b.length - a.length).map((k) =>
        // whole words: a keyword's word-character ends may not touch other word characters
        `${/^\w/.test(k) ? '(?<!\\w)' : ''}${escapeRegex(k)}${/\w$/.test(k) ? '(?!\\w)' : ''}`)
      return {
        regex: new RegExp(`(${alternatives.join('|')})`, 'g'),
        replace: (match, _groups, _mapping, hit) => {
          const replacement = table.get(match) ?? match
          hit(fixed(match, replacement), match)
          return replacement
        }
      }
    }
    case 'Exact': {
      // Pairs apply in order, so that a later original may match an earlier replacement;
      // one alternation gives the leftmost-first-listed, close enough and one pass.
      const table = new Map(rule.exactReplacements.map(({ original, replacement }) => [latin1(original), latin1(replacement)]))
      return {
        regex: new RegExp(`(${[...table.keys()].map(escapeRegex).join('|')})`, 'g'),
        replace: (match, _groups, _mapping, hit) => {
          const replacement = table.get(match) ?? match
          hit(fixed(match, replacement), match)
          return replacement
        }
      }
    }
    case 'Regex':
      return {
        regex: new RegExp(rule.regex, rule.flags),
        replace: (match, _groups, mapping, hit, missing) => {
          if (match === '') return match
          if (!consistent) {
            const replacement = 'x'.repeat(match.length)
            hit(fixed(match, replacement), match)
            return replacement
          }
          const key = `r:${match}`
          const base = mapped(key, mapping, missing)
          if (base === null) return null
          hit(key, match)
          return base
        }
      }
  }
}

function replaceIPv6 (candidate: string, consistent: boolean, mapping: MappingView, hit: (key: string, original: string) => void, missing: (key: string) => void): string | null {
  const canonical = canonicalIPv6(candidate)
  if (canonical === undefined || isExemptIPv6(canonical)) return candidate
  // IPv4-mapped and -compatible forms keep their prefix; the IPv4 inside is the IPv4 rule's value.
  const embedded = /^(::(?:ffff:)?)(\d+\.\d+\.\d+\.\d+)$/i.exec(candidate)
  if (embedded !== null) {
    const dotted = embedded[2] as string
    if (isExemptIPv4(dotted)) return candidate
    const replacement = consistent ? mapped(`4:${dotted}`, mapping, missing) : '192.0.2.0'
    if (replacement === null) return null
    hit(consistent ? `4:${dotted}` : fixed(dotted, replacement), candidate)
    return `${embedded[1] as string}${replacement}`
  }
  const replacement = consistent ? mapped(`6:${canonical}`, mapping, missing) : '2001:db8::'
  if (replacement === null) return null
  hit(consistent ? `6:${canonical}` : fixed(canonical, replacement), candidate)
  return /[A-F]/.test(candidate) ? replacement.toUpperCase() : replacement
}

function mapped (key: string, mapping: MappingView, missing: (key: string) => void): string | null {
  const value = mapping.lookup(key)
  if (value !== undefined) return value
  missing(key)
  return null
}

/** The count key of a fixed replacement. */
function fixed (canonical: string, replacement: string): string {
  return `=${canonical}\u0001${replacement}`
}

export function escapeRegex (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

/** A UTF-8 string as the Latin-1 view the redactor matches on. */
export function latin1 (text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** Back from the Latin-1 view, for reports and paths. */
export function fromLatin1 (text: string): string {
  return Buffer.from(text, 'latin1').toString('utf8')
}
