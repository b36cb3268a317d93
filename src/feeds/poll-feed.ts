/**
 * Refreshes one feed: fetch → (in a parse worker: decode → autodiscover? → parse → normalize)
 * → store, and the feed's new schedule. Every expected failure is recorded on the feed and
 * returned as a value; what was stored before is never touched by a failure.
 */
import { createHash } from 'node:crypto';
import type { Feed, NormalizedItem, ParsedFeedMeta, PollOutcome } from '../model.ts';
import { UnreadItemsConflict, type Store } from '../storage/store.ts';
import type { AddressPolicy } from './guard-address.ts';
import { fetchFeed, type FetchRequest } from './fetch-feed.ts';
import { normalizeItems } from './normalize-items.ts';
import { parseFetched, type Fetched } from './parse-fetched.ts';
import { writeItemDigest } from './item-digest.ts';
import { pickItems, pickSignature } from './pick-authors.ts';
import type { FeedParser } from './parse-pool.ts';
import { retentionCutoff } from '../support/retention.ts';
import { nextFetchAfterFailure, nextFetchAfterSuccess, parseRetryAfter } from './schedule.ts';

export interface PollSettings {
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
  retentionDays: number;
  /** Items kept of one document, the newest (poll.maxItemsPerFeed); absent: the default. */
  maxItemsPerFeed?: number;
  /**
   * The least wait before a feed's next fetch after a success. Cluster mode plans each feed on its
   * own clock (every minute, the feeds due), so poll.schedule's interval becomes this period.
   */
  minIntervalMs?: number;
}

export interface PollDeps {
  store: Store;
  settings: PollSettings;
  now: () => Date;
  random: () => number;
  /** The parse pool (worker threads with a deadline per feed). */
  parser: FeedParser;
}

/** Polls one feed now (the caller decided it is due) and records the outcome. */
export async function pollFeed(feed: Feed, deps: PollDeps): Promise<PollOutcome> {
  const startedMs = Date.now();
  const request: FetchRequest = {
    url: feed.url,
    etag: feed.etag,
    lastModified: feed.lastModified,
    timeoutMs: deps.settings.timeoutMs,
    maxBytes: deps.settings.maxBytes,
    allowPrivateAddresses: deps.settings.allowPrivateAddresses,
  };
  const result = await fetchFeed(request);
  if (result.kind === 'failed') {
    const retryAfterMs =
      result.status === 429 || result.status === 503 ? parseRetryAfter(result.headers?.get('retry-after') ?? null, deps.now()) : null;
    return fail(feed, deps, result.reason, retryAfterMs, result.permanentUrl);
  }
  // The same bytes as the document stored last (a server that sends no validators, or ignores
  // them), read the same way: nothing to parse or save, as for a 304. The stored hash is read
  // again first: `feed` may be a snapshot from before another process stored a newer document.
  const bodyHash = result.kind === 'ok' ? documentHash(result, feed, deps) : null;
  const sameDocument = bodyHash !== null && bodyHash === feed.bodyHash && (await deps.store.getFeed(feed.id))?.bodyHash === bodyHash;
  if (result.kind === 'not-modified' || sameDocument) {
    const now = deps.now();
    // A 304 may leave out validators it keeps; a 200 says which ones hold now.
    const keep = result.kind === 'not-modified';
    await deps.store.markNotModified(
      feed.id,
      {
        url: result.permanentUrl,
        configuredUrl: feed.configuredUrl,
        etag: result.headers.get('etag') ?? (keep ? feed.etag : null),
        lastModified: result.headers.get('last-modified') ?? (keep ? feed.lastModified : null),
        ttlMinutes: feed.ttlMinutes,
        nextFetchAt: nextFetchAfterSuccess(now, { ttlMinutes: feed.ttlMinutes, headers: result.headers, ...minInterval(deps) }),
      },
      now,
    );
    return { kind: 'not-modified' };
  }
  const now = deps.now();
  // Read as stored (a snapshot of the feed could predate its last save).
  const digest = await deps.store.itemDigest(feed.id);
  // With known items left unread, the save may ask for the whole document: a copy of the bytes
  // stays here (the parse worker takes the original).
  const spare = digest === null ? null : { ...result, body: new Uint8Array(result.body) };
  const outcome = await readAndStore(feed, deps, request, startedMs, now, result, bodyHash, digest);
  if (outcome !== 'read whole') return outcome;
  const whole = await readAndStore(feed, deps, request, startedMs, now, spare ?? result, bodyHash, null);
  // Only a save that left items unread is refused, and this read left none unread.
  if (whole === 'read whole') throw new Error(`feed ${feed.id}: a save with every item read was refused`);
  return whole;
}

/**
 * Parses a fetched response (leaving unread the items `digest` knows) and stores it; 'read whole'
 * when the store refused a save whose unread items could claim what its read ones matched.
 */
