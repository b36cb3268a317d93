/**
 * Copies an SQLite installation into a PostgreSQL database (`columnwire migrate --to`): every
 * table both backends share, rows as they are (ids, times, tokens), read from one SQLite
 * snapshot and written in one PostgreSQL transaction, so the target ends with the whole copy
 * or, on any failure, as it was.
 *
 * The target must be empty or hold an earlier copy of this installation untouched since
 * (copy-target.ts judges it before anything is written). An earlier copy is replaced whole: a
 * rerun leaves PostgreSQL as SQLite is now, rows SQLite updated or deleted since included, and
 * says per table how many rows it added, changed and removed.
 */
import { randomUUID } from 'node:crypto';
import {
  COPIED_TABLES,
  fingerprintOf,
  hashRows,
  judgeTarget,
  readRecord,
  writeRecord,
  type CopiedTable,
  type TargetState,
} from './copy-target.ts';
import { describeRow, normalizeNuls, type NulChange } from './copy-values.ts';
import { ForeignTablesError, openPostgres, type Sql } from './postgres/database.ts';
import { openDatabase, type Database } from './sqlite/database.ts';

const BATCH = 5_000;
/** Transaction advisory lock key: two migrates into one database take turns. */
const COPY_LOCK = 7_243_653;

export interface TableCopy {
  table: string;
  /** Rows in SQLite (the snapshot read). */
  source: number;
  /** Rows in PostgreSQL after the copy. */
  target: number;
  /** Against what PostgreSQL held before: rows new, rows whose values differ, rows gone. */
  added: number;
  changed: number;
  removed: number;
}

/** A row one or more of whose values lost or replaced NUL characters. */
export interface ChangedValues {
  row: string;
  changes: NulChange[];
}

/** What became of the unsubscribe secret given: copied (none there), replaced (another was there), kept (the same was there). */
export type SecretOutcome = 'copied' | 'replaced' | 'kept' | 'none';

export interface CopyReport {
  /** The target was empty, or held an earlier copy (made then) that is now replaced. */
  earlierCopyAt: Date | null;
  tables: TableCopy[];
  changedValues: ChangedValues[];
  secret: SecretOutcome;
}

/** The target holds what migrate must not overwrite; nothing was written. */
export class CopyRefusedError extends Error {
  override name = 'CopyRefusedError';
}

/** A row PostgreSQL would not take; nothing was written. */
export class CopyRowError extends Error {
  override name = 'CopyRowError';
}

/** The copy did not end with the same rows on both sides; nothing was written. */
export class CopyMismatchError extends Error {
  override name = 'CopyMismatchError';
}

/**
 * Copies the SQLite database at `sqlitePath` into `postgresUrl` (migrated first). `secret`,
 * when given, becomes the installation's shared unsubscribe secret, replacing one a command
 * run there before made, so links mailed before keep working. `onTable` is told as each
 * table's rows are written (before the transaction commits).
 */
export async function copyToPostgres(
  sqlitePath: string,
  postgresUrl: string,
  options: { secret?: string | null; now?: () => Date; onTable?: (table: string) => void } = {},
): Promise<CopyReport> {
  const sqlite = openDatabase(sqlitePath);
  try {
    const installation = installationId(sqlite);
    const pg = await openPostgres(postgresUrl, { maxConnections: 1, foreignTables: 'refuse' }).catch((error: unknown) => {
      throw error instanceof ForeignTablesError ? foreignTablesRefusal(error) : error;
    });
    try {
      // SQLite's count of commits by other connections (a `serve`, a cron `poll` or `digest`,
      // a `subscribers` command: only `run` holds the lock migrate takes).
      const commits = () => sqlite.pragma('data_version', { simple: true }) as number;
      return await pg.transaction(async (tx) => {
        const before = commits();
        // One read transaction: every table comes from the same moment, whatever writes meanwhile.
        sqlite.exec('BEGIN');
        let report: CopyReport;
        try {
          report = await copyInto(tx, sqlite, installation, options);
        } finally {
          sqlite.exec('ROLLBACK');
        }
        // Written meanwhile, SQLite holds what the copy lacks (an unsubscribe, a sign-up): the
        // copy is not committed, rather than reported done and silently behind.
        if (commits() !== before) {
          throw new CopyRefusedError(
            `migrate: ${sqlitePath} was written to while it was copied (another columnwire process uses it: serve, poll, digest ` +
              'or subscribers): nothing was written to PostgreSQL. Stop every columnwire process using the data folder, then migrate again',
          );
        }
        return report;
      });
    } finally {
      await pg.close();
    }
  } finally {
    sqlite.close();
  }
}

