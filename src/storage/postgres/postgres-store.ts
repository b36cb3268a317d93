/**
 * The PostgreSQL backend of the Store, for installations spread over many processes: the same
 * behaviour as the SQLite one (one transaction per fetched feed, tombstones, stable story ids,
 * fenced delivery claims), checked by the one contract suite both run (tests/storage/contract).
 */
import { cacheContentVersion } from '../content-version.ts';
import { claimAsAttempt, endDeliveryAttempt } from '../delivery-attempts.ts';
import { isOwnerDead, processOwnerId } from '../process-owner.ts';
import { LostLeaseError, STALE_CLAIM_MS, type ClusterStore, type FeedLease, type Store, type StoreOptions } from '../store.ts';
import { createPostgresClusterStore } from './cluster-store.ts';
import { openPostgres } from './database.ts';
import { createPostgresDigestStore } from './digest-store.ts';
import { createPostgresFeedStore } from './feed-store.ts';
import { createPostgresStatsStore } from './stats-store.ts';
import { createPostgresStoryStore } from './story-store.ts';
import { createPostgresReaderStore } from './reader-store.ts';
import { createPostgresSubscriberStore } from './subscriber-store.ts';
import { createPostgresSubscriptionStore } from './subscription-store.ts';

/** Options of the PostgreSQL store beyond those both backends take. */
export interface PostgresStoreOptions extends StoreOptions {
  /** Connections this process may open (default 10); the server must allow the sum over all processes. */
  maxConnections?: number;
  /** How often a LISTEN connection checks that the server answers, and waits for it (default 15 s). */
  listenCheckMs?: number;
}

