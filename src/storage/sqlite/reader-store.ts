/** What readers do themselves, in SQLite: signups waiting for confirmation, their preferences, and addresses that bounce. */
import {
  choosesAll,
  readChoices,
  signupParams,
  toBounce,
  toPreferences,
  toSignup,
  writeChoices,
  type BounceRow,
  type PreferencesRow,
  type SignupRow,
} from '../reader-rows.ts';
import { BOUNCE_REPORTS_STALE_MS, BOUNCED, type Bounce, type Preferences, type ReaderChoices, type Signup } from '../store.ts';
import type { Database } from './database.ts';

/** Builds the reader store over an open database. */
export function createReaderStore(db: Database) {
  const selectSignup = db.prepare<[string, string], SignupRow>(`SELECT * FROM signups WHERE digest_id = ? AND address = ?`);
  const confirm = db.transaction((digestId: string, address: string, requestedAt: number, at: number): boolean => {
    const signup = selectSignup.get(digestId, address);
    if (!signup || signup.requested_at !== requestedAt) return false;
    db.prepare(
      `INSERT INTO subscribers (digest_id, address, name, added_at, choices, paused) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (digest_id, address) DO UPDATE SET name = coalesce(excluded.name, name), choices = excluded.choices, paused = 0`,
    ).run(digestId, address, signup.name, at, signup.choices);
    db.prepare(`DELETE FROM signups WHERE digest_id = ? AND address = ?`).run(digestId, address);
    return true;
  });
  const fail = db.transaction((address: string, error: string, at: number, threshold: number): boolean => {
    db.prepare(
      `INSERT INTO bounces (address, failures, last_error, last_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (address) DO UPDATE SET failures = failures + 1, last_error = excluded.last_error, last_at = excluded.last_at`,
    ).run(address, error, at);
    db.prepare(`UPDATE bounces SET bouncing_since = ? WHERE address = ? AND bouncing_since IS NULL AND failures >= ?`).run(
      at,
      address,
      threshold,
    );
    return (
      db.prepare<[string], { bouncing_since: number | null }>(`SELECT bouncing_since FROM bounces WHERE address = ?`).get(address)
        ?.bouncing_since != null
    );
  });
  const moveRunCount = db.prepare<[{ runId: number; from: string; to: string }]>(
    `UPDATE digest_runs SET counts = json_set(counts, @from, coalesce(json_extract(counts, @from), 0) - 1, @to, coalesce(json_extract(counts, @to), 0) + 1)
     WHERE id = @runId AND counts IS NOT NULL`,
  );
  const report = db.transaction(
    (
      address: string,
      messageIds: string,
      error: string,
      at: number,
      threshold: number,
    ): 'counted' | 'bouncing' | 'duplicate' | 'unknown' => {
      const copy = db
        .prepare<[string, string], { run_id: number; status: string; last_error: string | null }>(
          `SELECT run_id, status, last_error FROM digest_deliveries WHERE address = ? AND message_id IN (SELECT value FROM json_each(?))`,
        )
        .get(address, messageIds);
      if (!copy) return 'unknown';
      if (copy.last_error?.startsWith(BOUNCED)) return 'duplicate';
      db.prepare(`UPDATE digest_deliveries SET status = 'failed', last_error = ? WHERE run_id = ? AND address = ?`).run(
        `${BOUNCED}${error}`,
        copy.run_id,
        address,
      );
      // A finished run keeps its copies' counts (schema 26): this one moves to failed there too.
      if (copy.status !== 'failed') moveRunCount.run({ runId: copy.run_id, from: `$.${copy.status}`, to: '$.failed' });
      db.prepare(
        `INSERT INTO bounces (address, failures, last_error, last_at, reported) VALUES (?, 0, ?, ?, 1)
         ON CONFLICT (address) DO UPDATE SET last_error = excluded.last_error, last_at = excluded.last_at,
           reported = CASE WHEN bounces.last_at < ? THEN 1 ELSE bounces.reported + 1 END`,
      ).run(address, `${BOUNCED}${error}`, at, at - BOUNCE_REPORTS_STALE_MS);
      db.prepare(`UPDATE bounces SET bouncing_since = ? WHERE address = ? AND bouncing_since IS NULL AND reported >= ?`).run(
        at,
        address,
        threshold,
      );
      const row = db
        .prepare<[string], { bouncing_since: number | null }>(`SELECT bouncing_since FROM bounces WHERE address = ?`)
        .get(address);
      return row?.bouncing_since != null ? 'bouncing' : 'counted';
    },
  );
  return {
    saveSignup: db.transaction((signup: Signup, forgetBefore?: Date, replaceBefore?: Date): boolean => {
      const kept = db
        .prepare(
          `INSERT INTO signups (digest_id, address, name, choices, requested_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (digest_id, address) DO UPDATE SET name = excluded.name, choices = excluded.choices, requested_at = excluded.requested_at
           WHERE signups.requested_at <= ?`,
        )
        .run(...signupParams(signup, replaceBefore)).changes;
      if (forgetBefore) db.prepare(`DELETE FROM signups WHERE requested_at < ?`).run(forgetBefore.getTime());
      return kept > 0;
    }),
    dropSignup: (digestId: string, address: string, requestedAt: Date): boolean =>
      db
        .prepare(`DELETE FROM signups WHERE digest_id = ? AND address = ? AND requested_at = ?`)
        .run(digestId, address.toLowerCase(), requestedAt.getTime()).changes > 0,
    signup: (digestId: string, address: string): Signup | null => {
      const row = selectSignup.get(digestId, address.toLowerCase());
      return row ? toSignup(row) : null;
    },
    listSignups: (digestId: string | null): Signup[] =>
      (digestId === null
        ? db.prepare<[], SignupRow>(`SELECT * FROM signups ORDER BY digest_id, address`).all()
        : db.prepare<[string], SignupRow>(`SELECT * FROM signups WHERE digest_id = ? ORDER BY address`).all(digestId)
      ).map(toSignup),
    confirmSignup: (digestId: string, address: string, requestedAt: Date, at: Date): boolean =>
      confirm.immediate(digestId, address.toLowerCase(), requestedAt.getTime(), at.getTime()),
    preferences: (address: string): Preferences[] =>
      db
        .prepare<[string], PreferencesRow>(
          `SELECT digest_id, address, name, choices, paused FROM subscribers WHERE address = ? ORDER BY digest_id`,
        )
        .all(address.toLowerCase())
        .map(toPreferences),
    setPreferences(digestId: string, address: string, change: { choices?: ReaderChoices; paused?: boolean }): boolean {
      const result = db
        .prepare(`UPDATE subscribers SET choices = coalesce(?, choices), paused = coalesce(?, paused) WHERE digest_id = ? AND address = ?`)
        .run(
          change.choices ? writeChoices(change.choices) : null,
          change.paused === undefined ? null : change.paused ? 1 : 0,
          digestId,
          address.toLowerCase(),
        );
      return result.changes > 0;
    },
    subscriberChoices(digestId: string): Map<string, ReaderChoices> {
      const rows = db
        .prepare<[string], { address: string; choices: string }>(
          `SELECT address, choices FROM subscribers WHERE digest_id = ? AND choices <> '{}'`,
        )
        .all(digestId);
      const chosen = rows.map((row) => [row.address, readChoices(row.choices)] as const).filter(([, choices]) => !choosesAll(choices));
      return new Map(chosen);
    },
    recordPermanentFailure: (address: string, error: string, at: Date, threshold: number): boolean =>
      fail.immediate(address.toLowerCase(), error, at.getTime(), threshold),
    clearFailures(address: string): void {
      // Bounce reports stay: the copy just accepted may be bounced by mail later, as the earlier ones were.
      db.prepare(`UPDATE bounces SET failures = 0 WHERE address = ? AND bouncing_since IS NULL`).run(address.toLowerCase());
      db.prepare(`DELETE FROM bounces WHERE address = ? AND bouncing_since IS NULL AND reported = 0`).run(address.toLowerCase());
    },
    recordBounceReport: (address: string, messageIds: readonly string[], error: string, at: Date, threshold: number) =>
      report.immediate(address.toLowerCase(), JSON.stringify(messageIds), error, at.getTime(), threshold),
    clearBounce: (address: string): boolean => db.prepare(`DELETE FROM bounces WHERE address = ?`).run(address.toLowerCase()).changes > 0,
    listBounces: (): Bounce[] => db.prepare<[], BounceRow>(`SELECT * FROM bounces ORDER BY address`).all().map(toBounce),
    bouncingAddresses: (): Set<string> =>
      new Set(
        db
          .prepare<[], { address: string }>(`SELECT address FROM bounces WHERE bouncing_since IS NOT NULL`)
          .all()
          .map((row) => row.address),
      ),
  };
}