/** Listed by name in the refusal; the rest are counted. */
const SHOWN_TABLES = 10;

/** A database of another application (named by mistake): columnwire creates no table beside its tables. */
function foreignTablesRefusal({ tables }: ForeignTablesError): CopyRefusedError {
  const shown =
    tables.slice(0, SHOWN_TABLES).join(', ') + (tables.length > SHOWN_TABLES ? ` and ${tables.length - SHOWN_TABLES} more` : '');
  return new CopyRefusedError(
    `migrate: refused, nothing was written to PostgreSQL: it holds tables columnwire did not make (${shown}). ` +
      'Migrate into a new, empty database (createdb); is --to the database you meant?',
  );
}

/** The installation's id, made on first asking and kept in its SQLite database (see copy-target.ts). */
function installationId(sqlite: Database): string {
  sqlite.prepare(`INSERT INTO shared_settings (key, value) VALUES ('installation-id', ?) ON CONFLICT (key) DO NOTHING`).run(randomUUID());
  return sqlite.prepare(`SELECT value FROM shared_settings WHERE key = 'installation-id'`).pluck().get() as string;
}

async function copyInto(
  tx: Sql,
  sqlite: Database,
  installation: string,
  options: { secret?: string | null; now?: () => Date; onTable?: (table: string) => void },
): Promise<CopyReport> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [COPY_LOCK]);
  // Writers wait for the copy to commit (readers go on), so what is judged below is what is replaced.
  await tx.run(`LOCK TABLE ${COPIED_TABLES.map((table) => table.name).join(', ')}, shared_settings IN EXCLUSIVE MODE`);
  const columns = new Map(COPIED_TABLES.map((table) => [table.name, columnsOf(sqlite, table.name)]));
  const ours = sqlite.prepare(`SELECT id FROM feeds`).pluck().all() as string[];
  const [foreign] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM feeds WHERE last_fetch_at IS NOT NULL OR NOT (id = ANY($1::text[]))`,
    [ours],
  );
  const state: TargetState = { record: await readRecord(tx), foreignFeeds: foreign!.n, rows: {}, fingerprints: {} };
  for (const table of COPIED_TABLES) {
    await hashRows(tx, table, columns.get(table.name)!, `migrate_before_${table.name}`);
    const { rows, fingerprint } = await fingerprintOf(tx, `migrate_before_${table.name}`);
    state.rows[table.name] = rows;
    state.fingerprints[table.name] = fingerprint;
  }
  const verdict = judgeTarget(state, installation);
  if (verdict.kind === 'refused') throw new CopyRefusedError(`migrate: refused, nothing was written to PostgreSQL: ${verdict.reason}`);

  await tx.run(
    `TRUNCATE feeds, feed_item_digests, stories, story_search, story_keys, story_sources,
       digest_runs, digest_deliveries, subscriptions, subscribers, signups, bounces`,
  );
  const meta = COPIED_TABLES.find((table) => table.name === 'meta')!;
  await tx.run(`DELETE FROM meta WHERE NOT (${meta.ownRows})`);
  const changedValues: ChangedValues[] = [];
  const sources = new Map<string, number>();
  for (const table of COPIED_TABLES) {
    sources.set(table.name, await copyTable(tx, sqlite, table, columns.get(table.name)!, changedValues));
    options.onTable?.(table.name);
    if (table.identity) {
      // Stories go on from the highest id SQLite ever gave (a pruned story's id is never given again).
      const high = table.name === 'stories' ? storyIdHigh(sqlite) : 1;
      await tx.query(
        `SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'), greatest((SELECT max(${table.identity}) FROM ${table.name}), $1::bigint, 1))`,
        [high],
      );
    }
  }
  // A story's search vector was made as it was copied, before its sources: the stories other
  // feeds carry too are indexed again, with those feeds' tokens (schema 21).
  await tx.run(
    `UPDATE stories SET title = title
     WHERE id IN (SELECT s.story_id FROM story_sources s JOIN stories t ON t.id = s.story_id WHERE s.feed_id <> t.feed_id)`,
  );

  const tables: TableCopy[] = [];
  const fingerprints: Record<string, string> = {};
  for (const table of COPIED_TABLES) {
    await hashRows(tx, table, columns.get(table.name)!, `migrate_after_${table.name}`);
    const { rows, fingerprint } = await fingerprintOf(tx, `migrate_after_${table.name}`);
    fingerprints[table.name] = fingerprint;
    const [diff] = await tx.query<{ added: number; changed: number; removed: number }>(
      `SELECT count(*) FILTER (WHERE b.h IS NULL)::bigint AS added, count(*) FILTER (WHERE a.h <> b.h)::bigint AS changed,
              count(*) FILTER (WHERE a.h IS NULL)::bigint AS removed
       FROM migrate_after_${table.name} a FULL JOIN migrate_before_${table.name} b USING (${table.key.join(', ')})`,
    );
    tables.push({ table: table.name, source: sources.get(table.name)!, target: rows, ...diff! });
  }
  const mismatched = tables.filter((copy) => copy.source !== copy.target);
  if (mismatched.length > 0) {
    throw new CopyMismatchError(
      `migrate: the copy does not hold the same rows as SQLite: ${mismatched.map((copy) => `${copy.table} ${copy.target} rows there, ${copy.source} here`).join('; ')}; nothing was written to PostgreSQL`,
    );
  }
  await writeRecord(tx, { installation, at: (options.now?.() ?? new Date()).getTime(), tables: fingerprints });
  return {
    earlierCopyAt: verdict.kind === 'earlier-copy' ? verdict.at : null,
    tables,
    changedValues,
    secret: options.secret ? await copySecret(tx, options.secret) : 'none',
  };
}

