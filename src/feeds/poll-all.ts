/**
 * One poll cycle, shared by `columnwire poll` and the scheduler: every due feed (or one),
 * fetched with bounded concurrency and at most a few per host, then retention applied.
 * A failing feed never stops the others.
 */
import type { Config } from '../config/load.ts';
import type { Logger } from '../logger.ts';
import type { Feed, FeedState, PollOutcome } from '../model.ts';
import { listFeeds } from './list-feeds.ts';
import { isStoreBusy, isStoreTransient } from '../storage/store.ts';
import { pollFeed, type PollDeps } from './poll-feed.ts';
import { redactSecrets, redactUrl } from '../redact.ts';
import { runLimited } from '../run-limited.ts';
import { retentionCutoff } from '../support/retention.ts';
import { isDue } from './schedule.ts';
import { missedRunSince } from '../scheduler.ts';

export interface PollCycleOptions {
  /** Poll only this feed. */
  feedId?: string;
  /** Consider only these feeds (a config reload: the new ones and those whose URL changed); each is polled if due. */
  feedIds?: ReadonlySet<string>;
  /** The cycle a (re)start runs: a feed is due only if never fetched or it missed a poll while the service was down (dueAtStart). */
  startup?: boolean;
  /** Fetch even feeds that back off or were asked to wait. */
  force?: boolean;
  /** Scheduled runs honour publisher intervals too; manual ones only backoff and Retry-After. */
  mode: 'scheduled' | 'manual';
  /** Called as each feed finishes, for progress output. */
  onResult?: (feed: Feed, outcome: PollOutcome) => void;
}

export interface PollCycleSummary {
  results: Array<{ feed: Feed; outcome: PollOutcome }>;
  pruned: number;
  durationMs: number;
}

/** What a cycle needs beyond one feed's poll: a logger, and optionally a timing observer (metrics). */
export type CycleDeps = PollDeps & {
  logger: Logger;
  /** Called once per polled feed with its outcome and the seconds it took. */
  observeFeed?: (outcome: PollOutcome['kind'], seconds: number) => void;
  /** When aborted (shutdown), no new feed starts; fetches in flight finish. */
  signal?: AbortSignal;
};

/** A `--feed` id that is not in the config. */
export class UnknownFeedError extends Error {
  override name = 'UnknownFeedError';
  /** The user fixes it in the config or the command: exit 2. */
  readonly exitCode = 2;
}

/**
 * Whether a (re)starting service polls `feed` now: never fetched (or its URL moved, which clears
 * nextFetchAt), or a tick of the poll schedule came at or after its stored nextFetchAt, after its
 * last fetch, and before `now`, so a running service would have fetched it already. A feed
 * fetched just before a restart waits for the next tick, as it would have without the restart.
 */
export function dueAtStart(feed: FeedState, now: Date, pollSchedule: string): boolean {
  if (feed.nextFetchAt === null || feed.lastFetchAt === null) return true;
  if (!isDue(feed, now, 'scheduled', false)) return false;
  const after = Math.max(feed.lastFetchAt.getTime(), feed.nextFetchAt.getTime() - 1);
  return missedRunSince(pollSchedule, new Date(after), now);
}

/** Runs one poll cycle and returns what happened to each feed. */
export async function pollAll(config: Config, deps: CycleDeps, options: PollCycleOptions): Promise<PollCycleSummary> {
  const started = deps.now();
  let feeds = await listFeeds(config, deps.store);
  if (options.feedId !== undefined) {
    feeds = feeds.filter((feed) => feed.id === options.feedId);
    if (feeds.length === 0) {
      throw new UnknownFeedError(`poll: no feed with id "${options.feedId}" in ${config.path}; run "columnwire feeds" to list them`);
    }
  }
  const results: PollCycleSummary['results'] = [];
  const record = (feed: Feed, outcome: PollOutcome): void => {
    results.push({ feed, outcome });
    options.onResult?.(feed, outcome);
  };
  if (options.feedIds !== undefined) {
    const wanted = options.feedIds;
    feeds = feeds.filter((feed) => wanted.has(feed.id));
  }
  const dueNow = (feed: Feed): boolean =>
    options.startup === true && options.force !== true
      ? dueAtStart(feed, started, config.poll.schedule)
      : isDue(feed, started, options.mode, options.force ?? false);
  const due = feeds.filter((feed) => {
    if (dueNow(feed)) return true;
    record(feed, { kind: 'skipped', reason: feed.waitReason ?? 'schedule', until: feed.nextFetchAt! });
    return false;
  });
  const limits = {
    concurrency: config.poll.concurrency,
    perKey: config.poll.perHostConcurrency,
    keyOf: (feed: Feed) => new URL(feed.url).host,
  };
  let notStarted = 0;
  await runLimited(due, limits, async (feed) => {
    if (deps.signal?.aborted) return void notStarted++;
    record(feed, await pollGuarded(feed, deps));
  });
  if (notStarted > 0) {
    deps.logger.info({ ...countOutcomes(results), notStarted }, 'poll cycle cut short by shutdown');
    return { results, pruned: 0, durationMs: deps.now().getTime() - started.getTime() };
  }
  const keepAfter = retentionCutoff(deps.now(), config.retentionDays);
  const pruned = keepAfter ? await unlessBusy(deps, 'retention', () => deps.store.pruneStories(keepAfter), 0) : 0;
  const finished = deps.now();
  const summary = { results, pruned, durationMs: finished.getTime() - started.getTime() };
  const totals = countOutcomes(results);
  await unlessBusy(
    deps,
    'cycle totals',
    () =>
      deps.store.recordPollCycle(
        {
          'fetches.stored': results.filter(({ outcome }) => outcome.kind === 'stored').length,
          'fetches.not_modified': totals.notModified,
          'fetches.failed': totals.failed,
          'stories.added': totals.added,
          'stories.updated': totals.updated,
        },
        finished,
      ),
    undefined,
  );
  deps.logger.info({ ...totals, pruned, durationMs: summary.durationMs }, 'poll cycle finished');
  return summary;
}

