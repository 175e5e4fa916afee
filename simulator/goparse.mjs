// @ts-check
// Go-compatible parsing and formatting helpers, so that the simulator's error
// messages match the real `oc` (a Go program) byte for byte:
// time.ParseDuration, time.Duration.String, strconv.ParseInt/ParseUint/ParseBool
// with their NumError messages, strconv.Quote, RFC3339 parsing and klog headers.

const NS_PER_UNIT = new Map([
  ['ns', 1n],
  ['us', 1000n],
  ['\u00b5s', 1000n], // U+00B5 micro sign
  ['\u03bcs', 1000n], // U+03BC greek mu
  ['ms', 1000000n],
  ['s', 1000000000n],
  ['m', 60000000000n],
  ['h', 3600000000000n]
])

const MAX_U63 = 1n << 63n
const LOWER_HEX = '0123456789abcdef'

/**
 * Go's time.quote: double quotes, with non-ASCII and control bytes as \xNN.
 * @param {string} s
 * @returns {string}
 */
export function timeQuote (s) {
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0x80 || code < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) {
        out += '\\x' + LOWER_HEX[b >> 4] + LOWER_HEX[b & 0xf]
      }
    } else {
      if (ch === '"' || ch === '\\') out += '\\'
      out += ch
    }
  }
  return out + '"'
}

/**
 * Go's strconv.Quote (as used by %q), close enough for command-line input.
 * @param {string} s
 * @returns {string}
 */
export function goQuote (s) {
  /** @type {Record<string, string>} */
  const escapes = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' }
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0
    const esc = escapes[ch]
    if (esc !== undefined) out += esc
    else if (code < 0x20 || code === 0x7f) out += '\\x' + LOWER_HEX[code >> 4] + LOWER_HEX[code & 0xf]
    else if (code >= 0x80 && code <= 0x9f) out += '\\u00' + LOWER_HEX[code >> 4] + LOWER_HEX[code & 0xf]
    else out += ch
  }
  return out + '"'
}

/**
 * Go's time.ParseDuration. Returns nanoseconds or an error message worded as Go's.
 * @param {string} orig
 * @returns {{ ns: bigint } | { error: string }}
 */
export function parseGoDuration (orig) {
  const invalid = () => ({ error: 'time: invalid duration ' + timeQuote(orig) })
  let s = orig
  let d = 0n
  let neg = false
  if (s !== '') {
    const c = s[0]
    if (c === '-' || c === '+') {
      neg = c === '-'
      s = s.slice(1)
    }
  }
  if (s === '0') return { ns: 0n }
  if (s === '') return invalid()
  while (s !== '') {
    let v = 0n
    let f = 0n
    let scale = 1
    const c0 = s[0] ?? ''
    if (!(c0 === '.' || (c0 >= '0' && c0 <= '9'))) return invalid()
    // leading integer
    let i = 0
    for (; i < s.length; i++) {
      const c = s[i] ?? ''
      if (c < '0' || c > '9') break
      if (v > MAX_U63 / 10n) return invalid()
      v = v * 10n + BigInt(c.charCodeAt(0) - 48)
      if (v > MAX_U63) return invalid()
    }
    const pre = i > 0
    s = s.slice(i)
    // fraction
    let post = false
    if (s !== '' && s[0] === '.') {
      s = s.slice(1)
      let j = 0
      let overflow = false
      for (; j < s.length; j++) {
        const c = s[j] ?? ''
        if (c < '0' || c > '9') break
        if (overflow) continue
        if (f > (MAX_U63 - 1n) / 10n) { overflow = true; continue }
        const y = f * 10n + BigInt(c.charCodeAt(0) - 48)
        if (y > MAX_U63) { overflow = true; continue }
        f = y
        scale *= 10
      }
      post = j > 0
      s = s.slice(j)
    }
    if (!pre && !post) return invalid()
    // unit
    let k = 0
    for (; k < s.length; k++) {
      const c = s[k] ?? ''
      if (c === '.' || (c >= '0' && c <= '9')) break
    }
    if (k === 0) return { error: 'time: missing unit in duration ' + timeQuote(orig) }
    const u = s.slice(0, k)
    s = s.slice(k)
    const unit = NS_PER_UNIT.get(u)
    if (unit === undefined) return { error: 'time: unknown unit ' + timeQuote(u) + ' in duration ' + timeQuote(orig) }
    if (v > MAX_U63 / unit) return invalid()
    v *= unit
    if (f > 0n) {
      v += BigInt(Math.floor(Number(f) * (Number(unit) / scale)))
      if (v > MAX_U63) return invalid()
    }
    d += v
    if (d > MAX_U63) return invalid()
  }
  if (neg) return { ns: -d }
  if (d > MAX_U63 - 1n) return invalid()
  return { ns: d }
}

/**
 * @param {bigint} u
 * @param {number} prec
 * @returns {[string, bigint]}
 */
function fmtFrac (u, prec) {
  let s = ''
  let print = false
  for (let i = 0; i < prec; i++) {
    const digit = u % 10n
    print = print || digit !== 0n
    if (print) s = digit.toString() + s
    u /= 10n
  }
  return [print ? '.' + s : '', u]
}

/**
 * Go's time.Duration.String (e.g. 2h0m0s, 1.5s, 300ms).
 * @param {bigint} d nanoseconds
 * @returns {string}
 */
