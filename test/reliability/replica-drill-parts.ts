import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { ROOT } from '../helpers/service.js'

import { writeExecutable } from './helpers.js'

/**
 * Pieces of the replica drill (replicas-drill.test.ts) that are not the
 * drill itself: the `oc` wrapper that logs when each run starts and ends,
 * what that log says, and the audit trigger that records every status change
 * in the database.
 */

/**
 * Writes a bash `oc` that appends `start <PPID> <dest> <epoch ms>` to `log`,
 * runs the simulator with the same arguments, and appends
 * `end <PPID> <dest> <epoch ms> <exit status>` when the simulator has ended,
 * also when the run is stopped with SIGTERM (the service signals the whole
 * process group, so wrapper and simulator both get it). $PPID is the replica
 * process that spawned it: it stays the same after that replica dies (bash
 * reads it once), so an orphaned run is still counted against it. Calls
 * without --dest-dir (none today) are the simulator's alone.
 */
export function writeOcWrapper (path: string, simulator: string, log: string): void {
  writeExecutable(path, `#!/bin/bash
dest=''
for arg in "$@"; do
  case "$arg" in --dest-dir=*) dest="\${arg#--dest-dir=}" ;; esac
done
if [ -z "$dest" ]; then exec '${simulator}' "$@"; fi
echo "start $PPID $dest $(date +%s%3N)" >> '${log}'
'${simulator}' "$@" &
child=$!
# A trapped signal interrupts 'wait'; the simulator got it too (same group): wait for its end.
trap 'kill -TERM $child 2>/dev/null' TERM INT
wait $child
status=$?
while kill -0 $child 2>/dev/null; do
  wait $child
  status=$?
done
echo "end $PPID $dest $(date +%s%3N) $status" >> '${log}'
exit $status
`)
}

export interface OcRun {
  id: number
  ppid: number
  start: number
  /** Undefined when the wrapper never logged its end (it was SIGKILLed). */
  end?: number
  exitStatus?: number
}

/** The runs the wrapper logged, in order of start. */
export function readOcRuns (log: string): OcRun[] {
  if (!existsSync(log)) return []
  const runs: OcRun[] = []
  const open = new Map<string, OcRun>()
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [kind, ppid, dest, ms, status] = line.split(' ')
    if (dest === undefined || ms === undefined) continue
    const id = Number(/\/(\d+)\/must-gather\.local\.\d+$/.exec(dest)?.[1])
    if (kind === 'start') {
      const run: OcRun = { id, ppid: Number(ppid), start: Number(ms) }
      runs.push(run)
      open.set(`${ppid} ${dest}`, run)
    } else if (kind === 'end') {
      const run = open.get(`${ppid} ${dest}`)
      if (run === undefined) continue
      run.end = Number(ms)
      run.exitStatus = Number(status)
      open.delete(`${ppid} ${dest}`)
    }
  }
  return runs
}

/**
 * The most runs of one process that overlapped, per process. A run whose end
 * was never logged counts as running until the end of the drill: an
 * overcount only for a process that started others after it.
 */
export function maxOverlapByProcess (runs: OcRun[]): Map<number, number> {
  const events: Array<{ ppid: number, at: number, delta: number }> = []
  for (const run of runs) {
    events.push({ ppid: run.ppid, at: run.start, delta: 1 })
    if (run.end !== undefined) events.push({ ppid: run.ppid, at: run.end, delta: -1 })
  }
  // At the same millisecond an end comes first: the service starts the next run only once it saw the last end.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta)
  const current = new Map<number, number>()
  const most = new Map<number, number>()
  for (const { ppid, delta } of events) {
    const now = (current.get(ppid) ?? 0) + delta
    current.set(ppid, now)
    most.set(ppid, Math.max(most.get(ppid) ?? 0, now))
  }
  return most
}

/**
 * An audit of every status change of a gathering, written by the database
 * itself (a trigger), whoever makes the change: what shows whether an
 * execution reached its terminal state exactly once.
 */
export const AUDIT_SQL = `
  CREATE TABLE drill_audit (
    seq        bigserial PRIMARY KEY,
    id         bigint NOT NULL,
    old_status text NOT NULL,
    new_status text NOT NULL,
    at         timestamptz NOT NULL
  );
  CREATE FUNCTION drill_audit_status () RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO drill_audit (id, old_status, new_status, at) VALUES (NEW.id, OLD.status, NEW.status, clock_timestamp());
    RETURN NEW;
  END
  $$;
  CREATE TRIGGER drill_audit_status AFTER UPDATE ON gatherings
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION drill_audit_status();
`

export const TERMINAL = new Set(['completed', 'error'])

/**
 * The drill runs dist/server.js, as production does: built again here
 * (TypeScript only, about 10 s) when it is missing or older than a file under
 * src/, so that the drill never tests stale code. Returns whether it built.
 */
export function ensureBuiltServer (): boolean {
  const built = join(ROOT, 'dist', 'server.js')
  const newestSource = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
    entry.isDirectory() ? newestSource(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs))
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource(join(ROOT, 'src'))) return false
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' })
  return true
}
