/** Unsubscribes per digest in PostgreSQL: the rules of sqlite/subscription-store.ts (rows updated, never deleted; epochs only grow). */
import { ALL_DIGESTS as ALL, resolveSubscription, type SubscriptionRecord, type SubscriptionState } from '../store.ts';
import type { PostgresDatabase, Sql } from './database.ts';

/** The subscription store over a PostgreSQL database. */
export function createPostgresSubscriptionStore(db: PostgresDatabase) {
  const state = async (sql: Sql, address: string, digestId: string): Promise<SubscriptionState | null> => {
    const rows = await sql.query<SubscriptionRecord>(`SELECT * FROM subscriptions WHERE address = $1 AND digest_id IN ($2, $3)`, [
      address.toLowerCase(),
      digestId,
      ALL,
    ]);
    return resolveSubscription(
      digestId,
      rows.find((row) => row.digest_id === digestId),
      rows.find((row) => row.digest_id === ALL),
    );
  };

  const states = async (digestId: string): Promise<Map<string, SubscriptionState>> => {
    const byAddress = new Map<string, { own?: SubscriptionRecord; all?: SubscriptionRecord }>();
    for (const row of await db.query<SubscriptionRecord>(`SELECT * FROM subscriptions WHERE digest_id IN ($1, $2)`, [digestId, ALL])) {
      const entry = byAddress.get(row.address) ?? {};
      if (row.digest_id === ALL) entry.all = row;
      else entry.own = row;
      byAddress.set(row.address, entry);
    }
    const result = new Map<string, SubscriptionState>();
    for (const [address, { own, all }] of byAddress) {
      const resolved = resolveSubscription(digestId, own, all);
      if (resolved) result.set(address, resolved);
    }
    return result;
  };

  return {
    /** Stops `digestId` (every digest when null) for `address`; a second unsubscribe keeps the first one's time. */
    unsubscribe: (address: string, digestId: string | null, at: Date): Promise<void> =>
      db.transaction(async (tx) => {
        const lower = address.toLowerCase();
        await tx.run(
          `INSERT INTO subscriptions AS s (address, digest_id, state, at) VALUES ($1, $2, 'unsubscribed', $3)
           ON CONFLICT (address, digest_id) DO UPDATE SET state = 'unsubscribed', at = excluded.at WHERE s.state <> 'unsubscribed'`,
          [lower, digestId ?? ALL, at.getTime()],
        );
        if (digestId === null) {
          await tx.run(`UPDATE subscriptions SET state = 'unsubscribed', at = $1 WHERE address = $2 AND state <> 'unsubscribed'`, [
            at.getTime(),
            lower,
          ]);
        }
      }),

    /** Undoes an unsubscribe from `digestId` (from every digest when null); true when there was one. */
    resubscribe: (address: string, digestId: string | null, at: Date): Promise<boolean> =>
      db.transaction(async (tx) => {
        const lower = address.toLowerCase();
        if (digestId === null) {
          return (
            (await tx.run(
              `UPDATE subscriptions SET state = 'subscribed', epoch = epoch + 1, at = $1 WHERE address = $2 AND state = 'unsubscribed'`,
              [at.getTime(), lower],
            )) > 0
          );
        }
        if ((await state(tx, lower, digestId))?.state !== 'unsubscribed') return false;
        await tx.run(
          `INSERT INTO subscriptions AS s (address, digest_id, state, epoch, at) VALUES ($1, $2, 'subscribed', 1, $3)
           ON CONFLICT (address, digest_id) DO UPDATE SET state = 'subscribed', epoch = s.epoch + 1, at = excluded.at`,
          [lower, digestId, at.getTime()],
        );
        return true;
      }),

    /** The standing of one address for one digest, or null when nothing was ever recorded. */
    state: (address: string, digestId: string) => state(db, address, digestId),

    /** The standing of every address with anything recorded for `digestId`, by address. */
    states,

    /** Addresses that must not get `digestId`; without one, those unsubscribed from any digest. */
    async unsubscribed(digestId?: string): Promise<Set<string>> {
      if (digestId === undefined) {
        const rows = await db.query<{ address: string }>(`SELECT DISTINCT address FROM subscriptions WHERE state = 'unsubscribed'`);
        return new Set(rows.map((row) => row.address));
      }
      return new Set(
        [...(await states(digestId)).values()].filter((entry) => entry.state === 'unsubscribed').map((entry) => entry.address),
      );
    },
  };
}
