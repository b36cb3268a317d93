/**
 * Digest runs and per-recipient deliveries in PostgreSQL: the rules of sqlite/digest-store.ts.
 * Where SQLite takes its one write lock (IMMEDIATE), a run is claimed under a transaction lock
 * per digest, and every claim change is a compare-and-set on the fencing token.
 */
import { createHash } from 'node:crypto';
import type { Delivery, DeliveryStatus, DigestRun } from '../../model.ts';
import { toDelivery, toRun, type DeliveryRow, type RunRow } from '../rows.ts';
import { ALL_DIGESTS, type ClaimedRun, type DeliveryClaim, type NewRun } from '../store.ts';
import { digestSlotJob } from './cluster-store.ts';
import type { PostgresDatabase } from './database.ts';

/** Deliveries inserted per statement when a run is created (a million recipients: 200 statements). */
const DELIVERIES_PER_INSERT = 5_000;
/** Finished runs' copies deleted per statement (pruneDeliveries). */
const PRUNE_BATCH = 20_000;

/** A 64-bit advisory lock key for one digest's run claims, from its id. */
function digestLockKey(digestId: string): string {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('sha256').update(`columnwire.digest:${digestId}`).digest('hex').slice(0, 16)}`),
  ).toString();
}

/** The digest store over a PostgreSQL database. */
export function createPostgresDigestStore(db: PostgresDatabase) {
  return {
    /**
     * Records a run and all its recipients as pending, in one transaction, unless a run after
     * `afterRunId` (the cursor it was planned from) exists already: then that run. With a
     * scheduled `slot`, the slot is settled in the same transaction (nothing is made when it was).
     */
    claimRun: <Slot extends Date | undefined = undefined>(
      run: NewRun,
      slot?: Slot,
    ): Promise<ClaimedRun | (Slot extends Date ? { kind: 'settled' } : never)> =>
      db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [digestLockKey(run.digestId)]);
        if (slot) {
          const settles = await tx.run(`INSERT INTO schedule_ticks (job, tick, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
            digestSlotJob(run.digestId),
            slot.getTime(),
            run.createdAt.getTime(),
          ]);
          if (settles === 0) return { kind: 'settled' } as Slot extends Date ? { kind: 'settled' } : never;
        }
        const latest =
          (await tx.query<{ id: number }>(`SELECT id FROM digest_runs WHERE digest_id = $1 ORDER BY id DESC LIMIT 1`, [run.digestId]))[0]
            ?.id ?? 0;
        const afterRunId = run.afterRunId ?? latest;
        if (latest !== afterRunId) {
          const [following] = await tx.query<RunRow>(`SELECT * FROM digest_runs WHERE digest_id = $1 AND after_run_id = $2`, [
            run.digestId,
            afterRunId,
          ]);
          const [newest] = following ? [following] : await tx.query<RunRow>(`SELECT * FROM digest_runs WHERE id = $1`, [latest]);
          return { kind: 'taken', run: toRun(newest!) };
        }
        const [created] = await tx.query<RunRow>(
          `INSERT INTO digest_runs (digest_id, created_at, from_story_id, to_story_id, story_ids, subject, status, after_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, 'sending', $7) RETURNING *`,
          [run.digestId, run.createdAt.getTime(), run.fromStoryId, run.toStoryId, JSON.stringify(run.storyIds), run.subject, afterRunId],
        );
        for (let start = 0; start < run.recipients.length; start += DELIVERIES_PER_INSERT) {
          const chunk = run.recipients.slice(start, start + DELIVERIES_PER_INSERT);
          await tx.run(
            `INSERT INTO digest_deliveries (run_id, address, status, message_id, name)
             SELECT $1, a, 'pending', m, n FROM unnest($2::text[], $3::text[], $4::text[]) AS t (a, m, n)`,
            [
              created!.id,
              chunk.map((recipient) => recipient.address),
              chunk.map((recipient) => recipient.messageId),
              chunk.map((recipient) => recipient.name ?? null),
            ],
          );
        }
        // A copy for each subscriber who gets the digest now (subscriber-store.ts's rules), in the
        // database: a run to a million subscribers never holds them in memory. Listed recipients,
        // inserted first, keep their rows. The Message-ID as digestMessageId makes it (addresses
        // are kept lower-cased).
        if (run.subscribers) {
          await tx.run(
            `INSERT INTO digest_deliveries (run_id, address, status, message_id, name)
             SELECT $1, s.address, 'pending', $4 || substr(encode(sha256(convert_to(s.address, 'UTF8')), 'hex'), 1, 16) || $5, s.name
             FROM subscribers s
             LEFT JOIN subscriptions own ON own.address = s.address AND own.digest_id = $2
             LEFT JOIN subscriptions every ON every.address = s.address AND every.digest_id = $3
             WHERE s.digest_id = $2 AND coalesce(own.state, every.state, 'subscribed') = 'subscribed' AND s.paused = 0
               AND NOT EXISTS (SELECT 1 FROM bounces b WHERE b.address = s.address AND b.bouncing_since IS NOT NULL)
             ON CONFLICT (run_id, address) DO NOTHING`,
            [created!.id, run.digestId, ALL_DIGESTS, run.subscribers.messageIdPrefix, run.subscribers.messageIdSuffix],
          );
        }
        return { kind: 'created', run: toRun(created!) };
      }),

    /**
     * Claims one pending delivery for `owner`; null when it is sent, failed, or another live
     * sender holds it. A claim is taken over when older than `staleBefore` or its owner is dead,
     * and `owner`'s own claim is taken again (the caller runs one attempt per delivery at a time:
     * delivery-attempts.ts).
     */
    async claimDelivery(
      runId: number,
      address: string,
      owner: string,
      now: Date,
      staleBefore: Date,
      isDead: (owner: string) => boolean,
    ): Promise<DeliveryClaim | null> {
      const [row] = await db.query<{ status: DeliveryStatus; claim_owner: string | null; claimed_at: number | null; claim_token: number }>(
        `SELECT status, claim_owner, claimed_at, claim_token FROM digest_deliveries WHERE run_id = $1 AND address = $2`,
        [runId, address],
      );
      if (!row || row.status !== 'pending') return null;
      const seen = row.claim_owner;
      if (seen !== null && !((row.claimed_at ?? 0) < staleBefore.getTime() || seen === owner || isDead(seen))) return null;
      // Compare-and-set: the claim changes hands only if nobody took it since it was read.
      const changed = await db.run(
        `UPDATE digest_deliveries SET claim_owner = $1, claimed_at = $2, claim_token = $5 + 1
         WHERE run_id = $3 AND address = $4 AND status = 'pending' AND claim_token = $5`,
        [owner, now.getTime(), runId, address, row.claim_token],
      );
      return changed === 1 ? { runId, address, owner, token: row.claim_token + 1 } : null;
    },

    /** Stamps a held claim fresh; false when the claim was lost. */
    renewClaim: async (claim: DeliveryClaim, now: Date): Promise<boolean> =>
      (await db.run(
        `UPDATE digest_deliveries SET claimed_at = $1
         WHERE run_id = $2 AND address = $3 AND status = 'pending' AND claim_owner = $4 AND claim_token = $5`,
        [now.getTime(), claim.runId, claim.address, claim.owner, claim.token],
      )) === 1,

    /** The newest run of a digest, or null. */
    latestRun: async (digestId: string): Promise<DigestRun | null> => {
      const [row] = await db.query<RunRow>(`SELECT * FROM digest_runs WHERE digest_id = $1 ORDER BY id DESC LIMIT 1`, [digestId]);
      return row ? toRun(row) : null;
    },

    /** Runs still sending, oldest first. */
    unfinishedRuns: async (digestId: string): Promise<DigestRun[]> =>
      (await db.query<RunRow>(`SELECT * FROM digest_runs WHERE digest_id = $1 AND status = 'sending' ORDER BY id`, [digestId])).map(toRun),

    /** The newest runs of a digest (all digests when null), newest first. */
    listRuns: async (digestId: string | null, limit: number): Promise<DigestRun[]> =>
      (digestId === null
        ? await db.query<RunRow>(`SELECT * FROM digest_runs ORDER BY id DESC LIMIT $1`, [limit])
        : await db.query<RunRow>(`SELECT * FROM digest_runs WHERE digest_id = $1 ORDER BY id DESC LIMIT $2`, [digestId, limit])
      ).map(toRun),

    /** Every recipient of a run. */
    deliveries: async (runId: number): Promise<Delivery[]> =>
      (await db.query<DeliveryRow>(`SELECT * FROM digest_deliveries WHERE run_id = $1 ORDER BY address`, [runId])).map(toDelivery),

    /** Up to `limit` pending copies of a run after the address `after`, by address (the pending index). */
    pendingCopies: async (runId: number, after: string, limit: number): Promise<Delivery[]> =>
      (
        await db.query<DeliveryRow>(
          `SELECT * FROM digest_deliveries WHERE run_id = $1 AND status = 'pending' AND address > $2 ORDER BY address LIMIT $3`,
          [runId, after, limit],
        )
      ).map(toDelivery),

    /** A run's copies by status: the counts it kept when it finished, else its deliveries counted. */
    deliveryCounts: async (runId: number): Promise<Partial<Record<DeliveryStatus, number>>> => {
      const [run] = await db.query<{ counts: string | null }>(`SELECT counts FROM digest_runs WHERE id = $1`, [runId]);
      if (run?.counts) return JSON.parse(run.counts) as Partial<Record<DeliveryStatus, number>>;
      const rows = await db.query<{ status: DeliveryStatus; n: number }>(
        `SELECT status, count(*)::int AS n FROM digest_deliveries WHERE run_id = $1 GROUP BY status`,
        [runId],
      );
      return Object.fromEntries(rows.map((row) => [row.status, row.n]));
    },

    /** Up to `limit` copies of a run not sent that carry an error: failed, then pending, then skipped, each by address. */
    deliveryErrors: async (runId: number, limit: number): Promise<Delivery[]> =>
      (
        await db.query<DeliveryRow>(
          `SELECT * FROM digest_deliveries WHERE run_id = $1 AND status <> 'sent' AND last_error IS NOT NULL
           ORDER BY CASE status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, address LIMIT $2`,
          [runId, limit],
        )
      ).map(toDelivery),

    /**
     * Deletes the copies of runs finished before `before` (their counts stay: schema 26), a batch
     * per statement so no transaction holds a million rows; how many it deleted.
     */
    pruneDeliveries: async (before: Date): Promise<number> => {
      const runs = await db.query<{ id: number }>(
        `SELECT id FROM digest_runs r WHERE status = 'done' AND counts IS NOT NULL AND finished_at < $1
           AND EXISTS (SELECT 1 FROM digest_deliveries d WHERE d.run_id = r.id) ORDER BY id`,
        [before.getTime()],
      );
      let pruned = 0;
      for (const { id } of runs) {
        for (let batch = PRUNE_BATCH; batch === PRUNE_BATCH; pruned += batch) {
          // A key range (up to the batch's last address), read through the primary key: with
          // "address IN (… LIMIT)" PostgreSQL may hash-join the batch against a scan of the whole
          // table, every batch (it did at two runs of a million: 1.4 s a batch, 0.13 s this way).
          batch = await db.run(
            `DELETE FROM digest_deliveries WHERE run_id = $1 AND address <= (
               SELECT max(address) FROM (SELECT address FROM digest_deliveries WHERE run_id = $1 ORDER BY address LIMIT $2) batch)`,
            [id, PRUNE_BATCH],
          );
        }
      }
      return pruned;
    },

    /** Records the state of a delivery `claim` holds, ending the claim; false, writing nothing, when it was taken over. */
    markDelivery: async (
      claim: DeliveryClaim,
      status: DeliveryStatus,
      options: { error?: string | null; sentAt?: Date; attempts?: number } = {},
    ): Promise<boolean> =>
      (await db.run(
        `UPDATE digest_deliveries SET status = $1, attempts = attempts + $2, last_error = $3, sent_at = coalesce($4, sent_at),
           claim_owner = NULL, claimed_at = NULL
         WHERE run_id = $5 AND address = $6 AND status = 'pending' AND claim_owner = $7 AND claim_token = $8`,
        [
          status,
          options.attempts ?? 0,
          options.error ?? null,
          options.sentAt?.getTime() ?? null,
          claim.runId,
          claim.address,
          claim.owner,
          claim.token,
        ],
      )) === 1,

    /** Closes a run whose every delivery is sent or permanently failed; true when it closed. */
    finishRunIfDone: (runId: number, at: Date): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [open] = await tx.query<{ id: number }>(
          `SELECT 1 AS id FROM digest_deliveries WHERE run_id = $1 AND status = 'pending' LIMIT 1`,
          [runId],
        );
        if (open) return false;
        // The copies' counts by status, kept with the finished run (schema 26): stats read them, not every delivery.
        await tx.run(
          `UPDATE digest_runs SET status = 'done', finished_at = $1, counts = coalesce((
             SELECT json_object_agg(status, n)::text FROM (
               SELECT status, count(*) AS n FROM digest_deliveries WHERE run_id = $2 GROUP BY status) c
           ), '{}') WHERE id = $2 AND status = 'sending'`,
          [at.getTime(), runId],
        );
        return true;
      }),
  };
}
