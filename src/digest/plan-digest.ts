/**
 * What the next run of a digest covers: stories first stored since the previous run (its
 * story-id cursor; the last 24 hours for a first run), filtered by the digest's tags and
 * feeds and to those published shortly before they were first stored, and the recipients
 * who have not unsubscribed. Reads only.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/load.ts';
import type { DigestConfig } from '../config/schema.ts';
import type { Story } from '../model.ts';
import type { Store } from '../storage/store.ts';

const HOUR_MS = 3600 * 1000;
const FIRST_RUN_WINDOW_MS = 24 * HOUR_MS;

export interface DigestPlan {
  /** The run this one follows (0: none), the cursor the new run is claimed against. */
  afterRunId: number;
  fromStoryId: number;
  toStoryId: number;
  stories: Story[];
  /**
   * The digest's to: list (lower-cased, each once), none unsubscribed or bouncing; `name` for the
   * To header. Its subscribers kept as data are added by the store as the run is recorded (a
   * million of them never pass through memory); digestRecipients lists both.
   */
  listed: Array<{ address: string; name: string | null }>;
}

/** The feeds a digest draws from: its `feeds`, plus those with one of its `tags`; every feed when both are empty. */
export function digestFeedIds(digest: DigestConfig, config: Config): string[] | undefined {
  if (digest.feeds.length === 0 && digest.tags.length === 0) return undefined;
  return config.feeds
    .filter((feed) => digest.feeds.includes(feed.id) || feed.tags.some((tag) => digest.tags.includes(tag)))
    .map((feed) => feed.id);
}

/**
 * Whether `story` was news when first stored: published at most `maxAgeHours` before. A newly
 * added feed's backlog (and a new install's first poll) is stored and published in the merged
 * feed, but not mailed as new. A story with no date (or a future one) took its first-seen time
 * as its published time in normalizeItems, so it counts as fresh.
 */
export function wasFreshWhenStored(story: Story, maxAgeHours: number): boolean {
  return story.firstSeenAt.getTime() - story.published.getTime() <= maxAgeHours * HOUR_MS;
}

/** Plans the next run of `digest` at `now`. */
export async function planDigest(digest: DigestConfig, config: Config, store: Store, now: Date): Promise<DigestPlan> {
  const previous = await store.latestDigestRun(digest.id);
  const fromStoryId = previous ? previous.toStoryId : await store.maxStoryIdSeenBefore(new Date(now.getTime() - FIRST_RUN_WINDOW_MS));
  const toStoryId = Math.max(fromStoryId, await store.maxStoryId());
  const feedIds = digestFeedIds(digest, config);
  // Filtered here, when the run is planned: the run freezes its story ids, so a resumed run
  // sends exactly these whatever maxAgeHours says by then.
  const inRange = await store.storiesByIds(await store.storyIdsInRange(fromStoryId, toStoryId, feedIds));
  const stories = inRange.filter((story) => wasFreshWhenStored(story, digest.maxAgeHours));
  return {
    afterRunId: previous?.id ?? 0,
    fromStoryId,
    toStoryId,
    stories,
    listed: [...(await listedRecipients(digest, store))].map(([address, name]) => ({ address, name })),
  };
}

/** The recipients of `digest`'s to: list, lower-cased, each once, with their names; none unsubscribed or bouncing. */
async function listedRecipients(
  digest: DigestConfig,
  store: Pick<Store, 'unsubscribedAddresses' | 'bouncingAddresses'>,
): Promise<Map<string, string | null>> {
  const [unsubscribed, bouncing] = await Promise.all([store.unsubscribedAddresses(digest.id), store.bouncingAddresses()]);
  const recipients = new Map<string, string | null>();
  for (const address of digest.to.map((to) => to.toLowerCase())) {
    if (!unsubscribed.has(address) && !bouncing.has(address) && !recipients.has(address))
      recipients.set(address, digest.recipientNames[address] ?? null);
  }
  return recipients;
}

/**
 * Who gets the next run: the to: list of feeds.yaml (with its display names), then the digest's
 * subscribers kept as data, each address once (the to: entry first), none who unsubscribed.
 */
export async function digestRecipients(
  digest: DigestConfig,
  store: Pick<Store, 'unsubscribedAddresses' | 'digestSubscribers' | 'bouncingAddresses'>,
): Promise<Array<{ address: string; name: string | null }>> {
  const recipients = await listedRecipients(digest, store);
  for (const subscriber of await store.digestSubscribers(digest.id)) {
    if (!recipients.has(subscriber.address)) recipients.set(subscriber.address, subscriber.name);
  }
  return [...recipients].map(([address, name]) => ({ address, name }));
}

/**
 * The Message-IDs of a run's copies: `prefix`, the first 16 hex digits of the SHA-256 of the
 * lower-cased address (UTF-8), `suffix`; the stores compute the same for the subscribers they add.
 */
export function messageIdFormat(digestId: string, createdAt: Date, from: string): { prefix: string; suffix: string } {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'columnwire.localhost';
  return { prefix: `<${digestId}.${createdAt.getTime()}.`, suffix: `@${domain}>` };
}

/** The stable Message-ID of one recipient's copy of a run (the same on every retry). */
export function digestMessageId(digestId: string, createdAt: Date, address: string, from: string): string {
  const { prefix, suffix } = messageIdFormat(digestId, createdAt, from);
  return `${prefix}${createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16)}${suffix}`;
}