async function readAndStore(
  feed: Feed,
  deps: PollDeps,
  request: FetchRequest,
  startedMs: number,
  now: Date,
  result: Fetched,
  bodyHash: string | null,
  digest: string | null,
): Promise<PollOutcome | 'read whole'> {
  const parsed = await parseFetched(result, {
    request,
    startedMs,
    parser: deps.parser,
    normalizeAt: now,
    maxItems: deps.settings.maxItemsPerFeed,
    // The pick decides which items are kept, and how: a digest made under another is not used.
    tracking: { digest, salt: pickSignature(feed.source.pick) ?? '' },
  });
  if (parsed.kind === 'failed') return fail(feed, deps, parsed.reason, null, parsed.permanentUrl);
  const { document } = parsed;
  // Asked with a moment, the worker normalizes; the fallback keeps the types honest.
  const [meta, items] =
    document.kind === 'normalized' ? [document.feed, document.items] : [document.parsed.feed, normalizeItems(document.parsed.items, now)];
  const emptyItems = document.kind === 'normalized' ? document.emptyItems : document.parsed.items.length - items.length;
  const picked = pickItems(items, feed.source.pick);
  // A page that led to its feed (autodiscovery) stored another document than the one hashed.
  const storedHash = parsed.fetched === result ? bodyHash : null;
  // The known items the worker left unread are unchanged: stored, and counted, as such.
  const tracked = document.kind === 'normalized' && parsed.fetched === result ? document.tracked : undefined;
  const itemDigest = tracked
    ? writeItemDigest(tracked.context, [...tracked.known, ...picked.keptIndexes.map((index) => tracked.entries[index]!)])
    : null;
  try {
    return await store(feed, deps, parsed.fetched, meta, picked.items, now, storedHash, itemDigest, tracked?.known.length ?? 0, {
      droppedItems: document.droppedItems,
      emptyItems,
      unpickedItems: picked.leftOut,
    });
  } catch (error) {
    if (error instanceof UnreadItemsConflict) return 'read whole';
    throw error;
  }
}

/**
 * How documents are read. Raise it with any change to decoding, parsing or normalizing that makes
 * the same bytes yield other items: every stored document hash is then stale, and read again.
 */
const READING_VERSION = 5; // 2: relative URLs in Atom content resolved against xml:base; 3: feedburner:origLink, links' canonical form; 4: dates, charsets, JSON Feed text, C1 references, prefixes; 5: media:description, itunes:summary

/**
 * The hash of a fetched document with what decides how it is read: the code's reading version,
 * its URLs (relative links resolve against the one after temporary redirects) and Content-Type
 * (charset), the item cap, the pick.
 */
function documentHash(fetched: Fetched, feed: Feed, deps: PollDeps): string {
  const reading = JSON.stringify([
    READING_VERSION,
    fetched.url,
    fetched.permanentUrl,
    fetched.contentType,
    deps.settings.maxItemsPerFeed ?? null,
    pickSignature(feed.source.pick),
  ]);
  return createHash('sha256').update(fetched.body).update(reading).digest('base64url');
}

async function store(
  feed: Feed,
  deps: PollDeps,
  fetched: Fetched,
  meta: ParsedFeedMeta,
  items: NormalizedItem[],
  now: Date,
  bodyHash: string | null,
  itemDigest: string | null,
  knownItems: number,
  left: { droppedItems: number; emptyItems: number; unpickedItems: number },
): Promise<PollOutcome> {
  const keepAfter = retentionCutoff(now, deps.settings.retentionDays);
  const saved = await deps.store.saveFetched(
    feed.id,
    items,
    {
      url: fetched.permanentUrl,
      configuredUrl: feed.configuredUrl,
      etag: fetched.headers.get('etag'),
      lastModified: fetched.headers.get('last-modified'),
      title: meta.title,
      siteLink: meta.link,
      ttlMinutes: meta.ttlMinutes,
      nextFetchAt: nextFetchAfterSuccess(now, { ttlMinutes: meta.ttlMinutes, headers: fetched.headers, ...minInterval(deps) }),
      bodyHash,
      itemDigest,
      itemsLeftUnread: knownItems > 0,
    },
    now,
    keepAfter,
  );
  return { kind: 'stored', itemCount: items.length + knownItems, ...left, ...saved, duplicates: saved.duplicates + knownItems };
}

async function fail(feed: Feed, deps: PollDeps, error: string, retryAfterMs: number | null, url: string): Promise<PollOutcome> {
  const now = deps.now();
  const next = nextFetchAfterFailure(now, feed.consecutiveErrors + 1, retryAfterMs, deps.random);
  await deps.store.markFailed(feed.id, { error, ...next, url, configuredUrl: feed.configuredUrl }, now);
  return { kind: 'failed', error, nextFetchAt: next.nextFetchAt };
}

function minInterval(deps: PollDeps): { minIntervalMs?: number } {
  return deps.settings.minIntervalMs === undefined ? {} : { minIntervalMs: deps.settings.minIntervalMs };
}
