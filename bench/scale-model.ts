/**
 * The scale bench's simulated fleet, as pure functions of a seed, a feed index and time: which
 * host (loopback port) serves a feed, how often it changes, what it says at a given moment, and
 * what a given request to it gets (200, 304, 500, 429 with Retry-After, a slow or endless body).
 * Every decision comes from its own seeded stream (tests/helpers/prng.ts), so a run does not
 * depend on the order in which concurrent requests arrive.
 */
import { hashKeys, streamFor } from '../tests/helpers/prng.ts';

/** Loopback ports of the fleet: each one is a "host" for poll.perHostConcurrency. */
export const HOSTS = 200;
/** Items one document carries (its newest columns). */
export const ITEMS_PER_FEED = 10;
/** Distinct wire stories the syndicating feeds share (cross-feed duplicates). */
const SHARED_POOL = 50;
/** What the server tells a 429 to wait, seconds. */
export const RETRY_AFTER_SECONDS = 30;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** How often a feed changes: most never within a run, a few every minute or so. */
export type ChangeClass = 'hot' | 'warm' | 'cold';

/** A feed's fixed traits, drawn once from the seed. */
export interface FeedTraits {
  index: number;
  changeClass: ChangeClass;
  changeMs: number;
  /** Where in its first period the feed is at t0, ms. */
  phaseMs: number;
  /** Carries one wire story (shared with other feeds under another guid and tracking link). */
  syndicates: boolean;
  /** Sends its body in pieces over 1.5 s. */
  slow: boolean;
  /** Sends headers and a trickle, never the end: the poller's timeout must cut it. */
  endless: boolean;
}

/** The traits of feed `index` under `seed`: 2% hot (45–90 s), 10% warm (4–10 min), 88% cold (a day). */
export function feedTraits(seed: number, index: number): FeedTraits {
  const next = streamFor(seed, 'traits', index);
  const draw = next();
  const [changeClass, changeMs]: [ChangeClass, number] =
    draw < 0.02 ? ['hot', 45_000 + next() * 45_000] : draw < 0.12 ? ['warm', (4 + next() * 6) * MINUTE_MS] : ['cold', DAY_MS];
  const kind = next();
  return {
    index,
    changeClass,
    changeMs: Math.round(changeMs),
    phaseMs: Math.round(next() * changeMs),
    syndicates: next() < 0.02,
    slow: kind < 0.005,
    endless: kind >= 0.005 && kind < 0.0055,
  };
}

/** The feed's version at `atMs` (0 at t0 for every feed). */
export function versionAt(traits: FeedTraits, t0Ms: number, atMs: number): number {
  return Math.floor((atMs - t0Ms + traits.phaseMs) / traits.changeMs);
}

/** When version `version` appeared: its Last-Modified and its newest column's date. */
export function versionStartMs(traits: FeedTraits, t0Ms: number, version: number): number {
  return t0Ms - traits.phaseMs + version * traits.changeMs;
}

/** The port index (host) of feed `index`, and its path there. */
export const hostOf = (index: number): number => index % HOSTS;
export const feedPath = (index: number): string => `/feeds/${index}.xml`;
export const feedId = (index: number): string => `f${String(index).padStart(5, '0')}`;

/** What a request gets before any body is considered: 1% 500, 0.5% 429, the rest served. */
export function requestFate(seed: number, index: number, nth: number): 'serve' | 'error' | 'throttle' {
  const draw = hashKeys(seed, 'request', index, nth) / 4294967296;
  return draw < 0.01 ? 'error' : draw < 0.015 ? 'throttle' : 'serve';
}

/** One document: its strong ETag (RFC 9110 §8.8.3), Last-Modified, body, and the column ids it carries. */
export interface Document {
  etag: string;
  lastModifiedMs: number;
  body: string;
  articles: string[];
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Feed `traits.index` at version `version`: its ITEMS_PER_FEED newest columns, plus a wire story when it syndicates. */
export function renderDocument(traits: FeedTraits, t0Ms: number, version: number): Document {
  const { index } = traits;
  const items: string[] = [];
  const articles: string[] = [];
  for (let k = version; k > version - ITEMS_PER_FEED; k--) {
    const link = `https://columns${hostOf(index)}.example.com/${feedId(index)}/${k}`;
    articles.push(`${feedId(index)}/${k}`);
    items.push(
      item(
        `Column ${k} by writer ${index}: the case for ${(k * 7 + index) % 97} small reforms`,
        link,
        link,
        versionStartMs(traits, t0Ms, k),
        `Writer ${index}`,
      ),
    );
  }
  if (traits.syndicates) {
    // The same wire story under each feed's own guid and tracking link: one story, several sources.
    const story = (index * 7 + version) % SHARED_POOL;
    const link = `https://wire.example.net/story/${story}`;
    articles.push(`wire/${story}`);
    items.push(
      item(
        `Wire story ${story}: what the numbers say`,
        `${link}?utm_source=feed&utm_campaign=${feedId(index)}`,
        `wire-${feedId(index)}-${story}`,
        t0Ms - (story + 1) * 3_600_000,
        'Wire Service',
      ),
    );
  }
  const lastModifiedMs = versionStartMs(traits, t0Ms, version);
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Writer ${index}</title><link>https://columns${hostOf(index)}.example.com/${feedId(index)}</link><description>Columns by writer ${index}</description>
${items.join('\n')}
</channel></rss>
`;
  return { etag: `"${feedId(index)}-${version}"`, lastModifiedMs, body, articles };
}

function item(title: string, link: string, guid: string, publishedMs: number, author: string): string {
  return `<item><title>${esc(title)}</title><link>${esc(link)}</link><guid isPermaLink="false">${esc(guid)}</guid><pubDate>${new Date(publishedMs).toUTCString()}</pubDate><dc:creator>${esc(author)}</dc:creator><description>${esc(`<p>${title}. A short column body, enough to store.</p>`)}</description></item>`;
}

/** Whether the request's validators match the current document (RFC 9110 §13.1.2, §13.1.3): If-None-Match wins. */
export function isNotModified(document: Document, ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): boolean {
  if (ifNoneMatch) return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === document.etag);
  if (!ifModifiedSince) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(document.lastModifiedMs / 1000) * 1000 <= since;
}
