/**
 * The one narrow storage interface the rest of columnwire uses. SQLite is the backend today;
 * another (PostgreSQL) implements the same shape, hence
 * the promises even where SQLite answers synchronously. One call per fetched feed is one transaction.
 */
import type { Delivery, DeliveryStatus, DigestRun, FeedSource, FeedState, NormalizedItem, SaveResult, Story } from '../model.ts';
import { backupDatabase, isBusyError, openDatabase } from './database.ts';
import { createDigestStore, type ClaimedRun, type DeliveryClaim, type NewRun } from './digest-store.ts';
import { createFeedStore, type FetchFailure, type FetchSuccess } from './feed-store.ts';
import { createStatsStore, type CounterName, type ServiceStats } from './stats-store.ts';
import { createStoryStore, type StoryQuery } from './story-store.ts';
import { isOwnerDead, processOwnerId } from './process-owner.ts';
import { createSubscriptionStore, type SubscriptionState } from './subscription-store.ts';

export type { FetchFailure, FetchSuccess } from './feed-store.ts';
export type { StoryQuery } from './story-store.ts';
export type { ClaimedRun, DeliveryClaim, NewRun } from './digest-store.ts';
export type { CounterName, ServiceStats } from './stats-store.ts';
export type { SubscriptionState } from './subscription-store.ts';

export interface Store {
  /** Makes the stored feeds match the config. */
  syncFeeds(sources: readonly FeedSource[]): Promise<void>;
  /** The feeds in the config (removed ones keep their state and stories but are not listed). */
  listFeeds(): Promise<FeedState[]>;
  getFeed(id: string): Promise<FeedState | null>;
  /** Stores a fetched feed's items and its new state in one transaction. */
  saveFetched(
    feedId: string,
    items: readonly NormalizedItem[],
    state: FetchSuccess,
    now: Date,
    keepAfter: Date | null,
  ): Promise<SaveResult>;
  markNotModified(feedId: string, state: FetchSuccess, now: Date): Promise<void>;
  markFailed(feedId: string, failure: FetchFailure, now: Date): Promise<void>;
  listStories(query: StoryQuery): Promise<Story[]>;
  /** Stories each feed contributed to, by feed id. */
  countStoriesByFeed(): Promise<Map<string, number>>;
  countStories(): Promise<number>;
  /** Removes stories published before `before`, keeping their identity keys. */
  pruneStories(before: Date): Promise<number>;
  /** Changes whenever what the merged feeds show changes (also by another process). */
  contentVersion(): Promise<number>;
  /** When any feed was last fetched, or null. */
  lastPollAt(): Promise<Date | null>;
  /** The highest story id; ids only grow, so it is the digest cursor. */
  maxStoryId(): Promise<number>;
  /** The highest id among stories first seen at or before `at`. */
  maxStoryIdSeenBefore(at: Date): Promise<number>;
  storyIdsInRange(fromId: number, toId: number, feedIds?: readonly string[]): Promise<number[]>;
  /** Stories by id (those retention has not removed), newest first. */
  storiesByIds(ids: readonly number[]): Promise<Story[]>;
  /** When each feed last brought a new story. */
  lastNewStoryByFeed(): Promise<Map<string, Date>>;
  /** Records a run after the latest one (tests and tools; the sender claims). */
  createDigestRun(run: NewRun): Promise<DigestRun>;
  /** Records a run planned from the cursor `run.afterRunId`, or returns the run another process made from it first. */
  claimDigestRun(run: NewRun & { afterRunId: number }): Promise<ClaimedRun>;
  /** Claims a pending delivery for this process to send; null when it is done or another live sender has it. */
  claimDelivery(runId: number, address: string, now: Date): Promise<DeliveryClaim | null>;
  /** Renews a held claim right before its message goes to SMTP; false when another sender took it over (drop the copy). */
  renewDeliveryClaim(claim: DeliveryClaim, now: Date): Promise<boolean>;
  latestDigestRun(digestId: string): Promise<DigestRun | null>;
  unfinishedDigestRuns(digestId: string): Promise<DigestRun[]>;
  listDigestRuns(digestId: string | null, limit: number): Promise<DigestRun[]>;
  deliveries(runId: number): Promise<Delivery[]>;
  /** Records the result of a claimed delivery; false (nothing written) when the claim was lost meanwhile. */
  markDelivery(
    claim: DeliveryClaim,
    status: DeliveryStatus,
    options?: { error?: string | null; sentAt?: Date; attempts?: number },
  ): Promise<boolean>;
  /** Marks a run done when no delivery is left to send; true when it is done. */
  finishDigestRunIfDone(runId: number, at: Date): Promise<boolean>;
  /** Stops `digestId` (every digest when null) for `address`; a second unsubscribe keeps the first one's time. */
  unsubscribe(address: string, digestId: string | null, at: Date): Promise<void>;
  /** Undoes an unsubscribe from `digestId` (every digest when null), moving its epoch on; true when there was one. */
  resubscribe(address: string, digestId?: string | null, at?: Date): Promise<boolean>;
  /** Addresses that must not get `digestId`; without one, those unsubscribed from any digest. */
  unsubscribedAddresses(digestId?: string): Promise<Set<string>>;
  /** One address's standing for a digest (with the epoch its links carry), or null when none was recorded. */
  subscriptionState(address: string, digestId: string): Promise<SubscriptionState | null>;
  /** The standing of every address with one recorded for `digestId`, by lower-cased address. */
  subscriptionStates(digestId: string): Promise<Map<string, SubscriptionState>>;
  /** Adds a poll cycle's totals to the persistent counters and stamps when it finished. */
  recordPollCycle(totals: Partial<Record<CounterName, number>>, finishedAt: Date): Promise<void>;
  /** The persistent totals, for /metrics, /readyz and `columnwire stats`. */
  readStats(): Promise<ServiceStats>;
  /** Writes a consistent copy of the database to `destination` (online backup). */
  backup(destination: string): Promise<void>;
  close(): Promise<void>;
}

