/**
 * Who asked not to get which digest, and since when: one row per (address, digest), digest
 * '*' for every digest. Rows are updated, never deleted, so `epoch` (resubscribes so far)
 * only grows; links carry the epoch, which makes a link mailed before a resubscribe old.
 */
import { ALL_DIGESTS as ALL, resolveSubscription, type SubscriptionRecord as SubscriptionRow, type SubscriptionState } from '../store.ts';
import type { Database } from './database.ts';

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;

/** Builds the subscription store over an open database. */
export function createSubscriptionStore(db: Database) {
  const rowsFor = db.prepare<[string, string], SubscriptionRow>(
    `SELECT * FROM subscriptions WHERE address = ? AND digest_id IN (?, '${ALL}')`,
  );
  const rowsOfDigest = db.prepare<[string], SubscriptionRow>(`SELECT * FROM subscriptions WHERE digest_id IN (?, '${ALL}')`);
  // An unsubscribe keeps the time of the first one: "since when" survives a second click.
  const markUnsubscribed = db.prepare<[string, string, number]>(`
    INSERT INTO subscriptions (address, digest_id, state, at) VALUES (?, ?, 'unsubscribed', ?)
    ON CONFLICT (address, digest_id) DO UPDATE SET state = 'unsubscribed', at = excluded.at WHERE state <> 'unsubscribed'`);
  const markOwnRowsUnsubscribed = db.prepare<[number, string]>(
    `UPDATE subscriptions SET state = 'unsubscribed', at = ? WHERE address = ? AND state <> 'unsubscribed'`,
  );
  const markResubscribed = db.prepare<[string, string, number]>(`
    INSERT INTO subscriptions (address, digest_id, state, epoch, at) VALUES (?, ?, 'subscribed', 1, ?)
    ON CONFLICT (address, digest_id) DO UPDATE SET state = 'subscribed', epoch = epoch + 1, at = excluded.at`);
  const markAllResubscribed = db.prepare<[number, string]>(
    `UPDATE subscriptions SET state = 'subscribed', epoch = epoch + 1, at = ? WHERE address = ? AND state = 'unsubscribed'`,
  );

  const state = (address: string, digestId: string): SubscriptionState | null => {
    const rows = rowsFor.all(address.toLowerCase(), digestId);
    return resolveSubscription(
      digestId,
      rows.find((row) => row.digest_id === digestId),
      rows.find((row) => row.digest_id === ALL),
    );
  };

  const states = (digestId: string): Map<string, SubscriptionState> => {
    const byAddress = new Map<string, { own?: SubscriptionRow; all?: SubscriptionRow }>();
    for (const row of rowsOfDigest.all(digestId)) {
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
    /** Stops `digestId` (every digest when null) for `address`. */
    unsubscribe: db.transaction((address: string, digestId: string | null, at: Date): void => {
      const lower = address.toLowerCase();
      markUnsubscribed.run(lower, digestId ?? ALL, at.getTime());
      if (digestId === null) markOwnRowsUnsubscribed.run(at.getTime(), lower);
    }),

    /** Undoes an unsubscribe from `digestId` (from every digest when null); true when there was one. */
    resubscribe: db.transaction((address: string, digestId: string | null, at: Date): boolean => {
      const lower = address.toLowerCase();
      if (digestId === null) return markAllResubscribed.run(at.getTime(), lower).changes > 0;
      if (state(lower, digestId)?.state !== 'unsubscribed') return false;
      markResubscribed.run(lower, digestId, at.getTime());
      return true;
    }),

    /** The standing of one address for one digest, or null when nothing was ever recorded. */
    state,

    /** The standing of every address with anything recorded for `digestId`, by address. */
    states,

    /** Addresses that must not get `digestId`; without one, those unsubscribed from any digest. */
    unsubscribed(digestId?: string): Set<string> {
      if (digestId === undefined) {
        return new Set(
          db
            .prepare<[], { address: string }>(`SELECT DISTINCT address FROM subscriptions WHERE state = 'unsubscribed'`)
            .all()
            .map((row) => row.address),
        );
      }
      return new Set([...states(digestId).values()].filter((entry) => entry.state === 'unsubscribed').map((entry) => entry.address));
    },
  };
}
