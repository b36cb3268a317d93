/**
 * Digest runs and per-recipient deliveries, recorded before anything is sent, so a crash
 * resumes with exactly the recipients not yet sent (unsubscribes: subscription-store.ts).
 */
import { createHash } from 'node:crypto';
import type { Delivery, DeliveryStatus, DigestRun } from '../../model.ts';
import { toDelivery, toRun, type DeliveryRow, type RunRow } from '../rows.ts';
import { ALL_DIGESTS, type ClaimedRun, type DeliveryClaim, type NewRun } from '../store.ts';
import type { Database } from './database.ts';

export type DigestStore = ReturnType<typeof createDigestStore>;

/** Builds the digest store over an open database. */
export function createDigestStore(db: Database) {
  const insertRun = db.prepare(`
    INSERT INTO digest_runs (digest_id, created_at, from_story_id, to_story_id, story_ids, subject, status, after_run_id)
    VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)`);
  const insertDelivery = db.prepare(
    `INSERT INTO digest_deliveries (run_id, address, status, message_id, name) VALUES (?, ?, 'pending', ?, ?)`,
  );
  // Marking a delivery ends its sender's claim on it, and only while the claim is still its own
  // (compare-and-set on the token): a late write by a sender that lost it changes nothing.
  const setStatus = db.prepare(`
    UPDATE digest_deliveries SET status = @status, attempts = attempts + @attempt, last_error = @error,
      sent_at = coalesce(@sentAt, sent_at), claim_owner = NULL, claimed_at = NULL
    WHERE run_id = @runId AND address = @address AND status = 'pending' AND claim_owner = @owner AND claim_token = @token`);
  const renewClaim = db.prepare(`
    UPDATE digest_deliveries SET claimed_at = @now
    WHERE run_id = @runId AND address = @address AND status = 'pending' AND claim_owner = @owner AND claim_token = @token`);
  const latestRunId = db.prepare<[string], { id: number }>(`SELECT id FROM digest_runs WHERE digest_id = ? ORDER BY id DESC LIMIT 1`);
  const runFollowing = db.prepare<[string, number], RunRow>(`SELECT * FROM digest_runs WHERE digest_id = ? AND after_run_id = ?`);
  const selectRun = db.prepare<[number], RunRow>(`SELECT * FROM digest_runs WHERE id = ?`);
  const selectClaim = db.prepare<
    [number, string],
    { status: DeliveryStatus; claim_owner: string | null; claimed_at: number | null; claim_token: number }
  >(`SELECT status, claim_owner, claimed_at, claim_token FROM digest_deliveries WHERE run_id = ? AND address = ?`);
  // Compare-and-set: the claim changes hands only if nobody took it since it was read.
  const takeClaim = db.prepare(`
    UPDATE digest_deliveries SET claim_owner = @owner, claimed_at = @now, claim_token = @seenToken + 1
    WHERE run_id = @runId AND address = @address AND status = 'pending' AND claim_token = @seenToken`);
  // A copy for each subscriber who gets the digest now (subscriber-store.ts's rules), in the
  // database: a run to a million subscribers never holds them in memory. Listed recipients,
  // inserted first, keep their rows. The Message-ID as digestMessageId makes it.
  db.function('columnwire_address_hash', { deterministic: true }, (address: unknown) =>
    createHash('sha256').update(String(address).toLowerCase()).digest('hex').slice(0, 16),
  );
  const insertSubscriberCopies = db.prepare<[{ runId: number; digestId: string; all: string; prefix: string; suffix: string }]>(`
    INSERT INTO digest_deliveries (run_id, address, status, message_id, name)
    SELECT @runId, s.address, 'pending', @prefix || columnwire_address_hash(s.address) || @suffix, s.name FROM subscribers s
    LEFT JOIN subscriptions own ON own.address = s.address AND own.digest_id = @digestId
    LEFT JOIN subscriptions every ON every.address = s.address AND every.digest_id = @all
    WHERE s.digest_id = @digestId AND coalesce(own.state, every.state, 'subscribed') = 'subscribed' AND s.paused = 0
      AND NOT EXISTS (SELECT 1 FROM bounces b WHERE b.address = s.address AND b.bouncing_since IS NOT NULL)
    ON CONFLICT (run_id, address) DO NOTHING`);

  // IMMEDIATE: the cursor is read under the write lock, so no other process can add a run between.
  const claimRunTx = db.transaction((run: NewRun): ClaimedRun => {
    const latest = latestRunId.get(run.digestId)?.id ?? 0;
    const afterRunId = run.afterRunId ?? latest;
    if (latest !== afterRunId) {
      // Another process planned from the same cursor first: its run is the one to finish.
      return { kind: 'taken', run: toRun(runFollowing.get(run.digestId, afterRunId) ?? selectRun.get(latest)!) };
    }
    const id = Number(
      insertRun.run(
        run.digestId,
        run.createdAt.getTime(),
        run.fromStoryId,
        run.toStoryId,
        JSON.stringify(run.storyIds),
        run.subject,
        afterRunId,
      ).lastInsertRowid,
    );
    for (const recipient of run.recipients) insertDelivery.run(id, recipient.address, recipient.messageId, recipient.name ?? null);
    if (run.subscribers) {
      const { messageIdPrefix: prefix, messageIdSuffix: suffix } = run.subscribers;
      insertSubscriberCopies.run({ runId: id, digestId: run.digestId, all: ALL_DIGESTS, prefix, suffix });
    }
    return { kind: 'created', run: toRun(selectRun.get(id)!) };
  });

  const selectPending = db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM digest_deliveries WHERE run_id = ? AND status = 'pending'`,
  );
  // The copies' counts by status, kept with the finished run (schema 26): stats read them, not every delivery.
  const closeRun = db.prepare<[{ runId: number; at: number }]>(
    `UPDATE digest_runs SET status = 'done', finished_at = @at, counts = coalesce((
       SELECT json_group_object(status, n) FROM (SELECT status, count(*) AS n FROM digest_deliveries WHERE run_id = @runId GROUP BY status)
     ), '{}') WHERE id = @runId AND status = 'sending'`,
  );
  // A run's copies go once it finished before the cut-off (its counts stay: schema 26).
  const prunableRuns = db.prepare<[number], { id: number }>(
    `SELECT id FROM digest_runs r WHERE status = 'done' AND counts IS NOT NULL AND finished_at < ?
       AND EXISTS (SELECT 1 FROM digest_deliveries d WHERE d.run_id = r.id) ORDER BY id`,
  );
  const deleteCopies = db.prepare<[number, number, number]>(
    `DELETE FROM digest_deliveries WHERE run_id = ? AND address IN (SELECT address FROM digest_deliveries WHERE run_id = ? ORDER BY address LIMIT ?)`,
  );
  const pendingPage = db.prepare<[number, string, number], DeliveryRow>(
    `SELECT * FROM digest_deliveries WHERE run_id = ? AND status = 'pending' AND address > ? ORDER BY address LIMIT ?`,
  );
  const keptCounts = db.prepare<[number], { counts: string | null }>(`SELECT counts FROM digest_runs WHERE id = ?`);
  const countCopies = db.prepare<[number], { status: DeliveryStatus; n: number }>(
    `SELECT status, count(*) AS n FROM digest_deliveries WHERE run_id = ? GROUP BY status`,
  );
  const failedCopies = db.prepare<[number, number], DeliveryRow>(
    `SELECT * FROM digest_deliveries WHERE run_id = ? AND status <> 'sent' AND last_error IS NOT NULL
     ORDER BY CASE status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, address LIMIT ?`,
  );
  const finishRun = db.transaction((runId: number, at: number): boolean => {
    if (selectPending.get(runId)!.n > 0) return false;
    closeRun.run({ runId, at });
    return true;
  });
  return {
    /**
     * Records a run and all its recipients as pending, in one IMMEDIATE transaction, unless a
     * run after `afterRunId` (the cursor the run was planned from) exists already: then that run.
     */
    claimRun: (run: NewRun): ClaimedRun => claimRunTx.immediate(run),

    /**
     * Claims one pending delivery for `owner` to send; null when it is sent, failed, or another
     * live sender holds it. A claim is taken over when older than `staleBefore` or its owner is dead,
     * and `owner`'s own claim is taken again (the caller runs one attempt per delivery at a time:
     * delivery-attempts.ts).
     */
    claimDelivery(
      runId: number,
      address: string,
      owner: string,
      now: Date,
      staleBefore: Date,
      isDead: (owner: string) => boolean,
    ): DeliveryClaim | null {
      const row = selectClaim.get(runId, address);
      if (!row || row.status !== 'pending') return null;
      const seen = row.claim_owner;
      if (seen !== null && !((row.claimed_at ?? 0) < staleBefore.getTime() || seen === owner || isDead(seen))) return null;
      const seenToken = row.claim_token;
      if (takeClaim.run({ owner, now: now.getTime(), runId, address, seenToken }).changes !== 1) return null;
      return { runId, address, owner, token: seenToken + 1 };
    },

    /** Stamps a held claim fresh (a sender about to hand the message to SMTP); false when the claim was lost. */
    renewClaim(claim: DeliveryClaim, now: Date): boolean {
      return renewClaim.run({ ...claim, now: now.getTime() }).changes === 1;
    },

    /** The newest run of a digest, or null. */
    latestRun(digestId: string): DigestRun | null {
      const row = db.prepare<[string], RunRow>(`SELECT * FROM digest_runs WHERE digest_id = ? ORDER BY id DESC LIMIT 1`).get(digestId);
      return row ? toRun(row) : null;
    },

    /** Runs still sending (interrupted or with transient failures), oldest first. */
    unfinishedRuns(digestId: string): DigestRun[] {
      return db
        .prepare<[string], RunRow>(`SELECT * FROM digest_runs WHERE digest_id = ? AND status = 'sending' ORDER BY id`)
        .all(digestId)
        .map(toRun);
    },

    /** The newest runs of a digest (all digests when null), newest first. */
    listRuns(digestId: string | null, limit: number): DigestRun[] {
      const sql = `SELECT * FROM digest_runs ${digestId === null ? '' : 'WHERE digest_id = ?'} ORDER BY id DESC LIMIT ?`;
      return db
        .prepare<unknown[], RunRow>(sql)
        .all(...(digestId === null ? [] : [digestId]), limit)
        .map(toRun);
    },

    /** Every recipient of a run. */
    deliveries(runId: number): Delivery[] {
      return db
        .prepare<[number], DeliveryRow>(`SELECT * FROM digest_deliveries WHERE run_id = ? ORDER BY address`)
        .all(runId)
        .map(toDelivery);
    },

    /** Up to `limit` pending copies of a run after the address `after`, by address. */
    pendingCopies: (runId: number, after: string, limit: number): Delivery[] => pendingPage.all(runId, after, limit).map(toDelivery),

    /** A run's copies by status: the counts it kept when it finished, else its deliveries counted. */
    deliveryCounts(runId: number): Partial<Record<DeliveryStatus, number>> {
      const kept = keptCounts.get(runId)?.counts;
      if (kept) return JSON.parse(kept) as Partial<Record<DeliveryStatus, number>>;
      return Object.fromEntries(countCopies.all(runId).map((row) => [row.status, row.n]));
    },

    /** Up to `limit` copies of a run not sent that carry an error: failed, then pending, then skipped, each by address. */
    deliveryErrors: (runId: number, limit: number): Delivery[] => failedCopies.all(runId, limit).map(toDelivery),

    /** The runs finished before `before` that still have copies, oldest first. */
    prunableRuns: (before: Date): number[] => prunableRuns.all(before.getTime()).map((row) => row.id),

    /** Deletes up to `limit` copies of run `runId` (one short transaction); how many it deleted. */
    pruneCopies: (runId: number, limit: number): number => deleteCopies.run(runId, runId, limit).changes,

    /**
     * Records the state of a delivery `claim` holds, ending the claim; `attempts` adds to its count
     * of send attempts. False, writing nothing, when the claim was taken over meanwhile.
     */
    markDelivery(
      claim: DeliveryClaim,
      status: DeliveryStatus,
      options: { error?: string | null; sentAt?: Date; attempts?: number } = {},
    ): boolean {
      return (
        setStatus.run({
          ...claim,
          status,
          error: options.error ?? null,
          sentAt: options.sentAt?.getTime() ?? null,
          attempt: options.attempts ?? 0,
        }).changes === 1
      );
    },

    /** Closes a run whose every delivery is sent or permanently failed, keeping their counts by status; true when it closed. */
    finishRunIfDone: (runId: number, at: Date): boolean => finishRun.immediate(runId, at.getTime()),
  };
}
