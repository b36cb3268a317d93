/**
 * A feed by its URL or by the page that links it: one fetch, and when the answer is an HTML
 * page, a second fetch of the feed it advertises (RSS Autodiscovery). Shared by polling,
 * `parse`, `feeds add` and `check`, so a page URL means the same thing everywhere.
 */
import { decodeBody } from './decode-body.ts';
import { discoverFeedLinks, looksLikeHtml } from './discover-feed.ts';
import { fetchFeed, type FetchRequest, type FetchResult } from './fetch-feed.ts';
import type { AddressPolicy } from './guard-address.ts';

type Fetched = Extract<FetchResult, { kind: 'ok' }>;

/** The limits of a one-off fetch (no validators: the whole document is wanted). */
export interface DocumentRequest {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
}

export type FetchedDocument =
  | {
      kind: 'ok';
      /** The document, decoded. */
      text: string;
      /** Where the document was last read from: the base of its relative links. */
      url: string;
      /** The URL to subscribe to: the feed's, after permanent redirects only. */
      permanentUrl: string;
      /** The page the feed was found on, when `request.url` was a page. */
      pageUrl: string | null;
    }
  | { kind: 'failed'; reason: string };

/** Fetches `request.url`, following an HTML page to its feed; every expected failure is a `failed` value. */
export async function fetchDocument(request: DocumentRequest): Promise<FetchedDocument> {
  const startedMs = Date.now();
  const result = await fetchFeed(request);
  if (result.kind !== 'ok')
    return { kind: 'failed', reason: result.kind === 'failed' ? result.reason : 'unexpected HTTP 304 to a request without validators' };
  const text = decodeBody(result.body, result.contentType);
  if (!looksLikeHtml(text, result.contentType)) {
    return { kind: 'ok', text, url: result.url, permanentUrl: result.permanentUrl, pageUrl: null };
  }
  // The page and its feed share one time budget.
  const timeoutMs = Math.max(1, request.timeoutMs - (Date.now() - startedMs));
  const feed = await fetchLinkedFeed(text, result.url, { ...request, timeoutMs });
  if (typeof feed === 'string') return { kind: 'failed', reason: feed };
  return { kind: 'ok', text: decodeBody(feed.body, feed.contentType), url: feed.url, permanentUrl: feed.permanentUrl, pageUrl: result.url };
}

/** Fetches the first feed an HTML page links with <link rel="alternate">; a string says why there is none. */
export async function fetchLinkedFeed(html: string, pageUrl: string, request: FetchRequest): Promise<Fetched | string> {
  return fetchAdvertisedFeed(discoverFeedLinks(html, pageUrl), pageUrl, request);
}

/** Fetches the best of the feed links a page advertises (found in a parse worker); a string says why there is none. */
export async function fetchAdvertisedFeed(feedLinks: readonly string[], pageUrl: string, request: FetchRequest): Promise<Fetched | string> {
  const [candidate] = feedLinks;
  if (!candidate)
    return `${pageUrl} is an HTML page that links no feed (no <link rel="alternate" type="application/rss+xml">); use the feed's own URL`;
  const result = await fetchFeed({ ...request, url: candidate, etag: null, lastModified: null });
  if (result.kind !== 'ok') {
    return `feed ${candidate} found on page ${pageUrl} failed: ${result.kind === 'failed' ? result.reason : 'unexpected 304'}`;
  }
  return result;
}
