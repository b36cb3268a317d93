/** Finding a configured feed by id or by URL, as the commands that edit feeds.yaml need. Pure. */
import { UsageError } from '../errors.ts';
import { canonicalUrl } from '../feeds/canonical-url.ts';
import type { FeedSource } from '../model.ts';
import type { Config } from './load.ts';

/** The configured feed whose URL is any of `urls` up to scheme, `www.`, trailing slash and tracking parameters. */
export function findFeedByUrl(feeds: readonly FeedSource[], urls: readonly string[]): FeedSource | null {
  const wanted = new Set(urls.map((url) => canonicalUrl(url) ?? url));
  return feeds.find((feed) => wanted.has(canonicalUrl(feed.url) ?? feed.url)) ?? null;
}

/**
 * Feeds listed twice under URLs that differ only in scheme, `www.`, trailing slash or tracking
 * parameters (what `feeds add` refuses): each later one with the position of the first.
 */
export function findDuplicateFeeds(feeds: readonly FeedSource[]): Array<{ index: number; sameAs: number }> {
  const first = new Map<string, number>();
  const duplicates: Array<{ index: number; sameAs: number }> = [];
  feeds.forEach((feed, index) => {
    const key = canonicalUrl(feed.url) ?? feed.url;
    const sameAs = first.get(key);
    if (sameAs === undefined) first.set(key, index);
    else duplicates.push({ index, sameAs });
  });
  return duplicates;
}

/** The position of feed `id` in `config.feeds` (and in the file's `feeds:` list); a UsageError names how to list the ids. */
export function feedIndexOf(config: Config, id: string, command: string): number {
  const index = config.feeds.findIndex((feed) => feed.id === id);
  if (index === -1) {
    throw new UsageError(`${command}: no feed with id "${id}" in ${config.path}; run "columnwire feeds" to list the ids`);
  }
  return index;
}
