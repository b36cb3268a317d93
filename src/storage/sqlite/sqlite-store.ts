/** The SQLite backend of the Store (the embedded default): one file, WAL, one write transaction per fetched feed. */
import { setImmediate } from 'node:timers/promises';
import { availableParallelism } from 'node:os';
import type { NormalizedItem } from '../../model.ts';
import { cacheContentVersion } from '../content-version.ts';
import { claimAsAttempt, endDeliveryAttempt } from '../delivery-attempts.ts';
import { isOwnerDead, processOwnerId } from '../process-owner.ts';
import { STALE_CLAIM_MS, type FetchSuccess, type Store, type StoreOptions } from '../store.ts';
import { backupDatabase, BUSY_TIMEOUT_MS, isBusyError, openDatabase } from './database.ts';
import { createDigestStore } from './digest-store.ts';
import { createFeedStore } from './feed-store.ts';
import { createStatsStore } from './stats-store.ts';
import { createStoryStore } from './story-store.ts';
import { createReaderStore } from './reader-store.ts';
import { createReadThreads, ReadThreadError, type ReadThreads } from './read-threads.ts';
import { createSubscriberStore } from './subscriber-store.ts';
import { createSubscriptionStore } from './subscription-store.ts';
import { createWriteBatch } from './write-batch.ts';

/**
 * Stories queued for the search index after which a save indexes them at once (about 0.3 s of
 * work in one transaction): large batches are what make FTS5 cheap, and this bounds the wait.
 */
const SEARCH_BATCH = 2_000;
/** Read threads a store starts at most (read-threads.ts): the cores of our 2-core machines. */
const READ_THREADS = Math.max(1, Math.min(2, availableParallelism()));
/** After a read thread fails, reads run on the store's own connection this long before a thread is tried again. */
const READ_THREAD_RETRY_MS = 60_000;
/**
 * A byline stats read on the store's own connection that took this long (about 20,000 stories)
 * sends the later ones to a read thread: the site reads them after every change of the content,
 * 13–20 ms over 100,000 stories, and the event loop serves pages and /healthz. A smaller store's
 * read costs less than a thread's answer is worth, and starts none (300 ms of CPU).
 */
const BYLINE_STATS_THREAD_MS = 4;
/** Digest copies pruned per transaction (pruneDeliveries): a few milliseconds of the write lock each. */
const PRUNE_BATCH = 5_000;

/**
 * Opens the SQLite store at `path` (migrating it) and returns the Store over it. `claimOwner`
 * names its delivery claims (default: this process; tests give two stores two owners).
 */
