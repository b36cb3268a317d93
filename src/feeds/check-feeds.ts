/**
 * Tries every configured feed once, storing nothing, with the same bounded concurrency as a
 * poll cycle (a few at once, fewer per host) so a check is as polite as a poll, and one
 * parse pool as large as a poll's.
 */
import type { FeedSource } from '../model.ts';
import { runLimited } from '../run-limited.ts';
import { withParsePool } from './parse-pool.ts';
import { tryFeed, type TryResult } from './try-feed.ts';
import type { TrySettings } from './try-settings.ts';

export interface FeedCheck {
  source: FeedSource;
  result: TryResult;
}

export interface CheckLimits {
  concurrency: number;
  perHostConcurrency: number;
}

/** Tries each feed; resolves to one check per feed in config order. `onResult` sees each as it finishes. */
export async function checkFeeds(
  feeds: readonly FeedSource[],
  settings: TrySettings,
  limits: CheckLimits,
  onResult?: (check: FeedCheck) => void,
): Promise<FeedCheck[]> {
  const results = new Map<string, TryResult>();
  await withParsePool(
    { workers: settings.parseWorkers, timeoutMs: settings.parseTimeoutMs, largestDocumentBytes: settings.maxBytes },
    (parser) =>
      runLimited(
        feeds,
        { concurrency: limits.concurrency, perKey: limits.perHostConcurrency, keyOf: (feed) => new URL(feed.url).host },
        async (source) => {
          const result = await tryFeed(source.url, settings, parser);
          results.set(source.id, result);
          onResult?.({ source, result });
        },
      ),
  );
  return feeds.map((source) => ({ source, result: results.get(source.id)! }));
}