/** The boundary for one feed: an unexpected error is logged and recorded like any failure. */
async function pollGuarded(feed: Feed, deps: CycleDeps): Promise<PollOutcome> {
  // Made when there is something to say: a child logger costs its redaction pass (40 µs) even unused.
  const log = () => deps.logger.child({ feedId: feed.id });
  const startedMs = performance.now();
  try {
    const outcome = await pollFeed(feed, deps);
    deps.observeFeed?.(outcome.kind, (performance.now() - startedMs) / 1000);
    if (outcome.kind === 'failed')
      log().warn({ url: redactUrl(feed.url), error: redactSecrets(outcome.error), retryAt: outcome.nextFetchAt }, 'feed failed');
    return outcome;
  } catch (err) {
    if (isStoreTransient(err)) {
      // Not the feed's fault (locked, or PostgreSQL restarting): nothing is recorded on it, so it is simply due again next cycle.
      log().warn(
        { err },
        isStoreBusy(err) ? 'database busy; feed left for the next cycle' : 'database unavailable; feed left for the next cycle',
      );
      return { kind: 'skipped', reason: 'busy', until: deps.now() };
    }
    log().error({ err, url: redactUrl(feed.url) }, 'feed poll crashed');
    const error = `internal error: ${(err as Error).message}`;
    const nextFetchAt = new Date(deps.now().getTime() + 3600_000);
    await deps.store.markFailed(feed.id, { error, nextFetchAt, waitReason: 'backoff' }, deps.now()).catch(() => {});
    deps.observeFeed?.('failed', (performance.now() - startedMs) / 1000);
    return { kind: 'failed', error, nextFetchAt };
  }
}

/** Runs a cycle-level write; when the database stays locked, logs it and goes on with `fallback` (the next cycle does it). */
async function unlessBusy<T>(deps: CycleDeps, what: string, write: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isStoreTransient(err)) throw err;
    deps.logger.warn(
      { err, what },
      isStoreBusy(err) ? 'database busy; left for the next cycle' : 'database unavailable; left for the next cycle',
    );
    return fallback;
  }
}

/** Totals by outcome, for the one summary line per cycle. */
export function countOutcomes(results: PollCycleSummary['results']) {
  const totals = {
    feeds: results.length,
    added: 0,
    updated: 0,
    duplicates: 0,
    notModified: 0,
    skipped: 0,
    failed: 0,
    /** Items with nothing to show (no title, link or text), not stored. */
    emptyItems: 0,
    /** Items past poll.maxItemsPerFeed, the oldest of their documents, not stored. */
    droppedItems: 0,
    /** Items of picked-from feeds no picking columnist signed, not stored. */
    unpickedItems: 0,
  };
  for (const { outcome } of results) {
    if (outcome.kind === 'stored') {
      totals.added += outcome.added;
      totals.updated += outcome.updated;
      totals.duplicates += outcome.duplicates;
      totals.emptyItems += outcome.emptyItems;
      totals.droppedItems += outcome.droppedItems;
      totals.unpickedItems += outcome.unpickedItems;
    } else if (outcome.kind === 'not-modified') totals.notModified++;
    else if (outcome.kind === 'skipped') totals.skipped++;
    else totals.failed++;
  }
  return totals;
}
