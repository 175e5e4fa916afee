import type { Migration } from './types.js'

/**
 * Several replicas on one database (issue 16).
 * - `replicas`: one row per live replica, its lease renewed by heartbeat
 *   (`heartbeat_ms`, the database's clock in ms, so replicas' clocks need
 *   not agree). A row whose heartbeat is older than the lease is a replica
 *   gone; the replica that deletes the row takes over its work.
 * - `accepted_by`: the replica that admitted a queued execution (with
 *   OC_CREDENTIALS=caller, the only one holding the caller's token, in memory).
 * - `owner` and `attempt`: the claim of the replica running it. Every write
 *   a run makes names both; once another replica has taken the execution
 *   over (attempt moved on), the old run's writes change nothing.
 * - `pid_replica`: whose pid namespace the recorded oc process lives in. A
 *   pid stays recorded until that replica has seen the process end, also
 *   after another replica took the execution over: the replica, when it
 *   comes back, stops the oc it left running.
 * - `claim_token`: a claim's own random name, so that a claim whose answer
 *   the connection lost is found again instead of made twice.
 * - `phase`: where a run is, as the replica running it last wrote it with
 *   its output: what every other replica shows.
 * Rows from before are nobody's (''), and the first replica to start takes
 * over the ones still running.
 */
export const replicas: Migration = {
  version: 9,
  name: 'replicas',
  sqlite: `CREATE TABLE replicas (
             name         TEXT PRIMARY KEY,
             heartbeat_ms INTEGER NOT NULL,
             started_at   TEXT NOT NULL
           );
           ALTER TABLE gatherings ADD COLUMN accepted_by TEXT NOT NULL DEFAULT '';
           ALTER TABLE gatherings ADD COLUMN owner TEXT NOT NULL DEFAULT '';
           ALTER TABLE gatherings ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
           ALTER TABLE gatherings ADD COLUMN pid_replica TEXT NOT NULL DEFAULT '';
           ALTER TABLE gatherings ADD COLUMN phase TEXT NOT NULL DEFAULT '';
           ALTER TABLE gatherings ADD COLUMN claim_token TEXT NOT NULL DEFAULT '';
           CREATE INDEX gatherings_running_owner ON gatherings (owner) WHERE status = 'inprogress';`,
  postgres: `CREATE TABLE replicas (
               name         text PRIMARY KEY,
               heartbeat_ms bigint NOT NULL,
               started_at   text NOT NULL
             );
             ALTER TABLE gatherings ADD COLUMN accepted_by text NOT NULL DEFAULT '';
             ALTER TABLE gatherings ADD COLUMN owner text NOT NULL DEFAULT '';
             ALTER TABLE gatherings ADD COLUMN attempt integer NOT NULL DEFAULT 0;
             ALTER TABLE gatherings ADD COLUMN pid_replica text NOT NULL DEFAULT '';
             ALTER TABLE gatherings ADD COLUMN phase text NOT NULL DEFAULT '';
             ALTER TABLE gatherings ADD COLUMN claim_token text NOT NULL DEFAULT '';
             CREATE INDEX gatherings_running_owner ON gatherings (owner) WHERE status = 'inprogress';`
}
