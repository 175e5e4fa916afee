import { readFile } from 'node:fs/promises'

import type { RunProcess } from '../storage/types.js'

/**
 * Runs are spawned as leaders of their own process group, so a signal to the
 * group reaches `oc` and everything it started, including children that
 * outlive it.
 */
export function signalGroup (pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false // ESRCH: the group is already gone
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export async function processStartTicks (pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}

/** Whether the process recorded earlier is still the same one (not a reused pid). */
export async function isStillRunning (recorded: RunProcess): Promise<boolean> {
  return (await processStartTicks(recorded.pid)) === recorded.startTicks
}

/** SIGTERM to the group, SIGKILL after `graceMs` if anything is left; resolves when it is gone. */
export async function stopGroup (pid: number, graceMs: number, isAlive: () => boolean | Promise<boolean>): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!(await isAlive())) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  signalGroup(pid, 'SIGKILL')
}
