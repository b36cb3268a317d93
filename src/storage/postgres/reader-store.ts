/** What readers do themselves, in PostgreSQL: the rules of sqlite/reader-store.ts. */
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
import type { PostgresDatabase } from './database.ts';

/** The reader store over a PostgreSQL database. */
export function createPostgresReaderStore(db: PostgresDatabase) {
  return {
    async saveSignup(signup: Signup, forgetBefore?: Date, replaceBefore?: Date): Promise<boolean> {
      // A request at once with another waits for its row, then reads it committed (READ COMMITTED
      // re-checks the WHERE on the newest version): only one of them is kept.
      const kept = await db.run(
        `INSERT INTO signups (digest_id, address, name, choices, requested_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (digest_id, address) DO UPDATE SET name = excluded.name, choices = excluded.choices, requested_at = excluded.requested_at
         WHERE signups.requested_at <= $6`,
        signupParams(signup, replaceBefore),
      );
      // Its own statement: a purge that waits on a lock never holds up the signup kept above.
      if (forgetBefore) await db.run(`DELETE FROM signups WHERE requested_at < $1`, [forgetBefore.getTime()]);
      return kept > 0;
    },
    dropSignup: async (digestId: string, address: string, requestedAt: Date): Promise<boolean> =>
      (await db.run(`DELETE FROM signups WHERE digest_id = $1 AND address = $2 AND requested_at = $3`, [
        digestId,
        address.toLowerCase(),
        requestedAt.getTime(),
      ])) > 0,
    async signup(digestId: string, address: string): Promise<Signup | null> {
      const [row] = await db.query<SignupRow>(`SELECT * FROM signups WHERE digest_id = $1 AND address = $2`, [
        digestId,
        address.toLowerCase(),
      ]);
      return row ? toSignup(row) : null;
    },
    listSignups: async (digestId: string | null): Promise<Signup[]> =>
      (digestId === null
        ? await db.query<SignupRow>(`SELECT * FROM signups ORDER BY digest_id, address`)
        : await db.query<SignupRow>(`SELECT * FROM signups WHERE digest_id = $1 ORDER BY address`, [digestId])
      ).map(toSignup),
    confirmSignup: (digestId: string, address: string, requestedAt: Date, at: Date): Promise<boolean> =>
      db.transaction(async (tx) => {
        const lower = address.toLowerCase();
        // Deleting the signup first claims it: a link followed twice at once confirms once.
        const [signup] = await tx.query<SignupRow>(
          `DELETE FROM signups WHERE digest_id = $1 AND address = $2 AND requested_at = $3 RETURNING *`,
          [digestId, lower, requestedAt.getTime()],
        );
        if (!signup) return false;
        await tx.run(
          `INSERT INTO subscribers AS s (digest_id, address, name, added_at, choices, paused) VALUES ($1, $2, $3, $4, $5, 0)
           ON CONFLICT (digest_id, address) DO UPDATE SET name = coalesce(excluded.name, s.name), choices = excluded.choices, paused = 0`,
          [digestId, lower, signup.name, at.getTime(), signup.choices],
        );
        return true;
      }),
    preferences: async (address: string): Promise<Preferences[]> =>
      (
        await db.query<PreferencesRow>(
          `SELECT digest_id, address, name, choices, paused FROM subscribers WHERE address = $1 ORDER BY digest_id`,
          [address.toLowerCase()],
        )
      ).map(toPreferences),
    async setPreferences(digestId: string, address: string, change: { choices?: ReaderChoices; paused?: boolean }): Promise<boolean> {
      const rows = await db.query(
        `UPDATE subscribers SET choices = coalesce($3, choices), paused = coalesce($4, paused) WHERE digest_id = $1 AND address = $2 RETURNING 1`,
        [
          digestId,
          address.toLowerCase(),
          change.choices ? writeChoices(change.choices) : null,
          change.paused === undefined ? null : change.paused ? 1 : 0,
        ],
      );
      return rows.length > 0;
    },
    async subscriberChoices(digestId: string): Promise<Map<string, ReaderChoices>> {
      const rows = await db.query<{ address: string; choices: string }>(
        `SELECT address, choices FROM subscribers WHERE digest_id = $1 AND choices <> '{}'`,
        [digestId],
      );
      return new Map(rows.map((row) => [row.address, readChoices(row.choices)] as const).filter(([, choices]) => !choosesAll(choices)));
    },
    recordPermanentFailure: (address: string, error: string, at: Date, threshold: number): Promise<boolean> =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<{ bouncing_since: number | null }>(
          `INSERT INTO bounces AS b (address, failures, last_error, last_at) VALUES ($1, 1, $2, $3)
           ON CONFLICT (address) DO UPDATE SET failures = b.failures + 1, last_error = excluded.last_error, last_at = excluded.last_at
           RETURNING failures, bouncing_since`,
          [address.toLowerCase(), error, at.getTime()],
        );
        if (row!.bouncing_since !== null) return true;
        const marked = await tx.run(`UPDATE bounces SET bouncing_since = $2 WHERE address = $1 AND failures >= $3`, [
          address.toLowerCase(),
          at.getTime(),
          threshold,
        ]);
        return marked > 0;
      }),
    async clearFailures(address: string): Promise<void> {
      // Bounce reports stay: the copy just accepted may be bounced by mail later, as the earlier ones were.
      await db.transaction(async (tx) => {
        await tx.run(`UPDATE bounces SET failures = 0 WHERE address = $1 AND bouncing_since IS NULL`, [address.toLowerCase()]);
        await tx.run(`DELETE FROM bounces WHERE address = $1 AND bouncing_since IS NULL AND reported = 0`, [address.toLowerCase()]);
      });
    },
    recordBounceReport: (address: string, messageIds: readonly string[], error: string, at: Date, threshold: number) =>
      db.transaction(async (tx): Promise<'counted' | 'bouncing' | 'duplicate' | 'unknown'> => {
        const lower = address.toLowerCase();
        const [copy] = await tx.query<{ run_id: number; status: string; last_error: string | null }>(
          `SELECT run_id, status, last_error FROM digest_deliveries WHERE address = $1 AND message_id = ANY($2::text[]) LIMIT 1 FOR UPDATE`,
          [lower, [...messageIds]],
        );
        if (!copy) return 'unknown';
        if (copy.last_error?.startsWith(BOUNCED)) return 'duplicate';
        await tx.run(`UPDATE digest_deliveries SET status = 'failed', last_error = $3 WHERE run_id = $1 AND address = $2`, [
          copy.run_id,
          lower,
          `${BOUNCED}${error}`,
        ]);
        // A finished run keeps its copies' counts (schema 26): this one moves to failed there too.
        // The run's row is read locked after the copy's change: a run finishing meanwhile counted
        // the copy as it was, and its counts are seen here once it commits.
        if (copy.status !== 'failed') {
          const [run] = await tx.query<{ counts: string | null }>(`SELECT counts FROM digest_runs WHERE id = $1 FOR UPDATE`, [copy.run_id]);
          if (run?.counts != null)
            await tx.run(`UPDATE digest_runs SET counts = $2 WHERE id = $1`, [copy.run_id, movedCount(run.counts, copy.status, 'failed')]);
        }
        const [row] = await tx.query<{ reported: number; bouncing_since: number | null }>(
          `INSERT INTO bounces AS b (address, failures, last_error, last_at, reported) VALUES ($1, 0, $2, $3, 1)
           ON CONFLICT (address) DO UPDATE SET last_error = excluded.last_error, last_at = excluded.last_at,
             reported = CASE WHEN b.last_at < $4 THEN 1 ELSE b.reported + 1 END
           RETURNING reported, bouncing_since`,
          [lower, `${BOUNCED}${error}`, at.getTime(), at.getTime() - BOUNCE_REPORTS_STALE_MS],
        );
        if (row!.bouncing_since !== null) return 'bouncing';
        if (Number(row!.reported) < threshold) return 'counted';
        await tx.run(`UPDATE bounces SET bouncing_since = $2 WHERE address = $1`, [lower, at.getTime()]);
        return 'bouncing';
      }),
    clearBounce: async (address: string): Promise<boolean> =>
      (await db.run(`DELETE FROM bounces WHERE address = $1`, [address.toLowerCase()])) > 0,
    listBounces: async (): Promise<Bounce[]> => (await db.query<BounceRow>(`SELECT * FROM bounces ORDER BY address`)).map(toBounce),
    bouncingAddresses: async (): Promise<Set<string>> =>
      new Set(
        (await db.query<{ address: string }>(`SELECT address FROM bounces WHERE bouncing_since IS NOT NULL`)).map((row) => row.address),
      ),
  };
}

/** A finished run's counts by status (JSON text) with one copy moved from `from` to `to`. */
function movedCount(counts: string, from: string, to: string): string {
  const parsed = JSON.parse(counts) as Record<string, number>;
  parsed[from] = (parsed[from] ?? 0) - 1;
  parsed[to] = (parsed[to] ?? 0) + 1;
  return JSON.stringify(parsed);
}
