// must-gather-clean rules carry Go (RE2) regular expressions. The common
// subset reads the same in JavaScript; the differences that matter are
// converted here, and what cannot be converted is refused at start-up rather
// than matching something else at run time.

/** JavaScript source and flags for a Go regexp, or why it cannot be used. */
export function goRegexToJs (go: string): { source: string, flags: string } | { error: string } {
  let source = go
  // Leading flag groups apply to the whole expression: (?i), (?s), (?is)...
  let flags = 'gm' // line based, as must-gather-clean matches line by line
  const leading = /^\(\?([imsU]+)\)/.exec(source)
  if (leading !== null) {
    const letters = leading[1] ?? ''
    if (letters.includes('U')) return { error: 'the U (ungreedy) flag has no JavaScript equivalent' }
    if (letters.includes('i')) flags += 'i'
    if (letters.includes('s')) flags += 's'
    source = source.slice(leading[0].length)
  }
  if (/\(\?[a-zA-Z-]+[):]/.test(source.replace(/\\./g, ''))) return { error: 'inline flags other than a leading (?i) or (?s) are not supported' }
  if (/\\[zAQE]|\[\[:/.test(source)) return { error: '\\A, \\z, \\Q…\\E and [[:class:]] are not supported; use ^, $, escapes and explicit classes' }
  source = source.replace(/\(\?P</g, '(?<')
  // Match non-ASCII text the way the redactor sees it: bytes read as Latin-1.
  source = Buffer.from(source, 'utf8').toString('latin1')
  let compiled: RegExp
  try {
    compiled = new RegExp(source, flags)
  } catch (error) {
    return { error: `not a valid regular expression: ${(error as Error).message}` }
  }
  if (new RegExp(`^(?:${compiled.source})$`, flags.replace('g', '')).test('')) return { error: 'matches the empty string' }
  return { source, flags }
}