export function createSqliteStore(path: string, options: StoreOptions = {}): Store {
  const owner = options.claimOwner ?? processOwnerId();
  const attempts = `${owner}\n${path}`; // this process's delivery attempts on this database (delivery-attempts.ts)
  const db = openDatabase(path);
  const feeds = createFeedStore(db);
  const stories = createStoryStore(db);
  const digests = createDigestStore(db);
  const stats = createStatsStore(db);
  const subscriptions = createSubscriptionStore(db);
  const subscribers = createSubscriberStore(db);
  const readers = createReaderStore(db);
  const version = cacheContentVersion(() => stories.version());
  // A database in memory is this connection's alone: its reads stay here.
  const threads = options.readThreads ?? READ_THREADS;
  const readThreads = path === ':memory:' || threads === 0 ? null : createReadThreads(path, { threads });
  let threadFailedAt = Number.NEGATIVE_INFINITY;
  const bylineStatsThreadMs = options.bylineStatsThreadMs ?? BYLINE_STATS_THREAD_MS;
  let bylineStatsHere = true;
  let closing = false;
  const reportIndexError =
    options.onBackgroundError ??
    ((error: unknown, what: string) => void process.stderr.write(`columnwire: ${what}: ${(error as Error).message ?? String(error)}\n`));
  /**
   * Indexes the stories waiting for search, for a writer (a save past SEARCH_BATCH, the end of
   * a poll cycle, closing a store that queued some). A failure never fails what asked, which has
   * committed: the stories wait for the next batch, and anything but a busy database is reported.
   */
  const indexSearch = (batches = Number.POSITIVE_INFINITY): boolean => {
    try {
      // A batch per transaction: other writers get the lock between batches.
      for (let done = 0; done < batches; done++) {
        stories.indexPendingSearch(SEARCH_BATCH);
        if (!stories.hasPendingSearch()) return false;
      }
      return true;
    } catch (error) {
      if (!isBusyError(error)) reportIndexError(error, 'search index: stories stay queued for the next batch');
      return false;
    }
  };
  /**
   * The end of a poll cycle: a batch at a time, letting the event loop serve pages and
   * `/healthz` between batches (an upgrade that indexes everything again, schema 21, took
   * 23–27 s per 100,000 stories here).
   */
  const indexSearchInTurns = async (): Promise<void> => {
    while (!closing && db.open && indexSearch(1)) await setImmediate();
  };
  /**
   * Before a search: a read, so it never waits for another process's write lock (which would
   * hold the HTTP server's event loop) and indexes at most one batch; what it leaves waits for
   * the writer's next batch.
   */
  const indexBeforeSearch = (): void => {
    db.pragma('busy_timeout = 0');
    try {
      stories.indexPendingSearch(SEARCH_BATCH);
    } catch (error) {
      if (!isBusyError(error)) reportIndexError(error, 'search index: searching the stories indexed so far');
    } finally {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  };
  /**
   * `onThread` on a read thread; `here` on this connection when there is none, when one failed
   * within READ_THREAD_RETRY_MS (rather than start one per read), or when one fails now (logged).
   */
  const readOnThread = async <T>(what: string, onThread: (threads: ReadThreads) => Promise<T>, here: () => T): Promise<T> => {
    if (!readThreads || Date.now() - threadFailedAt < READ_THREAD_RETRY_MS) return here();
    try {
      return await onThread(readThreads);
    } catch (error) {
      if (!(error instanceof ReadThreadError) || !db.open) throw error;
      if (!closing) {
        threadFailedAt = Date.now();
        reportIndexError(error, `${what}: reading on the main thread for ${READ_THREAD_RETRY_MS / 1000} s`);
      }
      return here();
    }
  };
  // IMMEDIATE (below): it reads before it writes, and a deferred transaction that another
  // process wrote past in between fails at once with SQLITE_BUSY, busy timeout or not.
  const saveFetched = db.transaction(
    (feedId: string, items: readonly NormalizedItem[], state: FetchSuccess, now: Date, keepAfter: Date | null) => {
      const { changed, ...result } = stories.saveItems(feedId, items, now, keepAfter, state.itemsLeftUnread);
      if (changed) stories.bumpVersion();
      // A full save always sets the document hash and item digest: one not given is unknown (null), never the last one's.
      feeds.markSuccess(feedId, { ...state, bodyHash: state.bodyHash ?? null, itemDigest: state.itemDigest ?? null }, now);
      return result;
    },
  );
  // A 304 changes one feed row: those of one turn of the event loop share a commit.
  const runAll = db.transaction((writes: ReadonlyArray<() => void>) => writes.forEach((write) => write()));
  const notModified = createWriteBatch((writes) => runAll.immediate(writes), isBusyError);
  return {
    syncFeeds: async (sources) => feeds.sync.immediate([...sources]),
    listFeeds: async () => feeds.listActive(),
    countFeeds: async () => feeds.countActive(),
    getFeed: async (id) => feeds.get(id),
    itemDigest: async (id) => feeds.itemDigest(id),
    saveFetched: async (feedId, items, state, now, keepAfter) => {
      const result = saveFetched.immediate(feedId, items, state, now, keepAfter);
      version.wrote();
      if (stories.queuedForSearch() >= SEARCH_BATCH) indexSearch(1);
      return result;
    },
    markNotModified: (feedId, state, now) => notModified(() => feeds.markSuccess(feedId, state, now)),
    markFailed: async (feedId, failure, now) => feeds.markFailure(feedId, failure, now),
    listStories: async (query) => stories.list(query),
    storyByPublicId: async (publicId) => stories.byPublicId(publicId),
    bylineStats: async () => {
      if (bylineStatsHere || !readThreads) {
        const started = performance.now();
        const read = stories.bylineStats();
        bylineStatsHere = performance.now() - started < bylineStatsThreadMs;
        if (!bylineStatsHere) readThreads?.warm();
        return read;
      }
      return readOnThread(
        'byline stats',
        (threads) => threads.bylineStats(),
        () => stories.bylineStats(),
      );
    },
    searchStories: async (query) => {
      indexBeforeSearch();
      return readOnThread(
        'search',
        (threads) => threads.search(query),
        () => stories.search(query),
      );
    },
    countStoriesByFeed: async () => stories.countByFeed(),
    countStories: async () => stories.count(),
    pruneStories: async (before) => {
      const pruned = stories.prune(before);
      version.wrote();
      return pruned;
    },
    contentVersion: () => version.get(),
    lastPollAt: async () => feeds.lastFetchAt(),
    maxStoryId: async () => stories.maxId(),
    maxStoryIdSeenBefore: async (at) => stories.maxIdSeenBefore(at),
    storyIdsInRange: async (fromId, toId, feedIds) => stories.idsInRange(fromId, toId, feedIds),
    storiesByIds: async (ids) => stories.listByIds(ids),
    lastNewStoryByFeed: async () => stories.lastNewStoryByFeed(),
    createDigestRun: async (run) => digests.claimRun(run).run,
    claimDigestRun: async (run) => digests.claimRun(run),
    claimDelivery: (runId, address, now) =>
      claimAsAttempt(attempts, runId, address, async () =>
        digests.claimDelivery(runId, address, owner, now, new Date(now.getTime() - STALE_CLAIM_MS), isOwnerDead),
      ),
    endDeliveryAttempt: (claim) => endDeliveryAttempt(attempts, claim.runId, claim.address, claim.token),
    renewDeliveryClaim: async (claim, now) => digests.renewClaim(claim, now),
    latestDigestRun: async (digestId) => digests.latestRun(digestId),
    unfinishedDigestRuns: async (digestId) => digests.unfinishedRuns(digestId),
    listDigestRuns: async (digestId, limit) => digests.listRuns(digestId, limit),
    deliveries: async (runId) => digests.deliveries(runId),
    pendingCopies: async (runId, after, limit) => digests.pendingCopies(runId, after, limit),
    deliveryCounts: async (runId) => digests.deliveryCounts(runId),
    deliveryErrors: async (runId, limit) => digests.deliveryErrors(runId, limit),
    pruneDeliveries: async (before) => {
      // A batch at a time, the event loop and other writers served between: a run's million
      // copies never hold the write lock for long.
      let pruned = 0;
      for (const runId of digests.prunableRuns(before)) {
        for (let batch = PRUNE_BATCH; batch === PRUNE_BATCH && !closing && db.open; await setImmediate()) {
          batch = digests.pruneCopies(runId, PRUNE_BATCH);
          pruned += batch;
        }
      }
      return pruned;
    },
    markDelivery: async (claim, status, options) => {
      const written = digests.markDelivery(claim, status, options);
      endDeliveryAttempt(attempts, claim.runId, claim.address, claim.token); // answered: the attempt is over (not when cut off: it may retry)
      return written;
    },
    finishDigestRunIfDone: async (runId, at) => digests.finishRunIfDone(runId, at),
    unsubscribe: async (address, digestId, at) => subscriptions.unsubscribe(address, digestId, at),
    resubscribe: async (address, digestId = null, at = new Date()) => subscriptions.resubscribe(address, digestId, at),
    unsubscribedAddresses: async (digestId) => subscriptions.unsubscribed(digestId),
    subscriptionState: async (address, digestId) => subscriptions.state(address, digestId),
    subscriptionStates: async (digestId) => subscriptions.states(digestId),
    addSubscribers: async (digestId, rows, at) => subscribers.add(digestId, rows, at),
    removeSubscriber: async (address, digestId) => subscribers.remove(address, digestId),
    listSubscribers: async (digestId, page) => subscribers.list(digestId, page),
    countSubscribers: async () => subscribers.count(),
    digestSubscribers: async (digestId) => subscribers.receiving(digestId),
    listDigestSubscribers: async (digestId, page) => subscribers.receivingPage(digestId, page),
    saveSignup: async (signup, forgetBefore, replaceBefore) => readers.saveSignup(signup, forgetBefore, replaceBefore),
    dropSignup: async (digestId, address, requestedAt) => readers.dropSignup(digestId, address, requestedAt),
    signup: async (digestId, address) => readers.signup(digestId, address),
    listSignups: async (digestId) => readers.listSignups(digestId),
    confirmSignup: async (digestId, address, requestedAt, at) => readers.confirmSignup(digestId, address, requestedAt, at),
    preferences: async (address) => readers.preferences(address),
    setPreferences: async (digestId, address, change) => readers.setPreferences(digestId, address, change),
    subscriberChoices: async (digestId) => readers.subscriberChoices(digestId),
    recordPermanentFailure: async (address, error, at, threshold) => readers.recordPermanentFailure(address, error, at, threshold),
    clearFailures: async (address) => readers.clearFailures(address),
    recordBounceReport: async (address, messageIds, error, at, threshold) =>
      readers.recordBounceReport(address, messageIds, error, at, threshold),
    clearBounce: async (address) => readers.clearBounce(address),
    listBounces: async () => readers.listBounces(),
    bouncingAddresses: async () => readers.bouncingAddresses(),
    recordPollCycle: async (totals, finishedAt) => {
      stats.recordPollCycle(totals, finishedAt);
      await indexSearchInTurns();
    },
    readStats: async () => stats.read(),
    lastPollCycleAt: async () => stats.lastPollCycleAt(),
    backup: (destination) => backupDatabase(db, destination),
    close: async () => {
      closing = true;
      if (db.open) notModified.flush();
      await readThreads?.close();
      // Only a store that queued stories indexes them here (a read-only command writes nothing).
      if (db.open && stories.queuedForSearch() > 0) indexSearch();
      db.close();
    },
  };
}
