/**
 * Go's `time.ParseDuration` grammar, which `oc` uses for `--timeout` and
 * `--since` and the predecessor used for `TIMEOUT` and `CLEANUP_MAX_AGE`:
 * an optional sign, then one or more `<decimal><unit>` pairs; "0" alone is valid.
 * @see https://pkg.go.dev/time#ParseDuration
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

const PART = /(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/y

/** Milliseconds in a Go duration string, or `undefined` when it is not one. */
export function parseGoDuration (text: string): number | undefined {
  let rest = text
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex
    const match = PART.exec(rest)
    if (match === null || match.index !== start) return undefined
    const number = match[1] ?? ''
    if (number === '' || number === '.') return undefined
    total += Number(number) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN)
  }
  return Number.isFinite(total) ? sign * total : undefined
}

/** A short Go-style rendering of a millisecond count, e.g. 90_000 → "1m30s". */
export function formatGoDuration (ms: number): string {
  if (ms === 0) return '0s'
  const negative = ms < 0
  let rest = Math.abs(ms)
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = rest / 1000
  let text = ''
  if (hours > 0) text += `${hours}h`
  if (minutes > 0 || (hours > 0 && seconds > 0)) text += `${minutes}m`
  if (seconds > 0 || text === '') text += `${Number(seconds.toFixed(3))}s`
  return (negative ? '-' : '') + text
}
