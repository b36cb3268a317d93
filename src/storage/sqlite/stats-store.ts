/**
 * The service's running totals, kept in SQLite so they survive restarts and read the same from
 * the service's /metrics and from `columnwire stats` in another process. Counters live in the
 * `meta` table (key → integer); the rest is counted from the tables that hold it.
 */
import { sumDigestMessages, type DigestCountRow } from '../digest-message-counts.ts';
import { COUNTERS, type CounterName, type ServiceStats } from '../store.ts';
import type { Database } from './database.ts';

/** Reads and adds to the persistent totals. */
export function createStatsStore(db: Database) {
  const addCounter = db.prepare<[string, number]>(
    `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value`,
  );
  const setMeta = db.prepare<[string, number]>(
    `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  const selectMeta = db.prepare<[], { key: string; value: number }>(`SELECT key, value FROM meta`);
  const selectLastCycle = db.prepare<[], number>(`SELECT value FROM meta WHERE key = 'poll:last_cycle_at'`).pluck();
  const selectFeeds = db.prepare<[], { feeds: number; inError: number; lastSuccess: number | null }>(
    `SELECT count(*) AS feeds, coalesce(sum(consecutive_errors > 0), 0) AS inError, max(last_success_at) AS lastSuccess
     FROM feeds WHERE in_config = 1`,
  );
  const selectStories = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM stories`);
  // Finished runs keep their counts (schema 26); only the deliveries of the others are counted,
  // run by run (CROSS JOIN keeps that order: joined the other way, every delivery is read). One
  // statement, so a run finishing meanwhile is counted once.
  const selectDigestCounts = db.prepare<[], DigestCountRow>(
    `SELECT digest_id AS digestId, counts, NULL AS status, 0 AS count FROM digest_runs WHERE counts IS NOT NULL
     UNION ALL
     SELECT r.digest_id, NULL, d.status, count(*)
     FROM digest_runs r CROSS JOIN digest_deliveries d ON d.run_id = r.id WHERE r.counts IS NULL GROUP BY r.digest_id, d.status`,
  );
  const recordCycle = db.transaction((totals: Partial<Record<CounterName, number>>, finishedAt: Date) => {
    for (const name of COUNTERS) if (totals[name]) addCounter.run(`counter:${name}`, totals[name]);
    setMeta.run('poll:last_cycle_at', finishedAt.getTime());
  });
  return {
    /** Adds one poll cycle's totals and stamps when it finished, in one transaction. */
    recordPollCycle(totals: Partial<Record<CounterName, number>>, finishedAt: Date): void {
      recordCycle(totals, finishedAt);
    },
    /** When the last poll cycle finished, or null. */
    lastPollCycleAt(): Date | null {
      const at = selectLastCycle.get();
      return at === undefined ? null : new Date(at);
    },
    /** The totals now. */
    read(): ServiceStats {
      const meta = new Map(selectMeta.all().map((row) => [row.key, row.value]));
      const feeds = selectFeeds.get()!;
      const lastCycle = meta.get('poll:last_cycle_at');
      return {
        counters: Object.fromEntries(COUNTERS.map((name) => [name, meta.get(`counter:${name}`) ?? 0])) as Record<CounterName, number>,
        stories: selectStories.get()!.n,
        feeds: feeds.feeds,
        feedsInError: feeds.inError,
        digestMessages: sumDigestMessages(selectDigestCounts.all()),
        lastPollCycleAt: lastCycle === undefined ? null : new Date(lastCycle),
        lastSuccessfulFetchAt: feeds.lastSuccess === null ? null : new Date(feeds.lastSuccess),
      };
    },
  };
}
