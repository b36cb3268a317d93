/**
 * Rebuild timings, run in the bench process against an app over the seeded store: every
 * document the server publishes (each scope × 3 formats at the default limit, the home page,
 * the OPML), rebuilt after a store change the way a poll makes one (one new story saved
 * through the store bumps the content version), plus what a cached lookup costs.
 */
import type { App } from '../src/app.ts';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import type { FeedFormat } from '../src/publish/build-merged-feed.ts';
import { DEFAULT_LIMIT } from '../src/publish/http-server.ts';
import type { FeedScope, PublishedDocument } from '../src/publish/published-feeds.ts';
import { median } from './measure.ts';
import { SERVE_SPEC, fetchedState, serveFeedId, serveItem } from './serve-seed.ts';

const FORMATS: FeedFormat[] = ['rss', 'atom', 'json'];

/** Medians and spreads of one repeated timing, ms. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
}

export interface RebuildReport {
  documents: number;
  identityBytes: number;
  scopes: { all: number; tags: number; feeds: number };
  /** One lookup of an already built /feed.xml document (what a request costs PublishedFeeds), µs. */
  cachedLookupUs: number;
  /** The same lookup right after a store change: the rebuild a request after a poll waits for, ms. */
  firstLookupAfterChangeMs: number;
  /** 3 formats of one feed scope with its stories not sanitized before. */
  coldScopeMs: number;
  /** Every document, first time (the sanitize cache mostly cold). */
  coldAllMs: number;
  all: Timing;
  scope: Timing;
  perFormat: Record<FeedFormat, Timing>;
  /** Compressing every document once after a rebuild (what the first requests after a poll pay). */
  gzipAllMs: number;
  /** br (quality 9) is slow: timed on the site-wide and tag documents only, `brSampleDocuments` of them. */
  brSampleMs: number;
  brSampleDocuments: number;
  gzipScopeMs: number;
  brScopeMs: number;
}

function timing(times: number[]): Timing {
  return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), reps: times.length };
}

async function timed(work: () => unknown): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Measures rebuilds in the process that serves; `reps` rebuilds of each kind, each after its own change. */
export async function measureRebuilds(app: App, reps: number): Promise<RebuildReport> {
  const { store } = app;
  const published = await app.publishedFeeds();
  const all: FeedScope = { kind: 'all' };
  const scopes: FeedScope[] = [
    all,
    ...published.tags.map((tag): FeedScope => ({ kind: 'tag', tag })),
    ...app.config.feeds.map((source): FeedScope => ({ kind: 'feed', feedId: source.id })),
  ];
  let bumps = 0;
  /** One new story in one feed, newest of all, saved like a poll saves it. */
  const change = async (feed = bumps % SERVE_SPEC.feeds): Promise<void> => {
    const before = await store.contentVersion();
    const now = new Date();
    const item = serveItem(3_000_000 + bumps++, feed, { published: now });
    await store.saveFetched(serveFeedId(feed), normalizeItems([item], now), fetchedState(feed, now), now, null);
    if ((await store.contentVersion()) === before) throw new Error('bench: saving a new story did not change the content version');
  };
  const buildScope = (scope: FeedScope): Promise<PublishedDocument[]> =>
    Promise.all(FORMATS.map((format) => published.feed(scope, format, DEFAULT_LIMIT)));
  const buildAll = async (): Promise<PublishedDocument[]> => {
    const documents: PublishedDocument[] = [];
    for (const scope of scopes) documents.push(...(await buildScope(scope)));
    documents.push((await published.site.page('/', new URLSearchParams())).document, await published.opml());
    return documents;
  };

  // The per-request path: the document is built, only the lookup (version check, memo) runs.
  await published.feed(all, 'rss', DEFAULT_LIMIT);
  const lookups = 2_000;
  const lookupStarted = performance.now();
  for (let n = 0; n < lookups; n++) await published.feed(all, 'rss', DEFAULT_LIMIT);
  const cachedLookupUs = ((performance.now() - lookupStarted) / lookups) * 1000;
  await change(0);
  const firstLookupAfterChangeMs = await timed(() => published.feed(all, 'rss', DEFAULT_LIMIT));

  const lastFeed = SERVE_SPEC.feeds - 1;
  await change(lastFeed);
  const coldScopeMs = await timed(() => buildScope({ kind: 'feed', feedId: serveFeedId(lastFeed) }));
  await change();
  const coldAllMs = await timed(buildAll);

  const allTimes: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await change();
    allTimes.push(await timed(buildAll));
  }
  const scopeTimes: number[] = [];
  const formatTimes: Record<FeedFormat, number[]> = { rss: [], atom: [], json: [] };
  for (let rep = 0; rep < reps * 3; rep++) {
    await change();
    const started = performance.now();
    for (const format of FORMATS) formatTimes[format].push(await timed(() => published.feed(all, format, DEFAULT_LIMIT)));
    scopeTimes.push(performance.now() - started);
  }

  await change();
  const documents = await buildAll();
  const gzipAllMs = await timed(async () => {
    for (const document of documents) await document.body('gzip');
  });
  const brSample = documents.slice(0, (1 + published.tags.length) * FORMATS.length); // buildAll's order: all, tags, feeds
  const brSampleMs = await timed(async () => {
    for (const document of brSample) await document.body('br');
  });
  await change();
  const scopeDocuments = await buildScope(all);
  const gzipScopeMs = await timed(async () => {
    for (const document of scopeDocuments) await document.body('gzip');
  });
  const brScopeMs = await timed(async () => {
    for (const document of scopeDocuments) await document.body('br');
  });

  return {
    documents: documents.length,
    identityBytes: documents.reduce((sum, document) => sum + document.identity.length, 0),
    scopes: { all: 1, tags: published.tags.length, feeds: app.config.feeds.length },
    cachedLookupUs,
    firstLookupAfterChangeMs,
    coldScopeMs,
    coldAllMs,
    all: timing(allTimes),
    scope: timing(scopeTimes),
    perFormat: { rss: timing(formatTimes.rss), atom: timing(formatTimes.atom), json: timing(formatTimes.json) },
    gzipAllMs,
    brSampleMs,
    brSampleDocuments: brSample.length,
    gzipScopeMs,
    brScopeMs,
  };
}
