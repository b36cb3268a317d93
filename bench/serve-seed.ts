/**
 * The serving benchmark's data: a feeds.yaml of 50 tagged columnist feeds and 10,000 stories
 * stored through the real store (normalizeItems → store.saveFetched, one transaction per feed),
 * as a poll would leave them. Items are built directly (no XML): serving, not parsing, is measured.
 */
import type { App } from '../src/app.ts';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import type { ParsedItem } from '../src/model.ts';
import type { FetchSuccess } from '../src/storage/store.ts';
import { columnistName, generateArticle } from './generate-feeds.ts';

/** The shape of the served store. */
export const SERVE_SPEC = {
  feeds: 50,
  /** Distinct articles each feed owns: feeds × this = stored stories. */
  ownPerFeed: 200,
  /** Each feed also carries this many copies of a neighbour's articles (tracking links, own guid): extra sources, no new stories. */
  syndicatedPerFeed: 10,
  /** Every nth item has full content besides its summary. */
  contentEvery: 4,
} as const;

const TAGS = ['politics', 'economy', 'europe', 'climate', 'culture', 'tech', 'health', 'education'];
const OUTLETS = ['The Northern Ledger', 'The Evening Courier', 'Metro Observer', 'Harbour Times', 'The Meridian'];

/** The id of feed `feed`. */
export const serveFeedId = (feed: number): string => `col-${String(feed).padStart(2, '0')}`;

/** One or two tags per feed, so tag scopes overlap like real ones. */
function feedTags(feed: number): string[] {
  const first = TAGS[feed % TAGS.length]!;
  return feed % 3 === 0 ? [first] : [first, TAGS[(feed * 5 + 3) % TAGS.length]!].filter((tag, index, all) => all.indexOf(tag) === index);
}

/** feeds.yaml for the serving bench: port 0 (a free one), localhost only, retention off (the generated dates are fixed). */
export function serveConfigYaml(): string {
  const feeds = Array.from({ length: SERVE_SPEC.feeds }, (_, feed) =>
    [
      `  - url: https://columnists.example/${serveFeedId(feed)}/rss`,
      `    id: ${serveFeedId(feed)}`,
      `    title: ${columnistName(feed)}`,
      `    outlet: ${OUTLETS[feed % OUTLETS.length]}`,
      `    tags: [${feedTags(feed).join(', ')}]`,
    ].join('\n'),
  );
  return [
    'title: Columnwire serve bench',
    'baseUrl: https://columnwire.example',
    'retentionDays: 0',
    'server:',
    '  host: 127.0.0.1',
    '  port: 0',
    'feeds:',
    ...feeds,
    '',
  ].join('\n');
}

/**
 * Article `id` as a parsed item: about 1.5 KB of HTML summary, every `contentEvery`th with
 * 3–4 KB of content too. `published` overrides the generated date (a fresh story is the newest).
 */
export function serveItem(id: number, columnist: number, options: { published?: Date; trackingFor?: number } = {}): ParsedItem {
  const article = generateArticle(id, columnist);
  const more = generateArticle(id + 500_000, columnist)
    .html.split('\n')
    .slice(0, 2)
    .join('\n');
  const content =
    id % SERVE_SPEC.contentEvery === 0
      ? [article.html, generateArticle(id + 1_000_000, columnist).html, generateArticle(id + 1_500_000, columnist).html].join('\n')
      : null;
  const published = options.published ?? article.published;
  const copy = options.trackingFor !== undefined;
  return {
    // A syndicated copy has its own guid and tracking parameters: only the canonical link matches it.
    id: copy ? `tag:columnists.example,2025:${serveFeedId(options.trackingFor!)}:${id}` : article.link,
    title: article.title,
    link: copy ? `${article.link}?utm_source=rss&utm_campaign=${serveFeedId(options.trackingFor!)}` : article.link,
    author: article.author,
    published,
    updated: null,
    summary: `${article.html}\n${more}`,
    content,
    categories: article.categories,
  };
}

/** What a successful fetch of feed `feed` leaves behind. */
export function fetchedState(feed: number, now: Date): FetchSuccess {
  return {
    url: `https://columnists.example/${serveFeedId(feed)}/rss`,
    etag: null,
    lastModified: null,
    title: columnistName(feed),
    siteLink: `https://columnists.example/${serveFeedId(feed)}/`,
    ttlMinutes: null,
    nextFetchAt: new Date(now.getTime() + 30 * 60_000),
  };
}

/** Stores every feed's items through the store, one saveFetched per feed; returns what was saved. */
export async function seedStore(app: App, now: Date): Promise<{ items: number; stories: number; summaryBytes: number }> {
  let items = 0;
  let summaryBytes = 0;
  for (let feed = 0; feed < SERVE_SPEC.feeds; feed++) {
    const own = Array.from({ length: SERVE_SPEC.ownPerFeed }, (_, k) => serveItem(feed * SERVE_SPEC.ownPerFeed + k, feed));
    const neighbour = (feed + 7) % SERVE_SPEC.feeds;
    const copies = Array.from({ length: SERVE_SPEC.syndicatedPerFeed }, (_, k) =>
      serveItem(neighbour * SERVE_SPEC.ownPerFeed + k * 13, neighbour, { trackingFor: feed }),
    );
    const parsed = [...own, ...copies];
    items += parsed.length;
    summaryBytes += parsed.reduce((sum, item) => sum + Buffer.byteLength(item.summary ?? ''), 0);
    await app.store.saveFetched(serveFeedId(feed), normalizeItems(parsed, now), fetchedState(feed, now), now, null);
  }
  return { items, stories: await app.store.countStories(), summaryBytes };
}
