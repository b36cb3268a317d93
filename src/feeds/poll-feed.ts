/**
 * Refreshes one feed: fetch → (autodiscover) → decode → parse → normalize → store, and the
 * feed's new schedule. Every expected failure is recorded on the feed and returned as a value;
 * what was stored before is never touched by a failure.
 */
import type { Feed, PollOutcome } from '../model.ts';
import type { Store } from '../storage/store.ts';
import { decodeBody } from './decode-body.ts';
import { looksLikeHtml } from './discover-feed.ts';
import type { AddressPolicy } from './guard-address.ts';
import { fetchFeed, type FetchRequest, type FetchResult } from './fetch-feed.ts';
import { fetchLinkedFeed } from './fetch-document.ts';
import { normalizeItems } from './normalize-items.ts';
import { FeedParseError, parseFeed } from './parse-feed.ts';
import { nextFetchAfterFailure, nextFetchAfterSuccess, parseRetryAfter } from './schedule.ts';

export interface PollSettings {
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
  retentionDays: number;
}

export interface PollDeps {
  store: Store;
  settings: PollSettings;
  now: () => Date;
  random: () => number;
}

type Fetched = Extract<FetchResult, { kind: 'ok' }>;

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
    const retryAfterMs = result.status === 429 || result.status === 503 ? parseRetryAfter(result.headers?.get('retry-after') ?? null, deps.now()) : null;
    return fail(feed, deps, result.reason, retryAfterMs, result.permanentUrl);
  }
  if (result.kind === 'not-modified') {
    const now = deps.now();
    await deps.store.markNotModified(feed.id, {
      url: result.permanentUrl,
      configuredUrl: feed.configuredUrl,
      etag: result.headers.get('etag') ?? feed.etag,
      lastModified: result.headers.get('last-modified') ?? feed.lastModified,
      ttlMinutes: feed.ttlMinutes,
      nextFetchAt: nextFetchAfterSuccess(now, { ttlMinutes: feed.ttlMinutes, headers: result.headers }),
    }, now);
    return { kind: 'not-modified' };
  }
  let text = decodeBody(result.body, result.contentType);
  let fetched: Fetched = result;
  if (looksLikeHtml(text, result.contentType)) {
    // The page and its feed share one time budget.
    const remainingMs = Math.max(1, request.timeoutMs - (Date.now() - startedMs));
    // The feed the page links becomes the feed's URL (stored as its permanent URL).
    const discovered = await fetchLinkedFeed(text, result.url, { ...request, timeoutMs: remainingMs });
    if (typeof discovered === 'string') return fail(feed, deps, discovered, null, result.permanentUrl);
    fetched = discovered;
    text = decodeBody(fetched.body, fetched.contentType);
  }
  return store(feed, deps, fetched, text);
}

async function store(feed: Feed, deps: PollDeps, fetched: Fetched, text: string): Promise<PollOutcome> {
  let parsed;
  try {
    parsed = await parseFeed(text, fetched.url);
  } catch (cause) {
    if (!(cause instanceof FeedParseError)) throw cause;
    return fail(feed, deps, cause.message, null, fetched.permanentUrl);
  }
  const now = deps.now();
  const keepAfter = deps.settings.retentionDays > 0 ? new Date(now.getTime() - deps.settings.retentionDays * 86_400_000) : null;
  const saved = await deps.store.saveFetched(feed.id, normalizeItems(parsed.items, now), {
    url: fetched.permanentUrl,
    configuredUrl: feed.configuredUrl,
    etag: fetched.headers.get('etag'),
    lastModified: fetched.headers.get('last-modified'),
    title: parsed.feed.title,
    siteLink: parsed.feed.link,
    ttlMinutes: parsed.feed.ttlMinutes,
    nextFetchAt: nextFetchAfterSuccess(now, { ttlMinutes: parsed.feed.ttlMinutes, headers: fetched.headers }),
  }, now, keepAfter);
  return { kind: 'stored', itemCount: parsed.items.length, ...saved };
}

async function fail(feed: Feed, deps: PollDeps, error: string, retryAfterMs: number | null, url: string): Promise<PollOutcome> {
  const now = deps.now();
  const next = nextFetchAfterFailure(now, feed.consecutiveErrors + 1, retryAfterMs, deps.random);
  await deps.store.markFailed(feed.id, { error, ...next, url, configuredUrl: feed.configuredUrl }, now);
  return { kind: 'failed', error, nextFetchAt: next.nextFetchAt };
}
