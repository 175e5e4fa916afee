/** How numbers and times read in the console. */

export function formatBytes (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

export function formatDuration (seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

export function formatAge (iso: string, now: number): string {
  return `${formatDuration((now - Date.parse(iso)) / 1000)} ago`
}

/** Seconds from start to finish, or to now while running; undefined before it started. */
export function durationSeconds (startedAt: string | null, finishedAt: string | null, now: number): number | undefined {
  if (startedAt === null) return undefined
  const end = finishedAt === null ? now : Date.parse(finishedAt)
  return (end - Date.parse(startedAt)) / 1000
}

export function formatTime (iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleString()
}
