/**
 * Fetches and parses one feed without storing anything: the proof `feeds add` wants before it
 * writes an entry, and what `check` does for every feed. Parsing runs in the parse pool, under
 * the same per-feed deadline as a poll.
 */
import type { ParsedFeed } from '../model.ts';
import { fetchFeed, type FetchRequest } from './fetch-feed.ts';
import { parseFetched } from './parse-fetched.ts';
import { withParsePool, type FeedParser } from './parse-pool.ts';
import type { TrySettings } from './try-settings.ts';

export type TryResult =
  | {
      kind: 'ok';
      parsed: ParsedFeed;
      /** The feed's URL to subscribe to (after autodiscovery and permanent redirects). */
      feedUrl: string;
      /** The page the feed was found on, when the URL was a page. */
      pageUrl: string | null;
    }
  | { kind: 'failed'; reason: string };

/**
 * Fetches `url` (a feed or a page linking one) and parses it; every expected failure is a
 * `failed` value. Without a `parser`, a one-worker pool is made for this feed and closed after.
 */
export async function tryFeed(url: string, settings: TrySettings, parser?: FeedParser): Promise<TryResult> {
  if (!parser)
    return withParsePool({ workers: 1, timeoutMs: settings.parseTimeoutMs, largestDocumentBytes: settings.maxBytes }, (pool) =>
      tryFeed(url, settings, pool),
    );
  const startedMs = Date.now();
  const request: FetchRequest = {
    url,
    timeoutMs: settings.timeoutMs,
    maxBytes: settings.maxBytes,
    allowPrivateAddresses: settings.allowPrivateAddresses,
  };
  const result = await fetchFeed(request);
  if (result.kind !== 'ok')
    return { kind: 'failed', reason: result.kind === 'failed' ? result.reason : 'unexpected HTTP 304 to a request without validators' };
  const parsed = await parseFetched(result, { request, startedMs, parser, normalizeAt: null, maxItems: settings.maxItemsPerFeed });
  if (parsed.kind === 'failed') return { kind: 'failed', reason: parsed.reason };
  if (parsed.document.kind !== 'parsed') throw new Error('tryFeed: the parse pool normalized a document it was asked only to parse');
  return { kind: 'ok', parsed: parsed.document.parsed, feedUrl: parsed.fetched.permanentUrl, pageUrl: parsed.pageUrl };
}
