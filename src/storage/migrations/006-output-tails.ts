import type { Migration } from './types.js'

/** Characters of tail each row keeps inline (the store's BRIEF_CHARS as of this step). */
const BRIEF_CHARS = 1024

/**
 * The output tail (up to EXEC_OUTPUT_LIMIT, 64 KiB) moves to a table of its
 * own: kept inline, it filled every row's overflow pages, and each list read
 * them all to cut a 200-character tail off (a 1,000-record list read 24 MB).
 * Rows keep a brief tail, enough for lists; a revision says when a record
 * changed, even twice in one millisecond.
 */
export const outputTails: Migration = {
  version: 6,
  name: 'output-tails',
  sqlite: (db) => {
    db.exec('CREATE TABLE gathering_output_tails (gathering_id INTEGER PRIMARY KEY, tail TEXT NOT NULL)')
    // A row at a time, moved then cut: the pages one row's cut frees hold the next one's tail,
    // so the file does not grow by the size of every tail (measured: 126 MiB of tails, the
    // file 129 MiB after instead of 252 MiB).
    const ids = db.prepare('SELECT id FROM gatherings WHERE output_tail != \'\' ORDER BY id').pluck().all() as number[]
    const move = db.prepare('INSERT INTO gathering_output_tails (gathering_id, tail) SELECT id, output_tail FROM gatherings WHERE id = ?')
    const cut = db.prepare(`UPDATE gatherings SET output_tail = substr(output_tail, -${BRIEF_CHARS}) WHERE id = ? AND length(output_tail) > ${BRIEF_CHARS}`)
    for (const id of ids) {
      move.run(id)
      cut.run(id)
    }
    db.exec(`ALTER TABLE gatherings RENAME COLUMN output_tail TO output_brief;
             ALTER TABLE gatherings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;`)
  },
  postgres: `CREATE TABLE gathering_output_tails (gathering_id bigint PRIMARY KEY, tail text NOT NULL);
             INSERT INTO gathering_output_tails (gathering_id, tail) SELECT id, output_tail FROM gatherings WHERE output_tail != '';
             UPDATE gatherings SET output_tail = right(output_tail, ${BRIEF_CHARS}) WHERE length(output_tail) > ${BRIEF_CHARS};
             ALTER TABLE gatherings RENAME COLUMN output_tail TO output_brief;
             ALTER TABLE gatherings ADD COLUMN revision bigint NOT NULL DEFAULT 0;`
}