/** Copies one table's rows, in batches; returns how many SQLite holds. */
async function copyTable(
  tx: Sql,
  sqlite: Database,
  table: CopiedTable,
  columns: readonly string[],
  changed: ChangedValues[],
): Promise<number> {
  let count = 0;
  let batch: Array<{ row: Record<string, unknown>; original: Record<string, unknown> }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await insertNamingRow(tx, table, columns, batch);
    batch = [];
  };
  for (const original of sqlite.prepare(`SELECT ${columns.join(', ')} FROM ${table.name}`).iterate() as Iterable<Record<string, unknown>>) {
    count++;
    const { row, changes } = normalizeNuls(original, table.key);
    if (changes.length > 0) changed.push({ row: describeRow(table.name, original, table.key), changes });
    batch.push({ row, original });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return count;
}

/** Inserts a batch; when PostgreSQL refuses it, finds the row it refuses and names it. */
async function insertNamingRow(
  tx: Sql,
  table: CopiedTable,
  columns: readonly string[],
  batch: ReadonlyArray<{ row: Record<string, unknown>; original: Record<string, unknown> }>,
): Promise<void> {
  // json_populate_recordset turns SQLite's values into the PostgreSQL column types by name.
  const insert = (rows: readonly Record<string, unknown>[]) =>
    tx.run(
      `INSERT INTO ${table.name} (${columns.join(', ')}) ${table.identity ? 'OVERRIDING SYSTEM VALUE' : ''}
       SELECT ${columns.join(', ')} FROM json_populate_recordset(NULL::${table.name}, $1::json)`,
      [JSON.stringify(rows)],
    );
  await tx.run('SAVEPOINT migrate_batch');
  try {
    await insert(batch.map((entry) => entry.row));
    await tx.run('RELEASE SAVEPOINT migrate_batch');
  } catch (error) {
    await tx.run('ROLLBACK TO SAVEPOINT migrate_batch');
    for (const { row, original } of batch) {
      try {
        await insert([row]);
      } catch (cause) {
        throw new CopyRowError(
          `migrate: PostgreSQL refused the row ${describeRow(table.name, original, table.key)}: ${(cause as Error).message}; ` +
            'nothing was written to PostgreSQL. Correct or delete that row in the SQLite database, then migrate again',
          { cause },
        );
      }
    }
    throw error;
  }
}

/** Makes `secret` the installation's unsubscribe secret in PostgreSQL; says what was there. */
async function copySecret(tx: Sql, secret: string): Promise<SecretOutcome> {
  const [held] = await tx.query<{ value: string }>(`SELECT value FROM shared_settings WHERE key = 'unsubscribe-secret'`);
  await tx.run(
    `INSERT INTO shared_settings (key, value) VALUES ('unsubscribe-secret', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [secret],
  );
  return !held ? 'copied' : held.value === secret ? 'kept' : 'replaced';
}

/** The table's columns in SQLite, in order: the ones copied. */
function columnsOf(sqlite: Database, table: string): string[] {
  return (sqlite.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((column) => column.name);
}

/** The highest story id the SQLite store ever gave (schema version 17). */
function storyIdHigh(sqlite: Database): number {
  const row = sqlite.prepare(`SELECT value FROM meta WHERE key = 'story_id_high'`).get() as { value: number } | undefined;
  return row?.value ?? 1;
}
