/** Per-feed polling state in PostgreSQL: the same rules as sqlite/feed-store.ts, in set-wise statements. */
import { pickSignature } from '../../feeds/pick-authors.ts';
import type { FeedSource, FeedState } from '../../model.ts';
import { redactSecrets } from '../../redact.ts';
import { toDate, toFeedState, type FeedRow } from '../rows.ts';
import { LostLeaseError, type FeedLease, type FetchFailure, type FetchSuccess } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';

/** Transaction lock key that serializes config syncs of several processes starting at once. */
const SYNC_LOCK = 7_243_652;

/** The feed store over a PostgreSQL database. */
export function createPostgresFeedStore(db: PostgresDatabase) {
  return {
    /**
     * Makes the stored feeds match the config: adds new ones, resets moved ones (validators,
     * schedule, errors), retires removed ones (their stories stay), and drops the validators and
     * schedule of the ones whose picked columnists changed (the next fetch is a full one, now). Rows that already match
     * are not written, so 100,000 unchanged feeds cost one read of each key.
     */
    sync: (sources: readonly FeedSource[]) =>
      db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
        const ids = sources.map((source) => source.id);
        const urls = sources.map((source) => source.url);
        const picks = sources.map((source) => pickSignature(source.pick));
        await tx.run(`UPDATE feeds SET in_config = 0 WHERE in_config = 1 AND NOT (id = ANY($1::text[]))`, [ids]);
        // A feed whose URL or pick changes reads its next document whole.
        await tx.run(
          `
          DELETE FROM feed_item_digests d USING feeds f, unnest($1::text[], $2::text[], $3::text[]) AS s (id, url, pick)
          WHERE d.feed_id = f.id AND f.id = s.id AND (f.configured_url <> s.url OR f.pick IS DISTINCT FROM s.pick)`,
          [ids, urls, picks],
        );
        await tx.run(
          `
          INSERT INTO feeds AS f (id, configured_url, url, pick)
          SELECT id, url, url, pick FROM unnest($1::text[], $2::text[], $3::text[]) AS s (id, url, pick)
          ON CONFLICT (id) DO UPDATE SET
            in_config = 1,
            configured_url = excluded.configured_url,
            pick = excluded.pick,
            url = CASE WHEN f.configured_url = excluded.configured_url THEN f.url ELSE excluded.url END,
            etag = CASE WHEN f.configured_url = excluded.configured_url AND f.pick IS NOT DISTINCT FROM excluded.pick THEN f.etag END,
            last_modified = CASE WHEN f.configured_url = excluded.configured_url AND f.pick IS NOT DISTINCT FROM excluded.pick
              THEN f.last_modified END,
            body_hash = CASE WHEN f.configured_url = excluded.configured_url AND f.pick IS NOT DISTINCT FROM excluded.pick
              THEN f.body_hash END,
            next_fetch_at = CASE WHEN f.configured_url = excluded.configured_url
              AND (f.pick IS NOT DISTINCT FROM excluded.pick OR f.wait_reason IN ('retry-after', 'backoff'))
              THEN f.next_fetch_at END,
            wait_reason = CASE WHEN f.configured_url = excluded.configured_url THEN f.wait_reason END,
            consecutive_errors = CASE WHEN f.configured_url = excluded.configured_url THEN f.consecutive_errors ELSE 0 END,
            last_error = CASE WHEN f.configured_url = excluded.configured_url THEN f.last_error END
          WHERE f.in_config <> 1 OR f.configured_url <> excluded.configured_url OR f.pick IS DISTINCT FROM excluded.pick`,
          [ids, urls, picks],
        );
      }),

    /** Feeds currently in the config, by id. */
    listActive: async (): Promise<FeedState[]> =>
      (await db.query<FeedRow>(`SELECT * FROM feeds WHERE in_config = 1 ORDER BY id`)).map(toFeedState),
    countActive: async (): Promise<number> =>
      (await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM feeds WHERE in_config = 1`))[0]!.n,

    /** When any feed was last fetched, or null. */
    lastFetchAt: async (): Promise<Date | null> =>
      toDate((await db.query<{ at: number | null }>(`SELECT max(last_fetch_at) AS at FROM feeds`))[0]?.at ?? null),

    /** One feed's state, or null. */
    get: async (id: string): Promise<FeedState | null> => {
      const [row] = await db.query<FeedRow>(`SELECT * FROM feeds WHERE id = $1`, [id]);
      return row ? toFeedState(row) : null;
    },

    /**
     * Records a 200 or 304 (inside the caller's transaction when `sql` is one): validators,
     * schedule, errors cleared. With `fence`, only while that lease holds the feed (else LostLeaseError).
     */
    markSuccess: async (id: string, result: FetchSuccess, now: Date, sql: Sql = db, fence?: FeedLease): Promise<void> => {
      const written = await sql.run(
        `
        UPDATE feeds SET url = $2, etag = $3, last_modified = $4,
          title = coalesce($5, title), site_link = coalesce($6, site_link),
          last_fetch_at = $7, last_success_at = $7, next_fetch_at = $8, wait_reason = 'schedule',
          ttl_minutes = $9, consecutive_errors = 0, last_error = NULL,
          body_hash = CASE WHEN $13::boolean THEN body_hash ELSE $14::text END, ${ENDS_LEASE('$11')}
        WHERE id = $1 AND ($10::text IS NULL OR configured_url = $10) AND ($11::bigint IS NULL OR (lease_token = $11 AND lease_owner = $12))`,
        [
          id,
          result.url,
          result.etag,
          result.lastModified,
          result.title ?? null,
          result.siteLink ?? null,
          now.getTime(),
          result.nextFetchAt.getTime(),
          result.ttlMinutes,
          result.configuredUrl ?? null,
          fence?.token ?? null,
          fence?.owner ?? null,
          result.bodyHash === undefined,
          result.bodyHash ?? null,
        ],
      );
      if (written === 0 && fence) await checkFence(sql, fence);
      // A full save sets the item digest (null: none kept); a 304 leaves it (undefined).
      if (written > 0 && result.itemDigest !== undefined) {
        if (result.itemDigest)
          await sql.run(
            `INSERT INTO feed_item_digests (feed_id, digest) VALUES ($1, $2) ON CONFLICT (feed_id) DO UPDATE SET digest = excluded.digest`,
            [id, result.itemDigest],
          );
        else await sql.run(`DELETE FROM feed_item_digests WHERE feed_id = $1`, [id]);
      }
    },

    /**
     * Whether a save fenced by `fence` and made at `now` has committed: it ended its own lease
     * (ENDS_LEASE keeps the token) and recorded a success at that very time. True when the
     * commit went through but its answer was lost with the connection (PostgreSQL restarting).
     */
    savedUnder: async (fence: FeedLease, now: Date): Promise<boolean> =>
      (
        await db.query(`SELECT 1 FROM feeds WHERE id = $1 AND lease_token = $2 AND lease_owner IS NULL AND last_success_at = $3`, [
          fence.feedId,
          fence.token,
          now.getTime(),
        ])
      ).length > 0,

    /** The feed's item digest (feeds/item-digest.ts), or null. */
    itemDigest: async (id: string): Promise<string | null> =>
      (await db.query<{ digest: string }>(`SELECT digest FROM feed_item_digests WHERE feed_id = $1`, [id]))[0]?.digest ?? null,

    /** Records a failed fetch, its error stored without the passwords and tokens of the feed's URLs; fenced as markSuccess. */
    markFailure: async (id: string, result: FetchFailure, now: Date, fence?: FeedLease): Promise<void> => {
      const [row] = await db.query<{ url: string; configured_url: string }>(`SELECT url, configured_url FROM feeds WHERE id = $1`, [id]);
      const error = redactSecrets(result.error, [result.url, result.configuredUrl, row?.url, row?.configured_url]);
      const written = await db.run(
        `
        UPDATE feeds SET url = coalesce($2, url), last_fetch_at = $3, next_fetch_at = $4,
          wait_reason = $5, consecutive_errors = consecutive_errors + 1, last_error = $6, ${ENDS_LEASE('$8')}
        WHERE id = $1 AND ($7::text IS NULL OR configured_url = $7) AND ($8::bigint IS NULL OR (lease_token = $8 AND lease_owner = $9))`,
        [
          id,
          result.url ?? null,
          now.getTime(),
          result.nextFetchAt.getTime(),
          result.waitReason,
          error,
          result.configuredUrl ?? null,
          fence?.token ?? null,
          fence?.owner ?? null,
        ],
      );
      if (written === 0 && fence) await checkFence(db, fence);
    },
  };
}

/**
 * SET clauses by which a fenced write (`token`: the lease token's parameter, null when not
 * fenced) also ends its lease, as releaseFeedLease would, in the same commit: a worker's poll
 * then costs one commit fewer, and its release finds nothing to do (no WAL flush).
 */
const ENDS_LEASE = (token: string): string =>
  ['lease_owner', 'lease_until', 'queued_at']
    .map((column) => `${column} = CASE WHEN ${token}::bigint IS NULL THEN ${column} END`)
    .join(', ');

/** Throws LostLeaseError when `fence` no longer holds its feed (a write it guarded changed nothing for that reason). */
async function checkFence(sql: Sql, fence: FeedLease): Promise<void> {
  const [row] = await sql.query<{ lease_token: number; lease_owner: string | null }>(
    `SELECT lease_token, lease_owner FROM feeds WHERE id = $1`,
    [fence.feedId],
  );
  if (!row || row.lease_token !== fence.token || row.lease_owner !== fence.owner) {
    throw new LostLeaseError(
      `storage: the lease on feed ${fence.feedId} was taken over (token ${fence.token}); this fetch's result is dropped`,
    );
  }
}
