/**
 * What each simulated columnist feed publishes, and what the server can prove the service
 * received. A feed's items only ever grow; its document at version v (= v items published)
 * lists the newest items of those v (all of them, or only a window of the latest N) and
 * carries the ETag "<id>-v<v>". The service stores a feed's ETag in the same transaction as
 * the document's items, so a request that comes back with If-None-Match "<id>-v<v>" proves
 * version v was stored whole: that is an acknowledged version.
 */
import { intBetween, streamFor } from '../helpers/prng.ts';

export interface PublishedItem {
  guid: string;
  link: string;
  title: string;
  author: string;
  published: Date;
}

export interface FeedModel {
  index: number;
  id: string;
  format: 'rss' | 'atom';
  /** How many of the latest items the document lists; null: every item ever published. */
  windowSize: number | null;
  /** Probability that a request gets a fault instead of the document. */
  faultRate: number;
  /** After the service has stored the feed once, every request redirects to a private address. */
  turnsPrivate: boolean;
  turned: boolean;
  /** Every item ever published, oldest first. */
  items: PublishedItem[];
  /** Versions the service proved it stored (its If-None-Match, or its final stored ETag). */
  acked: Set<number>;
  /** Links of the items that appeared complete in any 200 body sent (a superset of what can be stored). */
  served: Set<string>;
  /** Requests received (redirect hops not counted): the index of the next request's random stream. */
  requests: number;
  /** Paths this server redirected the feed to, whose request is the hop of that redirect. */
  pendingHops: Set<string>;
}

/** Feeds sharing one syndicated column per slot: feeds 0–4, 5–9, ... */
const GROUP_SIZE = 5;
const FAULT_RATES = [0.1, 0.25, 0.4, 0.55, 0.75] as const;
const TURNS_PRIVATE = new Set([2, 7, 12]);

/** The feeds of a run, their personalities drawn from `seed` (stratified, so any seed gets a mix). */
export function createFeedModels(seed: number, count: number, now: Date): FeedModel[] {
  return Array.from({ length: count }, (_, index) => {
    const random = streamFor(seed, 'feed', index);
    const feed: FeedModel = {
      index,
      id: `writer-${String(index).padStart(2, '0')}`,
      format: index % 4 === 3 ? 'atom' : 'rss',
      windowSize: index % 3 === 2 ? (random() < 0.5 ? 6 : 10) : null,
      faultRate: TURNS_PRIVATE.has(index) ? 0.05 : FAULT_RATES[index % FAULT_RATES.length]!,
      turnsPrivate: TURNS_PRIVATE.has(index),
      turned: false,
      items: [],
      acked: new Set(),
      served: new Set(),
      requests: 0,
      pendingHops: new Set(),
    };
    publish(feed, seed, intBetween(random, 3, 8), now);
    return feed;
  });
}

/** Publishes `count` new items now. Some slots carry the group's syndicated column (one link in several feeds). */
export function publish(feed: FeedModel, seed: number, count: number, now: Date): void {
  for (let n = 0; n < count; n++) {
    const slot = feed.items.length;
    const group = Math.floor(feed.index / GROUP_SIZE);
    const syndicated = streamFor(seed, 'syndicated', group, slot)() < 0.15;
    feed.items.push(
      syndicated
        ? {
            guid: `${feed.id}/syndicated/${group}/${slot}`,
            link: `https://syndicate.example.net/group-${group}/columns/${slot}`,
            title: `Syndicated column ${slot} of group ${group} on the week in politics`,
            author: `Syndicate Writer ${group}`,
            published: new Date(now.getTime() - 1000),
          }
        : {
            guid: `${feed.id}/column/${slot}`,
            link: `https://${feed.id}.example.com/columns/${slot}`,
            title: `Column ${slot} by ${feed.id} on the state of things`,
            author: `Writer ${feed.index}`,
            published: new Date(now.getTime() - 1000),
          },
    );
  }
}

/** The current version: how many items have been published. */
export const versionOf = (feed: FeedModel): number => feed.items.length;

export const etagOf = (feed: FeedModel, version: number): string => `"${feed.id}-v${version}"`;

/** The version an ETag of `feed` names, or null when it is not one of its ETags. */
export function versionOfEtag(feed: FeedModel, etag: string | null | undefined): number | null {
  const match = /^(?:W\/)?"([a-z0-9-]+)-v(\d+)"$/.exec(etag?.trim() ?? '');
  return match && match[1] === feed.id ? Number(match[2]) : null;
}

/** The items the document of `version` lists, newest first. */
export function windowOf(feed: FeedModel, version: number): PublishedItem[] {
  const from = feed.windowSize === null ? 0 : Math.max(0, version - feed.windowSize);
  return feed.items.slice(from, version).reverse();
}

export interface RenderedFeed {
  body: Buffer;
  /** Each listed item and the byte offset just past its closing tag. */
  items: Array<{ item: PublishedItem; end: number }>;
}

/** The feed document of `version` (ASCII only, so character and byte offsets agree). */
export function renderFeed(feed: FeedModel, version: number): RenderedFeed {
  const atom = feed.format === 'atom';
  let text = atom
    ? `<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>${feed.id} columns</title>` +
      `<id>urn:columnwire-fault:${feed.id}</id><updated>${new Date().toISOString()}</updated><link href="https://${feed.id}.example.com/"/>\n`
    : `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` +
      `<title>${feed.id} columns</title><link>https://${feed.id}.example.com/</link><description>Columns by ${feed.id}</description>\n`;
  const items: RenderedFeed['items'] = [];
  for (const item of windowOf(feed, version)) {
    const summary = `What ${item.author} thinks this week, at some length. `.repeat(4);
    text += atom
      ? `<entry><title>${item.title}</title><link href="${item.link}"/><id>${item.guid}</id>` +
        `<updated>${item.published.toISOString()}</updated><author><name>${item.author}</name></author><summary>${summary}</summary></entry>\n`
      : `<item><title>${item.title}</title><link>${item.link}</link><guid isPermaLink="false">${item.guid}</guid>` +
        `<pubDate>${item.published.toUTCString()}</pubDate><dc:creator>${item.author}</dc:creator><description>${summary}</description></item>\n`;
    items.push({ item, end: text.length - 1 });
  }
  text += atom ? '</feed>\n' : '</channel></rss>\n';
  return { body: Buffer.from(text, 'ascii'), items };
}
