/**
 * Everything the HTTP server publishes, built once per change of the store and kept until
 * the next: the merged feed in three formats (site-wide, per tag, per source feed), the
 * OPML list and the home page. Compressed variants are made on first request and kept too.
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';
import type { FeedSource, Story } from '../model.ts';
import type { RawConfig } from '../config/schema.ts';
import { basePathOf } from '../site/render-site-page.ts';
import { createSitePages } from '../site/site-pages.ts';
import { isStoreTransient, type Byline, type Store } from '../storage/store.ts';
import { withinDeadline } from '../support/within-deadline.ts';
import { buildMergedFeed, type FeedFormat } from './build-merged-feed.ts';
import { buildOpml } from './build-opml.ts';
import { sanitizeContent } from './sanitize-content.ts';

export type Encoding = 'identity' | 'gzip' | 'br';

/** One built response body and its validators. */
export interface PublishedDocument {
  contentType: string;
  /**
   * When these bytes were first built, to the second; null when no such time tells them from
   * other bytes (a page built per request, or bytes that replaced others within the second):
   * then only the ETag validates (no Last-Modified is sent, If-Modified-Since is not answered).
   */
  lastModified: Date | null;
  /** The uncompressed body. */
  identity: Buffer;
  /** The strong ETag of the body in an encoding (known without compressing). */
  etag(encoding: Encoding): string;
  /** The body in an encoding, compressed on first use off the event loop (zlib's thread pool). */
  body(encoding: Encoding): Promise<Buffer>;
}

/** Which stories a feed holds: all, a tag's, a source feed's, or a site page's (a columnist's, an outlet's) under `path`. */
export type FeedScope =
  | { kind: 'all' }
  | { kind: 'tag'; tag: string }
  | { kind: 'feed'; feedId: string }
  | { kind: 'page'; path: string; subtitle: string; byline?: Byline; feedIds?: string[] };

export interface PublishedFeedsOptions {
  store: Store;
  title: string;
  baseUrl: string;
  sources: readonly FeedSource[];
  ttlMinutes: number;
  /** `publish.stripTracking` (default true). */
  stripTracking?: boolean;
  /** The readers' site's settings and columnists (defaults: English, UTC, 20 a page, none configured). */
  site?: RawConfig['site'];
  columnists?: RawConfig['columnists'];
  /** A digest is offered on /subscribe (every page links it). */
  signup?: boolean;
  now?: () => Date;
  /** How long a request for a document built before waits for the store (default STALE_AFTER_MS). */
  staleAfterMs?: number;
}

/**
 * How long a request for a document built before waits for the store before it is answered
 * with the bytes last built for it. A database gone silent (a partition: no refusal, no reset)
 * holds a query until the pool gives up, 30 s, past the timeout of most feed readers; the feed
 * as it last was serves a reader better than no answer, and its ETag still validates. The
 * same when the store fails as unavailable. With nothing built before, a request waits.
 */
const STALE_AFTER_MS = 3_000;

const CONTENT_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};
const FILES: Record<FeedFormat, string> = { rss: 'feed.xml', atom: 'feed.atom', json: 'feed.json' };
/** Distinct documents kept per store version (formats × scopes × limit buckets). */
const MAX_DOCUMENTS = 256;
/**
 * The story counts the server builds documents for (a 1-2-5 series up to the HTTP maximum).
 * A client rotating `?limit=` through 1..500 would otherwise make 500 documents per format and
 * scope, each built, hashed and compressed once and evicted before it is asked for again.
 */
export const LIMIT_BUCKETS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500];
const MAX_SANITIZED = 20_000;
/**
 * Sanitizing runs on the thread that answers HTTP: after this much of it, a batch of stories
 * lets waiting requests (/healthz, cached documents) run before it goes on. A story is at
 * most 128 Ki characters per field (cap-text.ts), tens of milliseconds to sanitize.
 */
const SANITIZE_SLICE_MS = 20;

export type PublishedFeeds = ReturnType<typeof createPublishedFeeds>;

