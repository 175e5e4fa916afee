import { readdir, readFile, readlink } from 'node:fs/promises'

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

/** Fields 3 onwards of /proc/<pid>/stat (state, ppid, pgrp, ...), or undefined when it is gone. */
async function statFields (pid: number | 'self'): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export async function processStartTicks (pid: number): Promise<string | undefined> {
  return (await statFields(pid))?.[19]
}

/** Whether the process recorded earlier is still the same one (not a reused pid). */
export async function isStillRunning (recorded: RunProcess): Promise<boolean> {
  return (await processStartTicks(recorded.pid)) === recorded.startTicks
}

/**
 * The process groups of live processes whose working directory is `dir`
 * (each run works in its own), as their leaders: `oc`, or what it left behind.
 */
export async function processesWorkingIn (dir: string): Promise<RunProcess[]> {
  const ownGroup = (await statFields('self'))?.[2]
  const groups = new Map<number, RunProcess>()
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue
    if (await readlink(`/proc/${entry}/cwd`).catch(() => undefined) !== dir) continue
    const group = (await statFields(Number(entry)))?.[2]
    if (group === undefined || group === ownGroup || groups.has(Number(group))) continue
    // A leader that has exited has no start time: the group still gets its signals.
    groups.set(Number(group), { pid: Number(group), startTicks: await processStartTicks(Number(group)) ?? 'exited' })
  }
  return [...groups.values()]
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
