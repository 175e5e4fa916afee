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
