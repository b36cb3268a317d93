/**
 * The site bench's data: a feeds.yaml of 500 feeds across 40 outlets and about 300 columnists,
 * and (by default) 100,000 stories stored through the real store (normalizeItems →
 * store.saveFetched, one transaction per feed) as polls would leave them. Most feeds are one
 * columnist's; every tenth is an outlet's multi-author feed; a few sign nothing (the feed's
 * title names its columnist). Titles come from generate-feeds.ts, excerpts of 300–1,500
 * characters from site-words.ts. Items are built directly (no XML): serving is measured.
 */
import type { App } from '../src/app.ts';
import { normalizeItems } from '../src/feeds/normalize-items.ts';
import type { ParsedItem } from '../src/model.ts';
import { mulberry32 } from '../tests/helpers/prng.ts';
import { columnistName, generateArticle } from './generate-feeds.ts';
import type { FetchSuccess } from '../src/storage/store.ts';
import { CONTENT_WORDS, writeExcerpt } from './site-words.ts';

export const SITE_SPEC = {
  feeds: 500,
  authors: 300,
  excerptChars: [300, 1_500],
} as const;

const OUTLET_FIRST = ['The Northern', 'The Evening', 'Metro', 'Harbour', 'The Civic', 'Capital', 'The Weekly', 'Coastal'];
const OUTLET_LAST = ['Ledger', 'Courier', 'Observer', 'Times', 'Review'];
const TAGS = ['politics', 'economy', 'europe', 'climate', 'culture', 'tech', 'health', 'education'];
/** The newest generated column; one every STEP_MINUTES before it, feeds interleaved (about two years for 100,000). */
const NEWEST_MS = Date.UTC(2026, 10, 30, 18, 0, 0);
const STEP_MS = 10 * 60_000;

/** The id of feed `feed`. */
export const siteFeedId = (feed: number): string => `site-${String(feed).padStart(3, '0')}`;

/** Outlet `feed % 40`: 40 distinct names. */
function outletOf(feed: number): string {
  const index = feed % (OUTLET_FIRST.length * OUTLET_LAST.length);
  return `${OUTLET_FIRST[index % OUTLET_FIRST.length]} ${OUTLET_LAST[Math.floor(index / OUTLET_FIRST.length)]}`;
}

/** Who signs a feed's columns: one columnist, four (an outlet's opinion feed), or nobody. */
export function feedAuthors(feed: number): string[] {
  if (feed % 50 === 49) return [];
  const first = feed % SITE_SPEC.authors;
  if (feed % 10 === 5) return [0, 75, 150, 225].map((step) => columnistName((first + step) % SITE_SPEC.authors));
  return [columnistName(first)];
}

function feedTitle(feed: number): string {
  const authors = feedAuthors(feed);
  // An unsigned feed is named for its columnist, as one-person feeds are.
  if (authors.length === 0) return columnistName(SITE_SPEC.authors + Math.floor(feed / 50));
  return authors.length === 1 ? `${authors[0]} | ${outletOf(feed)}` : `${outletOf(feed)} opinion`;
}

function feedTags(feed: number): string[] {
  const first = TAGS[feed % TAGS.length]!;
  const second = TAGS[(feed * 5 + 3) % TAGS.length]!;
  return feed % 3 === 0 || second === first ? [first] : [first, second];
}

/** feeds.yaml: 500 feeds, port 0 on 127.0.0.1, retention off; `database` selects PostgreSQL. */
export function siteConfigYaml(database?: string): string {
  const feeds = Array.from({ length: SITE_SPEC.feeds }, (_, feed) =>
    [
      `  - url: https://columnists.example/${siteFeedId(feed)}/rss`,
      `    id: ${siteFeedId(feed)}`,
      `    title: ${JSON.stringify(feedTitle(feed))}`,
      `    outlet: ${outletOf(feed)}`,
      `    tags: [${feedTags(feed).join(', ')}]`,
    ].join('\n'),
  );
  return [
    'title: Columnwire site bench',
    'baseUrl: https://columnwire.example',
    'retentionDays: 0',
    ...(database ? [`database: ${JSON.stringify(database)}`] : []),
    'server:',
    '  host: 127.0.0.1',
    '  port: 0',
    'feeds:',
    ...feeds,
    '',
  ].join('\n');
}

