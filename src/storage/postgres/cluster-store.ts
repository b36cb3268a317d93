/**
 * What many processes on one PostgreSQL need besides the Store: scheduler ticks claimed once,
 * polls planned in one transaction together with their queue jobs, feeds leased with a fencing
 * token (no feed is fetched by two workers at once, and a zombie's late result is refused), and
 * the cluster's gauges. PostgreSQL is the source of truth; the queue only carries the work.
 */
import { createHash } from 'node:crypto';
import type { Delivery } from '../../model.ts';
import { toDelivery, toFeedState, type DeliveryRow, type FeedRow } from '../rows.ts';
import type { ClusterStore, LeaseRefusal, QueueSql, TakenLease } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';

/** A feed's host as the per-host cap counts it: what fetch connects to. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

/** A 64-bit advisory lock key for a name. */
function lockKey(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`)).toString();
}

/**
 * The schedule_ticks key that settles a digest's scheduled minute: written with its run, in the
 * run's transaction (digest-store.ts), or alone when the minute had nothing to send. (Before
 * this release it was the tick claim, written before the run: rows of then read as settled.)
 */
export function digestSlotJob(digestId: string): string {
  return `digest:${digestId}`;
}

/** The schedule_ticks key of a digest's start: the scheduler whose cron claims it first makes the slot's run. */
export function digestStartJob(digestId: string): string {
  return `digest-start:${digestId}`;
}

/** What take_feed_lease (migration 24) answers. */
type LeaseOutcome = 'taken' | 'moved' | LeaseRefusal;
/** take_feed_lease's one row. */
interface LeaseAnswer {
  outcome: LeaseOutcome;
  /** The live lease's owner ('leased'), or the feed's url ('moved'). */
  holder: string | null;
  state: TakenRow | null;
}
/** The state take_feed_lease returns with a lease: the feed's row as the lease left it, and its item digest. */
interface TakenRow {
  feed: FeedRow & { lease_token: number };
  item_digest: string | null;
}

/** pg-boss's `db` option over one of our transactions: its jobs commit or roll back with our rows. */
function queueSqlOver(sql: Sql): QueueSql {
  return { executeSql: async (text, values = []) => ({ rows: await sql.query<unknown>(text, values) }) };
}

/** The cluster part of the PostgreSQL store. */
export function createPostgresClusterStore(db: PostgresDatabase): Omit<ClusterStore, 'leased' | 'claimScheduledDigestRun'> {
  /** Feeds whose url is not their configured one (a permanent redirect), as their last lease found it. */
  const movedUrls = new Map<string, string>();
  return {
    listen: (channel, onNotify, onConnect, onLost) => db.listen(channel, onNotify, onConnect, onLost),
    async claimTick(job, tick, now) {
      const claimed = await db.run(`INSERT INTO schedule_ticks (job, tick, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        job,
        tick.getTime(),
        now.getTime(),
      ]);
      return claimed === 1;
    },

    digestSlotSettled: async (digestId, slot) =>
      (await db.query(`SELECT 1 FROM schedule_ticks WHERE job = $1 AND tick = $2`, [digestSlotJob(digestId), slot.getTime()])).length > 0,

    unsettledDigestStarts: async (digestId, from, to) =>
      (
        await db.query<{ tick: number }>(
          `SELECT tick FROM schedule_ticks s WHERE job = $1 AND tick BETWEEN $3 AND $4
             AND NOT EXISTS (SELECT 1 FROM schedule_ticks d WHERE d.job = $2 AND d.tick = s.tick)
           ORDER BY tick`,
          [digestStartJob(digestId), digestSlotJob(digestId), from.getTime(), to.getTime()],
        )
      ).map((row) => new Date(row.tick)),

    async settleDigestSlot(digestId, slot, now) {
      await db.run(`INSERT INTO schedule_ticks (job, tick, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        digestSlotJob(digestId),
        slot.getTime(),
        now.getTime(),
      ]);
    },

    pruneScheduleTicks: (before, jobs) =>
      jobs
        ? db.run(`DELETE FROM schedule_ticks WHERE job = ANY($1::text[]) AND tick < $2`, [jobs, before.getTime()])
        : db.run(`DELETE FROM schedule_ticks WHERE tick < $1`, [before.getTime()]),

    planPolls: (now, options, enqueue) =>
      db.transaction(async (tx) => {
        // A lease whose owner is seen dead (killed on this host) ends now: its feed is due again at
        // once, as lost work (queued long ago: queued_at 0).
        if (options.isOwnerDead) {
          const held = await tx.query<{ id: string; lease_owner: string }>(
            `SELECT id, lease_owner FROM feeds WHERE lease_until >= $1 AND lease_owner IS NOT NULL`,
            [now.getTime()],
          );
          const dead = held.filter((row) => options.isOwnerDead!(row.lease_owner));
          if (dead.length > 0) {
            // Only the leases read as dead: a worker may have taken one of these feeds since (another planner's).
            await tx.run(
              `UPDATE feeds SET lease_until = NULL, lease_owner = NULL, queued_at = 0
               WHERE id = ANY($1::text[]) AND lease_owner = ANY($2::text[]) AND lease_until >= $3`,
              [dead.map((row) => row.id), [...new Set(dead.map((row) => row.lease_owner))], now.getTime()],
            );
          }
        }
        // SKIP LOCKED: two planners at once (a tick claimed late, a manual run) split the feeds, never share one.
        // Due: not queued, or queued long ago, or leased by a worker whose lease ended a while
        // ago (requeueAfterMs: it died elsewhere, or hung; a merely slow save gets that long to
        // commit). Lost work first: a lease that ended without a result, or whose holder is dead
        // (queued_at 0); then feeds fetched before, by due time; then new ones. A feed merely
        // queued long ago (its job still waiting behind a backlog, or lost) keeps its own place:
        // as a retry it would put the whole backlog ahead of the feeds due again.
        const rows = await tx.query<{ id: string; retry: boolean; fetched: boolean }>(
          `
          SELECT id, (lease_until IS NOT NULL OR queued_at IS NOT DISTINCT FROM 0) AS retry, last_fetch_at IS NOT NULL AS fetched FROM feeds
          WHERE in_config = 1 AND (next_fetch_at IS NULL OR next_fetch_at <= $1)
            AND (queued_at IS NULL OR queued_at < $2 OR lease_until < $2)
            AND (lease_until IS NULL OR lease_until < $2)
          ORDER BY (lease_until IS NOT NULL OR queued_at IS NOT DISTINCT FROM 0) DESC, last_fetch_at IS NULL, next_fetch_at NULLS FIRST, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`,
          [now.getTime(), now.getTime() - options.requeueAfterMs, options.limit],
        );
        const ids = rows.map((row) => row.id);
        if (ids.length === 0) return ids;
        // An expired lease ends here (its zombie, if alive, is fenced off by the owner and token check).
        await tx.run(`UPDATE feeds SET queued_at = $1, lease_until = NULL, lease_owner = NULL WHERE id = ANY($2::text[])`, [
          now.getTime(),
          ids,
        ]);
        const retries = new Set(rows.filter((row) => row.retry).map((row) => row.id));
        const dueAgain = new Set(rows.filter((row) => !row.retry && row.fetched).map((row) => row.id));
        await enqueue(queueSqlOver(tx), ids, retries, dueAgain);
        return ids;
      }),

    async takeFeedLease(feedId, owner, now, leaseMs, perHostCap, options = {}): Promise<TakenLease | LeaseRefusal> {
      // One call of take_feed_lease (migration 24) mostly; again when the holder is seen dead, or
      // when the feed's url is not the one guessed (its host is the one counted).
      let url: string = movedUrls.get(feedId) ?? options.url ?? '';
      let deadOwner: string | null = null;
      for (let attempt = 0; ; attempt++) {
        const host = hostOf(url);
        const rows: LeaseAnswer[] = await db.query<LeaseAnswer>(`SELECT * FROM take_feed_lease($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
          feedId,
          owner,
          now.getTime(),
          now.getTime() + leaseMs,
          perHostCap,
          url,
          host,
          lockKey(`columnwire.host:${host}`),
          deadOwner,
          options.dueOnly ?? false,
        ]);
        const { outcome, holder, state }: LeaseAnswer = rows[0]!;
        if (outcome === 'taken') {
          const feed = state!.feed;
          return { feedId, owner, token: feed.lease_token, state: toFeedState(feed), itemDigest: state!.item_digest };
        }
        // Each retry follows a change of the row since the last call: a few at most, unless it keeps changing.
        if (attempt < 3 && outcome === 'moved') {
          url = holder!;
          movedUrls.set(feedId, url);
          continue;
        }
        if (
          attempt < 3 &&
          outcome === 'leased' &&
          holder !== null &&
          holder !== owner &&
          holder !== deadOwner &&
          options.isOwnerDead?.(holder)
        ) {
          deadOwner = holder;
          continue;
        }
        return outcome === 'moved' ? 'leased' : outcome;
      }
    },

    async unqueueFeed(feedId, now) {
      await db.run(`UPDATE feeds SET queued_at = NULL WHERE id = $1 AND (lease_until IS NULL OR lease_until < $2)`, [
        feedId,
        now.getTime(),
      ]);
    },

    async releaseFeedLease(lease) {
      await db.run(
        `UPDATE feeds SET lease_owner = NULL, lease_until = NULL, queued_at = NULL WHERE id = $1 AND lease_token = $2 AND lease_owner = $3`,
        [lease.feedId, lease.token, lease.owner],
      );
    },

    pendingDeliveries: async (runId, from, to): Promise<Delivery[]> =>
      (
        await db.query<DeliveryRow>(
          `SELECT * FROM digest_deliveries WHERE run_id = $1 AND status = 'pending' AND address >= $2 AND address <= $3 ORDER BY address`,
          [runId, from, to],
        )
      ).map(toDelivery),

    async pendingRanges(runId, size) {
      // Every size-th pending address starts a range; one pass over the run's pending index.
      const rows = await db.query<{ first: string; last: string }>(
        `
        SELECT min(address) AS first, max(address) AS last FROM (
          SELECT address, (row_number() OVER (ORDER BY address) - 1) / $2 AS chunk
          FROM digest_deliveries WHERE run_id = $1 AND status = 'pending'
        ) numbered GROUP BY chunk ORDER BY chunk`,
        [runId, size],
      );
      return rows.map((row) => [row.first, row.last] as [string, string]);
    },

    async sharedSetting(key, proposed) {
      await db.run(`INSERT INTO shared_settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [key, proposed]);
      return (await db.query<{ value: string }>(`SELECT value FROM shared_settings WHERE key = $1`, [key]))[0]!.value;
    },

    async clusterGauges(now) {
      const [row] = await db.query<{ due: number; oldest: number | null; leased: number }>(
        `
        SELECT count(*) FILTER (WHERE next_fetch_at IS NULL OR next_fetch_at <= $1)::bigint AS due,
          -- A feed never fetched has no due time: it has waited since it was first queued (a cold
          -- start's or an OPML import's backlog); queued_at 0 marks lost work, not a time.
          min(coalesce(next_fetch_at, queued_at)) FILTER (WHERE next_fetch_at <= $1 OR (next_fetch_at IS NULL AND queued_at > 0)) AS oldest,
          count(*) FILTER (WHERE lease_until >= $1)::bigint AS leased
        FROM feeds WHERE in_config = 1`,
        [now.getTime()],
      );
      return { feedsDue: row!.due, oldestDueLagMs: row!.oldest === null ? null : now.getTime() - row!.oldest, leased: row!.leased };
    },
  };
}
