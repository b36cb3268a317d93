/**
 * A fetched response → its feed, parsed in the parse pool. When the response is an HTML page
 * (the worker says so, with the feed links it advertises), the best linked feed is fetched in
 * what is left of the time budget and parsed in turn. Shared by polling, `feeds add` and
 * `check`, so a page URL means the same thing everywhere.
 */
import { fetchAdvertisedFeed } from './fetch-document.ts';
import type { FetchRequest, FetchResult } from './fetch-feed.ts';
import type { ParseJob, ParseOutcome } from './parse-document.ts';
import type { FeedParser } from './parse-pool.ts';

/** A response with a body. */
export type Fetched = Extract<FetchResult, { kind: 'ok' }>;

/** What a parse worker made of a feed: `parsed`, or `normalized` when a moment was given. */
export type ParsedDocument = Extract<ParseOutcome, { kind: 'parsed' | 'normalized' }>;

export interface ParseContext {
  /** The request that fetched the response: its limits apply to a linked feed's fetch. */
  request: FetchRequest;
  /** When that request started (Date.now()): the page and its feed share one network time budget. */
  startedMs: number;
  parser: FeedParser;
  /** Normalize the items as first seen at this moment (polling); null for parsed items. */
  normalizeAt: Date | null;
  /** Items kept of the document, the newest (poll.maxItemsPerFeed); absent: the default. */
  maxItems?: number | undefined;
  /** With normalizeAt: the feed's item digest and its salt (parse-document.ts), for the first document only; absent: untracked. */
  tracking?: { digest: string | null; salt: string };
}

export type ParsedFetch =
  | {
      kind: 'ok';
      /** The response the feed was read from (the linked feed's, after a page); its body is spent. */
      fetched: Fetched;
      /** The page the feed was found on, when the first response was a page. */
      pageUrl: string | null;
      document: ParsedDocument;
    }
  /** `permanentUrl`: where permanent redirects led, to fetch next time. */
  | { kind: 'failed'; reason: string; permanentUrl: string };

/** Parses `first`, following an HTML page to its feed; every expected failure is a `failed` value. */
export async function parseFetched(first: Fetched, context: ParseContext): Promise<ParsedFetch> {
  // Measured before the parse: poll.timeoutSeconds bounds the network, and time spent waiting
  // for a parse worker (its start-up, a queue of other feeds) has its own budget.
  const fetchMs = Date.now() - context.startedMs;
  const outcome = await context.parser.parse(jobOf(first, true, context));
  if (outcome.kind === 'failed') return { kind: 'failed', reason: outcome.reason, permanentUrl: first.permanentUrl };
  if (outcome.kind !== 'html') return { kind: 'ok', fetched: first, pageUrl: null, document: outcome };
  const timeoutMs = Math.max(1, context.request.timeoutMs - fetchMs);
  // The feed the page links becomes the feed's URL (stored as its permanent URL).
  const linked = await fetchAdvertisedFeed(outcome.feedLinks, first.url, { ...context.request, timeoutMs });
  if (typeof linked === 'string') return { kind: 'failed', reason: linked, permanentUrl: first.permanentUrl };
  // A second page is not followed: parsing it says "the document is an HTML page". The feed's
  // digest belongs to the document it was stored from, so the linked feed is read untracked.
  const { tracking: _tracking, ...untracked } = context;
  const feed = await context.parser.parse(jobOf(linked, false, untracked));
  if (feed.kind === 'failed' || feed.kind === 'html') {
    const reason = feed.kind === 'failed' ? feed.reason : 'not a feed: the document is an HTML page, not RSS or Atom';
    return { kind: 'failed', reason, permanentUrl: linked.permanentUrl };
  }
  return { kind: 'ok', fetched: linked, pageUrl: first.url, document: feed };
}

function jobOf(fetched: Fetched, discover: boolean, context: ParseContext): ParseJob {
  // The body is not read again: moved to the worker, not copied.
  return {
    input: { kind: 'bytes', body: fetched.body, contentType: fetched.contentType, transfer: true },
    url: fetched.url,
    discover,
    normalizeAt: context.normalizeAt,
    ...(context.maxItems !== undefined ? { maxItems: context.maxItems } : {}),
    ...(context.tracking ? { tracking: context.tracking } : {}),
  };
}
