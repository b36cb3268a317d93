/**
 * One poll job of a cluster worker: lease the feed (no other worker fetches it meanwhile, and the
 * feeds of one host stay within poll.perHostConcurrency across the cluster), poll it exactly as
 * the embedded poller does, writing through the lease (a zombie whose lease was taken over
 * writes nothing), then release it. Every outcome is a value; nothing here throws for a feed.
 */
import type { Config } from '../config/load.ts';
import type { Logger } from '../logger.ts';
import type { Feed, PollOutcome } from '../model.ts';
import { redactSecrets, redactUrl } from '../redact.ts';
import { isOwnerDead } from '../storage/process-owner.ts';
import { retryWhileUnavailable } from '../storage/retry-while-unavailable.ts';
import { LostLeaseError, isStoreTransient, type ClusterStore, type Store } from '../storage/store.ts';
import { pollFeed, type PollDeps } from './poll-feed.ts';

/** What one leased poll did, for the worker's log and metrics. */
export type LeasedPollResult =
  | { kind: 'polled'; outcome: PollOutcome }
  /** Not polled: another worker holds it, its host is at its cap, it left the config, or it is not due any more. */
  | { kind: 'skipped'; reason: 'leased' | 'host-busy' | 'not-found' | 'not-due' }
  /** Polled, but the lease was taken over meanwhile (this worker stalled past it): its result was dropped. */
  | { kind: 'lost-lease' };

export interface LeasedPollDeps extends PollDeps {
  store: Store & ClusterStore;
  logger: Logger;
  /** This process, as lease owner. */
  owner: string;
  config: Config;
  /** How long a lease lasts: longer than any fetch and parse can (they have their own deadlines). */
  leaseMs: number;
  /** How long a save the store could not take (PostgreSQL restarting) is tried again; default SAVE_RETRY_MS, within the lease. */
  saveRetryMs?: number;
  observeFeed?: (outcome: PollOutcome['kind'], seconds: number) => void;
}

/**
 * A save cut off by PostgreSQL restarting is tried again for this long (a fast restart takes
 * 1–2 s): dropped, the columns fetched would wait for the lease to expire and the planner to
 * queue the feed again, and a feed that rotates them out meanwhile would lose them.
 */
const SAVE_RETRY_MS = 30_000;
/** A retried save must commit this long before the lease expires (the commit checks the lease). */
const LEASE_MARGIN_MS = 5_000;
/** A lease release the store could not take is tried again for this long. */
const RELEASE_RETRY_MS = 10_000;

/** Polls `feedId` under a lease. */
export async function pollLeasedFeed(feedId: string, deps: LeasedPollDeps): Promise<LeasedPollResult> {
  const source = deps.config.feeds.find((candidate) => candidate.id === feedId);
  if (!source) {
    // Removed by a reload, or this process reads another feeds.yaml than the scheduler's: handed
    // back, so the next planner tick queues it again for a worker that has it (left queued, it
    // would wait out the requeue delay each time this worker took it, and never say why).
    await deps.store.unqueueFeed(feedId, deps.now());
    deps.logger.warn(
      { feedId, config: deps.config.path },
      'poll job for a feed not in this feeds.yaml; handed back (every process must read the same feeds.yaml)',
    );
    return { kind: 'skipped', reason: 'not-found' };
  }
  // Polled by another worker between planning and now (a job run twice): nothing is due, no lease is taken.
  const lease = await leaseWhenHostFrees(feedId, source.url, deps);
  if (lease === 'host-busy') await deps.store.unqueueFeed(feedId, deps.now()); // the next planner tick queues it again
  if (typeof lease === 'string') return { kind: 'skipped', reason: lease };
  const log = () => deps.logger.child({ feedId }); // made only when used (see poll-all.ts)
  const started = performance.now();
  const leaseEnds = started + deps.leaseMs - LEASE_MARGIN_MS;
  // A fenced write that lands ends the lease in its commit, and one refused found it replaced:
  // either way there is nothing left to release (one round trip fewer per feed).
  let ended = false;
  const ending =
    <Args extends unknown[], Result>(write: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      try {
        const result = await write(...args);
        ended = true;
        return result;
      } catch (err) {
        if (err instanceof LostLeaseError) ended = true;
        throw err;
      }
    };
  const leased = deps.store.leased(lease);
  const store: Store = {
    ...deps.store,
    saveFetched: ending((...args: Parameters<Store['saveFetched']>) =>
      retryWhileUnavailable(
        () => leased.saveFetched(...args),
        Math.min(leaseEnds, performance.now() + (deps.saveRetryMs ?? SAVE_RETRY_MS)),
        log,
      ),
    ),
    markNotModified: ending(leased.markNotModified),
    markFailed: ending(leased.markFailed),
    // As the lease read them: no other worker writes the feed while this one holds it.
    getFeed: (id) => (id === feedId ? Promise.resolve(lease.state) : deps.store.getFeed(id)),
    itemDigest: (id) => (id === feedId ? Promise.resolve(lease.itemDigest) : deps.store.itemDigest(id)),
  };
  try {
    const feed: Feed = { ...lease.state, source };
    const outcome = await pollFeed(feed, { ...deps, store });
    deps.observeFeed?.(outcome.kind, (performance.now() - started) / 1000);
    if (outcome.kind === 'failed') log().warn({ url: redactUrl(feed.url), error: redactSecrets(outcome.error) }, 'feed failed');
    return { kind: 'polled', outcome };
  } catch (err) {
    if (err instanceof LostLeaseError) {
      log().warn({ err }, 'feed lease taken over while polling; this result is dropped');
      return { kind: 'lost-lease' };
    }
    // Busy, or PostgreSQL restarting: not the feed's failure (no backoff recorded on it). The job
    // fails; the feed is queued again once its lease is released or has expired.
    if (isStoreTransient(err)) throw err;
    log().error({ err }, 'feed poll crashed');
    const error = `internal error: ${(err as Error).message}`;
    const nextFetchAt = new Date(deps.now().getTime() + 3600_000);
    await store.markFailed(feedId, { error, nextFetchAt, waitReason: 'backoff' }, deps.now()).catch(() => {});
    return { kind: 'polled', outcome: { kind: 'failed', error, nextFetchAt } };
  } finally {
    // Left to expire, the lease would hold the feed for its whole length (110 s by default).
    if (!ended)
      await retryWhileUnavailable(() => deps.store.releaseFeedLease(lease), performance.now() + RELEASE_RETRY_MS, log).catch(
        (err: unknown) => log().warn({ err }, 'feed lease release failed; it expires'),
      );
  }
}

/** Waits this long at most for a slot of the feed's host (other workers hold poll.perHostConcurrency leases there). */
const HOST_WAIT_MS = 5_000;

/** Takes the feed's lease, waiting a little while its host is at its cap. */
async function leaseWhenHostFrees(feedId: string, url: string, deps: LeasedPollDeps) {
  const cap = deps.config.poll.perHostConcurrency;
  const started = Date.now();
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    const lease = await deps.store.takeFeedLease(feedId, deps.owner, deps.now(), deps.leaseMs, cap, { isOwnerDead, dueOnly: true, url });
    if (lease !== 'host-busy' || Date.now() - started >= HOST_WAIT_MS) return lease;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