const VERSION_RECHECK_MS = 250;
/**
 * A delivery claim not renewed for this long is taken over even when its owner cannot be seen dead
 * (another host or container, a reused pid). The sender renews before every send attempt, and one
 * attempt lasts at most its SMTP timeouts (15 + 15 + 60 s); a sender paused past this (SIGSTOP,
 * suspend) finds its claim gone when it wakes, and neither sends nor writes (fencing token).
 */
export const STALE_CLAIM_MS = 15 * 60_000;

/** True when a store call failed only because another process held the database's write lock too long: retry later. */
export function isStoreBusy(error: unknown): boolean {
  return isBusyError(error);
}

/**
 * Opens the SQLite store at `path` (migrating it) and returns the Store over it. `claimOwner`
 * names its delivery claims (default: this process; tests give two stores two owners).
 */
export function createSqliteStore(path: string, options: { claimOwner?: string } = {}): Store {
  const owner = options.claimOwner ?? processOwnerId();
  const db = openDatabase(path);
  const feeds = createFeedStore(db);
  const stories = createStoryStore(db);
  const digests = createDigestStore(db);
  const stats = createStatsStore(db);
  const subscriptions = createSubscriptionStore(db);
  // The content version is read on every HTTP request; SQLite is asked again only after a
  // write by this process, or after VERSION_RECHECK_MS for writes by another process.
  let knownVersion = -1;
  let versionCheckedAt = 0;
  const contentVersion = (): number => {
    if (knownVersion < 0 || Date.now() - versionCheckedAt > VERSION_RECHECK_MS) {
      knownVersion = stories.version();
      versionCheckedAt = Date.now();
    }
    return knownVersion;
  };
  const wrote = (): void => {
    knownVersion = -1;
  };
  // IMMEDIATE (below): it reads before it writes, and a deferred transaction that another
  // process wrote past in between fails at once with SQLITE_BUSY, busy timeout or not.
  const saveFetched = db.transaction(
    (feedId: string, items: readonly NormalizedItem[], state: FetchSuccess, now: Date, keepAfter: Date | null) => {
      const { changed, ...result } = stories.saveItems(feedId, items, now, keepAfter);
      if (changed) stories.bumpVersion();
      feeds.markSuccess(feedId, state, now);
      return result;
    },
  );
  return {
    syncFeeds: async (sources) => feeds.sync.immediate([...sources]),
    listFeeds: async () => feeds.listActive(),
    getFeed: async (id) => feeds.get(id),
    saveFetched: async (feedId, items, state, now, keepAfter) => {
      const result = saveFetched.immediate(feedId, items, state, now, keepAfter);
      wrote();
      return result;
    },
    markNotModified: async (feedId, state, now) => feeds.markSuccess(feedId, state, now),
    markFailed: async (feedId, failure, now) => feeds.markFailure(feedId, failure, now),
    listStories: async (query) => stories.list(query),
    countStoriesByFeed: async () => stories.countByFeed(),
    countStories: async () => stories.count(),
    pruneStories: async (before) => {
      const pruned = stories.prune(before);
      wrote();
      return pruned;
    },
    contentVersion: async () => contentVersion(),
    lastPollAt: async () => feeds.lastFetchAt(),
    maxStoryId: async () => stories.maxId(),
    maxStoryIdSeenBefore: async (at) => stories.maxIdSeenBefore(at),
    storyIdsInRange: async (fromId, toId, feedIds) => stories.idsInRange(fromId, toId, feedIds),
    storiesByIds: async (ids) => stories.listByIds(ids),
    lastNewStoryByFeed: async () => stories.lastNewStoryByFeed(),
    createDigestRun: async (run) => digests.claimRun(run).run,
    claimDigestRun: async (run) => digests.claimRun(run),
    claimDelivery: async (runId, address, now) =>
      digests.claimDelivery(runId, address, owner, now, new Date(now.getTime() - STALE_CLAIM_MS), isOwnerDead),
    renewDeliveryClaim: async (claim, now) => digests.renewClaim(claim, now),
    latestDigestRun: async (digestId) => digests.latestRun(digestId),
    unfinishedDigestRuns: async (digestId) => digests.unfinishedRuns(digestId),
    listDigestRuns: async (digestId, limit) => digests.listRuns(digestId, limit),
    deliveries: async (runId) => digests.deliveries(runId),
    markDelivery: async (claim, status, options) => digests.markDelivery(claim, status, options),
    finishDigestRunIfDone: async (runId, at) => digests.finishRunIfDone(runId, at),
    unsubscribe: async (address, digestId, at) => subscriptions.unsubscribe(address, digestId, at),
    resubscribe: async (address, digestId = null, at = new Date()) => subscriptions.resubscribe(address, digestId, at),
    unsubscribedAddresses: async (digestId) => subscriptions.unsubscribed(digestId),
    subscriptionState: async (address, digestId) => subscriptions.state(address, digestId),
    subscriptionStates: async (digestId) => subscriptions.states(digestId),
    recordPollCycle: async (totals, finishedAt) => stats.recordPollCycle(totals, finishedAt),
    readStats: async () => stats.read(),
    backup: (destination) => backupDatabase(db, destination),
    close: async () => {
      db.close();
    },
  };
}