/** Creates the document cache over a store. */
export function createPublishedFeeds(options: PublishedFeedsOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const sources = new Map(options.sources.map((source) => [source.id, source]));
  const tags = [...new Set(options.sources.flatMap((source) => source.tags))].sort();
  const now = options.now ?? (() => new Date());
  let version = -1;
  let documents = new Map<string, Promise<PublishedDocument>>();
  // One query per scope and limit serves all three formats.
  let storyLists = new Map<string, Promise<Story[]>>();
  // Sanitized stories outlive store versions: an unchanged story is not sanitized again.
  const sanitized = new Map<string, Story>();
  /** Of the last build of each kept document, by its key: its ETag, its Last-Modified, and the second its bytes last changed. */
  const lastBuilt = new Map<string, { etag: string; lastModified: Date | null; changedAt: number }>();
  /** The last document built under each key, for whichever store version: answered while the store does not (STALE_AFTER_MS). */
  const lastGood = new Map<string, PublishedDocument>();
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;

  /** Drops everything built for an older store version. */
  async function sync(): Promise<void> {
    const current = await options.store.contentVersion();
    if (current === version) return;
    version = current;
    documents = new Map();
    storyLists = new Map();
  }

  function storiesFor(scope: FeedScope, limit: number): Promise<Story[]> {
    return remember(storyLists, `${JSON.stringify(scope)}:${limit}`, async () => {
      const feedIds = scopeFeedIds(scope);
      const byline = scope.kind === 'page' ? scope.byline : undefined;
      return cleanAll(await options.store.listStories({ limit, ...(feedIds ? { feedIds } : {}), ...(byline ? { byline } : {}) }));
    });
  }

  /** Every story cleaned, in order, yielding to the event loop every SANITIZE_SLICE_MS of work. */
  async function cleanAll(stories: readonly Story[]): Promise<Story[]> {
    const cleaned: Story[] = [];
    // Reading the stories was work already: the first slice starts with a turn for others.
    let sliceStart = Number.NEGATIVE_INFINITY;
    for (const story of stories) {
      if (performance.now() - sliceStart >= SANITIZE_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      cleaned.push(clean(story));
    }
    return cleaned;
  }

  function memo(key: string, build: () => Promise<PublishedDocument>): Promise<PublishedDocument> {
    return remember(documents, key, async () => {
      const document = keepLastModified(key, await build());
      lastGood.delete(key);
      if (lastGood.size >= MAX_DOCUMENTS) lastGood.delete(lastGood.keys().next().value!);
      lastGood.set(key, document);
      return document;
    });
  }

  /**
   * The document under `key` for the store's current version, built by `build` when missing;
   * or the one built last under `key`, if any, when the store has not told its version within
   * staleAfterMs, or fails as unavailable (STALE_AFTER_MS). A store that answers is waited
   * for, however long the build takes.
   */
  async function current(key: string, build: () => Promise<PublishedDocument>): Promise<PublishedDocument> {
    const kept = lastGood.get(key);
    if (kept === undefined) {
      await sync();
      return memo(key, build);
    }
    try {
      // sync() answers undefined; null is the deadline passing.
      if ((await withinDeadline(sync(), staleAfterMs)) === null) return kept;
      return await memo(key, build);
    } catch (error) {
      if (isStoreTransient(error)) return kept;
      throw error;
    }
  }

  /**
   * Last-Modified is when this process first built a document's bytes: a rebuild with the same
   * bytes keeps it (a client holding them gets its 304), other bytes get the second they were
   * built. A story's own dates would not do: one first seen now may be dated last week, and a
   * pruned story leaving a page moves no date, so an If-Modified-Since from before would get a
   * 304 for a changed document. Bytes that replace others within the same second have no
   * Last-Modified (it could not tell them apart, and a later one would be in the future) until
   * they are built again in a later second. A process that never built the bytes before (a
   * restart, another process of a cluster) gives the second it builds them.
   */
  function keepLastModified(key: string, document: PublishedDocument): PublishedDocument {
    const before = lastBuilt.get(key);
    const etag = document.etag('identity');
    const second = document.lastModified?.getTime() ?? Math.floor(now().getTime() / 1000) * 1000;
    let lastModified: Date | null = document.lastModified;
    let changedAt = second;
    if (before?.etag === etag) {
      changedAt = before.changedAt;
      lastModified = before.lastModified ?? (second > changedAt ? new Date(second) : null);
    } else if (before && second <= before.changedAt) lastModified = null;
    if (lastBuilt.size >= MAX_SANITIZED) lastBuilt.clear();
    lastBuilt.set(key, { etag, lastModified, changedAt });
    return lastModified === document.lastModified ? document : { ...document, lastModified };
  }

  function clean(story: Story): Story {
    const key = `${story.id}:${story.updated.getTime()}`;
    let result = sanitized.get(key);
    if (!result) {
      result = {
        ...story,
        summary: story.summary === null ? null : sanitizeContent(story.summary, story.link),
        content: story.content === null ? null : sanitizeContent(story.content, story.link),
      };
      if (sanitized.size >= MAX_SANITIZED) sanitized.clear();
      sanitized.set(key, result);
    }
    return result;
  }

  function scopeFeedIds(scope: FeedScope): string[] | undefined {
    if (scope.kind === 'all') return undefined;
    if (scope.kind === 'feed') return [scope.feedId];
    if (scope.kind === 'page') return scope.feedIds;
    return options.sources.filter((source) => source.tags.includes(scope.tag)).map((source) => source.id);
  }

  const site = createSitePages({
    store: options.store,
    title: options.title,
    baseUrl: base,
    sources: options.sources,
    site: options.site ?? { locale: 'en', timezone: 'UTC', pageSize: 20 },
    columnists: options.columnists ?? [],
    stripTracking: options.stripTracking ?? true,
    signup: options.signup ?? false,
    clean: cleanAll,
    document: (html, perRequest) =>
      perRequest
        ? makeDocument(html, 'text/html; charset=utf-8', null, { perRequest: true })
        : makeDocument(html, 'text/html; charset=utf-8', now()),
    rebuilt: (key, document) => keepLastModified(`apart:${key}`, document),
    memo: (key, build) => current(`site:${key}`, build),
    version: async () => {
      await sync();
      return version;
    },
    now,
  });

  return {
    tags,
    /** The path of `baseUrl` without its trailing slash ("/news"; "" for a site at the root): the server answers under it too. */
    basePath: basePathOf(base),
    /** True when the scope names a configured tag or feed. */
    exists(scope: FeedScope): boolean {
      if (scope.kind === 'tag') return tags.includes(scope.tag);
      if (scope.kind === 'feed') return sources.has(scope.feedId);
      return true;
    },

    /** The merged feed of a scope in a format, at most `limit` stories. */
    feed(scope: FeedScope, format: FeedFormat, limit: number): Promise<PublishedDocument> {
      return current(`feed:${JSON.stringify(scope)}:${format}:${limit}`, async () => {
        const stories = await storiesFor(scope, limit);
        const prefix =
          scope.kind === 'all'
            ? base
            : scope.kind === 'tag'
              ? `${base}/tags/${encodeURIComponent(scope.tag)}`
              : scope.kind === 'page'
                ? `${base}${scope.path}`
                : `${base}/feeds/${encodeURIComponent(scope.feedId)}`;
        const selfUrls = { rss: `${prefix}/${FILES.rss}`, atom: `${prefix}/${FILES.atom}`, json: `${prefix}/${FILES.json}` };
        // A tag, columnist or outlet has a page of the same stories on the site; a source feed has none.
        const pageUrl = scope.kind === 'tag' || scope.kind === 'page' ? prefix : `${base}/`;
        const subtitle =
          scope.kind === 'tag'
            ? scope.tag
            : scope.kind === 'feed'
              ? (sources.get(scope.feedId)?.title ?? scope.feedId)
              : scope.kind === 'page'
                ? scope.subtitle
                : undefined;
        const text = buildMergedFeed(stories, {
          format,
          title: options.title,
          baseUrl: base,
          sources,
          now: now(),
          selfUrls,
          pageUrl,
          ttlMinutes: options.ttlMinutes,
          stripTracking: options.stripTracking ?? true,
          ...(subtitle !== undefined ? { subtitle } : {}),
        });
        return makeDocument(text, CONTENT_TYPES[format], now());
      });
    },

    /** The OPML list of the source feeds. */
    opml(): Promise<PublishedDocument> {
      return current('opml', async () => {
        const states = new Map((await options.store.listFeeds()).map((state) => [state.id, state]));
        const feeds = options.sources.map((source) => {
          const state = states.get(source.id);
          return { source, url: state?.url ?? source.url, title: state?.title ?? null, siteLink: state?.siteLink ?? null };
        });
        const columnists = await site.columnistFeeds();
        return makeDocument(buildOpml(options.title, feeds, now(), { columnists }), 'text/x-opml; charset=utf-8', now());
      });
    },

    /** The readers' site: home, columnists, outlets, tags, stories, search. */
    site,
  };
}

/** The largest bucket not above `limit`: `?limit=N` promises at most N stories, so rounding down keeps it. */
export function servedLimit(limit: number): number {
  return LIMIT_BUCKETS.findLast((bucket) => bucket <= limit) ?? LIMIT_BUCKETS[0]!;
}

/** The promise kept under `key`, made by `make` when missing; at most MAX_DOCUMENTS kept, a failure not kept. */
function remember<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    if (cache.size >= MAX_DOCUMENTS) cache.delete(cache.keys().next().value!);
    value = make();
    value.catch(() => cache.delete(key));
    cache.set(key, value);
  }
  return value;
}

