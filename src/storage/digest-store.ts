/**
 * Digest runs and per-recipient deliveries, recorded before anything is sent, so a crash
 * resumes with exactly the recipients not yet sent (unsubscribes: subscription-store.ts).
 */
import type { Delivery, DeliveryStatus, DigestRun } from '../model.ts';
import type { Database } from './database.ts';

interface RunRow {
  id: number;
  digest_id: string;
  created_at: number;
  from_story_id: number;
  to_story_id: number;
  story_ids: string;
  subject: string;
  status: 'sending' | 'done';
  finished_at: number | null;
}

interface DeliveryRow {
  run_id: number;
  address: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  message_id: string;
  sent_at: number | null;
}

/** A run to create, with its recipients. */
export type NewRun = Omit<DigestRun, 'id' | 'status' | 'finishedAt'> & { recipients: Array<{ address: string; messageId: string }> };

export type DigestStore = ReturnType<typeof createDigestStore>;

function toRun(row: RunRow): DigestRun {
  return {
    id: row.id, digestId: row.digest_id, createdAt: new Date(row.created_at), fromStoryId: row.from_story_id,
    toStoryId: row.to_story_id, storyIds: JSON.parse(row.story_ids) as number[], subject: row.subject,
    status: row.status, finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    runId: row.run_id, address: row.address, status: row.status, attempts: row.attempts, lastError: row.last_error,
    messageId: row.message_id, sentAt: row.sent_at === null ? null : new Date(row.sent_at),
  };
}

/** Builds the digest store over an open database. */
export function createDigestStore(db: Database) {
  const insertRun = db.prepare(`
    INSERT INTO digest_runs (digest_id, created_at, from_story_id, to_story_id, story_ids, subject, status)
    VALUES (?, ?, ?, ?, ?, ?, 'sending')`);
  const insertDelivery = db.prepare(`INSERT INTO digest_deliveries (run_id, address, status, message_id) VALUES (?, ?, 'pending', ?)`);
  const setStatus = db.prepare(`
    UPDATE digest_deliveries SET status = @status, attempts = attempts + @attempt, last_error = @error,
      sent_at = coalesce(@sentAt, sent_at)
    WHERE run_id = @runId AND address = @address`);

  return {
    /** Records a run and all its recipients as pending, in one transaction. */
    createRun: db.transaction((run: NewRun): DigestRun => {
      const id = Number(insertRun.run(run.digestId, run.createdAt.getTime(), run.fromStoryId, run.toStoryId, JSON.stringify(run.storyIds), run.subject).lastInsertRowid);
      for (const recipient of run.recipients) insertDelivery.run(id, recipient.address, recipient.messageId);
      return toRun(db.prepare<[number], RunRow>(`SELECT * FROM digest_runs WHERE id = ?`).get(id)!);
    }),

    /** The newest run of a digest, or null. */
    latestRun(digestId: string): DigestRun | null {
      const row = db.prepare<[string], RunRow>(`SELECT * FROM digest_runs WHERE digest_id = ? ORDER BY id DESC LIMIT 1`).get(digestId);
      return row ? toRun(row) : null;
    },

    /** Runs still sending (interrupted or with transient failures), oldest first. */
    unfinishedRuns(digestId: string): DigestRun[] {
      return db.prepare<[string], RunRow>(`SELECT * FROM digest_runs WHERE digest_id = ? AND status = 'sending' ORDER BY id`).all(digestId).map(toRun);
    },

    /** The newest runs of a digest (all digests when null), newest first. */
    listRuns(digestId: string | null, limit: number): DigestRun[] {
      const sql = `SELECT * FROM digest_runs ${digestId === null ? '' : 'WHERE digest_id = ?'} ORDER BY id DESC LIMIT ?`;
      return db.prepare<unknown[], RunRow>(sql).all(...(digestId === null ? [] : [digestId]), limit).map(toRun);
    },

    /** Every recipient of a run. */
    deliveries(runId: number): Delivery[] {
      return db.prepare<[number], DeliveryRow>(`SELECT * FROM digest_deliveries WHERE run_id = ? ORDER BY address`).all(runId).map(toDelivery);
    },

    /** Records one delivery's state; `attempts` adds to its count of send attempts. */
    markDelivery(runId: number, address: string, status: DeliveryStatus, options: { error?: string | null; sentAt?: Date; attempts?: number } = {}): void {
      setStatus.run({ runId, address, status, error: options.error ?? null, sentAt: options.sentAt?.getTime() ?? null, attempt: options.attempts ?? 0 });
    },

    /** Closes a run whose every delivery is sent or permanently failed; true when it closed. */
    finishRunIfDone(runId: number, at: Date): boolean {
      const open = db.prepare<[number], { n: number }>(
        `SELECT count(*) AS n FROM digest_deliveries WHERE run_id = ? AND status = 'pending'`).get(runId)!.n;
      if (open > 0) return false;
      db.prepare(`UPDATE digest_runs SET status = 'done', finished_at = ? WHERE id = ? AND status = 'sending'`).run(at.getTime(), runId);
      return true;
    },
  };
}
