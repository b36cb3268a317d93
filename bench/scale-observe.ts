/**
 * The scale bench reading a run's database from outside, as an operator would: feed rows sampled
 * every second (the due times the checks judge requests against), leases held by a process,
 * stories and their duplicates, scheduler ticks, PostgreSQL backends (for their CPU). The SQLite
 * run's file is opened read-only beside the running process (WAL lets both read).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Sighting } from './scale-analysis.ts';

/** A feed row as the sampler reads it. */
interface FeedRow {
  id: string;
  last_fetch_at: string | number | null;
  next_fetch_at: string | number | null;
}

/** What the checks count in the stories table. */
export interface StoryCounts {
  stories: number;
  /** Canonical links stored more than once, and the extra rows. */
  duplicateLinks: number;
  duplicateRows: number;
}

export interface Observer {
  /** Reads feeds fetched since the last sample (a margin back) and records new pairs. */
  sample(): Promise<void>;
  sightings: Map<number, Sighting[]>;
  stories(): Promise<StoryCounts>;
  /** The canonical links of the stories stored. */
  storedLinks(): Promise<Set<string>>;
  /** Feeds whose next fetch is more than `overdueMs` past at `nowMs`, and feeds never fetched. */
  overdue(nowMs: number, overdueMs: number): Promise<{ overdue: number; neverFetched: number }>;
  close(): Promise<void>;
}

/** How far back each sample looks: a fetch's last_fetch_at is taken before it commits (timeouts, parse, host waits). */
const SAMPLE_MARGIN_MS = 60_000;

const STORY_SQL = `SELECT count(*) AS stories,
  (SELECT count(*) FROM (SELECT canonical_url FROM stories WHERE canonical_url IS NOT NULL GROUP BY canonical_url HAVING count(*) > 1) d) AS links,
  (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM stories WHERE canonical_url IS NOT NULL GROUP BY canonical_url HAVING count(*) > 1) d) AS extra
  FROM stories`;
const LINKS_SQL = `SELECT canonical_url FROM stories WHERE canonical_url IS NOT NULL`;
const OVERDUE_SQL = `SELECT count(*) FILTER (WHERE next_fetch_at < $1) AS overdue, count(*) FILTER (WHERE last_fetch_at IS NULL) AS never FROM feeds WHERE in_config = 1`;

function recorder(sightings: Map<number, Sighting[]>, rows: readonly FeedRow[], seenAtMs: number): void {
  for (const row of rows) {
    if (row.last_fetch_at === null) continue;
    const feed = Number(row.id.slice(1));
    const lastFetchAtMs = Number(row.last_fetch_at);
    const nextFetchAtMs = row.next_fetch_at === null ? null : Number(row.next_fetch_at);
    const list = sightings.get(feed) ?? [];
    const latest = list.at(-1);
    if (latest && latest.lastFetchAtMs === lastFetchAtMs && latest.nextFetchAtMs === nextFetchAtMs) continue;
    list.push({ seenAtMs, lastFetchAtMs, nextFetchAtMs });
    sightings.set(feed, list);
  }
}

