import { parseGoDuration } from './go-duration.js'

/** Configuration that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  constructor (readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

export type Env = Record<string, string | undefined>

/** A variable's trimmed value; unset and blank are the same. */
export function reader (env: Env): (name: string) => string | undefined {
  return (name) => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
}

export function duration (variable: string, text: string, { positive = false }: { positive?: boolean }): number {
  const ms = parseGoDuration(text)
  if (ms === undefined) throw new ConfigError(variable, `"${text}" is not a Go duration (e.g. 30s, 20m, 1h30m)`)
  if (ms < 0 || (positive && ms === 0)) throw new ConfigError(variable, `"${text}" must be ${positive ? 'greater than zero' : 'zero or more'}`)
  return ms
}

export function integer (variable: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError(variable, `"${text}" must be a whole number from ${min} to ${max}`)
  }
  return value
}

export function boolean (variable: string, text: string): boolean {
  if (['true', '1', 'yes'].includes(text.toLowerCase())) return true
  if (['false', '0', 'no'].includes(text.toLowerCase())) return false
  throw new ConfigError(variable, `"${text}" must be true or false`)
}

const BYTE_UNITS: Record<string, number> = {
  '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40
}

/** A byte count in Kubernetes quantity style: 1048576, 500Mi, 20Gi, 1G, 1.5Ti. */
export function bytes (variable: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i.exec(text)
  const unit = BYTE_UNITS[(match?.[2] ?? '').toLowerCase()]
  if (match === null || unit === undefined) throw new ConfigError(variable, `"${text}" is not a size such as 500Mi, 20Gi or 1000000`)
  return Math.floor(Number(match[1]) * unit)
}