/** Connects to `url`, migrates it, and returns the Store over it. */
export async function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store & ClusterStore> {
  const owner = options.claimOwner ?? processOwnerId();
  const attempts = `${owner}\n${url}`; // this process's delivery attempts on this database (delivery-attempts.ts)
  const db = await openPostgres(url, {
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.listenCheckMs === undefined ? {} : { listenCheckMs: options.listenCheckMs }),
  });
  const feeds = createPostgresFeedStore(db);
  const stories = createPostgresStoryStore(db);
  const digests = createPostgresDigestStore(db);
  const stats = createPostgresStatsStore(db);
  const subscriptions = createPostgresSubscriptionStore(db);
  const subscribers = createPostgresSubscriberStore(db);
  const readers = createPostgresReaderStore(db);
  const version = cacheContentVersion(() => stories.version());
  const cluster = createPostgresClusterStore(db);
  /** One fetched feed's items and state in one transaction; with `fence`, only while that lease holds the feed. */
  const saveFetched = async (...[feedId, items, state, now, keepAfter, fence]: [...Parameters<Store['saveFetched']>, FeedLease?]) => {
    const result = await db.transaction(async (tx) => {
      const { changed, ...saved } = await stories.saveItems(tx, feedId, items, now, keepAfter, state.itemsLeftUnread);
      if (changed) await stories.bumpVersion(tx);
      // A full save always sets the document hash: one not given is unknown (null), never the last one's.
      await feeds.markSuccess(feedId, { ...state, bodyHash: state.bodyHash ?? null, itemDigest: state.itemDigest ?? null }, now, tx, fence);
      return saved;
    });
    version.wrote();
    return result;
  };
  return {
    ...cluster,
    leased: (lease) => ({
      saveFetched: async (feedId, items, state, now, keepAfter) => {
        try {
          return await saveFetched(feedId, items, state, now, keepAfter, lease);
        } catch (err) {
          // Tried again after a commit whose answer was lost: that commit ended the lease, so this
          // one is refused, but the save is stored. Its added count is read back; its updated
          // count is not kept anywhere and is reported as 0.
          if (!(err instanceof LostLeaseError) || !(await feeds.savedUnder(lease, now))) throw err;
          version.wrote();
          const added = await stories.addedAt(feedId, now);
          return { added, updated: 0, duplicates: Math.max(0, items.length - added) };
        }
      },
      markNotModified: (feedId, state, now) => feeds.markSuccess(feedId, state, now, undefined, lease),
      markFailed: (feedId, failure, now) => feeds.markFailure(feedId, failure, now, lease),
    }),
    syncFeeds: (sources) => feeds.sync(sources),
    listFeeds: () => feeds.listActive(),
    countFeeds: () => feeds.countActive(),
    getFeed: (id) => feeds.get(id),
    itemDigest: (id) => feeds.itemDigest(id),
    saveFetched: (feedId, items, state, now, keepAfter) => saveFetched(feedId, items, state, now, keepAfter),
    markNotModified: (feedId, state, now) => feeds.markSuccess(feedId, state, now),
    markFailed: (feedId, failure, now) => feeds.markFailure(feedId, failure, now),
    listStories: (query) => stories.list(query),
    storyByPublicId: (publicId) => stories.byPublicId(publicId),
    bylineStats: () => stories.bylineStats(),
    searchStories: (query) => stories.search(query),
    countStoriesByFeed: () => stories.countByFeed(),
    countStories: () => stories.count(),
    pruneStories: async (before) => {
      const pruned = await stories.prune(before);
      version.wrote();
      return pruned;
    },
    contentVersion: () => version.get(),
    lastPollAt: () => feeds.lastFetchAt(),
    maxStoryId: () => stories.maxId(),
    maxStoryIdSeenBefore: (at) => stories.maxIdSeenBefore(at),
    storyIdsInRange: (fromId, toId, feedIds) => stories.idsInRange(fromId, toId, feedIds),
    storiesByIds: (ids) => stories.listByIds(ids),
    lastNewStoryByFeed: () => stories.lastNewStoryByFeed(),
    createDigestRun: async (run) => (await digests.claimRun(run)).run,
    claimScheduledDigestRun: (run, slot) => digests.claimRun(run, slot),
    claimDigestRun: (run) => digests.claimRun(run),
    claimDelivery: (runId, address, now) =>
      claimAsAttempt(attempts, runId, address, async () =>
        digests.claimDelivery(runId, address, owner, now, new Date(now.getTime() - STALE_CLAIM_MS), isOwnerDead),
      ),
    endDeliveryAttempt: (claim) => endDeliveryAttempt(attempts, claim.runId, claim.address, claim.token),
    renewDeliveryClaim: (claim, now) => digests.renewClaim(claim, now),
    latestDigestRun: (digestId) => digests.latestRun(digestId),
    unfinishedDigestRuns: (digestId) => digests.unfinishedRuns(digestId),
    listDigestRuns: (digestId, limit) => digests.listRuns(digestId, limit),
    deliveries: (runId) => digests.deliveries(runId),
    pendingCopies: (runId, after, limit) => digests.pendingCopies(runId, after, limit),
    deliveryCounts: (runId) => digests.deliveryCounts(runId),
    deliveryErrors: (runId, limit) => digests.deliveryErrors(runId, limit),
    pruneDeliveries: (before) => digests.pruneDeliveries(before),
    markDelivery: async (claim, status, options) => {
      const written = await digests.markDelivery(claim, status, options);
      endDeliveryAttempt(attempts, claim.runId, claim.address, claim.token); // answered: the attempt is over (not when cut off: it may retry)
      return written;
    },
    finishDigestRunIfDone: (runId, at) => digests.finishRunIfDone(runId, at),
    unsubscribe: (address, digestId, at) => subscriptions.unsubscribe(address, digestId, at),
    resubscribe: (address, digestId = null, at = new Date()) => subscriptions.resubscribe(address, digestId, at),
    unsubscribedAddresses: (digestId) => subscriptions.unsubscribed(digestId),
    subscriptionState: (address, digestId) => subscriptions.state(address, digestId),
    subscriptionStates: (digestId) => subscriptions.states(digestId),
    addSubscribers: (digestId, rows, at) => subscribers.add(digestId, rows, at),
    removeSubscriber: (address, digestId) => subscribers.remove(address, digestId),
    listSubscribers: (digestId, page) => subscribers.list(digestId, page),
    countSubscribers: () => subscribers.count(),
    digestSubscribers: (digestId) => subscribers.receiving(digestId),
    listDigestSubscribers: (digestId, page) => subscribers.receivingPage(digestId, page),
    saveSignup: (signup, forgetBefore, replaceBefore) => readers.saveSignup(signup, forgetBefore, replaceBefore),
    dropSignup: (digestId, address, requestedAt) => readers.dropSignup(digestId, address, requestedAt),
    signup: (digestId, address) => readers.signup(digestId, address),
    listSignups: (digestId) => readers.listSignups(digestId),
    confirmSignup: (digestId, address, requestedAt, at) => readers.confirmSignup(digestId, address, requestedAt, at),
    preferences: (address) => readers.preferences(address),
    setPreferences: (digestId, address, change) => readers.setPreferences(digestId, address, change),
    subscriberChoices: (digestId) => readers.subscriberChoices(digestId),
    recordPermanentFailure: (address, error, at, threshold) => readers.recordPermanentFailure(address, error, at, threshold),
    clearFailures: (address) => readers.clearFailures(address),
    recordBounceReport: (address, messageIds, error, at, threshold) =>
      readers.recordBounceReport(address, messageIds, error, at, threshold),
    clearBounce: (address) => readers.clearBounce(address),
    listBounces: () => readers.listBounces(),
    bouncingAddresses: () => readers.bouncingAddresses(),
    recordPollCycle: (totals, finishedAt) => stats.recordPollCycle(totals, finishedAt),
    readStats: () => stats.read(),
    lastPollCycleAt: () => stats.lastPollCycleAt(),
    backup: () =>
      Promise.reject(
        new Error(
          'backup: columnwire backup copies the SQLite database; this installation keeps its data in PostgreSQL, so back it up with pg_dump (for example: pg_dump --format=custom --file=columnwire.dump "$COLUMNWIRE_DATABASE_URL")',
        ),
      ),
    close: () => db.close(),
  };
}