/** Story `k` of feed `feed` (k = 0 its newest), or one `published` at a given time (a fresh story). */
export function siteItem(feed: number, k: number, published?: Date): ParsedItem {
  const id = k * SITE_SPEC.feeds + feed;
  const next = mulberry32(id * 2_246_822_519 + 3);
  const authors = feedAuthors(feed);
  const author = authors.length === 0 ? null : authors[k % authors.length]!;
  const when = published ?? new Date(NEWEST_MS - id * STEP_MS - Math.floor(next() * 9) * 60_000);
  const article = generateArticle(id, feed, when);
  const excerpt = writeExcerpt(next, SITE_SPEC.excerptChars[0], SITE_SPEC.excerptChars[1]);
  return {
    id: article.link,
    title: article.title,
    link: article.link,
    author,
    published: when,
    updated: null,
    summary: excerpt.html,
    content: null,
    categories: article.categories,
  };
}

/** What the seed left: items saved, stories stored, excerpt characters, and in how many stories each word appears. */
export interface SiteSeed {
  items: number;
  stories: number;
  excerptChars: { min: number; max: number; mean: number };
  /** Stories whose title or excerpt a query matches (word, "phrase" or prefix*), for the queries `seedSite` was given. */
  storiesWith: Map<string, number>;
}

/** Stores `stories` stories spread evenly over the feeds, one saveFetched per feed. */
export async function seedSite(app: App, stories: number, now: Date, queries: readonly string[]): Promise<SiteSeed> {
  const perFeed = Math.ceil(stories / SITE_SPEC.feeds);
  const storiesWith = new Map(queries.map((query) => [query, 0]));
  let items = 0;
  let chars = 0;
  let min = Infinity;
  let max = 0;
  for (let feed = 0; feed < SITE_SPEC.feeds; feed++) {
    const count = Math.max(0, Math.min(perFeed, stories - feed * perFeed));
    const parsed = Array.from({ length: count }, (_, k) => siteItem(feed, k));
    for (const item of parsed) {
      const text = item.summary!.replace(/<[^>]+>/g, ' ');
      const length = text.replace(/\s+/g, ' ').trim().length;
      chars += length;
      min = Math.min(min, length);
      max = Math.max(max, length);
      const words = `${item.title} ${text}`.toLowerCase().split(/[^\p{L}]+/u);
      for (const query of queries) if (matches(query, words)) storiesWith.set(query, storiesWith.get(query)! + 1);
    }
    items += parsed.length;
    if (parsed.length > 0) await app.store.saveFetched(siteFeedId(feed), normalizeItems(parsed, now), fetchedState(feed, now), now, null);
  }
  return { items, stories: await app.store.countStories(), excerptChars: { min, max, mean: chars / Math.max(1, items) }, storiesWith };
}

/** What a successful fetch of feed `feed` leaves behind. */
function fetchedState(feed: number, now: Date): FetchSuccess {
  return {
    url: `https://columnists.example/${siteFeedId(feed)}/rss`,
    etag: null,
    lastModified: null,
    title: feedTitle(feed),
    siteLink: `https://columnists.example/${siteFeedId(feed)}/`,
    ttlMinutes: null,
    nextFetchAt: new Date(now.getTime() + 30 * 60_000),
  };
}

/** Whether a story of these words (lower-case, in order) matches a query of one word, one "phrase" or one prefix*. */
function matches(query: string, words: readonly string[]): boolean {
  if (query.endsWith('*')) return words.some((word) => word.startsWith(query.slice(0, -1)));
  if (query.startsWith('"')) return ` ${words.join(' ')} `.includes(` ${query.slice(1, -1)} `);
  return words.includes(query);
}

/** One new column on top of feed 0 (what a poll brings): the content version moves on. */
export async function addFreshStory(app: App, n: number, now: Date): Promise<void> {
  const made = siteItem(0, 1_000_000 + n, now);
  // A title and link of its own: never a re-issue of a seeded column.
  const link = `${made.link}-fresh-${n}`;
  const item = { ...made, id: link, link, title: `${made.title} (update ${n})` };
  await app.store.saveFetched(siteFeedId(0), normalizeItems([item], now), fetchedState(0, now), now, null);
}

/** The vocabulary's size, for the report. */
export const VOCABULARY_WORDS = CONTENT_WORDS.length;
