/** The service's running totals in PostgreSQL: counters in `meta`, the rest counted from the tables (as sqlite/stats-store.ts). */
import { sumDigestMessages, type DigestCountRow } from '../digest-message-counts.ts';
import { COUNTERS, type CounterName, type ServiceStats } from '../store.ts';
import type { PostgresDatabase } from './database.ts';

/** The stats store over a PostgreSQL database. */
export function createPostgresStatsStore(db: PostgresDatabase) {
  return {
    /** Adds one poll cycle's totals and stamps when it finished, in one transaction. */
    recordPollCycle: (totals: Partial<Record<CounterName, number>>, finishedAt: Date): Promise<void> =>
      db.transaction(async (tx) => {
        const names = COUNTERS.filter((name) => totals[name]);
        if (names.length > 0) {
          await tx.run(
            `INSERT INTO meta AS m (key, value) SELECT * FROM unnest($1::text[], $2::bigint[])
             ON CONFLICT (key) DO UPDATE SET value = m.value + excluded.value`,
            [names.map((name) => `counter:${name}`), names.map((name) => totals[name]!)],
          );
        }
        await tx.run(
          `INSERT INTO meta (key, value) VALUES ('poll:last_cycle_at', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [finishedAt.getTime()],
        );
      }),

    /** When the last poll cycle finished, or null. */
    async lastPollCycleAt(): Promise<Date | null> {
      const [row] = await db.query<{ value: number }>(`SELECT value FROM meta WHERE key = 'poll:last_cycle_at'`);
      return row === undefined ? null : new Date(row.value);
    },
    /** The totals now. */
    async read(): Promise<ServiceStats> {
      const [meta, [feeds], [stories], digestCounts] = await Promise.all([
        db.query<{ key: string; value: number }>(`SELECT key, value FROM meta`),
        db.query<{ feeds: number; in_error: number; last_success: number | null }>(
          `SELECT count(*)::bigint AS feeds, count(*) FILTER (WHERE consecutive_errors > 0)::bigint AS in_error,
             max(last_success_at) AS last_success FROM feeds WHERE in_config = 1`,
        ),
        db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM stories`),
        // Finished runs keep their counts (schema 26); only the deliveries of the others are counted,
        // run by run through its key (LATERAL: never a scan of every delivery). One statement, so a
        // run finishing meanwhile is counted once.
        db.query<DigestCountRow>(
          `SELECT digest_id AS "digestId", counts, NULL AS status, 0::bigint AS count FROM digest_runs WHERE counts IS NOT NULL
           UNION ALL
           SELECT r.digest_id, NULL, c.status, c.count FROM digest_runs r CROSS JOIN LATERAL (
             SELECT status, count(*)::bigint AS count FROM digest_deliveries d WHERE d.run_id = r.id GROUP BY status
           ) c WHERE r.counts IS NULL`,
        ),
      ]);
      const values = new Map(meta.map((row) => [row.key, row.value]));
      const lastCycle = values.get('poll:last_cycle_at');
      return {
        counters: Object.fromEntries(COUNTERS.map((name) => [name, values.get(`counter:${name}`) ?? 0])) as Record<CounterName, number>,
        stories: stories!.n,
        feeds: feeds!.feeds,
        feedsInError: feeds!.in_error,
        digestMessages: sumDigestMessages(digestCounts),
        lastPollCycleAt: lastCycle === undefined ? null : new Date(lastCycle),
        lastSuccessfulFetchAt: feeds!.last_success === null ? null : new Date(feeds!.last_success),
      };
    },
  };
}
