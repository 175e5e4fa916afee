import type { Migration } from './types.js'

/**
 * The list version belongs to the database, not to a process: every insert,
 * update and delete of a record moves `changes` forward, whichever process
 * wrote it (triggers, so no write path can forget). `database_id` tells two
 * databases apart, so a version never repeats for another database's state.
 */
export const storeChanges: Migration = {
  version: 7,
  name: 'store-changes',
  sqlite: `CREATE TABLE store_state (
             id          INTEGER PRIMARY KEY CHECK (id = 1),
             database_id TEXT NOT NULL,
             changes     INTEGER NOT NULL
           );
           INSERT INTO store_state (id, database_id, changes) VALUES (1, lower(hex(randomblob(9))), 0);
           CREATE TRIGGER gatherings_inserted AFTER INSERT ON gatherings
             BEGIN UPDATE store_state SET changes = changes + 1; END;
           CREATE TRIGGER gatherings_updated AFTER UPDATE ON gatherings
             BEGIN UPDATE store_state SET changes = changes + 1; END;
           CREATE TRIGGER gatherings_deleted AFTER DELETE ON gatherings
             BEGIN UPDATE store_state SET changes = changes + 1; END;`,
  postgres: `CREATE TABLE store_state (
               id          integer PRIMARY KEY CHECK (id = 1),
               database_id text NOT NULL,
               changes     bigint NOT NULL
             );
             INSERT INTO store_state (id, database_id, changes) VALUES (1, substr(md5(gen_random_uuid()::text), 1, 18), 0);
             -- A row trigger, as SQLite's: a statement that changes no record moves nothing.
             CREATE FUNCTION store_state_count_change () RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN UPDATE store_state SET changes = changes + 1; RETURN NULL; END
             $$;
             CREATE TRIGGER gatherings_changed AFTER INSERT OR UPDATE OR DELETE ON gatherings
               FOR EACH ROW EXECUTE FUNCTION store_state_count_change();`
}