/** Observes a run on PostgreSQL, in schema `schema` of `url`. */
export function observePostgres(url: string, schema: string) {
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: withSchema.href, max: 2, application_name: 'columnwire-bench' });
  // An idle connection the server drops (the restart run) is an 'error' on the pool: the pool
  // discards it and connects anew for the next query; unhandled, it would end the bench.
  pool.on('error', () => {});
  const sightings = new Map<number, Sighting[]>();
  let sinceMs = 0;
  const one = async <T>(sql: string, values: unknown[] = []) => (await pool.query<T & pg.QueryResultRow>(sql, values)).rows;
  return {
    sightings,
    async sample() {
      const askedAtMs = Date.now();
      // A schema still migrating has no feeds table yet: nothing to see.
      const rows = await one<FeedRow>(`SELECT id, last_fetch_at, next_fetch_at FROM feeds WHERE last_fetch_at >= $1`, [sinceMs]).catch(
        () => [],
      );
      // Seen when the answer arrived, not when it was asked: the query's snapshot may be later than
      // the asking (a wait for a connection), and a row committed meanwhile must not look older.
      recorder(sightings, rows, Date.now());
      sinceMs = askedAtMs - SAMPLE_MARGIN_MS;
    },
    async storedLinks() {
      const rows = await one<{ canonical_url: string }>(LINKS_SQL);
      return new Set(rows.map((row) => row.canonical_url));
    },
    async stories() {
      const [row] = await one<{ stories: string; links: string; extra: string }>(STORY_SQL);
      return { stories: Number(row!.stories), duplicateLinks: Number(row!.links), duplicateRows: Number(row!.extra) };
    },
    async overdue(nowMs, overdueMs) {
      const [row] = await one<{ overdue: string; never: string }>(OVERDUE_SQL, [nowMs - overdueMs]);
      return { overdue: Number(row!.overdue), neverFetched: Number(row!.never) };
    },
    /** Feeds the process `pid` holds a live lease on (owner is "host pid nonce namespace"). */
    async leasedBy(pid: number): Promise<number[]> {
      const rows = await one<{ id: string }>(`SELECT id FROM feeds WHERE lease_until >= $1 AND split_part(lease_owner, ' ', 2) = $2`, [
        Date.now(),
        String(pid),
      ]);
      return rows.map((row) => Number(row.id.slice(1)));
    },
    /** The poll planner's claimed ticks (ms), in order. */
    async pollTicks(): Promise<number[]> {
      return (await one<{ tick: string }>(`SELECT tick FROM schedule_ticks WHERE job = 'poll' ORDER BY tick`)).map((row) =>
        Number(row.tick),
      );
    },
    /** Server processes of this database's connections, the bench's own excepted. */
    async backendPids(): Promise<number[]> {
      const rows = await one<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      return rows.map((row) => row.pid);
    },
    /** Poll jobs pg-boss holds (queued, active, done, archived) in the queue schema, and the bytes of its job table (partitioned per queue in pg-boss 10: every partition counted) and archive, indexes included. */
    async pollJobs(queueSchema: string): Promise<{ jobs: number; bytes: number }> {
      const [row] = await one<{ n: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${queueSchema}.job WHERE name = 'columnwire-poll') + (SELECT count(*) FROM ${queueSchema}.archive WHERE name = 'columnwire-poll') AS n,
          (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('${queueSchema}.job'))
            + pg_total_relation_size('${queueSchema}.archive') AS bytes`,
      );
      return { jobs: Number(row!.n), bytes: Number(row!.bytes) };
    },
    close: () => pool.end(),
  } satisfies Observer & Record<string, unknown>;
}

export type PostgresObserver = ReturnType<typeof observePostgres>;

/** Observes a run on SQLite at `file` (opened once it exists). */
export function observeSqlite(file: string): Observer {
  let db: Database.Database | null = null;
  const open = () => {
    try {
      return (db ??= new Database(file, { readonly: true, fileMustExist: true }));
    } catch {
      return null;
    }
  };
  const sightings = new Map<number, Sighting[]>();
  let sinceMs = 0;
  return {
    sightings,
    sample() {
      const askedAtMs = Date.now();
      try {
        const rows = open()?.prepare(`SELECT id, last_fetch_at, next_fetch_at FROM feeds WHERE last_fetch_at >= ?`).all(sinceMs) as
          FeedRow[] | undefined;
        recorder(sightings, rows ?? [], Date.now());
        sinceMs = askedAtMs - SAMPLE_MARGIN_MS;
      } catch {
        // Not migrated yet, or busy for a moment: the next sample reads from the same point.
      }
      return Promise.resolve();
    },
    storedLinks() {
      const rows = open()!.prepare(LINKS_SQL).all() as Array<{ canonical_url: string }>;
      return Promise.resolve(new Set(rows.map((row) => row.canonical_url)));
    },
    stories() {
      const row = open()!.prepare(STORY_SQL).get() as { stories: number; links: number; extra: number };
      return Promise.resolve({ stories: row.stories, duplicateLinks: row.links, duplicateRows: row.extra });
    },
    overdue(nowMs, overdueMs) {
      const row = open()!
        .prepare(
          `SELECT sum(CASE WHEN next_fetch_at < ? THEN 1 ELSE 0 END) AS overdue, sum(CASE WHEN last_fetch_at IS NULL THEN 1 ELSE 0 END) AS never FROM feeds WHERE in_config = 1`,
        )
        .get(nowMs - overdueMs) as { overdue: number | null; never: number | null };
      return Promise.resolve({ overdue: row.overdue ?? 0, neverFetched: row.never ?? 0 });
    },
    close() {
      db?.close();
      return Promise.resolve();
    },
  };
}
