import { readdirSync, readlinkSync } from 'node:fs'

/** How many descriptors process `pid` holds open on `path` (Linux /proc). */
export function descriptorsOn (pid: number, path: string): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === path } catch { return false }
  }).length
}
