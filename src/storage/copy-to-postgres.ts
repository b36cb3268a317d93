/**
 * Copies an SQLite installation into a PostgreSQL database (`columnwire migrate --to`): every
 * table both backends share, rows as they are (ids, times, tokens), in batches, then each
 * table's count checked against the source. Safe to rerun: a row already copied is left alone
 * (ON CONFLICT DO NOTHING), so a second run copies what the first did not and checks again.
 */
import { openDatabase } from './sqlite/database.ts';
import { openPostgres } from './postgres/database.ts';

/**
 * The tables copied, parents first, with the key a rerun recognises a copied row by. Not copied:
 * feed_item_digests (the first poll on PostgreSQL reads each document whole, and writes them).
 */
const TABLES: ReadonlyArray<{ name: string; identity?: string; ownRows?: string }> = [
  { name: 'feeds' },
  { name: 'stories', identity: 'id' },
  { name: 'story_keys' },
  { name: 'story_sources' },
  // PostgreSQL's content version has rows of its own (schema 18), not counted against SQLite's.
  { name: 'meta', ownRows: `key LIKE 'content\\_version:%'` },
  { name: 'digest_runs', identity: 'id' },
  { name: 'digest_deliveries' },
  { name: 'subscriptions' },
  { name: 'subscribers' },
  { name: 'signups' },
  { name: 'bounces' },
];
const BATCH = 5_000;

export interface TableCopy {
  table: string;
  source: number;
  /** Rows written by this run (0 for rows an earlier run copied). */
  copied: number;
  target: number;
}

/** The copy did not end with the same rows on both sides. */
export class CopyMismatchError extends Error {
  override name = 'CopyMismatchError';
}

/**
 * Copies the SQLite database at `sqlitePath` into `postgresUrl` (migrated first), reporting
 * per table; `secret`, when given, becomes the installation's shared unsubscribe secret so
 * links mailed before keep working. `onTable` is told as each table is done.
 */
export async function copyToPostgres(
  sqlitePath: string,
  postgresUrl: string,
  options: { secret?: string | null; onTable?: (copy: TableCopy) => void } = {},
): Promise<TableCopy[]> {
  const sqlite = openDatabase(sqlitePath);
  const pg = await openPostgres(postgresUrl, { maxConnections: 2 });
  try {
    const report: TableCopy[] = [];
    for (const { name, identity, ownRows } of TABLES) {
      const columns = (sqlite.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string }>).map((column) => column.name);
      let copied = 0;
      let batch: unknown[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        // json_populate_recordset turns SQLite's values into the PostgreSQL column types by name.
        copied += await pg.run(
          `INSERT INTO ${name} (${columns.join(', ')}) ${identity ? 'OVERRIDING SYSTEM VALUE' : ''}
           SELECT ${columns.join(', ')} FROM json_populate_recordset(NULL::${name}, $1::json) ON CONFLICT DO NOTHING`,
          [JSON.stringify(batch)],
        );
        batch = [];
      };
      for (const row of sqlite.prepare(`SELECT ${columns.join(', ')} FROM ${name}`).iterate()) {
        batch.push(row);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      if (identity) {
        // Stories go on from the highest id SQLite ever gave (a pruned story's id is never given again).
        const high = name === 'stories' ? storyIdHigh(sqlite) : 1;
        await pg.query(
          `SELECT setval(pg_get_serial_sequence('${name}', '${identity}'), greatest((SELECT max(${identity}) FROM ${name}), $1::bigint, 1))`,
          [high],
        );
      }
      const source = (sqlite.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n;
      const target = (
        await pg.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${name} ${ownRows ? `WHERE NOT (${ownRows})` : ''}`)
      )[0]!.n;
      const copy = { table: name, source, copied, target };
      report.push(copy);
      options.onTable?.(copy);
    }
    // A story's search vector was made as it was copied, before its sources: the stories other
    // feeds carry too are indexed again, with those feeds' tokens (schema 21).
    await pg.run(
      `UPDATE stories SET title = title
       WHERE id IN (SELECT s.story_id FROM story_sources s JOIN stories t ON t.id = s.story_id WHERE s.feed_id <> t.feed_id)`,
    );
    if (options.secret) {
      await pg.run(`INSERT INTO shared_settings (key, value) VALUES ('unsubscribe-secret', $1) ON CONFLICT DO NOTHING`, [options.secret]);
    }
    const mismatched = report.filter((copy) => copy.source !== copy.target);
    if (mismatched.length > 0) {
      throw new CopyMismatchError(
        `migrate: the PostgreSQL database does not hold the same rows: ${mismatched.map((copy) => `${copy.table} ${copy.target} rows there, ${copy.source} here`).join('; ')}. ` +
          'It must be empty (or hold an earlier copy of this installation): migrate into a new database',
      );
    }
    return report;
  } finally {
    sqlite.close();
    await pg.close();
  }
}

/** The highest story id the SQLite store ever gave (schema version 17). */
function storyIdHigh(sqlite: ReturnType<typeof openDatabase>): number {
  const row = sqlite.prepare(`SELECT value FROM meta WHERE key = 'story_id_high'`).get() as { value: number } | undefined;
  return row?.value ?? 1;
}
