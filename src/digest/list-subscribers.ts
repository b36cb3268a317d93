/**
 * Who gets each digest: the recipients of its to: list and its subscribers kept as data, each
 * with their standing (subscribed, or unsubscribed and since when, from this digest or from all
 * of them). Subscribers are read a page at a time, so a million of them list in bounded memory.
 * Reads only.
 */
import type { DigestConfig } from '../config/schema.ts';
import type { Store, SubscriptionState } from '../storage/store.ts';

/** One recipient of one digest. */
export interface SubscriberRow {
  address: string;
  digestId: string;
  /** Where the address comes from: the digest's to: list in the config, or `subscribers add|import`. */
  source: 'config' | 'subscriber';
  name: string | null;
  state: 'subscribed' | 'unsubscribed';
  /** When the last unsubscribe or resubscribe happened; null when neither ever did. */
  since: Date | null;
  /** Where that came from: this digest's link or command, or one for every digest; null with `since`. */
  scope: 'digest' | 'all' | null;
}

const PAGE = 1_000;

/** The recipients of `digests`, by digest: the to: list, then the subscribers, each address once, lower-cased. */
export async function* listSubscribers(
  digests: readonly DigestConfig[],
  store: Pick<Store, 'subscriptionStates' | 'listSubscribers'>,
): AsyncGenerator<SubscriberRow> {
  for (const digest of digests) {
    const states = await store.subscriptionStates(digest.id);
    const row = (address: string, source: SubscriberRow['source'], name: string | null): SubscriberRow => {
      const standing: SubscriptionState | undefined = states.get(address);
      return standing
        ? { address, digestId: digest.id, source, name, state: standing.state, since: standing.since, scope: standing.scope }
        : { address, digestId: digest.id, source, name, state: 'subscribed', since: null, scope: null };
    };
    const configured = [...new Set(digest.to.map((to) => to.toLowerCase()))].sort();
    for (const address of configured) yield row(address, 'config', digest.recipientNames[address] ?? null);
    const inConfig = new Set(configured);
    let after: { digestId: string; address: string } | undefined;
    for (;;) {
      const page = await store.listSubscribers(digest.id, { limit: PAGE, ...(after ? { after } : {}) });
      for (const subscriber of page) if (!inConfig.has(subscriber.address)) yield row(subscriber.address, 'subscriber', subscriber.name);
      if (page.length < PAGE) break;
      after = page.at(-1)!;
    }
  }
}
