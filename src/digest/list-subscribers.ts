/**
 * Who gets each digest: every configured recipient with their standing (subscribed, or
 * unsubscribed and since when, from this digest or from all of them). Reads only.
 */
import type { DigestConfig } from '../config/schema.ts';
import type { Store } from '../storage/store.ts';

/** One recipient of one digest. */
export interface SubscriberRow {
  address: string;
  digestId: string;
  state: 'subscribed' | 'unsubscribed';
  /** When the last unsubscribe or resubscribe happened; null when neither ever did. */
  since: Date | null;
  /** Where that came from: this digest's link or command, or one for every digest; null with `since`. */
  scope: 'digest' | 'all' | null;
}

/** The recipients of `digests`, by digest then address, lower-cased as they are sent to. */
export async function listSubscribers(
  digests: readonly DigestConfig[],
  store: Pick<Store, 'subscriptionStates'>,
): Promise<SubscriberRow[]> {
  const rows: SubscriberRow[] = [];
  for (const digest of digests) {
    const states = await store.subscriptionStates(digest.id);
    for (const address of [...new Set(digest.to.map((to) => to.toLowerCase()))].sort()) {
      const standing = states.get(address);
      rows.push(
        standing
          ? { address, digestId: digest.id, state: standing.state, since: standing.since, scope: standing.scope }
          : { address, digestId: digest.id, state: 'subscribed', since: null, scope: null },
      );
    }
  }
  return rows;
}