/** Brotli quality of a kept document (compressed once): within a few per cent of 9's size at a tenth of its time (a first br request waits for it). */
const KEPT_BROTLI_QUALITY = 5;
/**
 * Brotli quality of a document built for one request (a search page), compressed for each: a
 * 22 KB search page of the site bench took 0.16 ms at quality 0 against 0.44–0.53 ms at 2 and
 * 0.64 ms at 5, for 6.2 KB against 5.7 and 4.9 (same run, a loaded machine): a third of the CPU
 * for half a kilobyte.
 */
const PER_REQUEST_BROTLI_QUALITY = 0;

/**
 * A document built for one request at most this long is compressed on the event loop: under
 * 0.3 ms at quality 2 or with gzip, where handing it to zlib's thread pool cost 0.3 ms of CPU
 * more than the compression itself (0.43 against 0.12 ms for a 20 KB search page).
 */
const SYNC_COMPRESS_MAX_BYTES = 64 * 1024;

/**
 * Wraps a built text with lazily compressed variants, each with a strong ETag (RFC 9110 §8.8.3).
 * `perRequest`: built for one request (a search page), so compressed for each, faster.
 */
export function makeDocument(
  text: string,
  contentType: string,
  lastModified: Date | null,
  { perRequest = false }: { perRequest?: boolean } = {},
): PublishedDocument {
  const identity = Buffer.from(text, 'utf8');
  const hash = createHash('sha1').update(identity).digest('base64url').slice(0, 22);
  const compressed = new Map<Encoding, Promise<Buffer>>();
  const brotliOptions = {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: perRequest ? PER_REQUEST_BROTLI_QUALITY : KEPT_BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: identity.length,
    },
  };
  const compressNow = perRequest && identity.length <= SYNC_COMPRESS_MAX_BYTES;
  return {
    contentType,
    // HTTP dates have second precision; a finer Last-Modified could never match If-Modified-Since.
    lastModified: lastModified && new Date(Math.floor(lastModified.getTime() / 1000) * 1000),
    identity,
    etag: (encoding) => (encoding === 'identity' ? `"${hash}"` : `"${hash}-${encoding}"`),
    body(encoding) {
      if (encoding === 'identity') return Promise.resolve(identity);
      let body = compressed.get(encoding);
      if (!body) {
        // Megabytes of feed take tens of milliseconds to compress: never on the event loop.
        body = compressNow
          ? Promise.resolve(encoding === 'gzip' ? gzipSync(identity) : brotliCompressSync(identity, brotliOptions))
          : encoding === 'gzip'
            ? gzipAsync(identity)
            : brotliAsync(identity, brotliOptions);
        compressed.set(encoding, body);
      }
      return body;
    },
  };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
