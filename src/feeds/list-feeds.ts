/** The configured feeds with their stored state: what polling, `feeds` and `stats` list. */
import type { Config } from '../config/load.ts';
import type { Feed, FeedSource, FeedState } from '../model.ts';
import type { Store } from '../storage/store.ts';

/**
 * Joins the configured feeds with their stored state. A feed the store has retired (another
 * process synced a different config) keeps its state; one it has never seen (a read-only
 * command, no sync) gets a blank, never-fetched state.
 */
export async function listFeeds(config: Config, store: Store): Promise<Feed[]> {
  const states = new Map((await store.listFeeds()).map((state) => [state.id, state]));
  const feeds: Feed[] = [];
  for (const source of config.feeds) {
    const state = states.get(source.id) ?? (await store.getFeed(source.id)) ?? neverFetched(source);
    feeds.push({ ...state, source });
  }
  return feeds;
}

function neverFetched(source: FeedSource): FeedState {
  return {
    id: source.id,
    url: source.url,
    configuredUrl: source.url,
    title: null,
    siteLink: null,
    etag: null,
    lastModified: null,
    lastFetchAt: null,
    lastSuccessAt: null,
    nextFetchAt: null,
    waitReason: null,
    ttlMinutes: null,
    bodyHash: null,
    consecutiveErrors: 0,
    lastError: null,
  };
}
