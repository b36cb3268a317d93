/**
 * One fetched document → what polling stores: decode → (is it a page?) → parse → normalize.
 * This is the CPU-heavy half of refreshing a feed; it runs inside a parse worker
 * (parse-worker.ts), so its input and output are plain structured-clone data.
 */
import type { NormalizedItem, ParsedFeed, ParsedFeedMeta } from '../model.ts';
import { bodyEncoding, decodeText, isAsciiTransparent } from './decode-body.ts';
import { discoverFeedLinks, looksLikeHtml } from './discover-feed.ts';
import { identitiesOf, readItemDigest, SHARED_ID, sharesIdentity, type DigestEntry } from './item-digest.ts';
import { DEFAULT_MAX_ITEMS_PER_FEED, keepNewest } from './keep-newest.ts';
import { hasSomethingToShow, normalizeItems } from './normalize-items.ts';
import {
  FeedParseError,
  parseFeed,
  parseFeedTracked,
  parseFeedTrackedBytes,
  type DocumentBytes,
  type KnownItems,
  type TrackedFeed,
} from './parse-feed.ts';

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
  /**
   * With `normalizeAt`: the feed's stored item digest (item-digest.ts; null: none yet) and what
   * else decides how its items are kept (`salt`: the pick). The items the digest knows are left
   * unread and the outcome carries `tracked`. Absent: every item is read, untracked.
   */
  tracking?: { digest: string | null; salt: string };
}

/** What the digest of a normalized document needs (item-digest.ts). */
export interface TrackedItems {
  context: string;
  /** The digest entry of each of `items`, in order. */
  entries: DigestEntry[];
  /** The entries of the known items the document still holds, left unread (and counted as unchanged). */
  known: DigestEntry[];
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
      tracked?: TrackedItems;
    }
  /** The document is an HTML page; its advertised feeds, best first (possibly none). */
  | { kind: 'html'; feedLinks: string[] }
  | { kind: 'failed'; reason: string };

/** Runs one job; every failure, expected or not, is a `failed` value naming what went wrong. */
export async function parseDocument(job: ParseJob): Promise<ParseOutcome> {
  try {
    const document = decodedLazily(job.input);
    const contentType = job.input.kind === 'bytes' ? job.input.contentType : null;
    if (job.discover && job.url !== null && looksLikeHtml(document.head(), contentType)) {
      return { kind: 'html', feedLinks: discoverFeedLinks(document.text(), job.url) };
    }
    const maxItems = job.maxItems ?? DEFAULT_MAX_ITEMS_PER_FEED;
    let whole: ParsedFeed;
    if (job.normalizeAt && job.tracking) {
      const tracked = await normalizeTracked(document, job.url, job.tracking, job.normalizeAt, maxItems);
      if (tracked.kind === 'normalized') return tracked;
      whole = tracked.parsed;
    } else whole = await parseFeed(document.text(), job.url);
    // Cut before normalizing and before the outcome is copied to the main thread.
    const kept = keepNewest(whole.items, maxItems);
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

/** A document decoded only as far as it is read: most changed documents are never decoded whole. */
interface LazyDocument {
  /** The whole text (decoded once). */
  text(): string;
  /** At least its first HEAD_CHARS characters. */
  head(): string;
  /** The document as bytes, when they are ASCII-transparent (decode-body.ts). */
  bytes(): DocumentBytes | null;
}

/** What looksLikeHtml reads (discover-feed.ts). */
const HEAD_CHARS = 4096;

function decodedLazily(input: ParseInput): LazyDocument {
  if (input.kind === 'text') return { text: () => input.text, head: () => input.text, bytes: () => null };
  const { encoding, bomLength } = bodyEncoding(input.body, input.contentType);
  const body = input.body.subarray(bomLength);
  let whole: string | undefined;
  const text = (): string => (whole ??= decodeText(encoding, body));
  return {
    text,
    // No character takes more than 4 bytes in any encoding, and a character cut at the end comes out as one U+FFFD.
    head: () => whole ?? decodeText(encoding, body.subarray(0, HEAD_CHARS * 4 + 4)),
    bytes: () => (isAsciiTransparent(encoding, body) ? { bytes: body, encoding, decode: (cut) => decodeText(encoding, cut), text } : null),
  };
}

/**
 * Reads only the items the feed's digest does not know, when that stores what reading them all
 * would (item-digest.ts): no new item identified like a known one, and no known item that shared
 * its id with others (which item a shared id names depends on all of them). `whole`: a document
 * read whole and untracked (more items than the cap, or one the item scan cannot follow).
 */
async function normalizeTracked(
  document: LazyDocument,
  url: string | null,
  tracking: { digest: string | null; salt: string },
  now: Date,
  maxItems: number,
): Promise<Extract<ParseOutcome, { kind: 'normalized' }> | { kind: 'whole'; parsed: ParsedFeed }> {
  const digest = readItemDigest(tracking.digest);
  const skippable = { has: (raw: string) => digest?.entries.get(raw)?.includes(SHARED_ID) === false };
  const bytes = document.bytes();
  // Items are found in the bytes when they can be; else in the text decoded whole.
  const readItems = (known: KnownItems | null): Promise<TrackedFeed> => {
    const options = { known, salt: tracking.salt, maxItems };
    return bytes ? parseFeedTrackedBytes(bytes, url, options) : parseFeedTracked(document.text(), url, options);
  };
  const read = await readItems(digest ? { context: digest.context, hashes: skippable } : null);
  if (read.itemHashes === null) return { kind: 'whole', parsed: read.parsed };
  const outcome = normalizeRead(read, now);
  const knownEntries = read.knownHashes.map((raw): DigestEntry => ({ raw, identities: digest?.entries.get(raw) ?? [] }));
  if (!sharesIdentity(knownEntries, outcome.tracked.entries)) return { ...outcome, tracked: { ...outcome.tracked, known: knownEntries } };
  // A new item identified like a known one: the store matches them against each other, so all are read.
  const all = await readItems(null);
  return all.itemHashes === null ? { kind: 'whole', parsed: all.parsed } : normalizeRead(all, now);
}

function normalizeRead(read: TrackedFeed, now: Date): Extract<ParseOutcome, { kind: 'normalized' }> & { tracked: TrackedItems } {
  const hashes = read.itemHashes!;
  const shown = read.parsed.items.flatMap((item, index) => (hasSomethingToShow(item) ? [{ item, raw: hashes[index]! }] : []));
  const items = normalizeItems(
    shown.map((entry) => entry.item),
    now,
  );
  return {
    kind: 'normalized',
    format: read.parsed.format,
    feed: read.parsed.feed,
    items,
    droppedItems: 0,
    emptyItems: read.parsed.items.length - items.length,
    tracked: {
      context: read.context!,
      entries: items.map((item, index) => ({ raw: shown[index]!.raw, identities: identitiesOf(item) })),
      known: [],
    },
  };
}
