/**
 * What the next run of a digest covers: stories first stored since the previous run (its
 * story-id cursor; the last 24 hours for a first run), filtered by the digest's tags and
 * feeds, and the recipients who have not unsubscribed. Reads only.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/load.ts';
import type { DigestConfig } from '../config/schema.ts';
import type { Story } from '../model.ts';
import type { Store } from '../storage/store.ts';

const FIRST_RUN_WINDOW_MS = 24 * 3600 * 1000;

export interface DigestPlan {
  /** The run this one follows (0: none), the cursor the new run is claimed against. */
  afterRunId: number;
  fromStoryId: number;
  toStoryId: number;
  stories: Story[];
  recipients: string[];
}

/** The feeds a digest draws from: its `feeds`, plus those with one of its `tags`; every feed when both are empty. */
export function digestFeedIds(digest: DigestConfig, config: Config): string[] | undefined {
  if (digest.feeds.length === 0 && digest.tags.length === 0) return undefined;
  return config.feeds
    .filter((feed) => digest.feeds.includes(feed.id) || feed.tags.some((tag) => digest.tags.includes(tag)))
    .map((feed) => feed.id);
}

/** Plans the next run of `digest` at `now`. */
export async function planDigest(digest: DigestConfig, config: Config, store: Store, now: Date): Promise<DigestPlan> {
  const previous = await store.latestDigestRun(digest.id);
  const fromStoryId = previous ? previous.toStoryId : await store.maxStoryIdSeenBefore(new Date(now.getTime() - FIRST_RUN_WINDOW_MS));
  const toStoryId = Math.max(fromStoryId, await store.maxStoryId());
  const feedIds = digestFeedIds(digest, config);
  const stories = await store.storiesByIds(await store.storyIdsInRange(fromStoryId, toStoryId, feedIds));
  const unsubscribed = await store.unsubscribedAddresses(digest.id);
  const recipients = [...new Set(digest.to.map((address) => address.toLowerCase()))].filter((address) => !unsubscribed.has(address));
  return { afterRunId: previous?.id ?? 0, fromStoryId, toStoryId, stories, recipients };
}

/** The stable Message-ID of one recipient's copy of a run (the same on every retry). */
export function digestMessageId(digestId: string, createdAt: Date, address: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'columnwire.localhost';
  const hash = createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16);
  return `<${digestId}.${createdAt.getTime()}.${hash}@${domain}>`;
}
