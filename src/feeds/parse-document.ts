/**
 * One fetched document → what polling stores: decode → (is it a page?) → parse → normalize.
 * This is the CPU-heavy half of refreshing a feed; it runs inside a parse worker
 * (parse-worker.ts), so its input and output are plain structured-clone data.
 */
import type { NormalizedItem, ParsedFeed, ParsedFeedMeta } from '../model.ts';
import { decodeBody } from './decode-body.ts';
import { discoverFeedLinks, looksLikeHtml } from './discover-feed.ts';
import { DEFAULT_MAX_ITEMS_PER_FEED, keepNewest } from './keep-newest.ts';
import { normalizeItems } from './normalize-items.ts';
import { FeedParseError, parseFeed } from './parse-feed.ts';

/** A document to parse: response bytes (decoded in the worker) or text already decoded. */
export type ParseInput =
  | {
      kind: 'bytes';
      body: Uint8Array;
      contentType: string | null;
      /** Move the bytes to the worker instead of copying them (megabytes of main-thread time); `body` is empty after. */
      transfer?: boolean;
    }
  | { kind: 'text'; text: string };

export interface ParseJob {
  input: ParseInput;
  /** Where the document was read from: the base of its relative links, and of a page's feed links. */
  url: string | null;
  /** When the document is an HTML page, answer with the feed links it advertises instead of failing. */
  discover: boolean;
  /** Normalize the items as first seen at this moment (polling), answering `normalized`; null answers `parsed`. */
  normalizeAt: Date | null;
  /** Keep at most this many items, the newest (poll.maxItemsPerFeed; default 1,000). */
  maxItems?: number;
}

export type ParseOutcome =
  /** `droppedItems`: how many items past `maxItems` the document had (the oldest), not returned. */
  | { kind: 'parsed'; parsed: ParsedFeed; droppedItems: number }
  /**
   * Only the normalized items come back, not the parsed ones too: half the data to copy to the main thread.
   * `emptyItems`: items with no title, link or text, left out of `items` (nothing to show a reader).
   */
  | {
      kind: 'normalized';
      format: ParsedFeed['format'];
      feed: ParsedFeedMeta;
      items: NormalizedItem[];
      droppedItems: number;
      emptyItems: number;
    }
  /** The document is an HTML page; its advertised feeds, best first (possibly none). */
  | { kind: 'html'; feedLinks: string[] }
  | { kind: 'failed'; reason: string };

/** Runs one job; every failure, expected or not, is a `failed` value naming what went wrong. */
export async function parseDocument(job: ParseJob): Promise<ParseOutcome> {
  try {
    const contentType = job.input.kind === 'bytes' ? job.input.contentType : null;
    const text = job.input.kind === 'bytes' ? decodeBody(job.input.body, contentType) : job.input.text;
    if (job.discover && job.url !== null && looksLikeHtml(text, contentType)) {
      return { kind: 'html', feedLinks: discoverFeedLinks(text, job.url) };
    }
    const whole = await parseFeed(text, job.url);
    // Cut before normalizing and before the outcome is copied to the main thread.
    const kept = keepNewest(whole.items, job.maxItems ?? DEFAULT_MAX_ITEMS_PER_FEED);
    const parsed = { ...whole, items: kept.items };
    if (!job.normalizeAt) return { kind: 'parsed', parsed, droppedItems: kept.dropped };
    const items = normalizeItems(parsed.items, job.normalizeAt);
    const emptyItems = parsed.items.length - items.length;
    return { kind: 'normalized', format: parsed.format, feed: parsed.feed, items, droppedItems: kept.dropped, emptyItems };
  } catch (cause) {
    if (cause instanceof FeedParseError) return { kind: 'failed', reason: cause.message };
    // A bug or a hostile shape nobody foresaw: still this feed's failure, never the command's.
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    return { kind: 'failed', reason: `parse failed unexpectedly (${what}); the feed is too large or hostile` };
  }
}