export function formatGoDuration (d) {
  const neg = d < 0n
  let u = neg ? -d : d
  let out
  if (u < 1000000000n) {
    if (u === 0n) return '0s'
    let prec
    let unit
    if (u < 1000n) { prec = 0; unit = 'ns' } else if (u < 1000000n) { prec = 3; unit = '\u00b5s' } else { prec = 6; unit = 'ms' }
    const [frac, rest] = fmtFrac(u, prec)
    out = rest.toString() + frac + unit
  } else {
    const [frac, secs] = fmtFrac(u, 9)
    u = secs
    out = (u % 60n).toString() + frac + 's'
    u /= 60n
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out
      u /= 60n
      if (u > 0n) out = u.toString() + 'h' + out
    }
  }
  return neg ? '-' + out : out
}

/**
 * Go's strconv underscoreOK (only meaningful for base 0).
 * @param {string} s
 */
function underscoreOK (s) {
  let saw = '^'
  let i = 0
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1)
  let hex = false
  const p = (s[1] ?? '').toLowerCase()
  if (s.length >= 2 && s[0] === '0' && (p === 'b' || p === 'o' || p === 'x')) {
    i = 2
    saw = '0'
    hex = p === 'x'
  }
  for (; i < s.length; i++) {
    const c = (s[i] ?? '').toLowerCase()
    if ((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f')) { saw = '0'; continue }
    if (c === '_') {
      if (saw !== '0') return false
      saw = '_'
      continue
    }
    if (saw === '_') return false
    saw = '!'
  }
  return saw !== '_'
}

/**
 * Parses an unsigned number with Go's base-0 rules (0x, 0o, 0b, leading 0 = octal, '_' separators).
 * @param {string} s
 * @returns {bigint | null} null on syntax error
 */
function parseUnsignedBase0 (s) {
  if (s === '') return null
  let base = 10
  let digits = s
  if (s[0] === '0') {
    const p = (s[1] ?? '').toLowerCase()
    if (s.length >= 3 && p === 'x') { base = 16; digits = s.slice(2) } else if (s.length >= 3 && p === 'o') { base = 8; digits = s.slice(2) } else if (s.length >= 3 && p === 'b') { base = 2; digits = s.slice(2) } else { base = 8; digits = s.slice(1) }
  }
  let sawUnderscore = false
  let n = 0n
  let any = false
  for (const ch of digits) {
    if (ch === '_') { sawUnderscore = true; continue }
    const d = parseInt(ch, 36)
    if (Number.isNaN(d) || d >= base) return null
    n = n * BigInt(base) + BigInt(d)
    any = true
  }
  if (!any && !(base === 8 && digits === '')) return null
  if (sawUnderscore && !underscoreOK(s)) return null
  return n
}

/**
 * Go's strconv.ParseInt(s, 0, 64).
 * @param {string} s
 * @returns {{ value: bigint } | { error: string }}
 */
export function parseGoInt64 (s) {
  const err = (/** @type {string} */ why) => ({ error: `strconv.ParseInt: parsing ${goQuote(s)}: ${why}` })
  let body = s
  let neg = false
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-'
    body = body.slice(1)
  }
  const n = parseUnsignedBase0(body)
  if (n === null) return err('invalid syntax')
  if (!neg && n > MAX_U63 - 1n) return err('value out of range')
  if (neg && n > MAX_U63) return err('value out of range')
  return { value: neg ? -n : n }
}

/**
 * Go's strconv.ParseUint(s, 0, bits).
 * @param {string} s
 * @param {number} bits
 * @returns {{ value: bigint } | { error: string }}
 */
export function parseGoUint (s, bits) {
  const err = (/** @type {string} */ why) => ({ error: `strconv.ParseUint: parsing ${goQuote(s)}: ${why}` })
  const n = parseUnsignedBase0(s)
  if (n === null) return err('invalid syntax')
  if (n >= (1n << BigInt(bits))) return err('value out of range')
  return { value: n }
}

/**
 * Go's strconv.ParseBool.
 * @param {string} s
 * @returns {{ value: boolean } | { error: string }}
 */
export function parseGoBool (s) {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return { value: true }
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return { value: false }
  return { error: `strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax` }
}

/**
 * @param {number} year
 * @param {number} month 1..12
 */
function daysIn (year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * Whether Go's time.Parse(time.RFC3339, s) accepts s.
 * @param {string} s
 * @returns {boolean}
 */
export function isGoRFC3339 (s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,]\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(s)
  if (!m) return false
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number)
  if (year === undefined || month === undefined || day === undefined || hour === undefined || min === undefined || sec === undefined) return false
  if (month < 1 || month > 12) return false
  if (day < 1 || day > daysIn(year, month)) return false
  if (hour > 23 || min > 59 || sec > 59) return false
  if (m[7] !== undefined && (Number(m[8]) > 24 || Number(m[9]) > 60)) return false
  return true
}

/**
 * klog header for a warning line: `W1125 08:00:00.123456   12345 file.go:123] `.
 * @param {string} file
 * @param {number} line
 * @returns {string}
 */
export function klogWarningHeader (file, line) {
  const now = new Date()
  const p2 = (/** @type {number} */ n) => String(n).padStart(2, '0')
  const micros = String(now.getUTCMilliseconds() * 1000 + Number(process.hrtime.bigint() % 1000n)).padStart(6, '0')
  return `W${p2(now.getUTCMonth() + 1)}${p2(now.getUTCDate())} ${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())}.${micros} ${String(process.pid).padStart(7, ' ')} ${file}:${line}] `
}
