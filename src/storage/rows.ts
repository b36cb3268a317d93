/**
 * Rows as both backends store them (the same columns, times in milliseconds) and how they become
 * the model's values: one mapping, whichever database read them. Pure.
 */
import type { Delivery, DeliveryStatus, DigestRun, FeedState, Story, StorySource, WaitReason } from '../model.ts';
import { redactSecrets } from '../redact.ts';
import type { BylineStat, SearchStory } from './store.ts';

/** A `feeds` row. */
export interface FeedRow {
  id: string;
  configured_url: string;
  url: string;
  title: string | null;
  site_link: string | null;
  etag: string | null;
  last_modified: string | null;
  last_fetch_at: number | null;
  last_success_at: number | null;
  next_fetch_at: number | null;
  wait_reason: WaitReason | null;
  ttl_minutes: number | null;
  consecutive_errors: number;
  last_error: string | null;
  /** The feed's pick signature (pickSignature), or null. */
  pick: string | null;
  body_hash: string | null;
}

/** A time column (milliseconds, or null) as a Date. */
export const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** A feed's state from its row; errors stored before they were redacted are redacted here. */
export function toFeedState(row: FeedRow): FeedState {
  return {
    id: row.id,
    url: row.url,
    configuredUrl: row.configured_url,
    title: row.title,
    siteLink: row.site_link,
    etag: row.etag,
    lastModified: row.last_modified,
    lastFetchAt: toDate(row.last_fetch_at),
    lastSuccessAt: toDate(row.last_success_at),
    nextFetchAt: toDate(row.next_fetch_at),
    waitReason: row.wait_reason,
    ttlMinutes: row.ttl_minutes,
    bodyHash: row.body_hash,
    consecutiveErrors: row.consecutive_errors,
    // Errors are stored redacted (markFailure); rows written before that are redacted here.
    lastError: row.last_error === null ? null : redactSecrets(row.last_error, [row.url, row.configured_url]),
  };
}

/** A `stories` row. */
export interface StoryRow {
  id: number;
  feed_id: string;
  title: string | null;
  link: string | null;
  canonical_url: string | null;
  author: string | null;
  published_at: number;
  claimed_published_at: number | null;
  updated_at: number;
  summary: string | null;
  content: string | null;
  categories: string;
  first_seen_at: number;
  public_id: string;
}

export interface SourceRow {
  story_id: number;
  feed_id: string;
  link: string | null;
  first_seen_at: number;
}

/** Stories from their rows and all their sources' rows (any order): each story with its sources, the first feed leading. */
export function toStories(rows: readonly StoryRow[], sources: readonly SourceRow[]): Story[] {
  const byStory = new Map<number, StorySource[]>();
  for (const source of [...sources].sort(
    (a, b) => a.first_seen_at - b.first_seen_at || (a.feed_id < b.feed_id ? -1 : a.feed_id > b.feed_id ? 1 : 0),
  )) {
    const list = byStory.get(source.story_id) ?? [];
    list.push({ feedId: source.feed_id, link: source.link, firstSeenAt: new Date(source.first_seen_at) });
    byStory.set(source.story_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    publicId: row.public_id,
    title: row.title,
    link: row.link,
    canonicalUrl: row.canonical_url,
    author: row.author,
    published: new Date(row.published_at),
    claimedPublished: row.claimed_published_at === null ? null : new Date(row.claimed_published_at),
    updated: new Date(row.updated_at),
    summary: row.summary,
    content: row.content,
    categories: JSON.parse(row.categories) as string[],
    firstSeenAt: new Date(row.first_seen_at),
    feedId: row.feed_id,
    // The feed that first brought the story leads; the others follow in order of first sight.
    sources: (byStory.get(row.id) ?? []).sort((a, b) => Number(b.feedId === row.feed_id) - Number(a.feedId === row.feed_id)),
  }));
}

/** A story of a search page's row: what a result shows of it, and the stored text its snippet may be made from. */
export interface SearchRow {
  id: number;
  public_id: string;
  title: string | null;
  link: string | null;
  author: string | null;
  feed_id: string;
  published_at: number;
  summary: string | null;
  content: string | null;
}

/** What a search result shows of a story (store.ts SearchStory), from its row. */
export function toSearchStory(row: SearchRow): SearchStory {
  return {
    id: row.id,
    publicId: row.public_id,
    title: row.title,
    link: row.link,
    author: row.author,
    feedId: row.feed_id,
    published: new Date(row.published_at),
  };
}

/** A `digest_runs` row. */
export interface RunRow {
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

/** A `digest_deliveries` row. */
export interface DeliveryRow {
  run_id: number;
  address: string;
  name: string | null;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  message_id: string;
  sent_at: number | null;
  claimed_at: number | null;
}

/** A run from its row. */
export function toRun(row: RunRow): DigestRun {
  return {
    id: row.id,
    digestId: row.digest_id,
    createdAt: new Date(row.created_at),
    fromStoryId: row.from_story_id,
    toStoryId: row.to_story_id,
    storyIds: JSON.parse(row.story_ids) as number[],
    subject: row.subject,
    status: row.status,
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}

/** A delivery from its row. */
export function toDelivery(row: DeliveryRow): Delivery {
  return {
    runId: row.run_id,
    address: row.address,
    name: row.name,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    messageId: row.message_id,
    sentAt: row.sent_at === null ? null : new Date(row.sent_at),
    claimedAt: row.claimed_at === null ? null : new Date(row.claimed_at),
  };
}

/** A row of the byline stats query: one (author key, first feed) group, counted, with its newest story. */
export interface BylineStatRow {
  author_key: string | null;
  feed_id: string;
  n: number;
  published_at: number;
  author: string | null;
  title: string | null;
  public_id: string;
}

/** A byline group as the store gives it (PostgreSQL's bigint count and time may come as text). */
export function toBylineStat(row: BylineStatRow): BylineStat {
  return {
    authorKey: row.author_key,
    author: row.author,
    feedId: row.feed_id,
    stories: Number(row.n),
    latest: { publicId: row.public_id, title: row.title, published: new Date(Number(row.published_at)) },
  };
}
