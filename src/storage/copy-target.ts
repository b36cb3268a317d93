/**
 * What a PostgreSQL database holds before `columnwire migrate` writes into it, and whether it
 * may write: into an empty database, or over an earlier copy of this same installation that
 * nothing has written to since. Anything else is another installation's data, or the data of
 * a service that already runs on PostgreSQL, and is refused before a row is written.
 *
 * An installation is known by an id kept in its SQLite database (shared_settings
 * 'installation-id', made by its first migrate; a backup or a copy of the data folder keeps it).
 * Each migrate records in PostgreSQL (shared_settings 'migrated-from') that id, when, and a
 * fingerprint of every table it copied (row count and the sum of the rows' hashes). A rerun
 * finds every fingerprint as recorded, or PostgreSQL was written to since the copy.
 */
import type { Sql } from './postgres/database.ts';

/** A copied table: its primary key, its identity column, and rows PostgreSQL keeps of its own. */
export interface CopiedTable {
  name: string;
  key: readonly string[];
  identity?: string;
  /** PostgreSQL's rows of its own, not copied, kept and not counted. */
  ownRows?: string;
}

/**
 * The tables copied, parents first. Not copied: feed_item_digests (the first poll on
 * PostgreSQL reads each document whole, and writes them), story_search (kept by a trigger).
 */
export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: 'feeds', key: ['id'] },
  { name: 'stories', key: ['id'], identity: 'id' },
  { name: 'story_keys', key: ['key'] },
  { name: 'story_sources', key: ['story_id', 'feed_id'] },
  // PostgreSQL's content version has rows of its own (schema 18), not counted against SQLite's.
  { name: 'meta', key: ['key'], ownRows: `key LIKE 'content\\_version:%'` },
  { name: 'digest_runs', key: ['id'], identity: 'id' },
  { name: 'digest_deliveries', key: ['run_id', 'address'] },
  { name: 'subscriptions', key: ['address', 'digest_id'] },
  { name: 'subscribers', key: ['digest_id', 'address'] },
  { name: 'signups', key: ['digest_id', 'address'] },
  { name: 'bounces', key: ['address'] },
];

/** What migrate records in PostgreSQL after a copy. */
export interface CopyRecord {
  installation: string;
  /** When the copy was made, ms since the epoch. */
  at: number;
  /** Each table's fingerprint right after the copy. */
  tables: Record<string, string>;
}

/** The target as found: migrate's record, each table's rows and fingerprint. */
export interface TargetState {
  record: CopyRecord | null;
  /**
   * Feeds there that are no stray command's: fetched, or not this installation's. A command run
   * against the new database (`digest --status`) syncs this installation's feeds, never fetched.
   */
  foreignFeeds: number;
  rows: Record<string, number>;
  fingerprints: Record<string, string>;
}

export type TargetVerdict = { kind: 'empty' } | { kind: 'earlier-copy'; at: Date } | { kind: 'refused'; reason: string };

/** The shared_settings key of migrate's record. */
export const RECORD_KEY = 'migrated-from';

/**
 * Hashes each row of `table` (the `columns` SQLite has, in order) into a temporary table
 * `name` (dropped at commit), keyed like the table: what the fingerprint and the
 * added/changed/removed counts are computed from.
 */
export async function hashRows(tx: Sql, table: CopiedTable, columns: readonly string[], name: string): Promise<void> {
  await tx.run(`DROP TABLE IF EXISTS ${name}`);
  await tx.run(
    `CREATE TEMP TABLE ${name} ON COMMIT DROP AS
     SELECT ${table.key.join(', ')}, md5(ROW(${columns.join(', ')})::text) AS h FROM ${table.name} ${table.ownRows ? `WHERE NOT (${table.ownRows})` : ''}`,
  );
}

/** `rows:sum`: the row count and the sum of the first 60 bits of each row's hash, whatever the rows' order. */
export async function fingerprintOf(tx: Sql, hashes: string): Promise<{ rows: number; fingerprint: string }> {
  const [row] = await tx.query<{ n: number; s: string }>(
    `SELECT count(*)::bigint AS n, coalesce(sum(('x' || left(h, 15))::bit(60)::bigint), 0)::text AS s FROM ${hashes}`,
  );
  return { rows: row!.n, fingerprint: `${row!.n}:${row!.s}` };
}

/** Reads migrate's record from the target, or null (none, or not one migrate wrote). */
export async function readRecord(tx: Sql): Promise<CopyRecord | null> {
  const [row] = await tx.query<{ value: string }>(`SELECT value FROM shared_settings WHERE key = $1`, [RECORD_KEY]);
  if (!row) return null;
  try {
    const record = JSON.parse(row.value) as Partial<CopyRecord>;
    return typeof record.installation === 'string' && typeof record.at === 'number' && typeof record.tables === 'object'
      ? (record as CopyRecord)
      : null;
  } catch {
    return null;
  }
}

/** Writes migrate's record (in the copy's transaction). */
export async function writeRecord(tx: Sql, record: CopyRecord): Promise<void> {
  await tx.run(`INSERT INTO shared_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
    RECORD_KEY,
    JSON.stringify(record),
  ]);
}

/**
 * May migrate write into a target in `state`, for installation `installation`? Empty means no
 * rows in any copied table but `meta`, whose counters a command run there before may have
 * made (as it made the unsubscribe secret): the copy replaces them.
 */
export function judgeTarget(state: TargetState, installation: string): TargetVerdict {
  const { record } = state;
  if (record !== null && record.installation === installation) {
    const changed = COPIED_TABLES.map((table) => table.name).filter((name) => record.tables[name] !== state.fingerprints[name]);
    if (changed.length === 0) return { kind: 'earlier-copy', at: new Date(record.at) };
    return {
      kind: 'refused',
      reason:
        `it holds this installation as migrate copied it on ${new Date(record.at).toISOString()}, but was written to since ` +
        `(changed: ${changed.join(', ')}): a service or a command has used it. If the service already runs on PostgreSQL, ` +
        'PostgreSQL is the installation now and SQLite the old copy: do not migrate again. To start over from SQLite anyway ' +
        '(losing what was written to PostgreSQL since), migrate into a new, empty database',
    };
  }
  // This installation's feeds a command synced from the config but never fetched are no one's data.
  const held = COPIED_TABLES.filter(
    (table) => table.name !== 'meta' && (state.rows[table.name] ?? 0) > 0 && (table.name !== 'feeds' || state.foreignFeeds > 0),
  );
  if (held.length === 0) return { kind: 'empty' };
  const holding = held.map(({ name }) => `${name} ${state.rows[name]} row${state.rows[name] === 1 ? '' : 's'}`).join(', ');
  const what =
    record !== null
      ? `it holds another columnwire installation, copied there by migrate on ${new Date(record.at).toISOString()} (${holding})`
      : `it holds data migrate did not copy there from this installation (${holding})`;
  return {
    kind: 'refused',
    reason: `${what}. Migrate into a new, empty database (createdb), or empty this one first if nothing it holds is needed`,
  };
}
